"""``/api/v1/changes/``: the sync feed, resumable by an opaque token.

Pages of the change log (:mod:`tracker.changes`) with each changed record's
current state, as its own list would show it. The last page hands the
consumer a ``sync_token`` (and ``next_sync``, the URL to call next time):
a later sync from it lists only what changed since, never an unchanged row,
and never misses a write that was still open when the token was made.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .. import changes, models, registry
from .. import public as gate
from ..internals import url_with_param, url_without_param
from .operations import READ_ERRORS
from .pagination import RecordPagination
from .readers import reader_for
from .views import VIEWSETS, ApiViewMixin

TOKEN_PARAMETER = "sync_token"
KNOWN_PARAMETERS = frozenset({TOKEN_PARAMETER, "page_size", "format"})

#: The response's shape, for the OpenAPI schema.
FEED_PAGE = inline_serializer(
    "ChangeFeedPage",
    {
        "next": serializers.URLField(allow_null=True, help_text="The next page; null on the last."),
        TOKEN_PARAMETER: serializers.CharField(
            help_text="Where the feed resumes after this page: the `sync_token` of `next`, "
            "and on the last page (`next` null) the token to keep for the next sync."
        ),
        "next_sync": serializers.URLField(
            allow_null=True, help_text="On the last page only: the URL to request next time."
        ),
        "results": inline_serializer(
            "Change",
            {
                "resource": serializers.CharField(help_text="`exercises`, `arms-deals`, ..."),
                "slug": serializers.CharField(),
                "deleted": serializers.BooleanField(),
                "record": serializers.DictField(
                    allow_null=True,
                    help_text="The record as its list shows it now; null when deleted.",
                ),
            },
            many=True,
        ),
    },
)


class FeedSchema(AutoSchema):
    """The feed's ``list`` answers one page object (its own), not an array of them."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class ChangeFeedViewSet(ApiViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """What changed since a sync token: records as they are now, deletions as ``deleted``."""

    queryset = models.Change.objects.all()
    pagination_class = None
    schema = FeedSchema()

    def check_query_parameters(self, request) -> None:
        unknown = sorted(set(request.query_params) - KNOWN_PARAMETERS)
        if unknown:
            raise ValidationError(
                {
                    "unknown_parameters": [f"Unknown query parameter: {n[:100]}." for n in unknown]
                    + [f"Known parameters: {', '.join(sorted(KNOWN_PARAMETERS))}."]
                }
            )
        # Each parameter takes one value, and an empty one is no value.
        faults = {
            name: ["Give this parameter once; it takes one value."]
            if len(values) > 1
            else ["Give a value or leave this parameter out."]
            for name, values in request.query_params.lists()
            if len(values) > 1 or "" in values
        }
        if faults:
            raise ValidationError(dict(sorted(faults.items())))

    @extend_schema(
        summary="Changes since a sync token",
        description="Records created, changed or deleted after `sync_token` (from the start "
        "without one), oldest first, each as its list shows it now (`record`) or "
        "`deleted: true`. Follow `next` (or call again with the page's `sync_token`) "
        "until `next` is null; keep the last page's `sync_token` (or `next_sync`) for the next "
        "sync. See docs/api.md, *Keeping a copy current*.",
        parameters=[
            OpenApiParameter(
                TOKEN_PARAMETER,
                {"type": "string", "pattern": changes.TOKEN_PATTERN},
                description="From `next`, or the last page's `sync_token`; use it as given.",
            ),
            OpenApiParameter(
                "page_size",
                {"type": "integer", "minimum": 1, "maximum": 500},
                description="Changes per page (default 50, max 500).",
            ),
        ],
        responses={200: FEED_PAGE, **READ_ERRORS},
    )
    def list(self, request, *args, **kwargs):
        after = self._position(request)
        size = RecordPagination().get_page_size(request)
        public = not gate.sees_drafts(request.user)
        rows = list(
            changes.settled(after, public=public).values_list("txid", "id", "record_type", "slug")[
                : size + 1
            ]
        )
        more = len(rows) > size
        rows = rows[:size]
        end = changes.Position(*rows[-1][:2]) if rows else after
        token = end.token()
        url = url_without_param(request.build_absolute_uri(), TOKEN_PARAMETER)
        url = url_with_param(url, TOKEN_PARAMETER, token)
        body = OrderedDict(
            [
                ("next", url if more else None),
                # Every page says where the feed resumes after it, so a generated client
                # pages by token without reading URLs; only the last one is "caught up".
                (TOKEN_PARAMETER, token),
                ("next_sync", None if more else url),
                ("results", self._entries(rows, request, public)),
            ]
        )
        return Response(body)

    def _position(self, request) -> changes.Position:
        token = request.query_params.get(TOKEN_PARAMETER)
        if token is None:
            return changes.Position()
        try:
            return changes.Position.from_token(token)
        except ValueError as exc:
            raise ValidationError(
                {TOKEN_PARAMETER: ["Not a token from this API: use `next` or `sync_token`."]}
            ) from exc

    def _entries(self, rows, request, public: bool) -> list[dict]:
        """One entry per changed record (the page's changes of one record merged), in log order.

        Each record is read as it is now, one list read per resource on the page:
        a state newer than the change is fine, its own change comes later. For
        the public, through the gate: a record no longer published reads as deleted.
        """
        order: dict[tuple[str, str], None] = {}
        for _txid, _id, record_type, slug in rows:
            order[(record_type, slug)] = None
        slugs_by_type: dict[str, list[str]] = defaultdict(list)
        for record_type, slug in order:
            slugs_by_type[record_type].append(slug)
        current: dict[tuple[str, str], dict] = {}
        for record_type, slugs in slugs_by_type.items():
            viewset = VIEWSETS[registry.for_name(record_type)]
            reader = reader_for(viewset.serializer_class)
            queryset = viewset.queryset.filter(slug__in=slugs).order_by("pk")
            page = reader.rows(gate.published(queryset) if public else queryset)
            for item in reader.represent(page, request, self.format_kwarg, public=public):
                current[(record_type, item["slug"])] = item
        entries = []
        for record_type, slug in order:
            record = current.get((record_type, slug))
            entries.append(
                {
                    "resource": registry.for_name(record_type).resource,
                    "slug": slug,
                    "deleted": record is None,
                    "record": record,
                }
            )
        return entries

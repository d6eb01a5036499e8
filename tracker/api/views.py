"""List, detail and write endpoints for every record, and the deletions feed.

How the OpenAPI schema describes each operation is in :mod:`tracker.api.operations`.
"""

from __future__ import annotations

from contextlib import contextmanager

import django_filters
from django.db.models import Prefetch
from django.http import StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .. import models, registry, versions
from .. import public as gate
from ..exports import csv_name, csv_stream
from ..services import record_delete
from . import filters, serializers
from .access import AnonymousRateThrottle, ModelPermissionsOrConfiguredAnonRead
from .exceptions import FormatNegotiation, StoredDataConflict, error_codes
from .operations import CSV_NOTE, READ_ERRORS, document
from .pagination import SYNC_PARAMETER, RecordPagination
from .parsers import LimitedJSONParser
from .readers import reader_for
from .renderers import CSVRenderer, JSONRenderer
from .schema import MAX_VALUES_PER_PARAMETER

#: Parameters every list understands besides its filters (``cursor``: with ``updated_since``).
LIST_PARAMETERS = frozenset({"page", "page_size", "format"})
#: Parameters the CSV export understands besides its filters.
EXPORT_PARAMETERS = frozenset({"format"})
#: Parameters every other endpoint understands.
OTHER_PARAMETERS = frozenset({"format"})

#: The viewset serving each record type, filled by :func:`record_viewset`.
VIEWSETS: dict[registry.RecordType, type[RecordViewSet]] = {}


def record_viewset(record_type: registry.RecordType, serializer):
    """Declare a class as the viewset of ``record_type``, with its OpenAPI descriptions."""

    def declare(cls):
        cls.record_type = record_type
        VIEWSETS[record_type] = cls
        name = record_type.verbose_name_plural

        # Its own function per class, so that each one's description stays its own.
        def export(self, request, *args, **kwargs) -> StreamingHttpResponse:
            return self.csv_response()

        cls.export = extend_schema(
            summary=f"Export {name} as CSV",
            description=CSV_NOTE,
            operation_id=f"{record_type.resource.replace('-', '_')}_csv",
            filters=True,
            # Always CSV: DRF's format override is not part of this operation.
            parameters=[OpenApiParameter("format", exclude=True)],
            # Errors are answered in JSON (``finalize_response``), never as CSV.
            responses={
                (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, UTF-8."),
                **{(status, "application/json"): error for status, error in READ_ERRORS.items()},
            },
        )(export)
        return document(serializer, name)(cls)

    return declare


def is_multi_valued(filters_: dict, name: str) -> bool:
    """Whether the filter ``name`` takes several values (``actor=a&actor=b``)."""
    return isinstance(
        filters_.get(name),
        django_filters.MultipleChoiceFilter | django_filters.ModelMultipleChoiceFilter,
    )


#: Error codes that say a value is malformed, not that it conflicts with stored data.
MALFORMED = frozenset(
    {"invalid_slug", "max_length", "null_characters_not_allowed", "blank", "null"}
)


class ApiViewMixin:
    """Access, parsing and the strict query-parameter check shared by every endpoint."""

    content_negotiation_class = FormatNegotiation

    permission_classes = [ModelPermissionsOrConfiguredAnonRead]
    throttle_classes = [AnonymousRateThrottle]
    parser_classes = [LimitedJSONParser]
    filter_backends = [DjangoFilterBackend]
    pagination_class = RecordPagination

    def get_renderers(self):
        if getattr(self, "action", None) == "export":
            return [CSVRenderer(), JSONRenderer()]
        if (
            getattr(self, "action", None) == "list"
            and getattr(self, "csv_enabled", False)
            # The schema describes the list as JSON; its CSV is the export operation.
            and not getattr(self, "swagger_fake_view", False)
        ):
            return [JSONRenderer(), CSVRenderer()]
        return [JSONRenderer()]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # A method the route does not serve is answered 405 first, whatever the query.
        if getattr(self, "action", None) is not None:
            self.check_query_parameters(request)

    def check_query_parameters(self, request) -> None:
        """400 naming every query parameter this endpoint does not know, repeats too
        often, leaves empty, or gives twice though it takes one value.

        django-filter ignores unknown parameters and returns everything, ignores
        empty values, and reads only the last of repeated single values, which
        misleads a consumer who misspelt or repeated a filter. More than
        ``MAX_VALUES_PER_PARAMETER`` values of one parameter are refused before
        any query: each is a condition, and the database refuses a query with too many
        (SQLite, 999 values of ``footnote``: its expression depth limit).
        """
        filterset_class = getattr(self, "filterset_class", None)
        filters_ = filterset_class.base_filters if filterset_class is not None else {}
        known = set(OTHER_PARAMETERS)
        if self.action == "list":
            known |= LIST_PARAMETERS | set(filters_)
            if SYNC_PARAMETER in filters_:
                known.add(RecordPagination.cursor_query_param)
        elif self.action == "export":
            known |= EXPORT_PARAMETERS | set(filters_)
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            raise ValidationError(
                {
                    "unknown_parameters": [
                        f"Unknown query parameter: {name[:100]}." for name in unknown
                    ]
                    + [f"Known parameters: {', '.join(sorted(known))}."]
                }
            )
        repeated = {
            name: len(values)
            for name, values in request.query_params.lists()
            if len(values) > MAX_VALUES_PER_PARAMETER
        }
        if repeated:
            raise ValidationError(
                {
                    name: [
                        f"At most {MAX_VALUES_PER_PARAMETER} values of {name} in one request; "
                        f"{count} were given."
                    ]
                    for name, count in sorted(repeated.items())
                }
            )
        empty = sorted(name for name, values in request.query_params.lists() if "" in values)
        if empty:
            # An empty value is no value: django-filter would silently ignore it.
            raise ValidationError(
                {name: ["Give a value or leave this parameter out."] for name in empty}
            )
        twice = sorted(
            name
            for name in request.query_params
            if len(request.query_params.getlist(name)) > 1 and not is_multi_valued(filters_, name)
        )
        if twice:
            raise ValidationError(
                {name: ["Give this parameter once; it takes one value."] for name in twice}
            )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # An error in a CSV request is answered in JSON, the only form that can carry it.
        if isinstance(response, Response) and response.status_code >= 400:
            renderer = getattr(request, "accepted_renderer", None)
            if renderer is not None and renderer.format == "csv":
                response.accepted_renderer = JSONRenderer()
                response.accepted_media_type = JSONRenderer.media_type
        return response


class RecordViewSet(ApiViewMixin, viewsets.ModelViewSet):
    """List, read, create, replace, change and delete one kind of record by its slug."""

    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    csv_enabled = True

    def get_queryset(self):
        """Every record for editors; published ones only for everyone else (the gate)."""
        return gate.for_user(super().get_queryset(), getattr(self.request, "user", None))

    @property
    def public(self) -> bool:
        """Whether this request reads as the public does (no drafts, no links to them)."""
        return not gate.sees_drafts(getattr(self.request, "user", None))

    def list(self, request, *args, **kwargs):
        # Rows are read as plain values (``readers``), shaped as the serializer.
        if request.accepted_renderer.format == "csv":
            return self.csv_response()
        reader = reader_for(self.get_serializer_class())
        page = self.paginate_queryset(reader.rows(self.filter_queryset(self.get_queryset())))
        data = reader.represent(page, request, self.format_kwarg)
        return self.get_paginated_response(data)

    def csv_response(self) -> StreamingHttpResponse:
        """Every row the same filters select, all pages, streamed as CSV.

        Columns and cells come from ``tracker.exports`` (the one CSV
        shaping of the project); it does its own chunked prefetching, so it is
        given the filtered rows without this view's prefetches.
        """
        model = self.get_queryset().model
        queryset = self.filter_queryset(model._default_manager.all())
        response = StreamingHttpResponse(
            csv_stream(model, queryset, public=self.public), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{csv_name(model)}.csv"'
        return response

    # -- versions: ETag on reads, If-Match on writes ------------------------------
    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["expected_version"] = getattr(self, "expected_version", None)
        return context

    def retrieve(self, request, *args, **kwargs):
        # Read as a list reads it, so that links to drafts are gated the same way.
        instance = self.get_object()
        reader = reader_for(self.get_serializer_class())
        rows = reader.rows(type(instance)._default_manager.filter(pk=instance.pk))
        [data] = reader.represent(rows, request, self.format_kwarg, public=self.public)
        response = Response(data)
        response["ETag"] = versions.etag(instance)
        return response

    def create(self, request, *args, **kwargs):
        """Create a record; the answer carries its ETag, ready for a later If-Match."""
        with self.conflicts_as_409(request):
            response = super().create(request, *args, **kwargs)
        response["ETag"] = versions.etag(self.saved_instance)
        return response

    @contextmanager
    def conflicts_as_409(self, request):
        """A body whose only faults are a conflict with stored data answers 409, not 400.

        Such faults are a slug that is or was another record's, and links to records
        that do not exist: the body is well formed, and the same body succeeds once
        the stored data allows it (another slug, the linked record created).
        """
        try:
            yield
        except ValidationError as exc:
            if self._only_conflicts(exc, request.data):
                raise StoredDataConflict(exc.detail) from exc
            raise

    def _only_conflicts(self, exc: ValidationError, data) -> bool:
        codes = exc.get_codes()
        if not isinstance(codes, dict) or not isinstance(data, dict):
            return False
        for field, field_codes in codes.items():
            if field == "slug" and self.request.method == "POST":
                # A malformed slug is the body's fault, whoever holds a similar one.
                if set(error_codes(field_codes)) & MALFORMED or not self._slug_in_use(
                    data.get("slug")
                ):
                    return False
            elif set(error_codes(field_codes)) != {"does_not_exist"}:
                return False
        return True

    def _slug_in_use(self, slug) -> bool:
        """Whether ``slug`` belongs to a record of this type, or to a deleted one."""
        if not isinstance(slug, str) or not slug or "\x00" in slug:
            return False  # PostgreSQL refuses a NUL in any query parameter
        model = self.get_queryset().model
        return (
            model._default_manager.filter(slug=slug).exists()
            or models.DeletedRecord.objects.filter(
                record_type=model.record_type(), slug=slug
            ).exists()
        )

    def perform_create(self, serializer) -> None:
        serializer.save()
        self.saved_instance = serializer.instance

    def update(self, request, *args, **kwargs):
        """Replace or change a record, only from the version the client read (If-Match)."""
        instance = self.get_object()
        self.expected_version = versions.if_match(
            request.headers.get("If-Match", ""), instance, required=True
        )
        with self.conflicts_as_409(request):
            response = super().update(request, *args, **kwargs)
        response["ETag"] = versions.etag(self.saved_instance)
        return response

    def perform_update(self, serializer) -> None:
        serializer.save()
        self.saved_instance = serializer.instance

    def perform_destroy(self, instance) -> None:
        expected = versions.if_match(
            self.request.headers.get("If-Match", ""), instance, required=False
        )
        record_delete(instance, user=self.request.user, expected_version=expected)


def _citations() -> Prefetch:
    return Prefetch("citations", models.Citation.objects.select_related("source"))


@record_viewset(registry.ACTOR, serializers.ActorSerializer)
class ActorViewSet(RecordViewSet):
    queryset = models.Actor.objects.with_parent().prefetch_related(_citations())
    serializer_class = serializers.ActorSerializer
    filterset_class = filters.ActorFilterSet


@record_viewset(registry.SOURCE, serializers.SourceSerializer)
class SourceViewSet(RecordViewSet):
    queryset = models.Source.objects.all()
    serializer_class = serializers.SourceSerializer
    filterset_class = filters.SourceFilterSet


@record_viewset(registry.AGREEMENT, serializers.AgreementSerializer)
class AgreementViewSet(RecordViewSet):
    queryset = models.Agreement.objects.with_links()
    serializer_class = serializers.AgreementSerializer
    filterset_class = filters.AgreementFilterSet


@record_viewset(registry.EXERCISE, serializers.ExerciseSerializer)
class ExerciseViewSet(RecordViewSet):
    queryset = models.Exercise.objects.with_participants()
    serializer_class = serializers.ExerciseSerializer
    filterset_class = filters.ExerciseFilterSet


@record_viewset(registry.ARMS_DEAL, serializers.ArmsDealSerializer)
class ArmsDealViewSet(RecordViewSet):
    queryset = models.ArmsDeal.objects.with_links()
    serializer_class = serializers.ArmsDealSerializer
    filterset_class = filters.ArmsDealFilterSet


@record_viewset(registry.STATEMENT, serializers.StatementSerializer)
class StatementViewSet(RecordViewSet):
    queryset = models.Statement.objects.with_links()
    serializer_class = serializers.StatementSerializer
    filterset_class = filters.StatementFilterSet


@extend_schema_view(
    list=extend_schema(
        summary="Deleted records (tombstones)",
        description="Identifiers deleted at or after `since`, oldest first. Identifiers are "
        "never reused, so a consumer can drop these from its copy.",
        responses={200: serializers.DeletedRecordSerializer(many=True), **READ_ERRORS},
    )
)
class DeletionViewSet(ApiViewMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """The deletions feed: which identifiers were deleted, and when.

    The public reads the deletions of records it knew (published when deleted)
    and the records taken back from publication (``withdrawn``), which its
    copies must drop as well; editors read the records really deleted.
    """

    queryset = models.DeletedRecord.objects.order_by("deleted_at", "record_type", "slug")
    serializer_class = serializers.DeletedRecordSerializer
    filterset_class = filters.DeletedRecordFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        if gate.sees_drafts(self.request.user):
            return queryset.filter(withdrawn=False)
        return queryset.filter(public=True)

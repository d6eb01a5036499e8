"""Paging: page numbers for browsing, a keyset cursor for incremental sync.

Ordinary lists are paged by number (``page``, ``page_size``). A list
filtered by ``updated_since`` is ordered by ``(updated_at, slug)`` and paged
by a cursor holding the last row's ``(updated_at, slug)``: a record edited
while a consumer pages moves behind the cursor and is listed again later,
and no untouched record shifts between pages, so nothing is skipped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import OrderedDict

from django.conf import settings
from django.db.models import BooleanField, F, Func, Value
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from ..codes import whole_number
from ..counting import EstimatedCountPaginator, count_rows
from ..internals import url_with_param, url_without_param

SYNC_PARAMETER = "updated_since"
SEARCH_PARAMETER = "search"


#: What a cursor looks like: microseconds since 0001-01-01 (UTC), a dot, an identifier.
#: Every value of this form is a position in the list (``decode_cursor``).
CURSOR_PATTERN = r"^[0-9]{1,18}\.[-a-zA-Z0-9_]{1,120}$"
_CURSOR_RE = re.compile(CURSOR_PATTERN)
_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


def encode_cursor(updated_at: dt.datetime, slug: str) -> str:
    """Cursor for the row after which the next page starts (:data:`CURSOR_PATTERN`)."""
    delta = updated_at.astimezone(dt.UTC) - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}.{slug}"


def decode_cursor(cursor: str) -> tuple[dt.datetime, str]:
    """The ``(updated_at, slug)`` a cursor holds; 400 if it does not have a cursor's form.

    A position past the year 9999 is read as the latest instant: the page after it is empty.
    """
    if not _CURSOR_RE.match(cursor):
        raise ValidationError({"cursor": ["Not a cursor from this API: follow `next`."]})
    micros, slug = cursor.split(".", 1)
    try:
        updated_at = _EPOCH + dt.timedelta(microseconds=int(micros))
    except OverflowError:
        updated_at = dt.datetime.max.replace(tzinfo=dt.UTC)
    return updated_at, slug


class RowsAfter(Func):
    """``(a, b) > (x, y)``: the rows after a position in the order of two columns.

    One row comparison, so an index on ``(a, b)`` starts reading at the position.
    Written as ``a > x OR (a = x AND b > y)``, the same condition gave PostgreSQL no
    bound on the index: a sync page from the middle of a million statements read the
    500,001 rows before it (133 ms; docs/scale-history.md).
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, columns: tuple[str, str], position: tuple[object, object]):
        super().__init__(*(F(column) for column in columns), *map(Value, position))

    def as_sql(self, compiler, connection, **extra):
        parts, params = [], []
        for expression in self.source_expressions:
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        half = len(parts) // 2
        return f"({', '.join(parts[:half])}) > ({', '.join(parts[half:])})", params


class ApiPaginator(EstimatedCountPaginator):
    """Counts exactly up to ``API_EXACT_COUNT_LIMIT`` rows, estimates above (PostgreSQL)."""

    @property
    def exact_limit(self) -> int:
        return settings.API_EXACT_COUNT_LIMIT


#: Response header present (``true``) when ``count`` is the database's estimate.
ESTIMATE_HEADER = "X-Count-Estimated"


class RecordPagination(PageNumberPagination):
    """Page numbers, or a keyset cursor when the list is filtered by ``updated_since``."""

    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    #: Whether the list being paged is searched (``search``).
    searched = False

    def django_paginator_class(self, queryset, per_page: int) -> ApiPaginator:
        """The page's paginator. A searched list's matches are counted by reading their
        keys in the list's order, and the page is read by its keys, as in the admin: the
        planner's guess of a search's matches is often far off, and a search ordered by
        date at 10,000 statements walked the whole date index for 44 matches (21 ms)."""
        return ApiPaginator(queryset, per_page, keeps_matched_keys=self.searched)

    @property
    def page_size(self) -> int:
        return settings.API_PAGE_SIZE

    @property
    def max_page_size(self) -> int:
        return settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        """The client's ``page_size``; over the cap is an error, not silently clamped."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = whole_number(raw, 1, self.max_page_size)
        if size is None:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"Give a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return size

    def paginate_queryset(self, queryset, request, view=None):
        self.sync_mode = bool(request.query_params.get(SYNC_PARAMETER))
        self.searched = bool(request.query_params.get(SEARCH_PARAMETER, "").strip())
        if not self.sync_mode:
            if self.cursor_query_param in request.query_params:
                raise ValidationError(
                    {
                        self.cursor_query_param: [
                            f"A cursor pages lists filtered by {SYNC_PARAMETER}."
                        ]
                    }
                )
            return self._page_by_number(queryset, request, view)
        if self.page_query_param in request.query_params:
            raise ValidationError(
                {
                    self.page_query_param: [
                        f"Lists filtered by {SYNC_PARAMETER} are paged by cursor."
                    ]
                }
            )
        self.request = request
        size = self.get_page_size(request)
        self.count, self.count_is_exact = count_rows(queryset, settings.API_EXACT_COUNT_LIMIT)
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor:
            updated_at, slug = decode_cursor(cursor)
            queryset = queryset.filter(RowsAfter(("updated_at", "slug"), (updated_at, slug)))
        rows = list(queryset.order_by("updated_at", "slug")[: size + 1])
        self.next_cursor = None
        if len(rows) > size:
            rows = rows[:size]
            # Rows are a list page's values (``readers.PageReader`` reads both columns).
            self.next_cursor = encode_cursor(rows[-1]["updated_at"], rows[-1]["slug"])
        return rows

    def _page_by_number(self, queryset, request, view):
        """DRF's page-number paging, with a 400 for a page that is no whole number from 1
        on and a 404 naming ``page`` (and the last page) for one past the end."""
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise ValidationError({self.page_query_param: ["Give a whole number from 1 on."]})
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            paginator = self.django_paginator_class(queryset, self.get_page_size(request))
            last = max(paginator.num_pages, 1)
            raise NotFound(
                {self.page_query_param: [f"There is no such page: the last is {last}."]}
            ) from None

    def get_paginated_response(self, data):
        if not self.sync_mode:
            response = super().get_paginated_response(data)
            if not self.page.paginator.count_is_exact:
                response[ESTIMATE_HEADER] = "true"
            return response
        response = Response(
            OrderedDict(
                [
                    ("count", self.count),
                    ("next", self._next_cursor_link()),
                    ("previous", None),
                    ("results", data),
                ]
            )
        )
        if not self.count_is_exact:
            response[ESTIMATE_HEADER] = "true"
        return response

    def _next_cursor_link(self) -> str | None:
        if self.next_cursor is None:
            return None
        url = self.request.build_absolute_uri()
        url = url_without_param(url, self.page_query_param)
        return url_with_param(url, self.cursor_query_param, self.next_cursor)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
                parameter["description"] = (
                    f"Rows per page, 1 to {self.max_page_size} (default {self.page_size}); "
                    "more is refused with 400."
                )
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
        filterset_class = getattr(view, "filterset_class", None)
        if filterset_class is None or SYNC_PARAMETER not in filterset_class.base_filters:
            return parameters
        parameters.append(
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": f"With {SYNC_PARAMETER} only: where the next page starts. "
                "Follow the `next` link rather than building one.",
                "schema": {"type": "string", "pattern": CURSOR_PATTERN},
            }
        )
        return parameters

    def get_paginated_response_schema(self, schema):
        result = super().get_paginated_response_schema(schema)
        result["properties"]["count"]["description"] = (
            "Rows matching the filters, all pages: exact up to API_EXACT_COUNT_LIMIT "
            f"(default 10,000) rows, the database's estimate above or when that estimate is "
            f"far above the limit (then the {ESTIMATE_HEADER} header is true); `next` is exact "
            "either way."
        )
        return result

"""The list pages' read path: plain column values in, the serializers' JSON out.

A list page built from model instances spent most of its time outside the
database: Django building instances and related managers for every linked row
(prefetching), DRF walking its fields for every record and link. A
:class:`PageReader` is compiled once per serializer class from the
serializer's own fields, so the serializer stays the one description of a
record's shape (and of the OpenAPI schema); the reader only changes how the
values are fetched:

* the page's own columns in one ``values()`` query;
* each list of links (citations, participants, what a statement concerns) in
  one ``values()`` query for the whole page, ordered as the prefetch orders it;
* the records a page or its link rows point at (speaker, supplier, a
  participant's actor, a citation's source) by primary key, one query each;
* on PostgreSQL, every link above whose values need no formatting is instead
  built as JSON by the database, all in one query (:mod:`.json_links`), and
  the link queries run as prepared statements (:mod:`tracker.prepared`);
* every value is still formatted by the serializer field's own
  ``to_representation`` (dates, decimals, timestamps), and fuzzy dates by
  :func:`tracker.api.fields.fuzzy_date_representation`.

For a reader who does not see drafts (``public``), every linked record is read
through the gate (:mod:`tracker.public`): a link to a record that is not
published is left out of lists (a participant, a citation, what a statement
concerns) and reads ``null`` as a single link (a speaker, a supplier), so no
draft's slug or name reaches the public. The same queries, one condition more.

``tests/test_api_readers.py`` checks that every resource's page equals the
serializer's output for the same records. A field type the reader does not
know is refused when the reader is compiled, not silently skipped.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from functools import cache
from typing import Any

from django.db import connections, models, router
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import relations, serializers

from .. import prepared
from .. import public as gate
from ..dates import FuzzyDate
from ..internals import (
    CompiledValues,
    compile_values,
    convert_row,
    drf_datetime_writes_default_iso,
    drf_utc_iso,
)
from .fields import FuzzyDateField, LinkDerivedField, SummaryField, fuzzy_date_representation
from .json_links import JSONLinks, order_within_owner

Row = dict[str, Any]
#: Builds one output value from a row of values and the page's loaded links.
Render = Callable[[Row, dict[str, dict[int, list[Any]]]], Any]
#: Loads one link of a page: (page rows, public) -> {key: representation}.
Loader = Callable[[list[Row], bool], dict[int, Any]]

#: Stands in for a slug while the detail URL pattern is reversed once per page.
SLUG_MARK = "readerslugmark"

#: Whether the page being shaped is shown in UTC (the current zone, looked up once a page).
PAGE_IN_UTC: ContextVar[bool] = ContextVar("page_in_utc", default=False)


class PageReader:
    """How one serializer's records are read from plain values (see the module doc)."""

    def __init__(self, serializer_class: type[serializers.ModelSerializer]):
        serializer = serializer_class()
        self.model = serializer.Meta.model
        self.columns: list[str] = ["pk"]
        #: Links by output name: from a page's rows, ``{key: representation}``, where the
        #: key is the record's pk (lists of links) or the linked record's pk (one link).
        self.loaders: dict[str, Loader] = {}
        self.url_field: relations.HyperlinkedIdentityField | None = None
        #: The links PostgreSQL builds as JSON in one query (``json_links``).
        self.json = JSONLinks(self.model)
        self.renders: list[tuple[str, Render]] = []
        for name, field in serializer.fields.items():
            if field.write_only:
                continue
            self.renders.append((name, self._compile(name, field)))
        # The keyset cursor of sync pages is built from these two.
        for column in ("slug", "updated_at"):
            if column not in self.columns:
                self.columns.append(column)
        self.json_queries = {
            public: IdQuery(self.model, lambda ids, public=public: self.json.query(public, ids))
            for public in (False, True)
        }

    # -- reading ------------------------------------------------------------------
    def rows(self, queryset: QuerySet) -> QuerySet:
        """``queryset`` (filtered and ordered) as the values a page needs, without prefetching."""
        return queryset.select_related(None).prefetch_related(None).values(*self.columns)

    def represent(
        self, rows: Iterable[Row], request, format: str | None = None, public: bool | None = None
    ) -> list[dict]:
        """The page's records as the serializer would show them (``format``: a URL suffix).

        ``public``: links only to published records (default: unless the
        request's user sees drafts, :func:`tracker.public.sees_drafts`).
        """
        rows = list(rows)
        if public is None:
            public = not gate.sees_drafts(getattr(request, "user", None))
        loaded = self._load(rows, public)
        url = self._url_template(request, format)
        renders = self.renders
        out = []
        in_utc = PAGE_IN_UTC.set(timezone.get_current_timezone_name() == "UTC")
        try:
            for row in rows:
                item = {name: render(row, loaded) for name, render in renders}
                if url is not None:
                    item["api_url"] = url.replace(SLUG_MARK, row["slug"])
                out.append(item)
        finally:
            PAGE_IN_UTC.reset(in_utc)
        return out

    def _load(self, rows: list[Row], public: bool) -> dict[str, dict[Any, Any]]:
        """Every link of the page: built as JSON in one query on PostgreSQL where it can be
        (:mod:`.json_links`), each other one by its loader."""
        if not rows:
            return {}
        built: dict[str, dict[Any, Any]] = {}
        if self.json and connections[router.db_for_read(self.model)].vendor == "postgresql":
            keys = [row["pk"] for row in rows]
            built = self.json.shape(self.json_queries[public].rows(keys))
        return {
            name: built[name] if name in built else load(rows, public)
            for name, load in self.loaders.items()
        }

    def _url_template(self, request, format: str | None) -> str | None:
        if self.url_field is None:
            return None
        # One reverse() per page instead of one per record.
        marker = type("Marker", (), {self.url_field.lookup_field: SLUG_MARK})()
        return self.url_field.get_url(marker, self.url_field.view_name, request, format)

    # -- compiling ----------------------------------------------------------------
    def _compile(self, name: str, field: serializers.Field) -> Render:
        if isinstance(field, relations.HyperlinkedIdentityField):
            self.url_field = field
            return lambda row, loaded: None  # filled in by represent()
        if isinstance(field, FuzzyDateField):
            return self._fuzzy_date(field.field_name)
        if isinstance(field, LinkDerivedField):
            # Computed from the link list the page loads anyway (no query of its own).
            return lambda row, loaded: field.derive(loaded.get(field.link, {}).get(row["pk"], []))
        if isinstance(field, SummaryField):
            return self._foreign_key(name, field)
        if isinstance(field, relations.ManyRelatedField):
            self.loaders[name] = self._many_to_many_loader(field)
            return lambda row, loaded: loaded.get(name, {}).get(row["pk"], [])
        if isinstance(field, serializers.ListSerializer):
            self.loaders[name] = self._link_rows_loader(field)
            return lambda row, loaded: loaded.get(name, {}).get(row["pk"], [])
        if isinstance(field, serializers.Serializer) and field.source == "*":
            parts = [(n, self._compile(n, f)) for n, f in field.fields.items()]
            return lambda row, loaded: {n: render(row, loaded) for n, render in parts}
        return self._plain(field)

    def _column(self, column: str) -> str:
        if column not in self.columns:
            self.columns.append(column)
        return column

    def _plain(self, field: serializers.Field) -> Render:
        _check_plain(field, self.model)
        return _plain_render(field, self._column(field.source), self.model)

    def _fuzzy_date(self, name: str) -> Render:
        columns = [self._column(name + suffix) for suffix in ("", "_precision", "_qualifier")]
        return lambda row, loaded: fuzzy_date_representation(
            FuzzyDate(row[columns[0]], row[columns[1]], row[columns[2]])
        )

    def _foreign_key(self, name: str, field: SummaryField) -> Render:
        """A record's own link (speaker, supplier, parent): the linked rows by one query.

        Not a join, so that the page's count and plan stay on the one table.
        """
        lookup = SummaryLookup(self.model, field)
        column = self._column(lookup.column)
        if lookup.as_json is not None:
            self.json.add_foreign_key(name, column, lookup.target, lookup.as_json)
        self.loaders[name] = lambda page, public: lookup.load((row[column] for row in page), public)
        # A linked record the reader may not see reads as no link.
        return lambda row, loaded: loaded[name].get(row[column])

    def _many_to_many_loader(self, field: relations.ManyRelatedField):
        """A statement's ``about_*`` list: the targets, ordered as their model orders them."""
        relation = self.model._meta.get_field(field.source)
        target = relation.related_model
        owner = relation.related_query_name()
        summary = summary_fields(field.child_relation)
        columns = [sub.source for _, sub in summary]
        parts = [(name, sub.source, converter(sub, target)) for name, sub in summary]
        if (built := as_json(parts, target)) is not None:
            self.json.add_many_to_many(field.field_name, relation, built)

        def load(page: list[Row], public: bool) -> dict[int, list[Any]]:
            found: dict[int, list[Any]] = defaultdict(list)
            for row in queries[public].rows([row["pk"] for row in page]):
                found[row[owner]].append(_summary(row, parts))
            return found

        def build(public: bool):
            def targets(ids):
                rows = target._default_manager.filter(**{f"{owner}__in": ids})
                return (gate.published(rows) if public else rows).values(owner, *columns)

            return IdQuery(target, targets)

        queries = {False: build(False), True: build(True)}
        return load

    def _link_rows_loader(self, field: serializers.ListSerializer):
        """Link rows (citations, participants, parties, contractors) of the whole page.

        The records they link to (a participant's actor, a citation's source) are
        read by key afterwards, not joined: joined, PostgreSQL hashed the whole
        actors table for a page of exercises once it had 20,000 actors.
        """
        relation = self.model._meta.get_field(field.source)
        link_model = relation.related_model
        owner = relation.field.attname
        columns: list[str] = [owner]
        plain: list[tuple[str, Render]] = []
        linked: list[tuple[str, str, SummaryLookup]] = []
        # The same link rows as PostgreSQL would build them (``json_links``), while
        # every value goes to JSON as the database holds it.
        json_plain: dict[str, str] | None = {}
        for name, sub in field.child.fields.items():
            if isinstance(sub, FuzzyDateField):
                parts = [sub.field_name + suffix for suffix in ("", "_precision", "_qualifier")]
                columns += parts
                plain.append((name, _fuzzy_render(parts)))
                json_plain = None
                continue
            if isinstance(sub, SummaryField):
                lookup = SummaryLookup(link_model, sub)
                columns.append(lookup.column)
                linked.append((name, lookup.column, lookup))
                if lookup.as_json is None:
                    json_plain = None
                continue
            _check_plain(sub, link_model)
            columns.append(sub.source)
            plain.append((name, _plain_render(sub, sub.source, link_model)))
            if json_plain is not None and converter(sub, link_model) is None:
                json_plain[name] = sub.source
            else:
                json_plain = None
        names = [name for name, _ in field.child.fields.items()]
        if json_plain is not None:
            self.json.add_link_rows(
                field.field_name,
                relation,
                names,
                plain=json_plain,
                linked={name: (lookup.relation.name, lookup.as_json) for name, _, lookup in linked},
            )

        def load(page: list[Row], public: bool) -> dict[int, list[Any]]:
            rows = query.rows([row["pk"] for row in page])
            summaries = [
                (name, column, lookup.load((row[column] for row in rows), public))
                for name, column, lookup in linked
            ]
            found: dict[int, list[Any]] = defaultdict(list)
            for row in rows:
                item = {name: render(row, {}) for name, render in plain}
                hidden = False
                for name, column, by_key in summaries:
                    item[name] = None if row[column] is None else by_key.get(row[column])
                    # A link row to a record the reader may not see is left out whole.
                    hidden = hidden or (row[column] is not None and item[name] is None)
                if not hidden:
                    found[row[owner]].append({name: item[name] for name in names})
            return found

        # Each owner's rows in order; the owners' order does not matter (grouped above).
        order = order_within_owner(link_model, owner)
        query = IdQuery(
            link_model,
            lambda ids: (
                link_model._default_manager.filter(**{f"{owner}__in": ids})
                .order_by(*order)
                .values(*columns)
            ),
        )
        return load


class SummaryLookup:
    """The summaries (``{slug, name}``) of the records a foreign key of ``model`` points at."""

    def __init__(self, model: type[models.Model], field: SummaryField):
        relation = model._meta.get_field(field.source)
        self.relation, self.column = relation, relation.attname
        self.target = target = relation.related_model
        self.parts = [(n, sub.source, converter(sub, target)) for n, sub in summary_fields(field)]
        #: The summary as PostgreSQL can build it (``json_links``), or None.
        self.as_json = as_json(self.parts, target)
        columns = [c for _, c, _ in self.parts]
        self.queries = {
            False: IdQuery(
                target,
                lambda ids: target._default_manager.filter(pk__in=ids).values("pk", *columns),
            ),
            True: IdQuery(
                target,
                lambda ids: gate.published(target._default_manager.filter(pk__in=ids)).values(
                    "pk", *columns
                ),
            ),
        }

    def load(self, keys: Iterable[Any], public: bool = False) -> dict[Any, dict[str, Any]]:
        """``{key: summary}`` for the given keys (None skipped), in one query;
        ``public``: only of published records (the others are missing)."""
        rows = self.queries[public].rows(sorted(set(keys) - {None}))
        return {row["pk"]: _summary(row, self.parts) for row in rows}


class IdQuery:
    """A ``values()`` query over a list of ids, compiled by Django once per list length.

    For a page of 100 records, building and compiling a link query with the ORM
    cost about as much as PostgreSQL took to plan and run it. The SQL Django
    writes for ``n`` ids differs from page to page only in its parameters, so
    it is kept (per database and ``n``) and run with the next page's ids; the
    columns' converters are applied as Django's values() applies them. The ids
    may stand anywhere among the parameters, once, between constants of the
    query's own (the gate's ``published``); a query where they cannot be found
    exactly once is never reused.
    """

    def __init__(self, model: type[models.Model], build: Callable[[list[int]], QuerySet]):
        self.model, self.build = model, build
        self.compiled: dict[tuple[str, int], tuple[CompiledValues, list, list] | None] = {}

    def rows(self, ids: list[int]) -> list[Row]:
        """The rows for ``ids``, as dicts keyed like values()."""
        if not ids:
            return []
        alias = router.db_for_read(self.model)
        key = (alias, len(ids))
        if key not in self.compiled:
            compiled = compile_values(self.build(ids).using(alias))
            params, n = list(compiled.params), len(ids)
            # Constants that do not depend on the ids, the ids, constants again.
            found = [i for i in range(len(params) - n + 1) if params[i : i + n] == list(ids)]
            self.compiled[key] = (
                (compiled, params[: found[0]], params[found[0] + n :]) if len(found) == 1 else None
            )
        entry = self.compiled[key]
        if entry is None:
            return list(self.build(ids).using(alias))
        compiled, head, tail = entry
        connection = connections[alias]
        with connection.cursor() as cursor:
            prepared.execute(connection, cursor, compiled.sql, [*head, *ids, *tail])
            rows = cursor.fetchall()
        if compiled.converters:
            # With this thread's connection, as Django's own values() would.
            rows = [convert_row(row, compiled.converters, connection) for row in rows]
        return [dict(zip(compiled.names, row, strict=True)) for row in rows]


def as_json(
    parts: list[tuple[str, str, Callable[[Any], Any] | None]], target: type[models.Model]
) -> list[tuple[str, str]] | None:
    """A summary's (key, column) pairs if PostgreSQL can build it as the serializer shows
    it (every value as the database holds it, a record type to gate), else None."""
    if not JSONLinks.can_build(target) or any(rep is not None for _, _, rep in parts):
        return None
    return [(name, column) for name, column, _ in parts]


def _summary(row: Row, parts: list[tuple[str, str, Callable[[Any], Any] | None]]) -> dict[str, Any]:
    # (output name, column, converter or None) of each summary field; None stays None.
    return {
        name: (row[c] if rep is None or row[c] is None else rep(row[c])) for name, c, rep in parts
    }


#: DRF's representations that hand back a value of the column's own type as it is
#: (``str(text)`` is ``text``), by the Python type the database gives the column.
UNCHANGED: dict[Callable[..., Any], type] = {
    serializers.CharField.to_representation: str,
    serializers.IntegerField.to_representation: int,
    serializers.BooleanField.to_representation: bool,
}
#: Model field types whose values the database gives as these Python types.
COLUMN_TYPES: dict[str, type] = {
    **dict.fromkeys(("CharField", "TextField", "SlugField", "URLField", "EmailField"), str),
    **dict.fromkeys(
        (
            "IntegerField",
            "SmallIntegerField",
            "BigIntegerField",
            "PositiveIntegerField",
            "PositiveSmallIntegerField",
            "PositiveBigIntegerField",
        ),
        int,
    ),
    "BooleanField": bool,
}


def converter(field: serializers.Field, model: type[models.Model]) -> Callable[[Any], Any] | None:
    """``field.to_representation`` for a column of ``model``, or None where it changes nothing.

    Calling DRF for every text and number of a page was a tenth of its time.
    A choice field hands back its choice's key, the value itself when the
    keys are of the column's type.
    """
    column_type = COLUMN_TYPES.get(model._meta.get_field(field.source).get_internal_type())
    method = type(field).to_representation
    if column_type is None:
        return field.to_representation
    if UNCHANGED.get(method) is column_type:
        return None
    if method is serializers.ChoiceField.to_representation and all(
        isinstance(key, column_type) for key in field.choices
    ):
        return None
    return field.to_representation


def _check_plain(field: serializers.Field, model: type[models.Model]) -> None:
    """Refuse, when compiling, a field that is not one column of ``model``."""
    if isinstance(field, relations.RelatedField | serializers.BaseSerializer):
        raise TypeError(f"PageReader cannot read {type(field).__name__} {field.field_name!r}")
    model._meta.get_field(field.source)  # FieldDoesNotExist for a computed attribute


def _fuzzy_render(columns: list[str]) -> Render:
    # A fuzzy date's three columns of a link row, shown as the API shows every date.
    date, precision, qualifier = columns
    return lambda row, loaded: fuzzy_date_representation(
        FuzzyDate(row[date], row[precision], row[qualifier])
    )


def _plain_render(field: serializers.Field, column: str, model: type[models.Model]) -> Render:
    # As DRF's Serializer.to_representation: None stays None, unformatted.
    to_representation = converter(field, model)
    if to_representation is None:
        return lambda row, loaded: row[column]
    if isinstance(field, serializers.DateTimeField) and drf_datetime_writes_default_iso(field):
        to_representation = _utc_iso(to_representation)
    return lambda row, loaded: None if row[column] is None else to_representation(row[column])


def _utc_iso(fallback: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """DRF's ISO 8601 output (``...T03:04:05.123456Z``) for UTC timestamps in the UTC zone.

    The database hands back UTC timestamps; DRF converts each to the current
    zone before writing it, a quarter of the time of a page's two timestamps
    per record. The zone is looked up once a page (:data:`PAGE_IN_UTC`): per
    value, the lookup cost more than the writing. Anything else goes to DRF's
    own method.
    """

    def represent(value):
        if value.tzinfo is dt.UTC and PAGE_IN_UTC.get():
            return drf_utc_iso(value)
        return fallback(value)

    return represent


def summary_fields(field: SummaryField) -> list[tuple[str, serializers.Field]]:
    """The plain fields of a link's summary (``slug``, ``name``, ...)."""
    fields = list(field.summary_serializer().fields.items())
    for name, sub in fields:
        if isinstance(sub, relations.RelatedField | serializers.BaseSerializer):
            raise TypeError(f"PageReader cannot read {type(sub).__name__} {name!r} in a summary")
    return fields


@cache
def reader_for(serializer_class: type[serializers.ModelSerializer]) -> PageReader:
    """The compiled reader of a serializer class (compiled once per process)."""
    return PageReader(serializer_class)

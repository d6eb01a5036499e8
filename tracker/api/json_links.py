"""A list page's links built as JSON by PostgreSQL, all of them in one query.

The page reader (:mod:`tracker.api.readers`) reads each list of links with a
query of its own: a statements page sent nine, and the round trips and the
shaping of their rows in Python were most of the page's time. On PostgreSQL,
the links whose every value goes to JSON as the database holds it (text,
numbers, true/false; no dates to format) are built there instead, as the
serializer would show them, in one query by the page's keys:

* a list of links (what a statement concerns, citations, participants) as
  ``ARRAY_TO_JSON(ARRAY(SELECT json_build_object(...) ... ORDER BY <ordering>))``;
* a record's own link (speaker, supplier) as one ``json_build_object`` of the
  linked record, or ``NULL``;
* a link row's own link (a citation's source) nested in its object.

The reader still decides what each field is: this module only gets the field
names and columns the reader compiled from the serializer, so the serializer
stays the one description of a record's shape. Links with a date or a value
to format stay with the reader's own loaders, on every engine. For the public
(``public``), the same gate as the loaders: a list leaves out links to
records that are not published, and a record's own link to one reads ``null``.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from django.contrib.postgres.expressions import ArraySubquery
from django.db import models
from django.db.backends.postgresql.psycopg_any import is_psycopg3
from django.db.models import Case, F, OuterRef, Q, Subquery, Value, When

from .. import public as gate

#: A key of a JSON object, written into the SQL as a literal (so that the query's
#: parameters are the page's keys and a few constants, and it can be reused).
KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class JSONBuildObject(models.Func):
    """``json_build_object('key', value, ...)``: keys in the given order.

    Django's own ``JSONObject`` builds ``jsonb`` on PostgreSQL, which reorders
    the keys; a ``json`` object keeps them as the serializer orders them, and
    psycopg2 hands it back as a dict.
    """

    function = "JSON_BUILD_OBJECT"
    output_field = models.Field()

    def __init__(self, **fields: Any):
        for key in fields:
            if not KEY.fullmatch(key):
                raise ValueError(f"not a plain JSON key: {key!r}")
        self.keys = list(fields)
        super().__init__(*fields.values())

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for key, expression in zip(self.keys, self.get_source_expressions(), strict=True):
            sql, expression_params = compiler.compile(expression)
            parts.append(f"'{key}', {sql}")
            params.extend(expression_params)
        return f"{self.function}({', '.join(parts)})", params


Summary = list[tuple[str, str]]
"""A linked record's summary: (JSON key, column of the linked record) per value."""


class JSONLinks:
    """The links of one model's page that PostgreSQL builds, and the query that reads them."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        #: Output name -> builder of the column's expression (``public`` -> expression).
        self.lists: dict[str, Any] = {}
        #: Output name -> (the record's foreign key column, expression builder).
        self.singles: dict[str, tuple[str, Any]] = {}

    def __bool__(self) -> bool:
        return bool(self.lists or self.singles)

    @staticmethod
    def can_build(target: type[models.Model]) -> bool:
        """Whether links to ``target`` can be gated here (a record type with a status)."""
        return gate.is_record_model(target)

    def add_many_to_many(self, name: str, relation, summary: Summary) -> None:
        """A list of linked records (``about_actors``), each as its summary."""
        target, owner = relation.related_model, relation.related_query_name()

        def build(public: bool):
            rows = target._default_manager.filter(**{owner: OuterRef("pk")})
            if public:
                rows = rows.filter(gate.is_published())
            return _array(rows.values(json=_object(summary)))

        self.lists[name] = build

    def add_link_rows(
        self,
        name: str,
        relation,
        keys: list[str],
        plain: dict[str, str],
        linked: dict[str, tuple[str, Summary]],
    ) -> None:
        """A list of link rows (citations), in ``keys`` order: ``plain`` keys to columns of
        the link row, ``linked`` keys to (relation, summary) of a record it names."""
        link_model, owner = relation.related_model, relation.field.name

        def value(key: str):
            if key in plain:
                return F(plain[key])
            path, summary = linked[key]
            built = _object(summary, prefix=f"{path}__")
            # A link row without this link (null) shows null, not an object of nulls.
            return Case(
                When(**{f"{path}__isnull": True}, then=Value(None)),
                default=built,
                output_field=models.Field(),
            )

        order = order_within_owner(link_model, owner)

        def build(public: bool):
            rows = link_model._default_manager.filter(**{owner: OuterRef("pk")}).order_by(*order)
            if public:
                # A link row naming a record the reader may not see is left out whole.
                for path, _ in linked.values():
                    rows = rows.filter(Q(**{f"{path}__isnull": True}) | gate.is_published(path))
            return _array(rows.values(json=JSONBuildObject(**{key: value(key) for key in keys})))

        self.lists[name] = build

    def add_foreign_key(
        self, name: str, column: str, target: type[models.Model], summary: Summary
    ) -> None:
        """A record's own link (``speaker``), as its summary or null."""

        def build(public: bool):
            # One row by its key: no ordering (the model's would be a sort per record).
            rows = target._default_manager.filter(pk=OuterRef(column)).order_by()
            if public:
                rows = rows.filter(gate.is_published())
            return Subquery(rows.values(json=_object(summary))[:1], output_field=models.Field())

        self.singles[name] = (column, build)

    def query(self, public: bool, ids: list[int]) -> models.QuerySet:
        """Every link of the records ``ids``: one JSON object per record, by output name.

        One object per row rather than a column per link: psycopg2 parses each
        ``json`` value it receives, and parsing one per row cost a third of what
        parsing an array of objects per link did.
        """
        links = {name: build(public) for name, build in self.lists.items()}
        links |= {name: build(public) for name, (_, build) in self.singles.items()}
        fields = [column for column, _ in self.singles.values()]
        # No ordering: the rows are matched to the page's by key.
        return (
            self.model._default_manager.filter(pk__in=ids)
            .order_by()
            .values("pk", *fields, json_links=JSONBuildObject(**links))
        )

    def shape(self, rows: list[dict]) -> dict[str, dict[Any, Any]]:
        """The query's rows as the reader's loaded links: ``{name: {key: value}}``."""
        loaded: dict[str, dict[Any, Any]] = {}
        for name in self.lists:
            loaded[name] = {row["pk"]: row["json_links"][name] for row in rows}
        for name, (column, _) in self.singles.items():
            loaded[name] = {row[column]: row["json_links"][name] for row in rows}
        return loaded


def parse_json_with_orjson(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: psycopg2 parses ``json`` values with orjson.

    The tracker reads ``json`` in two places: the links built here, and the plans
    of ``EXPLAIN (FORMAT JSON)`` (``counting.plan_estimate``, ``substrings``); Django's
    ``JSONField`` is ``jsonb``, which Django's backend leaves unparsed. Parsing the
    links was a quarter of their query's time: 5.7 -> 4.2 ms for a page of 100
    statements at a million. Both parse to the same values as with ``json.loads``:
    text, integers within 64 bits, true/false, null (a plan's row estimates are
    read with ``int()``).
    """
    if connection.vendor != "postgresql" or is_psycopg3:
        return
    from psycopg2.extras import register_default_json

    register_default_json(conn_or_curs=connection.connection, loads=orjson.loads)


def order_within_owner(model: type[models.Model], owner: str) -> list[str]:
    """``model``'s ordering among the rows of one ``owner`` (a foreign key's name).

    The terms on the owner are the same for all of one owner's rows, so they are
    left out: ordering by them joined the owner's table for its own ordering
    (an exercise's date and slug for each of its participants).
    """
    field = model._meta.get_field(owner)
    own = {field.name, field.attname}
    order = [term for term in model._meta.ordering if term.lstrip("-").split("__")[0] not in own]
    return order or ["pk"]


def _array(rows: models.QuerySet) -> models.Func:
    # ARRAY(subquery) keeps the subquery's order; as one json array, not json[].
    return models.Func(ArraySubquery(rows), function="ARRAY_TO_JSON", output_field=models.Field())


def _object(summary: Summary, prefix: str = "") -> JSONBuildObject:
    return JSONBuildObject(**{key: F(prefix + column) for key, column in summary})

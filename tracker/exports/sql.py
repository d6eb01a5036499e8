"""The PostgreSQL export path: a table's file written by one ``COPY ... TO STDOUT``.

The Python path (:mod:`tracker.exports.tables`) reads rows in chunks and formats
each cell in Python; on a million statements that is a few thousand rows per
second. Here the same declaration of each column (:class:`~.columns.Column`, its
``sql`` source, declared with its getter) is compiled to one SQL expression that
yields the finished cell, and PostgreSQL writes the whole file in one ``COPY``,
with the many-valued links read by hash-aggregated subqueries joined once.

The output is byte-identical to the Python path's (``tests/test_export_identity.py``
compares them file by file):

* **Cells.** Each expression ends as :func:`~.cells.format_cell` would: dates and
  timestamps by ``to_char`` in the ISO forms, booleans ``true``/``false``,
  decimals as PostgreSQL's ``numeric`` text (the scale of the column, as psycopg2
  hands Python its ``Decimal``), text neutralised against formulas. Columns of
  few values (labels, precision words, countries) run the column's own Python
  getter over the distinct values found and become a ``CASE``; the display of a
  fuzzy date is compiled from :meth:`~tracker.dates.FuzzyDate.display` by probing
  it (one template per precision and qualifier, checked on a second date).
* **Empty cells.** Every empty cell is SQL ``NULL``: COPY writes NULL as nothing and
  an empty string as ``""``, the csv module writes both as nothing.
* **Quoting.** COPY's CSV mode quotes a value holding the delimiter, the quote, CR
  or LF and doubles quotes: the csv module's ``QUOTE_MINIMAL`` rule for our
  dialect. Only the row terminator differs (``\\n``): :class:`CrlfWriter` turns
  each terminator outside quotes into ``\\r\\n`` and leaves line breaks inside
  quoted cells alone.
* **Order.** Rows by primary key, link values by the link rows' key, as the
  Python path; no collation is involved.

A table with a column that has no SQL source (the citations' record type, the
statement links, which expand one row into many) is written by the Python path.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import IO, Any

from django.db import connections, models, router, transaction
from django.db.models import QuerySet

from .. import public as gate
from ..dates import MONTH_NAMES, FuzzyDate, Precision, Qualifier
from .cells import (
    BOOLEAN,
    DATE,
    DATETIME,
    DELIMITER,
    INJECTION_PREFIX,
    INJECTION_TRIGGERS,
    STRING,
    cell_formatter,
    csv_writer,
)
from .columns import Column, FieldPath, Flagged, FuzzyDisplay, Joined, Lookup
from .tables import Table

#: More distinct values than this and a Lookup column is not compiled (a CASE
#: is a linear scan per row).
LOOKUP_LIMIT = 1000


class NotCompilable(Exception):
    """A table (or column) the SQL path cannot write byte-identically."""


def reading_connection():
    """The connection the export reads, as :func:`snapshot.consistent_read` chose it: a
    read replica when ``export_csv`` picked one (tracker.routing), ``default`` otherwise."""
    from ..models import DeletedRecord

    return connections[router.db_for_read(DeletedRecord)]


def can_copy(table: Table) -> bool:
    """Whether ``table`` can be written by :func:`copy_table` on this database."""
    return (
        reading_connection().vendor == "postgresql"
        and table.expand is None
        and len(table.columns) > 1  # the csv module writes a lone empty cell as ""
        and all(column.sql is not None for column in table.columns)
    )


def _literal(value: Any) -> str:
    # A Python value as an SQL literal, quoted by the driver.
    with reading_connection().cursor() as cursor:
        return cursor.mogrify("%s", [value]).decode()


def _neutralised(expr: str) -> str:
    # cells._string_cell on text: prefix a formula-like first character (compared
    # as code points: cheaper than text, and ascii('') is 0).
    triggers = ", ".join(str(ord(t)) for t in INJECTION_TRIGGERS)
    prefix = _literal(INJECTION_PREFIX)
    return f"(CASE WHEN ascii({expr}) IN ({triggers}) THEN {prefix} || {expr} ELSE {expr} END)"


class _Query:
    """The FROM clause of a table's query: the model's table and the joins its paths need."""

    def __init__(self, model: type[models.Model], public: bool = False):
        self.model = model
        #: Only what anonymous readers see: a linked record that is not published
        #: is not joined, so its fields are empty (as Table.iter_chunks blanks them).
        self.public = public
        self.joins: list[str] = []
        self._aliases: dict[tuple[str, ...], str] = {(): "t0"}

    def alias(self, model: type[models.Model], relations: tuple[str, ...]) -> str:
        """The alias of the table reached from the model by the foreign keys ``relations``."""
        if relations in self._aliases:
            return self._aliases[relations]
        parent = self.alias(model, relations[:-1])
        owner = self._model_at(relations[:-1])
        field = owner._meta.get_field(relations[-1])
        if not field.many_to_one:
            raise NotCompilable(f"{relations[-1]} is not a foreign key")
        target = field.related_model
        alias = f"t{len(self._aliases)}"
        self.joins.append(
            f'LEFT JOIN "{target._meta.db_table}" {alias} '
            f'ON {alias}."{field.target_field.column}" = {parent}."{field.column}"'
            f"{published_condition(alias, target) if self.public else ''}"
        )
        self._aliases[relations] = alias
        return alias

    def _model_at(self, relations: tuple[str, ...]) -> type[models.Model]:
        model = self.model
        for name in relations:
            model = model._meta.get_field(name).related_model
        return model

    def field(self, path: str) -> tuple[str, models.Field]:
        """``(SQL column reference, model field)`` of a field path (``parent__slug``)."""
        *relations, name = path.split("__")
        owner = self._model_at(tuple(relations))
        field = owner._meta.get_field(name)
        return f'{self.alias(self.model, tuple(relations))}."{field.column}"', field


def published_condition(alias: str, model: type[models.Model]) -> str:
    """`` AND alias.publication_status = 'published'`` for a record table, else nothing."""
    if not gate.is_record_model(model):
        return ""
    return f' AND {alias}."publication_status" = {_literal(gate.PUBLISHED)}'


def _typed_cell(expr: str, field: models.Field, kind: str) -> str:
    # format_cell's text for a value of ``field`` read by ``expr``.
    internal = field.get_internal_type()
    if internal == "BooleanField":
        return f"(CASE WHEN {expr} THEN 'true' WHEN NOT {expr} THEN 'false' END)"
    if internal == "DateTimeField":
        return f"""to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
    if internal == "DateField":
        return f"to_char({expr}, 'YYYY-MM-DD')"
    if internal in {"CharField", "TextField", "SlugField", "URLField", "EmailField"}:
        return _neutralised(expr) if kind == STRING else expr
    if internal in {
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "BigIntegerField",
        "AutoField",
        "BigAutoField",
        "DecimalField",
    }:
        # A number as text; a STRING column of numbers is neutralised as Python does.
        return _neutralised(f"{expr}::text") if kind == STRING else f"{expr}::text"
    if internal == "JSONField" and kind == STRING:
        # A list (aliases) is joined as _string_cell joins a list, item by item; the
        # model only admits lists of text (other JSON would be written as SQL text).
        item = _neutralised("e")
        scalar = _neutralised(f"({expr} #>> '{{}}')")
        return (
            f"(CASE jsonb_typeof({expr}) WHEN 'array' THEN (SELECT string_agg("
            f"COALESCE({item}, ''), {_literal(DELIMITER)} ORDER BY n) FROM "
            f"jsonb_array_elements_text({expr}) WITH ORDINALITY AS a(e, n)) "
            f"WHEN 'string' THEN {scalar} "
            f"WHEN 'null' THEN NULL ELSE {expr}::text END)"
        )
    if kind in {DATE, DATETIME, BOOLEAN}:
        raise NotCompilable(f"{field.name}: {internal} as {kind}")
    # Other text-like fields (countries) are stored as text.
    return _neutralised(f"{expr}::text") if kind == STRING else f"{expr}::text"


def _lookup(column: Column, query: _Query, table: Table) -> str:
    # Run the column's own getter and formatter over each distinct stored value.
    expr, _field = query.field(column.sql.path)
    values = list(
        table.model._default_manager.order_by()
        .values_list(column.sql.path, flat=True)
        .distinct()[: LOOKUP_LIMIT + 1]
    )
    if len(values) > LOOKUP_LIMIT:
        raise NotCompilable(f"{column.name}: more than {LOOKUP_LIMIT} values")
    write = cell_formatter(column.type)

    def cell(value: Any) -> str:
        return write(column.get({column.sql.path: value}))

    whens = [f"WHEN {expr} IS NULL THEN {_literal(cell(None))}"]
    whens += [
        f"WHEN {expr} = {_literal(value)} THEN {_literal(cell(value))}"
        for value in values
        if value is not None
    ]
    return f"(CASE {' '.join(whens)} END)"


#: A date whose day, month and year are told apart in any display, and one to check.
_PROBE, _CHECK = dt.date(2011, 12, 28), dt.date(1987, 3, 5)


def _template(precision: int | None, qualifier: str) -> list[tuple[str, str]]:
    # display() of the probe date as parts: ("text", ...), ("day"|"month"|"year", "").
    text = FuzzyDate(_PROBE, precision, qualifier).display()
    parts: list[tuple[str, str]] = [("text", text)]
    for token, kind in ((str(_PROBE.year), "year"), (MONTH_NAMES[11], "month"), ("28", "day")):
        split: list[tuple[str, str]] = []
        for part_kind, part in parts:
            if part_kind != "text":
                split.append((part_kind, part))
                continue
            pieces = part.split(token)
            for index, piece in enumerate(pieces):
                if index:
                    split.append((kind, ""))
                if piece:
                    split.append(("text", piece))
        parts = split
    # The template must give display() of another date too, or the probe was fooled.
    values = {"day": str(_CHECK.day), "month": MONTH_NAMES[_CHECK.month - 1]}
    values["year"] = str(_CHECK.year)
    rendered = "".join(part if kind == "text" else values[kind] for kind, part in parts)
    if rendered != FuzzyDate(_CHECK, precision, qualifier).display():
        raise NotCompilable(f"display of precision {precision}, qualifier {qualifier!r}")
    return parts


def _display(column: Column, query: _Query) -> str:
    source = column.sql
    value, _ = query.field(source.name)
    precision, _ = query.field(source.precision)
    qualifier, _ = query.field(source.qualifier)
    months = "ARRAY[" + ", ".join(_literal(m) for m in MONTH_NAMES) + "]"
    piece = {
        "day": f"extract(day FROM {value})::int::text",
        "month": f"({months})[extract(month FROM {value})::int]",
        "year": f"extract(year FROM {value})::int::text",
    }

    def render(precision_value: int | None, qualifier_value: str) -> str:
        parts = _template(precision_value, qualifier_value)
        return " || ".join(_literal(p) if kind == "text" else piece[kind] for kind, p in parts)

    def by_qualifier(precision_value: int | None) -> str:
        whens = [
            f"WHEN {qualifier} = {_literal(q)} THEN {render(precision_value, q)}"
            for q in Qualifier.values
        ]
        # An unknown qualifier: display() gives the plain form.
        return f"CASE {' '.join(whens)} ELSE {render(precision_value, '?')} END"

    whens = [f"WHEN {precision} = {int(p)} THEN {by_qualifier(int(p))}" for p in Precision.values]
    text = f"CASE WHEN {value} IS NULL THEN NULL {' '.join(whens)} ELSE {by_qualifier(None)} END"
    return _neutralised(f"({text})")


def _joined(column: Column, query: _Query, table: Table, index: int) -> str:
    # The hash-aggregated link values, joined once to the table by the owner's key.
    links = [attach.link for attach in table.attach if hasattr(attach, "link")]
    link = next((link for link in links if link.key == column.sql.key), None)
    if link is None:
        raise NotCompilable(f"{column.name}: no link loader for {column.sql.key}")
    model = link.model
    owner = model._meta.get_field(link.owner_field)
    relation, _, rest = link.value_field.partition("__")
    target_field = model._meta.get_field(relation)
    if rest != "slug" or not target_field.many_to_one:
        raise NotCompilable(f"{column.name}: {link.value_field}")
    target = target_field.related_model
    slug = _neutralised("x.slug")
    alias = f"j{index}"
    if column.sql.distinct:
        # Each target once, at its first link, in link order (dict.fromkeys).
        inner = (
            f'SELECT l."{owner.column}" AS owner, l."{target_field.column}" AS value, '
            f'min(l."{model._meta.pk.column}") AS first '
            f'FROM "{model._meta.db_table}" l WHERE l."{owner.column}" IS NOT NULL '
            f'GROUP BY l."{owner.column}", l."{target_field.column}"'
        )
        order = "l.first"
    else:
        inner = (
            f'SELECT l."{owner.column}" AS owner, l."{target_field.column}" AS value, '
            f'l."{model._meta.pk.column}" AS first FROM "{model._meta.db_table}" l '
            f'WHERE l."{owner.column}" IS NOT NULL'
        )
        order = "l.first"
    # string_agg(... ORDER BY) sorts each group apart (a million small sorts); here
    # the links come sorted by owner and link order from a subquery (which
    # PostgreSQL never flattens, having an ORDER BY) and are aggregated in that
    # order. copy_table turns parallel plans off: partial aggregates could be
    # combined in any order.
    query.joins.append(
        f"LEFT JOIN (SELECT s.owner, string_agg(s.slug, {_literal(DELIMITER)}) AS cell "
        f"FROM (SELECT l.owner, COALESCE({slug}, '') AS slug FROM ({inner}) l "
        f'JOIN "{target._meta.db_table}" x ON x."{target._meta.pk.column}" = l.value'
        f"{published_condition('x', target) if query.public else ''} "
        f"ORDER BY l.owner, {order}) s GROUP BY s.owner) {alias} "
        f'ON {alias}.owner = t0."{table.model._meta.pk.column}"'
    )
    return f"{alias}.cell"


def _flagged(column: Column, query: _Query, index: int) -> str:
    # The marked records' keys, each once, joined to the table by key.
    rows = column.sql.rows(query.public).order_by().values(column.sql.owner).distinct()
    inner, params = rows.query.sql_with_params()
    with reading_connection().cursor() as cursor:
        inner = cursor.mogrify(inner, params).decode()
    alias = f"f{index}"
    query.joins.append(
        f"LEFT JOIN (SELECT DISTINCT q.owner FROM ({inner}) q(owner)) {alias} "
        f'ON {alias}.owner = t0."{query.model._meta.pk.column}"'
    )
    yes, no = (_literal(cell_formatter(BOOLEAN)(flag)) for flag in (True, False))
    return f"(CASE WHEN {alias}.owner IS NULL THEN {no} ELSE {yes} END)"


def compile_select(table: Table, queryset: QuerySet | None = None, public: bool = False) -> str:
    """The SELECT whose rows are ``table``'s cells, each SQL NULL where the cell is empty.

    ``public``: the rows and links anonymous readers may see, as
    ``Table.iter_rows(public=True)`` gives them (:mod:`tracker.public`).
    Raises :class:`NotCompilable` if a column cannot be written exactly.
    """
    if not can_copy(table):
        raise NotCompilable(table.name)
    if public:
        queryset = gate.published(
            table.model._default_manager.all() if queryset is None else queryset
        )
    query = _Query(table.model, public)
    cells = []
    for index, column in enumerate(table.columns):
        source = column.sql
        if isinstance(source, FieldPath):
            expr, field = query.field(source.path)
            cell = _typed_cell(expr, field, column.type)
        elif isinstance(source, Lookup):
            cell = _lookup(column, query, table)
        elif isinstance(source, FuzzyDisplay):
            cell = _display(column, query)
        elif isinstance(source, Joined):
            cell = _joined(column, query, table, index)
        elif isinstance(source, Flagged):
            cell = _flagged(column, query, index)
        else:
            raise NotCompilable(column.name)
        cells.append(f"NULLIF({cell}, '')")
    pk = f't0."{table.model._meta.pk.column}"'
    where = ""
    if queryset is not None:
        # Without the model's ordering: the rows are ordered by key below, and a
        # subquery kept in date order sorted every statement for nothing (1M: 44 MB
        # sorted on disk, then sorted again by key for the join).
        inner, params = queryset.order_by().values("pk").query.sql_with_params()
        with reading_connection().cursor() as cursor:
            where = f"WHERE {pk} IN ({cursor.mogrify(inner, params).decode()})"
    return (
        f'SELECT {", ".join(cells)} FROM "{table.model._meta.db_table}" t0 '
        f"{' '.join(query.joins)} {where} ORDER BY {pk}"
    )


class CrlfWriter:
    """A binary file for COPY's output that ends rows with ``\\r\\n`` as the csv module does.

    COPY ends each row with ``\\n``; a line break inside a quoted cell is data. A
    ``"`` toggles between inside and outside quotes (quotes inside a cell come
    doubled), so a ``\\n`` is a row end exactly when an even number of quotes
    precede it. Counts the rows written.
    """

    def __init__(self, out: IO[bytes]):
        self.out = out
        self.inside = False
        self.rows = 0

    def write(self, data: bytes) -> int:
        """Write ``data`` (any part of COPY's output) with row ends as ``\\r\\n``."""
        if not self.inside and b'"' not in data:
            self.rows += data.count(b"\n")
            self.out.write(data.replace(b"\n", b"\r\n"))
            return len(data)
        pieces = data.split(b"\n")
        out = []
        for piece in pieces[:-1]:
            if piece.count(b'"') & 1:
                self.inside = not self.inside
            out.append(piece)
            if self.inside:
                out.append(b"\n")
            else:
                out.append(b"\r\n")
                self.rows += 1
        last = pieces[-1]
        if last.count(b'"') & 1:
            self.inside = not self.inside
        out.append(last)
        self.out.write(b"".join(out))
        return len(data)


def copy_table(
    table: Table,
    out: IO[bytes],
    queryset: QuerySet | None = None,
    *,
    bom: bool = False,
    public: bool = False,
) -> int:
    """Write ``table``'s CSV (header and rows) to the binary file ``out`` by one COPY.

    Returns the number of rows. Raises :class:`NotCompilable` (before writing
    anything) for a table the SQL path cannot write exactly.
    """
    select = compile_select(table, queryset, public)
    header = io.StringIO()
    csv_writer(header).writerow(table.header())
    out.write(("\ufeff" if bom else "").encode() + header.getvalue().encode())
    writer = CrlfWriter(out)
    connection = reading_connection()
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # JIT compiling the query's few hundred expressions took longer than running
        # it (46 of 91 s at a million statements, once per parallel worker).
        cursor.execute("SET LOCAL jit = off")
        # One process: link values are aggregated in their subquery's order (see
        # _joined), and on a busy server the workers each rebuilt every aggregate.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.copy_expert(f"COPY ({select}) TO STDOUT WITH (FORMAT csv)", writer)
    return writer.rows

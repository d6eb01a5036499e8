"""Counting a search's matches from an index alone, on PostgreSQL.

``icontains`` on a column is served by its trigram index (migrations 0002 and
0004), but a trigram index only proposes rows: each one is read again and
tested (``UPPER(text) LIKE '%WORD%'``). Counting the 3,726 statements of a
million that hold a word cost 44 ms, most of it that test, and it grows with
the matches, not with the page.

Each record table also has one GIN index (migration 0018) of every suffix of
every run of ASCII letters and digits in its own search columns, upper-cased and
cut to :data:`SUFFIX_LENGTH` characters: ``tracker_suffixes(text, occasion,
speaker_role)``. A word of ASCII letters and digits occurs in one of the columns
exactly when it begins one of those suffixes, so a prefix query (``'WORD':*``)
answers from the index, with nothing to test again.

Why this is the same as ``icontains``, for such a word ``w`` of at most
:data:`SUFFIX_LENGTH` characters: ``UPPER(col) LIKE '%W%'`` holds when ``W`` (ASCII
letters and digits only) lies in ``UPPER(col)``, hence inside one maximal run of
those characters in it; ``W`` then begins a suffix of that run, and being no
longer than the cut, begins the cut suffix too; the converse is as plain. The
function upper-cases each column as ``icontains`` does before splitting it.
Other words (shorter than 3 characters, longer than the cut, or holding a space,
a hyphen, a letter outside ASCII) keep the ``LIKE`` form.

The index form is for reads of every match (counting them, reading their keys:
:func:`answered_from_index`, each read's own plan checked by :func:`read_checked`).
A read that tests rows one by one (a page by its keys, a walk along an order
index) keeps the ``LIKE`` form: there the function would be computed for each
row, about 150 µs a statement. Other databases always use the ``LIKE`` form.
"""

from __future__ import annotations

import json

from django.db import connections
from django.db.models import BooleanField, Expression, F, JSONField, Model, QuerySet, TextField
from django.db.models.functions import Cast

from . import registry
from .internals import with_conditions_replaced

#: Characters of each suffix the index keeps; longer words are searched with ``LIKE``.
SUFFIX_LENGTH = 16
#: Shorter words keep ``LIKE`` too: a prefix of one or two characters begins most
#: suffixes of a table, and the trigram index does not serve them either.
SHORTEST_WORD = 3
FUNCTION = "tracker_suffixes"

#: The function the indexes are built on (migration 0018 creates it). IMMUTABLE, as
#: ``upper`` is: it depends on the text and the database's collation, as any index on
#: ``UPPER(text)`` does.
FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}(VARIADIC texts text[]) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT array_to_tsvector(coalesce(array_agg(left(substr(run, i), {SUFFIX_LENGTH})), '{{}}'))
  FROM regexp_split_to_table(
         upper(array_to_string(texts, ' ')),
         '[^ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789]+'
       ) AS run,
       generate_series(1, length(run)) AS i
$$
"""

_WORD_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


def indexed_columns(model: type[Model]) -> tuple[str, ...]:
    """The fields of ``model``'s own table its suffix index covers, in the index's order:
    the record type's ``search_fields`` (:mod:`tracker.registry`) that are not links."""
    for record_type in registry.RECORD_TYPES:
        if record_type.model is model:
            return tuple(
                name
                for name in record_type.search_fields
                if not model._meta.get_field(name.split("__")[0]).is_relation
            )
    return ()


def index_name(model: type[Model]) -> str:
    return f"{model._meta.db_table.removeprefix('tracker_')}_suffixes"


def index_sql(model: type[Model]) -> str:
    """``CREATE INDEX`` for ``model``'s suffix index (what migration 0018 runs)."""
    columns = []
    for name in indexed_columns(model):
        field = model._meta.get_field(name)
        columns.append(
            f'("{field.column}")::text' if isinstance(field, JSONField) else f'"{field.column}"'
        )
    return (
        f'CREATE INDEX IF NOT EXISTS "{index_name(model)}" ON "{model._meta.db_table}" '
        f"USING gin ({FUNCTION}({', '.join(columns)}))"
    )


def is_indexed_word(word: str) -> bool:
    """Whether the suffix index answers for ``word``: 3 to 16 ASCII letters or digits."""
    return SHORTEST_WORD <= len(word) <= SUFFIX_LENGTH and set(word) <= _WORD_CHARACTERS


class ContainedInColumns(Expression):
    """One of the model's indexed columns contains ``word``, case-insensitively.

    Written as the columns' ``icontains`` lookups OR-ed, as Django writes them;
    on PostgreSQL with ``from_index``, as the suffix index's prefix query.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, model: type[Model], word: str, from_index: bool = False):
        if not is_indexed_word(word):
            raise ValueError(f"not a word the suffix index answers for: {word!r}")
        super().__init__(output_field=BooleanField())
        self.word, self.from_index = word, from_index
        self.columns = [F(name) for name in indexed_columns(model)]

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def as_sql(self, compiler, connection):
        arms, params = [], []
        for column in self.columns:
            lookup = column.output_field.get_lookup("icontains")(column, self.word)
            sql, arm_params = compiler.compile(lookup)
            arms.append(sql)
            params.extend(arm_params)
        return f"({' OR '.join(arms)})", tuple(params)

    def as_postgresql(self, compiler, connection):
        if not self.from_index:
            return self.as_sql(compiler, connection)
        texts, params = [], []
        for column in self.columns:
            if isinstance(column.output_field, JSONField):
                column = Cast(column, TextField())
            sql, column_params = compiler.compile(column)
            texts.append(sql)
            params.extend(column_params)
        # ASCII letters and digits only: nothing to quote in a tsquery.
        return f"{FUNCTION}({', '.join(texts)}) @@ %s::tsquery", (*params, f"{self.word.upper()}:*")


def answered_from_index(queryset: QuerySet) -> QuerySet:
    """``queryset`` with its search words found from the suffix index, for a read of
    every match (on PostgreSQL; elsewhere, and without such words, as it is).

    Unless the planner would test the index form row by row: for a word in most of
    a table's rows it reads the table instead of the index, and then computes the
    suffixes of every row (statements searched for "ion" at 10,000, 93 % of them:
    1.6 s, against 20 ms with ``LIKE``). The plan of the read is asked first
    (``EXPLAIN``, about 1 ms) and such a queryset is returned as it is. Its
    estimate of the rows is kept on the queryset returned (``estimated_rows``).
    A read of the keys that is ordered, or limited below that estimate, may be
    planned otherwise: pass it through :func:`read_checked`.
    """
    if connections[queryset.db].vendor != "postgresql":
        return queryset
    indexed = _in_form(queryset, from_index=True)
    if indexed is None:
        return queryset
    rows, tests_rows = _plan(indexed.order_by().values("pk"))
    chosen = queryset.all() if tests_rows else indexed
    # The planner's estimate of the matches, which counting asks next
    # (counting.plan_estimate): the same rows either way.
    chosen.estimated_rows = rows
    return chosen


def read_checked(read: QuerySet, estimated_rows: int | None = None) -> QuerySet:
    """``read`` (keys of a queryset :func:`answered_from_index` returned, perhaps
    ordered and sliced) as it is, or in the ``LIKE`` form if its own plan would
    compute the suffixes row by row.

    A LIMIT or an ORDER BY changes what the planner weighs: with ``LIMIT n`` below
    the matches it expects, a scan of the table that stops after ``n`` of them can
    look cheaper than reading the whole index, and a walk along an order index
    stops early too; either tests each row it reads. An unordered read whose
    limit reaches ``estimated_rows`` (the estimate the unlimited plan gave) is
    planned as that one was and is not asked again.
    """
    if connections[read.db].vendor != "postgresql":
        return read
    like_form = _in_form(read, from_index=False)
    if like_form is None:
        return read  # nothing in the index form
    limit = read.query.high_mark
    if (
        not read.ordered
        and estimated_rows is not None
        and (limit is None or limit >= estimated_rows)
    ):
        return read
    return like_form if _plan(read)[1] else read


def in_index_form(queryset: QuerySet) -> QuerySet:
    """``queryset`` with its search words found from the suffix index, unchecked: for
    a read that :func:`read_checked` checks (on PostgreSQL; elsewhere as it is)."""
    if connections[queryset.db].vendor != "postgresql":
        return queryset
    indexed = _in_form(queryset, from_index=True)
    # Not `or`: a queryset's truth value runs it.
    return queryset if indexed is None else indexed


def _in_form(queryset: QuerySet, from_index: bool) -> QuerySet | None:
    """``queryset`` with every :class:`ContainedInColumns` in it read from the index
    or not; None if it holds none in the other form."""
    changed = []

    def in_form(condition: ContainedInColumns) -> ContainedInColumns:
        if condition.from_index == from_index:
            return condition
        clone = condition.copy()
        clone.from_index = from_index
        changed.append(clone)
        return clone

    replaced = with_conditions_replaced(queryset, ContainedInColumns, in_form)
    return replaced if changed else None


def _plan(read: QuerySet) -> tuple[int, bool]:
    """The planner's estimate of the rows ``read`` returns, and whether it computes
    the suffixes of rows (a condition on them outside an index: ``Filter``, not
    ``Recheck Cond``)."""
    explained = read.explain(format="json")
    if not explained:  # Django sends nothing where no row can match
        return 0, False
    plan = json.loads(explained)[0]["Plan"]
    nodes = [plan]
    while nodes:
        node = nodes.pop()
        if FUNCTION in node.get("Filter", "") or FUNCTION in node.get("Join Filter", ""):
            return int(plan["Plan Rows"]), True
        nodes.extend(node.get("Plans", []))
    return int(plan["Plan Rows"]), False

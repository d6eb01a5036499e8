"""Case-insensitive search over a record's own texts and its linked records' names.

``icontains`` on a column of the searched table is what the trigram indexes
(migrations 0002 and 0004) serve. A search field across a relation
(``speaker__name``) written the plain way adds a join, and an ``OR`` whose
arms lie in two tables cannot be answered from indexes: PostgreSQL then
reads every row. Here such a field becomes a condition on the searched
table's own column, ``speaker_id = ANY(ARRAY(SELECT id FROM actor WHERE
...))``: the array is computed once, and every arm of the ``OR`` is an index
condition, so the planner combines them in a bitmap scan. The rows matched
are the same as the plain ``icontains``; on other databases the condition is
the equivalent ``IN (subquery)``.

A list JSON field (actors' aliases) is searched in its JSON text, in both
forms the databases hold it in: PostgreSQL's jsonb prints non-ASCII letters
as they are, Django writes JSON on other databases with them escaped
(``\\u0420`` for ``Р``), so "Россия" finds an alias on either.

Picking from a search (the admin's autocomplete, the API's ``search``) ranks
the matches by their name: see :class:`SearchRank` and :func:`rank_by_name`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from contextlib import suppress

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Exists,
    Expression,
    F,
    Func,
    IntegerField,
    JSONField,
    ManyToManyField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Left, Upper
from django.db.models.lookups import Exact

from . import registry, substrings
from .internals import (
    annotation_of,
    compiled_sql,
    is_sliced,
    ordering_of,
    with_conditions_replaced,
    without_alias,
)
from .public import PUBLISHED, is_record_model
from .walked import walks_up_to


class AnyOf(Expression):
    """``column = ANY(ARRAY(subquery))`` on PostgreSQL, ``column IN (subquery)`` elsewhere;
    ``(column IN (subquery)) = true`` on PostgreSQL once :meth:`tested_per_row`.

    With several querysets, the column is in any of them: ``ANY(ARRAY(q1) ||
    ARRAY(q2))``, or ``IN`` each, OR-ed. A sliced queryset keeps its order (which
    rows its ``LIMIT`` takes); others lose theirs. A queryset that can match
    nothing (``none()``) adds nothing.

    Each queryset is compiled once per database, as a query of its own, and its
    SQL embedded as it stands: it refers to no row of the outer query (an
    ``OuterRef`` is not supported: Django refuses to compile it alone), and where
    it reads a table the outer query reads too, its own ``FROM`` hides the
    outer's name. Every copy of this expression Django makes (each clone of the
    list, each query it is embedded in, which a plain ``Subquery`` cloned and
    relabelled subquery by subquery) shares the compiled SQL. A statements'
    search holds five such subqueries, some nested, and a page compiles it four
    or five times (its estimate, count, ranked head and rows). At a million
    statements, "zhurong": the list's keys compiled in 0.81 ms, 0.17 once its
    subqueries were; the ranked head built and compiled in 3.17 ms, 1.28 now.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, *querysets: QuerySet):
        if not querysets:
            raise ValueError("AnyOf needs at least one queryset")
        super().__init__(output_field=BooleanField())
        self.column = F(column)
        # The linked model's default ordering means nothing in a set of ids.
        self.querysets = [
            queryset if is_sliced(queryset) else queryset.order_by() for queryset in querysets
        ]
        #: Each database's compiled subqueries, those that can match something; a
        #: copy of this expression shares the dict.
        self.compiled: dict[str, list[tuple[str, tuple]]] = {}
        #: Written as tested on each row (PostgreSQL): see :func:`tested_per_row`.
        self.per_row = False

    def __copy__(self):
        # As Django copies an expression (its state), the compiled SQL shared.
        clone = object.__new__(type(self))
        clone.__dict__.update(super().__getstate__())
        return clone

    def __getstate__(self):
        # Pickled (and deep-copied), without the compiled SQL: a query is compiled
        # afresh where it is loaded, whose database may be another, or changed.
        state = super().__getstate__()
        state["compiled"] = {}
        return state

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def tested_per_row(self) -> AnyOf:
        """A copy tested on each row read (:func:`tested_per_row`)."""
        clone = copy.copy(self)
        clone.per_row = True
        return clone

    def subqueries(self, connection) -> list[tuple[str, tuple]]:
        """The querysets' SQL and parameters for ``connection``, compiled once."""
        arms = self.compiled.get(connection.alias)
        if arms is None:
            arms = []
            for queryset in self.querysets:
                with suppress(EmptyResultSet):  # it adds nothing
                    arms.append(compiled_sql(queryset, connection))
            self.compiled[connection.alias] = arms
        if not arms:
            raise EmptyResultSet
        return arms

    def as_sql(self, compiler, connection):
        column_sql, params = compiler.compile(self.column)
        arms = self.subqueries(connection)
        for _, subquery_params in arms:
            params = (*params, *subquery_params)
        if connection.vendor == "postgresql":
            if self.per_row:
                # Each row the query reads is looked up in a hash of the subquery's
                # keys (a "hashed SubPlan"). "= true" changes no result; it keeps
                # PostgreSQL from making the IN a semi-join, planned apart from the
                # walk (it chose a parallel nested loop: 98 ms, against 5).
                tests = " OR ".join(f"{column_sql} IN ({sql})" for sql, _ in arms)
                return f"({tests}) = true", params
            # ARRAY(...) makes each subquery an init plan evaluated once, whose
            # result an index scan on the column can take as its condition.
            arrays = " || ".join(f"ARRAY({sql})" for sql, _ in arms)
            return f"{column_sql} = ANY({arrays})", params
        return "(" + " OR ".join(f"{column_sql} IN ({sql})" for sql, _ in arms) + ")", params


def tested_per_row(queryset: QuerySet) -> QuerySet:
    """``queryset`` with its :class:`AnyOf` conditions tested on each row it reads.

    ``= ANY(ARRAY(subquery))`` hides how many rows match (the planner takes ten),
    so a list with such a condition is read by the keys it names and sorted: at a
    million statements the 17,331 citing footnote 1, for a page of 50. Tested on
    each row, the list's order index can be walked until the page is full. Only
    worth it where the matches are many (``tracker.counting.walks_to_page``).
    """
    return with_conditions_replaced(queryset, AnyOf, AnyOf.tested_per_row)


def walked_rows(queryset: QuerySet, bottom: int, top: int) -> QuerySet:
    """Rows ``bottom:top`` of ``queryset``, whose keys a subquery finds walking the list
    in its order with the :class:`AnyOf` conditions tested on each row
    (:func:`tested_per_row`); one statement, so one snapshot.

    The rows' own query leaves those conditions out (``true``): its keys meet them,
    and kept, the planner read the 17,331 keys they name and joined the page's 51.
    """
    keys = tested_per_row(queryset.prefetch_related(None).values_list("pk", flat=True))
    rows = with_conditions_replaced(queryset, AnyOf, lambda _: Value(True))
    return rows.filter(pk__in=keys[bottom:top])


class InKeys(Expression):
    """``column = ANY(%s)`` with the keys as one array on PostgreSQL, ``IN (%s, ...)`` elsewhere.

    The values still reach the planner (the driver writes the array into the
    query), but Django prepares one parameter instead of one per key: an
    ``__in`` of 1,700 actors took longer to compile than to run.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, keys: list):
        super().__init__(output_field=BooleanField())
        self.column, self.keys = F(column), [int(key) for key in keys]

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, exprs):
        (self.column,) = exprs

    def as_sql(self, compiler, connection):
        column_sql, column_params = compiler.compile(self.column)
        if connection.vendor == "postgresql":
            return f"{column_sql} = ANY(%s::bigint[])", (*column_params, self.keys)
        marks = ", ".join(["%s"] * len(self.keys))
        return f"{column_sql} IN ({marks})", (*column_params, *self.keys)


def field_condition(
    model: type[Model], path: str, lookup: str, value, public: bool = False, per_row: bool = False
) -> Q:
    """Rows of ``model`` whose ``path__lookup`` matches ``value``, on its own columns.

    A column of the table stays a plain condition; a path through a foreign
    key becomes ``key = ANY(ids of the matching linked rows)``; a to-many path
    becomes ``id = ANY(ids of the matching rows of this table)``. The rows are
    the same as Django's join would give, without the join or its duplicates.

    ``public``: a path through a linked record matches only published ones
    (:mod:`tracker.public`), so that a public search never answers to a draft's name.
    ``per_row``: the keys tested on each row (:meth:`AnyOf.tested_per_row`), for a
    condition joined to another that names the rows to read.
    """

    def any_of(column: str, rows: QuerySet) -> AnyOf:
        condition = AnyOf(column, rows)
        return condition.tested_per_row() if per_row else condition

    first, _, rest = path.partition(LOOKUP_SEP)
    field = model._meta.get_field(first)
    gated = public and field.is_relation and is_record_model(field.related_model)
    if isinstance(field, ManyToManyField) and rest:
        # Through the link table's index on the linked record's key: joining this
        # table to the link table read the whole link table (a million rows for
        # statements' about_actors, 0.4 s) to find the few thousand links.
        through = field.remote_field.through
        target = through._meta.get_field(field.m2m_reverse_field_name()).attname
        source = through._meta.get_field(field.m2m_field_name()).attname
        related = field.related_model._default_manager.filter(**{f"{rest}__{lookup}": value})
        if gated:
            related = related.filter(publication_status=PUBLISHED)
        links = through._default_manager.filter(AnyOf(target, related.values("pk")))
        return Q(any_of("pk", links.values(source)))
    if field.many_to_many or field.one_to_many:
        condition = {f"{path}__{lookup}": value}
        if gated:
            # In the same filter() call: the same join, the same linked row.
            condition[f"{first}__publication_status"] = PUBLISHED
        matching = model._default_manager.filter(**condition)
        return Q(any_of("pk", matching.values("pk")))
    if rest and (field.many_to_one or field.one_to_one):
        related = field.related_model._default_manager.filter(**{f"{rest}__{lookup}": value})
        if gated:
            related = related.filter(publication_status=PUBLISHED)
        return Q(any_of(field.attname, related.values("pk")))
    return Q(**{f"{path}__{lookup}": value})


#: Up to this many keys a condition names them as values, whose share of the rows
#: the planner can estimate; beyond, it names a subquery (planning an array of
#: 1,700 values took 7 ms, a plain subquery none).
LISTED_KEYS_LIMIT = 500


class ProbedPerRow(Exists):
    """``EXISTS(subquery)`` that PostgreSQL tests on each row it reads.

    Under an ``OR``, PostgreSQL makes an ``EXISTS`` a hashed ``IN`` where it expects
    many rows to test: the whole subquery is read into a hash first (the 84,505
    statements linked to a Russian actor at a million: a timeline window took 44 ms,
    5.5 looking up each row's links), even for a walk that stops a few hundred rows
    in. It leaves a subquery with an ``OFFSET`` as it is (``simplify_EXISTS_query``);
    ``OFFSET 0`` changes no result.
    """

    template = "EXISTS(%(subquery)s OFFSET 0)"
    #: The last row a walk looking up each row's links is worth reading to (see
    #: :func:`tracker.walked.walks_up_to`); None: any.
    walks_up_to: int | None = None


def linked_to_any(model: type[Model], paths, targets: QuerySet) -> Q:
    """Rows of ``model`` linked through any of ``paths`` to one of the records ``targets``.

    Few targets (and, through a link table, few linked rows) are named by their
    keys, so the planner knows how many rows match and reads those few by their
    indexes. Many are named by a plain ``IN (subquery)``, which the planner takes
    for a large share and answers by reading the list in its order until a page
    is full. ``ANY(ARRAY(subquery))`` hid the count either way: a country of a
    fifth of all deals was planned as a few hundred rows and every match was
    sorted (116 ms at 150,000 deals against 9 ms for the first hundred in order).
    """
    return linked_to_any_forms(model, paths, targets)[0]


def linked_to_any_forms(
    model: type[Model],
    paths,
    targets: QuerySet,
    per_row_from: Callable[[], int | None] | None = None,
) -> tuple[Q, Q]:
    """:func:`linked_to_any`'s condition, and the same for rows read walking an index
    until a few are found: there, the links of a row are looked up for that row
    (:class:`ProbedPerRow`) where the planner expects at least as many links in all
    as ``per_row_from()`` answers (None: never; asked only where the linked rows are
    many), rather than all read first. The first form is for counts: the planner
    takes a row-by-row lookup for half the rows.
    """
    targets = targets.order_by()
    keys = list(targets.values_list("pk", flat=True)[: LISTED_KEYS_LIMIT + 1])
    if not keys:
        return Q(pk__in=[]), Q(pk__in=[])
    listed = len(keys) <= LISTED_KEYS_LIMIT
    condition, walked = Q(), Q()
    for path in paths:
        field = model._meta.get_field(path)
        if field.many_to_one or field.one_to_one:
            column = field.attname
            own = Q(InKeys(column, keys)) if listed else Q(**{f"{column}__in": targets})
            condition, walked = condition | own, walked | own
            continue
        if not isinstance(field, ManyToManyField):
            raise TypeError(f"{model.__name__}.{path}: not a foreign key or many-to-many link")
        through = field.remote_field.through
        target = through._meta.get_field(field.m2m_reverse_field_name()).attname
        source = through._meta.get_field(field.m2m_field_name()).attname
        if listed:
            links = through._default_manager.filter(InKeys(target, keys)).order_by()
            owners = links.values_list(source, flat=True).distinct()
            owners = list(owners[: LISTED_KEYS_LIMIT + 1])
            if len(owners) <= LISTED_KEYS_LIMIT:
                if owners:
                    own = Q(InKeys("pk", owners))
                    condition, walked = condition | own, walked | own
                continue
        else:  # many targets: many linked rows (reading them costs what they number)
            links = through._default_manager.filter(**{f"{target}__in": targets})
        condition |= Q(pk__in=links.values(source))
        walked |= _linked_rows(links, source, per_row_from)
    return condition or Q(pk__in=[]), walked or Q(pk__in=[])


def _linked_rows(links: QuerySet, source: str, per_row_from: Callable[[], int | None] | None) -> Q:
    """Rows that ``links`` (rows of a link table) name in their column ``source``, for a
    walk (see :func:`linked_to_any_forms`)."""
    # (The planner's estimate is PostgreSQL's; elsewhere the links are read first.)
    on_postgresql = connections[links.db].vendor == "postgresql"
    threshold = per_row_from() if per_row_from is not None and on_postgresql else None
    if threshold is not None:
        from .counting import plan_estimate  # (counting reads lists searched here)

        links_expected = plan_estimate(links)
        if links_expected >= threshold:
            probe = ProbedPerRow(links.filter(**{source: OuterRef("pk")}))
            probe.walks_up_to = walks_up_to(links_expected, threshold)
            return Q(probe)
    return Q(pk__in=links.values(source))


def final_field(model: type[Model], path: str):
    """The field ``path`` (``speaker__aliases``) ends on."""
    *links, last = path.split(LOOKUP_SEP)
    for link in links:
        model = model._meta.get_field(link).related_model
    return model._meta.get_field(last)


def json_text_forms(text: str) -> list[str]:
    """``text`` as it appears inside a JSON string on PostgreSQL and on other databases."""
    return list(dict.fromkeys([json.dumps(text, ensure_ascii=False)[1:-1], json.dumps(text)[1:-1]]))


def contains_any(model: type[Model], paths, term: str, public: bool = False) -> Q:
    """Rows in which at least one of ``paths`` contains ``term`` (case-insensitively);
    ``public``: in linked records that are published (see :func:`field_condition`)."""
    condition = Q()
    indexed = substrings.indexed_columns(model)
    if indexed and substrings.is_indexed_word(term) and set(indexed) <= set(paths):
        # The table's own columns in one condition, which a read of every match
        # answers from their suffix index (tracker.substrings).
        condition = Q(substrings.ContainedInColumns(model, term))
        paths = [path for path in paths if path not in indexed]
    for path in paths:
        is_json = isinstance(final_field(model, path), JSONField)
        for form in json_text_forms(term) if is_json else [term]:
            condition |= field_condition(model, path, "icontains", form, public)
    return condition


# -- ranking a search by name ---------------------------------------------------------------

#: Characters after which a word starts inside a name.
WORD_BREAKS = ' -(/"“«'
#: Leading characters of a name held by its prefix index (migration 0009, PostgreSQL).
PREFIX_LENGTH = 100
#: Matches the database may expect for a search to rank them all (SQLite: no estimate,
#: always). Ranking costs about as much again as counting them (the name's tests and
#: the sort by name): +10 ms at 2,000 exercises, +70 ms at 7,600 statements.
FULL_RANK_LIMIT = 2_000
#: Otherwise, this many exact and prefix matches are ranked ahead of the rest.
RANKED_HEAD = 100
#: The alias a ranked search is ordered by first.
SEARCH_RANK = "search_rank"


class SearchRank(Case):
    """How well a record's name answers a typed text: 0 best, 3 worst.

    0. the name, or one of the aliases, is the text (case-insensitively);
    1. the name starts with the text;
    2. a word of the name or of an alias starts with the text;
    3. the text is elsewhere (a description, a summary, inside a word).
    """

    def __init__(self, model: type[Model], text: str, usual: tuple = ()):
        record_type = registry.for_model(model)
        self.text, self.usual = text, tuple(usual)
        self.name_field = record_type.title_field
        self.alias_field = record_type.aliases_field
        super().__init__(
            When(Q(self.name_starts(len(text) + 1)) | self.alias_exact(), then=Value(0)),
            When(self.name_starts(len(text)), then=Value(1)),
            When(self.word_start(), then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )

    def name_starts(self, length: int) -> Exact:
        """The name's first ``length`` characters are the text (case-insensitively).

        With one character more than the text, the name *is* the text. Only
        those characters are upper-cased: ``UPPER(name) = ...`` upper-cased a
        statement's whole text, which took longer than finding it.
        """
        return Exact(Upper(Left(self.name_field, length)), Upper(Value(self.text)))

    def alias_exact(self) -> Q:
        """An alias is the text: the text between a JSON string's quotes."""
        condition = Q()
        if self.alias_field:
            for form in json_text_forms(self.text):
                condition |= Q(**{f"{self.alias_field}__icontains": f'"{form}"'})
        return condition

    def word_start(self) -> Q:
        """A word of the name or of an alias starts with the text."""
        breaks = "".join(re.escape(c) for c in WORD_BREAKS)
        pattern = f"(^|[{breaks}]){caseless(self.text)}"
        condition = Q(**{f"{self.name_field}__regex": pattern})
        if self.alias_field:
            # An alias begins after the quotation mark opening its JSON string.
            for form in json_text_forms(self.text):
                pattern = f'["{breaks}]{caseless(form)}'
                condition |= Q(**{f"{self.alias_field}__regex": pattern})
        return condition


def caseless(text: str) -> str:
    """A regular expression matching ``text`` in any letter case, the same on every database.

    Each letter becomes a class of its cases (``[Rr]``): PostgreSQL's
    case-insensitive ``~*`` took twice as long over statements' texts, and
    SQLite's ``REGEXP`` (Python's ``re``) then folds Cyrillic letters too.
    """
    parts = []
    for char in text:
        cases = dict.fromkeys(c for c in (char, char.lower(), char.upper()) if len(c) == 1)
        parts.append(f"[{''.join(cases)}]" if len(cases) > 1 else re.escape(char))
    return "".join(parts)


def rank_by_name(queryset: QuerySet, text: str) -> QuerySet:
    """``queryset`` ordered by :class:`SearchRank` for ``text``, ties by name, then as before.

    Records without a name field, and an empty text, keep their order.
    """
    text = " ".join(text.split())
    if not text or not any(rt.model is queryset.model for rt in registry.RECORD_TYPES):
        return queryset
    usual = tuple(ordering_of(queryset) or queryset.model._meta.ordering or ("pk",))
    rank = SearchRank(queryset.model, text, usual)
    return queryset.alias(**{SEARCH_RANK: rank}).order_by(SEARCH_RANK, rank.name_field, *usual)


def rank_of(queryset: QuerySet) -> SearchRank | None:
    """The rank ``queryset`` is ordered by first, if :func:`rank_by_name` ordered it."""
    order = ordering_of(queryset)
    if not order or order[0] != SEARCH_RANK:
        return None
    rank = annotation_of(queryset, SEARCH_RANK)
    return rank if isinstance(rank, SearchRank) else None


class NameKey(Func):
    """The upper-cased start of a name, compared byte by byte on PostgreSQL.

    What migration 0009's prefix index holds: ``LIKE 'TEXT%'`` on it is a
    range of that index, read in order, whatever the database's collation.
    """

    output_field = CharField()

    def __init__(self, name: str):
        super().__init__(Upper(Left(name, PREFIX_LENGTH)))

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return f'({sql} COLLATE "C")', params
        return sql, params


def prefix_matches(queryset: QuerySet, rank: SearchRank) -> QuerySet:
    """Matches whose name starts with the text, in the order of the name-prefix index.

    A range of that index (migration 0009) read in order: the first rows come
    without reading the others. Names equal to the text come first in it.
    """
    prefixed = queryset.alias(search_name_key=NameKey(rank.name_field)).filter(
        search_name_key__startswith=Upper(Value(rank.text[:PREFIX_LENGTH]))
    )
    if len(rank.text) > PREFIX_LENGTH:
        prefixed = prefixed.filter(**{f"{rank.name_field}__istartswith": rank.text})
    return prefixed.order_by("search_name_key")


def ranked_head(queryset: QuerySet, rank: SearchRank) -> list:
    """Keys of the exact and prefix matches, at most about :data:`RANKED_HEAD`, best first.

    Found by index probes, not by reading the matches: the aliases that are
    the text (few, through the aliases' trigram index) and the first
    :func:`prefix_matches`, each a subquery of the one query that orders them
    (for actors, three round trips before; two for other records).
    """
    # The list's conditions without its rank, which neither subquery orders by.
    matches = without_alias(queryset.order_by(), SEARCH_RANK)
    candidates = []
    if rank.alias_field:
        exact = matches.filter(rank.alias_exact())
        candidates.append(exact.values("pk")[:RANKED_HEAD])
    candidates.append(prefix_matches(matches, rank).values("pk")[:RANKED_HEAD])
    keys = ranked_by_name(queryset, rank, AnyOf("pk", *candidates))
    return list(keys.values_list("pk", flat=True))


def ranked_by_name(queryset: QuerySet, rank: SearchRank, condition) -> QuerySet:
    """The rows meeting ``condition``, a subset of ``queryset``'s, in its rank order.

    Without the list's own conditions where its usual order names only fields:
    they were met in the subqueries that found the rows, and planning them again
    cost about a millisecond at a million statements. Otherwise (an order by an
    annotation of the list) within ``queryset``.
    """
    model = queryset.model
    if all(isinstance(name, str) and is_field_path(model, name) for name in rank.usual):
        rows = model._base_manager.db_manager(queryset.db).filter(condition)
        rows = rows.order_by(*rank.usual)
        return rank_by_name(rows, rank.text)
    return queryset.filter(condition)


def is_field_path(model: type[Model], name: str) -> bool:
    """Whether an ``order_by()`` name (``-date``, ``speaker__name``) is a path of fields
    each naming one row (no many-to-many or reverse link)."""
    parts = name.lstrip("-").split(LOOKUP_SEP)
    for position, part in enumerate(parts):
        if model is None:
            return False
        if part == "pk":
            return position == len(parts) - 1
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if field.many_to_many or field.one_to_many:
            # A join of its own would list a row once per linked row; the list's
            # order may reuse the join of its conditions instead.
            return False
        model = field.related_model
    return True


def matches_past_head(queryset: QuerySet, rank: SearchRank, head: list) -> bool:
    """Whether the search matches a record that its ranked ``head`` does not hold.

    Asked first of the name-prefix index: the first name starting with the text
    outside the head (a short walk in that index; each row read there holds
    the text, so its conditions are met without testing every linked name).
    Only where there is none are the other matches asked. Reading the first
    of them in the list's order tested rows that lack the text against every
    linked record's name ("naval" at a million statements: 11.7 ms, for the
    one row that tells whether a page of 100 has a next; "naval beijing" 20.9).
    """
    outside = without_alias(queryset.order_by(), SEARCH_RANK).exclude(pk__in=head)
    # A head shorter than RANKED_HEAD holds every prefix match already.
    if len(head) >= RANKED_HEAD and prefix_matches(outside, rank).values_list("pk", flat=True)[:1]:
        return True
    return outside.exists()


def usual_keys(queryset: QuerySet, rank: SearchRank, number: int) -> list:
    """Keys of the first ``number`` matches of a ranked search in the list's usual
    order (as if not ranked): how its matches past the ranked head are listed."""
    read = queryset.order_by(*rank.usual).values_list("pk", flat=True)[:number]
    return list(substrings.read_checked(read))


def rows_of(queryset: QuerySet, keys: list) -> list:
    """The rows of ``queryset`` with these keys, in its order (a ranked search's, by rank)."""
    return list(queryset.filter(pk__in=keys)) if keys else []


def bounded_rows(
    queryset: QuerySet,
    rank: SearchRank,
    bottom: int,
    top: int,
    usual_keys: Callable[[], list | None] | None = None,
    head: list | None = None,
) -> list:
    """Rows ``bottom:top`` of a ranked search with too many matches to rank them all.

    Ranking every match means reading every match; for a common word that
    is most of a table. Here the exact and prefix matches found by
    :func:`ranked_head` come first, in rank order, and every other match
    follows in the list's usual order, read only as far as the page needs,
    as an unranked search would. Each match is listed once.

    ``usual_keys()``: every match's key in the list's usual order, where they
    are few in their table (or already read by the count), else None. It is
    asked only when the page reaches past the head; the others' page is then
    taken from those keys rather than by walking the list's order index past
    every row that does not match (statements "hurong" at a million, 3,364
    matches found in no name's start: 269 ms walking the date index).
    ``head``: the :func:`ranked_head`, if already read.
    """
    if head is None:
        head = ranked_head(queryset, rank)
    rows = rows_of(queryset, head[bottom:top])
    if top > len(head):
        start, stop = max(bottom - len(head), 0), top - len(head)
        keys = usual_keys() if usual_keys else None
        if keys is not None:
            ranked = set(head)
            others = [key for key in keys if key not in ranked]
            rows += rows_of(queryset.order_by(*rank.usual), others[start:stop])
        else:
            rest = queryset.exclude(pk__in=head).order_by(*rank.usual)
            rows += list(rest[start:stop])
    return rows

"""Conditions that name a list's rows by keys, so that indexes answer them.

A condition across a relation (``speaker__name__icontains``) written the plain
way adds a join, and an ``OR`` whose arms lie in two tables cannot be answered
from indexes: PostgreSQL then reads every row. Here such a condition becomes
one on the list's own column, ``speaker_id = ANY(ARRAY(SELECT id FROM actor
WHERE ...))`` (:func:`field_condition`, :class:`AnyOf`): the array is computed
once, and every arm of an ``OR`` is an index condition, so the planner combines
them in a bitmap scan. The rows matched are the same as the join's; on other
databases the condition is the equivalent ``IN (subquery)``.

A link filter (``?actor=``, ``?country=``) names its rows the same way
(:func:`linked_to_any`): few targets by their keys (:class:`InKeys`), many by a
subquery, and, for a page read walking the list's order, each row's links
looked up for that row (:class:`ProbedPerRow`, :func:`tested_per_row`,
:func:`walked_rows`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import suppress

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    BooleanField,
    Exists,
    Expression,
    F,
    ManyToManyField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.constants import LOOKUP_SEP

from .internals import compiled_sql, is_sliced, with_conditions_replaced
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
        through, target, source = link_table(field)
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


def link_table(field: ManyToManyField) -> tuple[type[Model], str, str]:
    """A many-to-many ``field``'s link table: its model, the column holding the linked
    record's key (``target``), and the column holding the owner's (``source``)."""
    through = field.remote_field.through
    target = through._meta.get_field(field.m2m_reverse_field_name()).attname
    source = through._meta.get_field(field.m2m_field_name()).attname
    return through, target, source


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
        through, target, source = link_table(field)
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


def keys_linked_to_any(model: type[Model], paths, targets: QuerySet) -> tuple[QuerySet, ...]:
    """The keys of the rows of ``model`` linked through any of ``paths`` to one of the
    records ``targets``: one queryset of keys per path (:func:`linked_to_any`'s rows), for
    counting them from the links (``Walkable.keys``, :mod:`tracker.link_counts`).

    Each reads the link's index for the targets' keys (``= ANY(ARRAY(targets))``). Read
    as ``IN (targets)``, the agreements of Russia's 1,687 actors at a million were found
    by hashing all 124,975 parties: 18–25 ms, against 10 ms from the index.
    """
    targets = targets.order_by().values("pk")
    keys = []
    for path in paths:
        field = model._meta.get_field(path)
        if field.many_to_one or field.one_to_one:
            linked = model._default_manager.filter(AnyOf(field.attname, targets))
            keys.append(linked.values("pk"))
            continue
        through, target, source = link_table(field)
        keys.append(through._default_manager.filter(AnyOf(target, targets)).values(source))
    return tuple(keys)


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

"""The one door to the libraries' internals: every undocumented name the tracker relies on.

Django, DRF and django-reversion document most of what the tracker uses; a few
things it needs they do not (a compiled query's SQL and converters, the
objects a reversion registration follows, the changelist's row sets). Each is
wrapped here in a small function saying what it does, which version of the
library it was checked against (the pins in ``requirements.txt``) and what to
look at when it changes. Nothing outside this module names a library's
private attribute, so an upgrade is checked in one place.

Every wrapped internal has a *probe* (:mod:`tracker.internals_check`), run by
the system check :func:`~tracker.internals_check.check_internals` wherever
Django runs its checks: ``manage.py check`` (CI runs ``check --deploy``),
``setup_tracker`` and ``runserver`` (so ``./scripts/run``), ``migrate``. A
probe calls the wrapper on objects built in memory, never reading the
database, and an internal that was renamed or changed its signature or result
is reported as an error naming it (``tracker.E001`` ...) before any request
meets it. The upgrade checklist is ``docs/upgrading.md``.

Private names are looked up when a wrapper is called, not when this module is
imported, so a renamed one is reported by its check instead of failing every
import of the tracker.
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import models
from django.db.models import QuerySet
from django.utils import choices as django_choices

#: Versions the wrappers below were checked against (``requirements.txt``).
CHECKED_AGAINST = {
    "Django": "5.2.19",
    "djangorestframework": "3.18.3",
    "django-reversion": "6.4.0",
}


class InternalChanged(Exception):
    """A library internal no longer behaves as its wrapper here expects."""


def _private(module: str, name: str) -> Any:
    """``name`` (``Class.attribute`` allowed) in the library module ``module``, looked up now."""
    try:
        found = importlib.import_module(module)
        for part in name.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as exc:
        raise InternalChanged(f"{module}.{name} no longer exists") from exc
    return found


# ----------------------------------------------------------------------------
# django-reversion
# ----------------------------------------------------------------------------
def followed_objects(obj: models.Model) -> set[models.Model]:
    """``obj`` and every object its reversion registration follows, recursively.

    The objects a revision of ``obj`` would hold (a record with its link rows,
    ``tracker.history.follow_relations()``); :func:`tracker.history.record_deletion` stores
    them before the rows are deleted. reversion 6.4.0 has no public function
    for it: ``reversion.revisions._follow_relations_recursive(obj)`` is what
    ``add_to_revision`` uses, and returns a set holding ``obj`` itself. If it
    changes, see how ``reversion.revisions._add_to_revision`` follows
    relations now, or walk ``follow_relations()`` here with ``getattr`` and ``.all()``.
    """
    return set(_private("reversion.revisions", "_follow_relations_recursive")(obj))


# ----------------------------------------------------------------------------
# Django's query compiler
# ----------------------------------------------------------------------------
#: One column's converters: ``(position in the row, (functions, expression))``.
Converter = tuple[int, tuple[list[Callable[..., Any]], Any]]


@dataclass(frozen=True)
class CompiledValues:
    """A ``values()`` queryset as Django would send it to its database."""

    sql: str
    params: tuple
    #: The row keys, as ``values()`` names them.
    names: list[str]
    #: What Django applies to each fetched value (parsing dates on SQLite, ...).
    converters: list[Converter]


def compile_values(queryset: QuerySet) -> CompiledValues:
    """The SQL, parameters, row keys and value converters of a ``values()`` queryset.

    Lets a query be compiled once and run again with other parameters
    (``tracker.api.readers.IdQuery``) or embedded in raw SQL
    (``tracker.models.base.distinct_years``). Django 5.2.19: ``Query.get_compiler(using)``,
    ``SQLCompiler.as_sql()`` (which fills ``compiler.select``),
    ``SQLCompiler.get_converters(expressions)`` and the query's ``extra_select``,
    ``values_select`` and ``annotation_select``, read as
    ``SQLCompiler.results_iter`` and ``ValuesIterable`` read them. If they
    change, look at those two in ``django/db/models/sql/compiler.py`` and
    ``django/db/models/query.py``. Raises ``EmptyResultSet`` for ``none()``.
    """
    query = queryset.query
    compiler = query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    names = [*query.extra_select, *query.values_select, *query.annotation_select]
    converters = compiler.get_converters([column[0] for column in compiler.select])
    return CompiledValues(sql, tuple(params), names, list(converters.items()))


def compiled_sql(queryset: QuerySet, connection) -> tuple[str, tuple]:
    """A queryset's SQL and parameters as Django would send them to ``connection``.

    For SQL embedded in other queries as it stands (``tracker.key_conditions.AnyOf``).
    The same internals as :func:`compile_values`; raises ``EmptyResultSet``
    where the queryset can match nothing.
    """
    sql, params = queryset.query.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)


def convert_row(row: Iterable[Any], converters: list[Converter], connection) -> list[Any]:
    """A fetched row with its columns' converters applied, as ``values()`` would return it.

    As ``SQLCompiler.apply_converters`` (Django 5.2.19), which calls each
    converter as ``function(value, expression, connection)``.
    """
    row = list(row)
    for position, (functions, expression) in converters:
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return row


def is_filtered(queryset: QuerySet) -> bool:
    """Whether the queryset has any condition (``filter()``, ``exclude()``, ``none()``).

    Django 5.2.19 keeps the conditions in ``Query.where``, a ``WhereNode`` that
    is false when empty. If it changes, see ``Query.add_q`` in
    ``django/db/models/sql/query.py``.
    """
    return bool(queryset.query.where)


def is_reshaped(queryset: QuerySet) -> bool:
    """Whether the queryset is sliced, ``distinct()``, combined (``union()`` ...), annotated
    or given ``extra()``: anything that stops ``order_by("pk").filter(pk__gt=...)[:n]``
    from paging through its rows as they are, each once.

    Django 5.2.19 keeps these in ``Query.is_sliced``, ``distinct``,
    ``combinator``, ``annotations``, ``extra`` and ``extra_tables``. If they
    change, see ``Query.set_limits``, ``add_distinct_fields``,
    ``QuerySet._combinator_query``, ``add_annotation`` and ``add_extra`` in
    ``django/db/models/``.
    """
    query = queryset.query
    return bool(
        query.is_sliced
        or query.distinct
        or query.combinator
        or query.annotations
        or query.extra
        or query.extra_tables
    )


def is_sliced(queryset: QuerySet) -> bool:
    """Whether the queryset is sliced (``[a:b]``), so that its order decides its rows.

    Django 5.2.19 keeps it in ``Query.is_sliced``, as :func:`is_reshaped` reads
    it. If it changes, see ``Query.set_limits`` in ``django/db/models/sql/query.py``.
    """
    return bool(queryset.query.is_sliced)


def without_select_related(queryset: QuerySet) -> QuerySet:
    """The queryset without the joins ``select_related()`` added (others returned as they are).

    ``select_related(None)`` is refused after ``values()``; Django 5.2.19's
    ``Query.select_related`` is false for such querysets (``values()`` clears
    it) and for those never given a ``select_related()``.
    """
    return queryset.select_related(None) if queryset.query.select_related else queryset


def ordering_of(queryset: QuerySet) -> tuple:
    """What ``order_by()`` last set on the queryset; empty for the model's default ordering.

    Django 5.2.19 keeps it in ``Query.order_by`` (a tuple of names and
    expressions, ``order_by()`` with no argument empties it). If it changes,
    see ``Query.add_ordering`` / ``clear_ordering`` in ``django/db/models/sql/query.py``.
    """
    return tuple(queryset.query.order_by)


def annotation_of(queryset: QuerySet, name: str) -> Any:
    """The resolved expression ``annotate()`` or ``alias()`` gave the name ``name``, or None.

    Django 5.2.19 keeps them in ``Query.annotations`` (name to resolved
    expression, a copy of the one given, of the same class). See
    ``Query.add_annotation`` in the same file.
    """
    return queryset.query.annotations.get(name)


def without_alias(queryset: QuerySet, name: str) -> QuerySet:
    """A copy of ``queryset`` without the ``alias()`` named ``name`` (the original keeps it).

    For a queryset whose conditions and ordering do not use it: a subquery of
    such a queryset would otherwise copy, relabel and carry the expression
    (a search's rank: about 1 ms a request for actors' two subqueries).
    Django 5.2.19 keeps aliases in ``Query.annotations`` (copied by
    ``Query.clone``), left out of ``annotation_select_mask``. See
    ``Query.add_annotation`` in ``django/db/models/sql/query.py``.
    """
    clone = queryset.all()
    clone.query.annotations.pop(name, None)
    return clone


def with_conditions_replaced(
    queryset: QuerySet, kind: type, replace: Callable[[Any], Any]
) -> QuerySet:
    """A copy of ``queryset`` in which every condition that is an expression of class
    ``kind`` (as given to ``filter()``, alone or in a ``Q``) is ``replace(expression)``.

    Django 5.2.19 keeps the conditions in ``Query.where``, a tree of ``WhereNode``
    (``children``, shared by a query's clones: the nodes on the way are copied
    here); ``filter(expression)`` stores the resolved expression as the ``lhs`` of
    an ``Exact(expression, True)`` lookup (``Query.build_filter``). If either
    changes, see ``Query.build_filter`` and ``WhereNode`` in
    ``django/db/models/sql/``. The original queryset is left as it was.
    """
    from django.db.models.lookups import Lookup
    from django.db.models.sql.where import WhereNode

    def walk(node):
        if isinstance(node, WhereNode):
            clone = copy.copy(node)
            clone.children = [walk(child) for child in node.children]
            return clone
        if isinstance(node, kind):
            return replace(node)
        if isinstance(node, Lookup) and isinstance(node.lhs, kind):
            clone = copy.copy(node)
            clone.lhs = replace(node.lhs)
            return clone
        return node

    clone = queryset.all()
    clone.query.where = walk(clone.query.where)
    return clone


def condition_columns(queryset: QuerySet, column_tests: tuple[type, ...] = ()) -> set[str] | None:
    """The columns of the queryset's own table its conditions compare with plain values
    (``filter(kind="news")``: ``{"kind"}``), or None where any condition is something
    else (an expression, a subquery, a column of a joined table).

    ``column_tests``: condition expressions (types) that test one column of the
    table, their one source expression, on each row (``tracker.key_conditions.AnyOf``):
    taken as conditions on that column, unless negated (``exclude()``, ``~Q``), where
    a caller leaving them out of a query would select fewer rows instead of more.

    Django 5.2.19 keeps the conditions in ``Query.where``, a tree of ``WhereNode``
    whose leaves are lookups; a plain one is a ``Lookup`` whose ``lhs`` is a ``Col``
    (its table's ``alias`` and ``target`` field) and whose ``rhs`` is a value, not
    an expression. ``Query.base_table`` is the alias of the queryset's own table;
    a combined query (``Query.combinator``) keeps its parts' conditions apart. If
    they change, see ``Query.build_filter`` in ``django/db/models/sql/query.py``.
    """
    from django.db.models.expressions import Col
    from django.db.models.lookups import Lookup
    from django.db.models.sql.where import WhereNode

    query = queryset.query
    if query.combinator:  # union() and the like: the conditions are in its parts
        return None
    columns: set[str] = set()

    def plain(node, negated: bool = False) -> bool:
        if isinstance(node, WhereNode):
            return all(plain(child, negated or node.negated) for child in node.children)
        if isinstance(node, Lookup) and isinstance(node.lhs, column_tests):
            # filter(expression) keeps Exact(expression, True) (as with_conditions_replaced
            # finds it; probed there, E013).
            node = node.lhs if node.rhs is True else None
        if column_tests and isinstance(node, column_tests):
            if negated:
                return False
            sources = node.get_source_expressions()
            if len(sources) != 1 or not isinstance(sources[0], Col):
                return False
            if sources[0].alias != query.base_table:
                return False
            columns.add(sources[0].target.column)
            return True
        if not (isinstance(node, Lookup) and isinstance(node.lhs, Col)):
            return False
        if node.lhs.alias != query.base_table or hasattr(node.rhs, "resolve_expression"):
            return False
        columns.add(node.lhs.target.column)
        return True

    return columns if plain(query.where) else None


def and_conditions(queryset: QuerySet, keep_groups: bool = False) -> list | None:
    """The queryset's conditions where they are all required (AND-ed, none negated): each
    a lookup (``filter(kind="news")``: ``Exact(Col, "news")``) or, for
    ``filter(expression)``, the expression itself. None where any is OR-ed or negated,
    or the query is combined (``union()``); ``[]`` for an unfiltered queryset.
    ``keep_groups``: an OR-ed or negated group is one condition of the list, whole
    (its ``WhereNode``), instead of None.

    Django 5.2.19 keeps the conditions in ``Query.where``, a tree of ``WhereNode``
    (``connector``, ``negated``, ``children``) whose leaves are lookups;
    ``filter(expression)`` is kept as ``Exact(expression, True)`` (as
    :func:`with_conditions_replaced` finds it). See ``Query.build_filter``.
    """
    from django.db.models.expressions import Col
    from django.db.models.lookups import Exact
    from django.db.models.sql.where import AND, WhereNode

    query = queryset.query
    if query.combinator:
        return None
    leaves: list = []

    def collect(node) -> bool:
        if isinstance(node, WhereNode):
            if node.negated or (node.connector != AND and len(node.children) > 1):
                if keep_groups:
                    leaves.append(node)
                return keep_groups
            return all(collect(child) for child in node.children)
        if isinstance(node, Exact) and node.rhs is True and not isinstance(node.lhs, Col):
            leaves.append(node.lhs)  # filter(expression); a boolean column stays a lookup
        else:
            leaves.append(node)
        return True

    return leaves if collect(query.where) else None


def own_field(expression, queryset: QuerySet) -> models.Field | None:
    """The field of the queryset's own table that a resolved condition's ``expression``
    reads as a plain column (a lookup's ``lhs``, an expression's source), or None.

    Django 5.2.19 resolves a column to a ``Col`` (``alias``, ``target``), and
    ``Query.base_table`` is the alias of the queryset's own table (as
    :func:`condition_columns` reads them).
    """
    from django.db.models.expressions import Col

    if isinstance(expression, Col) and expression.alias == queryset.query.base_table:
        return expression.target
    return None


def values_names(queryset: QuerySet) -> tuple[str, ...]:
    """The field names a ``values()`` or ``values_list()`` queryset reads, as given
    (``"pk"``, ``"statement_id"``, ``"statement__id"``).

    Django 5.2.19 keeps them in ``Query.values_select`` (``Query.set_values``).
    """
    return tuple(queryset.query.values_select)


def names_used(function: Callable) -> set[str]:
    """Attribute and global names a function's code uses, nested functions included."""
    names: set[str] = set()
    pending = [function.__code__]
    while pending:
        code = pending.pop()
        names.update(code.co_names)
        pending.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return names


# ----------------------------------------------------------------------------
# Django's admin
# ----------------------------------------------------------------------------
def admin_routes_autocomplete_view() -> bool:
    """Whether ``AdminSite.get_urls`` routes ``autocomplete/`` to the site's ``autocomplete_view``.

    Undocumented in Django 5.2.19 but so written (``django/contrib/admin/sites.py``):
    the URL calls whatever ``site.autocomplete_view`` is when the URLs are built,
    so ``tracker.admin`` can give the site its own view (ranked, labelled options).
    """
    from django.contrib.admin.sites import AdminSite

    return "autocomplete_view" in names_used(AdminSite.get_urls)


# ----------------------------------------------------------------------------
# Django's admin changelist
# ----------------------------------------------------------------------------
class ChangeListRows(NamedTuple):
    """What a changelist shows, as :class:`ScalableChangeList` needs it."""

    #: The ``date_hierarchy`` field, or None.
    date_field: str | None
    #: The rows after search and filters, which the page and the date bar read.
    rows: QuerySet
    #: The query parameters (``{field}__year`` when a year is chosen in the bar).
    params: dict[str, Any]
    paginator: Any


def changelist_rows(changelist) -> ChangeListRows:
    """The date field, filtered rows, parameters and paginator of an admin ``ChangeList``.

    Django 5.2.19's ``ChangeList`` sets ``date_hierarchy``, ``params``,
    ``queryset`` and ``root_queryset`` in ``__init__`` and ``paginator`` in
    ``get_results()``; the ``date_hierarchy`` template tag reads
    ``cl.queryset``. If they change, see ``django/contrib/admin/views/main.py``
    and ``templatetags/admin_list.py``.
    """
    return ChangeListRows(
        changelist.date_hierarchy, changelist.queryset, changelist.params, changelist.paginator
    )


def date_bar_over_whole_table(changelist) -> None:
    """Make the changelist's date bar offer the dates of all rows, not only the filtered ones.

    The bar reads ``changelist.queryset``; the unfiltered rows are
    ``changelist.root_queryset`` (see :func:`changelist_rows`). Call it after
    ``get_results()``, which has read the page from the filtered rows.
    """
    changelist.queryset = changelist.root_queryset


def date_bar_from_dates(changelist, dates: list) -> None:
    """Make the changelist's date bar take its years, months and days from ``dates``.

    ``dates``: the ``date_hierarchy`` field's value on every filtered row, read
    already. The bar asks ``changelist.queryset`` for their first and last and
    for their distinct years or months (see :func:`changelist_rows`), which
    :meth:`tracker.models.base.TrackedQuerySet.with_known_dates` answers from
    them. Call it after ``get_results()``.
    """
    rows = changelist.queryset
    if hasattr(rows, "with_known_dates"):
        changelist.queryset = rows.with_known_dates(changelist.date_hierarchy, dates)


# ----------------------------------------------------------------------------
# Django's form choices
# ----------------------------------------------------------------------------
#: Base class of choices a form field keeps as they are
#: (``tracker.api.filter_fields.SharedChoices``).
#: Django 5.2.19's ``normalize_choices`` returns a ``django.utils.choices.BaseChoiceIterator``
#: unchanged instead of copying it into a list (Django's main branch calls it
#: ``ChoiceIterator``). Without it (``object``) the choices still work, copied per request.
ChoiceIteratorBase: type = getattr(django_choices, "BaseChoiceIterator", object)


def choice_iterator_class() -> type:
    """Django's ``BaseChoiceIterator`` as it is now, for its start-up check."""
    return _private("django.utils.choices", "BaseChoiceIterator")


# ----------------------------------------------------------------------------
# Django REST framework
# ----------------------------------------------------------------------------
def url_with_param(url: str, key: str, value: str) -> str:
    """``url`` with its query parameter ``key`` set to ``value`` (parameters sorted).

    DRF 3.18.3's ``rest_framework.utils.urls.replace_query_param``, which its
    own paginators use for ``next`` links, so the tracker's links are written
    the same way. If it goes, ``urllib.parse`` does it in five lines (see it).
    """
    return _private("rest_framework.utils.urls", "replace_query_param")(url, key, value)


def url_without_param(url: str, key: str) -> str:
    """``url`` without its query parameter ``key`` (DRF's ``remove_query_param``)."""
    return _private("rest_framework.utils.urls", "remove_query_param")(url, key)


def drf_datetime_writes_default_iso(field) -> bool:
    """Whether a DRF ``DateTimeField`` writes DRF's default ISO 8601 form in the current zone.

    True unless the field was given its own ``format`` or ``default_timezone``.
    DRF 3.18.3 keeps those as the attributes ``format`` and ``timezone``,
    set only when given (``rest_framework/fields.py``, ``DateTimeField``).
    """
    from rest_framework import ISO_8601
    from rest_framework.settings import api_settings

    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return output_format == ISO_8601 and not hasattr(field, "timezone")


def drf_utc_iso(value: dt.datetime) -> str:
    """What such a field writes for an aware UTC datetime while the current zone is UTC.

    DRF 3.18.3 writes ``value.isoformat()`` with ``+00:00`` replaced by ``Z``
    (``2020-01-02T03:04:05.123456Z``); written here directly, without its
    per-value conversion to the current zone.
    """
    return value.replace(tzinfo=None).isoformat() + "Z"


# ----------------------------------------------------------------------------
# Benchmarks
# ----------------------------------------------------------------------------
def delete_rows_raw(queryset: QuerySet) -> int:
    """Delete the queryset's rows in one ``DELETE``: no signals, cascades, tombstones or history.

    For emptying a benchmark database only. Django 5.2.19's
    ``QuerySet._raw_delete(using)`` (``django/db/models/query.py``), which
    ``Collector`` uses for fast deletes.
    """
    return raw_delete_function()(queryset, queryset.db)


def raw_delete_function() -> Callable[..., int]:
    """Django's ``QuerySet._raw_delete`` itself, for its start-up check (calling it deletes)."""
    return _private("django.db.models.query", "QuerySet._raw_delete")

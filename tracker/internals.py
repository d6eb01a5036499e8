"""The one door to the libraries' internals: every undocumented name the tracker relies on.

Django, DRF and django-reversion document most of what the tracker uses; a few
things it needs they do not (a compiled query's SQL and converters, the
objects a reversion registration follows, the changelist's row sets). Each is
wrapped here in a small function saying what it does, which version of the
library it was checked against (the pins in ``requirements.txt``) and what to
look at when it changes. Nothing outside this module names a library's
private attribute, so an upgrade is checked in one place.

Every wrapped internal has a *probe*, run by the system check
:func:`check_internals` wherever Django runs its checks: ``manage.py check``
(CI runs ``check --deploy``), ``setup_tracker`` and ``runserver`` (so
``./scripts/run``), ``migrate``. A probe calls the wrapper on objects built in
memory, never reading the database, and an internal that was renamed or
changed its signature or result is reported as an error naming it
(``tracker.E001`` ...) before any request meets it. The upgrade checklist is
``docs/upgrading.md``.

Private names are looked up when a wrapper is called, not when this module is
imported, so a renamed one is reported by its check instead of failing every
import of the tracker.
"""

from __future__ import annotations

import copy
import datetime as dt
import importlib
import inspect
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django import forms
from django.core import checks
from django.db import models
from django.db.models import QuerySet
from django.utils import choices as django_choices
from django.utils import timezone

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
    ``combinator``, ``annotations`` and ``extra``. If they change, see
    ``Query.set_limits``, ``add_distinct_fields``, ``QuerySet._combinator_query``,
    ``add_annotation`` and ``add_extra`` in ``django/db/models/``.
    """
    query = queryset.query
    return bool(
        query.is_sliced or query.distinct or query.combinator or query.annotations or query.extra
    )


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

    return "autocomplete_view" in _names_used(AdminSite.get_urls)


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


# ----------------------------------------------------------------------------
# Django's form choices
# ----------------------------------------------------------------------------
#: Base class of choices a form field keeps as they are
#: (``tracker.api.filter_fields.SharedChoices``).
#: Django 5.2.19's ``normalize_choices`` returns a ``django.utils.choices.BaseChoiceIterator``
#: unchanged instead of copying it into a list (Django's main branch calls it
#: ``ChoiceIterator``). Without it (``object``) the choices still work, copied per request.
ChoiceIteratorBase: type = getattr(django_choices, "BaseChoiceIterator", object)


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
    return _private("django.db.models.query", "QuerySet._raw_delete")(queryset, queryset.db)


# ----------------------------------------------------------------------------
# The start-up check
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Internal:
    """One wrapped internal: its check id, the library name it stands for, its users."""

    id: str
    name: str
    used_by: str
    probe: Callable[[], None]


#: Every wrapped internal, in check id order.
INTERNALS: list[Internal] = []


def _internal(check_id: str, name: str, used_by: str):
    """Register the decorated function as the probe of one internal."""

    def register(probe: Callable[[], None]) -> Callable[[], None]:
        INTERNALS.append(Internal(check_id, name, used_by, probe))
        return probe

    return register


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise InternalChanged(message)


def _names_used(function: Callable) -> set[str]:
    """Attribute and global names a function's code uses, nested functions included."""
    names: set[str] = set()
    pending = [function.__code__]
    while pending:
        code = pending.pop()
        names.update(code.co_names)
        pending.extend(c for c in code.co_consts if isinstance(c, types.CodeType))
    return names


@_internal(
    "tracker.E001",
    "reversion.revisions._follow_relations_recursive",
    "tracker.history.record_deletion",
)
def _probe_followed_objects() -> None:
    from .models import Citation

    citation = Citation(pk=1)  # links no record, so following it reads nothing
    found = followed_objects(citation)
    if found != {citation}:
        listed = ", ".join(f"{type(obj).__name__} {obj.pk}" for obj in found)
        raise InternalChanged(f"returned [{listed}] for a lone citation, expected the citation")


@_internal(
    "tracker.E002",
    "Query.get_compiler / SQLCompiler.as_sql, select, get_converters",
    "tracker.api.readers.IdQuery, tracker.models.base.distinct_years",
)
def _probe_compile_values() -> None:
    from django.db import connections

    from .models import Actor

    queryset = Actor.objects.filter(pk__in=[7, 8]).values("pk", "slug", "created_at")
    compiled = compile_values(queryset)
    _expect(compiled.params == (7, 8), f"parameters {compiled.params!r}, expected (7, 8)")
    _expect(
        compiled.names == ["pk", "slug", "created_at"],
        f"row keys {compiled.names!r}, expected ['pk', 'slug', 'created_at']",
    )
    _expect("tracker_actor" in compiled.sql, f"SQL does not read the table: {compiled.sql}")
    for position, (functions, _expression) in compiled.converters:
        _expect(0 <= position < 3, f"a converter for column {position} of 3")
        for function in functions:
            inspect.signature(function).bind(None, None, None)
    converted = convert_row((7, "x", None), compiled.converters, connections[queryset.db])
    _expect(converted == [7, "x", None], f"converted (7, 'x', None) to {converted!r}")


@_internal(
    "tracker.E003",
    "Query.where",
    "tracker.counting, tracker.admin, tracker.models.base, tracker.exports.tables",
)
def _probe_is_filtered() -> None:
    from .models import Actor

    _expect(not is_filtered(Actor.objects.all()), "an unfiltered queryset counts as filtered")
    _expect(is_filtered(Actor.objects.filter(pk=1)), "a filtered queryset counts as unfiltered")


@_internal("tracker.E004", "Query.select_related", "tracker.counting.count_rows")
def _probe_without_select_related() -> None:
    from .models import Statement

    joined = Statement.objects.select_related("speaker")
    _expect(bool(joined.query.select_related), "select_related() left no mark on the query")
    _expect(
        not without_select_related(joined).query.select_related,
        "the select_related() joins were not dropped",
    )
    without_select_related(Statement.objects.values("pk"))  # refused if still marked


@_internal(
    "tracker.E005",
    "ChangeList.date_hierarchy, params, queryset, root_queryset, paginator, get_results",
    "tracker.admin.base.ScalableChangeList",
)
def _probe_changelist() -> None:
    from django.contrib.admin.templatetags import admin_list
    from django.contrib.admin.views.main import ChangeList

    inspect.signature(ChangeList.get_results).bind(None, None)
    missing = {"date_hierarchy", "params", "queryset", "root_queryset"} - _names_used(
        ChangeList.__init__
    )
    _expect(not missing, f"ChangeList no longer sets {', '.join(sorted(missing))}")
    _expect(
        "paginator" in _names_used(ChangeList.get_results),
        "ChangeList.get_results no longer sets paginator",
    )
    _expect(
        "queryset" in _names_used(admin_list.date_hierarchy),
        "the date_hierarchy template tag no longer reads cl.queryset",
    )


@_internal(
    "tracker.E006",
    "django.utils.choices.BaseChoiceIterator",
    "tracker.api.filter_fields.SharedChoices",
)
def _probe_choice_iterator() -> None:
    from .api.filter_fields import COUNTRY_CHOICES

    base = _private("django.utils.choices", "BaseChoiceIterator")
    _expect(isinstance(COUNTRY_CHOICES, base), "shared choices are not a BaseChoiceIterator")
    field = forms.MultipleChoiceField(choices=COUNTRY_CHOICES)
    _expect(field.choices is COUNTRY_CHOICES, "a form field copies shared choices")
    _expect(copy.deepcopy(field).choices is COUNTRY_CHOICES, "a copied field copies its choices")


@_internal(
    "tracker.E007",
    "rest_framework.utils.urls.replace_query_param, remove_query_param",
    "tracker.api.pagination.RecordPagination",
)
def _probe_query_params() -> None:
    url = "http://testserver/api/?page=2&actor=china"
    replaced = url_with_param(url, "cursor", "abc")
    expected = "http://testserver/api/?actor=china&cursor=abc&page=2"
    _expect(replaced == expected, f"set cursor=abc in {url} gave {replaced}")
    removed = url_without_param(url, "page")
    _expect(removed == "http://testserver/api/?actor=china", f"removing page gave {removed}")


@_internal(
    "tracker.E008",
    "rest_framework.fields.DateTimeField format, timezone, to_representation",
    "tracker.api.readers",
)
def _probe_drf_datetime() -> None:
    from rest_framework import serializers

    plain = serializers.DateTimeField()
    _expect(drf_datetime_writes_default_iso(plain), "a plain DateTimeField has its own format")
    _expect(
        not drf_datetime_writes_default_iso(serializers.DateTimeField(format="%Y")),
        "DateTimeField(format=...) is not told apart",
    )
    _expect(
        not drf_datetime_writes_default_iso(serializers.DateTimeField(default_timezone=dt.UTC)),
        "DateTimeField(default_timezone=...) is not told apart",
    )
    with timezone.override(dt.UTC):
        for value in (
            dt.datetime(2020, 1, 2, 3, 4, 5, 123456, tzinfo=dt.UTC),
            dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        ):
            drf = plain.to_representation(value)
            _expect(drf == drf_utc_iso(value), f"DRF writes {drf}, the reader {drf_utc_iso(value)}")


@_internal("tracker.E009", "QuerySet._raw_delete", "bench.bench_export")
def _probe_raw_delete() -> None:
    # Only its signature: calling it deletes rows.
    raw_delete = _private("django.db.models.query", "QuerySet._raw_delete")
    inspect.signature(raw_delete).bind(None, "default")


@_internal(
    "tracker.E010",
    "Query.is_sliced, distinct, combinator, annotations, extra",
    "tracker.exports.tables.Table.iter_rows",
)
def _probe_is_reshaped() -> None:
    from django.db.models import Value

    from .models import Actor

    plain = Actor.objects.all()
    _expect(not is_reshaped(plain), "a plain queryset counts as reshaped")
    for label, reshaped in (
        ("a slice", plain[:2]),
        ("distinct()", plain.distinct()),
        ("union()", plain.union(plain)),
        ("annotate()", plain.annotate(one=Value(1))),
        ("extra()", plain.extra(select={"one": "1"})),
    ):
        _expect(is_reshaped(reshaped), f"{label} is not noticed")


@_internal("tracker.E011", "Query.order_by, Query.annotations", "tracker.search.rank_by_name")
def _probe_ordering_and_annotations() -> None:
    from django.db.models import Value

    from .models import Actor

    ordered = Actor.objects.order_by("name", "-slug")
    _expect(ordering_of(ordered) == ("name", "-slug"), "order_by() left no mark on the query")
    _expect(ordering_of(Actor.objects.all()) == (), "an unordered queryset has an ordering")
    _expect(ordering_of(ordered.order_by()) == (), "order_by() did not clear the ordering")
    aliased = Actor.objects.alias(rank=Value(1))
    _expect(isinstance(annotation_of(aliased, "rank"), Value), "alias() kept no expression")
    _expect(annotation_of(Actor.objects.all(), "rank") is None, "an annotation out of nowhere")


@_internal(
    "tracker.E012",
    "AdminSite.get_urls routing autocomplete/ to AdminSite.autocomplete_view",
    "tracker.admin.pickers",
)
def _probe_autocomplete_route() -> None:
    _expect(
        admin_routes_autocomplete_view(),
        "AdminSite.get_urls no longer routes autocomplete/ to site.autocomplete_view",
    )


@checks.register()
def check_internals(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """An error for each library internal whose probe fails (see the module doc)."""
    if app_configs is not None and not any(c.name == "tracker" for c in app_configs):
        return []
    errors: list[checks.CheckMessage] = []
    for internal in INTERNALS:
        try:
            internal.probe()
        # Whatever a changed library raises (AttributeError, TypeError, ...) is the news.
        except Exception as exc:
            errors.append(
                checks.Error(
                    f"{internal.name} changed ({type(exc).__name__}: {exc}).",
                    hint=f"Used by {internal.used_by}. Adapt its wrapper in "
                    "tracker/internals.py; see docs/upgrading.md.",
                    id=internal.id,
                )
            )
    return errors

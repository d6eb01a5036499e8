"""The start-up check of the library internals wrapped in :mod:`tracker.internals`.

Each wrapped internal has a *probe* here: it calls the wrapper on objects built
in memory, never reading the database, and raises if the internal was renamed
or changed its signature or result. :func:`check_internals`, a Django system
check, runs every probe wherever Django runs its checks (``manage.py check``,
``setup_tracker``, ``runserver``, ``migrate``) and reports a failing one as an
error naming it (``tracker.E001`` ...) before any request meets it. The
upgrade checklist is ``docs/upgrading.md``. The private names themselves are
named only in :mod:`tracker.internals`.
"""

from __future__ import annotations

import copy
import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.core import checks
from django.db.models import BooleanField
from django.utils import timezone

from .internals import (
    InternalChanged,
    admin_routes_autocomplete_view,
    and_conditions,
    annotation_of,
    choice_iterator_class,
    compile_values,
    compiled_sql,
    condition_columns,
    convert_row,
    drf_datetime_writes_default_iso,
    drf_utc_iso,
    followed_objects,
    is_filtered,
    is_reshaped,
    is_sliced,
    names_used,
    ordering_of,
    own_field,
    raw_delete_function,
    url_with_param,
    url_without_param,
    values_names,
    with_conditions_replaced,
    without_alias,
    without_select_related,
)


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
    "tracker.api.readers.IdQuery, tracker.models.base.distinct_years, tracker.key_conditions.AnyOf",
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
    sql, params = compiled_sql(queryset, connections[queryset.db])
    _expect((sql, params) == (compiled.sql, (7, 8)), f"compiled_sql gave {sql!r}, {params!r}")


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
    "ChangeList.date_hierarchy, params, queryset, root_queryset, paginator, get_results; "
    "the date_hierarchy tag's questions to cl.queryset",
    "tracker.admin.base.ScalableChangeList",
)
def _probe_changelist() -> None:
    from django.contrib.admin.templatetags import admin_list
    from django.contrib.admin.views.main import ChangeList

    inspect.signature(ChangeList.get_results).bind(None, None)
    missing = {"date_hierarchy", "params", "queryset", "root_queryset"} - names_used(
        ChangeList.__init__
    )
    _expect(not missing, f"ChangeList no longer sets {', '.join(sorted(missing))}")
    _expect(
        "paginator" in names_used(ChangeList.get_results),
        "ChangeList.get_results no longer sets paginator",
    )
    _expect(
        "queryset" in names_used(admin_list.date_hierarchy),
        "the date_hierarchy template tag no longer reads cl.queryset",
    )
    # A search's date bar is answered from dates already read (date_bar_from_dates):
    # the tag must ask the rows only for what TrackedQuerySet answers from them. The
    # rows here are none(): whatever else it asked would find no years, and no query.
    from .models import Statement

    class Bar:
        date_hierarchy, model, params = "date", Statement, {}
        queryset = Statement.objects.none().with_known_dates(
            "date", [dt.date(2019, 5, 1), dt.date(2020, 1, 1)]
        )

        def get_query_string(self, new_params=None, remove=None) -> str:
            return "?"

    titles = [choice["title"] for choice in admin_list.date_hierarchy(Bar())["choices"]]
    _expect(
        titles == ["2019", "2020"],
        "the date_hierarchy template tag no longer asks only aggregate(Min, Max) and dates()",
    )


@_internal(
    "tracker.E006",
    "django.utils.choices.BaseChoiceIterator",
    "tracker.api.filter_fields.SharedChoices",
)
def _probe_choice_iterator() -> None:
    from .api.filter_fields import COUNTRY_CHOICES

    base = choice_iterator_class()
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
    raw_delete = raw_delete_function()
    inspect.signature(raw_delete).bind(None, "default")


@_internal(
    "tracker.E010",
    "Query.is_sliced, distinct, combinator, annotations, extra",
    "tracker.exports.tables.Table.iter_rows, tracker.key_conditions.AnyOf",
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
        ("extra(tables=...)", plain.extra(tables=["tracker_source"])),
    ):
        _expect(is_reshaped(reshaped), f"{label} is not noticed")
    _expect(is_sliced(plain[:2]) and not is_sliced(plain), "a slice is not told apart")


@_internal(
    "tracker.E011",
    "Query.order_by, Query.annotations",
    "tracker.search.rank_by_name, tracker.search.ranked_head",
)
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
    stripped = without_alias(aliased, "rank")
    _expect(annotation_of(stripped, "rank") is None, "without_alias() left the alias")
    _expect(annotation_of(aliased, "rank") is not None, "without_alias() changed the original")


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


#: Made once, on import: a field made while another probe's library is broken
#: (E006, Django's choices) would fail for that reason and not for its own.
_BOOLEAN = BooleanField()


@_internal(
    "tracker.E013",
    "Query.where: filter(expression) kept as Exact(expression, True) in WhereNode.children",
    "tracker.substrings.answered_from_index and read_checked, tracker.key_conditions.walked_rows, "
    "condition_columns' column tests, and_conditions' expressions",
)
def _probe_conditions_replaced() -> None:
    from django.db.models import Q, Value

    from .models import Actor

    def condition(value: bool) -> Value:
        return Value(value, output_field=_BOOLEAN)

    def found(queryset) -> list:
        seen = []
        with_conditions_replaced(queryset, Value, lambda e: seen.append(e.value) or e)
        return seen

    original = Actor.objects.filter(Q(condition(True)) | Q(pk=0), condition(True))
    _expect(found(original) == [True, True], "a filter(expression) condition was not found")
    replaced = with_conditions_replaced(original, Value, lambda e: condition(False))
    _expect(found(replaced) == [False, False], "a condition was not replaced")
    _expect(found(original) == [True, True], "the original queryset was changed")


@_internal(
    "tracker.E014",
    "Query.where and Query.base_table: plain conditions as Lookup(Col, value)",
    "tracker.counting.EstimatedCountPaginator (pages read by their keys), "
    "tracker.link_counts (own_field)",
)
def _probe_condition_columns() -> None:
    from django.db.models import F

    from .models import Actor

    plain = Actor.objects.filter(kind="state").exclude(publication_status="draft")
    _expect(
        condition_columns(plain) == {"kind", "publication_status"},
        "plain conditions were not found as their columns",
    )
    _expect(condition_columns(Actor.objects.all()) == set(), "an unfiltered list has conditions")
    _expect(condition_columns(Actor.objects.filter(name=F("slug"))) is None, "an F() passed")
    joined = Actor.objects.filter(statements_made__kind="direct_quote")
    _expect(condition_columns(joined) is None, "a joined table's column passed")
    listed = Actor.objects.filter(kind="state")
    kind = listed.query.where.children[0]
    _expect(own_field(kind.lhs, listed) is Actor._meta.get_field("kind"), "a column not found")
    _expect(own_field(kind.rhs, listed) is None, "a value taken for a column")


@_internal(
    "tracker.E015",
    "Query.where: AND-ed conditions as the children of WhereNodes (connector, negated); "
    "Query.values_select",
    "tracker.link_counts (a link-filtered list counted from its keys), "
    "tracker.published_counts (a published list counted less its unpublished matches)",
)
def _probe_and_conditions() -> None:
    # filter(expression) kept as Exact(expression, True) is E013's.
    from django.db.models import Q

    from .models import Actor

    leaves = and_conditions(Actor.objects.filter(kind="state").filter(country="RU"))
    _expect(leaves is not None and len(leaves) == 2, "AND-ed conditions were not found")
    _expect(
        [leaf.lhs.target.name for leaf in leaves] == ["kind", "country"],
        "plain conditions were not found as their lookups",
    )
    _expect(and_conditions(Actor.objects.all()) == [], "an unfiltered list has conditions")
    or_ed = Actor.objects.filter(Q(kind="state") | Q(kind="person"))
    _expect(and_conditions(or_ed) is None, "OR-ed conditions passed")
    _expect(and_conditions(Actor.objects.exclude(kind="state")) is None, "a negation passed")
    grouped = and_conditions(or_ed.filter(country="RU"), keep_groups=True)
    _expect(
        grouped is not None and [type(leaf).__name__ for leaf in grouped] == ["WhereNode", "Exact"],
        "an OR-ed group was not kept whole",
    )
    _expect(values_names(Actor.objects.values("pk")) == ("pk",), "values() names not found")


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

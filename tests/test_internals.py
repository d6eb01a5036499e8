"""The start-up check of the library internals the tracker relies on (``tracker.internals_check``).

Each case changes one internal the way an upgrade could (removed, renamed,
another signature or result) and expects the check to name it under its id.
None of these tests is marked for the database: the check must not read it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import reversion.revisions
from django.contrib.admin.sites import AdminSite
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.views.main import ChangeList
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db.models import BooleanField, ExpressionWrapper, Q, expressions
from django.db.models.query import QuerySet
from django.db.models.sql import where
from django.db.models.sql.compiler import SQLCompiler
from django.db.models.sql.query import Query
from django.db.models.sql.where import WhereNode
from django.utils import choices
from rest_framework.fields import DateTimeField
from rest_framework.utils import urls

from tracker.internals import CHECKED_AGAINST
from tracker.internals_check import INTERNALS, check_internals


def test_the_check_passes_with_the_installed_libraries():
    assert check_internals() == []


def test_the_versions_checked_against_are_the_pinned_ones():
    """Changing a pin in requirements.txt means going through docs/upgrading.md first."""
    lines = (Path(__file__).parent.parent / "requirements.txt").read_text().splitlines()
    pins = dict(line.split("==") for line in lines if "==" in line)
    assert {name: pins[name] for name in CHECKED_AGAINST} == CHECKED_AGAINST


def test_every_internal_has_its_own_id():
    ids = [internal.id for internal in INTERNALS]
    assert ids == [f"tracker.E{n:03}" for n in range(1, len(ids) + 1)]


def _init_without_root_queryset(self, request, model, *args):
    self.date_hierarchy = self.params = self.queryset = None


def _date_bar_asking_a_copy(date_hierarchy):
    # A tag that asks a copy of the rows (which knows none of their dates already read).
    def asking_a_copy(cl):
        cl.queryset = cl.queryset.all()
        return date_hierarchy(cl)

    return asking_a_copy


def _converters_of_nothing(self):
    return {}


def _urls_without_autocomplete(self):
    return []


_build_filter = Query.build_filter


def _build_filter_wrapping_expressions(self, filter_expr, *args, **kwargs):
    """Query.build_filter as if Django kept a filter(expression) condition in another wrapper."""
    if hasattr(filter_expr, "resolve_expression") and not isinstance(filter_expr, Q):
        filter_expr = ExpressionWrapper(filter_expr, output_field=BooleanField())
    return _build_filter(self, filter_expr, *args, **kwargs)


def _gone(module: str, name: str) -> str:
    return f"InternalChanged: {module}.{name} no longer exists"


BREAKAGES = [
    pytest.param(
        lambda mp: mp.delattr(reversion.revisions, "_follow_relations_recursive"),
        "tracker.E001",
        _gone("reversion.revisions", "_follow_relations_recursive"),
        id="reversion-follow-removed",
    ),
    pytest.param(
        lambda mp: mp.setattr(SQLCompiler, "get_converters", _converters_of_nothing),
        "tracker.E002",
        "TypeError: _converters_of_nothing() takes 1 positional argument but 2 were given",
        id="compiler-get-converters-signature",
    ),
    pytest.param(
        lambda mp: mp.setattr(WhereNode, "__bool__", lambda self: True),
        "tracker.E003",
        "InternalChanged: an unfiltered queryset counts as filtered",
        id="query-where-always-set",
    ),
    pytest.param(
        lambda mp: mp.setattr(QuerySet, "select_related", lambda self, *fields: self),
        "tracker.E004",
        "InternalChanged: select_related() left no mark on the query",
        id="query-select-related-elsewhere",
    ),
    pytest.param(
        lambda mp: mp.setattr(ChangeList, "__init__", _init_without_root_queryset),
        "tracker.E005",
        "InternalChanged: ChangeList no longer sets root_queryset",
        id="changelist-root-queryset-gone",
    ),
    pytest.param(
        lambda mp: mp.setattr(
            admin_list, "date_hierarchy", _date_bar_asking_a_copy(admin_list.date_hierarchy)
        ),
        "tracker.E005",
        "InternalChanged: the date_hierarchy template tag no longer asks only "
        "aggregate(Min, Max) and dates()",
        id="date-hierarchy-asks-a-copy",
    ),
    pytest.param(
        lambda mp: mp.delattr(choices, "BaseChoiceIterator"),
        "tracker.E006",
        _gone("django.utils.choices", "BaseChoiceIterator"),
        id="base-choice-iterator-renamed",
    ),
    pytest.param(
        lambda mp: mp.delattr(urls, "replace_query_param"),
        "tracker.E007",
        _gone("rest_framework.utils.urls", "replace_query_param"),
        id="drf-replace-query-param-removed",
    ),
    pytest.param(
        lambda mp: mp.setattr(DateTimeField, "to_representation", lambda self, v: v.isoformat()),
        "tracker.E008",
        "InternalChanged: DRF writes 2020-01-02T03:04:05.123456+00:00, "
        "the reader 2020-01-02T03:04:05.123456Z",
        id="drf-datetime-output-changed",
    ),
    pytest.param(
        lambda mp: mp.delattr(QuerySet, "_raw_delete"),
        "tracker.E009",
        _gone("django.db.models.query", "QuerySet._raw_delete"),
        id="queryset-raw-delete-removed",
    ),
    pytest.param(
        lambda mp: mp.setattr(Query, "is_sliced", property(lambda self: False)),
        "tracker.E010",
        "InternalChanged: a slice is not noticed",
        id="query-is-sliced-elsewhere",
    ),
    pytest.param(
        lambda mp: mp.setattr(QuerySet, "order_by", lambda self, *fields: self),
        "tracker.E011",
        "InternalChanged: order_by() left no mark on the query",
        id="query-order-by-elsewhere",
    ),
    pytest.param(
        lambda mp: mp.setattr(AdminSite, "get_urls", _urls_without_autocomplete),
        "tracker.E012",
        "InternalChanged: AdminSite.get_urls no longer routes autocomplete/ "
        "to site.autocomplete_view",
        id="admin-autocomplete-route-changed",
    ),
    pytest.param(
        lambda mp: mp.setattr(Query, "build_filter", _build_filter_wrapping_expressions),
        "tracker.E013",
        "InternalChanged: a filter(expression) condition was not found",
        id="query-filter-expression-stored-otherwise",
    ),
    pytest.param(
        # Another class for a plain condition's column than the one the wrapper knows.
        lambda mp: mp.setattr(expressions, "Col", type("Col", (), {})),
        "tracker.E014",
        "InternalChanged: plain conditions were not found as their columns",
        id="query-plain-condition-stored-otherwise",
    ),
    pytest.param(
        # Another name for the connector of AND-ed conditions than the one the wrapper knows.
        lambda mp: mp.setattr(where, "AND", "ALL"),
        "tracker.E015",
        "InternalChanged: AND-ed conditions were not found",
        id="query-and-connector-named-otherwise",
    ),
]


@pytest.mark.parametrize(("breakage", "check_id", "reason"), BREAKAGES)
def test_a_changed_internal_is_reported_under_its_id(monkeypatch, breakage, check_id, reason):
    internal = next(i for i in INTERNALS if i.id == check_id)
    breakage(monkeypatch)

    errors = check_internals()

    assert [(e.id, e.msg) for e in errors] == [(check_id, f"{internal.name} changed ({reason}).")]


def test_every_internal_has_a_breakage_case():
    assert sorted({case.values[1] for case in BREAKAGES}) == [i.id for i in INTERNALS]


def test_the_hint_names_the_users_and_the_checklist(monkeypatch):
    monkeypatch.delattr(urls, "replace_query_param")

    (error,) = check_internals()

    assert error.hint == (
        "Used by tracker.api.pagination.RecordPagination. Adapt its wrapper in "
        "tracker/internals.py; see docs/upgrading.md."
    )


def test_manage_py_check_fails_naming_the_internal(monkeypatch):
    monkeypatch.delattr(reversion.revisions, "_follow_relations_recursive")

    with pytest.raises(SystemCheckError) as failure:
        call_command("check")

    assert "(tracker.E001) reversion.revisions._follow_relations_recursive changed" in str(
        failure.value
    )

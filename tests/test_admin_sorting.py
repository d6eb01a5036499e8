"""The admin lists: sorted only by columns an index reads in order, ties in the column's
direction; filters that read an index."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.factories import StatementFactory
from tests.plans import plan_of
from tracker.dates import Precision
from tracker.models import DeletedRecord

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"


def changelist(model, editor):
    request = RequestFactory().get("/")
    request.user = editor
    return admin.site.get_model_admin(model).get_changelist_instance(request)


def tracker_admins() -> list:
    return [m for m in apps.get_app_config("tracker").get_models() if admin.site.is_registered(m)]


def test_each_list_sorts_by_the_columns_an_index_reads_in_order(editor):
    sortable = {
        model._meta.model_name: changelist(model, editor).sortable_by for model in tracker_admins()
    }

    assert sortable == {
        "deletedrecord": ["slug", "deleted_at"],
        "actor": ["name_column", "kind", "country"],
        "agreement": ["title_column", "concluded_display"],
        "armsdeal": ["title_column", "period_display"],
        "exercise": ["name_column", "start_date_display"],
        "statement": ["date_display"],
        "source": ["title_column", "published_display"],
        "citation": ["footnote"],
    }


def test_a_column_that_does_not_sort_offers_no_link_to_sort_it(editor_client):
    StatementFactory()
    html = editor_client.get(reverse("admin:tracker_statement_changelist")).content.decode()

    headers = re.findall(r'<th scope="col" +class="([^"]*)"', html)
    assert headers == [
        "action-checkbox-column",
        "column-text_column",
        "column-speaker_column",
        "sortable column-date_display sorted ascending",
        "column-occasion_column",
        "column-publication_column",
    ]


def dated_statements():
    day = dt.date(2019, 7, 23)
    for slug in ("b-said", "c-said", "a-said"):
        StatementFactory(slug=slug, date=day, date_precision=Precision.DAY)
    StatementFactory(slug="later", date=day + dt.timedelta(days=1), date_precision=Precision.DAY)


def page_slugs(editor_client, query: str) -> list[str]:
    url = reverse("admin:tracker_statement_changelist") + query
    response = editor_client.get(url)
    return [statement.slug for statement in response.context["cl"].result_list]


def test_ties_of_a_sorted_column_follow_its_direction(editor_client):
    dated_statements()

    assert page_slugs(editor_client, "?o=3") == ["a-said", "b-said", "c-said", "later"]
    assert page_slugs(editor_client, "?o=-3") == ["later", "c-said", "b-said", "a-said"]


def test_an_old_link_sorting_a_column_that_no_longer_sorts_lists_the_usual_order(editor_client):
    dated_statements()

    assert page_slugs(editor_client, "?o=-4") == ["a-said", "b-said", "c-said", "later"]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="plans are PostgreSQL's")
@pytest.mark.parametrize("model", tracker_admins(), ids=lambda model: model._meta.model_name)
def test_every_sortable_column_is_read_from_an_index_both_ways(editor_client, editor, model):
    for factory in factories.BY_MODEL.values():
        factory()  # an empty list reads no page
    DeletedRecord.objects.create(record_type="statement", slug="gone")
    shown = changelist(model, editor)
    url = reverse(f"admin:tracker_{model._meta.model_name}_changelist")
    unsorted = []
    for number, name in enumerate(shown.list_display):
        if name not in shown.sortable_by:
            continue
        for sign in ("", "-"):
            with CaptureQueriesContext(connection) as queries:
                assert editor_client.get(f"{url}?o={sign}{number}").status_code == 200
            rows = f'SELECT "{model._meta.db_table}"."id", '  # the page, not its date bar
            page = next(q["sql"] for q in queries if q["sql"].startswith(rows))
            # With sorting priced out, only a plan that reads an index in the column's
            # order (its ties sorted within one value at most) has no Sort.
            plan = plan_of(page, "sort", "seqscan")
            if re.search(r"^\s*(->\s+)?Sort\s+\(", plan, re.MULTILINE):
                unsorted.append(f"{sign}{name}:\n{plan}")
    assert (len(shown.sortable_by) > 0, unsorted) == (True, [])


@pytest.mark.skipif(not ON_POSTGRESQL, reason="plans are PostgreSQL's")
def test_the_estimated_value_filter_reads_the_estimated_deals_index(editor_client):
    factories.ArmsDealFactory(slug="guessed", value_is_estimate=True)
    for number in range(5):
        factories.ArmsDealFactory(slug=f"known-{number}")
    with connection.cursor() as cursor:
        # Statistics (tests never autovacuum): the estimated deals are the few.
        cursor.execute('ANALYZE "tracker_armsdeal"')
    url = reverse("admin:tracker_armsdeal_changelist") + "?value_is_estimate__exact=1"
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(url)
    rows = 'SELECT "tracker_armsdeal"."id", '
    page = next(q["sql"] for q in queries if q["sql"].startswith(rows))

    plan = plan_of(page, "seqscan")
    shown = [deal.slug for deal in response.context["cl"].result_list]
    assert (shown, "armsdeal_estimate_idx" in plan) == (["guessed"], True), plan


def test_only_the_first_sorted_column_is_applied(editor_client):
    from tracker.models import ActorKind

    factories.ActorFactory(slug="a-state", name="Zeta", kind=ActorKind.STATE)
    factories.ActorFactory(slug="b-state", name="Alpha", kind=ActorKind.STATE)
    factories.ActorFactory(slug="c-person", name="Mid", kind=ActorKind.PERSON)
    # Sorted by kind, then by name as Django's headers offer: within a kind, by slug.
    response = editor_client.get(reverse("admin:tracker_actor_changelist") + "?o=2.1")

    shown = response.context["cl"]
    assert [actor.slug for actor in shown.result_list] == ["c-person", "a-state", "b-state"]
    assert shown.get_ordering_field_columns() == {2: "asc"}

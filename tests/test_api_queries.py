"""A list request issues the same number of SQL queries for 1 record and for 100."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api_factories import (
    linked_actor,
    linked_agreement,
    linked_deal,
    linked_exercise,
    linked_statement,
)
from tests.factories import ActorFactory, SourceFactory
from tracker import services

pytestmark = pytest.mark.django_db


def make_exercise(n, china, russia):
    linked_exercise(f"exercise-{n}", china, russia)


def make_agreement(n, china, russia):
    linked_agreement(f"agreement-{n}", china, russia)


def make_deal(n, china, russia):
    linked_deal(f"deal-{n}", russia, china, ActorFactory(slug=f"maker-{n}"))


def make_statement(n, china, russia):
    exercise = linked_exercise(f"subject-{n}")
    linked_statement(f"statement-{n}", russia, about_actors=[china], about_exercises=[exercise])


def make_disputed_deal(n, china, russia):
    """A deal with two reported values and two status updates, each citing a source of its own."""
    deal = linked_deal(f"deal-{n}", russia, china)
    services.record_save(
        deal,
        reported_values=[
            {"field": "quantity", "quantity": 24, "rank": "preferred", "source": SourceFactory()},
            {"field": "quantity", "quantity": 20, "rank": "normal", "source": SourceFactory()},
        ],
        status_updates=[
            {
                "status": "signed",
                "as_of": dt.date(2015, 1, 1),
                "as_of_precision": 9,
                "source": SourceFactory(),
            },
            {
                "status": "in_delivery",
                "as_of": dt.date(2018, 1, 1),
                "as_of_precision": 9,
                "source": SourceFactory(),
            },
        ],
    )


def make_disputed_exercise(n, china, russia):
    """An exercise with a reported start date other than the one it shows."""
    exercise = linked_exercise(f"exercise-{n}", china, russia)
    services.record_save(
        exercise,
        reported_values=[
            {
                "field": "start_date",
                "date": dt.date(2019, 8, 1),
                "date_precision": 10,
                "source": SourceFactory(),
            },
        ],
    )


def make_actor(n, china, russia):
    linked_actor(f"force-{n}", parent=china)


def make_source(n, china, russia):
    SourceFactory(slug=f"work-{n}")


def queries_for(api, url: str, expected_rows: int) -> int:
    """How many queries one list request takes (checking it listed every row).

    On PostgreSQL the tables are analysed first: how a list is counted depends
    on whether its table has statistics (``tracker.counting``), and autovacuum
    would otherwise give them to it at a moment of its own choosing.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url)
    assert len(response.json()["results"]) == expected_rows
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "resource, make",
    [
        ("exercises", make_exercise),
        ("agreements", make_agreement),
        ("arms-deals", make_deal),
        ("statements", make_statement),
        ("arms-deals", make_disputed_deal),
        ("exercises", make_disputed_exercise),
        ("actors", make_actor),
        ("sources", make_source),
    ],
)
def test_list_query_count_is_the_same_for_1_and_100_records(api, resource, make):
    china = ActorFactory(slug="china", name="China")
    russia = ActorFactory(slug="russia", name="Russia")
    url = f"/api/v1/{resource}/?page_size=500"
    make(0, china, russia)
    # Other rows of the same list (China and Russia among the actors) are counted too.
    base_rows = api.get(url).json()["count"]
    one = queries_for(api, url, base_rows)
    for n in range(1, 100):
        make(n, china, russia)
    rows = api.get(url).json()["count"]

    hundred = queries_for(api, url, rows)

    assert (one, rows - base_rows) == (hundred, 99)


def test_filtered_list_query_count_is_the_same_for_1_and_100_records(api):
    china = ActorFactory(slug="china", name="China", country="CN")
    russia = ActorFactory(slug="russia", name="Russia", country="RU")
    url = "/api/v1/exercises/?actor=china&country=RU&date_from=2019-01-01&search=exercise"
    make_exercise(0, china, russia)
    one = queries_for(api, url, 1)
    for n in range(1, 100):
        make_exercise(n, china, russia)

    hundred = queries_for(api, url + "&page_size=100", 100)

    assert one == hundred


def test_sync_page_query_count_is_the_same_for_1_and_100_records(api):
    china = ActorFactory(slug="china", name="China")
    russia = ActorFactory(slug="russia", name="Russia")
    url = "/api/v1/exercises/?updated_since=2000-01-01T00:00:00Z&page_size=100"
    make_exercise(0, china, russia)
    one = queries_for(api, url, 1)
    for n in range(1, 100):
        make_exercise(n, china, russia)

    hundred = queries_for(api, url, 100)

    assert one == hundred


def test_deletions_feed_query_count_is_the_same_for_1_and_100_records(api):
    china = ActorFactory(slug="china")
    russia = ActorFactory(slug="russia")
    make_exercise(0, china, russia)
    url = "/api/v1/deletions/?page_size=100"
    from tracker.models import Exercise

    Exercise.objects.get().delete()
    one = queries_for(api, url, 1)
    for n in range(1, 100):
        make_exercise(n, china, russia)
    Exercise.objects.all().delete()

    hundred = queries_for(api, url, 100)

    assert one == hundred

"""No explorer page makes a query per row: more records, the same number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ActorFactory, ExerciseFactory, StatementFactory
from tracker import models

DAY = dt.date(2019, 9, 16)
PAGES = [
    "/",
    "/timeline/",
    "/timeline/?actor=russia&type=exercises&type=statements",
    "/charts/",
    "/search/?q=exercise",
    "/actors/russia/",
    "/exercises/exercise-0/",
    "/statements/statement-0/",
    "/feeds/",
    "/feeds/actors/russia/",
    "/sitemap-exercises.xml",
    "/sitemap.xml",
]


def queries(client, path: str) -> int:
    caches["default"].clear()  # measure the page, not the cache
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def add_records(number: int, russia, china) -> None:
    """``number`` exercises Russia and China held, and statements about them."""
    start = models.Exercise.objects.count()
    for n in range(start, start + number):
        exercise = ExerciseFactory(slug=f"exercise-{n}", name=f"Exercise {n}")
        for actor in (russia, china):
            models.ExerciseParticipant.objects.create(exercise=exercise, actor=actor)
        statement = StatementFactory(
            slug=f"statement-{n}", speaker=russia, text=f"Exercise {n}", date=DAY, date_precision=11
        )
        statement.about_exercises.add(exercise)
        statement.about_actors.add(china)


@pytest.mark.parametrize("path", PAGES)
def test_a_page_makes_no_more_queries_for_twenty_records_than_for_two(client, db, path):
    russia = ActorFactory(slug="russia", name="Russia", country="RU", kind="state")
    china = ActorFactory(slug="china", name="China", country="CN", kind="state")
    add_records(2, russia, china)
    few = queries(client, path)
    add_records(18, russia, china)

    # The home page's latest changes read one query per record type among them: fewer
    # types among the newest changes, fewer queries.
    assert queries(client, path) <= few

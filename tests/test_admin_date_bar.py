"""The admin's date bar over a search, answered from the dates its count read.

A changelist search counts its matches by reading their keys in order; it
reads their dates with them, and the date bar (first and last date, then the
years, months or days) is taken from those instead of asking the database for
them twice more.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.db.models import Count, Max, Min
from django.test.utils import CaptureQueriesContext

from tests.factories import StatementFactory
from tracker.dates import Precision
from tracker.models import Statement

pytestmark = pytest.mark.django_db


def statement(day: dt.date, text: str = "Naval drills were held.") -> Statement:
    return StatementFactory(date=day, date_precision=Precision.DAY, text=text)


def bar_links(response, part: str) -> list[str]:
    """The date bar's ``date__{part}`` values, in the page's order."""
    return re.findall(rf"date__{part}=(\d+)", response.content.decode())


def date_bar_queries(queries) -> list[str]:
    """Queries asking the search's matches for a first or last date or distinct dates
    (the sidebar's year filter lists the whole table's years: not the bar's)."""
    sql = [q["sql"].upper() for q in queries]
    return [q for q in sql if "LIKE" in q and ("MIN(" in q or "TRUNC" in q)]


@pytest.fixture
def naval_years():
    """Statements about naval drills in 2015, 2016 and 2017, and one other in 2010."""
    for year in (2016, 2015, 2017, 2016):
        statement(dt.date(year, 5, 1))
    statement(dt.date(2010, 5, 1), text="A land exercise.")


def test_a_search_lists_its_matches_years_without_asking_for_them(editor_client, naval_years):
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get("/admin/tracker/statement/?q=naval")

    assert (response.status_code, bar_links(response, "year")) == (200, ["2015", "2016", "2017"])
    assert date_bar_queries(queries) == []


def test_a_search_within_one_year_lists_its_months(editor_client):
    for day in (dt.date(2019, 7, 2), dt.date(2019, 3, 9), dt.date(2019, 7, 30)):
        statement(day)
    statement(dt.date(2019, 1, 1), text="A land exercise.")

    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get("/admin/tracker/statement/?q=naval")

    assert (bar_links(response, "year")[0], bar_links(response, "month")) == ("2019", ["3", "7"])
    assert date_bar_queries(queries) == []


def test_a_search_within_a_chosen_year_lists_that_years_months(editor_client, naval_years):
    statement(dt.date(2016, 11, 3))

    response = editor_client.get("/admin/tracker/statement/?q=naval&date__year=2016")

    assert bar_links(response, "month") == ["5", "11"]


def test_a_search_matching_nothing_shows_no_years(editor_client, naval_years):
    response = editor_client.get("/admin/tracker/statement/?q=zzzz")

    assert (response.status_code, bar_links(response, "year")) == (200, [])


def test_known_dates_answer_dates_and_first_and_last_without_a_query(
    django_assert_num_queries,
):
    days = [dt.date(2016, 5, 1), dt.date(2015, 12, 31), None, dt.date(2016, 1, 2)]
    rows = Statement.objects.all().with_known_dates("date", days)

    with django_assert_num_queries(0):
        years = rows.dates("date", "year", order="DESC")
        months = rows.dates("date", "month")
        extremes = rows.aggregate(first=Min("date"), last=Max("date"))

    assert years == [dt.date(2016, 1, 1), dt.date(2015, 1, 1)]
    assert months == [dt.date(2015, 12, 1), dt.date(2016, 1, 1), dt.date(2016, 5, 1)]
    assert extremes == {"first": dt.date(2015, 12, 31), "last": dt.date(2016, 5, 1)}


def test_known_dates_leave_other_questions_to_the_database(django_assert_num_queries):
    statement(dt.date(2016, 5, 1))
    rows = Statement.objects.all().with_known_dates("date", [dt.date(1999, 1, 1)])

    with django_assert_num_queries(2):
        counted = rows.aggregate(n=Count("pk"), first=Min("date"))
        others = rows.aggregate(first=Min("date", default=dt.date(2000, 1, 1)))

    first = dt.date(2016, 5, 1)
    assert (counted, others) == ({"n": 1, "first": first}, {"first": first})

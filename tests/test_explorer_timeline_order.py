"""The timeline's order within one day, its cursor, and date ranges over periods."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import caches

from explorer import timeline
from tests.factories import ExerciseFactory, StatementFactory
from tracker.date_ranges import earliest_start, longest_spans
from tracker.dates import Precision, overlap_q
from tracker.models import Exercise

NEW_YEAR = dt.date(2019, 1, 1)


def slugs_on(html: str) -> list[str]:
    """The records listed on a timeline page, in order."""
    block = html.split('<section aria-labelledby="items-title"', 1)[1]
    return re.findall(r'<a href="/[a-z-]+/([a-z0-9-]+)/">', block)


def read_all(client, url: str) -> list[str]:
    """Every record of the timeline at ``url``, following "Later records"."""
    seen = []
    while url:
        response = client.get(url)
        seen += slugs_on(response.content.decode())
        url = response.context["next_url"] and "/timeline/" + response.context["next_url"]
    return seen


@pytest.fixture
def new_year(db):
    """Records stored on 1 January 2019 at three precisions (a year is stored as 1 January)."""
    for slug, precision in [
        ("day-a", Precision.DAY),
        ("year-b", Precision.YEAR),
        ("month-c", Precision.MONTH),
        ("year-d", Precision.YEAR),
        ("day-e", Precision.DAY),
    ]:
        StatementFactory(slug=slug, date=NEW_YEAR, date_precision=precision)
    ExerciseFactory(slug="drill-2019", start_date=NEW_YEAR, start_date_precision=Precision.YEAR)


def test_one_days_records_are_ordered_by_type_then_coarsest_precision(client, new_year):
    assert slugs_on(client.get("/timeline/").content.decode()) == [
        "drill-2019",
        "year-b",
        "year-d",
        "month-c",
        "day-a",
        "day-e",
    ]


def test_one_days_records_page_without_losing_or_repeating_one(client, new_year, monkeypatch):
    monkeypatch.setattr(timeline, "WINDOW", 2)
    caches["default"].clear()

    assert read_all(client, "/timeline/") == [
        "drill-2019",
        "year-b",
        "year-d",
        "month-c",
        "day-a",
        "day-e",
    ]


def test_the_cursor_names_the_date_its_precision_the_type_and_the_slug(
    client, new_year, monkeypatch
):
    monkeypatch.setattr(timeline, "WINDOW", 2)
    caches["default"].clear()

    assert client.get("/timeline/").context["next_url"] == (
        "?after=2019-01-01~year~statements~year-b"
    )


def test_a_cursor_from_before_the_precision_joined_it_is_refused_clearly(client, new_year):
    response = client.get("/timeline/?after=2019-01-01~statements~year-b")

    assert (response.status_code, response.context["form"].errors["after"]) == (
        400,
        ["This link to later records is from an older timeline: start from its first page."],
    )


@pytest.mark.parametrize("after", ["2019-01-01~week~statements~x", "2019-01-01~year~ships~x"])
def test_a_cursor_with_an_unknown_precision_or_type_is_refused(client, db, after):
    assert client.get(f"/timeline/?after={after}").status_code == 400


@pytest.fixture
def periods(db):
    """Exercises with long and short periods, open ends, coarse ends, and one undated."""
    day, month, year, decade = Precision.DAY, Precision.MONTH, Precision.YEAR, Precision.DECADE
    rows = [
        ("long-2010-2016", dt.date(2010, 3, 1), day, dt.date(2016, 2, 10), day),
        ("short-2014-2015", dt.date(2014, 12, 25), day, dt.date(2015, 1, 3), day),
        ("ended-june-2014", dt.date(2014, 6, 1), day, dt.date(2014, 6, 10), day),
        ("open-2015", dt.date(2015, 1, 1), year, None, None),
        ("open-december-2014", dt.date(2014, 12, 1), month, None, None),
        ("ends-in-the-2010s", dt.date(2001, 1, 1), year, dt.date(2010, 1, 1), decade),
        ("ends-in-2015", dt.date(2013, 5, 1), month, dt.date(2015, 1, 1), year),
        ("after-2015", dt.date(2016, 1, 1), day, None, None),
    ]
    for slug, start, start_precision, end, end_precision in rows:
        ExerciseFactory(
            slug=slug,
            start_date=start,
            start_date_precision=start_precision,
            end_date=end,
            end_date_precision=end_precision,
        )
    ExerciseFactory(slug="undated", start_date=None, start_date_precision=None)


def test_a_date_range_keeps_every_period_reaching_into_it(client, periods):
    url = "/timeline/?type=exercises&date_from=2015&date_to=2015"

    assert slugs_on(client.get(url).content.decode()) == [
        "ends-in-the-2010s",
        "long-2010-2016",
        "ends-in-2015",
        "short-2014-2015",
        "open-2015",
    ]


@pytest.mark.parametrize(
    "date_from, date_to",
    [
        ("2015", "2015"),
        ("2014-12", ""),
        ("2014-06-05", "2014-06-05"),
        ("2010", "2012"),
        ("", "2014"),
        ("2030", ""),
    ],
)
def test_the_start_bound_changes_no_result(client, periods, date_from, date_to):
    form = timeline.TimelineForm({"date_from": date_from, "date_to": date_to})
    assert form.is_valid()
    first, last = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    plain = Exercise.objects.filter(overlap_q("start_date", "end_date", first, last)).order_by(
        "start_date", "start_date_precision", "slug"
    )
    url = f"/timeline/?type=exercises&date_from={date_from}&date_to={date_to}"

    assert slugs_on(client.get(url).content.decode()) == [row.slug for row in plain]


def test_the_earliest_start_is_the_longest_reach_back(periods):
    bound = earliest_start(Exercise.objects.all(), "start_date", "end_date", dt.date(2015, 1, 1))

    # The decade-ended exercise reaches 2015 and started in 2001.
    assert bound == dt.date(2001, 1, 1)


def test_the_longest_spans_are_per_end_precision(db):
    def held(start: dt.date, end: dt.date, precision: int) -> None:
        ExerciseFactory(start_date=start, end_date=end, end_date_precision=precision)

    held(dt.date(2019, 9, 16), dt.date(2019, 9, 21), Precision.DAY)
    held(dt.date(2019, 9, 1), dt.date(2019, 9, 30), Precision.DAY)
    held(dt.date(2001, 1, 1), dt.date(2010, 1, 1), Precision.DECADE)

    spans = longest_spans(Exercise, "start_date", "end_date")

    assert sorted(spans) == [(Precision.DECADE, 3287), (Precision.DAY, 29)]

"""Dates with precision: parsing, normalisation, display, validation, overlap."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.factories import ExerciseFactory, StatementFactory
from tracker.dates import FuzzyDate, Precision, Qualifier, earliest_match, overlap_q
from tracker.models import Exercise, Statement


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("2019-10-03", dt.date(2019, 10, 3), Precision.DAY),
        ("2019-09", dt.date(2019, 9, 1), Precision.MONTH),
        ("2016", dt.date(2016, 1, 1), Precision.YEAR),
        ("1980s", dt.date(1980, 1, 1), Precision.DECADE),
    ],
)
def test_parse_takes_precision_from_the_form(text, value, precision):
    parsed = FuzzyDate.parse(text)
    assert (parsed.value, parsed.precision) == (value, precision)


@pytest.mark.parametrize("text", ["2019-02-30", "Sept 2019", "19", "1985s", ""])
def test_parse_rejects_what_is_not_a_date(text):
    with pytest.raises(ValidationError):
        FuzzyDate.parse(text)


@pytest.mark.parametrize(
    ("fuzzy", "shown"),
    [
        (FuzzyDate(dt.date(2019, 10, 3), Precision.DAY), "3 October 2019"),
        (FuzzyDate(dt.date(2019, 9, 1), Precision.MONTH), "September 2019"),
        (FuzzyDate(dt.date(2016, 1, 1), Precision.YEAR, Qualifier.END), "end of 2016"),
        (FuzzyDate(dt.date(2016, 1, 1), Precision.YEAR, Qualifier.MID), "mid-2016"),
        (FuzzyDate(dt.date(1980, 1, 1), Precision.DECADE), "1980s"),
        (FuzzyDate(dt.date(1980, 1, 1), Precision.DECADE, Qualifier.END), "end of the 1980s"),
        (FuzzyDate(dt.date(2014, 1, 1), Precision.YEAR, Qualifier.APPROXIMATE), "c. 2014"),
        (FuzzyDate(None), "date unknown"),
    ],
)
def test_display_reads_as_the_source_words_it(fuzzy, shown):
    assert fuzzy.display() == shown


def test_latest_is_the_last_day_of_the_period():
    assert FuzzyDate(dt.date(2020, 2, 1), Precision.MONTH).latest == dt.date(2020, 2, 29)
    assert FuzzyDate(dt.date(1980, 1, 1), Precision.DECADE).latest == dt.date(1989, 12, 31)


def test_iso_carries_the_precision():
    assert FuzzyDate(dt.date(2019, 9, 1), Precision.MONTH).iso == "2019-09"
    assert FuzzyDate(dt.date(1980, 1, 1), Precision.DECADE).iso == "1980s"


def test_a_date_not_normalised_to_its_precision_is_an_error():
    errors = FuzzyDate(dt.date(2019, 9, 15), Precision.MONTH).errors()
    assert errors == [
        "A date with month precision is stored as the first day of its month: "
        "use 2019-09-01 for September 2019."
    ]


def test_end_of_a_single_day_is_an_error():
    errors = FuzzyDate(dt.date(2019, 9, 15), Precision.DAY, Qualifier.END).errors()
    assert errors == ["Early, mid and end of need a month, year or decade, not a day."]


def test_precision_without_a_date_is_an_error():
    assert FuzzyDate(None, Precision.YEAR).errors() == ["A precision is set but the date is empty."]


@pytest.mark.django_db
def test_overlap_respects_the_precision_of_each_date():
    year = ExerciseFactory(slug="year-2019", start_date=dt.date(2019, 1, 1), start_date_precision=9)
    ExerciseFactory(slug="day-2018", start_date=dt.date(2018, 12, 31), start_date_precision=11)
    spanning = ExerciseFactory(
        slug="spanning",
        start_date=dt.date(2018, 12, 1),
        start_date_precision=10,
        end_date=dt.date(2019, 1, 1),
        end_date_precision=10,
    )
    ExerciseFactory(slug="unknown", start_date=None, start_date_precision=None)
    found = Exercise.objects.filter(
        overlap_q("start_date", "end_date", dt.date(2019, 6, 1), dt.date(2019, 6, 30))
    )
    assert list(found.values_list("slug", flat=True)) == ["year-2019"]
    january = Exercise.objects.filter(
        overlap_q("start_date", "end_date", dt.date(2019, 1, 15), dt.date(2019, 1, 20))
    ).order_by("slug")
    assert list(january) == [spanning, year]


def said(slug: str, value: dt.date, precision: int) -> None:
    StatementFactory(slug=slug, date=value, date_precision=precision)


@pytest.mark.django_db
def test_earliest_match_is_the_first_date_whose_period_reaches_date_from():
    said("decade-2000s", dt.date(2000, 1, 1), Precision.DECADE)  # reaches 2014-06-01
    said("year-2013", dt.date(2013, 1, 1), Precision.YEAR)  # ends 2013-12-31
    said("year-2014", dt.date(2014, 1, 1), Precision.YEAR)  # reaches 2014-06-01
    said("day-2014-05", dt.date(2014, 5, 31), Precision.DAY)

    first = earliest_match(Statement.objects.all(), "date", dt.date(2014, 6, 1))

    assert first == dt.date(2014, 1, 1)


@pytest.mark.django_db
def test_earliest_match_finds_a_decade_before_finer_dates():
    said("decade-2010s", dt.date(2010, 1, 1), Precision.DECADE)
    said("day-2015", dt.date(2015, 3, 1), Precision.DAY)

    assert earliest_match(Statement.objects.all(), "date", dt.date(2015, 1, 1)) == dt.date(
        2010, 1, 1
    )


@pytest.mark.django_db
def test_earliest_match_is_none_when_no_date_reaches_date_from():
    said("month-2019-09", dt.date(2019, 9, 1), Precision.MONTH)

    assert earliest_match(Statement.objects.all(), "date", dt.date(2019, 10, 1)) is None

"""Dates with precision: parsing, normalisation, display, validation, overlap."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.factories import ExerciseFactory, StatementFactory
from tracker.dates import (
    ACCEPTED_FORMS,
    PERIOD_QUALIFIERS,
    FuzzyDate,
    Precision,
    Qualifier,
    earliest_match,
    overlap_q,
)
from tracker.models import Exercise, Statement

D, M, Y, X = Precision.DAY, Precision.MONTH, Precision.YEAR, Precision.DECADE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-10-03", FuzzyDate(dt.date(2019, 10, 3), D)),
        ("2019-09-01", FuzzyDate(dt.date(2019, 9, 1), D)),
        ("1 September 2019", FuzzyDate(dt.date(2019, 9, 1), D)),
        ("1st Sept. 2019", FuzzyDate(dt.date(2019, 9, 1), D)),
        ("September 1, 2019", FuzzyDate(dt.date(2019, 9, 1), D)),
        ("sep 30 2019", FuzzyDate(dt.date(2019, 9, 30), D)),
        ("29 February 2020", FuzzyDate(dt.date(2020, 2, 29), D)),
        ("September 2019", FuzzyDate(dt.date(2019, 9, 1), M)),
        ("Sep 2019", FuzzyDate(dt.date(2019, 9, 1), M)),
        ("Sept. 2019", FuzzyDate(dt.date(2019, 9, 1), M)),
        ("MAY 2019", FuzzyDate(dt.date(2019, 5, 1), M)),
        ("2019-09", FuzzyDate(dt.date(2019, 9, 1), M)),
        ("2016", FuzzyDate(dt.date(2016, 1, 1), Y)),
        ("1000", FuzzyDate(dt.date(1000, 1, 1), Y)),
        ("2999", FuzzyDate(dt.date(2999, 1, 1), Y)),
        ("1980s", FuzzyDate(dt.date(1980, 1, 1), X)),
        ("the 1980’s", FuzzyDate(dt.date(1980, 1, 1), X)),
        ("early 1990s", FuzzyDate(dt.date(1990, 1, 1), X, Qualifier.EARLY)),
        ("mid-2015", FuzzyDate(dt.date(2015, 1, 1), Y, Qualifier.MID)),
        ("mid 2015", FuzzyDate(dt.date(2015, 1, 1), Y, Qualifier.MID)),
        ("the middle of 2015", FuzzyDate(dt.date(2015, 1, 1), Y, Qualifier.MID)),
        ("end of 2016", FuzzyDate(dt.date(2016, 1, 1), Y, Qualifier.END)),
        ("the end of the 1980s", FuzzyDate(dt.date(1980, 1, 1), X, Qualifier.END)),
        ("late 2016", FuzzyDate(dt.date(2016, 1, 1), Y, Qualifier.END)),
        ("beginning of 2016", FuzzyDate(dt.date(2016, 1, 1), Y, Qualifier.EARLY)),
        ("about 2005", FuzzyDate(dt.date(2005, 1, 1), Y, Qualifier.APPROXIMATE)),
        ("c. 2005", FuzzyDate(dt.date(2005, 1, 1), Y, Qualifier.APPROXIMATE)),
        ("c.2005", FuzzyDate(dt.date(2005, 1, 1), Y, Qualifier.APPROXIMATE)),
        ("circa 2005", FuzzyDate(dt.date(2005, 1, 1), Y, Qualifier.APPROXIMATE)),
        ("~2005", FuzzyDate(dt.date(2005, 1, 1), Y, Qualifier.APPROXIMATE)),
        ("c. 3 October 2019", FuzzyDate(dt.date(2019, 10, 3), D, Qualifier.APPROXIMATE)),
        ("early September 2019", FuzzyDate(dt.date(2019, 9, 1), M, Qualifier.EARLY)),
        ("  End  of   2016 ", FuzzyDate(dt.date(2016, 1, 1), Y, Qualifier.END)),
        ("", FuzzyDate(None)),
        ("   ", FuzzyDate(None)),
        ("date unknown", FuzzyDate(None)),
    ],
)
def test_parse_reads_the_date_as_people_write_it(text, expected):
    assert FuzzyDate.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("09/08/2021", "the order of day and month differs between countries"),
        ("9.8.2021", "the order of day and month differs between countries"),
        ("2019-13", "no such date (month must be in 1..12)"),
        ("2019-02-30", "no such date (day is out of range for month)"),
        ("Smarch 2019", "“smarch” is neither an English month name nor a qualifier"),
        ("summer 2019", "“summer” is neither an English month name nor a qualifier"),
        ("before 2016", "“before” is neither an English month name nor a qualifier"),
        ("20019", "years run from 1000 to 2999 only"),
        ("999", "years run from 1000 to 2999 only"),
        ("19", "years run from 1000 to 2999 only"),
        ("80s", "years run from 1000 to 2999 only"),
        ("1985s", "a decade is written with its first year (1980s)"),
        ("about early 2019", "a date has one qualifier at most"),
        ("2019" * 20, "it is too long to be a date"),
    ],
)
def test_parse_refuses_what_it_cannot_read_saying_why_and_what_it_reads(text, reason):
    with pytest.raises(ValidationError) as refused:
        FuzzyDate.parse(text)
    (message,) = refused.value.messages
    assert reason in message
    assert message.endswith(f"Accepted: {ACCEPTED_FORMS}")


@pytest.mark.parametrize("text", ["yesterday", "Sept", "c2005", "2019/09/08", "-2019"])
def test_parse_refuses_text_close_to_no_form_with_the_accepted_forms(text):
    with pytest.raises(ValidationError) as refused:
        FuzzyDate.parse(text)
    assert refused.value.messages == [
        f"“{text}” is not a date the tracker can read. Accepted: {ACCEPTED_FORMS}"
    ]


@pytest.mark.parametrize("text", ["end of 3 October 2019", "early 2019-10-03", "mid-1 May 2019"])
def test_parse_refuses_a_part_of_a_single_day(text):
    with pytest.raises(ValidationError) as refused:
        FuzzyDate.parse(text)
    assert refused.value.messages == [
        f"“{text}”: Early, mid and end of need a month, year or decade, not a day."
    ]


def _dates_at(precision: int) -> list[dt.date]:
    """First days at ``precision``: every day of a leap year, every month of three years..."""
    if precision == D:
        leap = [dt.date(2020, 1, 1) + dt.timedelta(days=n) for n in range(366)]
        return [dt.date(1000, 1, 1), *leap, dt.date(2999, 12, 31)]
    if precision == M:
        return [dt.date(year, month, 1) for year in (1000, 2019, 2999) for month in range(1, 13)]
    if precision == Y:
        return [dt.date(year, 1, 1) for year in (1000, 1999, 2016, 2999)]
    return [dt.date(year, 1, 1) for year in (1000, 1980, 2000, 2990)]


VALID_COMBINATIONS = [
    (precision, qualifier)
    for precision in Precision.values
    for qualifier in Qualifier.values
    if not (precision == D and qualifier in PERIOD_QUALIFIERS)
]


@pytest.mark.parametrize(("precision", "qualifier"), VALID_COMBINATIONS)
def test_parse_reads_back_what_display_writes(precision, qualifier):
    dates = [FuzzyDate(value, precision, qualifier) for value in _dates_at(precision)]

    misread = [(d, d.display()) for d in dates if FuzzyDate.parse(d.display()) != d]

    assert (len(dates) > 0, misread) == (True, [])


def test_parse_reads_back_the_display_of_the_unknown_date():
    assert FuzzyDate.parse(FuzzyDate(None).display()) == FuzzyDate(None)


@pytest.mark.parametrize("precision", Precision.values)
def test_parse_reads_back_the_iso_form(precision):
    dates = [FuzzyDate(value, precision) for value in _dates_at(precision)]

    assert [d for d in dates if FuzzyDate.parse(d.iso) != d] == []


@pytest.mark.parametrize("qualifier", PERIOD_QUALIFIERS)
def test_a_part_of_a_single_day_cannot_be_read_back(qualifier):
    shown = FuzzyDate(dt.date(2019, 10, 3), D, qualifier).display()
    with pytest.raises(ValidationError):
        FuzzyDate.parse(shown)


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
def test_earliest_match_probes_every_precision_in_one_query_on_postgresql(
    django_assert_num_queries,
):
    from django.db import connection

    said("decade-2010s", dt.date(2010, 1, 1), Precision.DECADE)
    said("day-2015", dt.date(2015, 3, 1), Precision.DAY)
    probes = 1 if connection.vendor == "postgresql" else len(Precision.values)

    with django_assert_num_queries(probes):
        first = earliest_match(Statement.objects.all(), "date", dt.date(2015, 1, 1))

    assert first == dt.date(2010, 1, 1)


@pytest.mark.django_db
def test_earliest_match_is_none_when_no_date_reaches_date_from():
    said("month-2019-09", dt.date(2019, 9, 1), Precision.MONTH)

    assert earliest_match(Statement.objects.all(), "date", dt.date(2019, 10, 1)) is None

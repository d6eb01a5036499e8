"""The duplicate warning: records alike in name with overlapping dates are candidates."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tracker import duplicates, models
from tracker.dates import Precision

pytestmark = pytest.mark.django_db


@pytest.fixture
def tsentr():
    return f.ExerciseFactory(
        slug="tsentr-2019",
        name="Tsentr-2019",
        start_date=dt.date(2019, 9, 1),
        start_date_precision=Precision.MONTH,
    )


def exercise(name: str, year: int, month: int | None = 9) -> models.Exercise:
    return f.ExerciseFactory.build(
        slug="new-exercise",
        name=name,
        start_date=dt.date(year, month or 1, 1),
        start_date_precision=Precision.MONTH if month else Precision.YEAR,
    )


def test_fold_drops_case_and_punctuation():
    assert duplicates.fold("  Tsentr-2019 (Centre)") == "tsentr 2019 centre"


def test_same_name_written_differently_in_the_same_month_is_a_candidate(tsentr):
    assert duplicates.similar_records(exercise("Tsentr 2019", 2019)) == [tsentr]


def test_year_precision_overlapping_the_month_is_a_candidate(tsentr):
    assert duplicates.similar_records(exercise("tsentr 2019", 2019, month=None)) == [tsentr]


def test_similar_name_in_another_year_is_not_a_candidate(tsentr):
    assert duplicates.similar_records(exercise("Tsentr-2019", 2015)) == []


def test_different_name_in_the_same_month_is_not_a_candidate(tsentr):
    assert duplicates.similar_records(exercise("Vostok-2018", 2019)) == []


def test_unknown_date_may_be_a_duplicate(tsentr):
    record = exercise("Tsentr 2019", 2019)
    record.start_date, record.start_date_precision = None, None
    assert duplicates.similar_records(record) == [tsentr]


def test_a_record_is_not_its_own_duplicate(tsentr):
    assert duplicates.similar_records(tsentr) == []


def test_actors_without_dates_compare_names_only():
    russia = f.ActorFactory(slug="russia", name="Russia")
    assert duplicates.similar_records(f.ActorFactory.build(slug="russia-2", name="RUSSIA")) == [
        russia
    ]

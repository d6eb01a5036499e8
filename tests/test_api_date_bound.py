"""A date range over records with several periods (arms deals: a contract date or a
delivery period) starts the list's date index where matches can begin
(:func:`tracker.date_ranges.bounded_by_start`), without changing what is listed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import ArmsDealFactory, ExerciseFactory
from tests.plans import plan_of
from tracker.date_ranges import bounded_by_start
from tracker.dates import Precision, overlap_q
from tracker.models import ArmsDeal

ON_POSTGRESQL = connection.vendor == "postgresql"
PERIODS = (("contract_date", None), ("period_start", "period_end"))
FROM_2015 = dt.date(2015, 1, 1)


def contracted(slug: str, day: str, precision: int = Precision.DAY, **period) -> ArmsDeal:
    return ArmsDealFactory(
        slug=slug,
        contract_date=dt.date.fromisoformat(day),
        contract_date_precision=precision,
        **period,
    )


def delivered(start: str, end: str) -> dict:
    """A delivery period from one year to another (keywords of :func:`contracted`)."""
    return {
        "period_start": dt.date.fromisoformat(start),
        "period_start_precision": Precision.YEAR,
        "period_end": dt.date.fromisoformat(end),
        "period_end_precision": Precision.YEAR,
    }


def bound_of(queryset) -> str:
    """The ``contract_date >= ...`` the queryset's SQL holds, or "" (no bound)."""
    sql = str(queryset.query)
    marker = '"contract_date" >= '
    return sql.split(marker, 1)[1][:10] if marker in sql else ""


def test_deals_matching_by_contract_alone_are_read_from_their_first_contract(db):
    contracted("old", "2001-05-01")
    contracted("first", "2016-03-09")
    contracted("later", "2019-01-01")

    bounded = bounded_by_start(ArmsDeal.objects.all(), PERIODS, FROM_2015)

    assert bound_of(bounded) == "2016-03-09"


def test_a_deal_delivering_into_the_range_lowers_the_bound_to_its_contract(db):
    contracted("delivering", "2005-03-01", Precision.MONTH, **delivered("2010-01-01", "2019-01-01"))
    contracted("first", "2016-03-09")

    bounded = bounded_by_start(ArmsDeal.objects.all(), PERIODS, FROM_2015)

    assert bound_of(bounded) == "2005-03-01"


def test_a_deal_delivering_into_the_range_without_a_contract_date_leaves_no_bound(db):
    ArmsDealFactory(slug="undated-contract", **delivered("2010-01-01", "2019-01-01"))
    contracted("first", "2016-03-09")

    bounded = bounded_by_start(ArmsDeal.objects.all(), PERIODS, FROM_2015)

    assert bound_of(bounded) == ""


def test_no_deal_reaching_the_range_lists_nothing_without_a_query(db):
    contracted("old", "2001-05-01", **delivered("2001-01-01", "2003-01-01"))

    bounded = bounded_by_start(ArmsDeal.objects.all(), PERIODS, FROM_2015)

    with CaptureQueriesContext(connection) as queries:
        assert list(bounded) == []
    assert len(queries) == 0


@pytest.fixture
def deals(db):
    """Deals dated every way a deal can be: by contract, by period, by both, or neither."""
    contracted("decade-1990s", "1990-01-01", Precision.DECADE)
    contracted("year-2014", "2014-01-01", Precision.YEAR)
    contracted("month-2015-06", "2015-06-01", Precision.MONTH)
    contracted("day-2016", "2016-02-29")
    contracted(
        "delivers-to-2019", "2008-04-01", Precision.MONTH, **delivered("2010-01-01", "2019-01-01")
    )
    contracted(
        "delivered-by-2012", "2007-01-01", Precision.YEAR, **delivered("2008-01-01", "2012-01-01")
    )
    ArmsDealFactory(slug="period-only", **delivered("2013-01-01", "2016-01-01"))
    ArmsDealFactory(slug="undated")


@pytest.mark.parametrize(
    ("query", "first", "last", "expected"),
    [
        (
            "date_from=2015",
            "2015-01-01",
            None,
            ["delivers-to-2019", "month-2015-06", "day-2016", "period-only"],
        ),
        (
            "date_from=2014-06&date_to=2015-12",
            "2014-06-01",
            "2015-12-31",
            ["delivers-to-2019", "year-2014", "month-2015-06", "period-only"],
        ),
        ("date_from=2017", "2017-01-01", None, ["delivers-to-2019"]),
        ("date_from=2030", "2030-01-01", None, []),
    ],
)
def test_the_bound_changes_no_deal_listed_nor_their_order(api, deals, query, first, last, expected):
    first = dt.date.fromisoformat(first)
    last = last and dt.date.fromisoformat(last)
    plain = ArmsDeal.objects.filter(
        overlap_q("contract_date", None, first, last)
        | overlap_q("period_start", "period_end", first, last)
    ).order_by(*ArmsDeal._meta.ordering)

    response = api.get(f"/api/v1/arms-deals/?page_size=100&{query}")

    listed = [deal["slug"] for deal in response.json()["results"]]
    assert (listed, sorted(listed)) == ([deal.slug for deal in plain], sorted(expected))


@pytest.mark.skipif(not ON_POSTGRESQL, reason="plans are PostgreSQL's")
def test_a_date_range_over_deals_starts_the_contract_index_at_the_bound(api):
    # Forty deals a year apart, analysed: a page of those reaching 2015, in contract
    # order, is read from the contract date's index starting at the first match.
    for year in range(1980, 2020):
        contracted(f"deal-{year}", f"{year}-06-01")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tracker_armsdeal")
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/arms-deals/?page_size=2&date_from=2015")
    page = next(q["sql"] for q in queries if "ORDER BY" in q["sql"] and "LIMIT 2" in q["sql"])

    plan = plan_of(page, "sort", "incremental_sort", "seqscan", "bitmapscan")
    bound = [line for line in plan.splitlines() if "Index Cond" in line and "contract_date" in line]
    assert (response.json()["count"], len(bound)) == (5, 1), plan


def test_a_deal_delivering_into_the_range_is_listed_before_later_contracts(api):
    # The bound comes from the delivering deal's contract (2005), not the first
    # contract in the range (2016): a bound from the contracts alone would drop it.
    contracted("delivering", "2005-03-01", Precision.MONTH, **delivered("2010-01-01", "2019-01-01"))
    contracted("first", "2016-03-09")
    contracted("old", "2001-05-01")

    response = api.get("/api/v1/arms-deals/?date_from=2015")

    assert [deal["slug"] for deal in response.json()["results"]] == ["delivering", "first"]


@pytest.mark.parametrize("url", ["/api/v1/exercises/?date_from=1000", "/timeline/?date_from=1000"])
def test_a_period_longer_than_the_calendar_before_date_from_bounds_nothing(db, client, url):
    # A millennium-long exercise (a typo's) reaches back past the first day there is.
    ExerciseFactory(
        slug="typo-millennium",
        start_date=dt.date(1019, 1, 1),
        start_date_precision=Precision.YEAR,
        end_date=dt.date(2019, 1, 1),
        end_date_precision=Precision.YEAR,
    )

    response = client.get(url)

    assert (response.status_code, "typo-millennium" in response.content.decode()) == (200, True)

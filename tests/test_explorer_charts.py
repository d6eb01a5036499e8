"""The charts' counts: grouped in the database, fuzzy dates at their precision, a constant
number of queries however many records there are."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from explorer import charts
from tests.factories import ArmsDealFactory, ExerciseFactory, StatementFactory
from tracker import registry
from tracker.dates import Precision

DECADE, YEAR, MONTH, DAY = Precision.DECADE, Precision.YEAR, Precision.MONTH, Precision.DAY


def exercise(year: int | None, domain: str, precision=YEAR, **kwargs):
    day = dt.date(year, 1, 1) if year else None
    return ExerciseFactory(
        start_date=day, start_date_precision=precision if year else None, domain=domain, **kwargs
    )


def deal(year: int | None, scope="contract", precision=YEAR, amount=None, **kwargs):
    day = dt.date(year, 1, 1) if year else None
    place = "period_start" if scope == "aggregate" else "contract_date"
    dated = {place: day, f"{place}_precision": precision} if year else {}
    value = (
        {"value_amount": Decimal(amount), "value_currency": kwargs.pop("currency", "USD")}
        if amount
        else {}
    )
    return ArmsDealFactory(scope=scope, **dated, **value, **kwargs)


def statement(year: int | None, kind: str, precision=YEAR, **kwargs):
    day = dt.date(year, 1, 1) if year else None
    return StatementFactory(
        date=day, date_precision=precision if year else None, kind=kind, **kwargs
    )


def exercise_chart():
    return charts.stacked(registry.EXERCISE, "domain", "exercises", "Exercises")


def statement_chart():
    return charts.stacked(registry.STATEMENT, "kind", "statements", "Statements")


def table(chart) -> list[tuple]:
    """The chart's table: (row heading, [(category, count)], total), years then decades."""
    return [
        (bar.period, [(s["category"], s["count"]) for s in bar.segments], bar.total)
        for bar in chart.rows
    ]


@pytest.fixture
def exercises(db):
    """Seven published exercises (two known only to the 1980s, one undated) and a draft."""
    exercise(2019, "naval", DAY)
    exercise(2019, "naval", YEAR)
    exercise(2019, "land", MONTH)
    exercise(2017, "air", YEAR)
    exercise(1980, "land", DECADE)
    exercise(1980, "land", DECADE)
    exercise(None, "naval")
    exercise(2019, "naval", DAY, draft=True)


def test_exercises_are_counted_per_year_and_domain_decades_apart(exercises):
    assert table(exercise_chart()) == [
        ("2017", [("air", 1)], 1),
        ("2019", [("land", 1), ("naval", 2)], 3),
        ("1980s (decade only)", [("land", 2)], 2),
    ]


def test_a_date_known_only_to_its_decade_is_not_drawn_as_a_year(exercises):
    assert [bar.year for bar in exercise_chart().bars] == [2017, 2019]


def test_the_exercise_chart_states_decade_only_and_undated_records(exercises):
    assert exercise_chart().notes == [
        "2 exercises dated only to a decade are in the table under the decade, "
        "not drawn in a year.",
        "1 exercise with no known date is not shown.",
    ]


def test_a_decade_row_links_to_the_decade_on_the_timeline(exercises):
    assert exercise_chart().decades[0].url == (
        "/timeline/?type=exercises&date_from=1980-01-01&date_to=1989-12-31"
    )


def test_a_year_bar_is_labelled_with_its_numbers(exercises):
    assert exercise_chart().bars[1].label == "2019: 3 exercises (1 land, 2 naval)"


@pytest.fixture
def deals(db):
    """Published deals: values summed per year, currency and estimate; a draft left out."""
    deal(2016, amount="3000000000", value_is_estimate=True, precision=DAY)
    deal(2016, amount="500000000", value_is_estimate=True, precision=MONTH)
    deal(2016, scope="aggregate", amount="1000000000")
    deal(2016, amount="700", currency="RUB")
    deal(2018)
    deal(1990, scope="aggregate", precision=DECADE, amount="2000000000", value_is_estimate=True)
    deal(None)
    deal(None, scope="aggregate")
    deal(2016, amount="7000000000", draft=True)


def test_arms_deals_are_counted_per_year_and_scope(deals):
    assert table(charts.arms_deals()) == [
        ("2016", [("contract", 3), ("aggregate", 1)], 4),
        ("2018", [("contract", 1)], 1),
        ("1990s (decade only)", [("aggregate", 1)], 1),
    ]


def test_arms_deal_values_are_summed_per_currency_with_estimates_marked(deals):
    assert [(bar.period, bar.value) for bar in charts.arms_deals().rows] == [
        ("2016", "700 RUB; 1,000,000,000 USD; 3,500,000,000 USD (estimate)"),
        ("2018", "not given"),
        ("1990s (decade only)", "2,000,000,000 USD (estimate)"),
    ]


def test_the_arms_deal_chart_states_undated_and_aggregate_deals(deals):
    assert charts.arms_deals().notes == [
        "1 arms deal dated only to a decade is in the table under the decade, not drawn in a year.",
        "2 arms deals with no known date are not shown.",
        "3 of the deals are aggregate figures over a period, not single contracts; "
        "a period is counted in the year it starts.",
    ]


def test_a_deal_is_placed_by_its_contract_date_before_its_period(db):
    deal(2010, period_start=dt.date(2005, 1, 1), period_start_precision=YEAR)

    assert [bar.year for bar in charts.arms_deals().bars] == [2010]


def test_statements_are_counted_per_year_and_kind(db):
    statement(2020, "assessment", DAY)
    statement(2020, "assessment", MONTH)
    statement(2020, "direct_quote", YEAR)
    statement(2001, "paraphrase", DAY)
    statement(2001, "paraphrase", DAY, draft=True)

    assert table(statement_chart()) == [
        ("2001", [("paraphrase", 1)], 1),
        ("2020", [("direct_quote", 1), ("assessment", 2)], 3),
    ]


def test_the_chart_table_has_a_row_for_each_year_and_decade(client, exercises):
    html = client.get("/charts/").content.decode()

    figure = re.search(r'<figure class="chart" id="figure-exercises">(.*?)</figure>', html, re.S)
    assert re.findall(r'<th scope="row"><a href="[^"]+" rel="nofollow">([^<]+)</a>', figure[1]) == [
        "2017",
        "2019",
        "1980s (decade only)",
    ]


# -- queries ------------------------------------------------------------------------------


CHARTS = {
    "exercises": exercise_chart,
    "arms-deals": charts.arms_deals,
    "statements": statement_chart,
}


def spread(number: int) -> None:
    """``number`` records of each charted type, over ``number`` years, every category and
    precision, some undated and some drafts."""
    domains, kinds = ["land", "naval", "air"], ["direct_quote", "paraphrase", "assessment"]
    precisions = [DECADE, YEAR, MONTH, DAY]
    for n in range(number):
        precision = precisions[n % 4]
        year = 1950 + 3 * n if n % 5 else None
        if year and precision == DECADE:  # a decade is stored as its first year
            year = year // 10 * 10
        exercise(year, domains[n % 3], precision, draft=n % 7 == 6)
        deal(year, scope=("contract", "aggregate")[n % 2], precision=precision, amount=n + 1)
        statement(year, kinds[n % 3], precision)


def chart_queries(name: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        CHARTS[name]()
    return len(captured)


@pytest.mark.parametrize("name", CHARTS)
def test_a_chart_is_one_query_with_no_records(db, name):
    assert chart_queries(name) == 1


@pytest.mark.parametrize("name", CHARTS)
def test_a_chart_is_one_query_for_three_records(db, name):
    spread(3)

    assert chart_queries(name) == 1


@pytest.mark.parametrize("name", CHARTS)
def test_a_chart_is_one_query_for_forty_records_over_forty_years(db, name):
    spread(40)

    assert chart_queries(name) == 1


def test_the_charts_page_makes_three_queries(client, db):
    spread(12)

    with CaptureQueriesContext(connection) as captured:
        assert client.get("/charts/").status_code == 200
    read = [
        re.search(r'FROM "(\w+)" WHERE .*"record_type" = \'(\w+)\'', q["sql"]).groups()
        for q in captured
    ]
    assert read == [
        ("tracker_chartcount", "exercise"),
        ("tracker_chartcount", "arms_deal"),
        ("tracker_chartcount", "statement"),
    ]

"""The explorer's timeline and charts, read from the article seed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import caches
from django.db import connection

from explorer import timeline
from tests.factories import ExerciseFactory
from tracker.dates import Precision

ON_POSTGRESQL = connection.vendor == "postgresql"


def slugs_on(html: str) -> list[str]:
    """The records listed on a timeline page, in order."""
    block = html.split('<section aria-labelledby="items-title"', 1)[1]
    return re.findall(r'<a href="/[a-z-]+/([a-z0-9-]+)/">', block)


def test_the_timeline_starts_with_the_oldest_record(client, seeded):
    html = client.get("/timeline/").content.decode()

    assert slugs_on(html)[:3] == [
        "brezhnev-1981-normalisation-proposal",
        "brezhnev-1982-tashkent-proposal",
        "sino-soviet-economic-cooperation-agreement-1984",
    ]


def test_the_timeline_filters_by_actor_and_type(client, seeded):
    html = client.get("/timeline/?type=exercises&actor=china").content.decode()

    assert slugs_on(html) == [
        "peace-mission-2005",
        "china-tajikistan-anti-terrorism-exercise-2006",
        "china-tajikistan-anti-terrorism-exercise-2015",
        "china-tajikistan-anti-terrorism-exercise-2016",
        "vostok-2018",
        "cooperation-2019-china-tajikistan",
        "tsentr-2019",
        "russia-china-iran-naval-exercise-2019",
    ]


def test_the_timeline_filters_by_an_actors_country(client, seeded):
    html = client.get("/timeline/?country=in").content.decode()

    assert slugs_on(html) == ["tsentr-2019"]


def test_a_date_range_keeps_the_records_that_may_fall_in_it(client, seeded):
    html = client.get("/timeline/?type=exercises&date_from=2019-09-01&date_to=2019-09-30")

    # Two exercises are dated "2019" only: they may have been held in September.
    assert slugs_on(html.content.decode()) == [
        "cooperation-2019-china-kyrgyzstan",
        "cooperation-2019-china-tajikistan",
        "tsentr-2019",
    ]


def test_the_timeline_shows_a_deals_period_as_a_span(client, seeded):
    html = client.get("/timeline/?type=arms-deals").content.decode()

    assert (
        '<time datetime="2001">2001</time> – <time datetime="2009">2009</time></span>\n'
        '        <span class="kind">arms deal</span>\n'
        '        <a href="/arms-deals/russia-china-military-cooperation-2001-2009/">'
    ) in html


def test_a_date_known_to_the_decade_is_drawn_as_a_decade(client, db):
    ExerciseFactory(
        slug="border-drill-1990s", start_date=dt.date(1990, 1, 1), start_date_precision=8
    )

    html = client.get("/timeline/").content.decode()

    assert re.search(
        r'<h3 class="bucket">1990s</h3>\s*<ol class="items">\s*<li class="item exercise">\s*'
        r'<span class="when"><span class="span span-decade" title="known to the decade">'
        r'</span><time datetime="1990s">1990s</time>',
        html,
    )


@pytest.mark.parametrize(
    "query",
    [
        "date_from=2019-13-01",
        "date_from=0001-01-01",
        "actor=nobody",
        "type=ships",
        "after=garbage",
        "country=x",
        "date_from=2020-01-01&date_to=2019-01-01",
    ],
)
def test_bad_timeline_filters_are_refused_with_400(client, db, query):
    assert client.get(f"/timeline/?{query}").status_code == 400


def test_the_timeline_pages_without_losing_or_repeating_a_record(client, seeded, monkeypatch):
    everything = slugs_on(client.get("/timeline/?type=exercises&type=agreements").content.decode())
    monkeypatch.setattr(timeline, "WINDOW", 4)
    caches["default"].clear()  # the page cached with the larger window
    seen, url = [], "/timeline/?type=exercises&type=agreements"
    while url:
        response = client.get(url)
        seen += slugs_on(response.content.decode())
        url = response.context["next_url"] and "/timeline/" + response.context["next_url"]

    assert (seen, len(seen)) == (everything, 18)


def test_the_timeline_overview_counts_per_decade_for_the_filter(client, seeded):
    response = client.get("/timeline/?actor=china&type=exercises")

    assert response.context["overview"] == [
        {"decade": 2000, "counts": [2], "total": 2, "exact": True},
        {"decade": 2010, "counts": [6], "total": 6, "exact": True},
    ]


# -- charts -----------------------------------------------------------------------------


def chart(client, key):
    charts = client.get("/charts/").context["charts"]
    return next(c for c in charts if c.key == key)


def test_exercises_per_year_are_stacked_by_domain(client, seeded):
    bar = chart(client, "exercises").bars[-1]

    assert (bar.year, [(s["category"], s["count"]) for s in bar.segments]) == (
        2019,
        [("naval", 2), ("command_staff", 1), ("counter_terrorism", 3)],
    )


def test_each_exercise_bar_links_to_its_records_on_the_timeline(client, seeded):
    bar = chart(client, "exercises").bars[-1]

    assert bar.url == "/timeline/?type=exercises&date_from=2019-01-01&date_to=2019-12-31"


def test_the_exercise_chart_states_the_undated(client, seeded):
    assert chart(client, "exercises").notes == ["6 exercises with no known date are not shown."]


def test_arms_deal_values_are_given_with_estimates_marked(client, seeded):
    bars = chart(client, "arms-deals").bars

    assert [(b.year, b.value) for b in bars] == [
        (2001, "16,000,000,000 USD"),
        (2008, "not given"),
        (2016, "3,000,000,000 USD (estimate)"),
        (2017, "1,800,000,000 USD (estimate)"),
    ]


def test_the_arms_deal_chart_states_undated_and_aggregate_deals(client, seeded):
    assert chart(client, "arms-deals").notes == [
        "9 arms deals with no known date are not shown.",
        "7 of the deals are aggregate figures over a period, not single contracts; "
        "a period is counted in the year it starts.",
    ]


def test_statements_per_year_are_stacked_by_kind(client, seeded):
    bar = chart(client, "statements").bars[-1]

    assert (bar.year, [(s["category"], s["count"]) for s in bar.segments]) == (
        2020,
        [("direct_quote", 2), ("paraphrase", 2), ("assessment", 16)],
    )


def test_every_chart_has_a_table_with_a_row_per_bar(client, seeded):
    html = client.get("/charts/").content.decode()

    figures = re.findall(r'<figure class="chart" id="figure-([a-z-]+)">(.*?)</figure>', html, re.S)
    assert [(key, body.count('<th scope="row">')) for key, body in figures] == [
        ("exercises", 6),
        ("arms-deals", 4),
        ("statements", 6),
    ]


def test_the_network_on_an_actor_page_has_a_node_per_co_participant(client, seeded):
    html = client.get("/actors/russia/").content.decode()

    svg = re.search(r'<svg viewBox="0 0 420 420".*?</svg>', html, re.S).group(0)
    assert (svg.count('<circle cx="'), svg.count("<line ")) == (11, 10)


def test_precision_names_match_the_span_classes():
    assert [p.label for p in Precision] == ["decade", "year", "month", "day"]


def test_a_period_ending_in_the_year_it_starts_shows_that_year_once(client, seeded):
    html = client.get("/timeline/?type=arms-deals").content.decode()

    assert re.search(
        r'<time datetime="2008">2008</time></span>\s*<span class="kind">arms deal</span>\s*'
        r'<a href="/arms-deals/russia-china-military-cooperation-2008-decrease/">',
        html,
    )


@pytest.fixture
def links_probed_per_row(monkeypatch):
    """A country's links are looked up row by row wherever they could be (PostgreSQL):
    every actor set counts as many, and every count of links as enough."""
    from tracker import key_conditions

    monkeypatch.setattr(key_conditions, "LISTED_KEYS_LIMIT", 0)
    monkeypatch.setattr(timeline, "per_row_from", lambda model: 0 if ON_POSTGRESQL else None)


@pytest.mark.django_db
@pytest.mark.parametrize("probed", [False, True], ids=["links-read-first", "links-per-row"])
def test_the_country_filter_finds_records_through_every_role_of_an_actor(client, request, probed):
    if probed:
        request.getfixturevalue("links_probed_per_row")
    from tests.factories import (
        ActorFactory,
        AgreementFactory,
        ArmsDealFactory,
        StatementFactory,
    )
    from tracker.models import AgreementParty, ArmsDealContractor, ExerciseParticipant

    indian, other = ActorFactory(country="IN"), ActorFactory(country="FR")
    said = {"date_precision": Precision.DAY}
    signed = {"contract_date_precision": Precision.DAY}
    StatementFactory(slug="spoken", speaker=indian, date=dt.date(2001, 1, 1), **said)
    about = StatementFactory(slug="about", speaker=other, date=dt.date(2002, 1, 1), **said)
    about.about_actors.add(indian)
    ArmsDealFactory(slug="supplied", supplier=indian, contract_date=dt.date(2003, 1, 1), **signed)
    ArmsDealFactory(slug="received", recipient=indian, contract_date=dt.date(2004, 1, 1), **signed)
    built = ArmsDealFactory(slug="built", contract_date=dt.date(2005, 1, 1), **signed)
    ArmsDealContractor.objects.create(deal=built, actor=indian)
    drill = ExerciseFactory(slug="drill", start_date=dt.date(2006, 1, 1))
    ExerciseParticipant.objects.create(exercise=drill, actor=indian)
    treaty = AgreementFactory(slug="treaty", concluded=dt.date(2007, 1, 1))
    AgreementParty.objects.create(agreement=treaty, actor=indian)
    StatementFactory(slug="elsewhere", speaker=other, date=dt.date(2008, 1, 1), **said)

    html = client.get("/timeline/?country=in").content.decode()

    assert slugs_on(html) == ["spoken", "about", "supplied", "received", "built", "drill", "treaty"]


@pytest.mark.django_db
def test_a_window_by_country_looks_up_each_rows_links_on_postgresql(client, links_probed_per_row):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ActorFactory, StatementFactory

    indian = ActorFactory(country="IN")
    about = StatementFactory(slug="about", date=dt.date(2002, 1, 1), date_precision=Precision.DAY)
    about.about_actors.add(indian)
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/timeline/?country=in&type=statements").content.decode()
    probed = [q["sql"] for q in queries if "OFFSET 0)" in q["sql"]]

    # The window, and the overview's first and last date; not its count, whose
    # estimate the planner would take as half the rows.
    assert (slugs_on(html), len(probed)) == (
        ["about"],
        3 if connection.vendor == "postgresql" else 0,
    )

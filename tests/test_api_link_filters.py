"""Filters on links across many records: a country's records through every role,
and a link filter repeated (several footnotes, sources or actors)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api_factories import linked_deal, slugs
from tests.factories import ActorFactory, CitationFactory, SourceFactory, StatementFactory
from tracker import key_conditions
from tracker.api import filters

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def deals_by_country(db):
    """Arms deals reaching Kazakhstan as supplier, recipient, contractor, and not at all."""
    kz = ActorFactory(slug="kazakhstan", name="Kazakhstan", country="KZ")
    kz_plant = ActorFactory(slug="kz-plant", name="KZ plant", country="KZ")
    ru = ActorFactory(slug="russia", name="Russia", country="RU")
    cn = ActorFactory(slug="china", name="China", country="CN")
    linked_deal("kz-supplies", kz, cn)
    linked_deal("kz-receives", ru, kz)
    for number in (1, 2, 3):
        linked_deal(f"kz-builds-{number}", ru, cn, kz_plant)
    linked_deal("ru-to-cn", ru, cn)


@pytest.fixture
def links_probed_per_row(monkeypatch):
    """A page of a country's records looks up each row's links wherever it could
    (PostgreSQL): every count of links is taken as enough."""
    monkeypatch.setattr(filters, "per_row_from", lambda model: 0 if ON_POSTGRESQL else None)


@pytest.mark.parametrize(
    ("listed_keys_limit", "probed"), [(500, False), (2, False), (0, False), (2, True), (0, True)]
)
def test_country_filter_finds_deals_through_every_role(
    api, deals_by_country, monkeypatch, request, listed_keys_limit, probed
):
    # 500: every key named as a value; 2: the two actors named, the three
    # deals they build for by a subquery; 0: the actors by a subquery too.
    # Probed: the contractors' links looked up for each row the page reads.
    monkeypatch.setattr(key_conditions, "LISTED_KEYS_LIMIT", listed_keys_limit)
    if probed:
        request.getfixturevalue("links_probed_per_row")

    response = api.get("/api/v1/arms-deals/?country=KZ&ordering=slug")

    assert slugs(response) == [
        "kz-builds-1",
        "kz-builds-2",
        "kz-builds-3",
        "kz-receives",
        "kz-supplies",
    ]


def test_a_page_of_a_country_looks_up_each_rows_links_and_its_count_does_not(
    api, deals_by_country, monkeypatch, links_probed_per_row
):
    monkeypatch.setattr(key_conditions, "LISTED_KEYS_LIMIT", 0)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/arms-deals/?country=KZ&page_size=2")
    deals = [q["sql"] for q in queries if 'FROM "tracker_armsdeal"' in q["sql"]]
    probing = ["COUNT(*)" in sql for sql in deals if "OFFSET 0)" in sql]

    assert (response.json()["count"], probing) == (5, [False] if ON_POSTGRESQL else [])


@pytest.mark.parametrize(("page", "probed"), [(2, True), (3, False)])
def test_a_page_past_the_walks_reach_reads_a_countrys_links_first(
    api, deals_by_country, monkeypatch, links_probed_per_row, page, probed
):
    # Each row's links are worth looking up for the first two rows only.
    monkeypatch.setattr(key_conditions, "LISTED_KEYS_LIMIT", 0)
    monkeypatch.setattr(key_conditions, "walks_up_to", lambda links, threshold: 2)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/arms-deals/?country=KZ&page_size=1&ordering=slug&page={page}")
    deals = [q["sql"] for q in queries if 'FROM "tracker_armsdeal"' in q["sql"]]

    assert (slugs(response), any("OFFSET 0)" in sql for sql in deals)) == (
        [["kz-builds-2", "kz-builds-3"][page - 2]],
        probed and ON_POSTGRESQL,
    )


def test_country_without_actors_matches_nothing(api, deals_by_country):
    response = api.get("/api/v1/arms-deals/?country=AF")

    assert (response.status_code, response.json()["count"]) == (200, 0)


@pytest.fixture
def cited_twice(db):
    """Statements citing footnotes 12 and 13 (one of them twice), 12 only (from two
    sources), 13 only; and an actor citing both."""
    first, second = SourceFactory(slug="first-source"), SourceFactory(slug="second-source")
    both = StatementFactory(slug="cites-both")
    CitationFactory(statement=both, source=first, footnote=12)
    CitationFactory(statement=both, source=second, footnote=13)
    CitationFactory(statement=both, source=second, footnote=12)
    twelve = StatementFactory(slug="cites-twelve")
    CitationFactory(statement=twelve, source=first, footnote=12)
    CitationFactory(statement=twelve, source=second, footnote=12)
    CitationFactory(statement=StatementFactory(slug="cites-thirteen"), source=first, footnote=13)
    actor = ActorFactory(slug="cited-actor")
    CitationFactory(actor=actor, source=first, footnote=12)
    CitationFactory(actor=actor, source=second, footnote=13)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("footnote=12&footnote=13", ["cites-both"]),
        ("footnote=13&footnote=12", ["cites-both"]),
        ("footnote=12&footnote=12", ["cites-both", "cites-twelve"]),
        ("footnote=12&footnote=14", []),
        ("source=first-source&source=second-source", ["cites-both", "cites-twelve"]),
    ],
)
@pytest.mark.parametrize("semi_joined", [4, 1], ids=["semi-joined", "counted"])
def test_repeated_citation_filters_list_records_citing_all(
    api, cited_twice, monkeypatch, query, expected, semi_joined
):
    # Past SEMI_JOINED_VALUES, each record's distinct values are counted instead.
    monkeypatch.setattr(filters, "SEMI_JOINED_VALUES", semi_joined)
    response = api.get(f"/api/v1/statements/?{query}")

    assert sorted(slugs(response)) == expected


def test_several_footnotes_are_one_set_of_keys(api, cited_twice):
    # One set per footnote, each an array, had PostgreSQL test each row against the
    # second one element at a time: 14 s for two footnotes at a million statements.
    with CaptureQueriesContext(connection) as queries:
        api.get("/api/v1/statements/?footnote=12&footnote=13")
    key_sets = [
        # Counted from the link's keys (tracker.link_counts): the keys are one subquery.
        q["sql"].count("WITH linked(key)")
        + q["sql"].count('"tracker_statement"."id" = ANY(')
        + q["sql"].count('"tracker_statement"."id" IN (')
        for q in queries
        if 'FROM "tracker_citation"' in q["sql"] and 'FROM "tracker_statement"' in q["sql"]
    ]

    assert key_sets and set(key_sets) == {1}


def test_a_second_actor_is_tested_on_the_rows_the_first_names(api):
    # Each actor's links named by an array, PostgreSQL tested every row of the first
    # against the second one element at a time; the second is a hash of its keys.
    first, second = ActorFactory(slug="first-actor"), ActorFactory(slug="second-actor")
    StatementFactory(slug="about-both").about_actors.add(first, second)
    StatementFactory(slug="about-first").about_actors.add(first)
    StatementFactory(slug="said-by-first", speaker=first).about_actors.add(second)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/statements/?actor=first-actor&actor=second-actor")
    hashed = [
        q["sql"].count(") = true") for q in queries if "tracker_statement_about_actors" in q["sql"]
    ]

    assert (sorted(slugs(response)), max(hashed)) == (
        ["about-both", "said-by-first"],
        1 if connection.vendor == "postgresql" else 0,
    )

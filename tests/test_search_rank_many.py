"""Searches ranked by name with many matches: the exact and prefix matches ranked first,
the rest in the list's usual order, and every match listed once across pages."""

from __future__ import annotations

import math

import pytest
from django.db import connection
from django.db.models import Value
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    ActorFactory,
    StatementFactory,
)
from tests.ranking import (
    PLA_RANKED,
    RUSSIA_RANKED,
    actor_options,
    expected_options,
    other_matches,
)
from tracker import counting, search
from tracker.counting import EstimatedCountPaginator
from tracker.models import Actor

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"

# -- many matches: exact and prefix matches ranked, the rest in the usual order -----------------


@pytest.fixture
def many_matches(monkeypatch, settings):
    """Searches behave as if the seed's matches were too many to count and rank them all."""
    monkeypatch.setattr(EstimatedCountPaginator, "exact_limit", 2)
    settings.API_EXACT_COUNT_LIMIT = 2


def test_picker_with_many_matches_ranks_exact_and_prefix_then_lists_the_rest_by_name(
    editor_client, seeded, many_matches
):
    head = RUSSIA_RANKED[:3]  # the name and the names starting with it

    assert actor_options(editor_client, "Russia") == expected_options("Russia", head)


def test_picker_with_many_matches_finds_an_exact_alias_first(editor_client, seeded, many_matches):
    assert actor_options(editor_client, "PLA") == expected_options("PLA", PLA_RANKED)


def test_api_search_with_many_matches_lists_every_match_once_across_pages(
    api, seeded, many_matches
):
    slugs, url = [], "/api/v1/actors/?search=russia&page_size=4"
    while url:
        body = api.get(url).json()
        slugs += [row["slug"] for row in body["results"]]
        url = body["next"]

    head = [slug for slug, _ in RUSSIA_RANKED[:3]]
    assert slugs == head + [actor.slug for actor in other_matches("russia", head)]


def read_every_page(api, url: str) -> tuple[list[str], int, list[dict]]:
    """The slugs of every page from ``url`` on, the count, and the queries sent."""
    slugs = []
    with CaptureQueriesContext(connection) as queries:
        while url:
            body = api.get(url).json()
            slugs += [row["slug"] for row in body["results"]]
            url = body["next"]
    return slugs, body["count"], queries.captured_queries


@pytest.mark.skipif(not ON_POSTGRESQL, reason="only PostgreSQL's counts use its estimates")
def test_api_search_expected_few_in_its_table_is_counted_by_reading_its_keys_once_a_page(
    api, seeded, monkeypatch
):
    # Expected to match more than are ranked in full, but few in the table: counting
    # reads the matches' keys in the list's usual order, and the pages are taken from
    # them (the ranked head first), with no second read of the matches.
    monkeypatch.setattr(search, "FULL_RANK_LIMIT", 0)
    slugs, count, queries = read_every_page(api, "/api/v1/actors/?search=russia&page_size=4")

    head = [slug for slug, _ in RUSSIA_RANKED[:3]]
    keys_read = [q for q in queries if "LIMIT 10001" in q["sql"]]
    second_reads = [q for q in queries if "COUNT(" in q["sql"] or f"LIMIT {count + 1}" in q["sql"]]
    assert slugs == head + [actor.slug for actor in other_matches("russia", head)]
    assert (len(keys_read), second_reads) == (math.ceil(count / 4), [])


@pytest.mark.skipif(not ON_POSTGRESQL, reason="only PostgreSQL's counts use its estimates")
def test_api_search_page_its_ranked_head_fills_is_only_counted(api, seeded, monkeypatch):
    # The same search, a page of 3: the ranked head (3 names) fills it, so the other
    # matches' keys are not read for it.
    monkeypatch.setattr(search, "FULL_RANK_LIMIT", 0)
    with CaptureQueriesContext(connection) as queries:
        body = api.get("/api/v1/actors/?search=russia&page_size=3").json()

    keys_read = [q for q in queries if "LIMIT 10001" in q["sql"] and "COUNT(" not in q["sql"]]
    counts = [q for q in queries if "COUNT(" in q["sql"]]
    slugs = [row["slug"] for row in body["results"]]
    assert (slugs, len(counts), keys_read) == ([s for s, _ in RUSSIA_RANKED[:3]], 1, [])


@pytest.mark.skipif(not ON_POSTGRESQL, reason="only PostgreSQL's counts use its estimates")
def test_api_search_found_fewer_than_expected_reads_its_rest_as_sorted_keys_once_a_page(
    api, seeded, monkeypatch
):
    # Expected to match too many to read their keys while counting (5,000), but
    # counted exactly and few in the table: each page counts them, then reads their
    # keys sorted once for the matches after the ranked head.
    monkeypatch.setattr(search, "FULL_RANK_LIMIT", 0)
    monkeypatch.setattr(counting, "plan_estimate", lambda queryset: 5_000)
    slugs, count, queries = read_every_page(api, "/api/v1/actors/?search=russia&page_size=4")

    head = [slug for slug, _ in RUSSIA_RANKED[:3]]
    counts = [q for q in queries if "COUNT(" in q["sql"]]
    # (Its plan is asked first: EXPLAIN of the same read, not a read.)
    reads = [q for q in queries if not q["sql"].startswith("EXPLAIN")]
    rest_read = [q for q in reads if f"LIMIT {count + 1}" in q["sql"]]
    assert slugs == head + [actor.slug for actor in other_matches("russia", head)]
    # The head (3 names) fills no page of 4: every page reads the rest's keys.
    assert (len(counts), len(rest_read)) == (math.ceil(count / 4),) * 2


def estimated_far_above_the_exact_limit(monkeypatch) -> None:
    """Every list's count is taken as an estimate far above the exact limit (as
    PostgreSQL's planner may give it): its pages learn of a next one by looking ahead."""
    monkeypatch.setattr(counting, "count_rows", lambda *args, **kwargs: (50_000, False))


def spy(monkeypatch, owner, name: str) -> list:
    """The calls of ``owner.name`` from now on: (arguments, result) each."""
    calls, original = [], getattr(owner, name)

    def recorded(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append((args, result))
        return result

    monkeypatch.setattr(owner, name, recorded)
    return calls


def named_actors(*names: str) -> None:
    for name in names:
        ActorFactory(name=name, slug=name.lower().replace(" ", "-"))


def zorblax_search(api, monkeypatch) -> tuple[dict, list, list]:
    """The first page of 2 of actors searched for "zorblax"; the rows the paginator read
    (bottom, top) and the results of asking for matches past the ranked head."""
    rows = spy(monkeypatch, EstimatedCountPaginator, "rows")
    past = spy(monkeypatch, search, "matches_past_head")
    body = api.get("/api/v1/actors/?search=zorblax&page_size=2").json()
    return body, [args[1:] for args, _ in rows], [result for _, result in past]


def test_page_ending_where_the_ranked_head_does_asks_for_matches_past_it(api, monkeypatch):
    # The head: the first two of three names starting with the text. The row after
    # the page is not read; whether one follows is asked instead.
    estimated_far_above_the_exact_limit(monkeypatch)
    monkeypatch.setattr(search, "RANKED_HEAD", 2)
    named_actors("Zorblax", "Zorblax Fleet", "Zorblax Navy", "Old Zorblax")

    body, rows_read, past = zorblax_search(api, monkeypatch)

    slugs = [row["slug"] for row in body["results"]]
    assert (slugs, body["next"] is not None) == (["zorblax", "zorblax-fleet"], True)
    assert (rows_read, past) == ([(0, 2)], [True])


def test_page_ending_before_the_ranked_head_does_reads_its_next_row_from_the_head(api, monkeypatch):
    estimated_far_above_the_exact_limit(monkeypatch)
    named_actors("Zorblax", "Zorblax Fleet", "Zorblax Navy", "Old Zorblax")

    body, rows_read, past = zorblax_search(api, monkeypatch)

    assert (body["next"] is not None, rows_read, past) == (True, [(0, 3)], [])


@pytest.mark.parametrize("others, has_next", [(["Old Zorblax"], True), ([], False)])
def test_page_holding_the_whole_ranked_head_has_a_next_page_only_if_other_matches_exist(
    api, monkeypatch, others, has_next
):
    estimated_far_above_the_exact_limit(monkeypatch)
    named_actors("Zorblax", "Zorblax Fleet", *others)

    body, rows_read, past = zorblax_search(api, monkeypatch)

    slugs = [row["slug"] for row in body["results"]]
    assert (slugs, body["next"] is not None) == (["zorblax", "zorblax-fleet"], has_next)
    assert (rows_read, past) == ([(0, 2)], [has_next])


def ranked_zorblax() -> tuple:
    queryset = search.rank_by_name(Actor.objects.filter(name__icontains="zorblax"), "zorblax")
    rank = search.rank_of(queryset)
    return queryset, rank, search.ranked_head(queryset, rank)


@pytest.mark.parametrize(
    "names, ranked_head, answer, queries",
    [
        # A prefix match outside the head: found in the name-prefix index alone.
        (["Zorblax", "Zorblax Fleet", "Zorblax Navy", "Old Zorblax"], 2, True, 1),
        # A head shorter than RANKED_HEAD holds every prefix match: only the others asked.
        (["Zorblax", "Zorblax Fleet", "Old Zorblax"], 100, True, 1),
        # A full head, and nothing past it: both asked.
        (["Zorblax", "Zorblax Fleet"], 2, False, 2),
    ],
)
def test_matches_past_head_asks_the_name_prefix_index_first(
    monkeypatch, names, ranked_head, answer, queries
):
    monkeypatch.setattr(search, "RANKED_HEAD", ranked_head)
    named_actors(*names)
    queryset, rank, head = ranked_zorblax()

    with CaptureQueriesContext(connection) as captured:
        found = search.matches_past_head(queryset, rank, head)

    assert (found, len(captured)) == (answer, queries)


def test_every_page_of_a_search_ranked_in_part_lists_each_match_once(api, monkeypatch):
    estimated_far_above_the_exact_limit(monkeypatch)
    monkeypatch.setattr(search, "RANKED_HEAD", 2)
    names = ["Zorblax", "Zorblax Fleet", "Zorblax Navy", "Old Zorblax", "New Zorblax"]
    named_actors(*names)

    slugs, _count, _queries = read_every_page(api, "/api/v1/actors/?search=zorblax&page_size=2")

    assert (slugs[:2], sorted(slugs)) == (
        ["zorblax", "zorblax-fleet"],
        sorted(Actor.objects.filter(name__in=names).values_list("slug", flat=True)),
    )


def test_ranked_head_breaks_ties_as_the_list_does():
    # Three actors of the same name: rank and name tie, and the list's usual order
    # (by slug, last) decides, not the order the keys were created in.
    for slug in ("mm", "aa", "zz"):
        ActorFactory(name="Zorblax", slug=slug)
    queryset = search.rank_by_name(Actor.objects.filter(name__icontains="zorblax"), "zorblax")

    head = search.ranked_head(queryset, search.rank_of(queryset))

    assert head == list(queryset.values_list("pk", flat=True))


def test_ranked_head_of_a_list_ordered_through_a_to_many_link_lists_each_match_once():
    # Ordered by a statement of each actor: the list's conditions name the same link,
    # whose join the order reuses; the head keeps the list's rows and order.
    first, second = ActorFactory(name="Zorblax"), ActorFactory(name="Zorblax Fleet")
    StatementFactory(speaker=first, text="keep", slug="s-b")
    StatementFactory(speaker=first, text="other", slug="s-c")
    StatementFactory(speaker=second, text="keep", slug="s-a")
    listed = Actor.objects.filter(statements_made__text="keep").order_by("statements_made__slug")
    queryset = search.rank_by_name(listed, "zorblax")

    head = search.ranked_head(queryset, search.rank_of(queryset))

    assert head == list(queryset.values_list("pk", flat=True)) == [first.pk, second.pk]


def test_ranked_head_of_a_list_ordered_by_an_annotation_is_in_its_order(seeded):
    # The head is ordered within the list itself where the list's usual order names
    # more than fields.
    listed = Actor.objects.alias(one=Value(1)).order_by("one", "slug")
    queryset = search.rank_by_name(listed, "PLA")

    head = search.ranked_head(queryset, search.rank_of(queryset))

    slugs = dict(Actor.objects.filter(pk__in=head).values_list("pk", "slug"))
    assert [slugs[key] for key in head] == [s for s, _ in PLA_RANKED]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="only PostgreSQL's counts use its estimates")
def test_picker_ranks_only_the_best_when_the_database_expects_more_matches_than_it_ranks(
    editor_client, seeded, monkeypatch
):
    # 31 actors match; the planner is taken to expect 40, more than are ranked in full.
    monkeypatch.setattr(search, "FULL_RANK_LIMIT", 35)
    monkeypatch.setattr(counting, "plan_estimate", lambda queryset: 40)

    assert actor_options(editor_client, "Russia") == expected_options("Russia", RUSSIA_RANKED[:3])


@pytest.mark.skipif(not ON_POSTGRESQL, reason="only PostgreSQL's counts use its estimates")
@pytest.mark.parametrize("expected, counted", [(40, False), (30, True)])
def test_picker_counts_its_matches_only_when_it_ranks_them_all(
    editor_client, seeded, monkeypatch, expected, counted
):
    # A picker shows no total: matches too many to rank in full are not counted for it.
    monkeypatch.setattr(search, "FULL_RANK_LIMIT", 35)
    monkeypatch.setattr(counting, "plan_estimate", lambda queryset: expected)
    query = {"app_label": "tracker", "model_name": "exerciseparticipant", "field_name": "actor"}

    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get("/admin/autocomplete/", {**query, "term": "Russia"})

    ranked_keys_read = [
        q for q in queries if "ORDER BY CASE WHEN" in q["sql"] and "LIMIT 10001" in q["sql"]
    ]
    counts = [q for q in queries if "COUNT(" in q["sql"]]
    assert (len(response.json()["results"]), bool(ranked_keys_read), counts) == (20, counted, [])
    assert response.json()["pagination"]["more"] is True


def test_ranked_head_is_the_exact_and_prefix_matches_best_first_in_one_query(seeded):
    # "PLA": an alias that is the text, then a name starting with it; both found
    # by subqueries of the one query that orders them.
    queryset = search.rank_by_name(Actor.objects.all(), "PLA")
    with CaptureQueriesContext(connection) as queries:
        head = search.ranked_head(queryset, search.rank_of(queryset))

    slugs = dict(Actor.objects.filter(pk__in=head).values_list("pk", "slug"))
    assert ([slugs[key] for key in head], len(queries)) == ([s for s, _ in PLA_RANKED], 1)


def test_ranked_head_keeps_only_matches_of_the_list(seeded):
    # The list's own conditions hold for the head: a name starting with the text
    # but outside the list is not in it.
    queryset = search.rank_by_name(Actor.objects.exclude(slug="pla-navy"), "PLA")

    head = search.ranked_head(queryset, search.rank_of(queryset))

    assert list(Actor.objects.filter(pk__in=head).values_list("slug", flat=True)) == ["pla"]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the name-prefix indexes exist on PostgreSQL only")
def test_prefix_matches_are_read_from_the_name_prefix_index(seeded):
    queryset = search.rank_by_name(Actor.objects.all(), "russ")
    with connection.cursor() as cursor:
        # Tiny tables are cheaper to scan; with scans forbidden, the plan shows
        # whether the prefix condition and its order fit the index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        plan = search.prefix_matches(queryset, search.rank_of(queryset))[:20].explain()

    assert ("actor_name_prefix" in plan, "Sort" in plan) == (True, False), plan

"""What keeps lists flat at scale: estimated counts, index-friendly search, year lookups.

These tests check behaviour (the same rows, exact ``next`` links) and, on
PostgreSQL, that the plans can use the indexes; speed is measured in bench/.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.paginator import EmptyPage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.factories import ActorFactory, ExerciseFactory, StatementFactory
from tests.plans import plan_of
from tracker import counting, registry
from tracker.api.views import VIEWSETS
from tracker.counting import EstimatedCountPaginator, count_rows, keyed_count_limit
from tracker.dates import Precision
from tracker.models import Citation, Exercise, Statement
from tracker.search import contains_any

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"


def analyse(model) -> None:
    """Give PostgreSQL a row estimate for ``model``'s table (tests never autovacuum)."""
    if ON_POSTGRESQL:
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def make_exercises(number: int) -> None:
    for n in range(number):
        ExerciseFactory(slug=f"drill-{n:02d}", name=f"Drill {n}")


def test_count_is_exact_up_to_the_limit():
    make_exercises(5)
    # Its own statistics: an earlier test's ANALYZE outlives its rollback, and a
    # table estimated at twice the limit would be taken at its estimate.
    analyse(Exercise)
    assert count_rows(Exercise.objects.all(), exact_limit=5) == (5, True)
    assert count_rows(Exercise.objects.filter(name="Drill 1"), exact_limit=5) == (1, True)


def test_count_above_the_limit_is_an_estimate_on_postgresql_and_exact_elsewhere():
    make_exercises(12)
    analyse(Exercise)

    count, exact = count_rows(Exercise.objects.all(), exact_limit=5)
    filtered, filtered_exact = count_rows(Exercise.objects.filter(name__gt="D"), exact_limit=5)

    if ON_POSTGRESQL:
        assert (exact, filtered_exact) == (False, False)
        assert count >= 6 and filtered >= 6
    else:
        assert (count, exact, filtered, filtered_exact) == (12, True, 12, True)


def test_a_filtered_count_expected_over_twice_the_limit_is_the_estimate_without_counting():
    make_exercises(12)
    analyse(Exercise)

    with CaptureQueriesContext(connection) as queries:
        count, exact = count_rows(Exercise.objects.filter(name__gt="D"), exact_limit=5)

    counted = [q for q in queries if "COUNT(" in q["sql"]]
    if ON_POSTGRESQL:
        assert (count, exact, counted) == (12, False, [])
    else:
        assert (count, exact) == (12, True)


def test_a_filtered_count_in_a_table_no_larger_than_the_limit_is_counted_without_explain():
    make_exercises(5)
    analyse(Exercise)

    with CaptureQueriesContext(connection) as queries:
        count, exact = count_rows(Exercise.objects.filter(name__gt="Drill 2"), exact_limit=5)

    explained = [q for q in queries if q["sql"].startswith("EXPLAIN")]
    assert (count, exact, explained) == (2, True, [])


def test_a_table_grown_past_its_statistics_still_gets_a_count_marked_as_estimated():
    make_exercises(3)
    analyse(Exercise)  # the statistics say 3 rows; 9 more come after
    for n in range(3, 12):
        ExerciseFactory(slug=f"drill-{n:02d}", name=f"Drill {n}")

    count, exact = count_rows(Exercise.objects.filter(name__gt="D"), exact_limit=5)

    if ON_POSTGRESQL:
        assert (count >= 6, exact) == (True, False)
    else:
        assert (count, exact) == (12, True)


def test_estimated_paginator_pages_stop_exactly_at_the_last_row():
    make_exercises(12)
    analyse(Exercise)
    paginator = EstimatedCountPaginator(Exercise.objects.order_by("slug"), 5, exact_limit=5)

    pages = [paginator.page(n) for n in (1, 2, 3)]

    assert [len(page) for page in pages] == [5, 5, 2]
    assert [page.has_next() for page in pages] == [True, True, False]
    assert [e.slug for page in pages for e in page] == [f"drill-{n:02d}" for n in range(12)]
    with pytest.raises(EmptyPage):
        paginator.page(4)


def test_a_paginator_keeping_the_matches_keys_reads_pages_by_them():
    make_exercises(12)
    analyse(Exercise)
    matches = Exercise.objects.filter(slug__endswith="1").order_by("-slug") | (
        Exercise.objects.filter(slug__endswith="4").order_by("-slug")
    )
    paginator = EstimatedCountPaginator(matches, 2, exact_limit=5)
    paginator.keeps_matched_keys = True

    pages = [paginator.page(n) for n in (1, 2)]

    expected = ["drill-11", "drill-04", "drill-01"]
    assert (paginator.count, paginator.count_is_exact) == (3, True)
    assert paginator.ordered_keys == [Exercise.objects.get(slug=s).pk for s in expected]
    assert [[e.slug for e in page] for page in pages] == [expected[:2], expected[2:]]
    assert [page.has_next() for page in pages] == [True, False]


def test_a_paginator_keeping_keys_reads_pages_as_before_beyond_its_limit():
    make_exercises(12)
    analyse(Exercise)
    matches = Exercise.objects.filter(name__contains="rill").order_by("slug")
    paginator = EstimatedCountPaginator(matches, 5, exact_limit=5)
    paginator.keeps_matched_keys = True

    first = [e.slug for e in paginator.page(1)]

    assert (first, paginator.ordered_keys) == ([f"drill-{n:02d}" for n in range(5)], None)


@pytest.mark.parametrize(
    ("table_rows", "per_page", "expected"),
    [(None, 100, 2_000), (10_000, 100, 2_000), (50_000, 100, 4_472), (1_000_000, 100, 20_000)],
)
def test_the_matches_read_by_key_grow_with_the_table(table_rows, per_page, expected):
    assert keyed_count_limit(table_rows, per_page) == expected


@pytest.mark.parametrize(("walk_margin", "keyed_on_postgresql"), [(4, True), (0, False)])
def test_a_search_expected_above_the_floor_is_read_by_key_in_a_large_table(
    monkeypatch, walk_margin, keyed_on_postgresql
):
    # 12 matches of 52 rows, two a page: walking the order index would read about
    # 52 / 12 rows per row shown, sorting 12 (the limit is sqrt(4 * 52 * 2) = 20).
    make_exercises(12)
    for n in range(40):
        ExerciseFactory(slug=f"other-{n:02d}", name=f"Other {n}")
    analyse(Exercise)
    monkeypatch.setattr(counting, "KEYED_COUNT_LIMIT", 1)
    monkeypatch.setattr(counting, "WALK_MARGIN", walk_margin)
    matches = Exercise.objects.filter(name__contains="rill").order_by("-slug")
    paginator = EstimatedCountPaginator(matches, 2, exact_limit=20, keeps_matched_keys=True)

    first = [e.slug for e in paginator.page(1)]

    keyed = keyed_on_postgresql or not ON_POSTGRESQL  # other databases always read keys
    assert (first, paginator.count, paginator.count_is_exact) == (
        ["drill-11", "drill-10"],
        12,
        True,
    )
    assert (paginator.ordered_keys is not None) == keyed


@pytest.mark.parametrize("searched", [True, False])
def test_an_admin_search_counts_its_matches_by_reading_their_keys(editor_client, searched):
    make_exercises(12)
    analyse(Exercise)
    year = Exercise.objects.get(slug="drill-00").start_date.year
    query = "q=drill" if searched else f"start_date__year={year}"
    expected = 12 if searched else Exercise.objects.filter(start_date__year=year).count()

    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(f"/admin/tracker/exercise/?{query}")

    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    # A search's keys are read while counting; a filter is counted (cheaper for it).
    assert (response.status_code, bool(counts)) == (200, not searched)
    assert response.context["cl"].result_count == expected


@pytest.mark.parametrize("searched", [True, False])
def test_an_api_search_counts_its_matches_by_reading_their_keys(api, searched):
    make_exercises(12)
    ExerciseFactory(slug="other", name="Other")
    analyse(Exercise)
    query = "search=drill&ordering=-name" if searched else "ordering=-name"

    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/exercises/?{query}&page_size=5")

    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"]]
    body = response.json()
    # "Drill 9" > "Drill 11" > "Drill 10" > "Drill 1" as text; "Other" first unsearched.
    first = ["drill-09", "drill-08", "drill-07", "drill-06", "drill-05"]
    expected = (12, first) if searched else (13, ["other", *first[:4]])
    # A search's keys are read while counting (the page by them); a plain list is counted.
    assert (response.status_code, bool(counts)) == (200, not searched)
    assert (body["count"], [row["slug"] for row in body["results"]]) == expected


def test_api_ordering_by_descending_slug_is_read_from_the_slug_index(api):
    make_exercises(3)

    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/exercises/?ordering=-slug")

    assert [row["slug"] for row in response.json()["results"]] == [
        "drill-02",
        "drill-01",
        "drill-00",
    ]
    page = next(q["sql"] for q in queries if "ORDER BY" in q["sql"] and "LIMIT" in q["sql"])
    # The slug alone (column 2 of the select), without NULLS LAST or a tie-breaker.
    assert page.endswith("ORDER BY 2 DESC LIMIT 3"), page
    if ON_POSTGRESQL:
        with connection.cursor() as cursor:
            # With sorting priced out, only a plan reading an index in this order has no Sort.
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {page}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Sort" not in plan, plan


def api_orderings() -> list[tuple[registry.RecordType, str]]:
    """(record type, ordering) for every field each list's ``ordering`` offers, both ways."""
    cases = []
    for record_type in registry.RECORD_TYPES:
        ordering = VIEWSETS[record_type].filterset_class.base_filters["ordering"]
        for field in ordering.param_map:
            cases += [(record_type, field), (record_type, f"-{field}")]
    return cases


@pytest.mark.skipif(not ON_POSTGRESQL, reason="descending indexes exist on PostgreSQL only")
@pytest.mark.parametrize(
    ("record_type", "ordering"), api_orderings(), ids=lambda v: getattr(v, "resource", v)
)
def test_every_api_ordering_is_read_from_an_index(api, record_type, ordering):
    factories.BY_MODEL[record_type.model]()  # an empty list reads no page
    path = record_type.resource
    with CaptureQueriesContext(connection) as queries:
        response = api.get(f"/api/v1/{path}/?ordering={ordering}")
    page = next(q["sql"] for q in queries if "ORDER BY" in q["sql"] and "LIMIT" in q["sql"])

    with connection.cursor() as cursor:
        # With sorting priced out, only a plan reading an index in the list's order has
        # no Sort: a page is then its index's first rows, however many share a value.
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {page}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert (response.status_code, "Sort" in plan) == (200, False), plan


def follow_next_links(api, url: str) -> tuple[list[str], list[str | None]]:
    """Every page from ``url`` on: the rows' slugs and each page's X-Count-Estimated."""
    seen, estimated = [], []
    while url:
        response = api.get(url)
        body = response.json()
        seen += [row["slug"] for row in body["results"]]
        estimated.append(response.headers.get("X-Count-Estimated"))
        url = body["next"]
    return seen, estimated


def test_api_next_links_visit_every_row_once_when_the_count_is_estimated(api, settings):
    settings.API_EXACT_COUNT_LIMIT = 5
    make_exercises(12)
    analyse(Exercise)

    seen, estimated = follow_next_links(api, "/api/v1/exercises/?page_size=5")

    assert seen == [f"drill-{n:02d}" for n in range(12)]
    assert estimated == (["true"] * 3 if ON_POSTGRESQL else [None] * 3)


def test_api_sync_cursor_visits_every_row_once_when_the_filtered_count_is_estimated(api, settings):
    settings.API_EXACT_COUNT_LIMIT = 5
    make_exercises(12)
    analyse(Exercise)

    seen, estimated = follow_next_links(
        api, "/api/v1/exercises/?page_size=5&updated_since=2000-01-01T00:00Z"
    )

    assert sorted(seen) == [f"drill-{n:02d}" for n in range(12)]
    assert estimated == (["true"] * 3 if ON_POSTGRESQL else [None] * 3)


@pytest.mark.skipif(not ON_POSTGRESQL, reason="plans are PostgreSQL's")
def test_api_sync_cursor_starts_reading_the_sync_index_at_its_position(api):
    make_exercises(3)
    first = api.get("/api/v1/exercises/?page_size=1&updated_since=2000-01-01T00:00Z").json()
    with CaptureQueriesContext(connection) as queries:
        response = api.get(first["next"])
    page = next(q["sql"] for q in queries if "ORDER BY" in q["sql"] and "LIMIT" in q["sql"])

    # With sorting priced out, the plan reads the sync index in the list's order (on a
    # few rows the planner may as well sort them); there, the position must bound the
    # scan (an Index Cond), not be a Filter on every row before it.
    plan = plan_of(page, "sort", "incremental_sort", "seqscan")
    bound = [line for line in plan.splitlines() if "Index Cond" in line and "slug" in line]
    assert (response.status_code, len(bound)) == (200, 1), plan


@pytest.mark.skipif(not ON_POSTGRESQL, reason="plans are PostgreSQL's")
@pytest.mark.parametrize(
    ("url", "index"),
    [
        ("/api/v1/statements/?language=ab", "statement_language_idx"),
        ("/api/v1/sources/?language=ab", "source_language_idx"),
    ],
)
def test_a_language_filter_reads_its_index(api, url, index):
    # Enough rows, all published and none in the language, that by their statistics
    # the language's index costs less than the publication status's (on one row the
    # two cost the same and the planner may take either).
    factories.StatementFactory.create_batch(30, language="en")
    factories.SourceFactory.create_batch(30, language="en")
    for model in (Statement, factories.SourceFactory._meta.model):
        analyse(model)
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    # Counted as its matches in every status, less the unpublished (published_counts).
    counted = next(q["sql"] for q in queries if q["sql"].startswith("WITH unpublished(n)"))

    plan = plan_of(counted, "seqscan")
    assert (response.status_code, response.json()["count"], index in plan) == (200, 0, True), plan


@pytest.mark.skipif(not ON_POSTGRESQL, reason="plans are PostgreSQL's")
def test_the_footnote_filter_reads_the_citing_records_keys_from_the_order_index(api):
    # Forty statements citing one footnote each of twenty, analysed: one footnote's
    # citations are a small share, found by the index that leads with the footnote.
    for n, statement in enumerate(StatementFactory.create_batch(40)):
        factories.CitationFactory(statement=statement, footnote=n % 20 + 1)
    analyse(Citation)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/statements/?footnote=3")
    # Counted from the link's keys (tracker.link_counts).
    counted = next(q["sql"] for q in queries if "count(*)" in q["sql"].lower())

    # The statements' keys come from the index (INCLUDE), not from the table.
    plan = plan_of(counted, "seqscan", "bitmapscan")
    assert (response.status_code, response.json()["count"]) == (200, 2)
    assert "Index Only Scan using citation_order_idx on tracker_citation" in plan, plan


def test_api_count_is_exact_and_unmarked_below_the_limit(api):
    make_exercises(3)
    response = api.get("/api/v1/exercises/")
    assert response.json()["count"] == 3
    assert "X-Count-Estimated" not in response.headers


def test_search_across_a_relation_finds_the_same_rows(api):
    shoigu = ActorFactory(slug="shoigu", name="Sergei Shoigu")
    StatementFactory(slug="by-shoigu", speaker=shoigu, text="Plain words.")
    StatementFactory(slug="about-shoigu", text="Shoigu visited Beijing.")
    StatementFactory(slug="unrelated", text="Nothing here.")
    StatementFactory(slug="no-speaker", speaker=None, text="Anonymous words.")

    body = api.get("/api/v1/statements/?search=shoigu").json()

    assert sorted(row["slug"] for row in body["results"]) == ["about-shoigu", "by-shoigu"]


def test_admin_search_across_a_relation_lists_each_row_once(editor_client):
    russia = ActorFactory(slug="russia", name="Russia")
    china = ActorFactory(slug="china", name="China")
    exercise = ExerciseFactory(slug="joint-sea", name="Joint Sea")
    exercise.participants.add(russia, china)
    ExerciseFactory(slug="other", name="Other")

    response = editor_client.get(
        reverse("admin:tracker_exercise_changelist"), {"q": "china russia"}
    )

    assert [e.slug for e in response.context["cl"].result_list] == ["joint-sea"]


def test_years_of_a_date_field_come_in_order_without_gaps_invented():
    for year in (2005, 2007, 2019, 2019):
        ExerciseFactory(start_date=dt.date(year, 1, 1), start_date_precision=Precision.YEAR)
    ExerciseFactory(start_date=None, start_date_precision=None)

    years = [d.year for d in Exercise.objects.dates("start_date", "year", order="DESC")]
    filtered = Exercise.objects.filter(start_date__lt=dt.date(2010, 1, 1))

    assert years == [2019, 2007, 2005]
    assert [d.year for d in filtered.dates("start_date", "year")] == [2005, 2007]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="trigram indexes exist on PostgreSQL only")
def test_statement_search_plan_uses_trigram_indexes_on_every_field():
    # The search's condition itself (the list may rank and page its matches by key).
    fields = registry.STATEMENT.search_fields
    queryset = Statement.objects.filter(contains_any(Statement, fields, "shoigu"))
    with connection.cursor() as cursor:
        # Tiny tables are cheaper to scan; with scans forbidden, a plan that still
        # has no full scan shows every OR arm (speaker names too) fits an index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        # The actors' keys index holds every column the speaker arm reads: a whole
        # read of it is otherwise the cheapest way through an empty table.
        cursor.execute("SET LOCAL enable_indexonlyscan = off")
        plan = queryset.explain()

    for index in (
        "statement_text_trgm",
        "statement_occasion_trgm",
        "statement_speaker_role_trgm",
        "actor_name_trgm",
    ):
        assert index in plan, plan
    assert "Seq Scan on tracker_statement" not in plan, plan


def links_by_target() -> list[tuple[type, str, str]]:
    """(link model, linked record's key, owner's key) of every link table the search and
    the actor and country filters read from the linked record's side."""
    cases = []
    for record_type in registry.RECORD_TYPES:
        if record_type.about:
            through = Statement._meta.get_field(record_type.about).remote_field.through
            target = f"{record_type.model._meta.model_name}_id"
            cases.append((through, target, "statement_id"))
        if record_type.links:
            cases.append((record_type.links.model, "actor_id", f"{record_type.links.fk}_id"))
    return cases


@pytest.mark.parametrize(
    ("through", "target", "owner"), links_by_target(), ids=lambda v: getattr(v, "__name__", v)
)
def test_links_can_be_read_from_the_linked_records_side_by_index_alone(through, target, owner):
    table = through._meta.db_table
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)

    # Both keys in one index, the linked record's first: an index-only read of its links.
    covering = [name for name, c in constraints.items() if c["columns"] == [target, owner]]
    assert covering, f"{table}: no index on ({target}, {owner})"


def test_database_unavailable_is_503_with_retry_after():
    from django.db import OperationalError

    from tracker.api.exceptions import exception_handler

    response = exception_handler(OperationalError("server closed the connection"), {})

    assert (response.status_code, response["Retry-After"]) == (503, "1")


def test_export_links_are_the_same_for_dense_and_sparse_chunks():
    from tracker.exports.files import table_for_model

    russia = ActorFactory(slug="russia", name="Russia")
    statements = []
    for n in range(12):
        statement = StatementFactory(slug=f"said-{n:02d}", text=f"Words {n}.")
        if n % 3 == 0:
            statement.about_actors.add(russia)
        statements.append(statement)
    table = table_for_model(Statement)
    about = table.header().index("about_actors")

    def about_column(queryset, chunk_size):
        return [row[about] for row in table.iter_rows(queryset, chunk_size=chunk_size)]

    expected = ["russia" if n % 3 == 0 else "" for n in range(12)]
    # Whole table: consecutive ids, read by range.
    assert about_column(Statement.objects.all(), 5) == expected
    # Every third row: ids far apart, read with IN; rows between must not leak in.
    sparse = Statement.objects.filter(pk__in=[s.pk for s in statements[::3]])
    assert about_column(sparse, 2) == ["russia"] * 4
    every_other = Statement.objects.filter(pk__in=[s.pk for s in statements[1::2]])
    assert about_column(every_other, 3) == ["" if n % 3 else "russia" for n in range(1, 12, 2)]


def test_admin_date_bar_lists_the_tables_years_when_a_search_matches_too_many_to_count(
    editor_client, monkeypatch
):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_limit", 5)
    for n in range(12):
        ExerciseFactory(
            slug=f"naval-{n}",
            name=f"Naval drill {n}",
            start_date=dt.date(2015 + n % 3, 5, 1),
            start_date_precision=Precision.DAY,
        )
    ExerciseFactory(
        slug="land",
        name="Land drill",
        start_date=dt.date(2010, 5, 1),
        start_date_precision=Precision.DAY,
    )
    analyse(Exercise)

    response = editor_client.get("/admin/tracker/exercise/?q=naval")

    years = set(re.findall(r"start_date__year=(\d{4})", response.content.decode()))
    # Counted exactly (SQLite), the bar lists the matches' years; estimated, the table's.
    expected = {"2010", "2015", "2016", "2017"} if ON_POSTGRESQL else {"2015", "2016", "2017"}
    assert (response.status_code, years) == (200, expected)

"""A page of a list filtered by a link (a footnote) walks the keys index where matches are many."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api_factories import slugs_page_by_page
from tests.factories import CitationFactory, ExerciseFactory, SourceFactory, StatementFactory
from tracker import counting, key_conditions
from tracker.dates import Precision
from tracker.key_conditions import AnyOf
from tracker.models import Citation, Statement
from tracker.models.base import PublicationStatus

ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def cited(db):
    """Nine statements with dates out of key order; six cite footnote 7, two of those
    drafts; the other three cite footnote 8."""
    source = SourceFactory()
    for n, day in enumerate([9, 3, 7, 1, 8, 2, 6, 4, 5]):
        status = PublicationStatus.DRAFT if n in (2, 5) else PublicationStatus.PUBLISHED
        statement = StatementFactory(
            slug=f"said-{n}",
            date=dt.date(2019, 1, day),
            date_precision=Precision.DAY,
            publication_status=status,
        )
        CitationFactory(statement=statement, source=source, footnote=7 if n < 6 else 8)


@pytest.fixture
def always_walked(monkeypatch):
    """Every page of a list with a link condition is walked (on PostgreSQL)."""
    monkeypatch.setattr(counting, "table_estimate", lambda queryset: 1)


def walked_reads(queries) -> list[str]:
    """The page reads whose keys a subquery found testing the link on each row."""
    return [q["sql"] for q in queries if ") = true) ORDER BY" in q["sql"]]


def test_walked_pages_list_the_published_citing_statements_in_date_order(api, cited, always_walked):
    # said-3 (1 Jan), said-1 (3rd), said-4 (8th), said-0 (9th); said-2 and said-5 are drafts.
    assert slugs_page_by_page(api, "footnote=7") == [["said-3", "said-1"], ["said-4", "said-0"]]


def test_a_page_of_a_footnote_is_walked_on_postgresql(api, cited, always_walked):
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/statements/?page_size=2&footnote=7&page=2")

    assert (
        [row["slug"] for row in response.json()["results"]],
        len(walked_reads(queries)),
    ) == (["said-4", "said-0"], 1 if ON_POSTGRESQL else 0)


def test_a_page_of_few_matches_in_a_large_table_is_read_by_its_keys(api, cited, monkeypatch):
    # 4 matches of 1,000 rows, 3 to the page's end: 4² × 5 < 1,000 × 3.
    monkeypatch.setattr(counting, "table_estimate", lambda queryset: 1_000)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/statements/?page_size=2&footnote=7")

    assert ([row["slug"] for row in response.json()["results"]], walked_reads(queries)) == (
        ["said-3", "said-1"],
        [],
    )


@pytest.mark.parametrize(
    ("matches", "top", "table_rows", "expected"),
    # 101² × 5 = 51,005 ≥ 1,000 × 51; 100² × 5 = 50,000 is not.
    [(101, 51, 1_000, True), (100, 51, 1_000, False), (10_001, 101, 1_000_000, True)],
)
def test_a_page_is_walked_where_matches_are_many_in_their_table(
    db, monkeypatch, matches, top, table_rows, expected
):
    monkeypatch.setattr(counting, "table_estimate", lambda queryset: table_rows)
    citing = Statement.objects.filter(AnyOf("pk", Citation.objects.values("statement_id")))

    assert counting.walks_to_page(citing, matches, top) is (expected and ON_POSTGRESQL)


@pytest.mark.parametrize(
    "queryset",
    [
        Statement.objects.filter(kind="paraphrase"),
        Statement.objects.filter(AnyOf("pk", Citation.objects.values("statement_id"))).order_by(
            "-date"
        ),
        Statement.objects.filter(AnyOf("speaker_id", Statement.objects.values("speaker_id"))),
    ],
    ids=["no-link", "other-order", "column-the-index-lacks"],
)
def test_only_a_link_on_the_key_in_the_default_order_is_walked(db, always_walked, queryset):
    assert counting.walks_to_page(queryset, 1_000, 51) is False


def test_tested_per_row_gives_the_same_rows_under_exclude_with_a_null_key(cited):
    # An exercise's citation holds no statement key (NULL): NOT IN a set holding a
    # NULL matches no row, in either form.
    CitationFactory(exercise=ExerciseFactory(), footnote=9)
    keys = Citation.objects.values("statement_id")
    lists = [
        Statement.objects.filter(AnyOf("pk", keys.filter(footnote=7))),
        Statement.objects.exclude(AnyOf("pk", keys.filter(footnote=7))),
        Statement.objects.exclude(AnyOf("pk", keys.filter(footnote__in=[7, 9]))),
        Statement.objects.exclude(AnyOf("pk", keys.filter(footnote=99))),
    ]

    assert [
        sorted(key_conditions.tested_per_row(q).values_list("slug", flat=True)) for q in lists
    ] == [
        ["said-0", "said-1", "said-2", "said-3", "said-4", "said-5"],
        ["said-6", "said-7", "said-8"],
        [],
        [f"said-{n}" for n in range(9)],
    ]


def test_a_walked_page_of_a_list_excluding_a_link_lists_the_others(cited, always_walked):
    # Left out of the rows' query, a negated link would be NOT true: no row at all.
    excluding = Statement.objects.exclude(
        AnyOf("pk", Citation.objects.filter(footnote=7).values("statement_id"))
    )

    page = counting.EstimatedCountPaginator(excluding, 3).page(1)

    assert sorted(s.slug for s in page.object_list) == ["said-6", "said-7", "said-8"]


def test_a_deep_page_of_a_link_filter_is_not_read_by_its_keys_from_the_index(db):
    # Its keys would be read by the link's keys and sorted, then again for the rows.
    citing = Statement.objects.filter(AnyOf("pk", Citation.objects.values("statement_id")))

    assert (
        counting.keys_from_index(citing),
        counting.keys_from_index(citing, links=True),
    ) == (False, ON_POSTGRESQL)

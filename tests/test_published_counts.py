"""A published list of plain conditions is counted as its matches in every status, less
the unpublished ones (tracker.published_counts)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext

from tests.factories import SourceFactory
from tracker import published_counts
from tracker.key_conditions import AnyOf
from tracker.models import Citation, Source
from tracker.public import PUBLISHED

ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def sources(db):
    """Six news sources (two of them drafts, one of 2014), and two official ones."""
    for n in range(6):
        SourceFactory(
            slug=f"news-{n}",
            kind="news",
            published=dt.date(2014 if n == 0 else 2019, 5, 1),
            publication_status="draft" if n in (2, 4) else PUBLISHED,
        )
    for n in range(2):
        SourceFactory(slug=f"official-{n}", kind="official")


def counts_read(queries) -> int:
    return sum("WITH unpublished(n) AS MATERIALIZED" in q["sql"] for q in queries)


def published_source(slug: str):
    return Source.objects.filter(publication_status=PUBLISHED, slug=slug)


def published_news(**conditions):
    return Source.objects.filter(publication_status=PUBLISHED, kind="news", **conditions)


@pytest.mark.parametrize("unpublished_read", [1_000, 2], ids=["less-the-unpublished", "as-rows"])
def test_the_public_count_of_a_kind_is_its_published_sources(
    api, sources, monkeypatch, unpublished_read
):
    # 2: the two unpublished news sources are as many as may be read.
    monkeypatch.setattr(published_counts, "UNPUBLISHED_READ", unpublished_read)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/sources/?page_size=1&kind=news")

    assert (response.json()["count"], counts_read(queries)) == (4, int(ON_POSTGRESQL))


def test_the_public_count_of_a_date_condition_is_its_published_sources(api, sources):
    # published from 2015: an OR of a condition per date precision, on two columns
    # one index holds.
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/sources/?page_size=1&date_from=2015-01-01")

    assert (response.json()["count"], counts_read(queries)) == (5, int(ON_POSTGRESQL))


def test_an_editors_count_of_a_kind_includes_drafts(editor_api, sources):
    response = editor_api.get("/api/v1/sources/?page_size=1&kind=news")

    assert response.json()["count"] == 6


@pytest.mark.skipif(not ON_POSTGRESQL, reason="counted less the unpublished on PostgreSQL only")
def test_a_published_count_is_capped_at_the_rows_asked_for(sources):
    assert [published_counts.count_published(published_news(), n) for n in (3, 10)] == [3, 4]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="counted less the unpublished on PostgreSQL only")
def test_a_published_list_with_as_many_unpublished_matches_as_may_be_read_is_left_to_rows(
    sources, monkeypatch
):
    monkeypatch.setattr(published_counts, "UNPUBLISHED_READ", 2)

    assert published_counts.count_published(published_news(), 10) is None


@pytest.mark.skipif(not ON_POSTGRESQL, reason="counted less the unpublished on PostgreSQL only")
def test_a_table_holding_more_unpublished_rows_than_may_be_read_is_left_to_rows(
    sources, monkeypatch
):
    # Two drafts in the table by its statistics, none among the matches.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tracker_source")
    monkeypatch.setattr(published_counts, "UNPUBLISHED_READ", 1)

    assert published_counts.count_published(published_source("news-1"), 10) is None


@pytest.mark.skipif(not ON_POSTGRESQL, reason="counted less the unpublished on PostgreSQL only")
def test_a_table_holding_few_unpublished_rows_is_counted_less_them(sources, monkeypatch):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tracker_source")
    monkeypatch.setattr(published_counts, "UNPUBLISHED_READ", 3)

    assert published_counts.count_published(published_source("news-1"), 10) == 1


@pytest.mark.skipif(not ON_POSTGRESQL, reason="counted less the unpublished on PostgreSQL only")
def test_a_condition_matching_nothing_is_left_to_django(sources):
    assert published_counts.count_published(published_news(slug__in=[]), 10) is None


@pytest.mark.parametrize(
    "listed",
    [
        lambda: Source.objects.filter(kind="news"),  # an editor's: no published test
        lambda: Source.objects.filter(publication_status=PUBLISHED),  # nothing else tested
        lambda: published_news(slug=F("title")),  # compared with a column
        lambda: published_news(cited_in_reportedvalue__footnote=3),  # a joined table's column
        lambda: published_news().filter(AnyOf("pk", Citation.objects.values("source_id"))),
        lambda: Source.objects.filter(Q(publication_status=PUBLISHED) | Q(kind="news")),
        lambda: published_news().distinct(),
        lambda: published_news(language="en"),  # two columns no one index holds
    ],
    ids=["editors", "unfiltered", "column", "joined", "link", "or-ed", "distinct", "two-indexes"],
)
def test_other_lists_are_counted_as_rows(db, listed):
    assert published_counts.count_published(listed(), 10) is None


@pytest.mark.skipif(not ON_POSTGRESQL, reason="counted less the unpublished on PostgreSQL only")
def test_the_count_leaves_the_list_it_counts_as_it_was(sources):
    listed = published_news()
    published_counts.count_published(listed, 10)

    assert sorted(listed.values_list("slug", flat=True)) == ["news-0", "news-1", "news-3", "news-5"]

"""Deep pages: the rows are read by their keys, which a subquery reads from the keys index."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api_factories import slugs_page_by_page
from tests.factories import StatementFactory
from tracker import counting
from tracker.dates import Precision
from tracker.models import Citation, Statement
from tracker.models.base import PublicationStatus, keys_index_columns

ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def statements(db, monkeypatch):
    """Nine statements, two of them drafts, with dates out of key order; pages of two
    count as deep from the third row."""
    monkeypatch.setattr(counting, "DEEP_OFFSET", 2)
    for n, day in enumerate([9, 3, 7, 1, 8, 2, 6, 4, 5]):
        status = PublicationStatus.DRAFT if n in (2, 5) else PublicationStatus.PUBLISHED
        StatementFactory(
            slug=f"said-{n}",
            date=dt.date(2019, 1, day),
            date_precision=Precision.DAY,
            kind="direct_quote" if n % 2 else "paraphrase",
            publication_status=status,
        )


def keys_reads(queries) -> list[str]:
    """The page reads that take the statements' keys from an offset in a subquery."""
    return [
        q["sql"]
        for q in queries
        if '"tracker_statement"."id" IN (SELECT' in q["sql"] and "OFFSET" in q["sql"]
    ]


@pytest.mark.parametrize("query", ["", "kind=direct_quote", "ordering=-date", "search=allies"])
def test_deep_pages_list_what_the_list_holds_in_its_order(api, statements, query):
    expected = [s.slug for s in Statement.objects.filter(publication_status="published")]
    if query == "kind=direct_quote":
        expected = [s for s in expected if int(s.split("-")[1]) % 2]
    if query == "ordering=-date":
        expected = expected[::-1]

    pages = slugs_page_by_page(api, query)

    assert [slug for page in pages for slug in page] == expected


def test_a_deep_page_of_a_whole_list_reads_its_keys_in_a_subquery_on_postgresql(api, statements):
    # One statement, so one snapshot: read apart, a row unpublished between the
    # keys and the rows left the page short.
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/statements/?page_size=2&page=3")

    assert (
        [row["slug"] for row in response.json()["results"]],
        len(keys_reads(queries)),
    ) == (["said-6", "said-4"], 1 if ON_POSTGRESQL else 0)


def test_a_deep_page_in_another_order_is_read_as_before(api, statements):
    # The keys index holds the default order only.
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/statements/?page_size=2&page=3&ordering=-date")

    assert (response.status_code, keys_reads(queries)) == (200, [])


def test_a_first_page_is_read_in_one_query(api, statements):
    with CaptureQueriesContext(connection) as queries:
        api.get("/api/v1/statements/?page_size=2&page=1")

    assert keys_reads(queries) == []


def test_a_deep_page_filtered_on_a_column_the_keys_index_lacks_is_read_as_before(api, statements):
    # Its keys would be read from the table all the same: one query more for nothing.
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/statements/?page_size=2&page=2&kind=direct_quote")

    assert (response.status_code, keys_reads(queries)) == (200, [])


def test_the_keys_index_holds_the_order_status_and_key():
    assert keys_index_columns(Statement) == {
        "date",
        "date_precision",
        "slug",
        "publication_status",
        "id",
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("queryset", "expected"),
    [
        (Statement.objects.all(), ON_POSTGRESQL),
        (Statement.objects.filter(publication_status="published"), ON_POSTGRESQL),
        (Statement.objects.filter(kind="paraphrase"), False),
        (Statement.objects.filter(speaker__name="Putin"), False),
        (Statement.objects.order_by("-date"), False),
        (Statement.objects.order_by("date", "date_precision", "slug"), ON_POSTGRESQL),
        (Statement.objects.filter(kind="x").union(Statement.objects.all()), False),
        (Citation.objects.all(), False),
    ],
    ids=[
        "whole",
        "published",
        "kind",
        "joined",
        "other-order",
        "default-order",
        "union",
        "no-index",
    ],
)
def test_keys_are_read_from_the_index_only_where_it_holds_every_condition(queryset, expected):
    assert counting.keys_from_index(queryset) is expected

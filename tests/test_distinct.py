"""The values in use of an indexed column, read from its index (tracker.distinct), and the
lists whose filters offer them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import ActorFactory, CitationFactory, ExerciseFactory, StatementFactory
from tracker.admin.filters import IndexedValuesFilter, actor_countries
from tracker.distinct import distinct_values
from tracker.models import Actor, Citation, Exercise

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"


def make_series(*names: str) -> None:
    for number, name in enumerate(names):
        ExerciseFactory(slug=f"drill-{number}", name=f"Drill {number}", series=name)


def test_each_value_in_use_once_in_the_columns_order():
    make_series("Vostok", "", "Tsentr", "Vostok", "Peace Mission", "Tsentr")

    assert distinct_values(Exercise, "series") == ["", "Peace Mission", "Tsentr", "Vostok"]


def test_an_empty_table_has_no_values():
    assert distinct_values(Exercise, "series") == []


def test_a_column_without_an_index_is_refused():
    with pytest.raises(ValueError, match="Exercise.location has no index"):
        distinct_values(Exercise, "location")


@pytest.mark.skipif(
    not ON_POSTGRESQL, reason="the skip scan is PostgreSQL's plan; SQLite runs DISTINCT"
)
def test_postgresql_reads_the_values_from_the_index_not_every_row():
    make_series("Vostok", "Tsentr", "Vostok")
    with CaptureQueriesContext(connection) as queries:
        distinct_values(Exercise, "series")
    (query,) = queries.captured_queries
    with connection.cursor() as cursor:
        # Tiny tables are cheaper to scan; with scans forbidden, the plan shows
        # whether every probe fits the index.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert ("tracker_exercise_series" in plan, "Seq Scan" in plan, "DISTINCT" in query["sql"]) == (
        True,
        False,
        False,
    ), plan


def test_actor_countries_are_the_codes_in_use_without_the_empty_one():
    ActorFactory(slug="a", name="A", country="RU")
    ActorFactory(slug="b", name="B", country="")
    ActorFactory(slug="c", name="C", country="CN")
    ActorFactory(slug="d", name="D", country="RU")

    assert (actor_countries(), Actor.objects.count()) == (["CN", "RU"], 4)


def test_the_exercise_list_filters_by_each_series_in_use(editor_client):
    make_series("Vostok", "Tsentr", "Vostok")

    response = editor_client.get(reverse("admin:tracker_exercise_changelist"), {"series": "Tsentr"})

    (spec,) = [s for s in response.context["cl"].filter_specs if isinstance(s, IndexedValuesFilter)]
    shown = [row.slug for row in response.context["cl"].result_list]
    assert (list(spec.lookup_choices), shown) == (["Tsentr", "Vostok"], ["drill-1"])


def test_the_citation_list_filters_by_footnote_and_by_no_footnote(editor_client):
    statement = StatementFactory(slug="said")
    for footnote, locator in ((14, "p. 1"), (3, "p. 2"), (None, "p. 3"), (14, "p. 4")):
        CitationFactory(statement=statement, footnote=footnote, locator=locator)

    response = editor_client.get(
        reverse("admin:tracker_citation_changelist"), {"footnote__isnull": "True"}
    )

    (spec,) = [s for s in response.context["cl"].filter_specs if isinstance(s, IndexedValuesFilter)]
    shown = [row.locator for row in response.context["cl"].result_list]
    # 1: the statement's own citation, made with it.
    assert (list(spec.lookup_choices), shown) == ([1, 3, 14, None], ["p. 3"])


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the plan is PostgreSQL's")
def test_the_citation_list_reads_its_first_page_in_the_order_of_an_index():
    queryset = Citation.objects.order_by("footnote", "id")[:101]
    with connection.cursor() as cursor:
        # On a small table the footnote's own index and a sort may cost less; with
        # scans and sorts forbidden, the plan shows whether an index gives the order.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
        plan = queryset.explain()

    assert ("citation_order_idx" in plan, "Sort" in plan) == (True, False), plan

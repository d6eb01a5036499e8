"""List pages read as plain values show exactly what the serializers show."""

from __future__ import annotations

import re

import orjson
import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from tracker import models
from tracker.api import json_links
from tracker.api import serializers as api_serializers
from tracker.api.json_links import order_within_owner
from tracker.api.readers import PageReader, reader_for
from tracker.api.views import (
    ActorViewSet,
    AgreementViewSet,
    ArmsDealViewSet,
    ExerciseViewSet,
    SourceViewSet,
    StatementViewSet,
)

pytestmark = pytest.mark.django_db

VIEWSETS = [
    ActorViewSet,
    SourceViewSet,
    AgreementViewSet,
    ExerciseViewSet,
    ArmsDealViewSet,
    StatementViewSet,
]


def serializer_output(viewset, request) -> list[dict]:
    """Every record of the viewset's list, shaped by its serializer from model instances."""
    view = viewset(request=request, format_kwarg=None, action="list", kwargs={})
    instances = view.get_queryset()
    return viewset.serializer_class(instances, many=True, context={"request": request}).data


@pytest.mark.parametrize("viewset", VIEWSETS, ids=lambda v: v.__name__)
def test_reader_output_equals_the_serializer_output_for_every_article_record(seeded, viewset):
    request = APIRequestFactory().get("/api/v1/")
    reader = reader_for(viewset.serializer_class)
    view = viewset(request=request, format_kwarg=None, action="list", kwargs={})

    rows = reader.rows(view.get_queryset())

    assert reader.represent(rows, request) == serializer_output(viewset, request)


def test_statement_page_shows_speaker_and_fuzzy_date_from_values(seeded):
    request = APIRequestFactory().get("/api/v1/")
    reader = reader_for(api_serializers.StatementSerializer)
    statements = models.Statement.objects.filter(slug="shoygu-2019-08-us-influence-asia-pacific")

    [item] = reader.represent(reader.rows(statements), request)

    assert (item["speaker"], item["date"]) == (
        {"slug": "sergei-shoigu", "name": "Sergei Shoygu"},
        {
            "date": "2019-08-01",
            "precision": "month",
            "qualifier": "",
            "iso": "2019-08",
            "display": "August 2019",
        },
    )


def test_reader_refuses_a_field_it_cannot_read():
    class Computed(api_serializers.SourceSerializer):
        shout = serializers.CharField(source="title.upper", read_only=True)

        class Meta(api_serializers.SourceSerializer.Meta):
            fields = [*api_serializers.SourceSerializer.Meta.fields, "shout"]

    with pytest.raises(Exception, match="title.upper"):
        PageReader(Computed)


def test_a_page_format_suffix_is_kept_in_record_urls(seeded):
    request = APIRequestFactory().get("/api/v1/actors.json")
    reader = reader_for(api_serializers.ActorSerializer)

    [item] = reader.represent(
        reader.rows(models.Actor.objects.filter(slug="china")), request, "json"
    )

    assert item["api_url"] == "http://testserver/api/v1/actors/china.json"


def test_pages_of_the_same_length_reuse_compiled_link_queries_with_their_own_ids(seeded):
    request = APIRequestFactory().get("/api/v1/")
    reader = reader_for(api_serializers.StatementSerializer)
    rows = list(reader.rows(models.Statement.objects.order_by("slug")))
    expected = serializer_output(StatementViewSet, request)
    by_slug = {item["slug"]: item for item in expected}

    first, second = reader.represent(rows[:20], request), reader.represent(rows[20:40], request)

    assert first + second == [by_slug[row["slug"]] for row in rows[:40]]


def test_postgresql_builds_every_undated_link_of_a_page_in_one_query(seeded, settings):
    """Speaker, what a statement concerns and citations: one JSON query on PostgreSQL,
    one query each on SQLite; the dated reported values keep their own everywhere
    (the article's statements report none, so no source is looked up for them)."""
    request = APIRequestFactory().get("/api/v1/")
    reader = reader_for(api_serializers.StatementSerializer)
    rows = list(reader.rows(models.Statement.objects.all()))
    settings.DATABASE_PREPARED_STATEMENTS = False  # each query's own SQL, to read its table

    with CaptureQueriesContext(connection) as captured:
        reader.represent(rows, request)

    tables = [re.findall(r'FROM "(\w+)"', query["sql"])[-1] for query in captured]
    assert (
        tables
        == {
            "postgresql": ["tracker_statement", "tracker_reportedvalue"],
            "sqlite": [
                "tracker_actor",
                "tracker_agreement",
                "tracker_exercise",
                "tracker_armsdeal",
                "tracker_actor",
                "tracker_citation",
                "tracker_source",
                "tracker_reportedvalue",
            ],
        }[connection.vendor]
    )


def test_timestamps_are_shown_in_the_current_zone_as_the_serializer_shows_them(seeded):
    request = APIRequestFactory().get("/api/v1/")
    reader = reader_for(api_serializers.StatementSerializer)
    view = StatementViewSet(request=request, format_kwarg=None, action="list", kwargs={})

    with timezone.override("Europe/Tallinn"):
        shown = reader.represent(reader.rows(view.get_queryset()), request)
        expected = serializer_output(StatementViewSet, request)

    assert shown == expected
    assert re.search(r"\+0[23]:00$", shown[0]["updated_at"])


@pytest.mark.parametrize(
    ("model", "owner", "expected"),
    [
        (models.ExerciseParticipant, "exercise", ["id"]),
        (models.AgreementParty, "agreement", ["id"]),
        (models.ArmsDealContractor, "deal", ["id"]),
        (models.Citation, "exercise", ["footnote", "id"]),
    ],
)
def test_link_rows_are_ordered_by_their_own_fields_within_one_owner(model, owner, expected):
    assert order_within_owner(model, owner) == expected


@pytest.mark.parametrize("viewset", [ExerciseViewSet, AgreementViewSet, ArmsDealViewSet])
def test_a_pages_link_rows_are_read_without_joining_the_listed_table(seeded, settings, viewset):
    """The participants of a page of exercises (parties, contractors) are in their own
    order: no join back to the exercises for the exercises' order."""
    model = viewset.serializer_class.Meta.model
    reader = reader_for(viewset.serializer_class)
    rows = list(reader.rows(model.objects.all()))
    settings.DATABASE_PREPARED_STATEMENTS = False  # each query's own SQL, to read its joins

    with CaptureQueriesContext(connection) as captured:
        reader.represent(rows, APIRequestFactory().get("/api/v1/"))

    joins = [q["sql"] for q in captured if f'JOIN "{model._meta.db_table}"' in q["sql"]]
    assert (len(rows) > 1, joins) == (True, [])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="psycopg2's json parsing")
def test_a_new_connection_parses_json_with_orjson(db, monkeypatch):
    parsed, loads = [], orjson.loads

    def spy(text):
        parsed.append(text)
        return loads(text)

    monkeypatch.setattr(json_links.orjson, "loads", spy)
    fresh = connections.create_connection("default")
    try:
        with fresh.cursor() as cursor:
            cursor.execute("SELECT json_build_object('footnote', 7, 'slug', 'zapad-2017')")
            row = cursor.fetchone()
    finally:
        fresh.close()

    assert (row, parsed) == (
        ({"footnote": 7, "slug": "zapad-2017"},),
        ['{"footnote" : 7, "slug" : "zapad-2017"}'],
    )

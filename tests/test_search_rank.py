"""Searches ranked by name: the change forms' pickers and the API's ``search``.

The record called what was typed comes first (its name or an alias), then
names starting with it, then names or aliases with a word starting with it,
then every other match by name. Actors' options name their kind and country.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import (
    ActorFactory,
    AgreementFactory,
    ArmsDealFactory,
    ExerciseFactory,
    SourceFactory,
    StatementFactory,
)
from tests.ranking import (
    PLA_RANKED,
    RUSSIA_RANKED,
    actor_options,
    expected_options,
    other_matches,
    picker_pages,
)
from tracker.models import Actor, Exercise, ExerciseParticipant

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"

# -- the admin's pickers ----------------------------------------------------------------------


def test_picker_offers_russia_first_then_names_starting_with_it_then_words(editor_client, seeded):
    assert actor_options(editor_client, "Russia") == expected_options("Russia", RUSSIA_RANKED)


def test_picker_ranks_a_partly_typed_name_the_same_way(editor_client, seeded):
    assert actor_options(editor_client, "russ") == expected_options("russ", RUSSIA_RANKED)


def test_picker_finds_russia_by_its_cyrillic_alias(editor_client, seeded):
    assert actor_options(editor_client, "Россия") == ["Russia — state, Russia"]


def test_picker_offers_the_actor_whose_alias_was_typed_first(editor_client, seeded):
    assert actor_options(editor_client, "PLA") == expected_options("PLA", PLA_RANKED)


def test_picker_option_of_an_actor_without_country_names_its_kind(editor_client, seeded):
    assert actor_options(editor_client, "Soviet Union")[0] == "Soviet Union — state"


def test_picker_options_keep_the_records_keys_as_ids(editor_client, seeded):
    pages = picker_pages(editor_client, "Россия", "exerciseparticipant", "actor")

    assert pages[0]["results"] == [
        {"id": str(Actor.objects.get(slug="russia").pk), "text": "Russia — state, Russia"}
    ]


def test_change_form_shows_the_chosen_actor_with_kind_and_country(editor_client, seeded):
    exercise = Exercise.objects.get(slug="tsentr-2019")
    russia = Actor.objects.get(slug="russia")
    assert ExerciseParticipant.objects.filter(exercise=exercise, actor=russia).exists()

    response = editor_client.get(f"/admin/tracker/exercise/{exercise.pk}/change/")

    chosen = re.findall(
        rf'<option value="{russia.pk}" selected>([^<]*)</option>', response.content.decode()
    )
    assert chosen == ["Russia — state, Russia"]


#: (record type, a picker choosing it: model and field, factory, name field)
PICKERS = [
    ("source", "citation", "source", SourceFactory, "title"),
    ("agreement", "agreement", "replaces", AgreementFactory, "title"),
    ("exercise", "statement", "about_exercises", ExerciseFactory, "name"),
    ("armsdeal", "statement", "about_arms_deals", ArmsDealFactory, "title"),
    ("statement", "citation", "statement", StatementFactory, "text"),
    ("actor", "armsdeal", "supplier", ActorFactory, "name"),
]


@pytest.mark.parametrize(("record", "model_name", "field_name", "factory", "name"), PICKERS)
def test_every_record_types_picker_ranks_by_name(
    editor_client, record, model_name, field_name, factory, name
):
    # Made worst first, so that neither creation nor name order is the rank's order.
    inside = factory(**{name: "Bazapad manoeuvres"})
    word = factory(**{name: "Joint drills near Zapad"})
    prefix = factory(**{name: "Zapad-2021"})
    exact = factory(**{name: "zapad"})
    factory(**{name: "Unrelated"})

    pages = picker_pages(editor_client, "Zapad", model_name, field_name)

    assert [option["id"] for option in pages[0]["results"]] == [
        str(record.pk) for record in (exact, prefix, word, inside)
    ]


# -- the API's search -------------------------------------------------------------------------


def test_api_actor_search_is_ranked_by_name(api, seeded):
    response = api.get("/api/v1/actors/", {"search": "russia"})

    expected = [slug for slug, _ in RUSSIA_RANKED] + [
        actor.slug for actor in other_matches("russia", [slug for slug, _ in RUSSIA_RANKED])
    ]
    assert [row["slug"] for row in response.json()["results"]] == expected


def test_api_search_finds_russia_by_its_cyrillic_alias(api, seeded):
    response = api.get("/api/v1/actors/", {"search": "Россия"})

    assert [row["slug"] for row in response.json()["results"]] == ["russia"]


def test_api_search_with_an_ordering_keeps_that_ordering(api, seeded):
    response = api.get("/api/v1/actors/", {"search": "russia", "ordering": "-name"})

    slugs = [row["slug"] for row in response.json()["results"]]
    by_name = Actor.objects.filter(slug__in=slugs).order_by("-name", "slug")
    assert slugs == [actor.slug for actor in by_name]


def test_api_ranked_search_asks_the_database_no_more_often_than_an_ordered_one(api, seeded):
    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(url).status_code == 200
        return len(captured)

    # The read that counts the matches also ranks them.
    assert queries("/api/v1/actors/?search=russia") <= queries(
        "/api/v1/actors/?search=russia&ordering=name"
    )


def test_api_exercise_search_is_ranked_by_name(api):
    ExerciseFactory(slug="inside", name="Bazapad manoeuvres")
    ExerciseFactory(slug="word", name="Joint drills near Zapad")
    ExerciseFactory(slug="prefix", name="Zapad-2021")
    ExerciseFactory(slug="exact", name="zapad")

    response = api.get("/api/v1/exercises/", {"search": "zapad"})

    assert [row["slug"] for row in response.json()["results"]] == [
        "exact",
        "prefix",
        "word",
        "inside",
    ]

"""The admin's country filters: the countries that occur, by name; filtering that never fails."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.factories import ActorFactory, ExerciseFactory
from tracker.admin.filters import country_filter
from tracker.models import ExerciseParticipant

pytestmark = pytest.mark.django_db


def choices(client, model: str, parameter: str) -> list[tuple[str, str]]:
    """The (code, name) choices the country filter of ``model``'s list offers."""
    response = client.get(reverse(f"admin:tracker_{model}_changelist"))
    filters = response.context["cl"].filter_specs
    (spec,) = [s for s in filters if getattr(s, "parameter_name", None) == parameter]
    return [(code, str(name)) for code, name in spec.lookup_choices]


def listed(client, model: str, query: dict) -> list[str]:
    """The slugs a filtered list shows, in its order."""
    response = client.get(reverse(f"admin:tracker_{model}_changelist"), query)
    assert response.status_code == 200
    return [row.slug for row in response.context["cl"].result_list]


def test_exercise_countries_are_those_of_participants_by_name(editor_client, seeded):
    # No German, Estonian or American actor took part in an exercise of the seed.
    assert choices(editor_client, "exercise", "participants__country") == [
        ("CN", "China"),
        ("IN", "India"),
        ("IR", "Iran"),
        ("KZ", "Kazakhstan"),
        ("KG", "Kyrgyzstan"),
        ("PK", "Pakistan"),
        ("RU", "Russia"),
        ("ZA", "South Africa"),
        ("TJ", "Tajikistan"),
        ("UZ", "Uzbekistan"),
    ]


def test_agreement_countries_are_those_of_parties_by_name(editor_client, seeded):
    assert choices(editor_client, "agreement", "parties__country") == [
        ("CN", "China"),
        ("KZ", "Kazakhstan"),
        ("KG", "Kyrgyzstan"),
        ("RU", "Russia"),
        ("TJ", "Tajikistan"),
        ("US", "United States of America"),
    ]


def test_arms_deal_countries_are_those_of_suppliers_by_name(editor_client, seeded):
    assert choices(editor_client, "armsdeal", "supplier__country") == [
        ("CN", "China"),
        ("RU", "Russia"),
    ]


def test_statement_countries_are_those_of_speakers_by_name(editor_client, seeded):
    assert choices(editor_client, "statement", "speaker__country") == [
        ("CN", "China"),
        ("HK", "Hong Kong"),
        ("MO", "Macao"),
        ("RU", "Russia"),
    ]


def test_actor_countries_are_those_some_actor_has_by_name(editor_client, seeded):
    assert choices(editor_client, "actor", "country") == [
        ("AF", "Afghanistan"),
        ("CN", "China"),
        ("EE", "Estonia"),
        ("FR", "France"),
        ("DE", "Germany"),
        ("HK", "Hong Kong"),
        ("IN", "India"),
        ("IR", "Iran"),
        ("IT", "Italy"),
        ("KZ", "Kazakhstan"),
        ("KG", "Kyrgyzstan"),
        ("MO", "Macao"),
        ("MN", "Mongolia"),
        ("PK", "Pakistan"),
        ("RU", "Russia"),
        ("ZA", "South Africa"),
        ("TJ", "Tajikistan"),
        ("GB", "United Kingdom"),
        ("US", "United States of America"),
        ("UZ", "Uzbekistan"),
    ]


def test_names_sort_as_read_accented_letters_among_plain_ones(editor_client):
    for code in ("AX", "AZ", "AL"):  # Åland Islands, Azerbaijan, Albania
        ActorFactory(country=code)
    assert [name for _, name in choices(editor_client, "actor", "country")] == [
        "Åland Islands",
        "Albania",
        "Azerbaijan",
    ]


@pytest.mark.parametrize(
    ("model", "query", "expected"),
    [
        ("exercise", {"participants__country": "ZA"}, ["mosi-2019"]),
        ("agreement", {"parties__country": "US"}, ["inf-treaty-1987", "new-start-treaty"]),
        ("armsdeal", {"supplier__country": "CN"}, ["china-electronics-naval-diesels-for-russia"]),
        (
            "statement",
            {"speaker__country": "HK"},
            ["song-2019-arctic-launch-quote", "song-2019-joint-early-warning-network"],
        ),
        ("actor", {"country": "DE"}, ["marshall-center"]),
    ],
)
def test_a_country_lists_the_records_of_that_country(editor_client, seeded, model, query, expected):
    assert sorted(listed(editor_client, model, query)) == expected


def test_an_exercise_with_two_participants_of_a_country_is_listed_once(editor_client):
    exercise = ExerciseFactory(slug="vostok-2018")
    for name in ("Russia", "Russian Navy"):
        actor = ActorFactory(name=name, country="RU")
        ExerciseParticipant.objects.create(exercise=exercise, actor=actor)
    assert listed(editor_client, "exercise", {"participants__country": "RU"}) == ["vostok-2018"]


@pytest.mark.parametrize("value", ["XX", "cn", "' OR 1=1 --", "C" * 500])
def test_an_unknown_country_lists_nothing_and_says_so(editor_client, value):
    ExerciseParticipant.objects.create(exercise=ExerciseFactory(), actor=ActorFactory(country="CN"))
    response = editor_client.get(
        reverse("admin:tracker_exercise_changelist"), {"participants__country": value}
    )
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert (response.status_code, list(response.context["cl"].result_list), len(messages)) == (
        200,
        [],
        1,
    )
    assert messages[0].endswith("not a country code: use one such as CN or RU.")


@pytest.mark.parametrize("value", ["\x00", "CN\x00"])
def test_a_country_with_a_nul_character_is_refused(editor_client, value):
    response = editor_client.get(
        reverse("admin:tracker_exercise_changelist"), {"participants__country": value}
    )
    assert (response.status_code, response.content) == (
        400,
        "Query parameter “participants__country”: Contains a NUL character (%00).".encode(),
    )


def test_an_empty_country_leaves_the_list_unfiltered(editor_client):
    ExerciseFactory(slug="mosi-2019")
    ExerciseFactory(slug="vostok-2018")
    assert sorted(listed(editor_client, "exercise", {"participants__country": ""})) == [
        "mosi-2019",
        "vostok-2018",
    ]


@pytest.mark.parametrize("path", ["participants__actor__country", "participants__name", "name"])
def test_a_path_that_does_not_end_at_an_actors_country_is_refused(path):
    with pytest.raises(ValueError, match="expected 'country'"):
        country_filter(path, "country")

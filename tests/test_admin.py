"""The editors' admin: every page answers, search finds, saving goes through the rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import (
    ActorFactory,
    AgreementFactory,
    ArmsDealFactory,
    CitationFactory,
    ExerciseFactory,
    SourceFactory,
    StatementFactory,
)
from tracker.models import Citation, Exercise, ExerciseParticipant

pytestmark = pytest.mark.django_db

FACTORIES = {
    "actor": ActorFactory,
    "source": SourceFactory,
    "agreement": AgreementFactory,
    "exercise": ExerciseFactory,
    "armsdeal": ArmsDealFactory,
    "statement": StatementFactory,
}


@pytest.mark.parametrize("model", [*FACTORIES, "citation", "deletedrecord"])
def test_changelist_answers_for_an_editor(editor_client, model):
    if model in FACTORIES:
        FACTORIES[model]()
    response = editor_client.get(reverse(f"admin:tracker_{model}_changelist"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", [*FACTORIES, "citation"])
def test_add_page_answers_for_an_editor(editor_client, model):
    response = editor_client.get(reverse(f"admin:tracker_{model}_add"))
    assert response.status_code == 200


@pytest.mark.parametrize("model", FACTORIES)
def test_change_page_answers_for_an_editor(editor_client, model):
    record = FACTORIES[model]()
    response = editor_client.get(reverse(f"admin:tracker_{model}_change", args=[record.pk]))
    assert response.status_code == 200


def test_change_page_of_a_citation_answers(editor_client):
    citation = CitationFactory(exercise=ExerciseFactory())
    response = editor_client.get(reverse("admin:tracker_citation_change", args=[citation.pk]))
    assert response.status_code == 200


def test_index_names_the_tracker_and_lists_the_six_record_types(editor_client):
    response = editor_client.get(reverse("admin:index"))
    content = response.content.decode()
    assert "Sino-Russian Military Cooperation Tracker" in content
    for plural in ("Actors", "Sources", "Agreements", "Exercises", "Arms deals", "Statements"):
        assert plural in content


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(reverse("admin:tracker_exercise_changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_exercise_search_finds_by_participant_name(editor_client):
    exercise = ExerciseFactory(name="Tsentr-2019")
    ExerciseFactory(name="Vostok-2018")
    ExerciseParticipant.objects.create(exercise=exercise, actor=ActorFactory(name="Kyrgyzstan"))
    response = editor_client.get(reverse("admin:tracker_exercise_changelist"), {"q": "kyrgyz"})
    assert [row.name for row in response.context["cl"].result_list] == ["Tsentr-2019"]


def test_actor_search_finds_an_alias(editor_client):
    ActorFactory(name="Sergei Shoigu", aliases=["Sergey Shoygu"])
    ActorFactory(name="Vasily Kashin")
    response = editor_client.get(reverse("admin:tracker_actor_changelist"), {"q": "shoygu"})
    assert [row.name for row in response.context["cl"].result_list] == ["Sergei Shoigu"]


def test_year_filter_lists_records_of_that_year(editor_client):
    ExerciseFactory(name="Tsentr-2019", start_date=dt.date(2019, 9, 1))
    ExerciseFactory(name="Vostok-2018", start_date=dt.date(2018, 9, 1))
    response = editor_client.get(
        reverse("admin:tracker_exercise_changelist"), {"start_date_year": "2018"}
    )
    assert [row.name for row in response.context["cl"].result_list] == ["Vostok-2018"]


def test_the_changelist_shows_fuzzy_dates_as_words(editor_client):
    ExerciseFactory(name="Tsentr-2019", start_date=dt.date(2019, 9, 1), start_date_precision=10)
    response = editor_client.get(reverse("admin:tracker_exercise_changelist"))
    assert "September 2019" in response.content.decode()


def _exercise_form(**overrides):
    data = {
        "name": "Mosi-2019",
        "slug": "mosi-2019",
        "series": "Mosi",
        "domain": "naval",
        "start_date": "27 December 2019",
        "end_date": "",
        "location": "",
        "region": "",
        "summary": "",
        "editorial_note": "",
        "participations-TOTAL_FORMS": "0",
        "participations-INITIAL_FORMS": "0",
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "0",
        # The reported values inline, left empty.
        "reported_values-TOTAL_FORMS": "0",
        "reported_values-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_adding_an_exercise_with_its_citation(editor_client):
    source = SourceFactory()
    response = editor_client.post(
        reverse("admin:tracker_exercise_add"),
        _exercise_form(**{"citations-0-source": source.pk, "citations-0-footnote": "12"}),
    )
    assert response.status_code == 302
    exercise = Exercise.objects.get(slug="mosi-2019")
    assert list(Citation.objects.filter(exercise=exercise).values_list("footnote", flat=True)) == [
        12
    ]


def test_adding_an_exercise_ending_before_it_starts_is_refused(editor_client):
    response = editor_client.post(
        reverse("admin:tracker_exercise_add"),
        _exercise_form(end_date="December 2018", **{"citations-TOTAL_FORMS": "0"}),
    )
    assert response.status_code == 200
    assert "Ends (December 2018) before it starts (27 December 2019)." in response.content.decode()
    assert not Exercise.objects.filter(slug="mosi-2019").exists()


def test_deleting_a_cited_source_is_refused_in_the_admin(editor_client):
    citation = CitationFactory(exercise=ExerciseFactory())
    url = reverse("admin:tracker_source_delete", args=[citation.source_id])
    response = editor_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert "Cannot delete source" in response.content.decode()
    assert type(citation.source).objects.filter(pk=citation.source_id).exists()


def test_the_same_citation_twice_is_refused_next_to_its_source(editor_client):
    source = SourceFactory()
    twice = {
        "citations-TOTAL_FORMS": "2",
        **{f"citations-{n}-source": source.pk for n in (0, 1)},
        **{f"citations-{n}-footnote": "3" for n in (0, 1)},
    }

    response = editor_client.post(reverse("admin:tracker_exercise_add"), _exercise_form(**twice))

    errors = response.context["inline_admin_formsets"][1].formset.forms[1].errors
    assert (errors, Exercise.objects.count()) == (
        {
            "source": [
                "Citation 1 already cites this source with the same footnote and page. "
                "List each citation once."
            ]
        },
        0,
    )


def test_the_same_participant_twice_is_refused_and_nothing_is_stored(editor_client):
    actor = ActorFactory()
    twice = {
        "participations-TOTAL_FORMS": "2",
        "citations-TOTAL_FORMS": "0",
        **{f"participations-{n}-actor": actor.pk for n in (0, 1)},
        **{f"participations-{n}-role": "host" for n in (0, 1)},
    }

    response = editor_client.post(reverse("admin:tracker_exercise_add"), _exercise_form(**twice))

    formset = response.context["inline_admin_formsets"][0].formset
    assert (formset.non_form_errors(), Exercise.objects.count()) == (
        ["Please correct the duplicate data for actor."],
        0,
    )


def test_a_repeated_citation_ticked_for_deletion_is_not_refused(editor_client):
    source = SourceFactory()
    twice = {
        "citations-TOTAL_FORMS": "2",
        **{f"citations-{n}-source": source.pk for n in (0, 1)},
        **{f"citations-{n}-footnote": "3" for n in (0, 1)},
        "citations-0-DELETE": "on",
    }

    editor_client.post(reverse("admin:tracker_exercise_add"), _exercise_form(**twice))

    exercise = Exercise.objects.get(slug="mosi-2019")
    assert list(exercise.citations.values_list("source", "footnote")) == [(source.pk, 3)]

"""Citations: required on every fact, never twice, and their own page checks versions."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from tests import factories as f
from tests.admin_forms import change_form_data
from tests.api_factories import if_match
from tracker import models
from tracker.editors import create_editor
from tracker.services import record_save

pytestmark = pytest.mark.django_db

REQUIRED = (
    "Cite at least one source: every exercise rests on a source (add a citation with its "
    "footnote or page)."
)
URL = "/api/v1/exercises/tsentr-2019/"


def session(username: str) -> Client:
    client = Client()
    client.force_login(create_editor(username, f"{username}-long-password"))
    return client


@pytest.fixture
def source(db) -> models.Source:
    return f.SourceFactory(slug="kashin-2019", title="Kashin 2019")


@pytest.fixture
def exercise(source) -> models.Exercise:
    """Tsentr 2019 citing Kashin 2019, footnote 7, page 2."""
    return record_save(
        models.Exercise(slug="tsentr-2019", name="Tsentr 2019", domain="combined"),
        citations=[{"source": source, "footnote": 7, "locator": "p. 2"}],
    )


def exercise_form(source, **citations) -> dict[str, str]:
    """The admin's add form for Mosi, with the given citation rows (``{"0-locator": ""}``)."""
    rows = sorted({key.split("-")[0] for key in citations})
    data = {
        "name": "Mosi",
        "slug": "mosi",
        "domain": "naval",
        "participations-TOTAL_FORMS": "0",
        "participations-INITIAL_FORMS": "0",
        "citations-TOTAL_FORMS": str(len(rows)),
        "citations-INITIAL_FORMS": "0",
        # The reported values inline, left empty.
        "reported_values-TOTAL_FORMS": "0",
        "reported_values-INITIAL_FORMS": "0",
    }
    data.update({f"citations-{n}-source": str(source.pk) for n in rows})
    data.update({f"citations-{key}": value for key, value in citations.items()})
    return data


# ----------------------------------------------------------------------------
# Required
# ----------------------------------------------------------------------------
def test_record_save_refuses_an_exercise_without_a_citation(db):
    with pytest.raises(ValidationError) as caught:
        record_save(models.Exercise(slug="mosi", name="Mosi", domain="naval"))

    assert (caught.value.message_dict, models.Exercise.objects.count()) == (
        {"citations": [REQUIRED]},
        0,
    )


def test_record_save_refuses_to_remove_the_last_citation(exercise):
    with pytest.raises(ValidationError) as caught:
        record_save(exercise, citations=[])

    assert (caught.value.message_dict, exercise.citations.count()) == ({"citations": [REQUIRED]}, 1)


def test_record_save_reports_the_missing_citation_with_other_errors(db):
    exercise = models.Exercise(slug="mosi", name="", domain="naval")

    with pytest.raises(ValidationError) as caught:
        record_save(exercise)

    assert sorted(caught.value.message_dict) == ["citations", "name"]


def test_record_save_accepts_an_actor_without_a_citation(db):
    actor = record_save(models.Actor(slug="iran", name="Iran", kind="state"))

    assert models.Actor.objects.filter(pk=actor.pk).exists()


def test_admin_refuses_an_exercise_without_a_citation_next_to_the_citations(source):
    response = session("alice").post(reverse("admin:tracker_exercise_add"), exercise_form(source))

    citations = response.context["inline_admin_formsets"][1].formset
    assert (response.status_code, citations.non_form_errors(), models.Exercise.objects.count()) == (
        200,
        [REQUIRED],
        0,
    )


def test_admin_refuses_deleting_the_last_citation_inline(exercise):
    client = session("alice")
    url = reverse("admin:tracker_exercise_change", args=[exercise.pk])

    response = client.post(url, {**change_form_data(client.get(url)), "citations-0-DELETE": "on"})

    citations = response.context["inline_admin_formsets"][1].formset
    assert (citations.non_form_errors(), exercise.citations.count()) == ([REQUIRED], 1)


def test_admin_adds_an_exercise_with_its_citation_in_one_save(source):
    response = session("alice").post(
        reverse("admin:tracker_exercise_add"), exercise_form(source, **{"0-footnote": "4"})
    )

    exercise = models.Exercise.objects.get(slug="mosi")
    assert (response.status_code, [str(c) for c in exercise.citations.all()]) == (
        302,
        ["Kashin 2019 (n. 4)"],
    )


def test_api_create_without_citations_is_400_on_citations(editor_api, source):
    body = {"slug": "mosi", "name": "Mosi", "domain": "naval"}

    response = editor_api.post("/api/v1/exercises/", body, format="json")

    assert (response.status_code, response.json()) == (400, {"citations": [REQUIRED]})


def test_api_update_with_no_citations_is_400(editor_api, exercise):
    response = editor_api.patch(URL, {"citations": []}, format="json", **if_match(editor_api, URL))

    assert (response.status_code, response.json()) == (400, {"citations": [REQUIRED]})


def test_api_patch_without_citations_keeps_them(editor_api, exercise):
    response = editor_api.patch(
        URL, {"region": "Central Asia"}, format="json", **if_match(editor_api, URL)
    )

    assert (response.status_code, [str(c) for c in exercise.citations.all()]) == (
        200,
        ["Kashin 2019 (n. 7, p. 2)"],
    )


def test_api_creates_an_actor_without_citations(editor_api):
    body = {"slug": "iran", "name": "Iran", "kind": "state"}

    assert editor_api.post("/api/v1/actors/", body, format="json").status_code == 201


@pytest.fixture
def only_citation_deleted_on_its_page(exercise):
    citation = exercise.citations.get()
    url = reverse("admin:tracker_citation_delete", args=[citation.pk])
    return session("alice").post(url, {"post": "yes"})


def test_deleting_a_records_only_citation_on_its_page_is_refused(
    only_citation_deleted_on_its_page, exercise
):
    assert (only_citation_deleted_on_its_page.status_code, exercise.citations.count()) == (200, 1)


def test_deleting_a_records_only_citation_names_the_record(only_citation_deleted_on_its_page):
    assert only_citation_deleted_on_its_page.context["protected"] == [
        "Exercise: Tsentr 2019 (its only citation)"
    ]


def test_moving_a_records_only_citation_to_another_record_is_refused(exercise):
    other = f.ExerciseFactory(slug="vostok-2018")
    citation = exercise.citations.get()
    client = session("alice")
    url = reverse("admin:tracker_citation_change", args=[citation.pk])

    response = client.post(url, {**change_form_data(client.get(url)), "exercise": other.pk})

    citation.refresh_from_db()
    assert (
        response.status_code,
        response.context["adminform"].form.non_field_errors(),
        citation.exercise_id,
    ) == (
        200,
        [
            "This is the only citation of exercise “Tsentr 2019”: every record stating a fact "
            "cites a source. Add another citation to it first."
        ],
        exercise.pk,
    )


# ----------------------------------------------------------------------------
# Never twice, however the locator is written
# ----------------------------------------------------------------------------
def test_record_save_refuses_empty_and_null_locators_of_one_source(source):
    rows = [{"source": source, "locator": ""}, {"source": source, "locator": None}]

    with pytest.raises(ValidationError) as caught:
        record_save(models.Exercise(slug="mosi", name="Mosi", domain="naval"), citations=rows)

    assert caught.value.message_dict == {
        "citations": ["Row 2: This record already cites that source there."]
    }


def test_record_save_stores_a_locator_without_surrounding_spaces(source):
    exercise = record_save(
        models.Exercise(slug="mosi", name="Mosi", domain="naval"),
        citations=[{"source": source, "footnote": 2, "locator": "  p. 13 "}],
    )

    assert list(exercise.citations.values_list("locator", flat=True)) == ["p. 13"]


def test_api_refuses_empty_and_null_locators_of_one_source(editor_api, source):
    body = {
        "slug": "mosi",
        "name": "Mosi",
        "domain": "naval",
        "citations": [
            {"source": "kashin-2019", "locator": ""},
            {"source": "kashin-2019", "locator": None},
        ],
    }

    response = editor_api.post("/api/v1/exercises/", body, format="json")

    assert (response.status_code, response.json(), models.Exercise.objects.count()) == (
        400,
        {
            "citations": {
                "non_field_errors": [
                    "The same source / footnote / locator is listed more than once."
                ]
            }
        },
        0,
    )


def test_api_refuses_a_locator_differing_only_in_spaces(editor_api, source):
    body = {
        "slug": "mosi",
        "name": "Mosi",
        "domain": "naval",
        "citations": [
            {"source": "kashin-2019", "footnote": 3, "locator": "p. 2"},
            {"source": "kashin-2019", "footnote": 3, "locator": " p. 2 "},
        ],
    }

    response = editor_api.post("/api/v1/exercises/", body, format="json")

    assert response.status_code == 400


def test_api_stores_a_null_locator_as_empty(editor_api, source):
    body = {
        "slug": "mosi",
        "name": "Mosi",
        "domain": "naval",
        "citations": [{"source": "kashin-2019", "footnote": 1, "locator": None}],
    }

    response = editor_api.post("/api/v1/exercises/", body, format="json")

    assert (response.status_code, response.json()["citations"][0]["locator"]) == (201, "")


def test_admin_refuses_an_empty_and_a_blank_locator_of_one_source(source):
    form = exercise_form(source, **{"0-locator": "", "1-locator": "   "})

    response = session("alice").post(reverse("admin:tracker_exercise_add"), form)

    errors = response.context["inline_admin_formsets"][1].formset.forms[1].errors
    assert (errors, models.Exercise.objects.count()) == (
        {
            "source": [
                "Citation 1 already cites this source with the same footnote and page. "
                "List each citation once."
            ]
        },
        0,
    )


def test_citation_page_refuses_a_second_copy_without_footnote(source):
    exercise = record_save(
        models.Exercise(slug="mosi", name="Mosi", domain="naval"),
        citations=[{"source": source, "locator": ""}],
    )
    data = {
        "source": source.pk,
        "footnote": "",
        "locator": " ",
        "excerpt": "",
        "exercise": exercise.pk,
    }

    response = session("alice").post(reverse("admin:tracker_citation_add"), data)

    assert (
        response.context["adminform"].form.non_field_errors(),
        exercise.citations.count(),
    ) == (["This record already cites that source there."], 1)


@pytest.mark.parametrize("footnote", [None, 5])
def test_database_refuses_two_equal_citations(exercise, source, footnote):
    models.Citation.objects.create(exercise=exercise, source=source, footnote=footnote)

    with pytest.raises(IntegrityError), transaction.atomic():
        models.Citation.objects.bulk_create(
            [models.Citation(exercise=exercise, source=source, footnote=footnote)]
        )


def test_migration_merges_citations_equal_once_their_locators_are_trimmed(exercise, source):
    kept = exercise.citations.get()
    models.Citation.objects.filter(pk=kept.pk).update(excerpt="First passage.")
    padded = models.Citation.objects.create(exercise=exercise, source=source, footnote=7)
    models.Citation.objects.filter(pk=padded.pk).update(locator=" p. 2 ", excerpt="Second.")
    migration = importlib.import_module("tracker.migrations.0008_citation_duplicates")

    migration.normalise_citations(apps, None)

    assert list(exercise.citations.values_list("pk", "locator", "excerpt")) == [
        (kept.pk, "p. 2", "First passage.\n\nSecond.")
    ]


# ----------------------------------------------------------------------------
# The citation's own page checks versions
# ----------------------------------------------------------------------------
@pytest.fixture
def two_editors_on_the_citation_page(exercise):
    """Alice and Bob open the same citation's page; Alice saves a page, then Bob an excerpt."""
    citation = exercise.citations.get()
    url = reverse("admin:tracker_citation_change", args=[citation.pk])
    alice, bob = session("alice"), session("bob")
    alice_form, bob_form = change_form_data(alice.get(url)), change_form_data(bob.get(url))
    alice.post(url, {**alice_form, "locator": "p. 3"})
    return bob.post(url, {**bob_form, "excerpt": "Joint staff talks."}), citation


def test_second_save_of_a_citation_page_keeps_the_first(two_editors_on_the_citation_page):
    response, citation = two_editors_on_the_citation_page

    citation.refresh_from_db()
    assert (response.status_code, citation.locator, citation.excerpt) == (200, "p. 3", "")


def test_second_save_of_a_citation_page_shows_the_conflict_message(
    two_editors_on_the_citation_page,
):
    response, _ = two_editors_on_the_citation_page

    errors = response.context["adminform"].form.non_field_errors()
    assert (
        len(errors),
        errors[0].startswith(
            "This citation was changed by someone else after you opened it, so your changes were "
            "not saved (nothing of theirs was overwritten). alice saved it at "
        ),
    ) == (1, True)


def test_citation_page_is_refused_when_its_record_changed_since(exercise, source):
    citation = exercise.citations.get()
    client = session("alice")
    url = reverse("admin:tracker_citation_change", args=[citation.pk])
    form = change_form_data(client.get(url))
    exercise.name = "Tsentr-2019"
    record_save(exercise)

    response = client.post(url, {**form, "excerpt": "Joint staff talks."})

    citation.refresh_from_db()
    errors = response.context["adminform"].form.non_field_errors()
    assert (
        citation.excerpt,
        errors[0].startswith("This exercise was changed by someone else"),
    ) == (
        "",
        True,
    )


def test_citation_page_without_a_version_is_refused(exercise):
    citation = exercise.citations.get()
    client = session("alice")
    url = reverse("admin:tracker_citation_change", args=[citation.pk])

    response = client.post(
        url, {**change_form_data(client.get(url)), "version": "", "locator": "x"}
    )

    citation.refresh_from_db()
    assert (response.status_code, citation.locator) == (200, "p. 2")


def test_record_save_leaving_a_citation_unchanged_keeps_it(exercise, source):
    before = exercise.citations.get()
    exercise.name = "Tsentr-2019"

    record_save(exercise, citations=[{"source": source, "footnote": 7, "locator": "p. 2"}])

    after = exercise.citations.get()
    assert (after.pk, after.updated_at) == (before.pk, before.updated_at)


def test_a_citations_history_version_opens_its_records_revert_page(exercise):
    citation = exercise.citations.get()
    version = Version.objects.get_for_object(citation).get()
    record_version = Version.objects.get_for_object(exercise).get(revision=version.revision)
    url = reverse("admin:tracker_citation_revision", args=[citation.pk, version.pk])

    response = session("alice").get(url)

    assert (response.status_code, response["Location"]) == (
        302,
        reverse("admin:tracker_exercise_revision", args=[exercise.pk, record_version.pk]),
    )

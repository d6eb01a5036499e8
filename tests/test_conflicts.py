"""No lost updates: a save based on an outdated version is refused, in the admin and the API."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.admin_forms import change_form_data
from tests.api_factories import linked_exercise
from tests.factories import ActorFactory
from tracker import models
from tracker.editors import create_editor
from tracker.services import record_save

pytestmark = pytest.mark.django_db

URL = "/api/v1/exercises/tsentr-2019/"


@pytest.fixture
def exercise(db) -> models.Exercise:
    """An exercise whose history starts with its current version (as after any save)."""
    exercise = linked_exercise(
        "tsentr-2019", ActorFactory(slug="russia", name="Russia"), name="Tsentr", region="Volga"
    )
    return record_save(exercise)


def admin_session(username: str) -> Client:
    client = Client()
    client.force_login(create_editor(username, f"{username}-long-password"))
    return client


def api_session(username: str) -> APIClient:
    client = APIClient()
    user = create_editor(username, f"{username}-long-password")
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


# ----------------------------------------------------------------------------
# The admin
# ----------------------------------------------------------------------------
@pytest.fixture
def two_editors_with_the_form_open(exercise):
    """Alice and Bob have both opened the exercise's change page; Alice saves first."""
    url = reverse("admin:tracker_exercise_change", args=[exercise.pk])
    alice, bob = admin_session("alice"), admin_session("bob")
    alice_form = change_form_data(alice.get(url))
    bob_form = change_form_data(bob.get(url))
    alice_answer = alice.post(url, {**alice_form, "name": "Tsentr-2019"})
    bob_answer = bob.post(url, {**bob_form, "region": "Central Asia"})
    return alice_answer, bob_answer


def test_admin_first_save_of_two_concurrent_edits_is_kept(two_editors_with_the_form_open):
    alice_answer, bob_answer = two_editors_with_the_form_open

    stored = models.Exercise.objects.get(slug="tsentr-2019")
    assert (alice_answer.status_code, bob_answer.status_code, stored.name, stored.region) == (
        302,
        200,
        "Tsentr-2019",
        "Volga",
    )


def test_admin_second_save_is_refused_saying_who_changed_what(two_editors_with_the_form_open):
    _, bob_answer = two_editors_with_the_form_open

    errors = bob_answer.context["adminform"].form.non_field_errors()
    assert len(errors) == 1
    assert errors[0].startswith(
        "This exercise was changed by someone else after you opened it, so your changes were "
        "not saved (nothing of theirs was overwritten). alice saved it at "
    )
    assert errors[0].endswith(
        ": Changed name “Tsentr” → “Tsentr-2019”. Now: name “Tsentr” → “Tsentr-2019”. Reload "
        "the exercise to see the current version, then make your changes again."
    )


def test_admin_save_without_a_version_is_refused(exercise):
    client = admin_session("alice")
    url = reverse("admin:tracker_exercise_change", args=[exercise.pk])
    data = {**change_form_data(client.get(url)), "name": "Renamed", "version": ""}

    response = client.post(url, data)

    assert (response.status_code, models.Exercise.objects.get().name) == (200, "Tsentr")


@pytest.fixture
def deletion_confirmed_after_a_colleagues_save(exercise):
    """Alice opens the exercise's deletion page; Bob renames it; Alice confirms the deletion."""
    delete_url = reverse("admin:tracker_exercise_delete", args=[exercise.pk])
    change_url = reverse("admin:tracker_exercise_change", args=[exercise.pk])
    alice, bob = admin_session("alice"), admin_session("bob")
    version = alice.get(delete_url).context["record_version"]
    bob.post(change_url, {**change_form_data(bob.get(change_url)), "name": "Tsentr-2019"})
    return alice, alice.post(delete_url, {"post": "yes", "version": version})


def test_admin_deletion_confirmed_after_a_colleagues_save_deletes_nothing(
    deletion_confirmed_after_a_colleagues_save,
):
    _, response = deletion_confirmed_after_a_colleagues_save

    assert (
        response.status_code,
        list(models.Exercise.objects.values_list("name", flat=True)),
        models.DeletedRecord.objects.count(),
    ) == (302, ["Tsentr-2019"], 0)


def test_admin_deletion_confirmed_after_a_colleagues_save_says_who_changed_what(
    deletion_confirmed_after_a_colleagues_save,
):
    alice, response = deletion_confirmed_after_a_colleagues_save

    page = alice.get(response["Location"])
    message = [str(m) for m in page.context["messages"]]
    said = "This exercise was changed by someone else after you opened it, so your changes were "
    said += "not saved (nothing of theirs was overwritten). bob saved it at "
    assert (response["Location"], len(message), message[0][: len(said)]) == (
        reverse("admin:tracker_exercise_delete", args=[models.Exercise.objects.get().pk]),
        1,
        said,
    )


def test_admin_deletion_without_a_version_is_refused(exercise):
    url = reverse("admin:tracker_exercise_delete", args=[exercise.pk])

    response = admin_session("alice").post(url, {"post": "yes"})

    assert (response.status_code, models.Exercise.objects.count()) == (302, 1)


def test_admin_deletion_from_the_current_version_deletes(exercise):
    client = admin_session("alice")
    url = reverse("admin:tracker_exercise_delete", args=[exercise.pk])
    version = client.get(url).context["record_version"]

    response = client.post(url, {"post": "yes", "version": version})

    assert (response.status_code, models.Exercise.objects.count()) == (302, 0)


@pytest.fixture
def two_exercises(exercise) -> list[models.Exercise]:
    """Tsentr (the ``exercise``) and Vostok, both saved once."""
    vostok = linked_exercise("vostok-2018", ActorFactory(slug="china", name="China"))
    return [exercise, record_save(vostok)]


def confirm_deleting(client: Client, records) -> dict:
    """The confirmation form of "Delete selected" for ``records``, as the page draws it."""
    url = reverse("admin:tracker_exercise_changelist")
    page = client.post(
        url, {"action": "delete_selected", "_selected_action": [r.pk for r in records]}
    )
    fields = re.findall(r'name="(version-\d+)" value="([^"]*)"', page.content.decode())
    return {
        "action": "delete_selected",
        "post": "yes",
        "_selected_action": [r.pk for r in records],
        **dict(fields),
    }


def test_deleting_selected_records_from_their_current_versions_deletes_them(two_exercises):
    client = admin_session("alice")
    form = confirm_deleting(client, two_exercises)

    response = client.post(reverse("admin:tracker_exercise_changelist"), form)

    assert (response.status_code, models.Exercise.objects.count()) == (302, 0)


def test_deleting_selected_records_after_a_colleague_saved_one_deletes_none(two_exercises):
    alice, bob = admin_session("alice"), admin_session("bob")
    form = confirm_deleting(alice, two_exercises)
    change_url = reverse("admin:tracker_exercise_change", args=[two_exercises[1].pk])
    bob.post(change_url, {**change_form_data(bob.get(change_url)), "name": "Vostok-2018"})

    response = alice.post(reverse("admin:tracker_exercise_changelist"), form, follow=True)

    message = [str(m) for m in response.context["messages"]]
    assert (
        sorted(models.Exercise.objects.values_list("name", flat=True)),
        models.DeletedRecord.objects.count(),
        message[0][:41],
    ) == (["Tsentr", "Vostok-2018"], 0, "This exercise was changed by someone else")


def test_deleting_selected_records_without_their_versions_deletes_none(two_exercises):
    client = admin_session("alice")
    form = {
        "action": "delete_selected",
        "post": "yes",
        "_selected_action": [r.pk for r in two_exercises],
    }

    client.post(reverse("admin:tracker_exercise_changelist"), form)

    assert models.Exercise.objects.count() == 2


def test_admin_save_from_the_current_version_is_accepted_twice_in_a_row(exercise):
    client = admin_session("alice")
    url = reverse("admin:tracker_exercise_change", args=[exercise.pk])
    client.post(url, {**change_form_data(client.get(url)), "name": "First"})

    response = client.post(url, {**change_form_data(client.get(url)), "name": "Second"})

    assert (response.status_code, models.Exercise.objects.get().name) == (302, "Second")


# ----------------------------------------------------------------------------
# The API
# ----------------------------------------------------------------------------
@pytest.fixture
def two_clients_with_the_same_etag(exercise):
    """Two API clients read the exercise; the first then changes it with its ETag."""
    first, second = api_session("alice"), api_session("bob")
    first_etag, second_etag = first.get(URL)["ETag"], second.get(URL)["ETag"]
    first_answer = first.patch(
        URL, {"name": "Tsentr-2019"}, format="json", HTTP_IF_MATCH=first_etag
    )
    second_answer = second.patch(
        URL, {"region": "Central Asia"}, format="json", HTTP_IF_MATCH=second_etag
    )
    return first_answer, second_answer


def test_api_first_update_of_two_concurrent_ones_is_kept(two_clients_with_the_same_etag):
    first_answer, second_answer = two_clients_with_the_same_etag

    stored = models.Exercise.objects.get(slug="tsentr-2019")
    assert (first_answer.status_code, second_answer.status_code, stored.name, stored.region) == (
        200,
        412,
        "Tsentr-2019",
        "Volga",
    )


def test_api_stale_update_is_412_saying_who_changed_what(two_clients_with_the_same_etag):
    first_answer, second_answer = two_clients_with_the_same_etag
    body = second_answer.json()

    assert body["detail"] == (
        "This exercise was changed by someone else after you opened it, so your changes were "
        "not saved (nothing of theirs was overwritten). "
        + " ".join(body["changes"])
        + " Reload the exercise to see the current version, then make your changes again."
    )
    assert body["changes"][0].startswith("alice saved it at ")
    assert body["changes"][0].endswith(": Changed name “Tsentr” → “Tsentr-2019”.")
    assert body["changes"][1] == "Now: name “Tsentr” → “Tsentr-2019”."
    assert body["current_etag"] == first_answer["ETag"]


def test_read_carries_an_etag_that_changes_with_each_update(exercise):
    client = api_session("alice")
    before = client.get(URL)["ETag"]

    response = client.patch(URL, {"region": "Arctic"}, format="json", HTTP_IF_MATCH=before)

    assert response["ETag"] != before
    assert client.get(URL)["ETag"] == response["ETag"]


@pytest.mark.parametrize("headers", [{}, {"HTTP_IF_MATCH": "*"}, {"HTTP_IF_MATCH": " "}])
def test_update_without_a_version_is_428_and_stores_nothing(exercise, headers):
    client = api_session("alice")

    response = client.patch(URL, {"region": "Arctic"}, format="json", **headers)

    assert (response.status_code, models.Exercise.objects.get().region) == (428, "Volga")


@pytest.mark.parametrize("etag", ['"garbage"', '"99999999999999999999999"', "W/x, y"])
def test_update_with_an_etag_that_is_no_version_is_412(exercise, etag):
    client = api_session("alice")

    response = client.put(URL, {"region": "Arctic"}, format="json", HTTP_IF_MATCH=etag)

    assert (response.status_code, models.Exercise.objects.get().region) == (412, "Volga")


def test_weak_form_of_the_current_etag_is_accepted(exercise):
    client = api_session("alice")
    weak = "W/" + client.get(URL)["ETag"]

    response = client.patch(URL, {"region": "Arctic"}, format="json", HTTP_IF_MATCH=weak)

    assert response.status_code == 200


def test_delete_with_a_stale_etag_is_412_and_keeps_the_record(exercise):
    client = api_session("alice")
    stale = client.get(URL)["ETag"]
    client.patch(URL, {"region": "Arctic"}, format="json", HTTP_IF_MATCH=stale)

    response = client.delete(URL, HTTP_IF_MATCH=stale)

    assert (response.status_code, models.Exercise.objects.filter(slug="tsentr-2019").count()) == (
        412,
        1,
    )


def test_save_racing_past_the_etag_check_is_refused_by_the_write_path(exercise):
    """The view's check passed, then another save landed before the write: still 412."""
    from tracker.versions import version_token

    client = api_session("alice")
    etag = client.get(URL)["ETag"]
    opened = version_token(models.Exercise.objects.get().updated_at)
    other = models.Exercise.objects.get()
    other.name = "Changed meanwhile"
    record_save(other, expected_version=opened)

    response = client.patch(URL, {"region": "Arctic"}, format="json", HTTP_IF_MATCH=etag)

    assert (response.status_code, models.Exercise.objects.get().region) == (412, "Volga")

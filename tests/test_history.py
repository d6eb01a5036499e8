"""Every change is kept (who, when, what) and can be undone, link rows included."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from tests.admin_forms import change_form_data
from tests.api_factories import if_match
from tests.factories import ActorFactory, SourceFactory
from tracker import models
from tracker.editors import create_editor
from tracker.services import record_save

pytestmark = pytest.mark.django_db

URL = "/api/v1/exercises/tsentr-2019/"


@pytest.fixture
def linked(db):
    """Russia, China and a source to link to."""
    return (
        ActorFactory(slug="russia", name="Russia"),
        ActorFactory(slug="china", name="China"),
        SourceFactory(slug="kashin-2019", title="Kashin 2019"),
    )


@pytest.fixture
def created(editor_api, linked) -> models.Exercise:
    """Tsentr 2019, created through the API with two participants and a citation."""
    editor_api.post(
        "/api/v1/exercises/",
        {
            "slug": "tsentr-2019",
            "name": "Tsentr 2019",
            "domain": "combined",
            "participants": [{"actor": "russia", "role": "host"}, {"actor": "china"}],
            "citations": [{"source": "kashin-2019", "footnote": 7}],
        },
        format="json",
    )
    return models.Exercise.objects.get(slug="tsentr-2019")


@pytest.fixture
def admin(db) -> Client:
    client = Client()
    client.force_login(create_editor("alice", "alice-long-password"))
    return client


def latest_revision(record):
    return Version.objects.get_for_object(record).order_by("-pk").first().revision


def stored_in(revision, model) -> list[str]:
    return sorted(
        v.object_repr for v in revision.version_set.all() if v.content_type.model_class() is model
    )


def test_creation_is_kept_with_its_user_and_links(created):
    revision = latest_revision(created)

    assert (
        revision.user.username,
        revision.comment,
        stored_in(revision, models.ExerciseParticipant),
        stored_in(revision, models.Citation),
    ) == ("editor", "Created.", ["China (participant)", "Russia (host)"], ["Kashin 2019 (n. 7)"])


def test_update_is_kept_with_the_fields_it_changed(editor_api, created):
    editor_api.patch(URL, {"region": "Central Asia"}, format="json", **if_match(editor_api, URL))

    assert latest_revision(created).comment == "Changed region “” → “Central Asia”."


def test_participant_added_is_kept_in_the_exercises_history(editor_api, created):
    participants = [{"actor": "russia", "role": "host"}, {"actor": "china"}]
    ActorFactory(slug="india", name="India")
    body = {"participants": [*participants, {"actor": "india", "role": "observer"}]}

    editor_api.patch(URL, body, format="json", **if_match(editor_api, URL))

    revision = latest_revision(created)
    assert (revision.comment, stored_in(revision, models.ExerciseParticipant)) == (
        "Changed participants: added India (observer).",
        ["China (participant)", "India (observer)", "Russia (host)"],
    )


def test_citation_removed_is_kept_in_the_exercises_history(editor_api, created):
    kept = {"source": "kashin-2019", "footnote": 7}
    two = [kept, {"source": "kashin-2019", "footnote": 8}]
    editor_api.patch(URL, {"citations": two}, format="json", **if_match(editor_api, URL))

    editor_api.patch(URL, {"citations": [kept]}, format="json", **if_match(editor_api, URL))

    revision = latest_revision(created)
    assert (revision.comment, stored_in(revision, models.Citation)) == (
        "Changed citations: removed Kashin 2019 (n. 8).",
        ["Kashin 2019 (n. 7)"],
    )


def test_refused_save_leaves_no_revision(editor_api, created):
    count = Version.objects.count()

    response = editor_api.patch(
        URL,
        {"start_date": "2019-09", "end_date": "2019-01"},
        format="json",
        **if_match(editor_api, URL),
    )

    assert (response.status_code, Version.objects.count()) == (400, count)


def test_deletion_is_kept_with_its_user_and_links(editor_api, created):
    editor_api.delete(URL)

    revision = latest_revision(created)
    assert (
        revision.user.username,
        revision.comment,
        stored_in(revision, models.Exercise),
        stored_in(revision, models.ExerciseParticipant),
    ) == (
        "editor",
        "Deleted exercise “Tsentr 2019”.",
        ["Tsentr 2019"],
        ["China (participant)", "Russia (host)"],
    )


def test_admin_history_page_shows_who_and_what(admin, editor_api, created):
    editor_api.patch(URL, {"region": "Central Asia"}, format="json", **if_match(editor_api, URL))

    page = admin.get(reverse("admin:tracker_exercise_history", args=[created.pk])).content.decode()

    assert "Changed region “” → “Central Asia”." in page and "editor" in page and "Created." in page


def test_deleted_exercise_is_recovered_with_its_links_in_the_admin(admin, editor_api, created):
    editor_api.delete(URL)
    version = Version.objects.get_for_object(created).order_by("-pk").first()
    url = reverse("admin:tracker_exercise_recover", args=[version.pk])

    response = admin.post(url, change_form_data(admin.get(url)))

    exercise = models.Exercise.objects.get(slug="tsentr-2019")
    assert (
        response.status_code,
        [str(p) for p in exercise.participations.all()],
        [str(c) for c in exercise.citations.all()],
        models.DeletedRecord.objects.filter(slug="tsentr-2019").exists(),
    ) == (302, ["Russia (host)", "China (participant)"], ["Kashin 2019 (n. 7)"], False)


def test_reverting_restores_the_earlier_fields_and_participants(admin, editor_api, created):
    first = Version.objects.get_for_object(created).order_by("pk").first()
    body = {"name": "Renamed", "participants": [{"actor": "china"}]}
    editor_api.patch(URL, body, format="json", **if_match(editor_api, URL))
    url = reverse("admin:tracker_exercise_revision", args=[created.pk, first.pk])

    response = admin.post(url, change_form_data(admin.get(url)))

    exercise = models.Exercise.objects.get(slug="tsentr-2019")
    assert (
        response.status_code,
        exercise.name,
        [str(p) for p in exercise.participations.all()],
        latest_revision(exercise).user.username,
    ) == (302, "Tsentr 2019", ["Russia (host)", "China (participant)"], "alice")


def test_loading_fixtures_writes_no_history(seeded):
    assert (models.Exercise.objects.exists(), Version.objects.exists()) == (True, False)


def test_record_save_outside_any_request_is_kept_without_a_user(linked):
    exercise = record_save(
        models.Exercise(slug="mosi", name="Mosi", domain="naval"),
        citations=[{"source": linked[2], "footnote": 1}],
    )

    revision = latest_revision(exercise)
    assert (revision.user, revision.comment) == (None, "Created.")


def test_citation_deleted_on_its_own_page_is_kept_in_the_records_history(admin, created):
    citation = created.citations.get()
    # Not its only one: a record's last citation cannot be deleted.
    models.Citation.objects.create(exercise=created, source=citation.source, footnote=8)
    before = created.updated_at

    admin.post(reverse("admin:tracker_citation_delete", args=[citation.pk]), {"post": "yes"})

    created.refresh_from_db()
    revision = latest_revision(created)
    assert (
        revision.user.username,
        revision.comment,
        stored_in(revision, models.Citation),
        created.updated_at > before,
    ) == ("alice", "Removed citation “Kashin 2019 (n. 7)”.", ["Kashin 2019 (n. 8)"], True)


def test_citation_changed_on_its_own_page_is_kept_in_the_records_history(admin, created):
    citation = created.citations.get()
    url = reverse("admin:tracker_citation_change", args=[citation.pk])

    admin.post(url, {**change_form_data(admin.get(url)), "locator": "p. 13"})

    revision = latest_revision(created)
    assert (revision.comment, stored_in(revision, models.Citation)) == (
        "Changed citation “Kashin 2019 (n. 7, p. 13)”.",
        ["Kashin 2019 (n. 7, p. 13)"],
    )

"""Reverting and recovering in the admin: the write path, the version check, deleted links."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from reversion.models import Version

from tests import factories as f
from tests.admin_forms import change_form_data
from tracker import models, restore
from tracker.editors import create_user_in_role
from tracker.services import record_delete, record_save

pytestmark = pytest.mark.django_db

STALE_START = (
    "This exercise was changed by someone else after you opened it, so your changes were not "
    "saved (nothing of theirs was overwritten). bob saved it at "
)


def session(username: str, role: str = "editor") -> Client:
    client = Client()
    client.force_login(create_user_in_role(username, f"{username}-long-password-1", role))
    return client


def first_version(record) -> Version:
    return Version.objects.get_for_object(record).order_by("pk").first()


def last_version(record) -> Version:
    return Version.objects.get_for_object(record).order_by("-pk").first()


def delete(record) -> Version:
    """Delete ``record`` through the write path; the version its deletion stored."""
    model, pk = type(record), record.pk
    record_delete(record)
    return Version.objects.get_for_object_reference(model, pk).order_by("-pk").first()


def revision_url(record, version) -> str:
    opts = record._meta
    return reverse(f"admin:tracker_{opts.model_name}_revision", args=[record.pk, version.pk])


@pytest.fixture
def source(db) -> models.Source:
    return f.SourceFactory(slug="kashin-2019", title="Kashin 2019")


@pytest.fixture
def exercise(source) -> models.Exercise:
    """Tsentr 2019 saved with Russia hosting and China taking part, then without Russia.

    Russia is deleted after the second save, so the first version names a
    deleted actor.
    """
    russia = f.ActorFactory(slug="russia", name="Russia")
    china = f.ActorFactory(slug="china", name="China")
    cited = [{"source": source, "footnote": 7}]
    exercise = record_save(
        models.Exercise(slug="tsentr-2019", name="Tsentr 2019", domain="combined"),
        links=[{"actor": russia, "role": "host"}, {"actor": china}],
        citations=cited,
    )
    exercise.name = "Renamed"
    record_save(exercise, links=[{"actor": china}], citations=cited)
    record_delete(russia)
    return exercise


GONE_RUSSIA = (
    "Linked records deleted since this version: actor “Russia (deleted)” (exercise "
    "participant). They cannot be restored with it: tick “Drop links to deleted records” to "
    "save this version without those links."
)


# ----------------------------------------------------------------------------
# A colleague's save in between
# ----------------------------------------------------------------------------
@pytest.fixture
def revert_after_a_colleagues_save(source):
    """Alice opens the revert page of Mosi's first version; Bob saves; Alice posts the revert."""
    exercise = record_save(
        models.Exercise(slug="mosi", name="Mosi", domain="naval"),
        citations=[{"source": source, "footnote": 1}],
    )
    exercise.region = "Indian Ocean"
    exercise = record_save(exercise)
    alice, bob = session("alice"), session("bob")
    url = revision_url(exercise, first_version(exercise))
    alice_form = change_form_data(alice.get(url))
    change = reverse("admin:tracker_exercise_change", args=[exercise.pk])
    bob.post(change, {**change_form_data(bob.get(change)), "name": "Mosi-2"})
    return alice.post(url, alice_form)


def test_revert_after_a_colleagues_save_keeps_their_save(revert_after_a_colleagues_save):
    stored = models.Exercise.objects.get(slug="mosi")

    assert (revert_after_a_colleagues_save.status_code, stored.name, stored.region) == (
        200,
        "Mosi-2",
        "Indian Ocean",
    )


def test_revert_after_a_colleagues_save_shows_the_conflict_message(
    revert_after_a_colleagues_save,
):
    errors = revert_after_a_colleagues_save.context["adminform"].form.non_field_errors()

    assert (len(errors), errors[0].startswith(STALE_START)) == (1, True)


def test_revert_form_carries_the_version_the_page_was_opened_on(exercise):
    response = session("alice").get(revision_url(exercise, first_version(exercise)))

    exercise.refresh_from_db()
    assert change_form_data(response)["version"] == str(
        int(exercise.updated_at.timestamp() * 1_000_000)
    )


# ----------------------------------------------------------------------------
# Links to records deleted since the version
# ----------------------------------------------------------------------------
def test_revert_page_naming_a_deleted_actor_says_which_record_is_gone(exercise):
    response = session("alice").get(revision_url(exercise, first_version(exercise)))

    assert (response.status_code, GONE_RUSSIA in response.content.decode()) == (200, True)


def test_revert_naming_a_deleted_actor_is_refused_without_dropping_it(exercise):
    client = session("alice")
    url = revision_url(exercise, first_version(exercise))

    response = client.post(url, change_form_data(client.get(url)))

    exercise.refresh_from_db()
    assert (
        response.status_code,
        response.context["adminform"].form.non_field_errors(),
        exercise.name,
    ) == (200, [GONE_RUSSIA], "Renamed")


def test_revert_dropping_links_to_deleted_records_restores_the_rest(exercise):
    client = session("alice")
    url = revision_url(exercise, first_version(exercise))

    response = client.post(url, {**change_form_data(client.get(url)), "drop_gone_links": "on"})

    exercise = models.Exercise.objects.get(slug="tsentr-2019")
    assert (
        response.status_code,
        exercise.name,
        [str(p) for p in exercise.participations.all()],
        [str(c) for c in exercise.citations.all()],
        last_version(exercise).revision.user.username,
    ) == (302, "Tsentr 2019", ["China (participant)"], ["Kashin 2019 (n. 7)"], "alice")


@pytest.fixture
def statement(source) -> models.Statement:
    """A statement about Vostok 2018, saved again without it; Vostok 2018 is then deleted."""
    vostok = f.ExerciseFactory(slug="vostok-2018", name="Vostok 2018")
    record_save(vostok)  # a version, so its name is on record
    cited = [{"source": source, "footnote": 3}]
    statement = record_save(
        models.Statement(slug="shoigu-2018", kind="paraphrase", text="Allies in all but name."),
        citations=cited,
        about={"about_exercises": [vostok]},
    )
    statement.text = "Partners."
    record_save(statement, citations=cited, about={"about_exercises": []})
    record_delete(vostok)
    return statement


def test_revert_page_of_a_statement_about_a_deleted_exercise_names_it(statement):
    response = session("alice").get(revision_url(statement, first_version(statement)))

    assert (response.status_code, response.context["gone_message"]) == (
        200,
        "Linked records deleted since this version: exercise “Vostok 2018 (deleted)” (what "
        "the statement concerns). They cannot be restored with it: tick “Drop links to deleted "
        "records” to save this version without those links.",
    )


def test_revert_of_a_statement_about_a_deleted_exercise_restores_it_without_it(statement):
    client = session("alice")
    url = revision_url(statement, first_version(statement))

    response = client.post(url, {**change_form_data(client.get(url)), "drop_gone_links": "on"})

    statement = models.Statement.objects.get(slug="shoigu-2018")
    assert (response.status_code, statement.text, list(statement.about_exercises.all())) == (
        302,
        "Allies in all but name.",
        [],
    )


def test_recover_page_of_an_actor_whose_parent_was_deleted_names_the_parent(source):
    parent = f.ActorFactory(slug="pla", name="PLA")
    navy = record_save(
        models.Actor(slug="plan", name="PLA Navy", kind="armed_force", parent=parent)
    )
    version = delete(navy)
    delete(parent)
    url = reverse("admin:tracker_actor_recover", args=[version.pk])

    response = session("alice").get(url)

    assert (response.status_code, [str(g) for g in response.context["gone_links"]]) == (
        200,
        ["actor “PLA (deleted)” (parent)"],
    )


# ----------------------------------------------------------------------------
# Viewers read the history
# ----------------------------------------------------------------------------
def test_viewer_opens_the_history_list(exercise):
    url = reverse("admin:tracker_exercise_history", args=[exercise.pk])

    assert session("victor", "viewer").get(url).status_code == 200


def test_viewer_opens_a_version_naming_a_deleted_actor_read_only(exercise):
    response = session("victor", "viewer").get(revision_url(exercise, first_version(exercise)))

    assert (response.status_code, response.context["has_change_permission"]) == (200, False)


def test_viewer_cannot_post_a_revert(exercise):
    client = session("victor", "viewer")
    data = change_form_data(session("alice").get(revision_url(exercise, first_version(exercise))))

    response = client.post(revision_url(exercise, first_version(exercise)), data)

    exercise.refresh_from_db()
    assert (response.status_code, exercise.name) == (403, "Renamed")


# ----------------------------------------------------------------------------
# Recover: only its own model, and the record leaves the deletions
# ----------------------------------------------------------------------------
@pytest.fixture
def deleted_source(db) -> Version:
    """The deletion of a source nothing cites."""
    return delete(f.SourceFactory(slug="ivanov-2020", title="Ivanov 2020"))


def test_recover_page_of_another_models_version_is_404(deleted_source):
    url = reverse("admin:tracker_actor_recover", args=[deleted_source.pk])

    assert session("alice").get(url).status_code == 404


def test_posting_another_models_version_to_recover_restores_nothing(deleted_source):
    url = reverse("admin:tracker_actor_recover", args=[deleted_source.pk])

    response = session("alice").post(url, {"name": "x", "kind": "state"})

    assert (
        response.status_code,
        models.Source.objects.filter(slug="ivanov-2020").exists(),
        models.DeletedRecord.objects.filter(slug="ivanov-2020").exists(),
    ) == (404, False, True)


def test_revision_page_with_another_models_version_is_404(exercise, deleted_source):
    url = reverse(
        "admin:tracker_exercise_revision", args=[deleted_source.object_id, deleted_source.pk]
    )

    assert session("alice").get(url).status_code == 404


def test_recover_page_of_a_live_record_leads_to_its_revert_page(exercise):
    version = first_version(exercise)
    url = reverse("admin:tracker_exercise_recover", args=[version.pk])

    response = session("alice").get(url)

    assert (response.status_code, response["Location"]) == (302, revision_url(exercise, version))


def test_a_recovery_posted_after_a_colleague_recovered_changes_nothing_and_says_so(db):
    record = f.SourceFactory(slug="ivanov-2020", title="Ivanov 2020")
    url = reverse("admin:tracker_source_recover", args=[delete(record).pk])
    alice, bob = session("alice"), session("bob")
    alice_form = change_form_data(alice.get(url))
    bob.post(url, {**change_form_data(bob.get(url)), "title": "Ivanov (2020)"})

    response = alice.post(url, {**alice_form, "title": "Ivanov, 2020"}, follow=True)

    message = [str(m) for m in response.context["messages"]]
    assert (models.Source.objects.get(slug="ivanov-2020").title, message[0][:41]) == (
        "Ivanov (2020)",
        "This source is no longer deleted: someone",
    )


def test_revert_page_of_a_deleted_record_leads_to_its_recover_page(source):
    version = delete(f.ActorFactory(slug="iran"))
    url = reverse("admin:tracker_actor_revision", args=[version.object_id, version.pk])

    response = session("alice").get(url)

    assert (response.status_code, response["Location"]) == (
        302,
        reverse("admin:tracker_actor_recover", args=[version.pk]),
    )


RECORD_FACTORIES = {
    "actor": f.ActorFactory,
    "source": f.SourceFactory,
    "agreement": f.AgreementFactory,
    "exercise": f.ExerciseFactory,
    "armsdeal": f.ArmsDealFactory,
    "statement": f.StatementFactory,
}


@pytest.fixture(params=list(RECORD_FACTORIES))
def recovered(request, editor_api):
    """A record of each type, deleted, then recovered on its admin page by an editor."""
    record = RECORD_FACTORIES[request.param]()
    model, slug = type(record), record.slug
    url = reverse(f"admin:tracker_{request.param}_recover", args=[delete(record).pk])
    client = session("alice")
    response = client.post(url, change_form_data(client.get(url)))
    return response, model, slug


def test_recovered_record_is_live_and_not_listed_as_deleted(recovered, editor_api):
    response, model, slug = recovered
    feed = editor_api.get("/api/v1/deletions/?page_size=500").json()["results"]

    assert (
        response.status_code,
        model.objects.filter(slug=slug).exists(),
        models.DeletedRecord.objects.filter(slug=slug, withdrawn=False).exists(),
        [row["slug"] for row in feed],
    ) == (302, True, False, [])


def test_a_recovered_record_is_a_draft_still_deleted_for_the_public(recovered, api):
    # Recovering brings a record back to the editors' desk; publishing it is a step of its own.
    _, model, slug = recovered
    feed = api.get("/api/v1/deletions/?page_size=500").json()["results"]

    assert (model.objects.get(slug=slug).publication_status, [row["slug"] for row in feed]) == (
        "draft",
        [slug],
    )


def test_recovered_record_keeps_its_creation_time(source):
    created = record_save(models.Actor(slug="iran", name="Iran", kind="state")).created_at
    url = reverse("admin:tracker_actor_recover", args=[delete(models.Actor.objects.get()).pk])
    client = session("alice")

    client.post(url, change_form_data(client.get(url)))

    # Versions store times to the millisecond.
    assert models.Actor.objects.get(slug="iran").created_at == created.replace(
        microsecond=created.microsecond // 1000 * 1000
    )


def test_record_saved_under_a_deleted_records_key_leaves_the_deletions(source):
    actor = record_save(models.Actor(slug="iran", name="Iran", kind="state"))
    restored = delete(actor)._object_version.object

    record_save(restored)

    assert models.DeletedRecord.objects.filter(slug="iran").exists() is False


def test_reading_a_version_costs_the_same_queries_whatever_its_links(source):
    versions = []
    for number in (2, 8):
        actors = [f.ActorFactory() for _ in range(number)]
        exercise = record_save(
            models.Exercise(slug=f"exercise-{number}", name=f"Exercise {number}", domain="land"),
            links=[{"actor": actor} for actor in actors],
            citations=[{"source": source, "footnote": number}],
        )
        versions.append(last_version(exercise).pk)
        # One link gone since: the names of deleted records are read too.
        record_save(exercise, links=[{"actor": actor} for actor in actors[1:]])
        record_delete(actors[0])
    restore.read_version(Version.objects.get(pk=versions[0]))  # content types cached
    counts = []
    for pk in versions:
        version = Version.objects.get(pk=pk)
        with CaptureQueriesContext(connection) as queries:
            restore.read_version(version)
        counts.append(len(queries))

    assert counts[0] == counts[1]

"""Recent changes: every revision of every record (admin, API, deletions), newest first."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.admin_forms import change_form_data
from tests.api_factories import if_match
from tests.factories import ActorFactory, ExerciseFactory, SourceFactory, save_cited
from tracker import models
from tracker.admin.changes import PAGE_SIZE
from tracker.editors import create_user_in_role
from tracker.services import record_delete, record_save

pytestmark = pytest.mark.django_db

URL = "/admin/recent-changes/"


def session(username: str, role: str = "editor") -> Client:
    client = Client()
    client.force_login(create_user_in_role(username, f"{username}-long-password", role))
    return client


def rows(response) -> list[tuple[str, str, list[str]]]:
    """(user, comment, records) of each listed change."""
    return [
        (
            change.revision.user.username if change.revision.user else "",
            change.revision.comment,
            [f"{r['type']}: {r['name']}{'' if r['url'] else ' (deleted)'}" for r in change.records],
        )
        for change in response.context["changes"]
    ]


@pytest.fixture
def edited(editor_api):
    """Vostok 2018 saved by a script, changed through the API by “editor”, then in the admin
    by “alice”."""
    save_cited(ExerciseFactory.build(slug="vostok-2018", name="Vostok 2018", region="Siberia"))
    url = "/api/v1/exercises/vostok-2018/"
    editor_api.patch(url, {"region": "Far East"}, format="json", **if_match(editor_api, url))
    alice = session("alice")
    exercise = models.Exercise.objects.get(slug="vostok-2018")
    change = reverse("admin:tracker_exercise_change", args=[exercise.pk])
    alice.post(change, {**change_form_data(alice.get(change)), "name": "Vostok-2018"})
    return alice


def test_lists_admin_and_api_edits_newest_first_with_their_users(edited):
    assert rows(edited.get(URL)) == [
        ("alice", "Changed name “Vostok 2018” → “Vostok-2018”.", ["exercise: Vostok-2018"]),
        ("editor", "Changed region “Siberia” → “Far East”.", ["exercise: Vostok 2018"]),
        ("", "Created.", ["exercise: Vostok 2018"]),
    ]


def test_lists_deletions_with_the_record_marked_deleted(edited, editor_api):
    editor_api.delete("/api/v1/exercises/vostok-2018/")

    assert rows(edited.get(URL))[0] == (
        "editor",
        "Deleted exercise “Vostok-2018”.",
        ["exercise: Vostok-2018 (deleted)"],
    )


def test_each_change_links_to_its_comparison_with_the_previous_version(edited):
    response = edited.get(URL)

    latest = response.context["changes"][0]
    version = latest.revision.version_set.get(
        content_type__model="exercise", object_id=str(models.Exercise.objects.get().pk)
    )
    assert latest.records[0]["compare_url"] == (
        reverse("admin:tracker_exercise_compare", args=[version.object_id]) + f"?to={version.pk}"
    )


def test_filter_by_user(edited):
    editor = User.objects.get(username="editor")

    assert [row[0] for row in rows(edited.get(URL, {"user": editor.pk}))] == ["editor"]


def test_filter_changes_saved_without_a_user(edited):
    assert [row[1] for row in rows(edited.get(URL, {"user": "none"}))] == ["Created."]


def test_filter_by_record_type(edited):
    record_save(SourceFactory.build(slug="kashin", title="Kashin"))

    assert (
        [row[2] for row in rows(edited.get(URL, {"type": "source"}))],
        len(rows(edited.get(URL, {"type": "exercise"}))),
    ) == ([["source: Kashin"]], 3)


@pytest.mark.parametrize(
    "query", [{"user": "nobody"}, {"type": "citation"}, {"before": "x"}, {"after": "-3"}]
)
def test_invalid_filters_are_400_not_500(edited, query):
    assert edited.get(URL, query).status_code == 400


def test_pages_of_fifty_continue_with_the_older_ones(db):
    for number in range(PAGE_SIZE + 5):
        record_save(ActorFactory.build(slug=f"actor-{number}", name=f"Actor {number}"))
    client = session("alice")

    first = client.get(URL)
    second = client.get(URL + first.context["older_url"])
    back = client.get(URL + second.context["newer_url"])

    assert (
        len(first.context["changes"]),
        rows(second)[0][2],
        len(second.context["changes"]),
        second.context["older_url"],
        rows(back) == rows(first),
    ) == (PAGE_SIZE, ["actor: Actor 4"], 5, None, True)


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_rows(db, django_assert_max_num_queries):
    client = session("alice")
    russia = record_save(ActorFactory.build(slug="russia", name="Russia"))
    save_cited(ExerciseFactory.build(slug="one", name="One"))
    record_save(SourceFactory.build(slug="first", title="First"))
    # One query per record type shown (do they still exist?), so the few rows show the same types.
    few = _queries(client)
    for number in range(30):
        save_cited(ExerciseFactory.build(slug=f"exercise-{number}", name=f"Exercise {number}"))
        record_save(SourceFactory.build(slug=f"source-{number}", title=f"Source {number}"))
    record_delete(russia)

    with django_assert_max_num_queries(few):
        assert len(client.get(URL).context["changes"]) == PAGE_SIZE


def test_viewers_may_read_it(edited):
    assert session("victor", role="viewer").get(URL).status_code == 200


def test_staff_without_record_permissions_may_not(edited):
    client = Client()
    client.force_login(User.objects.create_user("sam", password="sam-long-password", is_staff=True))

    assert client.get(URL).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(db):
    response = Client().get(URL)

    assert (response.status_code, response["Location"].split("?")[0]) == (302, "/admin/login/")


def test_admin_home_links_to_it(edited):
    assert 'href="/admin/recent-changes/"' in edited.get("/admin/").content.decode()

"""History you can read: two versions compared in the admin, comments saying what changed."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from reversion.models import Version

from tests.admin_forms import change_form_data
from tests.api_factories import if_match
from tests.factories import ActorFactory, SourceFactory
from tracker import models
from tracker.admin.compare import UNREADABLE
from tracker.editors import create_user_in_role
from tracker.services import record_delete, record_save

pytestmark = pytest.mark.django_db

URL = "/api/v1/exercises/tsentr-2019/"


def session(username: str, role: str = "editor") -> Client:
    client = Client()
    client.force_login(create_user_in_role(username, f"{username}-long-password", role))
    return client


@pytest.fixture
def actors(db):
    """Russia, Kazakhstan and India, each saved once (so each has a stored version)."""
    return {
        slug: record_save(ActorFactory.build(slug=slug, name=slug.title()))
        for slug in ("russia", "kazakhstan", "india")
    }


@pytest.fixture
def tsentr(editor_api, actors) -> models.Exercise:
    """Tsentr 2019 created through the API, then changed: end date and participants."""
    editor_api.post(
        "/api/v1/exercises/",
        {
            "slug": "tsentr-2019",
            "name": "Tsentr 2019",
            "domain": "combined",
            "start_date": "2019-09-16",
            "end_date": "2019-09-21",
            "participants": [{"actor": "russia", "role": "host"}, {"actor": "kazakhstan"}],
            "citations": [{"source": SourceFactory(slug="kashin-2019").slug, "footnote": 13}],
        },
        format="json",
    )
    editor_api.patch(
        URL,
        {
            "end_date": "2019-09-23",
            "participants": [
                {"actor": "russia", "role": "host"},
                {"actor": "india", "role": "observer"},
            ],
        },
        format="json",
        **if_match(editor_api, URL),
    )
    return models.Exercise.objects.get(slug="tsentr-2019")


def versions_of(record) -> list[Version]:
    """Oldest first."""
    return list(Version.objects.get_for_object(record).order_by("pk"))


def compare_url(record, **params) -> str:
    url = reverse("admin:tracker_exercise_compare", args=[record.pk])
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return f"{url}?{query}" if query else url


def comparison(client, record, **params):
    return client.get(compare_url(record, **params)).context["comparison"]


def test_api_change_comment_says_what_changed_from_what_to_what(tsentr):
    assert versions_of(tsentr)[-1].revision.comment == (
        "Changed end date “21 September 2019” → “23 September 2019”. "
        "Changed participants: removed Kazakhstan (participant); added India (observer)."
    )


def test_comparison_shows_the_old_and_new_value_of_a_changed_field(tsentr):
    first, second = versions_of(tsentr)

    changes = comparison(session("alice"), tsentr, **{"from": first.pk, "to": second.pk})

    assert [(c.label, c.old, c.new) for c in changes.changed_fields] == [
        ("end date", "21 September 2019", "23 September 2019")
    ]


def test_comparison_shows_removed_and_added_participants(tsentr):
    first, second = versions_of(tsentr)

    changes = comparison(session("alice"), tsentr, **{"from": first.pk, "to": second.pk})

    participants = changes.links[0]
    assert (
        participants.label,
        [(r.status, r.old, r.new) for r in participants.rows],
        participants.unchanged,
    ) == (
        "participants",
        [("removed", "Kazakhstan (participant)", ""), ("added", "", "India (observer)")],
        ["Russia (host)"],
    )


def test_comparison_page_shows_both_values_in_words(tsentr):
    first, second = versions_of(tsentr)

    page = session("alice").get(compare_url(tsentr, **{"from": first.pk, "to": second.pk}))

    html = page.content.decode()
    assert (page.status_code, "21 September 2019" in html, "23 September 2019" in html) == (
        200,
        True,
        True,
    )


def test_comparison_defaults_to_the_latest_version_and_the_one_before(tsentr):
    first, second = versions_of(tsentr)

    page = session("alice").get(compare_url(tsentr))

    assert (page.context["older"].pk, page.context["newer"].pk) == (first.pk, second.pk)


def test_first_version_is_compared_with_nothing(tsentr):
    first, _ = versions_of(tsentr)

    page = session("alice").get(compare_url(tsentr, to=first.pk))

    changed = {c.label: (c.old, c.new) for c in page.context["comparison"].changed_fields}
    assert (page.context["older"], changed["name"]) == (None, ("", "Tsentr 2019"))


def test_comparison_names_a_linked_actor_deleted_since(tsentr, actors):
    record_delete(models.Actor.objects.get(slug="kazakhstan"))
    first, second = versions_of(tsentr)

    page = session("alice").get(compare_url(tsentr, **{"from": first.pk, "to": second.pk}))

    removed = page.context["comparison"].links[0].rows[0]
    assert (page.status_code, removed.old) == (200, "Kazakhstan (deleted) (participant)")


def test_comparison_of_a_deleted_record_is_shown_from_its_stored_versions(tsentr, editor_api):
    editor_api.delete(URL)
    deletion = versions_of(tsentr)[-1]

    page = session("alice").get(compare_url(tsentr, to=deletion.pk))

    assert (page.status_code, page.context["record"], page.context["record_name"]) == (
        200,
        None,
        "Tsentr 2019",
    )


def test_viewer_may_compare_versions(tsentr):
    assert session("victor", role="viewer").get(compare_url(tsentr)).status_code == 200


def test_staff_without_view_permission_may_not_compare(tsentr):
    client = Client()
    client.force_login(User.objects.create_user("sam", password="sam-long-password", is_staff=True))

    assert client.get(compare_url(tsentr)).status_code == 403


@pytest.mark.parametrize("bad", ["abc", "-1", "1e3", "99999999"])
def test_a_version_that_is_not_one_of_the_records_is_404(tsentr, bad):
    assert session("alice").get(compare_url(tsentr, to=bad)).status_code == 404


def test_a_version_of_another_record_is_404(tsentr, actors):
    other = versions_of(actors["india"])[0]

    assert session("alice").get(compare_url(tsentr, to=other.pk)).status_code == 404


def test_history_page_links_each_version_to_its_comparison_with_the_previous(tsentr):
    first, second = versions_of(tsentr)

    page = session("alice").get(reverse("admin:tracker_exercise_history", args=[tsentr.pk]))

    html = page.content.decode()
    assert f"?from={first.pk}&amp;to={second.pk}" in html and 'name="from"' in html


def test_admin_edit_of_participants_is_described_row_by_row(tsentr):
    client = session("alice")
    url = reverse("admin:tracker_exercise_change", args=[tsentr.pk])
    data = change_form_data(client.get(url))
    india = models.Actor.objects.get(slug="india").pk
    row = next(k for k, v in data.items() if k.endswith("-actor") and v == india)
    data[row.replace("actor", "DELETE")] = "on"
    data["participations-TOTAL_FORMS"] = 3
    data.update(
        {
            "participations-2-actor": models.Actor.objects.get(slug="kazakhstan").pk,
            "participations-2-role": "observer",
            "participations-2-contribution": "",
        }
    )

    client.post(url, data)

    assert versions_of(tsentr)[-1].revision.comment == (
        "Changed participants: removed India (observer); added Kazakhstan (observer)."
    )


def test_admin_edit_of_a_participants_role_is_described_as_a_change(tsentr):
    client = session("alice")
    url = reverse("admin:tracker_exercise_change", args=[tsentr.pk])
    data = change_form_data(client.get(url))
    role = next(k for k, v in data.items() if k.endswith("-role") and v == "observer")

    client.post(url, {**data, role: "participant"})

    assert versions_of(tsentr)[-1].revision.comment == (
        "Changed participants: India (observer) → India (participant)."
    )


def test_statement_about_lists_are_compared(editor_api, tsentr):
    editor_api.post(
        "/api/v1/statements/",
        {
            "slug": "kashin-on-tsentr",
            "kind": "paraphrase",
            "text": "A large exercise.",
            "citations": [{"source": "kashin-2019", "footnote": 13}],
        },
        format="json",
    )
    url = "/api/v1/statements/kashin-on-tsentr/"
    body = {"about_exercises": ["tsentr-2019"], "about_actors": ["india"]}

    editor_api.patch(url, body, format="json", **if_match(editor_api, url))

    statement = models.Statement.objects.get(slug="kashin-on-tsentr")
    assert versions_of(statement)[-1].revision.comment == (
        "Changed about exercises: added Tsentr 2019. Changed about actors: added India."
    )


def test_a_version_that_can_no_longer_be_read_is_explained_not_a_500(tsentr):
    first, second = versions_of(tsentr)
    Version.objects.filter(pk=first.pk).update(serialized_data='[{"model": "tracker.nothing"}]')

    page = session("alice").get(compare_url(tsentr, **{"from": first.pk, "to": second.pk}))

    assert (page.status_code, page.context["comparison"], page.context["error"]) == (
        200,
        None,
        UNREADABLE,
    )


def test_two_versions_picked_newest_first_are_compared_oldest_first(tsentr):
    first, second = versions_of(tsentr)

    page = session("alice").get(compare_url(tsentr, **{"from": second.pk, "to": first.pk}))

    assert (page.context["older"].pk, page.context["newer"].pk) == (first.pk, second.pk)

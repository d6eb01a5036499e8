"""Publishing: the rules (dated, cited, four eyes), the history, the admin buttons, the API."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse
from reversion.models import Version

from tests import factories as f
from tests.api_factories import if_match
from tracker import models, services, versions
from tracker.editors import create_user_in_role
from tracker.publishing import record_set_publication
from tracker.restore import read_version


@pytest.fixture
def second_editor(db):
    return create_user_in_role("second", "second-password", "editor")


def _edited_draft(editor, **fields):
    """A draft exercise last saved by ``editor`` (so its history names them)."""
    draft = f.ExerciseFactory(draft=True, **fields)
    return services.record_save(draft, user=editor)


def _last_comment(record) -> str:
    return Version.objects.get_for_object(record).first().revision.get_comment()


def test_new_records_start_as_drafts(db):
    assert models.Actor(slug="x", name="X").publication_status == "draft"


def test_publishing_without_a_citation_is_refused(editor):
    draft = f.ExerciseFactory(draft=True, cited=None)

    with pytest.raises(ValidationError) as refused:
        record_set_publication(draft, "published", user=editor)

    assert refused.value.message_dict["citations"][0].startswith(
        "Publishing needs at least one citation."
    )


def test_publishing_an_undated_record_is_refused(editor):
    draft = f.ExerciseFactory(
        draft=True, start_date=None, start_date_precision=None, date_unknown=False
    )

    with pytest.raises(ValidationError) as refused:
        record_set_publication(draft, "published", user=editor)

    assert refused.value.message_dict["publication_status"] == [
        "Publishing needs a date: give the start date, or tick “date unknown” if the sources "
        "give none."
    ]


def test_an_undated_record_marked_date_unknown_is_published(editor):
    draft = f.ExerciseFactory(
        draft=True, start_date=None, start_date_precision=None, date_unknown=True
    )

    record_set_publication(draft, "published", user=editor)

    assert models.Exercise.objects.get(pk=draft.pk).publication_status == "published"


def test_a_refused_step_stores_nothing(editor):
    draft = f.ExerciseFactory(draft=True, cited=None)
    before = draft.updated_at

    with pytest.raises(ValidationError):
        record_set_publication(draft, "published", user=editor)

    stored = models.Exercise.objects.get(pk=draft.pk)
    assert (stored.publication_status, stored.updated_at) == ("draft", before)


@override_settings(REVIEW_REQUIRED=True)
def test_four_eyes_refuses_the_last_editor(editor):
    draft = _edited_draft(editor)

    with pytest.raises(ValidationError) as refused:
        record_set_publication(draft, "published", user=editor)

    assert refused.value.message_dict["publication_status"] == [
        "Review required: editor made the last change to this exercise; another editor must "
        "publish it (four eyes)."
    ]


@override_settings(REVIEW_REQUIRED=True)
def test_four_eyes_lets_a_second_editor_publish(editor, second_editor):
    draft = _edited_draft(editor)

    record_set_publication(draft, "published", user=second_editor)

    assert models.Exercise.objects.get(pk=draft.pk).publication_status == "published"


@override_settings(REVIEW_REQUIRED=True)
def test_four_eyes_refuses_publishing_with_other_changes(editor, second_editor):
    draft = _edited_draft(editor)
    draft.name = "Renamed while publishing"
    draft.publication_status = "published"

    with pytest.raises(ValidationError) as refused:
        services.record_save(draft, user=second_editor)

    assert refused.value.message_dict["publication_status"][0].startswith(
        "Review required: publish without other changes"
    )


@override_settings(REVIEW_REQUIRED=False)
def test_without_review_required_the_last_editor_publishes(editor):
    draft = _edited_draft(editor)

    record_set_publication(draft, "published", user=editor)

    assert models.Exercise.objects.get(pk=draft.pk).publication_status == "published"


def test_each_step_is_in_the_history_with_its_comment(editor):
    draft = _edited_draft(editor)
    comments = []
    for status, words in (
        ("in_review", "Checked the dates."),
        ("draft", "Footnote 12 is wrong."),
        ("published", "Fixed."),
        ("draft", "Withdrawn pending a source."),
    ):
        record_set_publication(draft, status, user=editor, comment=words)
        comments.append(_last_comment(draft))

    assert comments == [
        "Submitted for review. Checked the dates.",
        "Sent back to draft. Footnote 12 is wrong.",
        "Published. Fixed.",
        "Unpublished. Withdrawn pending a source.",
    ]


def test_a_step_from_a_stale_version_is_refused(editor):
    draft = _edited_draft(editor)
    opened = versions.record_version(draft)
    services.record_save(models.Exercise.objects.get(pk=draft.pk), user=editor)

    with pytest.raises(versions.StaleRecord):
        record_set_publication(
            models.Exercise.objects.get(pk=draft.pk),
            "published",
            user=editor,
            expected_version=opened,
        )


def test_unpublishing_lists_the_record_as_deleted_for_the_public_only(api, editor_api, editor):
    record = f.ExerciseFactory(slug="vostok-2018")
    record_set_publication(record, "draft", user=editor)

    public = [r["slug"] for r in api.get("/api/v1/deletions/").json()["results"]]
    editors = [r["slug"] for r in editor_api.get("/api/v1/deletions/").json()["results"]]

    assert (public, editors) == (["vostok-2018"], [])


def test_republishing_takes_the_record_out_of_the_deletions(api, editor):
    record = f.ExerciseFactory(slug="vostok-2018")
    record_set_publication(record, "draft", user=editor)
    record_set_publication(record, "published", user=editor)

    assert api.get("/api/v1/deletions/").json()["results"] == []


def test_the_public_sync_feed_reads_an_unpublished_record_as_deleted(api, editor):
    record = f.ExerciseFactory(slug="vostok-2018")
    token = api.get("/api/v1/changes/").json()["sync_token"]
    record_set_publication(record, "draft", user=editor)

    results = api.get(f"/api/v1/changes/?sync_token={token}").json()["results"]

    assert [(r["slug"], r["deleted"], r["record"]) for r in results] == [
        ("vostok-2018", True, None)
    ]


def test_unpublishing_an_actor_updates_the_published_exercises_naming_it(api, editor):
    from tests.api_factories import linked_exercise

    actor = f.ActorFactory(slug="kazakhstan", name="Kazakhstan")
    linked_exercise("peace-mission-2010", actor)
    token = api.get("/api/v1/changes/").json()["sync_token"]
    record_set_publication(actor, "draft", user=editor)

    results = api.get(f"/api/v1/changes/?sync_token={token}").json()["results"]

    assert sorted((r["resource"], r["slug"], r["deleted"]) for r in results) == [
        ("actors", "kazakhstan", True),
        ("exercises", "peace-mission-2010", False),
    ]


# -- the API ---------------------------------------------------------------------------


def test_api_patch_publishes_with_if_match(editor_api):
    draft = f.ExerciseFactory(slug="tsentr-2019", draft=True)
    url = "/api/v1/exercises/tsentr-2019/"

    response = editor_api.patch(
        url, {"publication_status": "published"}, format="json", **if_match(editor_api, url)
    )

    assert (response.status_code, response.json()["publication_status"], _last_comment(draft)) == (
        200,
        "published",
        "Published. Changed publication status “draft” → “published”.",
    )


@override_settings(REVIEW_REQUIRED=True)
def test_api_four_eyes_refusal_is_400_naming_the_rule(editor_api, editor):
    _edited_draft(editor, slug="tsentr-2019")
    url = "/api/v1/exercises/tsentr-2019/"

    response = editor_api.patch(
        url, {"publication_status": "published"}, format="json", **if_match(editor_api, url)
    )

    assert (response.status_code, list(response.json())) == (400, ["publication_status"])


def test_api_patch_without_if_match_is_428(editor_api):
    f.ExerciseFactory(slug="tsentr-2019", draft=True)

    response = editor_api.patch(
        "/api/v1/exercises/tsentr-2019/", {"publication_status": "published"}, format="json"
    )

    assert response.status_code == 428


# -- the admin -------------------------------------------------------------------------


def _publication_url(record) -> str:
    return reverse("admin:tracker_exercise_publication", args=[record.pk])


def test_admin_publish_button_publishes(editor_client):
    draft = f.ExerciseFactory(draft=True)

    response = editor_client.post(
        _publication_url(draft),
        {"status": "published", "version": versions.record_version(draft), "comment": "ok"},
    )

    assert (response.status_code, models.Exercise.objects.get(pk=draft.pk).publication_status) == (
        302,
        "published",
    )


def test_admin_button_from_a_stale_page_changes_nothing(editor_client, editor):
    draft = f.ExerciseFactory(draft=True)
    opened = versions.record_version(draft)
    services.record_save(models.Exercise.objects.get(pk=draft.pk), user=editor)

    response = editor_client.post(
        _publication_url(draft), {"status": "published", "version": opened}, follow=True
    )

    messages = [str(m) for m in response.context["messages"]]
    assert (
        models.Exercise.objects.get(pk=draft.pk).publication_status,
        messages[0].startswith("This exercise was changed by someone else after you opened it"),
    ) == ("draft", True)


def test_admin_change_page_shows_the_buttons_of_a_draft(editor_client):
    draft = f.ExerciseFactory(draft=True)

    page = editor_client.get(reverse("admin:tracker_exercise_change", args=[draft.pk]))

    assert [b in page.content.decode() for b in ("Submit for review", "Publish", "Unpublish")] == [
        True,
        True,
        False,
    ]


def test_admin_changelist_marks_drafts_and_filters_by_status(editor_client):
    f.ExerciseFactory(name="Published one")
    f.ExerciseFactory(name="Draft one", draft=True)

    page = editor_client.get(
        reverse("admin:tracker_exercise_changelist") + "?publication_status__exact=draft"
    )
    text = page.content.decode()

    assert ("Draft one" in text, "Published one" in text, "publication-draft" in text) == (
        True,
        False,
        True,
    )


def test_waiting_for_review_lists_records_in_review_of_every_type(editor_client):
    f.ExerciseFactory(name="Exercise in review", publication_status="in_review")
    f.ActorFactory(name="Actor in review", publication_status="in_review")
    f.ActorFactory(name="Actor in draft", draft=True)

    text = editor_client.get(reverse("tracker-review")).content.decode()

    assert ("Exercise in review" in text, "Actor in review" in text, "Actor in draft" in text) == (
        True,
        True,
        False,
    )


def test_the_home_page_links_to_the_review_list(editor_client):
    assert reverse("tracker-review") in editor_client.get(reverse("admin:index")).content.decode()


def test_a_viewers_home_page_has_no_link_to_the_review_list_they_may_not_open(viewer_client):
    home = viewer_client.get(reverse("admin:index")).content.decode()

    assert (
        reverse("tracker-review") in home,
        viewer_client.get(reverse("tracker-review")).status_code,
    ) == (
        False,
        403,
    )


@override_settings(REVIEW_REQUIRED=True)
def test_four_eyes_passes_over_a_colleague_s_submission_for_review(editor, second_editor):
    draft = _edited_draft(editor)
    record_set_publication(draft, "in_review", user=second_editor)

    with pytest.raises(ValidationError) as refused:
        record_set_publication(draft, "published", user=editor)

    assert refused.value.message_dict["publication_status"][0].startswith(
        "Review required: editor made the last change"
    )


def test_reverting_keeps_the_current_publication_status(editor):
    draft = _edited_draft(editor)
    first = Version.objects.get_for_object(draft).first()
    record_set_publication(draft, "published", user=editor)

    assert read_version(first).record.publication_status == "published"


def test_a_recovered_record_comes_back_as_a_draft(editor):
    record = services.record_save(f.ExerciseFactory(), user=editor)
    version = Version.objects.get_for_object(record).first()
    services.record_delete(record, user=editor)

    assert read_version(version).record.publication_status == "draft"

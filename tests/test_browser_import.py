"""Importing a CSV in a real browser: a preview with a change and a refused row, fixed,
imported as drafts, and published by a second editor."""

from __future__ import annotations

import pytest

from tests.browser import log_in
from tests.factories import ActorFactory, ExerciseFactory, SourceFactory
from tracker.editors import create_user_in_role
from tracker.exports import csv_stream
from tracker.models import Exercise, Import

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-browser-password"


def upload(page, name: str, text: str) -> None:
    page.goto("/admin/import/")
    page.set_input_files(
        "#id_file", files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}]
    )
    page.click("#import-upload input[type=submit]")
    page.wait_for_selector("#import-summary")


def test_an_editor_imports_a_csv_and_a_second_editor_publishes_it(new_page, settings):
    settings.REVIEW_REQUIRED = True  # four eyes: the importer cannot publish
    create_user_in_role("alice", PASSWORD, "editor")
    create_user_in_role("bob", PASSWORD, "editor")
    ActorFactory(slug="china", name="China")
    ActorFactory(slug="russia", name="Russia")
    SourceFactory(slug="kashin-2019", title="Kashin on Tsentr 2019")
    ExerciseFactory(slug="vostok-2018", name="Vostok-2018", location="Tsugol")
    exported = "".join(csv_stream(Exercise)).replace("Tsugol", "Tsugol training ground")
    header = exported.splitlines()[0].split(",")
    cells = {
        "slug": "tsentr-2019",
        "name": "Tsentr-2019",
        "domain": "command_staff",
        "start_date_display": "September 2019",
        "participants": "{}",
        "sources": "kashin-2019",
    }
    new_row = ",".join(cells.get(column, "") for column in header)
    page = new_page()
    log_in(page, "alice", PASSWORD)
    page.click("#import-records-link")
    page.wait_for_url("**/admin/import/")

    upload(page, "exercises.csv", exported + new_row.format("china|nobody") + "\r\n")
    assert page.inner_text("#import-summary") == (
        "exercises.csv: 0 created, 1 changed, 0 unchanged, 1 refused"
    )
    change = page.locator("#import-preview tr.import-change")
    assert change.locator("li").all_inner_texts() == [
        "location: Tsugol → Tsugol training ground",
        "publication_status “published” ignored: review is required, so another editor "
        "publishes imported records.",
    ]
    refused = page.locator("#import-preview tr.import-refused")
    assert refused.locator("li").all_inner_texts() == [
        "exercises.csv row 3, column participants: no actor has the identifier “nobody”."
    ]
    assert page.locator("#import-confirm").count() == 0

    upload(page, "exercises.csv", exported + new_row.format("china|russia") + "\r\n")
    assert page.inner_text("#import-summary") == (
        "exercises.csv: 1 created, 1 changed, 0 unchanged, 0 refused"
    )
    created = page.locator("#import-preview tr.import-create")
    assert created.locator("li").all_inner_texts() == ["created as a draft."]
    page.click("#import-confirm input[type=submit]")
    page.wait_for_selector(".messagelist .success")
    assert "Imported exercises.csv: 1 created, 1 changed, 0 unchanged." in page.inner_text(
        ".messagelist"
    )
    assert Exercise.objects.get(slug="vostok-2018").location == "Tsugol training ground"
    tsentr = Exercise.objects.get(slug="tsentr-2019")
    assert list(tsentr.participations.values_list("actor__slug", flat=True)) == [
        "china",
        "russia",
    ]
    assert list(Import.objects.values_list("user__username", "created", "changed")) == [
        ("alice", 1, 1)
    ]
    assert tsentr.publication_status == "draft"

    second = new_page()
    log_in(second, "bob", PASSWORD)
    second.goto("/admin/tracker/exercise/?publication_status__exact=draft")
    second.click("text=Tsentr-2019")
    second.fill("#publication-comment", "Checked against Kashin.")
    second.click("#publication-published")
    second.wait_for_selector(".messagelist .success")
    assert Exercise.objects.get(slug="tsentr-2019").publication_status == "published"

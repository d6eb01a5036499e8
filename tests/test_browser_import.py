"""Importing a CSV in a real browser: a preview with a change and a refused row, fixed, imported."""

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


def test_an_editor_previews_fixes_and_imports_a_csv(new_page):
    create_user_in_role("alice", PASSWORD, "editor")
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
    assert change.locator("li").all_inner_texts() == ["location: Tsugol → Tsugol training ground"]
    refused = page.locator("#import-preview tr.import-refused")
    assert refused.locator("li").all_inner_texts() == [
        "exercises.csv row 3, column participants: no actor has the identifier “nobody”."
    ]
    assert page.locator("#import-confirm").count() == 0

    upload(page, "exercises.csv", exported + new_row.format("china|russia") + "\r\n")
    assert page.inner_text("#import-summary") == (
        "exercises.csv: 1 created, 1 changed, 0 unchanged, 0 refused"
    )
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

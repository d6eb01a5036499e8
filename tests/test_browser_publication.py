"""Publishing in a real browser: one editor submits a draft for review, a second publishes it.

The change page with its publication buttons is saved as
``test-artifacts/publication.png`` (1366x768) on every run, for reviewing how it reads.
"""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.browser import ARTIFACTS, log_in
from tests.factories import ExerciseFactory
from tracker import models
from tracker.editors import create_user_in_role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-browser-password"


@override_settings(REVIEW_REQUIRED=True)
def test_an_editor_submits_for_review_and_a_second_editor_publishes(new_page):
    create_user_in_role("alice", PASSWORD, "editor")
    create_user_in_role("bob", PASSWORD, "editor")
    draft = ExerciseFactory(slug="tsentr-2019", name="Tsentr-2019", draft=True)
    change_url = f"/admin/tracker/exercise/{draft.pk}/change/"

    alice = new_page(viewport={"width": 1366, "height": 768})
    log_in(alice, "alice", PASSWORD)
    alice.goto(change_url)
    alice.fill("#publication-comment", "Dates checked against footnote 12.")
    alice.click("#publication-in_review")
    alice.wait_for_selector(".messagelist .success")

    bob = new_page(viewport={"width": 1366, "height": 768})
    log_in(bob, "bob", PASSWORD)
    bob.goto("/admin/review/")
    bob.click("text=Tsentr-2019")
    ARTIFACTS.mkdir(exist_ok=True)
    bob.screenshot(path=str(ARTIFACTS / "publication.png"), full_page=True)
    bob.click("#publication-published")
    bob.wait_for_selector(".messagelist .success")

    assert models.Exercise.objects.get(pk=draft.pk).publication_status == "published"

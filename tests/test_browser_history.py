"""Reading history in a real browser: an editor changes a date, then compares the versions.

The comparison page is saved as ``test-artifacts/comparison.png`` (1366x768) on every run,
for reviewing how it reads.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api_factories import linked_exercise
from tests.browser import ARTIFACTS, log_in
from tests.factories import ActorFactory
from tracker.dates import Precision
from tracker.editors import create_user_in_role
from tracker.services import record_save

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-browser-password"


def test_editor_changes_an_end_date_and_compares_the_versions(new_page):
    create_user_in_role("alice", PASSWORD, "editor")
    exercise = record_save(
        linked_exercise(
            "tsentr-2019",
            ActorFactory(slug="russia", name="Russia"),
            ActorFactory(slug="china", name="China"),
            name="Tsentr-2019",
            start_date=dt.date(2019, 9, 16),
            start_date_precision=Precision.DAY,
            end_date=dt.date(2019, 9, 21),
            end_date_precision=Precision.DAY,
        )
    )
    page = new_page()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, "alice", PASSWORD)

    page.goto(f"/admin/tracker/exercise/{exercise.pk}/change/")
    page.fill("#id_end_date", "2019-09-23")
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/tracker/exercise/")
    page.goto(f"/admin/tracker/exercise/{exercise.pk}/history/")
    assert "alice" in page.locator("#change-history").inner_text()
    page.locator("a.compare-previous").first.click()
    page.wait_for_url("**/history/compare/**")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "comparison.png"))
    row = page.locator("#changed-fields tbody tr").filter(has_text="End date")
    assert (
        row.locator("td.old").inner_text(),
        row.locator("td.new").inner_text(),
    ) == ("21 September 2019", "23 September 2019")

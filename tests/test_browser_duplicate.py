"""The duplicate warning in a real browser: a near-identical exercise needs a second click."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser import choose_in_autocomplete, log_in
from tests.factories import ExerciseFactory, SourceFactory
from tracker import models
from tracker.dates import Precision
from tracker.editors import create_user_in_role

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-browser-password"


def test_adding_tsentr_2019_again_warns_then_saves_on_a_second_click(new_page):
    create_user_in_role("alice", PASSWORD, "editor")
    ExerciseFactory(
        slug="tsentr-2019",
        name="Tsentr-2019",
        start_date=dt.date(2019, 9, 1),
        start_date_precision=Precision.MONTH,
    )
    SourceFactory(slug="kashin-2019", title="Kashin on Tsentr 2019")
    page = new_page()
    log_in(page, "alice", PASSWORD)

    page.goto("/admin/tracker/exercise/add/")
    # The identifier first: once typed, the admin no longer fills it in from the name.
    page.fill("#id_slug", "tsentr-2019-command-staff")
    page.fill("#id_name", "Tsentr 2019")
    page.select_option("#id_domain", "command_staff")
    page.fill("#id_start_date", "16 September 2019")
    page.get_by_text("Add another citation").click()
    choose_in_autocomplete(page, "id_citations-0-source", "Kashin")
    page.click("input[name=_save]")

    warning = page.locator(".errornote, .errorlist.nonfield").first.inner_text()
    assert "This may already be recorded" in page.content()
    assert page.locator(".errorlist.nonfield a", has_text="Tsentr-2019").count() == 1, warning
    assert models.Exercise.objects.count() == 1

    page.click("input[name=_save]")
    page.wait_for_url("**/admin/tracker/exercise/")
    assert sorted(models.Exercise.objects.values_list("slug", flat=True)) == [
        "tsentr-2019",
        "tsentr-2019-command-staff",
    ]

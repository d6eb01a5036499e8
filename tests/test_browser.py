"""The admin's editorial workflows in a real browser (Chromium through Playwright).

Few and focused: adding a record with its inlines, picking an actor by
typing its name, a viewer's read-only admin, two editors saving the same
record, and reverting to a version that names a record deleted since. They
run against the live test server, in transactions that restore the migrated
data (the role groups) afterwards.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from tests.api_factories import linked_exercise
from tests.browser import choose_in_autocomplete, log_in, type_in_autocomplete
from tests.factories import ActorFactory, AgreementFactory, SourceFactory
from tracker import models
from tracker.editors import create_user_in_role
from tracker.services import record_delete, record_save

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "a-long-browser-password"


def user(username: str, role: str = "editor") -> User:
    return create_user_in_role(username, PASSWORD, role)


def test_editor_adds_an_exercise_with_participants_and_a_citation(new_page, live_server):
    user("alice")
    ActorFactory(slug="russia", name="Russia")
    ActorFactory(slug="china", name="China")
    SourceFactory(slug="kashin-2019", title="Kashin on Tsentr 2019")
    page = new_page()
    log_in(page, "alice", PASSWORD)

    page.goto("/admin/tracker/exercise/add/")
    page.locator("#id_name").press_sequentially("Tsentr-2019")
    # The identifier is filled in from the name by the admin's own script.
    assert page.input_value("#id_slug") == "tsentr-2019"
    page.select_option("#id_domain", "combined")
    page.fill("#id_start_date", "16 September 2019")
    page.get_by_text("Add another Exercise participant").click()
    page.get_by_text("Add another Exercise participant").click()
    choose_in_autocomplete(page, "id_participations-0-actor", "Russia")
    page.select_option("#id_participations-0-role", "host")
    choose_in_autocomplete(page, "id_participations-1-actor", "China")
    page.get_by_text("Add another citation").click()
    choose_in_autocomplete(page, "id_citations-0-source", "Kashin")
    page.fill("#id_citations-0-footnote", "7")
    page.click("input[name=_save]")

    page.wait_for_url("**/admin/tracker/exercise/")
    assert "was added successfully" in page.locator(".messagelist").inner_text()
    assert page.locator("#result_list").get_by_text("Tsentr-2019").count() == 1
    exercise = models.Exercise.objects.get(slug="tsentr-2019")
    page.goto(f"/admin/tracker/exercise/{exercise.pk}/history/")
    assert "alice" in page.locator("#change-history").inner_text()
    api = page.request.get("/api/v1/exercises/tsentr-2019/").json()
    assert (
        [(p["actor"]["slug"], p["role"]) for p in api["participants"]],
        [(c["source"]["slug"], c["footnote"]) for c in api["citations"]],
    ) == ([("russia", "host"), ("china", "participant")], [("kashin-2019", 7)])


def test_editor_types_dates_in_words_and_the_api_shows_their_precision(new_page):
    user("alice")
    agreement = AgreementFactory(slug="treaty", title="Treaty")
    page = new_page()
    log_in(page, "alice", PASSWORD)

    page.goto(f"/admin/tracker/agreement/{agreement.pk}/change/")
    shown = page.input_value("#id_concluded")
    page.fill("#id_concluded", "1980s")
    page.fill("#id_in_force", "end of 2016")
    page.fill("#id_expires", "September 2019")
    page.click("input[name=_save]")

    page.wait_for_url("**/admin/tracker/agreement/")
    api = page.request.get("/api/v1/agreements/treaty/").json()
    assert [shown] + [
        (api[name]["precision"], api[name]["qualifier"], api[name]["display"])
        for name in ("concluded", "in_force", "expires")
    ] == [
        "16 July 2001",
        ("decade", "", "1980s"),
        ("year", "end", "end of 2016"),
        ("month", "", "September 2019"),
    ]


def test_typing_russia_in_a_participants_actor_box_offers_russia_first(new_page):
    from playwright.sync_api import expect

    user("alice")
    call_command("loaddata", "article", verbosity=0)
    page = new_page()
    log_in(page, "alice", PASSWORD)
    page.goto("/admin/tracker/exercise/add/")
    page.get_by_text("Add another Exercise participant").click()

    options = type_in_autocomplete(page, "id_participations-0-actor", "Russia")

    # Waits for the answer to "Russia" to replace the options offered on opening.
    expect(options.first).to_have_text("Russia — state, Russia")
    assert options.all_inner_texts()[:3] == [
        "Russia — state, Russia",
        "Russian Armed Forces — armed force or service, Russia",
        "Russian Navy — armed force or service, Russia",
    ]


def test_viewer_sees_a_record_but_has_no_save_button(new_page):
    user("victor", role="viewer")
    exercise = linked_exercise("tsentr-2019", name="Tsentr-2019")
    page = new_page()
    log_in(page, "victor", PASSWORD)

    page.goto(f"/admin/tracker/exercise/{exercise.pk}/change/")

    assert (
        page.locator("h1").inner_text(),
        page.locator("input[name=_save]").count(),
        page.locator("#id_name").count(),
    ) == ("View exercise", 0, 0)


def test_two_editors_saving_the_same_record_keeps_the_first_edit(new_page):
    user("alice")
    user("bob")
    exercise = record_save(linked_exercise("tsentr-2019", name="Tsentr", region="Volga"))
    url = f"/admin/tracker/exercise/{exercise.pk}/change/"
    alice, bob = new_page(), new_page()
    log_in(alice, "alice", PASSWORD)
    log_in(bob, "bob", PASSWORD)
    alice.goto(url)
    bob.goto(url)

    alice.fill("#id_name", "Tsentr-2019")
    alice.click("input[name=_save]")
    alice.wait_for_url("**/admin/tracker/exercise/")
    bob.fill("#id_region", "Central Asia")
    bob.click("input[name=_save]")

    error = bob.locator(".errornote + ul.errorlist, ul.errorlist.nonfield").first.inner_text()
    assert error.startswith("This exercise was changed by someone else after you opened it")
    assert "alice saved it at" in error
    assert "name “Tsentr” → “Tsentr-2019”" in error
    stored = models.Exercise.objects.get(pk=exercise.pk)
    assert (stored.name, stored.region) == ("Tsentr-2019", "Volga")


def test_editor_reverts_to_a_version_naming_a_deleted_participant(new_page):
    user("alice")
    russia = ActorFactory(slug="russia", name="Russia")
    china = ActorFactory(slug="china", name="China")
    cited = [{"source": SourceFactory(title="Kashin 2019"), "footnote": 7}]
    exercise = record_save(
        models.Exercise(slug="tsentr-2019", name="Tsentr 2019", domain="combined"),
        links=[{"actor": russia, "role": "host"}, {"actor": china}],
        citations=cited,
    )
    first = exercise.updated_at
    exercise.name = "Renamed"
    record_save(exercise, links=[{"actor": china}], citations=cited)
    record_delete(russia)
    page = new_page()
    log_in(page, "alice", PASSWORD)
    page.goto(f"/admin/tracker/exercise/{exercise.pk}/history/")
    page.locator("#change-history th a").last.click()  # the first version

    notice = page.locator(".gone-links .errornote").inner_text()
    page.check("#id_drop_gone_links")
    page.click("input[name=_save]")

    page.wait_for_url("**/admin/tracker/exercise/")
    exercise.refresh_from_db()
    assert (
        notice.startswith("Linked records deleted since this version: actor “Russia (deleted)”"),
        exercise.name,
        [str(p) for p in exercise.participations.all()],
        exercise.updated_at > first,
    ) == (True, "Tsentr 2019", ["China (participant)"], True)

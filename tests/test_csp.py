"""The Content-Security-Policy: on every answer, and nothing the admin or API docs do breaks it.

The browser tests collect what Chromium reports to the console about the policy
("Refused to ... because it violates the following Content Security Policy
directive") across every page and popup of the session; the last test shows that
such a report is caught when something inline does run.
"""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.utils import timezone

from tests.api_factories import linked_exercise
from tests.browser import choose_in_autocomplete, log_in
from tests.factories import ActorFactory, SourceFactory
from tracker.editors import create_user_in_role
from tracker.services import record_save

POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PASSWORD = "a-long-browser-password"


def directives(header: str) -> dict[str, str]:
    """A policy header as {directive: sources}."""
    parts = (part.strip().split(" ", 1) for part in header.split(";") if part.strip())
    return {name: sources for name, sources in parts}


@pytest.mark.parametrize(
    "path",
    ["/admin/login/", "/api/v1/actors/", "/api/v1/docs/", "/api/v1/docs/?script="],
)
def test_every_answer_carries_the_policy(client, db, path):
    response = client.get(path)

    assert (response.status_code, directives(response["Content-Security-Policy"])) == (
        200,
        POLICY,
    )


class InlineCode(HTMLParser):
    """Counts what a policy without 'unsafe-inline' would refuse, and lists script files."""

    def __init__(self) -> None:
        super().__init__()
        self.inline: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "style" or "style" in values or any(name.startswith("on") for name in values):
            self.inline.append(self.get_starttag_text())
        if tag == "script":
            if values.get("src"):
                self.scripts.append(values["src"])
            elif values.get("type") != "application/json":
                self._in_script = True

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append(data.strip()[:40])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def test_the_api_docs_page_loads_its_start_up_script_and_style_as_files(client, db):
    page = InlineCode()
    page.feed(client.get("/api/v1/docs/").content.decode())

    assert page.inline == []
    assert page.scripts == [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
        "/api/v1/docs/?script=",
    ]


#: Every app's templates: the tracker's (admin, API docs) and the explorer's public pages.
TEMPLATE_DIRS = [
    Path(__file__).resolve().parent.parent / app / "templates" for app in ("tracker", "explorer")
]


def test_no_template_of_the_tracker_holds_inline_style_or_script():
    found = {}
    for templates in TEMPLATE_DIRS:
        for template in sorted(templates.rglob("*.html")):
            page = InlineCode()
            page.feed(template.read_text())
            if page.inline:
                found[str(template.relative_to(templates.parent.parent))] = page.inline

    assert found == {}


def test_the_explorer_templates_are_scanned():
    assert len(list(TEMPLATE_DIRS[1].rglob("*.html"))) == 9


# ---------------------------------------------------------------------------
# In Chromium
# ---------------------------------------------------------------------------


@pytest.fixture
def watched_page(new_page):
    """A page whose session's policy reports (every page and popup) are collected."""
    page = new_page()
    page.violations = []  # type: ignore[attr-defined]
    page.context.on(
        "console",
        lambda message: (
            page.violations.append(message.text)  # type: ignore[attr-defined]
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_admin_forms_work_without_breaking_the_policy(watched_page):
    create_user_in_role("alice", PASSWORD, "editor")
    ActorFactory(slug="russia", name="Russia")
    SourceFactory(slug="kashin-2019", title="Kashin on Tsentr 2019")
    page = watched_page
    log_in(page, "alice", PASSWORD)

    # Prepopulated identifier, inlines' "add another", autocomplete widgets.
    page.goto("/admin/tracker/exercise/add/")
    page.locator("#id_name").press_sequentially("Tsentr-2019")
    page.get_by_text("Add another Exercise participant").click()
    choose_in_autocomplete(page, "id_participations-0-actor", "Russia")
    page.get_by_text("Add another citation").click()
    choose_in_autocomplete(page, "id_citations-0-source", "Kashin")
    # The "+" beside a link field opens the related record's add form in a popup.
    with page.expect_popup() as popup:
        page.locator("#add_id_participations-0-actor").click()
    popup.value.wait_for_load_state()
    popup.value.close()
    # Date box: the calendar and "Today" shortcuts.
    page.goto("/admin/tracker/source/add/")
    page.locator("#id_accessed + .datetimeshortcuts a", has_text="Today").click()
    page.locator("#id_accessed + .datetimeshortcuts .date-icon").click()
    page.locator(".calendarbox:visible .calendar-shortcuts a", has_text="Yesterday").click()
    accessed = page.input_value("#id_accessed")
    # Changelist with its filters and actions, then a deletion's confirmation page.
    page.goto("/admin/tracker/source/")
    page.locator("#action-toggle").check()
    page.select_option("select[name=action]", "delete_selected")
    page.click("button[name=index]")
    # "No, take me back" is a script (cancel.js) going back to the list.
    page.get_by_text("No, take me back").click()
    page.wait_for_selector("#changelist")
    # A record's history, the comparison of two versions, the recent changes.
    exercise = linked_exercise("tsentr-2019", name="Tsentr")
    exercise.name = "Tsentr-2019"
    record_save(exercise)
    page.goto(f"/admin/tracker/exercise/{exercise.pk}/history/")
    page.locator("a.compare-previous").first.click()
    page.wait_for_selector(".compare")
    page.goto("/admin/recent-changes/")
    page.wait_for_selector("#recent-changes")

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert (accessed, page.violations) == (yesterday.strftime("%d/%m/%Y"), [])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_swagger_ui_runs_a_request_without_breaking_the_policy(watched_page):
    ActorFactory(slug="russia", name="Russia")
    page = watched_page

    page.goto("/api/v1/docs/")
    page.locator("#operations-actors-actors_list").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    status = page.locator(".live-responses-table .response .response-col_status").first

    assert (status.inner_text().strip(), page.violations) == ("200", [])


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_inline_script_is_refused_and_reported(watched_page):
    page = watched_page
    page.goto("/admin/login/")

    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = true'; document.body.append(s); }"
    )

    assert page.evaluate("() => window.ran === true") is False
    assert len(page.violations) == 1
    assert "script-src" in page.violations[0]

"""Playwright fixtures for the browser tests: Debian's Chromium against the live server.

Playwright's sync API runs an event loop in the test's thread, and Django
refuses ORM calls from a thread with a running loop unless
DJANGO_ALLOW_ASYNC_UNSAFE is set; the tests' own ORM calls are synchronous
and safe, so it is set for as long as the browser runs. The browser is never
downloaded: Chromium comes from the system (``apt-get install chromium``).
When a test fails, every page it opened is saved as a screenshot in
``test-artifacts/`` (git-ignored), named after the test.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import REPORTS

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
#: Milliseconds any one browser step may take before the test fails.
STEP_TIMEOUT = 15_000


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module's tests."""
    if not CHROMIUM.exists():
        message = f"Chromium not installed at {CHROMIUM} (apt-get install chromium)"
        # CI installs Chromium, so there a missing browser is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                    "--no-first-run",
                ],
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_page(browser, live_server, request):
    """Opens a page in a fresh browser session (its own cookies); screenshots on failure.

    Keyword arguments go to the browser context, e.g. ``viewport={"width": 1366, "height": 768}``.
    """
    contexts, pages = [], []

    def open_page(**context_options):
        context = browser.new_context(base_url=live_server.url, **context_options)
        context.set_default_timeout(STEP_TIMEOUT)
        contexts.append(context)
        pages.append(context.new_page())
        return pages[-1]

    yield open_page
    reports = request.node.stash.get(REPORTS, {})
    if any(report.failed for report in reports.values()):
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.nodeid)
        for number, page in enumerate(pages, start=1):
            page.screenshot(path=str(ARTIFACTS / f"{name}-session{number}.png"), full_page=True)
    for context in contexts:
        context.close()


def log_in(page, username: str, password: str) -> None:
    """Log in through the admin's login form, as an editor would."""
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


def log_in_session(page, user, base_url: str) -> None:
    """Give ``page`` a logged-in session of ``user`` without the login form (for page walks)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])


def choose_in_autocomplete(page, select_id: str, text: str) -> None:
    """Pick ``text`` in the admin's autocomplete (select2) widget for ``select_id``."""
    page.locator(f"#{select_id} + .select2").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()

"""Helpers for the browser tests: Debian's Chromium through Playwright, against the live server.

The ``browser`` and ``new_page`` fixtures (in conftest.py) use these. Playwright's
sync API runs an event loop in the test's thread, and Django refuses ORM calls
from a thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set; the
tests' own ORM calls are synchronous and safe, so it is set for as long as the
browser runs. The browser is never downloaded: Chromium comes from the system
(``apt-get install chromium``). When a test fails, every page it opened is saved
as a screenshot in ``test-artifacts/`` (git-ignored), named after the test.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.test import Client

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
#: Milliseconds any one browser step may take before the test fails.
STEP_TIMEOUT = 15_000
#: Headless Chromium in a container, with nothing running that the tests do not need.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def sync_orm_allowed() -> Iterator[None]:
    """Let the test's thread use the ORM while Playwright's event loop runs in it."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def launch(playwright):
    """Start the system's Chromium, headless."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )


def save_screenshots(pages, nodeid: str) -> None:
    """Save a full-page screenshot of each of ``pages`` in ``test-artifacts/``."""
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", nodeid)
    for number, page in enumerate(pages, start=1):
        page.screenshot(path=str(ARTIFACTS / f"{name}-session{number}.png"), full_page=True)


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


def type_in_autocomplete(page, select_id: str, text: str):
    """Open the admin's autocomplete (select2) widget for ``select_id``, type ``text``.

    Returns the locator of the options it offers.
    """
    page.locator(f"#{select_id} + .select2").click()
    page.locator(".select2-container--open .select2-search__field").fill(text)
    return page.locator(".select2-container--open .select2-results__option")


def choose_in_autocomplete(page, select_id: str, text: str) -> None:
    """Pick ``text`` in the admin's autocomplete (select2) widget for ``select_id``."""
    type_in_autocomplete(page, select_id, text).filter(has_text=text).first.click()

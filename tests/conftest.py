"""The suite's shared fixtures and hooks, in one place.

- **Accounts**: ``editor`` and ``viewer`` hold the real Editors and Viewers roles
  (the groups migration 0003 creates), never a permission set made up for a test.
- **Clients**: ``editor_client`` and ``viewer_client`` (the admin, logged in),
  ``api`` (anonymous) and ``editor_api`` (the editor's token).
- **Every test** starts with an empty cache, and API throttling off (it has its
  own test).
- **Records**: ``records``, one record of each type linked to the others.
- **The seed**: ``seeded`` is the article fixture, loaded once for all the tests
  that ask for it (see tests/seed.py); ``article_text`` is the article itself.
- **The browser**: ``browser`` and ``new_page`` drive Chromium against the live
  server (helpers in tests/browser.py).

Factories are in tests/factories.py and tests/api_factories.py; test modules
import them. Missing prerequisites skip locally and fail in CI (tests/ci.py).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.cache import caches
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import browser as browser_helpers
from tests import factories as f
from tests.ci import missing
from tests.seed import SharedSeed, is_transactional, wants_seed
from tracker import services
from tracker.editors import create_user_in_role
from tracker.models import ParticipantRole

#: Each test's reports by phase ("setup", "call", "teardown"), for fixtures that
#: act on failure (the browser tests keep screenshots of a failing step).
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()

#: The shared seed of this run, once a test has asked for it.
SHARED_SEED = pytest.StashKey[SharedSeed]()

#: The article the seed records (docs/fixtures.md), kept beside the repository.
ARTICLE_PATH = Path(django_settings.BASE_DIR).parent / "shared/seed/article.txt"


# ----------------------------------------------------------------------- hooks


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Run the tests reading the seed first, so that it is loaded once.

    This runs after pytest-django's own ordering (plain database tests, then
    transactional ones, then the rest) and keeps it otherwise.
    """
    transactional = [item.nodeid for item in items if wants_seed(item) and is_transactional(item)]
    if transactional:
        raise pytest.UsageError(
            "transactional tests cannot share the seed (they commit and flush); load it in "
            f"the test instead: {', '.join(transactional)}"
        )
    items.sort(key=lambda item: not wants_seed(item))
    deselect_standby_tests(config, items)


def deselect_standby_tests(config, items) -> None:
    """Leave out the tests marked ``standby`` unless a read replica is configured.

    They need a streaming standby of the test server, which only .ci/replicas
    makes (and there a missing standby fails them); elsewhere they are
    deselected, not skipped, so no run reports a skip for a missing server.
    """
    if "replica_1" in django_settings.DATABASES:
        return
    standby = [item for item in items if item.get_closest_marker("standby")]
    if standby:
        config.hook.pytest_deselected(items=standby)
        items[:] = [item for item in items if not item.get_closest_marker("standby")]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    # Before the test's own transaction begins: reopen the shared seed if a test
    # that does not read it closed it (only when the tests run in another order).
    seed = item.config.stash.get(SHARED_SEED, None)
    if seed is not None and wants_seed(item):
        seed.open()
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    # After the test's own transaction is rolled back: the next test, unless it
    # reads the seed too, starts from the empty database.
    seed = item.config.stash.get(SHARED_SEED, None)
    if seed is not None and not wants_seed(nextitem):
        seed.close()
    return result


# ---------------------------------------------------------------------- the seed


@pytest.fixture(scope="session")
def shared_seed(request, django_db_setup, django_db_blocker):
    """The seed loaded into the test database, in a transaction shared by seeded tests."""
    seed = SharedSeed(django_db_blocker)
    request.config.stash[SHARED_SEED] = seed
    seed.open()
    yield seed
    seed.close()


@pytest.fixture
def seeded(shared_seed, db) -> None:
    """The database holding the article seed (fixtures/article.json).

    Loaded once per run: a test may change it, and its changes are rolled back
    at its end like any test's.
    """
    assert shared_seed.is_open, "the shared seed is opened before each test that reads it"


@pytest.fixture(scope="session")
def article_text() -> str:
    """The seed article, with no-break spaces as ordinary spaces (the fixture's convention)."""
    if not ARTICLE_PATH.exists():
        missing(f"seed article not found at {ARTICLE_PATH}")
    return ARTICLE_PATH.read_text(encoding="utf-8").replace("\xa0", " ")


# ------------------------------------------------------------- every test


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with no throttle or failure counts (the cache is per process)."""
    caches["default"].clear()


@pytest.fixture(autouse=True)
def unthrottled(settings):
    """Tests make many anonymous API requests; throttling has its own test."""
    settings.API_ANON_THROTTLE_RATE = None


# ---------------------------------------------------------- accounts and clients


@pytest.fixture
def editor(db) -> User:
    """A staff account ``editor`` in the Editors group, as ``create_user --role editor`` makes."""
    return create_user_in_role("editor", "editor-password", "editor")


@pytest.fixture
def viewer(db) -> User:
    """A staff account ``viewer`` in the Viewers group."""
    return create_user_in_role("viewer", "viewer-password", "viewer")


@pytest.fixture
def editor_client(client, editor):
    """The test client, logged in to the admin as the editor."""
    client.force_login(editor)
    return client


@pytest.fixture
def viewer_client(viewer) -> Client:
    """A client of its own, logged in to the admin as the viewer."""
    client = Client()
    client.force_login(viewer)
    return client


@pytest.fixture
def api(db) -> APIClient:
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def editor_api(editor) -> APIClient:
    """An API client authenticated by the editor's token."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=editor)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# ------------------------------------------------------------------- records


@pytest.fixture
def records(db):
    """One record of each type, linked to each other, with citations (the export tests'
    data: a formula-like name, a value with an estimate, a located citation)."""
    china = f.ActorFactory(slug="china", name="China", country="CN")
    russia = f.ActorFactory(slug="russia", name="Russia", country="RU")
    pla = f.ActorFactory(slug="pla", name="=HYPERLINK(1)", parent=china)
    source = f.SourceFactory(slug="kashin-2022", title="Russia and China: allies?")
    agreement = services.record_save(
        f.AgreementFactory.build(slug="treaty-2001", title="Treaty of Good-Neighbourliness"),
        links=[{"actor": china}, {"actor": russia, "role": "signatory"}],
        citations=[{"source": source, "footnote": 4}],
    )
    exercise = services.record_save(
        f.ExerciseFactory.build(slug="tsentr-2019", name="Tsentr-2019", summary="-3 brigades"),
        links=[{"actor": russia, "role": ParticipantRole.HOST}, {"actor": pla}],
        citations=[{"source": source, "footnote": 7, "locator": "p. 13"}],
    )
    deal = services.record_save(
        f.ArmsDealFactory.build(
            slug="su-35",
            title="Su-35 sale",
            supplier=russia,
            recipient=china,
            quantity=24,
            value_amount=Decimal("2000000000.00"),
            value_currency="USD",
            value_is_estimate=True,
        ),
        links=[{"actor": russia, "role": "intermediary"}],
        citations=[{"source": source, "footnote": 5}],
    )
    statement = services.record_save(
        f.StatementFactory.build(slug="shoigu-2019", speaker=russia, text="@allies"),
        about={"about_exercises": [exercise], "about_actors": [china], "about_arms_deals": [deal]},
        citations=[{"source": source, "footnote": 9}],
    )
    return {
        "china": china,
        "russia": russia,
        "pla": pla,
        "source": source,
        "agreement": agreement,
        "exercise": exercise,
        "deal": deal,
        "statement": statement,
    }


# ------------------------------------------------------------------- the browser


@pytest.fixture(scope="module")
def browser():
    """One headless Chromium for the module's tests (skipped without it; failed in CI)."""
    if not browser_helpers.CHROMIUM.exists():
        missing(f"Chromium not installed at {browser_helpers.CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with browser_helpers.sync_orm_allowed(), sync_playwright() as playwright:
        chromium = browser_helpers.launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser, live_server, request):
    """Opens a page in a fresh browser session (its own cookies); screenshots on failure.

    Keyword arguments go to the browser context, e.g. ``viewport={"width": 1366, "height": 768}``.
    """
    contexts, pages = [], []

    def open_page(**context_options):
        context = browser.new_context(base_url=live_server.url, **context_options)
        context.set_default_timeout(browser_helpers.STEP_TIMEOUT)
        contexts.append(context)
        pages.append(context.new_page())
        return pages[-1]

    yield open_page
    reports = request.node.stash.get(REPORTS, {})
    if any(report.failed for report in reports.values()):
        browser_helpers.save_screenshots(pages, request.node.nodeid)
    for context in contexts:
        context.close()

"""Shared pytest fixtures, and the report hook the browser tests' screenshots rely on."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.core.cache import caches

#: The browser tests' fixtures (loaded here so their helpers' asserts are rewritten too).
pytest_plugins = ["tests.browser"]

#: Each test's reports by phase ("setup", "call", "teardown"), for fixtures that
#: act on failure (the browser tests keep screenshots of a failing step).
REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    item.stash.setdefault(REPORTS, {})[report.when] = report
    return report


@pytest.fixture
def editor(db) -> User:
    """A staff user with every tracker permission, as editors have."""
    user = User.objects.create_user("editor", password="editor-password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="tracker"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture(autouse=True)
def empty_cache():
    """Every test starts with no throttle or failure counts (the cache is per process)."""
    caches["default"].clear()

"""The article seed, loaded once and shared by the tests that ask for it.

Loading ``fixtures/article.json`` saves some four hundred rows one by one, so the
tests that read the seed share one copy instead of loading it each. The copy is
loaded inside a transaction that stays open while those tests run, and each test
still runs in its own transaction nested inside it (pytest-django's per-test
transaction becomes a savepoint), so a test that writes leaves the shared copy as
it found it.

The shared transaction is rolled back as soon as the next test does not ask for
the seed, so every other test starts from the migrated, empty database. Nothing
is ever committed: a transactional test (the live-server browser tests) can
neither see the seed nor remove it by flushing the database. conftest.py runs the
tests that ask for the seed before the others, so the seed is loaded once per
run; in another order, each run of consecutive seeded tests loads it again.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction
from pytest_django.fixtures import validate_django_db

#: The fixture in fixtures/ holding the seed.
SEED_FIXTURE = "article"

#: The fixture a test asks for to read the seed.
SEED_FIXTURE_NAME = "seeded"

#: The seed's own source: the article its records are taken from.
ARTICLE_SLUG = "icds-diplomaatia-2020-07-01-alliance-without-agreement"


def load_seed() -> None:
    """Load the seed fixture into the current transaction."""
    call_command("loaddata", SEED_FIXTURE, verbosity=0)


def is_transactional(item: pytest.Item) -> bool:
    """Whether pytest-django runs ``item`` with real commits (and flushes afterwards)."""
    # The rule pytest-django itself applies when it orders and sets up tests.
    marker = item.get_closest_marker("django_db")
    if marker is not None:
        transaction_, reset_sequences, *_ = validate_django_db(marker)
        if transaction_ or reset_sequences:
            return True
    fixtures = getattr(item, "fixturenames", ())
    return "transactional_db" in fixtures or "live_server" in fixtures


def wants_seed(item: pytest.Item | None) -> bool:
    """Whether ``item`` reads the shared seed (``None``, the end of the run, does not)."""
    return item is not None and SEED_FIXTURE_NAME in getattr(item, "fixturenames", ())


class SharedSeed:
    """The seed in a transaction that is open while the tests reading it run.

    ``blocker`` is pytest-django's ``django_db_blocker``: outside a test's own
    fixtures, database access must be unblocked explicitly.
    """

    def __init__(self, blocker) -> None:
        self._blocker = blocker
        self._atomic: transaction.Atomic | None = None

    @property
    def is_open(self) -> bool:
        """Whether the seed is loaded and its transaction open."""
        return self._atomic is not None

    def open(self) -> None:
        """Begin the shared transaction and load the seed into it."""
        if self._atomic is not None:
            return
        with self._blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            try:
                load_seed()
            except BaseException as error:
                transaction.set_rollback(True)
                atomic.__exit__(type(error), error, error.__traceback__)
                raise
        self._atomic = atomic

    def close(self) -> None:
        """Roll the shared transaction back: the database is as migrated again."""
        if self._atomic is None:
            return
        atomic, self._atomic = self._atomic, None
        with self._blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)

"""Sync while writes overlap (PostgreSQL): the token recipe misses nothing, ``updated_since`` does.

Writers hold their transactions open after taking their timestamp and change
row, as a slow save does, while a consumer syncs. On SQLite writes are
serialised (one writer at a time), so the overlap cannot happen there.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient

from tests.api_factories import linked_exercise
from tests.factories import ActorFactory
from tests.test_api_changes import TokenMirror
from tests.test_api_sync import Mirror, full_copy
from tracker import models, services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="overlapping write transactions"),
]

#: Upper bound of how long a writer keeps its transaction open after saving (seconds).
LONGEST_WRITE = 0.5


def differences(mirror_records: dict, fresh: dict) -> tuple[int, int]:
    """``(missed, stale)``: rows of a fresh download the mirror lacks or holds in an older
    state, and rows the mirror holds that no longer exist."""
    missed = sum(
        1
        for resource, rows in fresh.items()
        for slug, row in rows.items()
        if mirror_records[resource].get(slug) != row
    )
    stale = sum(
        1
        for resource, rows in mirror_records.items()
        for slug in rows
        if slug not in fresh[resource]
    )
    return missed, stale


def save_region(slug: str, region: str) -> None:
    """An editor's save of one exercise through the write path."""
    exercise = models.Exercise.objects.get(slug=slug)
    exercise.region = region
    services.record_save(exercise)


def hold_open(work, saved: threading.Event, release: threading.Event) -> threading.Thread:
    """Run ``work`` in a transaction on its own connection, kept open until ``release``."""

    def run():
        try:
            with transaction.atomic():
                work()
                saved.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.fixture
def exercises():
    china = ActorFactory(slug="china", name="China")
    russia = ActorFactory(slug="russia", name="Russia")
    for slug in ("tsentr-2019", "mosi-2019", *[f"exercise-{n}" for n in range(6)]):
        linked_exercise(slug, russia, china)


@pytest.mark.parametrize(
    ("recipe", "expected_missed"),
    [(TokenMirror, 0), (Mirror, 1)],
    ids=["sync-token", "updated-since"],
)
def test_a_write_committing_after_a_later_one_is_delivered(exercises, recipe, expected_missed):
    """A saves tsentr-2019 and stays open; B saves mosi-2019 and commits; the consumer
    syncs; A commits; the consumer syncs again."""
    api = APIClient()
    mirror = recipe()
    mirror.sync(api)
    saved, release = threading.Event(), threading.Event()
    writer_a = hold_open(lambda: save_region("tsentr-2019", "Orenburg"), saved, release)
    assert saved.wait(10)
    save_region("mosi-2019", "Arabian Sea")

    mirror.sync(api)
    release.set()
    writer_a.join()
    mirror.sync(api)

    missed, stale = differences(mirror.records, full_copy(api))
    print(f"{recipe.__name__}: missed {missed}, stale {stale}")
    assert (missed, stale) == (expected_missed, 0)


def test_overlapping_writers_and_a_syncing_consumer_end_equal(exercises):
    """Six writers, each saving four times with its transaction open 0–0.5 s after the
    save, and creating an actor; a consumer syncs every 50–100 ms with both recipes."""
    rng = random.Random(20261202)
    slugs = list(models.Exercise.objects.values_list("slug", flat=True))
    plans = [
        [(rng.choice(slugs), rng.uniform(0, LONGEST_WRITE)) for _ in range(4)] for _ in range(6)
    ]
    errors: list[BaseException] = []

    def writer(number: int, plan) -> None:
        try:
            for step, (slug, pause) in enumerate(plan):
                with transaction.atomic():
                    save_region(slug, f"writer {number} step {step}")
                    time.sleep(pause)
            with transaction.atomic():
                services.record_save(
                    models.Actor(slug=f"actor-{number}", name=f"Actor {number}", kind="state")
                )
                time.sleep(rng.uniform(0, LONGEST_WRITE))
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    api = APIClient()
    token_mirror, old_mirror = TokenMirror(), Mirror()
    token_mirror.sync(api)
    old_mirror.sync(api)
    threads = [threading.Thread(target=writer, args=(n, plan)) for n, plan in enumerate(plans)]
    for thread in threads:
        thread.start()
    syncs = 0
    while any(thread.is_alive() for thread in threads):
        token_mirror.sync(api)
        old_mirror.sync(api)
        syncs += 1
        time.sleep(rng.uniform(0.05, 0.1))
    for thread in threads:
        thread.join()
    token_mirror.sync(api)
    old_mirror.sync(api)

    fresh = full_copy(api)
    token_result = differences(token_mirror.records, fresh)
    old_result = differences(old_mirror.records, fresh)
    print(
        f"{syncs} syncs during {sum(len(p) + 1 for p in plans)} writes; "
        f"sync token: missed {token_result[0]}, stale {token_result[1]}; "
        f"updated_since: missed {old_result[0]}, stale {old_result[1]}"
    )
    assert (errors, token_result) == ([], (0, 0))

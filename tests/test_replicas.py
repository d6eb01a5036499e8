"""Read replicas against a real PostgreSQL streaming standby (docs/replicas.md).

These tests need a standby of the test server's cluster: ``DATABASE_REPLICA_URLS``
names it (its database name is replaced by the test database's, which replicates
from the primary) and ``REPLICA_PGDATA`` its data folder (to stop and restart it;
``PGBIN`` holds pg_ctl). .ci/run's "Read replicas" step creates one with
``pg_basebackup -R`` and runs this module; there a missing standby fails. In the
ordinary runs no standby is configured and the ``standby`` mark deselects them
(tests/conftest.py); tests/test_routing.py covers the decisions without one.

Every test is transactional: only committed rows reach a standby.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import OperationalError, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.api_factories import linked_exercise
from tests.factories import ActorFactory, SourceFactory
from tests.test_api_changes import TokenMirror
from tests.test_api_sync import full_copy
from tests.test_api_write import exercise_body
from tests.test_sync_concurrency import differences, hold_open, save_region
from tracker import routing

REPLICA = "replica_1"
CONFIGURED = REPLICA in settings.DATABASES
PGDATA = os.environ.get("REPLICA_PGDATA", "")
PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")
WRITES = ("INSERT", "UPDATE", "DELETE")

pytestmark = [
    pytest.mark.standby,
    pytest.mark.django_db(
        transaction=True, databases=["default", REPLICA] if CONFIGURED else ["default"]
    ),
]


# ----------------------------------------------------------------------- the standby


def point_at_standby() -> None:
    """The replica alias reads the standby's copy of the test database."""
    connection = connections[REPLICA]
    target = {**settings.DATABASES[REPLICA], "NAME": connections["default"].settings_dict["NAME"]}
    if connection.settings_dict != target:
        connection.close()
        connection.settings_dict = target


def replica_sql(sql: str):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def wait_for_replay(timeout: float = 30) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        (lsn,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(OperationalError), connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return
        connections[REPLICA].close()
        assert time.monotonic() < deadline, f"the standby did not replay {lsn} in {timeout}s"
        time.sleep(0.05)


def pg_ctl(*args: str) -> None:
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    command = [*as_postgres, f"{PGBIN}/pg_ctl", "-D", PGDATA, "-w", *args]
    subprocess.run(command, check=True, capture_output=True)


@pytest.fixture(autouse=True)
def standby():
    if not CONFIGURED:  # only when run by name without a standby
        pytest.fail("no streaming standby configured (DATABASE_REPLICA_URLS; .ci/replicas)")
    point_at_standby()
    wait_for_replay()
    routing.forget_health()
    yield
    with contextlib.suppress(OperationalError):
        replica_sql("SELECT pg_wal_replay_resume()::text")
    routing.forget_health()


@pytest.fixture
def paused():
    """The standby receives WAL but replays none of it until the test ends."""
    replica_sql("SELECT pg_wal_replay_pause()::text")


@pytest.fixture
def records():
    """The actors and source that exercise_body() links to, and four exercises."""
    russia = ActorFactory(slug="russia", name="Russia")
    china = ActorFactory(slug="china", name="China")
    SourceFactory(slug="kashin-2019")
    for n in range(4):
        linked_exercise(f"exercise-{n}", russia, china)
    wait_for_replay()


class RecordingClient(APIClient):
    """An API client that remembers which database answered each request."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.answered_by: list[str] = []

    def request(self, **kwargs):
        response = super().request(**kwargs)
        self.answered_by.append(response.get("X-Read-Database"))
        return response


# ----------------------------------------------------------------------- which queries go where


def test_a_mix_of_reads_and_writes_queries_each_database_as_routed(records, editor_api):
    wait_for_replay()  # the editor's token, made after the records
    anonymous = APIClient()
    new = exercise_body(slug="joint-sea-2021", name="Joint Sea 2021")
    script = [
        ("anonymous", anonymous, "get", "/api/v1/exercises/"),
        ("anonymous", anonymous, "get", "/api/v1/actors/?search=russia"),
        ("anonymous", anonymous, "get", "/api/v1/exercises/exercise-1/"),
        ("anonymous", anonymous, "get", "/api/v1/changes/"),
        ("editor", editor_api, "get", "/api/v1/exercises/"),
        ("editor", editor_api, "post", "/api/v1/exercises/"),
        ("editor", editor_api, "get", "/api/v1/exercises/joint-sea-2021/"),
        ("editor", editor_api, "get", "/api/v1/exercises/"),
        ("anonymous", anonymous, "get", "/api/v1/exercises/"),
    ]
    rows = []
    for who, client, method, url in script:
        with (
            CaptureQueriesContext(connections["default"]) as primary,
            CaptureQueriesContext(connections[REPLICA]) as replica,
        ):
            extra = {"data": new, "format": "json"} if method == "post" else {}
            response = getattr(client, method)(url, **extra)
        writes = [q for q in primary.captured_queries + replica.captured_queries]
        writes = sum(q["sql"].lstrip().upper().startswith(WRITES) for q in writes)
        rows.append(
            (who, method.upper(), url, response.status_code, response["X-Read-Database"])
            + (len(primary), len(replica), writes)
        )
    print(f"\n{'client':9} {'request':44} {'status':>6} {'answered by':>11} primary replica writes")
    for who, method, url, code, answered_by, on_primary, on_replica, writes in rows:
        request = f"{method} {url}"
        print(
            f"{who:9} {request:44} {code:>6} {answered_by:>11} {on_primary:>7} {on_replica:>7}"
            f" {writes:>6}"
        )
    print(f"{'total':9} {'':44} {'':>6} {'':>11} {sum(r[5] for r in rows):>7}", end=" ")
    print(f"{sum(r[6] for r in rows):>7}")
    # The editor's first read (before writing) is a read-only API request: a replica's.
    # Then the write and, for the read-your-writes window, the editor's reads: the primary.
    expected = [(200, "replica_1")] * 5 + [(201, "primary"), (200, "primary"), (200, "primary")]
    expected += [(200, "replica_1")]
    answers = [(row[3], row[4]) for row in rows]
    # What a replica answered cost the primary nothing and wrote nothing.
    by_replica = [(row[5], row[7]) for row in rows if row[4] == "replica_1"]
    assert (answers, by_replica) == (expected, [(0, 0)] * 6)


def test_reads_by_a_replica_leave_the_primary_untouched(records):
    with CaptureQueriesContext(connections["default"]) as primary:
        response = APIClient().get("/api/v1/exercises/")
    assert (response["X-Read-Database"], len(primary)) == ("replica_1", 0)


# ----------------------------------------------------------------------- read your writes


@pytest.mark.parametrize("proof", ["cookie", "header"])
def test_an_editor_reads_back_a_write_the_replica_has_not_replayed(
    records, editor_api, paused, settings, proof
):
    settings.DATABASE_REPLICA_MAX_LAG = 600  # the paused standby stays in use for others
    created = editor_api.post("/api/v1/exercises/", exercise_body(slug="new-one"), format="json")
    extra = {}
    if proof == "header":  # an API client without cookies echoes the header instead
        editor_api.cookies.clear()
        extra = {"HTTP_X_TRACKER_WROTE": created[routing.WROTE_HEADER]}
    mine = editor_api.get("/api/v1/exercises/new-one/", **extra)
    others = APIClient().get("/api/v1/exercises/new-one/")
    assert [
        (created.status_code, created["X-Read-Database"]),
        (mine.status_code, mine["X-Read-Database"]),
        (others.status_code, others["X-Read-Database"]),
    ] == [(201, "primary"), (200, "primary"), (404, "replica_1")]


# ----------------------------------------------------------------------- lag and failure


def test_a_replica_lagging_past_the_bound_is_skipped(records, paused, settings):
    settings.DATABASE_REPLICA_MAX_LAG = 0.5
    ActorFactory(slug="mongolia", name="Mongolia")  # received by the standby, not replayed
    time.sleep(1.2)
    response = APIClient().get("/api/v1/actors/mongolia/")
    assert (response.status_code, response["X-Read-Database"]) == (200, "primary")


def test_healthz_shows_the_lag(records, paused, settings):
    settings.DATABASE_REPLICA_MAX_LAG = 0.5
    ActorFactory(slug="mongolia", name="Mongolia")
    time.sleep(1.2)
    body = APIClient().get("/healthz/").json()
    (replica,) = body["replicas"]
    print(f"\nhealthz with replay paused: {body}")
    assert (replica["name"], replica["used"], replica["lag_seconds"] > 1) == (
        "replica_1",
        False,
        True,
    )


def test_a_replica_stopped_mid_run_costs_no_answer(records, settings):
    if not PGDATA:
        pytest.fail("REPLICA_PGDATA (the standby's data folder) is needed to stop it")
    # The replica's last check stays valid: the requests after the stop reach it first.
    settings.DATABASE_REPLICA_CHECK_SECONDS = 600
    client = APIClient(raise_request_exception=False)
    answers = []
    try:
        for n in range(40):
            if n == 15:
                pg_ctl("stop", "-m", "fast")
            response = client.get(f"/api/v1/exercises/exercise-{n % 4}/")
            answers.append((response.status_code, response["X-Read-Database"]))
    finally:
        pg_ctl("start", "-l", f"{PGDATA}/standby.log")
    wait_for_replay()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until its WAL receiver streams again
        routing.forget_health()
        if routing.usable(REPLICA):
            break
        time.sleep(0.1)
    back = client.get("/api/v1/exercises/")["X-Read-Database"]
    print(
        f"\nreplica stopped after 15 of 40 requests: {answers.count((200, 'replica_1'))} "
        f"answered by the replica, {answers.count((200, 'primary'))} by the primary, "
        f"{sum(code >= 500 for code, _ in answers)} >= 500; after restart: {back}"
    )
    assert (answers, back) == (
        [(200, "replica_1")] * 15 + [(200, "primary")] * 25,
        "replica_1",
    )


# ----------------------------------------------------------------------- the sync feed


def test_the_feed_on_a_replica_holds_back_a_write_open_on_the_primary(records):
    """A saves exercise-0 and stays open; B saves exercise-1 and commits; the standby
    replays B; a consumer syncs from the standby: B waits behind A's horizon there."""
    api = RecordingClient()
    mirror = TokenMirror()
    mirror.sync(api)
    saved, release = threading.Event(), threading.Event()
    writer_a = hold_open(lambda: save_region("exercise-0", "Orenburg"), saved, release)
    assert saved.wait(10)
    save_region("exercise-1", "Arabian Sea")
    wait_for_replay()
    mirror.sync(api)
    held_back = mirror.received
    release.set()
    writer_a.join()
    wait_for_replay()
    mirror.sync(api)
    result = (held_back, mirror.received, differences(mirror.records, full_copy(api)))
    assert (result, set(api.answered_by)) == ((0, 2, (0, 0)), {"replica_1"})


def test_the_feed_on_a_lagging_replica_resumes_exactly(records, paused, settings):
    settings.DATABASE_REPLICA_MAX_LAG = 600
    api = RecordingClient()
    mirror = TokenMirror()
    mirror.sync(api)
    save_region("exercise-2", "Far East")
    ActorFactory(slug="belarus", name="Belarus")
    mirror.sync(api)  # the standby has not replayed either write
    while_lagging = mirror.received
    replica_sql("SELECT pg_wal_replay_resume()::text")
    wait_for_replay()
    mirror.sync(api)
    result = (while_lagging, mirror.received, differences(mirror.records, full_copy(api)))
    assert (result, set(api.answered_by)) == ((0, 2, (0, 0)), {"replica_1"})


# ----------------------------------------------------------------------- the export


@pytest.mark.parametrize(("options", "reader"), [((), REPLICA), (("--primary",), "default")])
def test_export_csv_reads_the_database_it_chose(records, tmp_path, options, reader):
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections[REPLICA]) as replica,
    ):
        call_command("export_csv", str(tmp_path), "--quiet", *options)
    counts = {"default": len(primary), REPLICA: len(replica)}
    other = REPLICA if reader == "default" else "default"
    print(f"\nexport_csv {' '.join(options)}: queries {counts}")
    assert (counts[reader] > 0, counts[other], (tmp_path / "latest").is_symlink()) == (
        True,
        0,
        True,
    )

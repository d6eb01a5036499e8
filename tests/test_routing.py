"""Read replica routing (tracker/routing.py) decided without a standby, on both engines.

The replicas here are names with a made-up lag; tests/test_replicas.py runs the
same code against a real PostgreSQL standby (.ci/run's "Read replicas" step).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.cache.backends.db import DatabaseCache
from django.core.management import call_command
from django.db import OperationalError, transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from tracker import routing
from tracker.models import Exercise

#: The made-up replicas' lag in seconds (None: unreachable), read by routing.replica_lag.
LAGS: dict[str, float | None] = {}


@pytest.fixture
def replicas(monkeypatch):
    """Two replicas, both current, until a test changes LAGS."""
    LAGS.clear()
    LAGS.update({"replica_1": 0.0, "replica_2": 0.0})
    monkeypatch.setattr(routing, "replica_aliases", lambda: list(LAGS))
    monkeypatch.setattr(routing, "replica_lag", lambda alias: LAGS[alias])
    monkeypatch.setattr(routing, "_close", lambda alias: None)
    return LAGS


@pytest.fixture
def factory():
    return RequestFactory()


def no_replica_configured() -> None:
    if settings.DATABASE_REPLICA_URLS:
        pytest.skip("DATABASE_REPLICA_URLS is set: this test is about running without one")


# ------------------------------------------------------------------- without replicas


def test_without_replicas_no_router_is_installed():
    no_replica_configured()
    assert (list(settings.DATABASES), settings.DATABASE_ROUTERS) == (["default"], [])


def test_without_replicas_no_middleware_is_installed():
    no_replica_configured()
    assert "tracker.routing.ReadReplicaMiddleware" not in settings.MIDDLEWARE


@pytest.mark.django_db
def test_without_replicas_answers_name_no_database(api):
    no_replica_configured()
    response = api.get("/api/v1/exercises/")
    assert (response.status_code, response.has_header("X-Read-Database")) == (200, False)


@pytest.mark.django_db
def test_healthz_without_replicas(client):
    no_replica_configured()
    response = client.get("/healthz/")
    assert response.json() == {"primary": True, "max_lag_seconds": 5.0, "replicas": []}


def test_replicas_of_a_sqlite_database_are_refused_at_start_up():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "sinorus.settings_test",
        "DATABASE_REPLICA_URLS": "postgres://reader@replica.example.org/sinorus",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stderr.strip().splitlines()[-1]) == (
        1,
        "Configuration error: DATABASE_REPLICA_URLS needs PostgreSQL: "
        "DATABASE_URL must name the primary.",
    )


# ------------------------------------------------------------------- choosing


def test_an_anonymous_read_goes_to_a_replica(replicas, factory):
    assert routing.choose(factory.get("/api/v1/exercises/")) in {"replica_1", "replica_2"}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_goes_to_the_primary(replicas, factory, method):
    assert routing.choose(getattr(factory, method)("/api/v1/exercises/")) == "default"


def test_the_admin_reads_the_primary(replicas, factory):
    assert routing.choose(factory.get("/admin/tracker/exercise/")) == "default"


def test_a_lagging_replica_is_skipped(replicas, factory):
    replicas["replica_1"] = settings.DATABASE_REPLICA_MAX_LAG + 0.5
    assert {routing.choose(factory.get("/api/v1/exercises/")) for _ in range(20)} == {"replica_2"}


def test_with_every_replica_down_reads_go_to_the_primary(replicas, factory):
    replicas.update({"replica_1": None, "replica_2": None})
    assert routing.choose(factory.get("/api/v1/exercises/")) == "default"


def wrote_request(factory, where: str, proof: str):
    if where == "cookie":
        request = factory.get("/api/v1/exercises/")
        request.COOKIES[routing.WROTE_COOKIE] = proof
        return request
    return factory.get("/api/v1/exercises/", headers={routing.WROTE_HEADER: proof})


def written(factory) -> HttpResponse:
    """The middleware's answer to a write."""
    middleware = routing.ReadReplicaMiddleware(lambda request: HttpResponse(status=201))
    return middleware(factory.post("/api/v1/exercises/"))


@pytest.mark.parametrize("where", ["cookie", "header"])
def test_a_client_that_just_wrote_reads_the_primary(replicas, factory, where):
    proof = written(factory)[routing.WROTE_HEADER]
    assert routing.choose(wrote_request(factory, where, proof)) == "default"


def test_the_answer_to_a_write_sets_the_cookie_for_the_window(replicas, factory):
    cookie = written(factory).cookies[routing.WROTE_COOKIE]
    assert (cookie["max-age"], cookie["httponly"]) == (15, True)


@pytest.mark.parametrize("where", ["cookie", "header"])
def test_a_forged_proof_of_writing_is_ignored(replicas, factory, where):
    request = wrote_request(factory, where, "1:1700000000:forged")
    assert routing.choose(request) != "default"


def test_an_expired_proof_of_writing_is_ignored(replicas, factory, settings):
    proof = written(factory)[routing.WROTE_HEADER]
    settings.DATABASE_READ_YOUR_WRITES_SECONDS = -1
    assert routing.choose(wrote_request(factory, "header", proof)) != "default"


# ------------------------------------------------------------------- the middleware


def failing_on_replicas(request):
    """A view whose query fails on a replica (stopped after its last check)."""
    return HttpResponse(status=503 if routing.read_alias() != "default" else 200)


def test_a_replica_failing_mid_request_is_answered_by_the_primary(replicas, factory, monkeypatch):
    monkeypatch.setattr(routing, "replica_failed", lambda alias: True)
    response = routing.ReadReplicaMiddleware(failing_on_replicas)(factory.get("/api/v1/"))
    assert (response.status_code, response["X-Read-Database"]) == (200, "primary")


def test_a_server_error_not_of_the_replica_is_answered_as_it_is(replicas, factory, monkeypatch):
    # A bug fails on the primary too: no second run, the replica stays in use.
    monkeypatch.setattr(routing, "replica_failed", lambda alias: False)
    replicas["replica_2"] = None
    response = routing.ReadReplicaMiddleware(failing_on_replicas)(factory.get("/api/v1/"))
    assert (response.status_code, response["X-Read-Database"]) == (503, "replica_1")


def test_a_replica_failing_a_request_is_skipped_until_checked_again(factory, monkeypatch):
    monkeypatch.setattr(routing, "replica_aliases", lambda: ["replica_1"])
    monkeypatch.setattr(routing, "_measure", lambda alias: 0.0)
    monkeypatch.setattr(routing, "_close", lambda alias: None)
    routing.forget_health()
    routing.mark_unusable("replica_1")
    assert routing.choose(factory.get("/api/v1/exercises/")) == "default"


def test_the_answer_names_the_replica_and_its_lag(replicas, factory):
    replicas.update({"replica_1": 1.25, "replica_2": None})
    response = routing.ReadReplicaMiddleware(lambda request: HttpResponse())(
        factory.get("/api/v1/exercises/")
    )
    assert (response["X-Read-Database"], response["X-Replica-Lag"]) == ("replica_1", "1.250")


def test_a_streamed_answer_is_read_from_the_chosen_replica(replicas, factory):
    replicas["replica_2"] = None

    def view(request):
        return StreamingHttpResponse(routing.read_alias() for _ in range(2))

    response = routing.ReadReplicaMiddleware(view)(factory.get("/api/v1/exercises/export/"))
    assert b"".join(response.streaming_content) == b"replica_1replica_1"


# ------------------------------------------------------------------- the router

router = routing.ReplicaRouter()


def test_reads_follow_the_request():
    with routing.reading_from("replica_1"):
        assert router.db_for_read(Exercise) == "replica_1"


def test_the_database_cache_is_read_on_the_primary():
    # Throttles write the cache on reads: it lives on the primary only.
    entry = DatabaseCache("tracker_cache", {}).cache_model_class
    with routing.reading_from("replica_1"):
        assert router.db_for_read(entry) == "default"


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_stay_on_the_primary():
    with routing.reading_from("replica_1"), transaction.atomic():
        assert router.db_for_read(Exercise) == "default"


def test_writes_go_to_the_primary():
    with routing.reading_from("replica_1"):
        assert router.db_for_write(Exercise) == "default"


@pytest.mark.parametrize(("alias", "allowed"), [("default", True), ("replica_1", False)])
def test_migrations_run_on_the_primary_only(alias, allowed):
    assert router.allow_migrate(alias, "tracker") is allowed


# ------------------------------------------------------------------- export_csv


@pytest.mark.django_db
def test_export_csv_starts_over_on_the_primary_when_its_replica_fails(monkeypatch, tmp_path):
    from tracker.management.commands import export_csv

    readers, skipped = [], []

    def export(*args, **kwargs):
        readers.append(routing.read_alias())
        if routing.read_alias() != "default":
            raise OperationalError("canceling statement due to conflict with recovery")
        return real_export(*args, **kwargs)

    real_export = export_csv.export_snapshot
    monkeypatch.setattr(export_csv, "export_snapshot", export)
    monkeypatch.setattr(routing, "pick_replica", lambda: "replica_1")
    monkeypatch.setattr(routing, "mark_unusable", skipped.append)
    call_command("export_csv", str(tmp_path), "--quiet")
    assert (readers, skipped, (tmp_path / "latest").is_symlink()) == (
        ["replica_1", "default"],
        ["replica_1"],
        True,
    )

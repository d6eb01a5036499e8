"""Read replicas: which database answers a request's reads (docs/replicas.md).

Installed only when ``DATABASE_REPLICA_URLS`` names at least one PostgreSQL
streaming standby (sinorus/settings.py); without one nothing here runs and
every query goes to ``default`` as before.

* :class:`ReadReplicaMiddleware` chooses one database per request: a replica
  for a safe-method request (GET, HEAD, OPTIONS) outside the admin from a client
  that has not written in the last ``DATABASE_READ_YOUR_WRITES_SECONDS``; the
  primary for everything else. One database for the whole request, so that a
  page (or a sync feed page and the records it shows) is read from one moment.
* :class:`ReplicaRouter` sends that request's reads there; every write, every
  read inside a transaction on the primary, the database cache, sessions and
  login counts go to the primary; migrations run on the primary only.
* A replica that cannot be reached, is not in recovery, or lags more than
  ``DATABASE_REPLICA_MAX_LAG`` seconds is skipped (its state is remembered for
  ``DATABASE_REPLICA_CHECK_SECONDS``). A request that fails with a server error
  because its replica failed (went away mid-request) is answered again by the primary.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator

from django.conf import settings
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

logger = logging.getLogger(__name__)

#: Where the current request's (or command's) reads go.
READ_ALIAS: contextvars.ContextVar[str] = contextvars.ContextVar(
    "tracker_read_alias", default=DEFAULT_DB_ALIAS
)

#: Apps whose tables are read and written on the same request (the database cache,
#: written by throttles on reads; sessions; login failure counts): primary only.
PRIMARY_ONLY_APPS = frozenset({"django_cache", "sessions", "axes"})

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

#: Read-your-writes: set on every answer to a write, sent back by the browser (cookie)
#: or echoed by an API client (header). Signed with a timestamp: it cannot be forged
#: or kept past DATABASE_READ_YOUR_WRITES_SECONDS.
WROTE_COOKIE = "tracker_wrote"
WROTE_HEADER = "X-Tracker-Wrote"
_SIGNER_SALT = "tracker.routing.wrote"

#: A replica's delay behind the primary in seconds; 0 when it has replayed all it received
#: (an idle primary writes nothing, so the last replayed commit may be old on a current
#: replica). NULL when the replica is not in recovery (a promoted server is no replica).
LAG_SQL = """
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN NULL
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
    END
"""

#: alias -> (checked at, lag in seconds or None when unusable), per process.
_health: dict[str, tuple[float, float | None]] = {}


# -- replicas and their lag -------------------------------------------------------------


def replica_aliases() -> list[str]:
    """The configured replicas' database aliases (``replica_1``, ...), in order."""
    return [alias for alias in settings.DATABASES if alias.startswith("replica_")]


def _measure(alias: str) -> float | None:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(LAG_SQL)
            (lag,) = cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("Replica %s unusable: %s", alias, exc)
        _close(alias)
        return None
    if lag is None:
        logger.warning("Replica %s is not in recovery (promoted?): not used", alias)
        return None
    return max(0.0, float(lag))


def _close(alias: str) -> None:
    with contextlib.suppress(DatabaseError):
        connections[alias].close()


def replica_lag(alias: str) -> float | None:
    """Seconds ``alias`` is behind the primary, or None when it cannot be used (cached)."""
    now = time.monotonic()
    checked = _health.get(alias)
    if checked is None or now - checked[0] >= settings.DATABASE_REPLICA_CHECK_SECONDS:
        checked = (now, _measure(alias))
        _health[alias] = checked
    return checked[1]


def mark_unusable(alias: str) -> None:
    """Skip ``alias`` until its next check (it failed a request)."""
    _health[alias] = (time.monotonic(), None)
    _close(alias)


def forget_health() -> None:
    """Measure every replica afresh on next use (tests; after a failover)."""
    _health.clear()


def usable(alias: str) -> bool:
    """Whether ``alias`` answers and is within ``DATABASE_REPLICA_MAX_LAG``."""
    lag = replica_lag(alias)
    return lag is not None and lag <= settings.DATABASE_REPLICA_MAX_LAG


def pick_replica() -> str:
    """A usable replica at random, or the primary (``default``) when there is none."""
    candidates = [alias for alias in replica_aliases() if usable(alias)]
    return random.choice(candidates) if candidates else DEFAULT_DB_ALIAS


def status() -> dict:
    """Every replica's lag and whether reads go to it, for ``/healthz/``."""
    return {
        "max_lag_seconds": settings.DATABASE_REPLICA_MAX_LAG,
        "replicas": [
            {"name": alias, "lag_seconds": replica_lag(alias), "used": usable(alias)}
            for alias in replica_aliases()
        ],
    }


@contextlib.contextmanager
def reading_from(alias: str) -> Iterator[str]:
    """Send the block's reads to ``alias`` (commands: ``export_csv``)."""
    token = READ_ALIAS.set(alias)
    try:
        yield alias
    finally:
        READ_ALIAS.reset(token)


def read_alias() -> str:
    """The database the current request's or command's reads go to."""
    return READ_ALIAS.get()


# -- the router ------------------------------------------------------------------------


class ReplicaRouter:
    """Reads where the request chose; writes and migrations on the primary."""

    def db_for_read(self, model, **hints) -> str:
        alias = READ_ALIAS.get()
        if alias == DEFAULT_DB_ALIAS or model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        # Reads inside a write transaction must see its writes (and lock with them).
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # Every database holds the same rows (replicas are copies of the primary).
        return True

    def allow_migrate(self, db, app_label, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


# -- the request -----------------------------------------------------------------------


def wrote_recently(request: HttpRequest) -> bool:
    """Whether the client presents a valid, unexpired proof of a recent write."""
    value = request.COOKIES.get(WROTE_COOKIE) or request.headers.get(WROTE_HEADER)
    if not value:
        return False
    try:
        signing.TimestampSigner(salt=_SIGNER_SALT).unsign(
            value, max_age=settings.DATABASE_READ_YOUR_WRITES_SECONDS
        )
    except signing.BadSignature:  # also SignatureExpired
        return False
    return True


def _admin_prefix() -> str:
    return reverse("admin:index")


def choose(request: HttpRequest) -> str:
    """The database that answers ``request``'s reads."""
    if request.method not in SAFE_METHODS:
        return DEFAULT_DB_ALIAS
    if request.path.startswith(_admin_prefix()) or wrote_recently(request):
        return DEFAULT_DB_ALIAS
    return pick_replica()


def replica_failed(alias: str) -> bool:
    """Whether a query on ``alias`` failed in a way that may have broken its connection
    (refused, lost, cancelled); not a bug's error, which the primary would repeat."""
    return connections[alias].errors_occurred


def _streamed(alias: str, content: Iterable) -> Iterator:
    # A streamed answer (CSV) is read after the middleware returns: read it from the
    # same database, one chunk at a time.
    iterator = iter(content)
    while True:
        with reading_from(alias):
            try:
                chunk = next(iterator)
            except StopIteration:
                return
        yield chunk


class ReadReplicaMiddleware:
    """Choose the request's database; mark writers; show where the answer came from."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        alias = choose(request)
        with reading_from(alias):
            response = self.get_response(request)
        if alias != DEFAULT_DB_ALIAS and response.status_code >= 500 and replica_failed(alias):
            # The replica failed (stopped, restarted, a query cancelled by replay) after
            # its last check: safe requests write nothing, so the primary answers again.
            logger.warning("Replica %s failed %s; answered by the primary", alias, request.path)
            mark_unusable(alias)
            alias = DEFAULT_DB_ALIAS
            response = self.get_response(request)
        if response.streaming and alias != DEFAULT_DB_ALIAS:
            response.streaming_content = _streamed(alias, response.streaming_content)
        response["X-Read-Database"] = "primary" if alias == DEFAULT_DB_ALIAS else alias
        if alias != DEFAULT_DB_ALIAS:
            response["X-Replica-Lag"] = f"{replica_lag(alias) or 0.0:.3f}"
        if request.method not in SAFE_METHODS:
            self._mark_writer(response)
        return response

    def _mark_writer(self, response: HttpResponse) -> None:
        proof = signing.TimestampSigner(salt=_SIGNER_SALT).sign("1")
        seconds = settings.DATABASE_READ_YOUR_WRITES_SECONDS
        response[WROTE_HEADER] = proof
        response.set_cookie(
            WROTE_COOKIE,
            proof,
            max_age=seconds,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )


def healthz(request: HttpRequest) -> JsonResponse:
    """``/healthz/``: the primary answers, and each replica's lag (never a host name)."""
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
        primary = True
    except DatabaseError:
        primary = False
    body = {"primary": primary, **status()}
    response = JsonResponse(body, status=200 if primary else 503)
    response["Cache-Control"] = "no-store"
    return response

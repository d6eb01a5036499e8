"""Limits every worker shares: who a request comes from, and how often it may do something.

Counts live in Django's default cache, which settings make shared: the
database cache (the ``tracker_cache`` table, created by ``migrate``) unless
``CACHE_URL`` names Redis. A count kept in one process's memory would let a
client make N requests per worker; a count taken from ``X-Forwarded-For``
without a proxy in front would let it make N per made-up address.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import DEFAULT_DB_ALIAS, connections, transaction

#: The clock counts are kept by (wall time, the same in every process); tests move it.
clock = time.time

#: How long a lock on one count is held at most by a process that died holding it.
LOCK_SECONDS = 5


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_address(request) -> str:
    """The address a request came from, as every per-address limit counts it.

    ``REMOTE_ADDR`` unless ``TRUSTED_PROXY_COUNT`` proxies stand in front of
    the tracker; then the address the outermost of them saw: the
    ``TRUSTED_PROXY_COUNT``-th entry from the right of ``X-Forwarded-For``
    (each proxy appends the address it was called from; entries further left
    came from the client and can be anything). An entry that is no address
    counts as ``REMOTE_ADDR``. The API's throttles and the admin's login
    lockout (``AXES_CLIENT_IP_CALLABLE``) both call this.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    entries = [entry.strip() for entry in forwarded.split(",")]
    chosen = entries[-min(proxies, len(entries))]
    return chosen if _is_address(chosen) else remote


def _lock_id(key: str) -> int:
    """A signed 64-bit number for ``key``, the same in every process (PostgreSQL locks)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def serialized(key: str) -> Iterator[None]:
    """Run the block while no other process runs it for ``key``: a read-count-write is atomic.

    Database cache: one transaction, holding a PostgreSQL advisory lock on the
    key, or on SQLite the write lock every transaction takes when it begins
    (``transaction_mode`` IMMEDIATE, see settings). Other caches: a lock entry
    made with ``add`` (atomic in Redis), released at the end or after
    ``LOCK_SECONDS``.
    """
    backend = caches["default"]
    if isinstance(backend, DatabaseCache):
        # The project has no database routers: the cache table is in the default database.
        with transaction.atomic(using=DEFAULT_DB_ALIAS):
            connection = connections[DEFAULT_DB_ALIAS]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_id(key)])
            yield
        return
    lock = f"{key}:lock"
    deadline = time.monotonic() + LOCK_SECONDS
    acquired = backend.add(lock, 1, timeout=LOCK_SECONDS)
    while not acquired and time.monotonic() < deadline:
        time.sleep(0.005)
        acquired = backend.add(lock, 1, timeout=LOCK_SECONDS)
    try:
        yield
    finally:
        if acquired:
            backend.delete(lock)


@dataclass(frozen=True)
class Window:
    """At most ``count`` events per ``seconds`` for each client, in any such span of time.

    The times of the client's recent events are kept under one cache key;
    an event refused is not counted, so refusals never prolong a wait.
    """

    scope: str
    count: int
    seconds: int

    def _key(self, ident: str) -> str:
        return f"limit:{self.scope}:{ident}"

    def _recent(self, ident: str, now: float) -> list[float]:
        times = caches["default"].get(self._key(ident)) or []
        return [t for t in times if t > now - self.seconds]

    def _wait(self, recent: list[float], now: float) -> int | None:
        if len(recent) < self.count:
            return None
        # Allowed again when the oldest of the last ``count`` events is ``seconds`` old.
        return max(1, math.ceil(recent[-self.count] + self.seconds - now))

    def wait(self, ident: str) -> int | None:
        """Seconds until ``ident`` may have one more event; ``None`` if it may now."""
        now = clock()
        return self._wait(self._recent(ident, now), now)

    def hit(self, ident: str) -> int | None:
        """Count one event for ``ident`` if allowed (``None``); else the seconds to wait."""
        key = self._key(ident)
        with serialized(key):
            now = clock()
            recent = self._recent(ident, now)
            wait = self._wait(recent, now)
            if wait is None:
                caches["default"].set(key, [*recent, now], timeout=self.seconds)
            return wait

"""PostgreSQL prepared statements for the read queries a page repeats with new keys.

A list page's link queries (:class:`tracker.api.readers.IdQuery`) are the same
SQL from page to page but for the keys, and PostgreSQL plans each anew: the
statements page's one query for its links (six subqueries) took 2.3 ms to plan
and about as long to run. Prepared once per connection, it is planned with
each page's keys for its first five runs and then, where that costs no more,
once for all (PostgreSQL's plan cache).

A statement is prepared the second time its SQL runs on a connection, in the
same round trip as its run (``PREPARE ...; EXECUTE ...``), so a connection
used for one request (``CONN_MAX_AGE=0``) never prepares anything and the
query count stays what it was. Prepared statements outlive a rolled back
transaction and end with the connection; a schema change makes PostgreSQL
plan them again, and one that changes a column they return makes it refuse
them: a prepared statement that fails is not run again on that connection,
and outside a transaction its SQL runs as it is at once.

``DATABASE_PREPARED_STATEMENTS=false`` turns this off for a connection pooler
that hands one client's statements to another server connection (PgBouncer in
transaction mode). SQLite and the other engines run the SQL as it is.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import DatabaseError

#: At most this many statements are prepared per connection (each holds its plan in
#: the server process's memory; page lengths alone could make hundreds of them).
LIMIT = 64

#: Django's placeholders, and a literal percent sign as Django escapes it.
PLACEHOLDER = re.compile(r"%%|%s")


def numbered(sql: str) -> str:
    """``sql`` with Django's ``%s`` placeholders as PostgreSQL's ``$1, $2, ...``.

    ``%%`` stays as it is: psycopg2 reads the text of a statement with
    parameters, ``PREPARE`` included, and turns it into ``%``.
    """
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        if match.group() == "%%":
            return "%%"
        count += 1
        return f"${count}"

    return PLACEHOLDER.sub(replace, sql)


def statement_name(sql: str, prefix: str) -> str:
    """The prepared statement's name: the SQL's digest after the connection's prefix."""
    return prefix + hashlib.sha256(sql.encode()).hexdigest()[:24]


class Seen:
    """What one server connection has run and prepared.

    The names carry a prefix of its own: were this record lost while the
    server connection lives on, a statement prepared again takes a new name
    rather than failing on the old one.
    """

    def __init__(self, raw):
        self.raw = raw
        self.prefix = f"tracker_{secrets.token_hex(4)}_"
        #: Statement name -> "seen" (ran once), "prepared", or "plain" (never prepared).
        self.states: dict[str, str] = {}
        self.prepared = 0


def execute(connection, cursor, sql: str, params: Sequence[Any]) -> None:
    """Run ``sql`` with ``params`` on ``cursor`` (of ``connection``), prepared on
    PostgreSQL once it has run before on this connection; fetch from ``cursor``."""
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        cursor.execute(sql, params)
        return
    # Kept with the server connection: a new one (after CONN_MAX_AGE, a failed
    # health check) starts with nothing prepared.
    seen = getattr(connection, "tracker_prepared", None)
    if seen is None or seen.raw is not connection.connection:
        seen = connection.tracker_prepared = Seen(connection.connection)
    name = statement_name(sql, seen.prefix)
    arguments = ", ".join(["%s"] * len(params))
    run = f"EXECUTE {name}({arguments})" if params else f"EXECUTE {name}"
    state = seen.states.get(name)
    if state == "prepared":
        try:
            cursor.execute(run, params)
        except DatabaseError:
            # The statement may be gone (a pooler gave this client another server
            # connection) or refused (a migration changed a column it returns): the
            # SQL runs as it is from now on, at once where no transaction failed with it.
            seen.states[name] = "plain"
            if connection.in_atomic_block:
                raise
            cursor.execute(sql, params)
    elif state == "seen" and seen.prepared < LIMIT:
        # Whether PREPARE took effect is unknown if the statement fails (it outlives
        # the failed transaction if it did): from then on the SQL runs as it is.
        seen.states[name] = "plain"
        cursor.execute(f"PREPARE {name} AS {numbered(sql)}; {run}", params)
        seen.states[name] = "prepared"
        seen.prepared += 1
    else:
        cursor.execute(sql, params)
        if state is None:
            seen.states[name] = "seen"

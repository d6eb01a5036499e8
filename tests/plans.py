"""PostgreSQL's plan for a query, with some ways of running it priced out."""

from __future__ import annotations

from django.db import connection


def plan_of(sql: str, *off: str) -> str:
    """``EXPLAIN sql`` as text, with each planner setting in ``off`` (``"seqscan"``,
    ``"sort"``) turned off for the rest of the test's transaction."""
    with connection.cursor() as cursor:
        for setting in off:
            cursor.execute(f"SET LOCAL enable_{setting} = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())

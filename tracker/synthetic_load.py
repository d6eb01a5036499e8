"""Loading synthetic rows (:mod:`tracker.synthetic`) fast: on PostgreSQL the plain
indexes of the written tables are dropped for the load and rebuilt after it, and
the planner's statistics refreshed. Elsewhere these do nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager

from django.db import connection

from . import models, registry


def synthetic_tables() -> list[str]:
    """The tables ``generate`` writes to."""
    tables = [
        model._meta.db_table
        for model in (*(rt.model for rt in registry.RECORD_TYPES), *registry.LINK_MODELS)
    ]
    tables += [
        getattr(models.Statement, name).through._meta.db_table
        for name in registry.about_relations()
    ]
    return tables


@contextmanager
def indexes_deferred(progress: Callable[[str], None]):
    """On PostgreSQL, drop the plain indexes of the written tables and rebuild them after.

    Building an index once over the loaded rows is many times cheaper than
    updating it on every insert (the trigram GIN indexes above all). Indexes
    that back a constraint (primary keys, unique) stay, so every constraint is
    still enforced while loading. Must run inside a transaction: PostgreSQL's
    DDL is transactional, so a failed load also restores the dropped indexes.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT EXISTS (
                SELECT 1 FROM pg_constraint c
                WHERE c.conindid = format('%%I.%%I', i.schemaname, i.indexname)::regclass
              )
            ORDER BY i.indexname
            """,
            [synthetic_tables()],
        )
        definitions = cursor.fetchall()
        for name, _ in definitions:
            cursor.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cursor:
        # Django's foreign keys are checked at commit; check them now, since
        # PostgreSQL builds no index on a table with checks pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for _, definition in definitions:
            cursor.execute(definition)
    progress(f"indexes rebuilt: {len(definitions)}")


def analyse() -> None:
    """Refresh the planner's statistics (and row estimates) of the written tables."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in synthetic_tables():
            cursor.execute(f'ANALYZE "{table}"')

"""The triggers that keep the charts' counts (:mod:`tracker.chart_counts`), made from its
declaration for PostgreSQL and for SQLite, and put in place after ``migrate``.

PostgreSQL: one function and one trigger per table and event, run once per SQL
statement over its transition tables (``REFERENCING OLD/NEW TABLE``), so a
batch of inserted rows adds one row per group it touches; ``TRUNCATE`` of a
record table drops its counts. SQLite: triggers run once per row; a row
leaving a group counts ``-1`` only while its type has counts at all, so that
emptying the tables one by one (``flush``, in whatever order) leaves none.

A write to a record table adds a row to ``tracker_chartcount``; each trigger
writes only there. Installing compares what the database holds with what this
code makes (PostgreSQL: each trigger's table, event, transition tables, enabled
state and function body; SQLite: each trigger's statement), drops triggers and
functions named like these that the code does not make, and changes nothing
where they agree: a ``migrate`` that changes nothing here takes no lock on the
record tables and counts nothing again.

A later migration that renames or drops a counted column, or that rebuilds
``tracker_chartcount`` or a record table on SQLite (most ``AlterField``\\ s),
must first drop the triggers (``RunPython(chart_triggers.uninstall_operation,
migrations.RunPython.noop)``): they name the columns, and post_migrate puts
them back, as this code then declares them, after the last migration.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connections, router, transaction

from .chart_counts import COLUMNS, PUBLISHED, ROLLUPS, Rollup
from .models import ChartCount

#: Every trigger (and PostgreSQL function) made here starts with this.
PREFIX = "tracker_chart_counts_"
#: The names the values are given in a group's SQL, in order.
GROUP_NAMES = ("year", "precision", "category", "currency", "estimate", "valued", "amount")


@dataclass(frozen=True)
class Trigger:
    """One trigger as made here. ``stored``: what the database keeps of it when it is
    current (PostgreSQL: its function's body and schema, its event, transition tables
    and enabled state; SQLite: its CREATE TRIGGER statement)."""

    name: str
    table: str
    stored: tuple
    create: tuple[str, ...]


def _q(name: str) -> str:
    return f'"{name}"'


def group_sql(rollup: Rollup, row: str, vendor: str) -> list[str]:
    """SQL for one row's group and value (see :data:`GROUP_NAMES`), over the row ``row``.

    The date placing a record is the first start of its ``timeline_dates`` that
    is set, as on the timeline; the precision is that date's.
    """
    names = [start for start, _end in rollup.record_type.timeline_dates]
    starts = [f"{row}.{_q(name)}" for name in names]
    day = starts[0] if len(starts) == 1 else f"COALESCE({', '.join(starts)})"
    if vendor == "postgresql":
        year = f"CAST(EXTRACT(YEAR FROM {day}) AS integer)"
    else:
        year = f"CAST(strftime('%Y', {day}) AS integer)"
    precisions = [f"{row}.{_q(name + '_precision')}" for name in names]
    if len(starts) == 1:
        precision = precisions[0]
    else:
        pairs = zip(starts, precisions, strict=True)
        precision = f"CASE {' '.join(f'WHEN {s} IS NOT NULL THEN {p}' for s, p in pairs)} END"
    category = f"{row}.{_q(rollup.category)}"
    if rollup.value:
        amount, currency, estimate = (f"{row}.{_q(name)}" for name in rollup.value)
        valued = f"CASE WHEN {amount} IS NULL THEN 0 ELSE 1 END"
    else:
        false = "false" if vendor == "postgresql" else "0"
        currency, estimate, valued, amount = "''", false, "0", "CAST(NULL AS numeric)"
    return [year, precision, category, currency, estimate, valued, amount]


def _published(row: str) -> str:
    return f"{row}.\"publication_status\" = '{PUBLISHED}'"


def _counts_columns() -> str:
    return ", ".join(_q(name) for name in (*COLUMNS, "n", "valued", "total"))


def signed_rows(rollup: Rollup, sign: int, table: str, vendor: str) -> str:
    """SELECT of ``sign`` and the group of each published row of ``table``."""
    pairs = zip(group_sql(rollup, "r", vendor), GROUP_NAMES, strict=True)
    exprs = ", ".join(f"{sql} AS {_q(name)}" for sql, name in pairs)
    return f"SELECT {sign} AS sign, {exprs} FROM {table} AS r WHERE {_published('r')}"


def insert_sums(rollup: Rollup, counts_table: str, source: str) -> str:
    """INSERT into the counts of ``source``'s rows (sign, group, valued, amount), summed per group.

    A group whose sums are all zero (a row updated within its group) adds nothing.
    """
    group = ", ".join(_q(name) for name in GROUP_NAMES[:5])
    return (
        f"INSERT INTO {counts_table} ({_counts_columns()}) "
        f"SELECT '{rollup.record_type.key}', {group}, SUM(sign), SUM(sign * valued), "
        f"SUM(sign * amount) FROM ({source}) AS changed GROUP BY {group} "
        "HAVING SUM(sign) <> 0 OR SUM(sign * valued) <> 0 OR COALESCE(SUM(sign * amount), 0) <> 0"
    )


#: PostgreSQL: per event, its transition tables (old, new), the signs of their rows,
#: and ``pg_trigger.tgtype`` of an AFTER ... FOR EACH STATEMENT trigger on it.
_PG_EVENTS = {
    "insert": (None, "new_rows", [(1, "new_rows")], 4),
    "update": ("old_rows", "new_rows", [(-1, "old_rows"), (1, "new_rows")], 16),
    "delete": ("old_rows", None, [(-1, "old_rows")], 8),
    "truncate": (None, None, [], 32),
}


def _postgresql(rollup: Rollup, schema: str) -> list[Trigger]:
    # Everything named with the schema the tables are in: a session with another
    # search_path (a maintenance script, a restore) writes to the same table.
    counts = f"{_q(schema)}.{_q(ChartCount._meta.db_table)}"
    table = f"{_q(schema)}.{_q(rollup.table)}"
    triggers = []
    for event, (old, new, sources, tgtype) in _PG_EVENTS.items():
        name = f"{PREFIX}{rollup.record_type.key}_{event}"
        function = f"{_q(schema)}.{name}"
        if sources:
            rows = " UNION ALL ".join(
                signed_rows(rollup, sign, source, "postgresql") for sign, source in sources
            )
            statement = insert_sums(rollup, counts, rows)
        else:
            statement = f"DELETE FROM {counts} WHERE \"record_type\" = '{rollup.record_type.key}'"
        body = f" BEGIN {statement}; RETURN NULL; END "
        referencing = " ".join(
            f"{kind} TABLE AS {alias}" for kind, alias in (("OLD", old), ("NEW", new)) if alias
        )
        create = (
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $${body}$$",
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} "
            f"{'REFERENCING ' + referencing if referencing else ''} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        )
        stored = (body, schema, name, tgtype, old, new, "O")
        triggers.append(Trigger(name, rollup.table, stored, create))
    return triggers


def _sqlite(rollup: Rollup) -> list[Trigger]:
    counts = _q(ChartCount._meta.db_table)
    key = rollup.record_type.key
    changed = " OR ".join(f"OLD.{_q(c)} IS NOT NEW.{_q(c)}" for c in rollup.columns)
    # Out of a group only while the type has counts: see the module's docstring.
    counted = f"EXISTS (SELECT 1 FROM {counts} WHERE \"record_type\" = '{key}')"
    events = {
        "insert": ("INSERT", "NEW", 1, _published("NEW")),
        "delete": ("DELETE", "OLD", -1, f"{_published('OLD')} AND {counted}"),
        "update_old": ("UPDATE", "OLD", -1, f"{_published('OLD')} AND ({changed}) AND {counted}"),
        "update_new": ("UPDATE", "NEW", 1, f"{_published('NEW')} AND ({changed})"),
    }
    triggers = []
    for event, (action, row, sign, when) in events.items():
        name = f"{PREFIX}{key}_{event}"
        group = group_sql(rollup, row, "sqlite")
        values = [f"'{key}'", *group[:5], str(sign), *(f"{sign} * ({sql})" for sql in group[5:])]
        create = (
            f"CREATE TRIGGER {name} AFTER {action} ON {_q(rollup.table)} WHEN {when} BEGIN "
            f"INSERT INTO {counts} ({_counts_columns()}) VALUES ({', '.join(values)}); END"
        )
        drop = f"DROP TRIGGER IF EXISTS {name}"  # SQLite replaces no trigger
        triggers.append(Trigger(name, rollup.table, (create,), (drop, create)))
    return triggers


def _schema(using: str) -> str:
    """PostgreSQL: the schema the counts table is in (where the tracker's tables are)."""
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.oid = to_regclass(%s)",
            [_q(ChartCount._meta.db_table)],
        )
        (schema,) = cursor.fetchone()
    return schema


def triggers(using: str) -> list[Trigger]:
    """Every trigger the counts need on database ``using``, as this code makes them."""
    if connections[using].vendor == "postgresql":
        schema = _schema(using)
        return [t for rollup in ROLLUPS for t in _postgresql(rollup, schema)]
    return [t for rollup in ROLLUPS for t in _sqlite(rollup)]


def _stored(using: str) -> dict[tuple[str, str], tuple]:
    """The triggers named with :data:`PREFIX` on ``using``: (name, table) to what is
    stored of them (as :attr:`Trigger.stored`)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT t.tgname, c.relname, p.prosrc, pn.nspname, p.proname, t.tgtype, "
                "t.tgoldtable, t.tgnewtable, t.tgenabled FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "JOIN pg_proc p ON p.oid = t.tgfoid "
                "JOIN pg_namespace pn ON pn.oid = p.pronamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = %s AND starts_with(t.tgname, %s)",
                [_schema(using), PREFIX],
            )
            return {(row[0], row[1]): tuple(row[2:]) for row in cursor.fetchall()}
        cursor.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master "
            "WHERE type = 'trigger' AND substr(name, 1, %s) = %s",
            [len(PREFIX), PREFIX],
        )
        return {(name, table): (sql,) for name, table, sql in cursor.fetchall()}


def _functions(using: str) -> set[str]:
    """PostgreSQL: the functions named with :data:`PREFIX` in the tables' schema."""
    if connections[using].vendor != "postgresql":
        return set()
    with connections[using].cursor() as cursor:
        cursor.execute(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = %s AND starts_with(p.proname, %s)",
            [_schema(using), PREFIX],
        )
        return {name for (name,) in cursor.fetchall()}


def _drop(using: str, cursor, triggers: list[tuple[str, str]], functions: set[str]) -> None:
    """Drop ``triggers`` ((name, table) pairs), then PostgreSQL's ``functions``."""
    if connections[using].vendor != "postgresql":
        for name, _table in triggers:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        return
    schema = _q(_schema(using))
    for name, table in triggers:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {schema}.{_q(table)}")
    for name in sorted(functions):
        cursor.execute(f"DROP FUNCTION IF EXISTS {schema}.{name}()")


def install(using: str) -> bool:
    """Put the triggers in place where the database's differ from this code's, and then
    count every published record again. Whether anything changed."""
    connection = connections[using]
    wanted = {(t.name, t.table): t for t in triggers(using)}
    stored = _stored(using)
    stale = [key for key in stored if key not in wanted]
    orphans = _functions(using) - {name for name, _table in wanted}
    outdated = [t for key, t in wanted.items() if stored.get(key) != t.stored]
    if not stale and not orphans and not outdated:
        return False
    with transaction.atomic(using=using), connection.cursor() as cursor:
        _drop(using, cursor, stale, orphans)
        for trigger in outdated:
            for sql in trigger.create:
                cursor.execute(sql)
        rebuild(using)
    return True


def uninstall(using: str) -> None:
    """Drop every trigger (and function) made here, before a migration changes what
    they name."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        _drop(using, cursor, list(_stored(using)), _functions(using))


def uninstall_operation(apps, schema_editor) -> None:
    """:func:`uninstall` as a migration's ``RunPython`` operation."""
    uninstall(schema_editor.connection.alias)


def rebuild(using: str) -> None:
    """Replace every count with one row per group, counted from the records themselves."""
    connection = connections[using]
    table = _q(ChartCount._meta.db_table)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Writers' triggers wait until the new counts are in: no write is counted
            # twice or lost between the delete and the count.
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")
        for rollup in ROLLUPS:
            rows = signed_rows(rollup, 1, _q(rollup.table), connection.vendor)
            cursor.execute(insert_sums(rollup, table, rows))


def keep_counts(sender, using: str = "default", **kwargs) -> None:
    """After ``migrate`` (and ``flush``): the triggers as this code declares them.

    A change to :data:`tracker.chart_counts.ROLLUPS` thus takes effect at the
    next migration, and the counts are made again from the records.
    """
    if not router.allow_migrate_model(using, ChartCount):  # a replica: the primary's copy
        return
    if ChartCount._meta.db_table in connections[using].introspection.table_names():
        install(using)

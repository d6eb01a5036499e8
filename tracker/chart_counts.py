"""Published records per year and category, counted by the database as they are written.

The explorer's charts count every published record by year: grouped on
demand, that read a million statements (680 ms) each time a write emptied
the page cache, and grew with the tracker. Here triggers on each charted
table add a row to ``tracker_chartcount`` for every write that changes a
group (a record published, unpublished, deleted, or moved to another year or
category): ``+n`` for the rows entering a group, ``-n`` for those leaving it.
A chart sums the rows of its record type, a few hundred however many records.

Why triggers rather than the write path: every way a row changes (the admin,
the API, imports, ``bulk_create``, a queryset's ``update()``, cascades, a
migration) passes through the database, not all of them through
``record_save``. Why rows added rather than totals updated: two editors saving
records of the same year would otherwise wait for each other's commit on the
shared total, and a long import would hold every total it touched.

On PostgreSQL each trigger runs once per statement over its transition
tables (a batch of a thousand inserted rows adds one row per group); on
SQLite, once per row. Rows pile up with writes and are merged (:func:`compact`)
when a chart reads more than about twice as many as it has groups.

Which fields a chart groups by is declared once, in :data:`ROLLUPS`; the
triggers' SQL, the rebuild and the reading are made from it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import DatabaseError, connections, router, transaction
from django.db.models import Count, Sum

from . import registry
from .models import ChartCount, PublicationStatus

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rollup:
    """What one chart counts: a record type's published records by year and ``category``.

    ``value``: the (amount, currency, estimate) fields whose amounts are summed
    per currency and estimate flag (an arms deal's value), if any.
    """

    record_type: registry.RecordType
    category: str
    value: tuple[str, str, str] | None = None

    @property
    def table(self) -> str:
        return self.record_type.model._meta.db_table

    @property
    def columns(self) -> list[str]:
        """The record's columns its group depends on (a write changing none changes no count)."""
        columns = ["publication_status", self.category]
        for start, _end in self.record_type.timeline_dates:
            columns += [start, f"{start}_precision"]
        return columns + list(self.value or ())


ROLLUPS = (
    Rollup(registry.EXERCISE, "domain"),
    Rollup(registry.ARMS_DEAL, "scope", ("value_amount", "value_currency", "value_is_estimate")),
    Rollup(registry.STATEMENT, "kind"),
)

#: The counts table's columns a trigger writes, in order.
COLUMNS = ("record_type", "year", "precision", "category", "currency", "estimate")
#: Rows a chart may read beyond twice its groups before they are merged.
COMPACT_SLACK = 1_000

PUBLISHED = PublicationStatus.PUBLISHED.value


def rollup_for(record_type: registry.RecordType) -> Rollup:
    """The rollup counting ``record_type``'s records."""
    return next(rollup for rollup in ROLLUPS if rollup.record_type is record_type)


def _q(name: str) -> str:
    return f'"{name}"'


def _group_sql(rollup: Rollup, row: str, vendor: str) -> list[str]:
    """SQL for one row's group and value, each expression over the row named ``row``:
    year, precision, category, currency, estimate, valued (0 or 1), amount.

    The date placing a record is the first start of its ``timeline_dates`` that is
    set, as on the timeline (``explorer.charts.placing_date``).
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
        arms = " ".join(f"WHEN {start} IS NOT NULL THEN {known}" for start, known in pairs)
        precision = f"CASE {arms} END"
    category = f"{row}.{_q(rollup.category)}"
    if rollup.value:
        amount, currency, estimate = (f"{row}.{_q(name)}" for name in rollup.value)
        valued = f"CASE WHEN {amount} IS NULL THEN 0 ELSE 1 END"
    else:
        currency, estimate, valued, amount = "''", _false(vendor), "0", "CAST(NULL AS numeric)"
    return [year, precision, category, currency, estimate, valued, amount]


def _false(vendor: str) -> str:
    return "false" if vendor == "postgresql" else "0"


def _published(row: str) -> str:
    return f"{row}.\"publication_status\" = '{PUBLISHED}'"


def _insert(rollup: Rollup, source: str) -> str:
    """INSERT of the summed groups of ``source``, rows of (sign, group..., valued, amount)."""
    group = ", ".join(_q(name) for name in COLUMNS[1:])
    return (
        f"INSERT INTO {_q(ChartCount._meta.db_table)} "
        f'({", ".join(_q(name) for name in COLUMNS)}, "n", "valued", "total") '
        f"SELECT '{rollup.record_type.key}', {group}, SUM(sign), SUM(sign * valued), "
        f"SUM(sign * amount) FROM ({source}) AS changed GROUP BY {group} "
        "HAVING SUM(sign) <> 0 OR SUM(sign * valued) <> 0 OR COALESCE(SUM(sign * amount), 0) <> 0"
    )


def _signed_rows(rollup: Rollup, sign: int, table: str, vendor: str) -> str:
    names = ("year", "precision", "category", "currency", "estimate", "valued", "amount")
    pairs = zip(_group_sql(rollup, "r", vendor), names, strict=True)
    exprs = ", ".join(f"{sql} AS {_q(name)}" for sql, name in pairs)
    return f"SELECT {sign} AS sign, {exprs} FROM {table} AS r WHERE {_published('r')}"


def _trigger_name(rollup: Rollup, event: str) -> str:
    return f"tracker_chart_counts_{rollup.record_type.key}_{event}"


#: PostgreSQL: per event, the transition tables a trigger sees and the signs of their rows.
_PG_EVENTS = {
    "insert": ("REFERENCING NEW TABLE AS new_rows", [(1, "new_rows")]),
    "update": (
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        [(-1, "old_rows"), (1, "new_rows")],
    ),
    "delete": ("REFERENCING OLD TABLE AS old_rows", [(-1, "old_rows")]),
}


def _postgresql_sql(rollup: Rollup) -> list[str]:
    statements = []
    for event, (referencing, sources) in _PG_EVENTS.items():
        name = _trigger_name(rollup, event)
        source = " UNION ALL ".join(
            _signed_rows(rollup, sign, table, "postgresql") for sign, table in sources
        )
        statements += [
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_insert(rollup, source)}; RETURN NULL; END $$",
            f"DROP TRIGGER IF EXISTS {name} ON {_q(rollup.table)}",
            f"CREATE TRIGGER {name} AFTER {event.upper()} ON {_q(rollup.table)} {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()",
        ]
    return statements


def _sqlite_sql(rollup: Rollup) -> list[str]:
    changed = " OR ".join(f"OLD.{_q(c)} IS NOT NEW.{_q(c)}" for c in rollup.columns)
    # Per row (SQLite has no statement triggers): the row leaving its group, the row entering one.
    events = {
        "insert": ("INSERT", "NEW", 1, _published("NEW")),
        "delete": ("DELETE", "OLD", -1, _published("OLD")),
        "update_old": ("UPDATE", "OLD", -1, f"{_published('OLD')} AND ({changed})"),
        "update_new": ("UPDATE", "NEW", 1, f"{_published('NEW')} AND ({changed})"),
    }
    statements = []
    for event, (action, row, sign, when) in events.items():
        name = _trigger_name(rollup, event)
        group = _group_sql(rollup, row, "sqlite")
        values = ", ".join(
            [
                f"'{rollup.record_type.key}'",
                *group[:5],
                str(sign),
                *(f"{sign} * ({sql})" for sql in group[5:]),
            ]
        )
        statements += [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} AFTER {action} ON {_q(rollup.table)} WHEN {when} BEGIN "
            f"INSERT INTO {_q(ChartCount._meta.db_table)} "
            f'({", ".join(_q(n) for n in COLUMNS)}, "n", "valued", "total") VALUES ({values}); END',
        ]
    return statements


def trigger_sql(vendor: str) -> list[str]:
    """The statements creating (or replacing) every rollup's triggers on ``vendor``."""
    make = _postgresql_sql if vendor == "postgresql" else _sqlite_sql
    return [sql for rollup in ROLLUPS for sql in make(rollup)]


def drop_sql(vendor: str) -> list[str]:
    """The statements dropping every rollup's triggers (and functions) on ``vendor``."""
    statements = []
    for rollup in ROLLUPS:
        if vendor == "postgresql":
            for event in _PG_EVENTS:
                name = _trigger_name(rollup, event)
                statements += [
                    f"DROP TRIGGER IF EXISTS {name} ON {_q(rollup.table)}",
                    f"DROP FUNCTION IF EXISTS {name}()",
                ]
        else:
            for event in ("insert", "delete", "update_old", "update_new"):
                statements.append(f"DROP TRIGGER IF EXISTS {_trigger_name(rollup, event)}")
    return statements


def install(using: str) -> None:
    """Create or replace the triggers and count every published record again."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        for sql in trigger_sql(connection.vendor):
            cursor.execute(sql)
    rebuild(using)


def uninstall(using: str) -> None:
    """Drop the triggers (before the counts table is dropped)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        for sql in drop_sql(connection.vendor):
            cursor.execute(sql)


def rebuild(using: str) -> None:
    """Replace every count with one row per group, counted from the records themselves."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        table = _q(ChartCount._meta.db_table)
        if connection.vendor == "postgresql":
            # Writers' triggers wait until the new counts are in: none is counted twice
            # or lost between the delete and the count.
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {table}")
        for rollup in ROLLUPS:
            rows = _signed_rows(rollup, 1, _q(rollup.table), connection.vendor)
            cursor.execute(_insert(rollup, rows))


def compact(rollup: Rollup, using: str) -> None:
    """Merge ``rollup``'s rows into one per group (sums unchanged, readers see either form)."""
    connection = connections[using]
    table = _q(ChartCount._meta.db_table)
    key = rollup.record_type.key
    group = ", ".join(_q(name) for name in COLUMNS)
    merged = (
        f'SELECT {group}, SUM("n"), SUM("valued"), SUM("total") FROM {{rows}} '
        f'GROUP BY {group} HAVING SUM("n") <> 0 OR SUM("valued") <> 0 '
        'OR COALESCE(SUM("total"), 0) <> 0'
    )
    into = f'INSERT INTO {table} ({group}, "n", "valued", "total") '
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement: the rows it deletes are the rows it sums. Rows that
            # writers add meanwhile are not in its snapshot and stay; a second
            # compaction at the same time skips the rows this one deleted.
            cursor.execute(
                f'WITH gone AS (DELETE FROM {table} WHERE "record_type" = %s RETURNING *) '
                + into
                + merged.format(rows="gone"),
                [key],
            )
            return
        # SQLite: one writer at a time, so the rows up to the highest key are all there are.
        cursor.execute(f'SELECT MAX("id") FROM {table} WHERE "record_type" = %s', [key])
        (last,) = cursor.fetchone()
        if last is None:
            return
        rows = f'(SELECT * FROM {table} WHERE "record_type" = %s AND "id" <= %s)'
        cursor.execute(into + merged.format(rows=rows), [key, last])
        cursor.execute(f'DELETE FROM {table} WHERE "record_type" = %s AND "id" <= %s', [key, last])


def compact_all(using: str) -> None:
    """Merge every rollup's rows (after a bulk load)."""
    for rollup in ROLLUPS:
        compact(rollup, using)


def grouped_counts(rollup: Rollup) -> list[dict]:
    """The published records of ``rollup``'s type per group, as the charts read them.

    Each row: ``chart_year``, ``chart_precision``, the category field's value,
    ``n``; for a rollup of values also the currency and estimate fields' values
    and ``total`` (None where no record of the group gives a value). Rows are
    merged afterwards (on the primary database) when they have piled up.
    """
    rows = list(
        ChartCount.objects.filter(record_type=rollup.record_type.key)
        .order_by()
        .values(*COLUMNS[1:])
        .annotate(
            records=Sum("n"), valued_records=Sum("valued"), amount=Sum("total"), added=Count("pk")
        )
    )
    groups = []
    for row in rows:
        if not row["records"]:
            continue
        group = {
            "chart_year": row["year"],
            "chart_precision": row["precision"],
            rollup.category: row["category"],
        }
        if rollup.value:
            _amount, currency, estimate = rollup.value
            group.update({currency: row["currency"], estimate: row["estimate"]})
        group["n"] = row["records"]
        if rollup.value:
            group["total"] = row["amount"] if row["valued_records"] else None
        groups.append(group)
    if sum(row["added"] for row in rows) > 2 * len(rows) + COMPACT_SLACK:
        using = router.db_for_write(ChartCount)
        try:
            compact(rollup, using)
        except DatabaseError:  # the chart is right either way; merging can wait
            logger.exception("Merging the chart counts of %s failed", rollup.record_type.key)
    return groups


def keep_counts(sender, using: str = "default", **kwargs) -> None:
    """After ``migrate`` (and ``flush``): triggers as this code declares them, counts rebuilt.

    A change to :data:`ROLLUPS` thus takes effect at the next migration, and
    counts a flush leaves start again from the records (SQLite empties the
    tables one by one, in no set order: records deleted after the counts
    leave their triggers' rows).
    """
    if not router.allow_migrate_model(using, ChartCount):  # a replica: the primary's copy
        return
    if ChartCount._meta.db_table in connections[using].introspection.table_names():
        install(using)

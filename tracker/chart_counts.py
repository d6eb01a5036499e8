"""Published records per year and category, counted by the database as they are written.

The explorer's charts count every published record by year: grouped on
demand, that read a million statements (680 ms) each time a write emptied
the page cache, and grew with the tracker. Here triggers on each charted
table (:mod:`tracker.chart_triggers`) add a row to ``tracker_chartcount`` for
every write that changes a group (a record published, unpublished, deleted,
or moved to another year or category): ``+n`` for the rows entering a group,
``-n`` for those leaving it. A chart sums the rows of its record type, a few
hundred however many records.

Why triggers rather than the write path: every way a row changes (the admin,
the API, imports, ``bulk_create``, a queryset's ``update()``, cascades, a
data migration) passes through the database, not all of them through
``record_save``. Why rows added rather than totals updated: two editors saving
records of the same year would otherwise wait for each other's commit on the
shared total, and a long import would hold every total it touched.

Rows pile up with writes; after a charted record's ``save()`` or ``delete()``
commits, its type's rows are merged (:func:`compact`) once they outnumber twice
its groups by :data:`COMPACT_SLACK`. A queryset's ``update()`` and
``bulk_create`` send no signal: their rows wait for the type's next save
(``generate_synthetic`` merges after its load). Reading never writes.

Which fields a chart groups by is declared once, in :data:`ROLLUPS`; the
triggers, the recount and the reading are made from it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import Sum
from django.db.models.signals import post_delete, post_save

from . import registry
from .models import ChartCount, PublicationStatus


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

#: The counts table's columns naming a group, in order.
COLUMNS = ("record_type", "year", "precision", "category", "currency", "estimate")
#: Rows a type may have beyond twice its groups before they are merged.
COMPACT_SLACK = 1_000
#: Seconds between two looks, in one process, at whether a type's rows need merging.
COMPACT_CHECK_SECONDS = 60

PUBLISHED = PublicationStatus.PUBLISHED.value


def rollup_for(record_type: registry.RecordType) -> Rollup:
    """The rollup counting ``record_type``'s records."""
    return next(rollup for rollup in ROLLUPS if rollup.record_type is record_type)


def grouped_counts(rollup: Rollup) -> list[dict]:
    """The published records of ``rollup``'s type per group, as the charts read them.

    Each row: ``chart_year``, ``chart_precision``, the category field's value;
    for a rollup of values, the currency and estimate fields' values; ``n``;
    for a rollup of values, ``total`` (None where no record of the group gives
    a value). One query, of the counts (a few hundred rows), not the records.
    """
    rows = (
        ChartCount.objects.filter(record_type=rollup.record_type.key)
        .order_by()
        .values(*COLUMNS[1:])
        .annotate(records=Sum("n"), valued_records=Sum("valued"), amount=Sum("total"))
    )
    groups = []
    for row in rows:
        if not row["records"]:  # every record of the group left it
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
    return groups


def compact(rollup: Rollup, using: str) -> None:
    """Merge ``rollup``'s rows into one per group (sums unchanged, readers see either form)."""
    connection = connections[using]
    table = f'"{ChartCount._meta.db_table}"'
    key = rollup.record_type.key
    group = ", ".join(f'"{name}"' for name in COLUMNS)
    # A group whose records all left it is dropped (its total is zero then, but
    # SQLite's sums of decimals are floats, which may leave a remainder).
    merged = (
        f'SELECT {group}, SUM("n"), SUM("valued"), SUM("total") FROM {{rows}} '
        f'GROUP BY {group} HAVING SUM("n") <> 0 OR SUM("valued") <> 0'
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


def is_piled_up(rollup: Rollup, using: str) -> bool:
    """Whether ``rollup``'s rows outnumber twice its groups by :data:`COMPACT_SLACK`."""
    rows = ChartCount.objects.using(using).filter(record_type=rollup.record_type.key)
    number = rows.count()
    if number <= 2 + COMPACT_SLACK:  # at least one group
        return False
    groups = rows.order_by().values(*COLUMNS[1:]).distinct().count()
    return number > 2 * groups + COMPACT_SLACK


#: When this process last looked at each (database, record type): an import
#: saving a thousand records asks once, not a thousand times.
_looked_at: dict[tuple[str, str], float] = {}


def compact_if_piled_up(rollup: Rollup, using: str) -> None:
    """:func:`compact` where rows have piled up, looked at once a minute at most."""
    now = time.monotonic()
    key = (using, rollup.record_type.key)
    if now - _looked_at.get(key, -COMPACT_CHECK_SECONDS) < COMPACT_CHECK_SECONDS:
        return
    _looked_at[key] = now
    if is_piled_up(rollup, using):
        compact(rollup, using)


def record_written(sender, instance, using: str = "default", **kwargs) -> None:
    """A charted record was saved or deleted: once that commits, merge its type's rows
    if they have piled up (in a transaction of its own; a failure is logged, the
    write stands)."""
    rollup = next(r for r in ROLLUPS if r.record_type.model is sender)

    # A function of its own (not a functools.partial): Django names the callback
    # by its __qualname__ when it logs a robust callback's failure.
    def merge_piled_up_counts() -> None:
        compact_if_piled_up(rollup, using)

    transaction.on_commit(merge_piled_up_counts, using=using, robust=True)


for _rollup in ROLLUPS:
    for _signal in (post_save, post_delete):
        _signal.connect(
            record_written,
            sender=_rollup.record_type.model,
            dispatch_uid=f"chart_counts_{_rollup.record_type.key}",
        )

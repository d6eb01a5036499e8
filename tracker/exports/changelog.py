"""``CHANGES.csv``: the records added, changed and deleted since the previous snapshot.

A snapshot (:mod:`tracker.exports.snapshot`) records each row of its record
files as it writes them; :class:`ChangeLog` compares them with the previous
snapshot's files, column by column, and writes one line per difference.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from ..models import DeletedRecord
from .cells import CSV_FIELD_LIMIT, DELIMITER, csv_writer, format_cell, open_csv
from .files import record_tables
from .tables import Table

#: Rows written to the change-log database per batch.
DIFF_BATCH = 5000

#: The columns of CHANGES.csv, as the data package describes them.
CHANGES_COLUMNS = [
    {
        "name": "change",
        "type": "string",
        "description": "added, changed or deleted since the previous snapshot.",
        "constraints": {"required": True, "enum": ["added", "changed", "deleted"]},
    },
    {
        "name": "file",
        "type": "string",
        "description": "The file the record is (or was) in, without .csv.",
        "constraints": {"required": True},
    },
    {
        "name": "slug",
        "type": "string",
        "description": "The record's stable public identifier.",
        "constraints": {"required": True},
    },
    {
        "name": "columns",
        "type": "string",
        "description": f"For changes: the columns whose value changed, joined with “{DELIMITER}”.",
    },
    {
        "name": "deleted_at",
        "type": "datetime",
        "description": "For deletions: when the record was deleted (UTC), if recorded.",
    },
]


def _row_json(header: list[str], row: list[str]) -> str:
    # Keyed by column name, so a reordered column is not a change; a short row
    # in an old file simply lacks its last columns.
    return json.dumps(dict(zip(header, row, strict=False)), ensure_ascii=False)


class ChangeLog:
    """Compares the record files of this snapshot with those of the previous one.

    Rows are keyed by (file, slug) in a throwaway SQLite file inside the
    temporary snapshot folder, so comparing a million rows takes disk, not
    memory.
    """

    def __init__(self, workdir: Path):
        self.path = workdir / ".changes.sqlite3"
        self.db = sqlite3.connect(self.path)
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE previous (file TEXT, slug TEXT, row TEXT, PRIMARY KEY (file, slug));
            CREATE TABLE current (file TEXT, slug TEXT, row TEXT, PRIMARY KEY (file, slug));
            """
        )
        self._pending: list[tuple[str, str, str]] = []

    def load_previous(self, snapshot: Path | None) -> None:
        """Read the record files of the previous snapshot, if there is one."""
        if snapshot is None:
            return
        # A cell may be longer than the csv module's default limit (131,072
        # characters): a joined link column of a large record, or a text stored
        # before the input limit existed. The previous snapshot is ours to read.
        csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
        for table in record_tables():
            path = snapshot / f"{table.name}.csv"
            if not path.exists():
                continue
            with open(path, encoding="utf-8-sig", newline="") as stream:
                reader = csv.reader(stream)
                header = next(reader, None)
                if not header or "slug" not in header:
                    continue
                slug_index = header.index("slug")
                batch = []
                for row in reader:
                    batch.append((table.name, row[slug_index], _row_json(header, row)))
                    if len(batch) >= DIFF_BATCH:
                        self.db.executemany("INSERT INTO previous VALUES (?, ?, ?)", batch)
                        batch.clear()
                self.db.executemany("INSERT INTO previous VALUES (?, ?, ?)", batch)

    def recorder(self, table: Table) -> Callable[[list[str]], None]:
        """A callback that records each row of ``table`` as it is written."""
        header = table.header()
        slug_index = header.index("slug")

        def record(row: list[str]) -> None:
            self._pending.append((table.name, row[slug_index], _row_json(header, row)))
            if len(self._pending) >= DIFF_BATCH:
                self.flush()

        return record

    def flush(self) -> None:
        """Write the rows recorded so far."""
        self.db.executemany("INSERT INTO current VALUES (?, ?, ?)", self._pending)
        self._pending.clear()

    def write(self, path: Path, excel: bool) -> dict[str, int]:
        """Write CHANGES.csv, ordered by file then slug; return counts per kind of change."""
        self.flush()
        order = {table.name: index for index, table in enumerate(record_tables())}
        counts = {"added": 0, "changed": 0, "deleted": 0}
        tombstones = self._tombstones()
        with open_csv(path, excel) as stream:
            writer = csv_writer(stream)
            writer.writerow([column["name"] for column in CHANGES_COLUMNS])
            for file in sorted(order, key=order.get):
                rows = self.db.execute(
                    """
                    SELECT c.slug, p.row, c.row FROM current c
                    LEFT JOIN previous p ON p.file = c.file AND p.slug = c.slug
                    WHERE c.file = ? AND (p.row IS NULL OR p.row != c.row)
                    UNION ALL
                    SELECT p.slug, p.row, NULL FROM previous p
                    LEFT JOIN current c ON c.file = p.file AND c.slug = p.slug
                    WHERE p.file = ? AND c.slug IS NULL
                    ORDER BY 1
                    """,
                    (file, file),
                )
                for slug, before, after in rows:
                    if before is None:
                        change, columns, deleted_at = "added", [], None
                    elif after is None:
                        change, columns = "deleted", []
                        deleted_at = tombstones.get((file, slug))
                    else:
                        old, new = json.loads(before), json.loads(after)
                        columns = [name for name in new if old.get(name) != new[name]]
                        columns += [name for name in old if name not in new]
                        if not columns:
                            continue
                        change, deleted_at = "changed", None
                    counts[change] += 1
                    writer.writerow(
                        [change, file, slug, DELIMITER.join(columns), format_cell(deleted_at)]
                    )
        return counts

    def _tombstones(self) -> dict[tuple[str, str], dt.datetime]:
        # Only the tombstones of slugs that disappeared are needed: one query
        # per record file, however many deletions.
        files = {table.model.record_type(): table.name for table in record_tables()}
        gone: dict[str, list[str]] = {}
        for file, slug in self.db.execute(
            """SELECT p.file, p.slug FROM previous p
               LEFT JOIN current c ON c.file = p.file AND c.slug = p.slug
               WHERE c.slug IS NULL"""
        ):
            gone.setdefault(file, []).append(slug)
        found: dict[tuple[str, str], dt.datetime] = {}
        for record_type, file in files.items():
            slugs = gone.get(file, [])
            for start in range(0, len(slugs), 500):
                for slug, deleted_at in DeletedRecord.objects.filter(
                    record_type=record_type, slug__in=slugs[start : start + 500]
                ).values_list("slug", "deleted_at"):
                    found[(file, slug)] = deleted_at
        return found

    def close(self) -> None:
        """Close and remove the comparison database."""
        self.db.close()
        self.path.unlink(missing_ok=True)

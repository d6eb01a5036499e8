"""Dated, complete, validated snapshots of the whole database as a CSV data package.

A run writes every file of :mod:`tracker.exports.files` into a hidden
temporary folder inside OUTDIR (same filesystem, so the final rename is
atomic), adds ``datapackage.json`` and ``CHANGES.csv``
(:mod:`tracker.exports.changelog`), renames the folder to
its dated name and only then moves the ``latest`` symlink. A reader therefore
sees either the previous complete snapshot or the new complete one, never a
half-written file, and a run that fails leaves everything as it was.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connections, router, transaction
from django.utils import timezone

from ..models import DeletedRecord
from .cells import CSV_FIELD_LIMIT, EMPTY, csv_writer, format_cell, open_csv
from .changelog import CHANGES_COLUMNS, ChangeLog
from .files import TABLES
from .sql import can_copy, copy_table
from .tables import Table

#: Name of the symlink pointing at the newest complete snapshot.
LATEST = "latest"
#: Name of the change log inside each snapshot.
CHANGES_FILE = "CHANGES.csv"
#: Snapshot folders are named for the UTC time the run started.
SNAPSHOT_NAME_FORMAT = "%Y-%m-%dT%H%M%SZ"
SNAPSHOT_NAME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}Z(-\d+)?$")
TEMP_PREFIX = ".tmp-"
LOCK_FILE = ".export.lock"
#: Called with (file stem, rows written so far, finished?) for progress displays.
Progress = Callable[[str, int, bool], None]


class ExportError(Exception):
    """An export could not run (another run holds the lock, bad options)."""


@dataclass
class SnapshotResult:
    """What a run produced."""

    path: Path
    row_counts: dict[str, int] = field(default_factory=dict)
    changes: dict[str, int] = field(default_factory=dict)
    pruned: list[str] = field(default_factory=list)


# --- Writing ----------------------------------------------------------------------


@contextlib.contextmanager
def consistent_read() -> Iterator[None]:
    """One transaction for the whole snapshot, so every file shows the same moment.

    On PostgreSQL the transaction is REPEATABLE READ (and READ ONLY): every
    query sees the database as it was at the first one, so a link file never
    names a record that the main file lacks. SQLite's transactions are
    serializable already. Inside an existing transaction (a caller's, or a
    test's) the snapshot shares that transaction's view. The transaction is
    opened on the database the reads go to (a read replica when ``export_csv``
    chose one: tracker.routing), which is ``default`` otherwise.
    """
    alias = router.db_for_read(DeletedRecord)
    connection = connections[alias]
    if connection.in_atomic_block:
        with transaction.atomic(using=alias):
            yield
        return
    with transaction.atomic(using=alias):
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Must be the transaction's first statement.
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def write_table(
    table: Table,
    path: Path,
    *,
    excel: bool = False,
    progress: Progress | None = None,
    on_row: Callable[[list[str]], None] | None = None,
    python_only: bool = False,
) -> int:
    """Write every row of ``table`` that the public may see to ``path``; return the number
    of rows.

    On PostgreSQL a table whose columns all compile to SQL is written by one
    COPY (:mod:`tracker.exports.sql`, byte-identical to the Python path); the
    change log then reads the rows back from the file.
    """
    if not python_only and can_copy(table):
        with open(path, "wb") as out:
            count = copy_table(table, out, bom=excel, public=True)
        if on_row is not None:
            csv.field_size_limit(max(csv.field_size_limit(), CSV_FIELD_LIMIT))
            with open(path, encoding="utf-8-sig", newline="") as stream:
                reader = csv.reader(stream)
                next(reader)
                for row in reader:
                    on_row(row)
        if progress is not None:
            progress(table.name, count, True)
        return count
    count = 0
    with open_csv(path, excel) as stream:
        writer = csv_writer(stream)
        writer.writerow(table.header())
        # The data package is public: published records only (tracker.public).
        for row in table.iter_rows(public=True):
            writer.writerow(row)
            if on_row is not None:
                on_row(row)
            count += 1
            if progress is not None and count % 10000 == 0:
                progress(table.name, count, False)
    if progress is not None:
        progress(table.name, count, True)
    return count


# --- The data package -------------------------------------------------------------


def datapackage(snapshot_name: str, created: dt.datetime, excel: bool) -> dict[str, Any]:
    """The Frictionless Data Package descriptor of one snapshot."""
    encoding = "utf-8-sig" if excel else "utf-8"

    def resource(name, title, description, schema):
        return {
            "name": name,
            "type": "table",
            "path": f"{name}.csv" if name != "changes" else CHANGES_FILE,
            "scheme": "file",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": encoding,
            "title": title,
            "description": description,
            "schema": schema,
        }

    resources = [
        resource(table.name, table.title, table.description, table.schema())
        for table in TABLES.values()
    ]
    resources.append(
        resource(
            "changes",
            "Changes",
            "Records added, changed and deleted since the previous snapshot.",
            {
                "fields": CHANGES_COLUMNS,
                "primaryKey": ["file", "slug"],
                "missingValues": [EMPTY],
            },
        )
    )
    return {
        "name": "sino-russian-military-cooperation",
        "title": "Sino-Russian military cooperation tracker",
        "description": "Agreements, joint exercises, arms deals, statements, actors and the "
        "sources they cite, one CSV file per record type and per link table.",
        "version": snapshot_name,
        "created": format_cell(created),
        "resources": resources,
    }


# --- Snapshot folders -------------------------------------------------------------


def snapshots(outdir: Path) -> list[Path]:
    """The complete snapshot folders in ``outdir``, oldest first."""
    if not outdir.is_dir():
        return []
    return sorted(
        (p for p in outdir.iterdir() if p.is_dir() and SNAPSHOT_NAME_RE.match(p.name)),
        key=_snapshot_order,
    )


def _snapshot_order(path: Path) -> tuple[str, int]:
    # Runs within one second get -2, -3 ...: sort "-10" after "-9".
    base, _, suffix = path.name.partition("Z")
    return (base, int(suffix.lstrip("-") or 1))


def latest_snapshot(outdir: Path) -> Path | None:
    """The snapshot ``latest`` points at, if any."""
    link = outdir / LATEST
    if link.is_symlink() and link.resolve().is_dir():
        return link.resolve()
    return None


def _new_snapshot_name(outdir: Path, now: dt.datetime) -> str:
    base = now.astimezone(dt.UTC).strftime(SNAPSHOT_NAME_FORMAT)
    # Numbered after every run of the same second, even pruned ones' survivors,
    # so the newest run always sorts last.
    taken = [
        _snapshot_order(path)[1]
        for path in outdir.iterdir()
        if path.name == base or path.name.startswith(f"{base}-")
    ]
    if not taken:
        return base
    return f"{base}-{max(taken) + 1}"


def _point_latest(outdir: Path, name: str) -> None:
    # A new symlink renamed over the old one: readers never find no "latest".
    temp = outdir / f"{TEMP_PREFIX}{LATEST}-{os.getpid()}"
    temp.unlink(missing_ok=True)
    os.symlink(name, temp)
    os.replace(temp, outdir / LATEST)


def prune(outdir: Path, keep: int) -> list[str]:
    """Delete all but the ``keep`` newest snapshots (never the one ``latest`` names)."""
    if keep < 1:
        raise ExportError("--keep must be at least 1.")
    current = latest_snapshot(outdir)
    removed = []
    for path in snapshots(outdir)[:-keep]:
        if current is not None and path.resolve() == current:
            continue
        shutil.rmtree(path)
        removed.append(path.name)
    return removed


@contextlib.contextmanager
def _exclusive(outdir: Path) -> Iterator[None]:
    with open(outdir / LOCK_FILE, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ExportError(f"Another export into {outdir} is running.") from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _remove_leftovers(outdir: Path) -> None:
    # Temporary folders of runs that were killed; we hold the lock, so none is live.
    for path in outdir.iterdir():
        if path.name.startswith(TEMP_PREFIX):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def export_snapshot(
    outdir: Path | str,
    *,
    keep: int | None = None,
    excel: bool = False,
    progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> SnapshotResult:
    """Write a complete snapshot into ``outdir`` and point ``latest`` at it.

    Raises :class:`ExportError` for a bad option or a concurrent run; any
    other failure propagates after the temporary folder is removed, leaving
    the previous snapshot and ``latest`` untouched.
    """
    if keep is not None and keep < 1:
        raise ExportError("--keep must be at least 1.")
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with _exclusive(outdir):
        _remove_leftovers(outdir)
        now = now or timezone.now()
        name = _new_snapshot_name(outdir, now)
        workdir = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=outdir))
        result = SnapshotResult(path=outdir / name)
        try:
            changes = ChangeLog(workdir)
            try:
                changes.load_previous(latest_snapshot(outdir))
                with consistent_read():
                    for table in TABLES.values():
                        result.row_counts[table.name] = write_table(
                            table,
                            workdir / f"{table.name}.csv",
                            excel=excel,
                            progress=progress,
                            on_row=changes.recorder(table) if table.is_record_file else None,
                        )
                    result.changes = changes.write(workdir / CHANGES_FILE, excel)
            finally:
                changes.close()
            descriptor = datapackage(name, now, excel)
            with open(workdir / "datapackage.json", "w", encoding="utf-8") as stream:
                json.dump(descriptor, stream, indent=2, ensure_ascii=False)
                stream.write("\n")
            os.chmod(workdir, 0o755)  # mkdtemp makes it private; snapshots are public
            os.rename(workdir, result.path)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        _point_latest(outdir, name)
        if keep is not None:
            result.pruned = prune(outdir, keep)
    return result

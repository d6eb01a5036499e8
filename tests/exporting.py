"""Helpers of the export tests: a snapshot written at a known time, and its files read back."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from tracker.exports import snapshot

T0 = dt.datetime(2026, 1, 1, 3, 0, tzinfo=dt.UTC)


def at(hours: int) -> dt.datetime:
    """A run time ``hours`` after T0, so snapshot names are known in advance."""
    return T0 + dt.timedelta(hours=hours)


def read_csv(path: Path) -> list[dict[str, str]]:
    """A CSV file as dicts, read with the csv module."""
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def export(outdir: Path, hours: int = 0, **options) -> snapshot.SnapshotResult:
    """A snapshot of the database written to ``outdir`` as if at ``at(hours)``."""
    return snapshot.export_snapshot(outdir, now=at(hours), **options)


def tree(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` with its content, to prove nothing changed."""
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()
    }

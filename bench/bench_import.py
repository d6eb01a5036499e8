"""Benchmark: preview and apply an import of 10,000 rows, and print the times.

Usage (from the project root, with the virtualenv active)::

    python bench/bench_import.py                         # throwaway SQLite file
    DATABASE_URL="postgres://..." python bench/bench_import.py --reset
    python bench/bench_import.py --rows 1000             # a smaller run

With ``DATABASE_URL`` set the database is migrated and its tracker tables
must be empty, or ``--reset`` empties them first (never point it at real
data). Three runs over one ``exercises.csv`` in the export's format (dates in
words, participants and cited sources by slug): the file creating ``--rows``
new exercises, the same file again (every row unchanged), and the export of
those exercises with one cell changed in every row (every row a change).
Each is previewed, then applied (one transaction, one revision); the times
of both and the queries they made are printed.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="Rows in the file.")
    parser.add_argument(
        "--reset", action="store_true", help="Empty the tracker tables of DATABASE_URL first."
    )
    return parser.parse_args()


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinorus.settings_test")
    sys.path.insert(0, str(ROOT))
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ},
        check=True,
    )
    import django

    django.setup()


def prepare(reset: bool) -> None:
    """Empty tables (with ``--reset``), then 50 actors and 20 sources to link to."""
    from django.db import connection
    from reversion.models import Revision, Version

    from tracker.internals import delete_rows_raw
    from tracker.models import Actor, Change, Import, Source
    from tracker.registry import LINK_MODELS, RECORD_TYPES

    tables = [*LINK_MODELS, *(rt.model for rt in reversed(RECORD_TYPES))]
    statement = next(rt.model for rt in RECORD_TYPES if rt.key == "statement")
    through = [
        statement._meta.get_field(rt.about).remote_field.through for rt in RECORD_TYPES if rt.about
    ]
    if any(m.objects.exists() for m in tables):
        if not reset:
            sys.exit("The database holds tracker rows; pass --reset to empty it first.")
        for model in [Import, Change, *through, *tables, Version, Revision]:
            delete_rows_raw(model.objects.using(connection.alias).all())
    Actor.objects.bulk_create(
        Actor(slug=f"actor-{i}", name=f"Actor {i}", kind="state") for i in range(50)
    )
    Source.objects.bulk_create(
        Source(slug=f"source-{i}", title=f"Source {i}", kind="news") for i in range(20)
    )


def new_exercises(rows: int) -> bytes:
    """``exercises.csv`` creating ``rows`` exercises, in the export's header."""
    from tracker.exports.files import TABLES

    header = TABLES["exercises"].header()
    months = ("January", "March", "September", "November")
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\r\n")
    writer.writeheader()
    for i in range(rows):
        writer.writerow(
            {
                "slug": f"exercise-{i}",
                "name": f"Exercise {i}",
                "series": "",
                "domain": ("naval", "land", "air")[i % 3],
                "start_date_display": f"{months[i % 4]} {2000 + i % 20}",
                "location": f"Range {i % 97}",
                "participants": f"actor-{i % 50}|actor-{(i + 1) % 50}",
                "sources": f"source-{i % 20}",
                "summary": "What happened, in a sentence.",
            }
        )
    return out.getvalue().encode()


def exported_with_a_change() -> bytes:
    """The exercises as the export writes them, ``location`` changed in every row."""
    from tracker.exports import csv_stream
    from tracker.models import Exercise

    rows = list(csv.reader(io.StringIO("".join(csv_stream(Exercise)), newline="")))
    column = rows[0].index("location")
    for row in rows[1:]:
        row[column] += " (moved)"
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode()


class QueryCounter:
    """Counts the queries run while it is installed (``connection.execute_wrapper``)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def measure(label: str, data: bytes) -> None:
    from django.db import connection

    from tracker import imports

    preview_queries, apply_queries = QueryCounter(), QueryCounter()
    with connection.execute_wrapper(preview_queries):
        started = time.perf_counter()
        plan = imports.preview("exercises.csv", data)
        previewed = time.perf_counter() - started
    assert not plan.refused, [row.reasons for row in plan.refused[:3]]
    with connection.execute_wrapper(apply_queries):
        started = time.perf_counter()
        imports.apply_plan(plan)
        applied = time.perf_counter() - started
    print(
        f"{label:<26} {len(plan.rows):>6,} rows: {plan.summary()}; "
        f"preview {previewed:.2f} s ({preview_queries.count:,} queries), "
        f"apply {applied:.2f} s ({apply_queries.count:,} queries)",
        flush=True,
    )


def main() -> None:
    args = parse_args()
    database_url = os.environ.get("DATABASE_URL")
    folder = None
    if not database_url:
        folder = tempfile.mkdtemp(prefix="bench-import-")
        database_url = f"sqlite:///{folder}/bench.sqlite3"
    setup_django(database_url)
    from django.conf import settings
    from django.db import connection

    settings.DEBUG = False
    print(f"Database: {connection.vendor}; {args.rows:,} rows per file")
    prepare(args.reset)
    measure("new exercises", new_exercises(args.rows))
    measure("same file again", new_exercises(args.rows))
    measure("export, one cell per row", exported_with_a_change())


if __name__ == "__main__":
    main()

"""Benchmark: export about a million synthetic rows and print peak memory and rows per second.

Usage (from the project root, with the virtualenv active)::

    python bench/bench_export.py                      # throwaway SQLite file, 1,000,000 rows
    python bench/bench_export.py --rows 100000        # a smaller run, to compare memory
    DATABASE_URL="postgres://..." python bench/bench_export.py --reset

With ``DATABASE_URL`` set the rows are written to that database; ``--reset``
is required to empty its tracker tables first (never point it at real data).
Without it a temporary SQLite file is created and removed afterwards.

The export runs as ``manage.py export_csv`` in a child process, so the peak
memory printed (the child's maximum resident set size) is the command's own,
not this script's, which holds the synthetic rows while creating them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000

#: Share of the rows that each file gets (sums to 1).
SHARES = {
    "actors": 0.02,
    "sources": 0.02,
    "agreements": 0.05,
    "agreement_parties": 0.10,
    "exercises": 0.10,
    "exercise_participants": 0.20,
    "arms_deals": 0.05,
    "arms_deal_contractors": 0.05,
    "statements": 0.10,
    "statement_links": 0.10,
    "citations": 0.21,
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="Total rows to create.")
    parser.add_argument(
        "--reset", action="store_true", help="Empty the tracker tables of DATABASE_URL first."
    )
    parser.add_argument("--keep-files", action="store_true", help="Keep the exported snapshot.")
    return parser.parse_args()


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinorus.settings_test")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def populate(total: int, reset: bool) -> dict[str, int]:
    """Create ``total`` synthetic rows spread over the files by ``SHARES``."""
    from django.db import connection

    from tracker.dates import Precision
    from tracker.internals import delete_rows_raw
    from tracker.models import (
        Actor,
        Agreement,
        AgreementParty,
        ArmsDeal,
        ArmsDealContractor,
        Citation,
        Exercise,
        ExerciseParticipant,
        Source,
        Statement,
    )

    models = [
        Citation,
        AgreementParty,
        ExerciseParticipant,
        ArmsDealContractor,
        Statement.about_actors.through,
        Statement,
        ArmsDeal,
        Exercise,
        Agreement,
        Source,
        Actor,
    ]
    if any(m.objects.exists() for m in models):
        if not reset:
            sys.exit("The database holds tracker rows; pass --reset to empty it first.")
        for model in models:
            delete_rows_raw(model.objects.using(connection.alias).all())

    n = {name: max(1, int(total * share)) for name, share in SHARES.items()}
    now = dt.datetime.now(dt.UTC)
    day = dt.date(2019, 9, 1)

    def bulk(model, objects):
        batch = []
        for obj in objects:
            batch.append(obj)
            if len(batch) >= BATCH:
                model.objects.bulk_create(batch)
                batch.clear()
        model.objects.bulk_create(batch)

    def ids(model):
        return list(model.objects.order_by("pk").values_list("pk", flat=True))

    stamp = {"created_at": now, "updated_at": now}
    bulk(
        Actor,
        (
            Actor(slug=f"actor-{i}", name=f"Actor {i}", kind="state", aliases=["A", "B"], **stamp)
            for i in range(n["actors"])
        ),
    )
    bulk(
        Source,
        (
            Source(
                slug=f"source-{i}",
                title=f"=Source {i}",
                kind="news",
                published=day,
                published_precision=Precision.MONTH,
                **stamp,
            )
            for i in range(n["sources"])
        ),
    )
    bulk(
        Agreement,
        (
            Agreement(
                slug=f"agreement-{i}",
                title=f"Agreement {i}",
                kind="treaty",
                status="signed",
                concluded=day,
                concluded_precision=Precision.DAY,
                summary="What it provides, in a sentence or two.",
                **stamp,
            )
            for i in range(n["agreements"])
        ),
    )
    bulk(
        Exercise,
        (
            Exercise(
                slug=f"exercise-{i}",
                name=f"Exercise {i}",
                domain="naval",
                start_date=day,
                start_date_precision=Precision.YEAR,
                start_date_qualifier="end",
                location="Sea of Japan",
                summary="What happened, in a sentence or two.",
                **stamp,
            )
            for i in range(n["exercises"])
        ),
    )
    actor_ids = ids(Actor)
    bulk(
        ArmsDeal,
        (
            ArmsDeal(
                slug=f"deal-{i}",
                title=f"Deal {i}",
                supplier_id=actor_ids[i % len(actor_ids)],
                recipient_id=actor_ids[(i + 1) % len(actor_ids)],
                category="aircraft",
                quantity=24,
                value_amount=Decimal("2000000000.00"),
                value_currency="USD",
                **stamp,
            )
            for i in range(n["arms_deals"])
        ),
    )
    bulk(
        Statement,
        (
            Statement(
                slug=f"statement-{i}",
                speaker_id=actor_ids[i % len(actor_ids)],
                kind="direct_quote",
                text="We are not allies, but our cooperation has no limits.",
                date=day,
                date_precision=Precision.DAY,
                **stamp,
            )
            for i in range(n["statements"])
        ),
    )
    agreement_ids, exercise_ids = ids(Agreement), ids(Exercise)
    deal_ids, statement_ids, source_ids = ids(ArmsDeal), ids(Statement), ids(Source)

    def pairs(records, count):
        # Each record gets count/len(records) distinct actors.
        for i in range(count):
            yield records[i % len(records)], actor_ids[(i // len(records)) % len(actor_ids)]

    bulk(
        AgreementParty,
        (
            AgreementParty(agreement_id=r, actor_id=a)
            for r, a in pairs(agreement_ids, n["agreement_parties"])
        ),
    )
    bulk(
        ExerciseParticipant,
        (
            ExerciseParticipant(exercise_id=r, actor_id=a, contribution="A frigate")
            for r, a in pairs(exercise_ids, n["exercise_participants"])
        ),
    )
    bulk(
        ArmsDealContractor,
        (
            ArmsDealContractor(deal_id=r, actor_id=a)
            for r, a in pairs(deal_ids, n["arms_deal_contractors"])
        ),
    )
    through = Statement.about_actors.through
    bulk(
        through,
        (
            through(statement_id=r, actor_id=a)
            for r, a in pairs(statement_ids, n["statement_links"])
        ),
    )
    targets = [("exercise_id", exercise_ids), ("arms_deal_id", deal_ids)]
    targets += [("agreement_id", agreement_ids), ("statement_id", statement_ids)]
    bulk(
        Citation,
        (
            Citation(
                source_id=source_ids[i % len(source_ids)],
                footnote=i % 90 + 1,
                locator=f"p. {i}",
                **{targets[i % 4][0]: targets[i % 4][1][(i // 4) % len(targets[i % 4][1])]},
                **stamp,
            )
            for i in range(n["citations"])
        ),
    )
    return n


def export(outdir: Path, env: dict[str, str], errors: Path) -> int:
    """Run the command in a child process; return its peak resident memory in KiB."""
    with open(errors, "w") as stderr:
        child = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "export_csv", str(outdir), "--quiet"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        # wait4 gives this child's own usage, not the maximum over all children.
        _pid, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"export_csv failed:\n{errors.read_text()}")
    return usage.ru_maxrss


def count_rows(folder: Path) -> dict[str, int]:
    counts = {}
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as stream:
            counts[path.stem] = sum(1 for _ in csv.reader(stream)) - 1
    return counts


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-export-"))
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database_url}
    env.setdefault("DJANGO_SETTINGS_MODULE", "sinorus.settings_test")
    try:
        manage("migrate", "--noinput", env=env)
        setup_django(database_url)
        from django.db import connection

        started = time.perf_counter()
        populate(args.rows, args.reset)
        connection.close()
        created_in = time.perf_counter() - started

        outdir = workdir / "exports"
        started = time.perf_counter()
        peak_kib = export(outdir, env, workdir / "export.err")
        elapsed = time.perf_counter() - started

        counts = count_rows(outdir / "latest")
        data_rows = sum(v for k, v in counts.items() if k != "CHANGES")
        size = sum(p.stat().st_size for p in (outdir / "latest").iterdir())
        print(f"database        {connection.vendor} ({connection.settings_dict['NAME']})")
        print(f"rows created    {data_rows:,} in {created_in:.1f} s")
        for name, count in counts.items():
            print(f"  {name:<24}{count:>10,}")
        print(f"export time     {elapsed:.1f} s (whole command, including CHANGES.csv)")
        print(f"rows per second {data_rows / elapsed:,.0f}")
        print(f"peak memory     {peak_kib / 1024:.0f} MiB (max RSS of the export_csv process)")
        print(f"snapshot size   {size / 1024 / 1024:.0f} MiB")
        if args.keep_files:
            print(f"snapshot kept   {outdir / 'latest'}")
    finally:
        if not args.keep_files:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

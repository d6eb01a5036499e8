"""``python manage.py export_csv OUTDIR``: publish the database as a dated CSV data package."""

from __future__ import annotations

import functools

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError

from tracker import routing
from tracker.exports.snapshot import ExportError, export_snapshot


class Command(BaseCommand):
    help = (
        "Write a dated snapshot of every record and link table as CSV files with a "
        "Frictionless datapackage.json and a CHANGES.csv into OUTDIR, then point "
        "OUTDIR/latest at it. Quiet when output is not a terminal (cron)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("outdir", help="Folder holding the dated snapshots and 'latest'.")
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            metavar="N",
            help="After a successful run, delete all but the N newest snapshots.",
        )
        parser.add_argument(
            "--excel",
            action="store_true",
            help="Start each CSV file with a UTF-8 byte-order mark so Excel detects UTF-8.",
        )
        parser.add_argument(
            "--primary",
            action="store_true",
            help="Read from the primary database even when read replicas are configured "
            "(by default a replica within DATABASE_REPLICA_MAX_LAG is read, if any).",
        )
        parser.add_argument(
            "--quiet",
            action="store_true",
            help="Print nothing unless something fails (the default when not on a terminal).",
        )

    def handle(self, *args, **options) -> None:
        keep = options["keep"]
        if keep is not None and keep < 1:
            raise CommandError("--keep must be at least 1.")
        quiet = options["quiet"] or not self.stdout.isatty()
        # With read replicas (docs/replicas.md) the snapshot is read from one of them:
        # one REPEATABLE READ transaction there, as on the primary.
        alias = DEFAULT_DB_ALIAS if options["primary"] else routing.pick_replica()
        export = functools.partial(
            export_snapshot,
            options["outdir"],
            keep=keep,
            excel=options["excel"],
            progress=None if quiet else self._progress,
        )
        try:
            try:
                with routing.reading_from(alias):
                    result = export()
            except DatabaseError:
                if alias == DEFAULT_DB_ALIAS:
                    raise
                # The replica went away mid-export: the primary writes the snapshot.
                routing.mark_unusable(alias)
                alias = DEFAULT_DB_ALIAS
                result = export()
        except (ExportError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        except Exception as exc:
            # Whatever failed, the previous snapshot and "latest" are untouched
            # (export_snapshot removes its temporary folder): one line for cron.
            raise CommandError(
                f"The export failed ({type(exc).__name__}: {exc}); the previous snapshot "
                "is unchanged."
            ) from exc
        if quiet:
            return
        total = sum(result.row_counts.values())
        changes = ", ".join(f"{count} {kind}" for kind, count in result.changes.items())
        source = "" if alias == DEFAULT_DB_ALIAS else f" from read replica {alias}"
        self.stdout.write(f"Wrote {total:,} rows{source} to {result.path} ({changes}).")
        for name in result.pruned:
            self.stdout.write(f"Removed old snapshot {name}.")

    def _progress(self, table: str, rows: int, done: bool) -> None:
        # One line per file, rewritten in place while it is being written.
        self.stdout.write(f"\r  {table:<24} {rows:>12,} rows", ending="\n" if done else "")
        self.stdout.flush()

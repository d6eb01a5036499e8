"""``python manage.py backup_database PATH``: a complete, exact copy of the database."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from tracker.backup import BackupError, backup_database


class Command(BaseCommand):
    help = (
        "Write a backup of the whole database to PATH: pg_dump's custom format on "
        "PostgreSQL, SQLite's online backup on SQLite. Safe while the tracker runs. "
        "Restore it with restore_database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The backup file to write (replaced if it exists).")
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *args, path: str, database: str, **options) -> None:
        try:
            written = backup_database(path, using=database)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        engine = connections[database].vendor
        size = written.stat().st_size
        self.stdout.write(f"Backed up the {engine} database to {written} ({size:,} bytes).")

"""``python manage.py restore_database PATH``: put a backup_database backup back."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from tracker.backup import BackupError, restore_database


class Command(BaseCommand):
    help = (
        "Restore a backup written by backup_database into the configured database, "
        "which must be empty unless --replace is given. Stop the server first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The backup file.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Overwrite a database that already holds tables with the backup.",
        )
        parser.add_argument("--database", default="default", help="Database alias.")

    def handle(self, *args, path: str, replace: bool, database: str, **options) -> None:
        try:
            restore_database(path, using=database, replace=replace)
        except (BackupError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        connection = connections[database]
        with connection.cursor():
            tables = len(connection.introspection.table_names())
        self.stdout.write(
            f"Restored {path} into the {connection.vendor} database ({tables} tables)."
        )

"""``python manage.py import_records PATH [--dry-run] [--user USERNAME]``: import records."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tracker import imports
from tracker.imports.report import preview_lines


class Command(BaseCommand):
    help = (
        "Import records from a file in the export's format (a CSV file such as exercises.csv, "
        "the data package as a zip, or a JSON list in the API's format). Prints the preview: "
        "what each row creates or changes, and each refused row with its column and reason. "
        "Without --dry-run, then writes everything in one transaction (nothing if any row is "
        "refused), as one revision of the history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="The file to import.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the preview only; store nothing."
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="The editor the history names for the import."
        )
        parser.add_argument(
            "--all", action="store_true", help="List unchanged rows in the preview too."
        )

    def handle(self, *args, **options) -> None:
        path = Path(options["path"])
        user = None
        if options["user"]:
            try:
                user = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user is called “{options['user']}”.") from None
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
        try:
            plan = imports.preview(path.name, data, user=user)
        except imports.ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        for line in preview_lines(plan, unchanged=options["all"]):
            self.stdout.write(line)
        if plan.refused:
            raise CommandError(
                f"{len(plan.refused)} row(s) refused: nothing was imported. Fix the file and "
                "run the command again."
            )
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was stored.")
            return
        try:
            log = imports.apply_plan(plan, user=user)
        except imports.ImportRefused as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Imported {log.file_name} (import {log.pk}).")

"""``python manage.py describe_exports``: print the CSV files' reference (docs/exports.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from tracker.exports.describe import files_markdown


class Command(BaseCommand):
    help = "Print the Markdown reference of every exported CSV file and its columns."

    def handle(self, *args, **options) -> None:
        self.stdout.write(files_markdown(), ending="")

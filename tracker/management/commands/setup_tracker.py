"""``manage.py setup_tracker``: make a local tracker ready to use, idempotently.

Migrates, loads the article fixtures into an empty database, and makes sure
a local editor login exists, printing it. Safe to run on every start: data
already present is never overwritten by the fixtures.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand

from tracker.editors import create_editor
from tracker.registry import RECORD_TYPES

LOCAL_EDITOR = "editor"


def login_file() -> Path:
    """Where the generated local login is kept (git-ignored, readable by the owner only)."""
    return Path(settings.BASE_DIR) / ".local-editor-login"


class Command(BaseCommand):
    help = "Migrate, load the seed fixtures into an empty database, and print an editor login."

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-editor", action="store_true", help="Do not create or print the local editor."
        )

    def handle(self, *args, no_editor: bool = False, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        self._load_fixtures()
        if not no_editor:
            self._ensure_editor()

    def _load_fixtures(self) -> None:
        if any(rt.model.objects.exists() for rt in RECORD_TYPES):
            self.stdout.write("Records already present; fixtures not reloaded.")
            return
        names = sorted(
            path.name.removesuffix(".json")
            for directory in settings.FIXTURE_DIRS
            for path in Path(directory).glob("*.json")
        )
        if not names:
            self.stdout.write("No fixtures to load.")
            return
        call_command("loaddata", *names, verbosity=0)
        # Loading saves raw rows, outside any revision: give every record a first
        # version so its history (and any conflict message) starts from the seed.
        call_command(
            "createinitialrevisions",
            "tracker",
            comment="Loaded from the seed fixtures.",
            verbosity=0,
        )
        counts = ", ".join(
            f"{rt.model.objects.count()} {rt.verbose_name_plural}" for rt in RECORD_TYPES
        )
        self.stdout.write(f"Loaded fixtures {', '.join(names)}: {counts}.")

    def _ensure_editor(self) -> None:
        path = login_file()
        if not User.objects.filter(username=LOCAL_EDITOR).exists():
            password = secrets.token_urlsafe(12)
            create_editor(LOCAL_EDITOR, password)
            path.write_text(f"{LOCAL_EDITOR} {password}\n")
            path.chmod(0o600)
        saved = path.read_text().split() if path.exists() else []
        user = User.objects.get(username=LOCAL_EDITOR)
        # Print the saved password only while it is still the account's password.
        if len(saved) == 2 and user.check_password(saved[1]):
            self.stdout.write(
                self.style.SUCCESS(f"Editor login: username {saved[0]}  password {saved[1]}")
            )
        else:
            self.stdout.write(
                f"Editor “{LOCAL_EDITOR}” exists; set a new password with "
                f"`python manage.py changepassword {LOCAL_EDITOR}`."
            )

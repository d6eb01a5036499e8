"""``manage.py create_editor USERNAME``: add an editor account."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.editors import create_editor


class Command(BaseCommand):
    help = "Create an editor account (staff, in the Editors group) and print its password."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password",
            help="Password to set; a strong random one is generated and printed if omitted.",
        )

    def handle(self, *args, username: str, email: str, password: str | None, **options):
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named “{username}” already exists.")
        password = password or secrets.token_urlsafe(12)
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        create_editor(username, password, email)
        self.stdout.write(f"Editor created. Username: {username}  Password: {password}")

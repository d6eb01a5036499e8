"""``manage.py create_user USERNAME --role editor|viewer``: add an account in a role."""

from __future__ import annotations

import secrets

from django.contrib.auth.models import User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tracker.editors import ROLES, create_user_in_role


class Command(BaseCommand):
    help = (
        "Create a staff account in a role — editor (add, change, delete records) or viewer "
        "(read-only admin) — and print its password."
    )

    #: A fixed role (as create_editor has); None means the --role option chooses it.
    role: str | None = None

    def add_arguments(self, parser):
        parser.add_argument("username")
        if self.role is None:
            parser.add_argument("--role", choices=sorted(ROLES), required=True)
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password",
            help="Password to set; a strong random one is generated and printed if omitted.",
        )

    def handle(self, *args, username: str, email: str, password: str | None, **opts):
        role = self.role or opts["role"]
        if User.objects.filter(username=username).exists():
            raise CommandError(f"A user named “{username}” already exists.")
        password = password or secrets.token_urlsafe(12)
        try:
            validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        create_user_in_role(username, password, role, email)
        self.stdout.write(
            f"{role.capitalize()} created ({ROLES[role]}). Username: {username}  "
            f"Password: {password}"
        )

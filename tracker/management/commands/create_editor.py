"""``manage.py create_editor USERNAME``: the same as ``create_user USERNAME --role editor``."""

from __future__ import annotations

from .create_user import Command as CreateUserCommand


class Command(CreateUserCommand):
    help = "Create an editor account (staff, in the Editors group) and print its password."
    role = "editor"

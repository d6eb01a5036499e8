"""Editorial roles: Editors change the record, Viewers read it in the admin.

The groups and their permissions are created by migration 0003_roles; the
functions here find them (recreating one a superuser deleted) and create
accounts in a role.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from . import registry

EDITORS_GROUP = "Editors"
VIEWERS_GROUP = "Viewers"

#: Role name (as the create_user command takes it) -> group name.
ROLES = {"editor": EDITORS_GROUP, "viewer": VIEWERS_GROUP}


def tracker_models() -> list[str]:
    """Model names of the tracker's records and link tables (what editors edit)."""
    return [
        model._meta.model_name
        for model in (*(rt.model for rt in registry.RECORD_TYPES), *registry.LINK_MODELS)
    ]


def role_codenames(role: str) -> list[str]:
    """Permission codenames of a role. Deletion tombstones are read-only for everyone."""
    actions = ("add", "change", "delete", "view") if role == "editor" else ("view",)
    return [
        *(f"{action}_{model}" for model in tracker_models() for action in actions),
        "view_deletedrecord",
    ]


def role_group(role: str) -> Group:
    """The group of ``role`` (``editor`` or ``viewer``) with exactly its permissions."""
    group, _ = Group.objects.get_or_create(name=ROLES[role])
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label="tracker", codename__in=role_codenames(role)
        )
    )
    return group


def editors_group() -> Group:
    """The Editors group: add, change and delete every record, nothing on accounts."""
    return role_group("editor")


@transaction.atomic
def create_user_in_role(username: str, password: str, role: str, email: str = "") -> User:
    """Create a staff account (never a superuser) in the group of ``role``."""
    user = User.objects.create_user(username, email=email, password=password, is_staff=True)
    user.groups.add(role_group(role))
    return user


def create_editor(username: str, password: str, email: str = "") -> User:
    """Create a staff account in the Editors group (not a superuser)."""
    return create_user_in_role(username, password, "editor", email)

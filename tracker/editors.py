"""Editor accounts: the Editors group and its permissions, written once."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

EDITORS_GROUP = "Editors"


def editors_group() -> Group:
    """The Editors group, holding every permission on the tracker's records (created if missing)."""
    group, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label="tracker"))
    return group


@transaction.atomic
def create_editor(username: str, password: str, email: str = "") -> User:
    """Create a staff account in the Editors group (not a superuser)."""
    user = User.objects.create_user(username, email=email, password=password, is_staff=True)
    user.groups.add(editors_group())
    return user

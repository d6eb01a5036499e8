"""Shared pytest fixtures."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User


@pytest.fixture
def editor(db) -> User:
    """A staff user with every tracker permission, as editors have."""
    user = User.objects.create_user("editor", password="editor-password", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="tracker"))
    return user


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client

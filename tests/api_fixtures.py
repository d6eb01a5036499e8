"""Pytest fixtures for the API tests (loaded with ``pytest_plugins``)."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def unthrottled(settings):
    """API tests make many anonymous requests; throttling has its own test."""
    settings.API_ANON_THROTTLE_RATE = None


@pytest.fixture
def api(db) -> APIClient:
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def editor_api(editor) -> APIClient:
    """An API client authenticated by the editor's token."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=editor)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client

"""Requests asking more than a database answers in one query: a 400 naming the limit, never 503."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from rest_framework.test import APIClient

from tracker.api.exceptions import exception_handler

pytestmark = pytest.mark.django_db


def footnotes(count: int) -> str:
    return "&".join(f"footnote={n}" for n in range(1, count + 1))


def test_999_values_of_one_filter_are_refused_naming_the_parameter_and_the_limit():
    response = APIClient().get(f"/api/v1/statements/?{footnotes(999)}")

    assert (response.status_code, response.json()) == (
        400,
        {"footnote": ["At most 100 values of footnote in one request; 999 were given."]},
    )


def test_101_values_of_one_filter_are_refused():
    assert APIClient().get(f"/api/v1/statements/?{footnotes(101)}").status_code == 400


def test_100_values_of_one_filter_are_answered():
    response = APIClient().get(f"/api/v1/statements/?{footnotes(100)}")

    assert (response.status_code, response.json()["count"]) == (200, 0)


def test_a_query_the_database_refuses_for_its_size_is_a_400():
    exc = OperationalError("Expression tree is too large (maximum depth 1000)")

    response = exception_handler(exc, {})

    assert (response.status_code, response.data) == (
        400,
        {"detail": "The request asks too much of the database at once; ask for less."},
    )


def test_a_lost_connection_is_still_a_503_to_retry():
    response = exception_handler(OperationalError("server closed the connection"), {})

    assert (response.status_code, response["Retry-After"]) == (503, "1")

"""Admin logins: locked per username and address, per address across usernames, for a fixed time."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client
from django.urls import reverse

from tracker.editors import create_user_in_role

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


@pytest.fixture
def alice(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_ADDRESS_FAILURE_LIMIT = 20
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    return create_user_in_role("alice", "alice-right-password", "editor")


def attempt(client: Client, username: str, password: str = "wrong", **extra) -> int:
    return client.post(
        reverse("admin:login"), {"username": username, "password": password}, **extra
    ).status_code


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_one_address_trying_many_usernames_is_locked_out_at_the_address_limit(alice):
    client = Client()

    statuses = [attempt(client, f"user{n}") for n in range(20)]

    assert (statuses[:19], statuses[19]) == ([200] * 19, 429)


def test_an_address_locked_out_refuses_the_right_password_of_another_account(alice):
    client = Client()
    for n in range(20):
        attempt(client, f"user{n}")

    status = attempt(client, "alice", "alice-right-password")

    assert (status, logged_in(client)) == (429, False)


def test_an_address_lockout_leaves_other_addresses_alone(alice):
    for n in range(20):
        attempt(Client(), f"user{n}", REMOTE_ADDR="192.0.2.1")
    client = Client(REMOTE_ADDR="192.0.2.2")

    status = attempt(client, "alice", "alice-right-password")

    assert (status, logged_in(client)) == (302, True)


def test_logging_in_to_a_held_account_does_not_clear_the_addresss_failures(alice):
    create_user_in_role("mallory", "mallory-right-password", "viewer")
    client = Client()
    for n in range(19):
        attempt(client, f"user{n}")
    attempt(client, "mallory", "mallory-right-password")
    client.logout()

    assert attempt(client, "user19") == 429


def test_a_lockout_lasts_fifteen_minutes_from_the_failure_that_caused_it(alice):
    client = Client()
    for _ in range(5):
        attempt(client, "alice")
    locked_at = AccessAttempt.objects.get(username="alice").attempt_time

    during = [attempt(client, "alice") for _ in range(3)]  # refused, not counted

    row = AccessAttempt.objects.get(username="alice")
    assert (during, row.failures_since_start, row.attempt_time) == ([429] * 3, 5, locked_at)


def minutes_pass(minutes: float) -> None:
    """As if ``minutes`` passed: every recorded failure that much older."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=minutes))


def test_the_right_password_is_refused_fourteen_minutes_after_the_lockout(alice):
    client = Client()
    for _ in range(8):  # the three after the fifth are refused
        attempt(client, "alice")
    minutes_pass(14)

    assert attempt(client, "alice", "alice-right-password") == 429


def test_the_right_password_works_fifteen_minutes_after_the_lockout(alice):
    client = Client()
    for _ in range(8):  # the three after the fifth are refused
        attempt(client, "alice")
    minutes_pass(15.02)

    assert attempt(client, "alice", "alice-right-password") == 302


def test_without_trusted_proxies_the_lockout_counts_the_connection_address(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 0

    attempt(Client(), "alice", HTTP_X_FORWARDED_FOR="203.0.113.5")

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]


def test_behind_a_trusted_proxy_the_lockout_counts_the_address_the_api_counts(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1

    attempt(Client(), "alice", HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.5")

    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.5"]

"""Per-address limits on the API: whose address counts, anonymous throttling, failed tokens."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tracker import limits
from tracker.limits import client_address

pytestmark = pytest.mark.django_db

LIST = "/api/v1/deletions/"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def frozen_clock(monkeypatch):
    """The limits' clock, standing still at a fixed time until a test moves it."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(limits, "clock", lambda: now[0])
    return now


def request_from(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **headers)


# -- whose address counts --------------------------------------------------------


def test_without_trusted_proxies_the_connection_address_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_address(request_from("192.0.2.1", "203.0.113.5")) == "192.0.2.1"


def test_behind_one_trusted_proxy_the_address_it_appended_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    address = client_address(request_from("10.0.0.2", "198.51.100.9, 203.0.113.5"))

    assert address == "203.0.113.5"


def test_behind_two_trusted_proxies_the_address_the_outer_one_saw_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    address = client_address(request_from("10.0.0.2", "198.51.100.9, 203.0.113.5, 10.0.0.1"))

    assert address == "203.0.113.5"


def test_a_forwarded_entry_that_is_no_address_counts_as_the_connection(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(request_from("10.0.0.2", "198.51.100.9, not-an-ip")) == "10.0.0.2"


# -- anonymous throttle ----------------------------------------------------------


def test_101st_anonymous_request_is_refused_whatever_x_forwarded_for_says(settings):
    settings.API_ANON_THROTTLE_RATE = "100/minute"
    settings.TRUSTED_PROXY_COUNT = 0
    client = APIClient()

    statuses = [
        client.get(LIST, HTTP_X_FORWARDED_FOR=f"198.51.100.{n % 250}, 10.1.{n}.1").status_code
        for n in range(101)
    ]

    assert (statuses[:100], statuses[100]) == ([200] * 100, 429)


def test_behind_a_trusted_proxy_the_client_before_it_is_throttled(settings):
    settings.API_ANON_THROTTLE_RATE = "100/minute"
    settings.TRUSTED_PROXY_COUNT = 1
    client = APIClient(REMOTE_ADDR="10.0.0.2")
    for n in range(100):
        client.get(LIST, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.5")

    same = client.get(LIST, HTTP_X_FORWARDED_FOR="198.51.100.200, 203.0.113.5")
    other = client.get(LIST, HTTP_X_FORWARDED_FOR="198.51.100.200, 203.0.113.6")

    assert (same.status_code, other.status_code) == (429, 200)


def test_a_throttled_client_is_told_when_to_retry(settings, frozen_clock):
    settings.API_ANON_THROTTLE_RATE = "2/minute"
    client = APIClient()
    client.get(LIST)
    frozen_clock[0] += 15
    client.get(LIST)
    frozen_clock[0] += 5

    response = client.get(LIST)

    # The first of the two requests is a minute old 40 seconds later.
    assert (response.status_code, response["Retry-After"]) == (429, "40")


def test_a_throttled_client_is_answered_again_once_its_oldest_request_is_a_minute_old(
    settings, frozen_clock
):
    settings.API_ANON_THROTTLE_RATE = "2/minute"
    client = APIClient()
    client.get(LIST)
    frozen_clock[0] += 15
    client.get(LIST)
    frozen_clock[0] += 45

    assert client.get(LIST).status_code == 200


# -- failed API authentication ---------------------------------------------------


def wrong_token_statuses(count: int, **extra) -> list[int]:
    client = APIClient(HTTP_AUTHORIZATION="Token wrong0000000000000000000000000000000000")
    return [client.get(LIST, **extra).status_code for _ in range(count)]


def test_21st_wrong_token_from_one_address_is_refused_with_429(settings):
    settings.API_AUTH_FAILURE_LIMIT = 20

    statuses = wrong_token_statuses(21)

    assert (statuses[:20], statuses[20]) == ([401] * 20, 429)


def test_wrong_tokens_with_made_up_forwarded_addresses_still_count_as_one_address(settings):
    settings.API_AUTH_FAILURE_LIMIT = 20
    settings.TRUSTED_PROXY_COUNT = 0
    client = APIClient(HTTP_AUTHORIZATION="Token wrong0000000000000000000000000000000000")

    statuses = [
        client.get(LIST, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(21)
    ]

    assert statuses[20] == 429


def test_an_address_refused_for_failures_is_told_when_to_retry(settings, frozen_clock):
    settings.API_AUTH_FAILURE_LIMIT = 20
    settings.API_AUTH_FAILURE_SECONDS = 300
    wrong_token_statuses(20)

    response = APIClient(HTTP_AUTHORIZATION="Token wrong1").get(LIST)

    assert (response.status_code, response["Retry-After"], response.json()) == (
        429,
        "300",
        {"detail": "Too many failed authentications from your address. Retry in 300 seconds."},
    )


def test_the_right_token_is_refused_too_while_the_address_is_blocked(settings, editor):
    settings.API_AUTH_FAILURE_LIMIT = 20
    wrong_token_statuses(20)
    token = Token.objects.create(user=editor)

    response = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}").get(LIST)

    assert response.status_code == 429


def test_the_right_token_works_again_once_the_failures_are_old(settings, editor, frozen_clock):
    settings.API_AUTH_FAILURE_LIMIT = 20
    settings.API_AUTH_FAILURE_SECONDS = 300
    wrong_token_statuses(20)
    token = Token.objects.create(user=editor)
    frozen_clock[0] += 300

    response = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}").get(LIST)

    assert response.status_code == 200


def test_refused_attempts_do_not_prolong_the_wait(settings, frozen_clock):
    settings.API_AUTH_FAILURE_LIMIT = 20
    settings.API_AUTH_FAILURE_SECONDS = 300
    wrong_token_statuses(20)
    frozen_clock[0] += 200
    wrong_token_statuses(50)  # all refused with 429, none counted

    response = APIClient(HTTP_AUTHORIZATION="Token wrong1").get(LIST)

    assert (response.status_code, response["Retry-After"]) == (429, "100")


def test_failures_from_one_address_leave_another_address_alone(settings):
    settings.API_AUTH_FAILURE_LIMIT = 20
    wrong_token_statuses(21, REMOTE_ADDR="192.0.2.1")

    assert wrong_token_statuses(1, REMOTE_ADDR="192.0.2.2") == [401]


# -- where counts are kept -------------------------------------------------------


def test_a_cache_url_naming_no_supported_store_stops_the_start():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sinorus.settings_test"}
    env["CACHE_URL"] = "memcached://localhost:11211"

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )

    message = (
        "CACHE_URL must be redis://..., rediss://..., unix://... or locmem://, "
        "not 'memcached://localhost:11211'."
    )
    assert (result.returncode, message in result.stderr) == (1, True)

"""The issue's "Must show" request against the article fixture."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_2019_exercises_are_listed_with_their_participants_in_one_request(api, seeded):
    response = api.get("/api/v1/exercises/?date_from=2019-01-01&date_to=2019-12-31")

    body = response.json()
    assert (
        [row["slug"] for row in body["results"]],
        all(row["participants"] for row in body["results"]),
    ) == (
        [
            "cooperation-2019-china-kyrgyzstan",
            "cooperation-2019-china-tajikistan",
            "cooperation-2019-china-uzbekistan",
            "tsentr-2019",
            "mosi-2019",
            "russia-china-iran-naval-exercise-2019",
        ],
        True,
    )


def test_2019_exercises_in_which_china_and_iran_took_part(api, seeded):
    response = api.get(
        "/api/v1/exercises/?date_from=2019-01-01&date_to=2019-12-31&actor=china&actor=iran"
    )

    assert [row["slug"] for row in response.json()["results"]] == [
        "russia-china-iran-naval-exercise-2019"
    ]


def test_2019_exercises_with_chinese_and_south_african_forces_by_country(api, seeded):
    response = api.get(
        "/api/v1/exercises/?date_from=2019-01-01&date_to=2019-12-31&country=CN&country=ZA"
    )

    assert [row["slug"] for row in response.json()["results"]] == ["mosi-2019"]

"""``?format=csv`` on every list: the same rows and filters, every page, as CSV."""

from __future__ import annotations

import csv
import io

import pytest

from tests.api_factories import DAY, day, linked_exercise
from tests.factories import ActorFactory
from tracker.exports.files import table_for_model
from tracker.models import Exercise

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[dict[str, str]]:
    """The rows of a streamed CSV response."""
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def exercises(db):
    china = ActorFactory(slug="china", name="China")
    russia = ActorFactory(slug="russia", name="Russia")
    iran = ActorFactory(slug="iran", name="Iran")
    linked_exercise("mosi-2019", iran, china, russia)
    linked_exercise("vostok-2018", russia, china)
    linked_exercise("tsentr-2019", russia, start_date=day("2019-09-16"), start_date_precision=DAY)


def test_csv_list_has_the_export_header(api, exercises):
    response = api.get("/api/v1/exercises/?format=csv")

    first_line = b"".join(response.streaming_content).decode().splitlines()[0]
    assert first_line.split(",") == table_for_model(Exercise).header()


def test_csv_list_is_served_as_text_csv_attachment(api, exercises):
    response = api.get("/api/v1/exercises/?format=csv")

    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "text/csv; charset=utf-8",
        'attachment; filename="exercises.csv"',
    )


def test_csv_applies_the_same_filters_as_json(api, exercises):
    url = "/api/v1/exercises/?actor=china&actor=iran"

    rows = read_csv(api.get(url + "&format=csv"))

    assert [row["slug"] for row in rows] == [r["slug"] for r in api.get(url).json()["results"]]


def test_csv_flattens_participants_into_one_cell(api, exercises):
    rows = read_csv(api.get("/api/v1/exercises/?format=csv&actor=iran"))

    assert rows[0]["participants"] == "iran|china|russia"


def test_csv_streams_every_page(api, exercises):
    rows = read_csv(api.get("/api/v1/exercises/?format=csv&page_size=1"))

    assert sorted(row["slug"] for row in rows) == ["mosi-2019", "tsentr-2019", "vostok-2018"]


def test_csv_is_chosen_by_accept_header_too(api, exercises):
    response = api.get("/api/v1/exercises/", HTTP_ACCEPT="text/csv")

    assert len(read_csv(response)) == 3


@pytest.mark.parametrize(
    "resource", ["actors", "sources", "agreements", "exercises", "arms-deals", "statements"]
)
def test_every_list_answers_csv(api, exercises, resource):
    response = api.get(f"/api/v1/{resource}/?format=csv")

    assert (response.status_code, response["Content-Type"]) == (200, "text/csv; charset=utf-8")


def test_csv_request_with_a_bad_filter_is_answered_400_in_json(api, exercises):
    response = api.get("/api/v1/exercises/?format=csv&actor=not%20a%20slug")

    assert (response.status_code, response["Content-Type"], list(response.json())) == (
        400,
        "application/json",
        ["actor"],
    )


def test_csv_is_not_offered_for_a_single_record(api, exercises):
    response = api.get("/api/v1/exercises/mosi-2019/?format=csv")

    assert (response.status_code, response.json()) == (400, {"format": ["Choose from: json."]})

"""Fuzzy dates through the API: words or the object in, the object out."""

from __future__ import annotations

import pytest
import yaml

from tests.api_factories import if_match
from tests.factories import SourceFactory
from tracker import models
from tracker.dates import ACCEPTED_FORMS

pytestmark = pytest.mark.django_db

URL = "/api/v1/exercises/"


def create(client, **dates):
    cited = [{"source": SourceFactory().slug, "footnote": 1}]
    body = {"slug": "vostok", "name": "Vostok", "domain": "combined", "citations": cited, **dates}
    return client.post(URL, body, format="json")


@pytest.mark.parametrize(
    ("words", "shown"),
    [
        (
            "end of 2016",
            {
                "date": "2016-01-01",
                "precision": "year",
                "qualifier": "end",
                "iso": "2016",
                "display": "end of 2016",
            },
        ),
        (
            "Sept. 2019",
            {
                "date": "2019-09-01",
                "precision": "month",
                "qualifier": "",
                "iso": "2019-09",
                "display": "September 2019",
            },
        ),
        (
            "c. 1980s",
            {
                "date": "1980-01-01",
                "precision": "decade",
                "qualifier": "approximate",
                "iso": "1980s",
                "display": "c. 1980s",
            },
        ),
        (
            "",
            {
                "date": None,
                "precision": None,
                "qualifier": "",
                "iso": "",
                "display": "date unknown",
            },
        ),
    ],
)
def test_a_date_in_words_is_answered_as_the_object(editor_api, words, shown):
    response = create(editor_api, start_date=words)

    assert (response.status_code, response.json()["start_date"]) == (201, shown)


def test_a_date_in_words_is_stored_in_the_three_columns(editor_api):
    create(editor_api, start_date="mid-2015")

    stored = models.Exercise.objects.values_list(
        "start_date", "start_date_precision", "start_date_qualifier"
    ).get()
    assert (stored[0].isoformat(), stored[1], stored[2]) == ("2015-01-01", 9, "mid")


def test_an_object_read_from_the_api_is_written_back_unchanged(editor_api):
    created = create(editor_api, start_date="early September 2019").json()
    url = f"{URL}vostok/"

    response = editor_api.patch(
        url, {"start_date": created["start_date"]}, format="json", **if_match(editor_api, url)
    )

    assert (response.status_code, response.json()["start_date"]) == (200, created["start_date"])


def test_an_object_with_a_coarser_precision_on_its_first_day_is_accepted(editor_api):
    response = create(editor_api, start_date={"date": "2019-01-01", "precision": "year"})

    assert (response.status_code, response.json()["start_date"]["display"]) == (201, "2019")


@pytest.mark.parametrize(
    ("date", "message"),
    [
        (
            {"date": "2019-03-05", "precision": "year"},
            "“2019-03-05” has more detail than year precision allows: send 2019-01-01 for 2019, "
            "or the finer precision.",
        ),
        (
            {"date": "2019-09", "precision": "decade"},
            "“2019-09” has more detail than decade precision allows: send 2010-01-01 for 2010s, "
            "or the finer precision.",
        ),
        (
            {"date": "2019", "precision": "day"},
            "“2019” gives a year, not a day: send precision year or a fuller date.",
        ),
        (
            {"date": "1980s", "precision": "month"},
            "“1980s” gives a decade, not a month: send precision decade or a fuller date.",
        ),
        (
            {"date": "end of 2016", "precision": "year"},
            "In the object form, date holds the date alone; give the qualifier as qualifier.",
        ),
    ],
)
def test_an_object_whose_date_and_precision_disagree_is_400_on_its_field(editor_api, date, message):
    response = create(editor_api, start_date=date)

    assert (response.status_code, response.json(), models.Exercise.objects.count()) == (
        400,
        {"start_date": [message]},
        0,
    )


@pytest.mark.parametrize(
    "words", ["09/08/2021", "Smarch 2019", "2019-13", "20019", "late late 2016"]
)
def test_words_it_cannot_read_are_400_with_the_accepted_forms(editor_api, words):
    response = create(editor_api, end_date=words)

    (message,) = response.json()["end_date"]
    assert (response.status_code, message.startswith(f"“{words}” is not a date")) == (400, True)
    assert message.endswith(f"Accepted: {ACCEPTED_FORMS}")


def test_the_schema_documents_words_or_the_object_in_requests_and_the_object_in_answers(api):
    schemas = yaml.safe_load(api.get("/api/v1/schema/").content)["components"]["schemas"]

    request = schemas["ExerciseRequest"]["properties"]["start_date"]
    answer = schemas["Exercise"]["properties"]["start_date"]
    assert (
        [alternative.get("$ref", alternative.get("type")) for alternative in request["oneOf"]],
        answer["allOf"],
    ) == (
        ["#/components/schemas/FuzzyDateRequest", "string"],
        [{"$ref": "#/components/schemas/FuzzyDate"}],
    )


def test_an_object_with_a_blank_date_is_400(editor_api):
    response = create(editor_api, start_date={"date": " "})

    assert (response.status_code, response.json()) == (
        400,
        {"start_date": ["Give the object's date in words, or null."]},
    )


def test_the_schema_states_a_date_object_is_known_with_words_or_unknown_without_details(api):
    schemas = yaml.safe_load(api.get("/api/v1/schema/").content)["components"]["schemas"]

    known, unknown = schemas["FuzzyDateRequest"]["oneOf"]
    assert (known["properties"]["date"]["format"], unknown["properties"]) == (
        "plain-fuzzy-date",
        {
            "date": {"type": "string", "nullable": True, "enum": [None]},
            "precision": {"type": "string", "nullable": True, "enum": [None]},
            "qualifier": {"type": "string", "enum": [""]},
        },
    )


def test_the_rules_between_a_date_objects_fields_are_declared_on_the_request(api):
    schemas = yaml.safe_load(api.get("/api/v1/schema/").content)["components"]["schemas"]

    assert {"dates": ["start_date", "end_date"]} in schemas["ExerciseRequest"]["x-body-rules"]


def test_dates_in_rows_follow_the_dates_rule_too(api):
    schemas = yaml.safe_load(api.get("/api/v1/schema/").content)["components"]["schemas"]

    assert {"list": "status_updates", "dates": ["as_of"]} in schemas["AgreementRequest"][
        "x-body-rules"
    ]

"""Every query parameter of every list, with odd values: 200, or a JSON 400 naming it.

The walk sends each parameter alone with values a careless or hostile client sends
(empty, zero, negative, huge, long, unicode, NUL, repeated); the tests after it pin the
answers to the values whose handling was fixed (dates by year or month, length
limits, date-times beyond the calendar, tokens and cursors of the documented form).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.utils.dateparse import parse_datetime

from tracker import registry
from tracker.api import sync, views
from tracker.api.pagination import encode_cursor

pytestmark = pytest.mark.usefixtures("seeded")


def list_parameters() -> list[tuple[str, str]]:
    """(list path, parameter) for every parameter every list understands."""
    pairs = []
    for record_type, viewset in views.VIEWSETS.items():
        names = {*viewset.filterset_class.base_filters, *views.LIST_PARAMETERS, "cursor"}
        pairs += [(f"/api/v1/{record_type.resource}/", name) for name in sorted(names)]
        exported = sorted({"search", "country"} & set(viewset.filterset_class.base_filters))
        pairs += [(f"/api/v1/{record_type.resource}.csv", name) for name in exported]
    names = {*views.DeletionViewSet.filterset_class.base_filters, *views.LIST_PARAMETERS}
    pairs += [("/api/v1/deletions/", name) for name in sorted(names)]
    pairs += [("/api/v1/changes/", name) for name in sorted(sync.KNOWN_PARAMETERS)]
    return pairs


ODD_VALUES = {
    "empty": "",
    "zero": "0",
    "negative": "-1",
    "huge": "9" * 40,
    "long": "x" * 5000,
    "unicode": quote("Россия 中国 ☃"),
    "nul": "%00",
    "space": "%20",
    "percent": "%25s%25(x)d",
}


@pytest.mark.parametrize("value", ODD_VALUES.values(), ids=ODD_VALUES.keys())
@pytest.mark.parametrize(("path", "name"), list_parameters())
def test_odd_value_is_200_or_a_400_naming_the_parameter(api, path, name, value):
    response = api.get(f"{path}?{name}={value}")

    # A page number past the last page is a page that does not exist (404), named too.
    allowed = (200, 400, 404) if name == "page" else (200, 400)
    assert response.status_code in allowed, response.content[:300]
    if response.status_code != 200:
        assert response["Content-Type"] == "application/json"
        assert name in response.json(), response.json()


@pytest.mark.parametrize(("path", "name"), list_parameters())
def test_repeated_value_is_200_or_a_400_naming_the_parameter(api, path, name):
    response = api.get(f"{path}?{name}=1&{name}=2")

    assert response.status_code in (200, 400), response.content[:300]
    if response.status_code == 400:
        assert name in response.json(), response.json()


@pytest.mark.parametrize(
    ("value", "status", "body"),
    [
        ("0", 400, {"page": ["Give a whole number from 1 on."]}),
        ("x", 400, {"page": ["Give a whole number from 1 on."]}),
        ("9" * 40, 404, {"page": ["There is no such page: the last is 2."]}),
    ],
)
def test_page_that_is_no_page_number_or_past_the_end(api, value, status, body):
    response = api.get(f"/api/v1/actors/?page_size=50&page={value}")

    assert (response.status_code, response.json()) == (status, body)


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        ("2019", "2019", ["tsentr-2019"]),
        ("2019-09", "2019-09", ["tsentr-2019"]),
        ("2019-09-16", "2019-09-16", ["tsentr-2019"]),
        ("2019-10", "2019", []),
    ],
)
def test_date_range_by_year_month_or_day(api, date_from, date_to, expected):
    response = api.get(f"/api/v1/exercises/?date_from={date_from}&date_to={date_to}&search=tsentr")

    assert [row["slug"] for row in response.json()["results"]] == expected


@pytest.mark.parametrize("value", ["2019-13", "2019-02-30", "999", "0999-01-01", "19-09-2019"])
def test_date_not_of_the_three_forms_is_400(api, value):
    response = api.get(f"/api/v1/exercises/?date_from={value}")

    assert (response.status_code, list(response.json())) == (400, ["date_from"])


def test_date_to_before_date_from_is_400(api):
    response = api.get("/api/v1/exercises/?date_from=2020&date_to=2019-12")

    assert (response.status_code, list(response.json())) == (400, ["date_to"])


@pytest.mark.parametrize(
    ("path", "name", "limit"),
    [
        ("/api/v1/exercises/", "search", 200),
        ("/api/v1/exercises/", "series", 100),
        ("/api/v1/exercises/", "region", 100),
        ("/api/v1/statements/", "language", 8),
        ("/api/v1/sources/", "language", 8),
    ],
)
def test_text_over_its_length_limit_is_400(api, path, name, limit):
    at_limit = api.get(f"{path}?{name}={'a' * limit}")
    over = api.get(f"{path}?{name}={'a' * (limit + 1)}")

    assert (at_limit.status_code, over.status_code, list(over.json())) == (200, 400, [name])


def test_schema_declares_the_length_limits(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/exercises/"]["get"]["parameters"]
    }

    assert [parameters[name]["maxLength"] for name in ("search", "series", "region")] == [
        200,
        100,
        100,
    ]


@pytest.mark.parametrize("value", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"])
def test_date_time_beyond_the_calendar_in_utc_is_read_as_its_edge(api, value):
    response = api.get(f"/api/v1/actors/?updated_since={quote(value)}")

    expected = 75 if value.startswith("0001") else 0
    assert (response.status_code, response.json()["count"]) == (200, expected)


def test_any_cursor_of_the_documented_form_is_a_position(api):
    response = api.get(f"/api/v1/actors/?updated_since=2000-01-01T00:00:00Z&cursor={'9' * 18}.x")

    assert (response.status_code, response.json()["results"]) == (200, [])


def test_cursor_round_trips_its_position(api):
    first = api.get("/api/v1/actors/?updated_since=2000-01-01T00:00:00Z&page_size=10").json()
    last = first["results"][-1]
    cursor = encode_cursor(parse_datetime(last["updated_at"]), last["slug"])

    assert parse_qs(urlsplit(first["next"]).query)["cursor"] == [cursor]


def test_any_sync_token_of_the_documented_form_is_a_position(api):
    response = api.get(f"/api/v1/changes/?sync_token=c1.{'9' * 18}.1")

    assert (response.status_code, response.json()["results"]) == (200, [])


@pytest.mark.parametrize("resource", [rt.resource for rt in registry.RECORD_TYPES])
def test_csv_errors_are_declared_as_json(api, resource):
    schema = api.get("/api/v1/schema/?format=json").json()
    responses = schema["paths"][f"/api/v1/{resource}.csv"]["get"]["responses"]

    assert {
        status: list(r["content"])
        for status, r in responses.items()
        if status not in ("200", "414")
    } == {status: ["application/json"] for status in ("400", "401", "403", "404", "406", "429")}


def test_uri_too_long_is_declared_without_content(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    answer = schema["paths"]["/api/v1/agreements/"]["get"]["responses"]["414"]

    assert set(answer) == {"description"}


def test_more_identifiers_than_the_schema_allows_are_refused(editor_api):
    response = editor_api.get("/api/v1/agreements/", {"actor": [f"a{n}" for n in range(101)]})

    assert (response.status_code, list(response.json())) == (400, ["actor"])


def test_an_identifier_longer_than_a_slug_is_refused(editor_api):
    response = editor_api.get("/api/v1/agreements/", {"source": "a" * 121})

    assert (response.status_code, list(response.json())) == (400, ["source"])


def test_a_reported_value_names_a_disputable_fact_of_its_record_type(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    rows = schema["components"]["schemas"]["StatementRequest"]["properties"]["reported_values"]

    assert rows["items"]["allOf"][1] == {
        "properties": {"field": {"type": "string", "enum": ["date"]}}
    }


@pytest.mark.parametrize(("value", "status"), [(" TRUE ", 200), ("0", 200), (";", 400)])
def test_disputed_reads_what_its_pattern_declares(api, value, status):
    schema = api.get("/api/v1/schema/?format=json").json()
    (parameter,) = [
        p
        for p in schema["paths"]["/api/v1/agreements/"]["get"]["parameters"]
        if p["name"] == "disputed"
    ]
    response = api.get("/api/v1/agreements/", {"disputed": value})

    declared = re.match(parameter["schema"]["pattern"], value) is not None
    assert (response.status_code, declared) == (status, status == 200)


def test_a_status_update_has_a_status_of_its_record_type(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    rows = schema["components"]["schemas"]["ArmsDealRequest"]["properties"]["status_updates"]

    assert rows["items"]["allOf"][1]["properties"]["status"]["enum"] == [
        "reported",
        "signed",
        "in_delivery",
        "delivered",
        "cancelled",
    ]

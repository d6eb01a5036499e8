"""The OpenAPI schema says what the server does: access, nullable fields, parameters, CSV."""

from __future__ import annotations

import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from tracker import models, registry

RESOURCES = [rt.resource for rt in registry.RECORD_TYPES]


@pytest.fixture
def schema(api):
    return yaml.safe_load(api.get("/api/v1/schema/").content)


def schema_errors(schema: dict, operation: dict, body) -> list[str]:
    """Errors of a 200 JSON body against its operation's schema, read strictly (OpenAPI 3.0)."""
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]
    validator = OAS30Validator({"components": schema["components"], **response})
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(body)]


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_row_of_every_list_matches_the_schema_strictly(api, seeded, schema, resource):
    body = api.get(f"/api/v1/{resource}/?page_size=500").json()

    operation = schema["paths"][f"/api/v1/{resource}/"]["get"]
    assert (body["count"] > 0, schema_errors(schema, operation, body)) == (True, [])


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_record_read_alone_matches_the_schema_strictly(api, seeded, schema, resource):
    model = registry.for_resource(resource).model
    operation = schema["paths"][f"/api/v1/{resource}/{{slug}}/"]["get"]

    errors = [
        (slug, schema_errors(schema, operation, api.get(f"/api/v1/{resource}/{slug}/").json()))
        for slug in model.objects.values_list("slug", flat=True)
    ]

    assert [(slug, e) for slug, e in errors if e] == []


def test_the_deletions_feed_matches_the_schema_strictly(api, seeded, schema):
    models.Exercise.objects.get(slug="vostok-2018").delete()

    body = api.get("/api/v1/deletions/").json()

    operation = schema["paths"]["/api/v1/deletions/"]["get"]
    assert (body["count"], schema_errors(schema, operation, body)) == (1, [])


@pytest.mark.parametrize(
    ("schema_name", "field"),
    [("Actor", "parent"), ("Statement", "speaker"), ("Agreement", "replaces")],
)
def test_links_that_may_be_empty_are_nullable_objects(schema, schema_name, field):
    declared = schema["components"]["schemas"][schema_name]["properties"][field]

    assert (declared["type"], declared["nullable"]) == ("object", True)


def test_reads_allow_anonymous_clients_first_then_tokens_and_session(schema):
    security = schema["paths"]["/api/v1/exercises/"]["get"]["security"]

    assert security == [{}, {"tokenAuth": []}, {"bearerAuth": []}, {"cookieAuth": []}]


def test_writes_require_a_token_or_session(schema):
    security = schema["paths"]["/api/v1/exercises/"]["post"]["security"]

    assert security == [{"tokenAuth": []}, {"bearerAuth": []}, {"cookieAuth": []}]


def test_both_token_spellings_are_security_schemes(schema):
    schemes = schema["components"]["securitySchemes"]

    assert (schemes["bearerAuth"], schemes["tokenAuth"]["in"], schemes["tokenAuth"]["name"]) == (
        {"type": "http", "scheme": "bearer"},
        "header",
        "Authorization",
    )


@pytest.mark.parametrize("keyword", ["Token", "Bearer", "bearer"])
def test_a_token_is_accepted_after_either_keyword(api, editor, keyword):
    from rest_framework.authtoken.models import Token

    key = Token.objects.get_or_create(user=editor)[0].key
    api.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")

    response = api.post(
        "/api/v1/actors/",
        {"slug": "pla-navy", "name": "PLA Navy", "kind": "armed_force"},
        format="json",
    )

    assert response.status_code == 201


def test_a_wrong_bearer_token_is_401_with_the_token_challenge(api, db):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")

    response = api.get("/api/v1/actors/")

    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")


def test_a_single_valued_parameter_given_twice_is_400_naming_it(api, seeded):
    response = api.get("/api/v1/exercises/?ordering=-start_date&ordering=name")

    assert (response.status_code, response.json()) == (
        400,
        {"ordering": ["Give this parameter once; it takes one value."]},
    )


def test_page_size_given_twice_is_400_naming_it(api, seeded):
    response = api.get("/api/v1/exercises/?page_size=1&page_size=2")

    assert (response.status_code, list(response.json())) == (400, ["page_size"])


def test_a_multi_valued_filter_may_be_repeated(api, seeded):
    response = api.get("/api/v1/exercises/?country=CN&country=RU&domain=naval&domain=land")

    assert response.status_code == 200


def test_the_deletions_feed_takes_no_cursor(api, db):
    response = api.get("/api/v1/deletions/?cursor=abc")

    assert (response.status_code, response.json()["unknown_parameters"][0]) == (
        400,
        "Unknown query parameter: cursor.",
    )


def test_the_deletions_feed_declares_no_cursor(schema):
    names = {p["name"] for p in schema["paths"]["/api/v1/deletions/"]["get"]["parameters"]}

    assert names == {"page", "page_size", "record_type", "resource", "since"}


def test_deletions_are_filtered_by_the_resource_name_of_the_urls(api, seeded):
    models.ArmsDeal.objects.filter(slug__startswith="su-35").first().delete()
    models.Exercise.objects.get(slug="vostok-2018").delete()

    body = api.get("/api/v1/deletions/?resource=arms-deals").json()

    assert [row["resource"] for row in body["results"]] == ["arms-deals"]


def test_footnote_filter_is_declared_with_the_bounds_the_server_checks(schema):
    parameters = schema["paths"]["/api/v1/exercises/"]["get"]["parameters"]
    footnote = next(p for p in parameters if p["name"] == "footnote")

    assert footnote["schema"]["items"] == {"type": "integer", "minimum": 1, "maximum": 32767}


@pytest.mark.parametrize("resource", RESOURCES)
def test_csv_export_is_its_own_operation_with_one_media_type(schema, resource):
    operation = schema["paths"][f"/api/v1/{resource}.csv"]["get"]

    assert list(operation["responses"]["200"]["content"]) == ["text/csv"]


def test_list_responses_are_json_only_in_the_schema(schema):
    operation = schema["paths"]["/api/v1/exercises/"]["get"]

    assert list(operation["responses"]["200"]["content"]) == ["application/json"]


def test_csv_export_answers_what_format_csv_answers(api, seeded):
    export = api.get("/api/v1/exercises.csv?country=IR")
    legacy = api.get("/api/v1/exercises/?country=IR&format=csv")

    assert (export.status_code, export["Content-Type"], b"".join(export.streaming_content)) == (
        200,
        "text/csv; charset=utf-8",
        b"".join(legacy.streaming_content),
    )


def test_the_public_docs_name_no_internal_module(schema):
    text = yaml.safe_dump(schema)

    assert ("``readers``" in text, "plain values" in text) == (False, False)


def test_an_empty_parameter_value_is_400_naming_it(api, db):
    response = api.get("/api/v1/exercises/?updated_since=")

    assert (response.status_code, response.json()) == (
        400,
        {"updated_since": ["Give a value or leave this parameter out."]},
    )


def test_string_query_parameters_declare_that_they_need_a_value(schema):
    parameters = schema["paths"]["/api/v1/deletions/"]["get"]["parameters"]

    assert next(p for p in parameters if p["name"] == "since")["schema"]["minLength"] == 1


def test_a_method_the_csv_export_does_not_serve_is_405_whatever_the_query(editor_api, db):
    response = editor_api.post("/api/v1/actors.csv?colour=red")

    assert response.status_code == 405

"""Coded fields take only their codes: languages, currencies, URLs, identifiers, vocabularies."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests import factories as f
from tracker import models, services


def source_body(**overrides):
    body = {
        "slug": "tass-report",
        "title": "TASS report",
        "kind": "news",
        "published": {"date": "2019-10-03", "precision": "day"},
        "language": "ru",
        "url": "https://tass.com/defense/1",
    }
    return {**body, **overrides}


def errors_of(record) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        record.full_clean()
    return caught.value.message_dict


@pytest.mark.django_db
def test_source_language_outside_iso_639_1_is_refused():
    source = f.SourceFactory.build(language="english")
    assert errors_of(source)["language"] == ["Value 'english' is not a valid choice."]


@pytest.mark.django_db
def test_statement_language_code_is_accepted():
    source = f.SourceFactory.build(language="zh")
    source.full_clean()
    assert source.get_language_display() == "Chinese (zh)"


@pytest.mark.django_db
def test_currency_outside_iso_4217_is_refused():
    deal = f.ArmsDealFactory.build(value_amount=100, value_currency="XYZ")
    assert errors_of(deal)["value_currency"] == ["Value 'XYZ' is not a valid choice."]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["ftp://example.org/report.pdf", "javascript:alert(1)"])
def test_source_url_must_be_a_web_address(url):
    source = f.SourceFactory.build(url=url)
    assert "Enter a web address (http or https)." in errors_of(source)["url"]


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["UPPER-b90c58", "two--hyphens", "-leading", "under_score"])
def test_identifier_pattern_is_enforced(slug):
    actor = f.ActorFactory.build(slug=slug)
    assert errors_of(actor)["slug"] == [
        "Use lowercase letters, digits and single hyphens between words, e.g. “tsentr-2019”."
    ]


@pytest.mark.django_db
def test_database_refuses_a_capitalised_identifier():
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Actor.objects.create(slug="Russia", name="Russia", kind="state")


@pytest.mark.django_db
def test_series_variant_of_a_value_in_use_is_refused():
    f.ExerciseFactory(series="Peace Mission")
    exercise = f.ExerciseFactory.build(series="peace  mission")
    assert errors_of(exercise)["series"] == [
        "“Peace Mission” is already in use: write it the same way, so that lists and filters "
        "keep them together."
    ]


@pytest.mark.django_db
def test_series_spacing_is_normalised_and_a_new_value_accepted():
    f.ExerciseFactory(series="Peace Mission")
    exercise = f.ExerciseFactory.build(series="  Joint   Sea ")
    exercise.full_clean()
    assert exercise.series == "Joint Sea"


@pytest.mark.django_db
def test_api_refuses_an_unknown_language_with_400(editor_api):
    response = editor_api.post("/api/v1/sources/", source_body(language="english"), format="json")
    assert (response.status_code, response.json()) == (
        400,
        {"language": ['"english" is not a valid choice.']},
    )


@pytest.mark.django_db
def test_api_refuses_an_ftp_url_with_400(editor_api):
    response = editor_api.post(
        "/api/v1/sources/", source_body(url="ftp://example.org/x"), format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["url"]


@pytest.mark.django_db
def test_api_refuses_a_capitalised_identifier_with_400(editor_api):
    response = editor_api.post("/api/v1/sources/", source_body(slug="TASS-report"), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["slug"]


def test_schema_lists_languages_and_currencies(client, db):
    schema = client.get("/api/v1/schema/?format=json").json()
    enums = {
        name: component.get("enum", [])
        for name, component in schema["components"]["schemas"].items()
    }
    language = next(e for n, e in enums.items() if "ru" in e and "zh" in e)
    currency = next(e for n, e in enums.items() if "USD" in e and "RUB" in e)
    assert (len([c for c in language if c]), "XYZ" in currency) == (184, False)


@pytest.mark.django_db
def test_admin_offers_series_in_use(editor_client):
    f.ExerciseFactory(series="Tsentr")
    f.ExerciseFactory(series="Vostok")
    page = editor_client.get("/admin/tracker/exercise/add/").content.decode()
    assert '<datalist id="id_series-values"><option value="Tsentr"><option value="Vostok">' in page


@pytest.mark.django_db
def test_write_path_refuses_currency_through_services():
    deal = f.ArmsDealFactory.build(value_amount=5, value_currency="usd")
    with pytest.raises(ValidationError):
        services.record_save(deal)

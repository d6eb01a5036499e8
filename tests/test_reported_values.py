"""Reported values: ranked, cited claims on a record's dates, money value and quantity."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.admin_forms import change_form_data
from tests.api_factories import MONTH, if_match
from tests.factories import ArmsDealFactory, ExerciseFactory, SourceFactory
from tracker import services
from tracker.exports.files import TABLES
from tracker.exports.tables import csv_lines
from tracker.models import ArmsDeal, Rank, ReportedValue

pytestmark = pytest.mark.django_db


@pytest.fixture
def sources(db):
    """Two sources that disagree."""
    return (
        SourceFactory(slug="tass-2019", title="TASS 2019"),
        SourceFactory(slug="kommersant-2019", title="Kommersant 2019"),
    )


def start_date(text: str) -> dict:
    """A reported start date's columns, as ``record_save`` takes them."""
    value = dt.date.fromisoformat(text + "-01")
    return {"field": "start_date", "date": value, "date_precision": MONTH, "date_qualifier": ""}


def test_the_preferred_value_is_copied_into_the_record(sources):
    tass, kommersant = sources
    exercise = ExerciseFactory(slug="vostok", start_date=dt.date(2018, 9, 1))

    services.record_save(
        exercise,
        reported_values=[
            {**start_date("2018-08"), "rank": Rank.PREFERRED, "source": tass, "footnote": 12},
            {**start_date("2018-09"), "rank": Rank.NORMAL, "source": kommersant},
        ],
    )

    exercise.refresh_from_db()
    assert (exercise.start_date, exercise.reported_values.count()) == (dt.date(2018, 8, 1), 2)


def test_changing_the_field_away_from_the_preferred_value_is_refused(sources):
    tass, _ = sources
    exercise = ExerciseFactory(slug="vostok", start_date=dt.date(2018, 9, 1))
    services.record_save(
        exercise,
        reported_values=[{**start_date("2018-09"), "rank": Rank.PREFERRED, "source": tass}],
    )
    exercise.start_date = dt.date(2018, 10, 1)

    with pytest.raises(ValidationError) as refused:
        services.record_save(exercise)

    assert list(refused.value.message_dict) == ["start_date"]


def test_deprecated_without_reason_is_refused_by_the_write_path(sources):
    tass, _ = sources
    exercise = ExerciseFactory(slug="vostok")

    with pytest.raises(ValidationError) as refused:
        services.record_save(
            exercise,
            reported_values=[{**start_date("2018-10"), "rank": Rank.DEPRECATED, "source": tass}],
        )

    message = "Row 1, reason: A deprecated value needs the reason it is held wrong."
    assert (refused.value.message_dict, ReportedValue.objects.count()) == (
        {"reported_values": [message]},
        0,
    )


def test_deprecated_without_reason_is_refused_by_the_database(sources):
    tass, _ = sources
    exercise = ExerciseFactory(slug="vostok")

    with pytest.raises(IntegrityError), transaction.atomic():
        ReportedValue.objects.create(
            exercise=exercise, **start_date("2018-10"), rank=Rank.DEPRECATED, source=tass
        )


def test_the_database_keeps_one_preferred_value_per_field(sources):
    tass, kommersant = sources
    exercise = ExerciseFactory(slug="vostok")
    ReportedValue.objects.create(
        exercise=exercise, **start_date("2018-09"), rank=Rank.PREFERRED, source=tass
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        ReportedValue.objects.create(
            exercise=exercise, **start_date("2018-08"), rank=Rank.PREFERRED, source=kommersant
        )


def test_two_preferred_values_of_one_field_are_refused_by_the_write_path(sources):
    tass, kommersant = sources
    exercise = ExerciseFactory(slug="vostok")

    with pytest.raises(ValidationError) as refused:
        services.record_save(
            exercise,
            reported_values=[
                {**start_date("2018-09"), "rank": Rank.PREFERRED, "source": tass},
                {**start_date("2018-08"), "rank": Rank.PREFERRED, "source": kommersant},
            ],
        )

    assert refused.value.message_dict == {
        "reported_values": ["Only one value of start_date can be preferred."]
    }


def test_a_field_the_record_type_cannot_dispute_is_refused(sources):
    tass, _ = sources
    exercise = ExerciseFactory(slug="vostok")

    with pytest.raises(ValidationError) as refused:
        services.record_save(
            exercise, reported_values=[{"field": "quantity", "quantity": 3, "source": tass}]
        )

    assert refused.value.message_dict["reported_values"][0].startswith("Row 1, field: “quantity”")


def test_a_saved_value_is_in_the_records_history(sources):
    from reversion.models import Version

    tass, _ = sources
    exercise = ExerciseFactory(slug="vostok")

    services.record_save(
        exercise, reported_values=[{**start_date("2018-08"), "rank": "normal", "source": tass}]
    )

    latest = Version.objects.get_for_object(exercise).first()
    assert latest.revision.get_comment() == (
        "Changed reported values: added start_date: August 2018 (normal)."
    )


# --- API -----------------------------------------------------------------------------


def deal_body(**overrides) -> dict:
    body = {
        "slug": "su-35",
        "title": "Su-35 fighters",
        "category": "aircraft",
        "value": {"amount": "2000000000.00", "currency": "USD"},
        "citations": [{"source": "tass-2019", "footnote": 16}],
        "reported_values": [
            {
                "field": "value",
                "amount": "2000000000.00",
                "currency": "USD",
                "value_text": "$2 billion",
                "rank": "preferred",
                "source": "tass-2019",
                "footnote": 16,
            },
            {
                "field": "value",
                "amount": "2500000000.00",
                "currency": "USD",
                "rank": "deprecated",
                "reason": "Includes the engines' contract.",
                "source": "kommersant-2019",
                "locator": "p. 2",
            },
        ],
    }
    body.update(overrides)
    return body


def test_a_disputed_value_round_trips_through_the_api_with_its_citation(editor_api, sources):
    created = editor_api.post("/api/v1/arms-deals/", deal_body(), format="json")

    shown = editor_api.get("/api/v1/arms-deals/su-35/").json()
    assert (created.status_code, shown["disputed"], shown["reported_values"][1]) == (
        201,
        True,
        {
            "field": "value",
            "date": {
                "date": None,
                "precision": None,
                "qualifier": "",
                "iso": "",
                "display": "date unknown",
            },
            "amount": "2500000000.00",
            "currency": "USD",
            "quantity": None,
            "value_text": "",
            "rank": "deprecated",
            "reason": "Includes the engines' contract.",
            "source": {"slug": "kommersant-2019", "title": "Kommersant 2019", "url": ""},
            "footnote": None,
            "locator": "p. 2",
        },
    )


def test_the_list_shows_the_same_reported_values_as_the_detail(editor_api, sources):
    editor_api.post("/api/v1/arms-deals/", deal_body(), format="json")

    listed = editor_api.get("/api/v1/arms-deals/").json()["results"][0]
    detail = editor_api.get("/api/v1/arms-deals/su-35/").json()

    assert (listed["reported_values"], listed["disputed"]) == (
        detail["reported_values"],
        detail["disputed"],
    )


def test_the_api_writes_the_preferred_value_into_the_record(editor_api, sources):
    editor_api.post("/api/v1/arms-deals/", deal_body(), format="json")
    url = "/api/v1/arms-deals/su-35/"
    values = editor_api.get(url).json()["reported_values"]
    values[0]["amount"] = "1900000000.00"

    response = editor_api.patch(
        url, {"reported_values": values}, format="json", **if_match(editor_api, url)
    )

    assert (response.status_code, response.json()["value"]["amount"]) == (200, "1900000000.00")


def test_the_api_refuses_a_deprecated_value_without_reason(editor_api, sources):
    body = deal_body()
    del body["reported_values"][1]["reason"]

    response = editor_api.post("/api/v1/arms-deals/", body, format="json")

    assert (response.status_code, response.json(), ArmsDeal.objects.count()) == (
        400,
        {
            "reported_values": [
                "Row 2, reason: A deprecated value needs the reason it is held wrong."
            ]
        },
        0,
    )


def test_disputed_filter_selects_disputed_records(api, sources):
    tass, _ = sources
    ExerciseFactory(slug="plain")
    disputed = ExerciseFactory(slug="disputed", start_date=dt.date(2018, 9, 1))
    services.record_save(
        disputed, reported_values=[{**start_date("2018-08"), "rank": "normal", "source": tass}]
    )

    found = {
        flag: [r["slug"] for r in api.get(f"/api/v1/exercises/?disputed={flag}").json()["results"]]
        for flag in ("true", "false")
    }

    assert found == {"true": ["disputed"], "false": ["plain"]}


@pytest.fixture
def disputed_by_a_draft(sources):
    """ "by-draft": disputed only by a value citing a draft source; "by-two": twice, by
    published sources; "plain": not at all."""
    tass, kommersant = sources
    draft = SourceFactory(slug="draft-source", publication_status="draft")
    ExerciseFactory(slug="plain")
    for slug, values in (
        ("by-draft", [("2018-08", draft)]),
        ("by-two", [("2018-08", tass), ("2018-07", kommersant)]),
    ):
        exercise = ExerciseFactory(slug=slug, start_date=dt.date(2018, 9, 1))
        rows = [{**start_date(when), "rank": "normal", "source": by} for when, by in values]
        services.record_save(exercise, reported_values=rows)


def disputed_lists(client) -> dict:
    """``?disputed=`` true and false: each list's slugs, its count, and its flags."""
    found = {}
    for flag in ("true", "false"):
        body = client.get(f"/api/v1/exercises/?disputed={flag}&ordering=slug").json()
        rows = body["results"]
        found[flag] = ([r["slug"] for r in rows], body["count"], [r["disputed"] for r in rows])
    return found


def test_the_public_reads_a_record_disputed_only_by_a_draft_source_as_undisputed(
    api, disputed_by_a_draft
):
    assert disputed_lists(api) == {
        "true": (["by-two"], 1, [True]),
        "false": (["by-draft", "plain"], 2, [False, False]),
    }


def test_an_editor_reads_a_record_disputed_by_a_draft_source_as_disputed(
    editor_api, disputed_by_a_draft
):
    assert disputed_lists(editor_api) == {
        "true": (["by-draft", "by-two"], 2, [True, True]),
        "false": (["plain"], 1, [False]),
    }


def test_the_disputed_list_is_counted_from_the_disputed_records_keys(
    editor_api, disputed_by_a_draft
):
    with CaptureQueriesContext(connection) as queries:
        body = editor_api.get("/api/v1/exercises/?disputed=true&page_size=1").json()
    from_keys = sum("WITH linked(key) AS MATERIALIZED" in q["sql"] for q in queries)

    # by-two's two values name it twice: counted once.
    assert (body["count"], from_keys) == (2, int(connection.vendor == "postgresql"))


def test_a_record_whose_only_value_is_preferred_is_not_disputed(api, sources):
    tass, _ = sources
    exercise = ExerciseFactory(slug="vostok", start_date=dt.date(2018, 9, 1))
    services.record_save(
        exercise, reported_values=[{**start_date("2018-09"), "rank": "preferred", "source": tass}]
    )

    assert api.get("/api/v1/exercises/vostok/").json()["disputed"] is False


# --- CSV -----------------------------------------------------------------------------


def rows_of(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO("".join(csv_lines(TABLES[name])))))


def test_a_disputed_value_round_trips_through_the_csv_with_its_citation(editor_api, sources):
    editor_api.post("/api/v1/arms-deals/", deal_body(), format="json")

    deals = rows_of("arms_deals")
    values = rows_of("reported_values")

    assert (deals[0]["disputed"], values[1]) == (
        "true",
        {
            "id": str(ReportedValue.objects.get(rank="deprecated").pk),
            "record_type": "arms_deal",
            "record": "su-35",
            "agreement": "",
            "exercise": "",
            "arms_deal": "su-35",
            "statement": "",
            "field": "value",
            "date": "",
            "date_precision": "",
            "date_qualifier": "",
            "date_display": "",
            "amount": "2500000000.00",
            "currency": "USD",
            "quantity": "",
            "value_text": "",
            "rank": "deprecated",
            "reason": "Includes the engines' contract.",
            "source": "kommersant-2019",
            "footnote": "",
            "locator": "p. 2",
        },
    )


def test_the_csv_marks_undisputed_records_false(sources):
    ArmsDealFactory(slug="plain")

    assert rows_of("arms_deals")[0]["disputed"] == "false"


def test_the_api_csv_has_the_disputed_column(api, sources):
    tass, _ = sources
    exercise = ExerciseFactory(slug="vostok", start_date=dt.date(2018, 9, 1))
    services.record_save(
        exercise, reported_values=[{**start_date("2018-08"), "rank": "normal", "source": tass}]
    )

    response = api.get("/api/v1/exercises.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert [(r["slug"], r["disputed"]) for r in rows] == [("vostok", "true")]


def test_reported_values_keep_decimal_amounts_exactly(sources):
    tass, _ = sources
    deal = ArmsDealFactory(slug="deal", value_amount=Decimal("60000000"), value_currency="USD")

    services.record_save(
        deal,
        reported_values=[
            {
                "field": "value",
                "amount": Decimal("60000000.00"),
                "currency": "USD",
                "rank": "preferred",
                "source": tass,
            },
        ],
    )

    assert rows_of("reported_values")[0]["amount"] == "60000000.00"


# --- admin ---------------------------------------------------------------------------


def test_an_editor_adds_a_reported_value_in_the_admin_inline(editor_client, sources):
    tass, _ = sources
    exercise = ExerciseFactory(slug="vostok", start_date=dt.date(2018, 9, 1))
    url = f"/admin/tracker/exercise/{exercise.pk}/change/"
    data = change_form_data(editor_client.get(url))
    data.update(
        {
            "reported_values-TOTAL_FORMS": "1",
            "reported_values-0-field": "start_date",
            "reported_values-0-date": "August 2018",
            "reported_values-0-rank": "normal",
            "reported_values-0-source": str(tass.pk),
            "reported_values-0-footnote": "12",
        }
    )

    response = editor_client.post(url, data)

    assert (response.status_code, [str(v) for v in exercise.reported_values.all()]) == (
        302,
        ["start_date: August 2018 (normal)"],
    )


def test_the_admin_shows_a_refused_deprecated_value_on_its_row(editor_client, sources):
    tass, _ = sources
    exercise = ExerciseFactory(slug="vostok")
    url = f"/admin/tracker/exercise/{exercise.pk}/change/"
    data = change_form_data(editor_client.get(url))
    data.update(
        {
            "reported_values-TOTAL_FORMS": "1",
            "reported_values-0-field": "start_date",
            "reported_values-0-date": "August 2018",
            "reported_values-0-rank": "deprecated",
            "reported_values-0-source": str(tass.pk),
        }
    )

    response = editor_client.post(url, data)

    formsets = [inline.formset for inline in response.context["inline_admin_formsets"]]
    row = next(f for f in formsets if f.model is ReportedValue).forms[0]
    assert (response.status_code, row.errors, ReportedValue.objects.count()) == (
        200,
        {"reason": ["A deprecated value needs the reason it is held wrong."]},
        0,
    )


def test_renaming_a_source_marks_the_records_reporting_from_it_as_changed(sources):
    _, kommersant = sources
    exercise = ExerciseFactory(slug="vostok", start_date=dt.date(2018, 9, 1))
    services.record_save(
        exercise,
        reported_values=[{**start_date("2018-08"), "rank": "normal", "source": kommersant}],
    )
    before = type(exercise).objects.get().updated_at
    kommersant.title = "Kommersant, 2019"

    services.record_save(kommersant)

    assert type(exercise).objects.get().updated_at > before


def test_reverting_brings_back_the_versions_reported_values(editor_client, sources):
    from django.urls import reverse
    from reversion.models import Version

    tass, kommersant = sources
    exercise = ExerciseFactory(slug="vostok", start_date=dt.date(2018, 9, 1))
    services.record_save(
        exercise,
        reported_values=[
            {**start_date("2018-09"), "rank": "preferred", "source": tass},
            {**start_date("2018-08"), "rank": "normal", "source": kommersant},
        ],
    )
    version = Version.objects.get_for_object(exercise).order_by("-pk").first()
    services.record_save(exercise, reported_values=[])
    url = reverse("admin:tracker_exercise_revision", args=[exercise.pk, version.pk])

    response = editor_client.post(url, change_form_data(editor_client.get(url)))

    assert (response.status_code, sorted(str(v) for v in exercise.reported_values.all())) == (
        302,
        ["start_date: August 2018 (normal)", "start_date: September 2018 (preferred)"],
    )


def test_saving_the_change_form_unchanged_keeps_the_values_precision(editor_client, sources):
    tass, _ = sources
    exercise = ExerciseFactory(slug="vostok", start_date=dt.date(2018, 9, 1))
    services.record_save(
        exercise, reported_values=[{**start_date("2018-08"), "rank": "normal", "source": tass}]
    )
    url = f"/admin/tracker/exercise/{exercise.pk}/change/"

    response = editor_client.post(url, change_form_data(editor_client.get(url)))

    assert (response.status_code, [str(v) for v in exercise.reported_values.all()]) == (
        302,
        ["start_date: August 2018 (normal)"],
    )


def test_a_disputed_filter_value_that_is_no_boolean_is_400(api):
    response = api.get("/api/v1/exercises/?disputed=maybe")

    assert (response.status_code, response.json()) == (400, {"disputed": ["Give true or false."]})


def test_anonymous_readers_get_no_reported_value_citing_a_draft_source(api, sources):
    _, kommersant = sources
    kommersant.publication_status = "draft"
    kommersant.save()
    exercise = ExerciseFactory(slug="vostok", start_date=dt.date(2018, 9, 1))
    services.record_save(
        exercise,
        reported_values=[{**start_date("2018-08"), "rank": "normal", "source": kommersant}],
    )

    listed = api.get("/api/v1/exercises/").json()["results"][0]
    detail = api.get("/api/v1/exercises/vostok/").json()

    assert (listed["reported_values"], detail["reported_values"]) == ([], [])

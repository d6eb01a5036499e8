"""Status over time: dated, cited updates of deals and agreements; the status is the latest."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from tests.admin_forms import change_form_data
from tests.api_factories import DAY, MONTH, YEAR, if_match
from tests.factories import AgreementFactory, ArmsDealFactory, SourceFactory
from tracker import services
from tracker.exports.files import TABLES
from tracker.exports.tables import csv_lines
from tracker.models import ArmsDeal, StatusUpdate

pytestmark = pytest.mark.django_db


@pytest.fixture
def source(db):
    return SourceFactory(slug="tvzvezda-2017", title="Tvzvezda 2017")


def update(status: str, day: str, precision=DAY, **extra) -> dict:
    """A status update's columns, as ``record_save`` takes them."""
    return {
        "status": status,
        "as_of": dt.date.fromisoformat(day),
        "as_of_precision": precision,
        "as_of_qualifier": "",
        **extra,
    }


def test_the_status_is_the_latest_updates_status(source):
    deal = ArmsDealFactory(slug="s-400")

    services.record_save(
        deal,
        status_updates=[
            update("delivered", "2020-01-01", YEAR, source=source),
            update("signed", "2017-02-21", source=source, footnote=16),
        ],
    )

    deal.refresh_from_db()
    assert (deal.status, [u.status for u in deal.status_updates.all()]) == (
        "delivered",
        ["signed", "delivered"],
    )


def test_among_updates_of_one_date_the_last_entered_is_the_latest(source):
    deal = ArmsDealFactory(slug="s-400")

    services.record_save(
        deal,
        status_updates=[
            update("signed", "2018-01-01", YEAR, source=source),
            update("in_delivery", "2018-01-01", YEAR, source=source),
        ],
    )

    deal.refresh_from_db()
    assert deal.status == "in_delivery"


def test_changing_the_status_without_an_update_is_refused(source):
    deal = ArmsDealFactory(slug="s-400")
    services.record_save(deal, status_updates=[update("signed", "2017-02-21", source=source)])
    deal.status = "delivered"

    with pytest.raises(ValidationError) as refused:
        services.record_save(deal)

    assert refused.value.message_dict == {
        "status": [
            "The status follows the latest status update (signed as of 21 February 2017): "
            "add a dated, cited update for the new status."
        ]
    }


def test_a_status_of_the_other_record_type_is_refused(source):
    deal = ArmsDealFactory(slug="s-400")

    with pytest.raises(ValidationError) as refused:
        services.record_save(deal, status_updates=[update("ratified", "2017-02-21", source=source)])

    assert refused.value.message_dict["status_updates"][0].startswith(
        "Row 1, status: “ratified” is no status of arms deals"
    )


def test_the_database_refuses_a_status_of_the_other_record_type(source):
    deal = ArmsDealFactory(slug="s-400")

    with pytest.raises(IntegrityError), transaction.atomic():
        StatusUpdate.objects.create(
            arms_deal=deal, **update("ratified", "2017-02-21"), source=source
        )


def test_an_update_without_a_date_is_refused(source):
    agreement = AgreementFactory(slug="border-1991")

    with pytest.raises(ValidationError) as refused:
        services.record_save(
            agreement,
            status_updates=[{"status": "signed", "source": source}],
        )

    assert refused.value.message_dict == {
        "status_updates": ["Row 1, as_of: A status update needs its date."]
    }


def test_records_of_other_types_have_no_status_updates(source):
    from tests.factories import ExerciseFactory

    exercise = ExerciseFactory(slug="vostok")

    with pytest.raises(ValidationError) as refused:
        services.record_save(exercise, status_updates=[update("signed", "2017-02-21")])

    assert list(refused.value.message_dict) == ["status_updates"]


# --- API -----------------------------------------------------------------------------


def test_status_updates_round_trip_through_the_api_with_status_as_of(editor_api, source):
    body = {
        "slug": "border-1991",
        "title": "Sino-Soviet Border Agreement",
        "kind": "treaty",
        "status": "ratified",
        "citations": [{"source": "tvzvezda-2017", "footnote": 1}],
        "status_updates": [
            {"status": "signed", "as_of": "1991", "source": "tvzvezda-2017", "footnote": 1},
            {
                "status": "ratified",
                "as_of": "February 1992",
                "note": "Russia ratified it.",
                "source": "tvzvezda-2017",
                "locator": "para. 3",
            },
        ],
    }

    created = editor_api.post("/api/v1/agreements/", body, format="json")
    shown = editor_api.get("/api/v1/agreements/border-1991/").json()

    assert (created.status_code, shown["status"], shown["status_as_of"]["display"]) == (
        201,
        "ratified",
        "February 1992",
    )
    assert shown["status_updates"][1] == {
        "status": "ratified",
        "as_of": {
            "date": "1992-02-01",
            "precision": "month",
            "qualifier": "",
            "iso": "1992-02",
            "display": "February 1992",
        },
        "note": "Russia ratified it.",
        "source": {"slug": "tvzvezda-2017", "title": "Tvzvezda 2017", "url": ""},
        "footnote": None,
        "locator": "para. 3",
    }


def test_the_list_shows_status_as_of_as_the_detail_does(editor_api, source):
    deal = ArmsDealFactory(slug="s-400")
    services.record_save(deal, status_updates=[update("signed", "2017-02-21", source=source)])

    listed = editor_api.get("/api/v1/arms-deals/").json()["results"][0]
    detail = editor_api.get("/api/v1/arms-deals/s-400/").json()

    assert (listed["status_as_of"], listed["status_updates"]) == (
        detail["status_as_of"],
        detail["status_updates"],
    )


def test_a_record_without_updates_has_an_unknown_status_as_of(api):
    ArmsDealFactory(slug="s-400")

    assert api.get("/api/v1/arms-deals/s-400/").json()["status_as_of"]["display"] == (
        "date unknown"
    )


def test_the_api_refuses_a_status_change_without_an_update(editor_api, source):
    deal = ArmsDealFactory(slug="s-400")
    services.record_save(deal, status_updates=[update("signed", "2017-02-21", source=source)])
    url = "/api/v1/arms-deals/s-400/"

    response = editor_api.patch(
        url, {"status": "delivered"}, format="json", **if_match(editor_api, url)
    )

    assert (response.status_code, list(response.json()), ArmsDeal.objects.get().status) == (
        400,
        ["status"],
        "signed",
    )


# --- CSV and admin -------------------------------------------------------------------


def test_the_csv_file_lists_each_update_with_its_citation(source):
    deal = ArmsDealFactory(slug="s-400")
    services.record_save(
        deal, status_updates=[update("signed", "2017-02-01", MONTH, source=source, footnote=16)]
    )

    rows = list(csv.DictReader(io.StringIO("".join(csv_lines(TABLES["status_updates"])))))

    assert rows == [
        {
            "id": str(StatusUpdate.objects.get().pk),
            "record_type": "arms_deal",
            "record": "s-400",
            "agreement": "",
            "arms_deal": "s-400",
            "status": "signed",
            "status_label": "signed",
            "as_of": "2017-02-01",
            "as_of_precision": "month",
            "as_of_qualifier": "",
            "as_of_display": "February 2017",
            "note": "",
            "source": "tvzvezda-2017",
            "footnote": "16",
            "locator": "",
        }
    ]


def test_an_editor_adds_an_update_in_the_admin_inline(editor_client, source):
    deal = ArmsDealFactory(slug="s-400")
    url = f"/admin/tracker/armsdeal/{deal.pk}/change/"
    data = change_form_data(editor_client.get(url))
    data.update(
        {
            "status_updates-TOTAL_FORMS": "1",
            "status_updates-0-status": "signed",
            "status_updates-0-as_of": "21 February 2017",
            "status_updates-0-note": "Deliveries announced.",
            "status_updates-0-source": str(source.pk),
            "status_updates-0-footnote": "16",
            "status_updates-0-locator": "",
        }
    )

    response = editor_client.post(url, data)

    deal.refresh_from_db()
    assert (response.status_code, deal.status, str(deal.status_updates.get())) == (
        302,
        "signed",
        "signed as of 21 February 2017",
    )


# --- the seed --------------------------------------------------------------------------


def test_the_seeds_s_400_sale_is_signed_as_of_the_article(seeded, api):
    shown = api.get("/api/v1/arms-deals/s-400-sale-to-china/").json()

    assert (
        shown["status"],
        shown["status_as_of"]["display"],
        [
            (u["as_of"]["display"], u["source"]["slug"], u["footnote"])
            for u in shown["status_updates"]
        ],
    ) == (
        "signed",
        "1 July 2020",
        [
            ("21 February 2017", "tvzvezda-2017-02-21-s-400-su-35", 16),
            ("1 July 2020", "icds-diplomaatia-2020-07-01-alliance-without-agreement", None),
        ],
    )


def test_the_seeds_border_agreement_was_signed_then_ratified(seeded):
    from tracker.models import Agreement

    agreement = Agreement.objects.get(slug="sino-soviet-border-agreement-1991")

    assert [str(u) for u in agreement.status_updates.all()] == [
        "signed as of 1991",
        "ratified as of February 1992",
    ]


def test_every_seeded_record_has_its_latest_updates_status(seeded):
    from tracker.models import Agreement

    for model in (Agreement, ArmsDeal):
        for record in model.objects.filter(status_updates__isnull=False).distinct():
            assert record.status == list(record.status_updates.all())[-1].status, record.slug

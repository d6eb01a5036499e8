"""Reading records through the API: representations of every resource."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.api_factories import (
    MONTH,
    YEAR,
    day,
    linked_actor,
    linked_agreement,
    linked_deal,
    linked_exercise,
    linked_statement,
)
from tests.factories import ActorFactory, SourceFactory

pytestmark = pytest.mark.django_db


def test_exercise_detail_nests_participants_with_role_and_contribution(api):
    china = ActorFactory(slug="china", name="China")
    russia = ActorFactory(slug="russia", name="Russia")
    linked_exercise("tsentr-2019", russia, china)

    body = api.get("/api/v1/exercises/tsentr-2019/").json()

    assert body["participants"] == [
        {
            "actor": {"slug": "russia", "name": "Russia"},
            "role": "host",
            "contribution": "contribution of Russia",
        },
        {
            "actor": {"slug": "china", "name": "China"},
            "role": "participant",
            "contribution": "contribution of China",
        },
    ]


def test_fuzzy_date_has_date_precision_qualifier_iso_and_display(api):
    linked_exercise("tsentr-2019", start_date=day("2019-09-01"), start_date_precision=MONTH)

    body = api.get("/api/v1/exercises/tsentr-2019/").json()

    assert body["start_date"] == {
        "date": "2019-09-01",
        "precision": "month",
        "qualifier": "",
        "iso": "2019-09",
        "display": "September 2019",
    }


def test_unknown_fuzzy_date_has_the_same_shape_with_nulls(api):
    linked_exercise("tsentr-2019")

    body = api.get("/api/v1/exercises/tsentr-2019/").json()

    assert body["end_date"] == {
        "date": None,
        "precision": None,
        "qualifier": "",
        "iso": "",
        "display": "date unknown",
    }


def test_citation_shows_footnote_locator_and_source_summary(api):
    source = SourceFactory(slug="kashin-2019", title="Kashin 2019", url="https://example.org/k")
    exercise = linked_exercise("tsentr-2019", source=source, footnote=7)
    exercise.citations.update(locator="p. 13")

    body = api.get("/api/v1/exercises/tsentr-2019/").json()

    assert body["citations"] == [
        {
            "source": {
                "slug": "kashin-2019",
                "title": "Kashin 2019",
                "url": "https://example.org/k",
            },
            "footnote": 7,
            "locator": "p. 13",
            "excerpt": "",
        }
    ]


def test_arms_deal_shows_money_supplier_recipient_and_contractors(api):
    russia = ActorFactory(slug="russia", name="Russia")
    china = ActorFactory(slug="china", name="China")
    roe = ActorFactory(slug="rosoboronexport", name="Rosoboronexport")
    linked_deal(
        "su-35",
        russia,
        china,
        roe,
        value_amount=Decimal("2000000000"),
        value_currency="USD",
        value_is_estimate=True,
        value_text="about $2 billion",
    )

    body = api.get("/api/v1/arms-deals/su-35/").json()

    assert (body["value"], body["supplier"], body["recipient"], body["contractors"]) == (
        {
            "amount": "2000000000.00",
            "currency": "USD",
            "is_estimate": True,
            "text": "about $2 billion",
        },
        {"slug": "russia", "name": "Russia"},
        {"slug": "china", "name": "China"},
        [
            {
                "actor": {"slug": "rosoboronexport", "name": "Rosoboronexport"},
                "role": "prime",
                "note": "",
            }
        ],
    )


def test_agreement_shows_parties(api):
    russia = ActorFactory(slug="russia", name="Russia")
    linked_agreement("treaty-2001", russia, concluded=day("2001-01-01"), concluded_precision=YEAR)

    body = api.get("/api/v1/agreements/treaty-2001/").json()

    assert (body["parties"], body["concluded"]["display"]) == (
        [{"actor": {"slug": "russia", "name": "Russia"}, "role": "party", "note": ""}],
        "2001",
    )


def test_statement_shows_speaker_and_what_it_concerns(api):
    kashin = ActorFactory(slug="kashin", name="Vasily Kashin")
    china = ActorFactory(slug="china", name="China")
    exercise = linked_exercise("vostok-2018", name="Vostok 2018")
    linked_statement("kashin-1", kashin, about_actors=[china], about_exercises=[exercise])

    body = api.get("/api/v1/statements/kashin-1/").json()

    assert (body["speaker"], body["about_actors"], body["about_exercises"]) == (
        {"slug": "kashin", "name": "Vasily Kashin"},
        [{"slug": "china", "name": "China"}],
        [{"slug": "vostok-2018", "name": "Vostok 2018"}],
    )


def test_actor_shows_parent_summary_and_country(api):
    china = ActorFactory(slug="china", name="China", country="CN")
    linked_actor("pla-navy", parent=china, name="PLA Navy", country="CN")

    body = api.get("/api/v1/actors/pla-navy/").json()

    assert (body["parent"], body["country"]) == ({"slug": "china", "name": "China"}, "CN")


def test_record_links_to_itself_by_slug(api):
    linked_exercise("tsentr-2019")

    body = api.get("/api/v1/exercises/tsentr-2019/").json()

    assert body["api_url"] == "http://testserver/api/v1/exercises/tsentr-2019/"


def test_source_detail_shows_published_date(api):
    SourceFactory(slug="kashin-2019")

    body = api.get("/api/v1/sources/kashin-2019/").json()

    assert body["published"]["display"] == "3 October 2019"


def test_unknown_slug_is_404(api):
    assert api.get("/api/v1/exercises/no-such-exercise/").status_code == 404


def test_slug_with_characters_no_identifier_has_is_404(api):
    assert api.get("/api/v1/exercises/a%00b/").status_code == 404


@pytest.mark.parametrize(
    "resource", ["actors", "sources", "agreements", "exercises", "arms-deals", "statements"]
)
def test_every_list_answers_json_with_paging_keys(api, resource):
    body = api.get(f"/api/v1/{resource}/").json()

    assert body == {"count": 0, "next": None, "previous": None, "results": []}

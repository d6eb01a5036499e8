"""What refers to a record: its change page lists it, the API filters by it, a 409 names it."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.api_factories import linked_agreement, linked_deal, linked_exercise, linked_statement
from tests.factories import ActorFactory, CitationFactory, SourceFactory, StatementFactory
from tracker import models
from tracker.admin.references import LISTED
from tracker.editors import create_user_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer(db) -> Client:
    client = Client()
    client.force_login(create_user_in_role("victor", "victor-long-password", "viewer"))
    return client


@pytest.fixture
def world(db):
    """China in an exercise, an agreement and a deal, all citing one source; a statement
    by Putin about China and the exercise."""
    china = ActorFactory(slug="china", name="China")
    russia = ActorFactory(slug="russia", name="Russia")
    putin = ActorFactory(slug="putin", name="Vladimir Putin", kind=models.ActorKind.PERSON)
    source = SourceFactory(slug="kashin-2019", title="Kashin 2019")
    exercise = linked_exercise("tsentr-2019", russia, china, source=source, name="Tsentr-2019")
    linked_agreement("treaty-2001", russia, china, source=source, title="Treaty 2001")
    linked_deal("su-35", russia, china, source=source, title="Su-35 deal")
    linked_statement(
        "putin-on-tsentr",
        putin,
        about_actors=[china],
        about_exercises=[exercise],
        text="A strategic partnership.",
    )
    return {"china": china, "source": source, "exercise": exercise, "putin": putin}


def referred_by(client: Client, record) -> dict[str, list[str]]:
    """The referring records listed on ``record``'s change page: {heading: [link texts]}."""
    url = reverse(f"admin:tracker_{record._meta.model_name}_change", args=[record.pk])
    response = client.get(url)
    assert response.status_code == 200
    sections = re.findall(
        r'<div class="references"[^>]*><strong>([^<]*)</strong><ul>(.*?)</ul>',
        response.content.decode(),
    )
    return {
        heading: re.findall(r'<li><a href="[^"]*">([^<]*)</a></li>', items)
        for heading, items in sections
    }


def test_actor_page_lists_what_it_takes_part_in_and_statements_about_it(viewer, world):
    assert list(referred_by(viewer, world["china"]).items()) == [
        ("Statements about it (1)", ["Vladimir Putin: A strategic partnership."]),
        ("Arms received (1)", ["Su-35 deal"]),
        ("Agreements (1)", ["Treaty 2001"]),
        ("Exercises (1)", ["Tsentr-2019"]),
    ]


def test_speaker_page_lists_the_statements_it_made(viewer, world):
    assert referred_by(viewer, world["putin"]) == {
        "Statements made (1)": ["Vladimir Putin: A strategic partnership."]
    }


def test_source_page_lists_the_records_citing_it(viewer, world):
    assert referred_by(viewer, world["source"]) == {
        "Exercises citing it (1)": ["Tsentr-2019"],
        "Agreements citing it (1)": ["Treaty 2001"],
        "Arms deals citing it (1)": ["Su-35 deal"],
    }


def test_exercise_page_lists_the_statements_about_it_linked_to_their_pages(viewer, world):
    statement = models.Statement.objects.get(slug="putin-on-tsentr")
    url = reverse("admin:tracker_exercise_change", args=[world["exercise"].pk])

    html = viewer.get(url).content.decode()

    assert f'<a href="/admin/tracker/statement/{statement.pk}/change/">' in html


def test_long_lists_show_the_first_ones_and_the_count(viewer, world):
    for number in range(LISTED + 1):
        StatementFactory(slug=f"s-{number:02d}").about_exercises.add(world["exercise"])

    sections = referred_by(viewer, world["exercise"])

    assert [(heading, len(links)) for heading, links in sections.items()] == [
        (f"Statements about it ({LISTED + 2})", LISTED)
    ]


def test_a_record_nothing_refers_to_says_so(viewer, world):
    lonely = SourceFactory(slug="unused", title="Unused")
    url = reverse("admin:tracker_source_change", args=[lonely.pk])

    assert "Nothing refers to it." in viewer.get(url).content.decode()


def test_add_page_has_no_references_section(editor_client):
    response = editor_client.get(reverse("admin:tracker_actor_add"))

    assert (response.status_code, "Referred to by" in response.content.decode()) == (200, False)


# ----------------------------------------------------------------------------
# The API
# ----------------------------------------------------------------------------
def statement_slugs(api, query: str) -> list[str]:
    response = api.get(f"/api/v1/statements/?{query}")
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


@pytest.fixture
def statements(world):
    """Besides Putin's statement: one about the treaty, one about the deal, one about nothing."""
    treaty = models.Agreement.objects.get(slug="treaty-2001")
    deal = models.ArmsDeal.objects.get(slug="su-35")
    StatementFactory(slug="on-the-treaty").about_agreements.add(treaty)
    StatementFactory(slug="on-the-deal").about_arms_deals.add(deal)
    StatementFactory(slug="on-nothing", text="Nothing in particular.")
    return world


@pytest.mark.parametrize(
    "query, expected",
    [
        ("about_exercise=tsentr-2019", ["putin-on-tsentr"]),
        ("about_agreement=treaty-2001", ["on-the-treaty"]),
        ("about_arms_deal=su-35", ["on-the-deal"]),
        ("about_actor=china", ["putin-on-tsentr"]),
        ("about_actor=china&about_exercise=tsentr-2019", ["putin-on-tsentr"]),
        ("about_actor=china&about_agreement=treaty-2001", []),
    ],
)
def test_about_filters(api, statements, query, expected):
    assert statement_slugs(api, query) == expected


def test_about_filter_with_an_unknown_slug_matches_nothing(api, statements):
    # As every identifier filter: an identifier no record has selects no rows.
    assert statement_slugs(api, "about_exercise=no-such-exercise") == []


@pytest.mark.parametrize("query", ["about_exercise=Not%20A%20Slug", "about_actor=a%00b"])
def test_about_filter_with_a_malformed_slug_is_400(api, statements, query):
    response = api.get(f"/api/v1/statements/?{query}")

    assert (response.status_code, list(response.json())) == (400, [query.split("=")[0]])


@pytest.mark.parametrize(
    "term, expected",
    [
        ("tsentr", ["putin-on-tsentr"]),
        ("TREATY", ["on-the-treaty"]),
        ("su-35", ["on-the-deal"]),
        ("china strategic", ["putin-on-tsentr"]),
    ],
)
def test_statement_search_matches_what_it_concerns(api, statements, term, expected):
    assert statement_slugs(api, f"search={term}") == expected


def test_blocked_delete_names_the_referring_records_slugs(editor_api, world):
    response = editor_api.delete("/api/v1/sources/kashin-2019/")

    assert (response.status_code, response.json()) == (
        409,
        {
            "detail": "This record cannot be deleted while other records refer to it "
            "(3 citations: agreement treaty-2001; arms deal su-35; exercise tsentr-2019). "
            "Remove those references first.",
            "referred_by": {
                "agreements": ["treaty-2001"],
                "arms-deals": ["su-35"],
                "exercises": ["tsentr-2019"],
            },
        },
    )


def test_editor_blocked_by_statements_is_told_their_slugs(editor_api, world):
    response = editor_api.delete("/api/v1/exercises/tsentr-2019/")

    assert (response.status_code, response.json()["referred_by"]) == (
        409,
        {"statements": ["putin-on-tsentr"]},
    )


def test_blocked_delete_names_the_first_ten_and_counts_the_rest(editor_api, world):
    for number in range(12):
        CitationFactory(source=world["source"], actor=ActorFactory(slug=f"a-{number:02d}"))

    detail = editor_api.delete("/api/v1/sources/kashin-2019/").json()["detail"]

    assert "actors a-00, a-01, a-02, a-03, a-04, a-05, a-06, a-07, a-08, a-09 and 2 more;" in (
        detail
    )

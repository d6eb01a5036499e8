"""The explorer's home, record pages and search, read from the article seed."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.db import connection
from django.urls import reverse

from explorer import records, views
from tests.factories import ActorFactory, StatementFactory
from tracker import models, registry
from tracker.services import record_save


class Landmarks(HTMLParser):
    """The page's landmark elements and its skip link's target."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.skip = ""

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag in ("header", "nav", "main", "footer"):
            self.tags.append(tag)
        if tag == "a" and values.get("class") == "skip-link":
            self.skip = values["href"]


def items_of(html: str, css_class: str) -> list[str]:
    """The text of each ``<li>`` in the first list with ``css_class``, tags removed."""
    block = re.search(rf'<(?:ul|ol) class="{css_class}">(.*?)</(?:ul|ol)>', html, re.S).group(1)
    return [
        " ".join(re.sub(r"<[^>]+>", " ", item).split())
        for item in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)
    ]


def test_the_home_page_has_landmarks_and_a_skip_link(client, db):
    page = Landmarks()
    page.feed(client.get("/").content.decode())

    assert (page.tags, page.skip) == (["header", "nav", "main", "footer"], "#main")


def test_the_home_page_counts_each_record_type(client, seeded):
    html = client.get("/").content.decode()

    assert items_of(html, "counts") == [
        "75 actors feed",
        "36 sources feed",
        "10 agreements feed",
        "17 exercises feed",
        "13 arms deals feed",
        "54 statements feed",
    ]


def test_the_home_page_lists_the_record_changed_last_first(client, seeded):
    exercise = models.Exercise.objects.get(slug="vostok-2018")
    exercise.summary += " Changed."
    record_save(exercise)

    latest = items_of(client.get("/").content.decode(), "latest")

    assert latest[0].startswith("Exercise Vostok 2018 ")


def test_the_home_page_shows_the_overview_per_decade(client, seeded):
    html = client.get("/").content.decode()

    row = re.search(r"<tr><th scope=\"row\">.*?2010s</a></th>(.*?)</tr>", html).group(1)
    assert re.findall(r"<td>(\d+)</td>", row) == ["2", "9", "2", "18", "31"]


def test_tsentr_2019_shows_its_date_at_month_precision(client, seeded):
    html = client.get("/exercises/tsentr-2019/").content.decode()

    assert "<dt>Start date</dt><dd>September 2019</dd>" in html


def test_tsentr_2019_lists_its_eight_participants(client, seeded):
    html = client.get("/exercises/tsentr-2019/").content.decode()

    assert [item.split(" participant")[0] for item in items_of(html, "participants")] == [
        "Russia",
        "China",
        "India",
        "Kazakhstan",
        "Kyrgyzstan",
        "Pakistan",
        "Tajikistan",
        "Uzbekistan",
    ]


def test_tsentr_2019_cites_footnotes_13_and_14_with_their_sources(client, seeded):
    html = client.get("/exercises/tsentr-2019/").content.decode()

    assert items_of(html, "footnotes") == [
        "Footnote 13 What Did Russia’s Strategic Military Exercise Tsentr-2019 Reveal? · original",
        "Footnote 14 Masshtabno, effektivno, slazhenno · original",
    ]


def test_a_record_page_lists_the_statements_about_it(client, seeded):
    html = client.get("/exercises/tsentr-2019/").content.decode()

    assert re.search(r"<h2 id=\"ref-1\">(.*?)</h2>", html).group(1) == "Statements about it (1)"


def test_an_actor_page_lists_its_exercises_by_year(client, seeded):
    html = client.get("/actors/russia/").content.decode()

    section = re.search(r"<h2 id=\"ref-\d+\">Exercises \(5\)</h2>(.*?)</section>", html, re.S)
    assert re.findall(r'<h3 class="year">(.*?)</h3>', section.group(1)) == [
        "2005",
        "2018",
        "2019",
        "Date unknown",
    ]


def test_an_actor_page_lists_its_co_participants_most_shared_first(client, seeded):
    html = client.get("/actors/russia/").content.decode()

    assert items_of(html, "co-participants")[:3] == [
        "China : 11 shared records",
        "United States : 2 shared records",
        "Kazakhstan : 2 shared records",
    ]


def test_a_source_page_lists_what_cites_it(client, seeded):
    html = client.get("/sources/gorenburg-2020-04-29-emerging-partnership/").content.decode()

    heading = re.search(r"<h2 id=\"ref-\d+\">(Statements citing it.*?)</h2>", html)
    assert heading.group(1) == "Statements citing it (2)"


@pytest.mark.parametrize("record_type", registry.RECORD_TYPES, ids=lambda rt: rt.key)
def test_every_record_type_has_a_page_at_its_api_resource_name(client, seeded, record_type):
    record = record_type.model.objects.order_by("slug").first()

    response = client.get(f"/{record_type.resource}/{record.slug}/")

    assert (response.status_code, response.context["record"]) == (200, record)


def test_a_record_page_links_to_the_same_record_in_the_api(client, seeded):
    html = client.get("/exercises/tsentr-2019/").content.decode()

    assert '<a href="/api/v1/exercises/tsentr-2019/">API (JSON)</a>' in html


def test_an_actor_page_links_to_its_exercises_as_csv(client, seeded):
    html = client.get("/actors/russia/").content.decode()

    assert '<a href="/api/v1/exercises.csv?actor=russia" rel="nofollow">CSV</a>' in html


@pytest.mark.parametrize("path", ["/ships/tsentr-2019/", "/exercises/no-such-exercise/"])
def test_an_unknown_record_is_not_found(client, db, path):
    assert client.get(path).status_code == 404


def test_each_record_is_viewed_on_site_at_its_page(db):
    actor = ActorFactory(slug="russia", name="Russia")

    assert actor.get_absolute_url() == "/actors/russia/"


def test_the_admin_view_site_link_leads_to_the_explorer(db):
    assert (admin.site.site_url, reverse("explorer:home")) == ("/", "/")


def test_the_admin_view_on_site_link_leads_to_the_public_page(editor_client, seeded):
    exercise = models.Exercise.objects.get(slug="tsentr-2019")
    html = editor_client.get(f"/admin/tracker/exercise/{exercise.pk}/change/").content.decode()
    link = re.search(r'href="(/admin/r/\d+/\d+/)" class="viewsitelink"', html).group(1)

    assert editor_client.get(link)["Location"] == "http://testserver/exercises/tsentr-2019/"


# -- search ---------------------------------------------------------------------------


def test_search_lists_russia_first_among_actors(client, seeded):
    html = client.get("/search/?q=russia").content.decode()

    first = re.search(r'<h2 id="results-actor">(.*?)</h2>\s*<ol>\s*<li><a[^>]*>(.*?)</a>', html)
    assert first.groups() == ("Actors (31)", "Russia")


def test_search_groups_results_by_record_type(client, seeded):
    html = client.get("/search/?q=russia").content.decode()

    assert re.findall(r'<h2 id="results-([a-z_]+)">', html) == [
        "actor",
        "source",
        "agreement",
        "exercise",
        "arms_deal",
        "statement",
    ]


def test_search_finds_an_actor_by_a_cyrillic_alias(client, db):
    ActorFactory(slug="russia", name="Russia", aliases=["Россия", "Russian Federation"])

    html = client.get("/search/?q=Россия").content.decode()

    assert re.findall(r'<li><a href="(/actors/[^"]+)">', html) == ["/actors/russia/"]


def test_search_finds_an_actor_by_a_latin_alias(client, db):
    ActorFactory(slug="russia", name="Russia", aliases=["Россия", "Russian Federation"])

    html = client.get("/search/?q=federation").content.decode()

    assert re.findall(r'<li><a href="(/actors/[^"]+)">', html) == ["/actors/russia/"]


def test_search_counts_matches_exactly_up_to_its_limit(client, db, monkeypatch):
    monkeypatch.setattr(views, "SEARCH_EXACT_COUNT", 3)
    for number in range(3):
        ActorFactory(slug=f"naval-unit-{number}", name=f"Naval unit {number}")

    html = client.get("/search/?q=naval").content.decode()

    assert re.search(r'<h2 id="results-actor">(.*?)</h2>', html).group(1) == "Actors (3)"


def test_search_past_its_exact_limit_counts_as_the_database_does(client, db, monkeypatch):
    # PostgreSQL: counting stops past the limit and the count is marked "about";
    # other databases count every match.
    monkeypatch.setattr(views, "SEARCH_EXACT_COUNT", 3)
    for number in range(5):
        ActorFactory(slug=f"naval-unit-{number}", name=f"Naval unit {number}")

    html = client.get("/search/?q=naval").content.decode()

    heading = re.search(r'<h2 id="results-actor">(.*?)</h2>', html).group(1)
    if connection.vendor == "postgresql":
        assert re.fullmatch(r"Actors \(about \d+\)", heading), heading
    else:
        assert heading == "Actors (5)"


def test_search_without_words_lists_nothing(client, db):
    response = client.get("/search/?q=+")

    assert (response.status_code, response.context["groups"]) == (200, [])


def test_a_statement_is_listed_without_a_speaker_the_gate_holds_back(client, db, monkeypatch):
    speaker = ActorFactory(slug="draft-speaker", name="Draft Speaker")
    StatementFactory(slug="quote", speaker=speaker, text="Allies in all but name.")
    monkeypatch.setattr(records, "published", lambda rows: rows.exclude(slug="draft-speaker"))

    html = client.get("/search/?q=allies").content.decode()

    assert '<a href="/statements/quote/">Unknown speaker: Allies in all but name.</a>' in html


def speaker_of_three(monkeypatch, listed: int, counted: int) -> str:
    """The page of an actor who made three statements, lists and counts cut to the numbers."""
    monkeypatch.setattr(records, "LISTED", listed)
    monkeypatch.setattr(records, "COUNTED", counted)
    speaker = ActorFactory(slug="speaker", name="Speaker")
    for n in range(3):
        StatementFactory(slug=f"said-{n}", speaker=speaker)
    return "/actors/speaker/"


def test_an_actor_list_past_its_count_limit_says_more_than(client, db, monkeypatch):
    html = client.get(speaker_of_three(monkeypatch, listed=1, counted=2)).content.decode()

    assert re.search(r'<h2 id="ref-1">(.*?)</h2>', html).group(1) == (
        "Statements made (more than 2)"
    )


def test_an_actor_list_past_its_length_links_to_the_rest_on_the_timeline(client, db, monkeypatch):
    html = client.get(speaker_of_three(monkeypatch, listed=2, counted=10)).content.decode()

    assert re.findall(r'<a href="([^"]+)" rel="nofollow">All (3 )?on the timeline</a>', html) == [
        ("/timeline/?type=statements&amp;actor=speaker", "3 ")
    ]

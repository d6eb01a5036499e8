"""The explorer's feeds, citations, sitemap, robots.txt and page cache."""

from __future__ import annotations

import datetime as dt
import json
import re
from xml.etree import ElementTree

import feedparser
import pytest
from django.contrib.sitemaps import views as django_sitemap_views
from django.test import RequestFactory
from django.utils import timezone

from explorer import records
from explorer.sitemaps import SITEMAPS
from tests.factories import ActorFactory, ExerciseFactory
from tracker import models
from tracker.publishing import record_set_publication
from tracker.services import record_save


def parsed(client, path):
    return feedparser.parse(client.get(path).content)


def test_the_feed_is_valid_atom(client, seeded):
    feed = parsed(client, "/feeds/")

    assert (feed.version, feed.bozo, len(feed.entries)) == ("atom10", False, 50)


def test_a_changed_record_comes_first_in_the_feed(client, seeded):
    exercise = models.Exercise.objects.get(slug="tsentr-2019")
    exercise.summary += " Updated."
    record_save(exercise)

    entry = parsed(client, "/feeds/").entries[0]

    assert (entry.title, entry.link) == (
        "Exercise: Tsentr-2019",
        "http://testserver/exercises/tsentr-2019/",
    )


def test_a_new_record_appears_in_its_types_feed(client, db):
    ExerciseFactory(slug="mosi-2019", name="Mosi-2019")

    feed = parsed(client, "/feeds/exercises/")

    assert [entry.title for entry in feed.entries] == ["Exercise: Mosi-2019"]


def test_a_record_the_gate_holds_back_is_not_in_the_feed(client, db, monkeypatch):
    ExerciseFactory(slug="mosi-2019", name="Mosi-2019")
    ExerciseFactory(slug="draft-2020", name="Draft-2020")
    monkeypatch.setattr(records, "published", lambda rows: rows.exclude(slug="draft-2020"))

    feed = parsed(client, "/feeds/exercises/")

    assert [entry.title for entry in feed.entries] == ["Exercise: Mosi-2019"]


def test_a_draft_is_listed_in_the_feed_once_it_is_published(client, editor):
    draft = ExerciseFactory(slug="mosi-2019", name="Mosi-2019", draft=True)
    before = [entry.title for entry in parsed(client, "/feeds/exercises/").entries]

    record_set_publication(draft, "published", user=editor)

    after = [entry.title for entry in parsed(client, "/feeds/exercises/").entries]
    assert (before, after) == ([], ["Exercise: Mosi-2019"])


def test_an_actors_feed_lists_what_it_took_part_in(client, seeded):
    feed = parsed(client, "/feeds/actors/pakistan/")

    assert [entry.title for entry in feed.entries] == ["Exercise: Tsentr-2019"]


def test_pages_announce_their_feeds(client, seeded):
    html = client.get("/actors/russia/").content.decode()

    assert re.findall(
        r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', html
    ) == [
        "/feeds/",
        "/feeds/actors/russia/",
    ]


@pytest.mark.parametrize("path", ["/feeds/ships/", "/feeds/actors/nobody/"])
def test_an_unknown_feed_is_not_found(client, db, path):
    assert client.get(path).status_code == 404


# -- citing a record -------------------------------------------------------------------


def test_a_record_page_gives_a_plain_text_citation(client, seeded):
    html = client.get("/exercises/tsentr-2019/").content.decode()
    today = timezone.localdate()

    assert (
        '<p class="citation-text">“Tsentr-2019” (exercise). Sino-Russian Military Cooperation '
        "Tracker, last updated 1 July 2020. http://testserver/exercises/tsentr-2019/ "
        f"(accessed {today.day} {today:%B %Y}).</p>"
    ) in html


def test_the_bibtex_citation_has_the_permanent_url_and_access_date(client, seeded):
    response = client.get("/exercises/tsentr-2019/cite.bib")

    assert response.content.decode() == (
        "@misc{sinorus-exercise-tsentr-2019,\n"
        "  title = {Tsentr-2019},\n"
        "  howpublished = {Sino-Russian Military Cooperation Tracker},\n"
        "  year = {2020},\n"
        "  url = {http://testserver/exercises/tsentr-2019/},\n"
        f"  urldate = {{{timezone.localdate().isoformat()}}},\n"
        f"  note = {{Exercise record; accessed {timezone.localdate().isoformat()}}}\n"
        "}\n"
    )


def test_the_csl_json_citation_has_the_permanent_url_and_access_date(client, seeded):
    item = json.loads(client.get("/arms-deals/su-35-sale-to-china/cite.json").content)[0]
    today = timezone.localdate()

    assert (item["URL"], item["accessed"], item["type"]) == (
        "http://testserver/arms-deals/su-35-sale-to-china/",
        {"date-parts": [[today.year, today.month, today.day]]},
        "dataset",
    )


def test_an_unknown_citation_format_is_not_found(client, seeded):
    assert client.get("/exercises/tsentr-2019/cite.doc").status_code == 404


# -- crawlers --------------------------------------------------------------------------


def test_the_sitemap_index_has_a_section_per_record_type(client, db):
    xml = client.get("/sitemap.xml").content.decode()

    assert re.findall(r"<loc>http://testserver/sitemap-([a-z-]+)\.xml</loc>", xml) == [
        "actors",
        "sources",
        "agreements",
        "exercises",
        "arms-deals",
        "statements",
    ]


def test_the_sitemap_lists_every_record_page(client, seeded):
    xml = client.get("/sitemap-exercises.xml").content.decode()
    locations = re.findall(r"<loc>(.*?)</loc>", xml)

    assert (len(locations), "http://testserver/exercises/tsentr-2019/" in locations) == (17, True)


def test_robots_keep_crawlers_off_filtered_urls_and_search(client, db):
    text = client.get("/robots.txt").content.decode()

    assert text.splitlines() == [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /search/",
        "Disallow: /*?",
        "Sitemap: http://testserver/sitemap.xml",
    ]


def test_facet_links_on_the_timeline_are_nofollow(client, seeded):
    html = client.get("/timeline/").content.decode()
    decade_links = re.findall(r'<a (rel="[^"]*") href="/timeline/\?date_from=', html)

    assert set(decade_links) == {'rel="nofollow"'}


# -- the page cache --------------------------------------------------------------------


def test_a_page_is_answered_from_the_cache_the_second_time(client, db):
    ActorFactory(slug="russia", name="Russia")
    client.get("/actors/russia/")

    assert client.get("/actors/russia/")["X-Explorer-Cache"] == "hit"


def test_saving_a_record_empties_the_cache(client, db):
    actor = ActorFactory(slug="russia", name="Russia")
    client.get("/actors/russia/")
    actor.description = "The Russian Federation."
    record_save(actor)

    response = client.get("/actors/russia/")

    assert (
        response.has_header("X-Explorer-Cache"),
        "The Russian Federation." in response.content.decode(),
    ) == (False, True)


def test_editors_are_never_answered_from_the_cache(editor_client, db):
    ActorFactory(slug="russia", name="Russia")
    editor_client.get("/actors/russia/")

    assert editor_client.get("/actors/russia/").has_header("X-Explorer-Cache") is False


def test_the_sitemap_pages_by_key_range_hold_every_record_once(db, monkeypatch):
    monkeypatch.setattr(SITEMAPS["exercises"], "limit", 3)
    for n in range(7):
        ExerciseFactory(slug=f"drill-{n}")
    paginator = SITEMAPS["exercises"].paginator

    pages = [paginator.page(n).object_list for n in range(1, paginator.num_pages + 1)]
    assert [row.slug for page in pages for row in page] == [f"drill-{n}" for n in range(7)]


def test_a_sitemap_page_past_the_last_is_not_found(client, db):
    ExerciseFactory(slug="drill")

    assert client.get("/sitemap-exercises.xml?p=999999999").status_code == 404


def django_sitemap_page(section: str, page: int = 1):
    """What Django's own ``sitemap`` view answers for a section's page."""
    request = RequestFactory().get(f"/sitemap-{section}.xml", {"p": page})
    response = django_sitemap_views.sitemap(request, sitemaps=SITEMAPS, section=section)
    return response.render()


@pytest.mark.parametrize("section", list(SITEMAPS))
def test_a_sitemap_page_is_the_xml_django_writes(client, seeded, section):
    ours = client.get(f"/sitemap-{section}.xml")
    django = django_sitemap_page(section)

    headers = ("Last-Modified", "Content-Type", "X-Robots-Tag")
    assert (ours.content, [ours[h] for h in headers]) == (
        django.content,
        [django[h] for h in headers],
    )


def test_a_sitemap_page_dates_in_the_sites_time_zone_as_django_does(
    client, db, settings, monkeypatch
):
    # A record changed late in the evening UTC lies on the next day in Tallinn.
    settings.TIME_ZONE = "Europe/Tallinn"
    monkeypatch.setattr(SITEMAPS["exercises"], "limit", 2)
    late = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    earlier = ExerciseFactory(slug="drill-a")
    later = ExerciseFactory(slug="drill_b")
    models.Exercise.objects.filter(pk=earlier.pk).update(updated_at=late - dt.timedelta(days=9))
    models.Exercise.objects.filter(pk=later.pk).update(updated_at=late)
    page = (later.pk + 1) // 2  # the page holding both keys
    if earlier.pk <= (page - 1) * 2:  # an odd first key: one page each; take the later's
        models.Exercise.objects.filter(pk=earlier.pk).delete()

    ours = client.get(f"/sitemap-exercises.xml?p={page}")

    assert (
        ours.content,
        ours["Last-Modified"],
        b"<lastmod>2026-03-02</lastmod>" in ours.content,
    ) == (
        django_sitemap_page("exercises", page).content,
        "Sun, 01 Mar 2026 23:30:00 GMT",
        True,
    )


def test_a_sitemap_page_stays_well_formed_with_a_slug_stored_past_validation(client, db):
    # Only the model's SlugField keeps "&" and "<" out of a slug; the database allows them.
    drill = ExerciseFactory(slug="drill")
    models.Exercise.objects.filter(pk=drill.pk).update(slug="drill&<x>")

    root = ElementTree.fromstring(client.get("/sitemap-exercises.xml").content)

    assert [loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")] == [
        "http://testserver/exercises/drill&%3Cx%3E/"
    ]


def test_an_empty_sitemap_page_has_no_last_modified(client, db, monkeypatch):
    monkeypatch.setattr(SITEMAPS["exercises"], "limit", 2)
    drills = [ExerciseFactory(slug=f"drill-{n}") for n in range(4)]
    page = (drills[0].pk + 1) // 2
    models.Exercise.objects.filter(pk__gt=(page - 1) * 2, pk__lte=page * 2).delete()

    response = client.get(f"/sitemap-exercises.xml?p={page}")

    assert (
        response.status_code,
        response.content.count(b"<url>"),
        response.has_header("Last-Modified"),
    ) == (200, 0, False)


@pytest.mark.parametrize("query", ["?p=0", "?p=two", "?p=", "?p=1.5"])
def test_a_sitemap_page_that_is_no_page_is_not_found(client, db, query):
    ExerciseFactory(slug="drill")

    assert client.get(f"/sitemap-exercises.xml{query}").status_code == 404


def test_an_unknown_sitemap_section_is_not_found(client, db):
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_a_sitemap_section_is_as_recent_as_its_newest_record(db):
    ExerciseFactory(slug="old")
    newest = ExerciseFactory(slug="new")

    assert SITEMAPS["exercises"].get_latest_lastmod() == newest.updated_at

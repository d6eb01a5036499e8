"""Shared by the tests of searches ranked by name: the seed's ranked actors, and a
picker's options read as the admin's script reads them."""

from __future__ import annotations

from tracker import search
from tracker.admin.records import ActorAdmin
from tracker.models import Actor

#: The seed actors a search for "Russia" ranks ahead of the rest, in order.
RUSSIA_RANKED = [
    ("russia", "Russia — state, Russia"),
    ("russian-armed-forces", "Russian Armed Forces — armed force or service, Russia"),
    ("russian-navy", "Russian Navy — armed force or service, Russia"),
    ("russia-government", "Government of the Russian Federation — government body, Russia"),
    (
        "russia-ministry-of-defence",
        "Ministry of Defence of the Russian Federation — government body, Russia",
    ),
    (
        "russia-ministry-of-foreign-affairs",
        "Ministry of Foreign Affairs of the Russian Federation — government body, Russia",
    ),
    ("russia-in-global-affairs", "Rossiya v global’noy politike — media outlet, Russia"),
]
#: The same for "PLA": the alias, then the name starting with it.
PLA_RANKED = [
    ("pla", "People's Liberation Army — armed force or service, China"),
    ("pla-navy", "PLA Navy — armed force or service, China"),
]


def picker_pages(client, term: str, model_name: str, field_name: str) -> list[dict]:
    """Every page of a picker's options for ``term``, as the admin's script asks for them."""
    pages, page = [], 1
    while True:
        response = client.get(
            "/admin/autocomplete/",
            {
                "app_label": "tracker",
                "model_name": model_name,
                "field_name": field_name,
                "term": term,
                "page": page,
            },
        )
        assert response.status_code == 200
        pages.append(response.json())
        if not pages[-1]["pagination"]["more"]:
            return pages
        page += 1


def actor_options(client, term: str) -> list[str]:
    """The texts of an exercise participant's actor options for ``term``, all pages."""
    pages = picker_pages(client, term, "exerciseparticipant", "actor")
    return [option["text"] for page in pages for option in page["results"]]


def other_matches(term: str, ranked_slugs: list[str]) -> list[Actor]:
    """Actors the admin's search finds for ``term`` beyond ``ranked_slugs``, by name."""
    matches = Actor.objects.filter(search.contains_any(Actor, ActorAdmin.search_fields, term))
    return list(matches.exclude(slug__in=ranked_slugs).order_by("name", "slug"))


def expected_options(term: str, ranked: list[tuple[str, str]]) -> list[str]:
    """The options a picker should offer for ``term``: ``ranked`` first, then the rest by name."""
    slugs = [slug for slug, _ in ranked]
    rest = other_matches(term, slugs)
    assert rest, "the term should also match actors by their other fields"
    return [label for _, label in ranked] + [label_of(actor) for actor in rest]


def label_of(actor: Actor) -> str:
    """An actor's option in a picker: its name, kind and country."""
    country = f", {actor.country.name}" if actor.country else ""
    return f"{actor.name} — {actor.get_kind_display()}{country}"

"""Atom feeds of new and changed published records: all, per record type, per actor.

Each feed reads, per record type, the newest records by ``updated_at`` (the
index the API's sync uses), at most :data:`ITEMS` each, and merges them: a
bounded read whatever the number of records.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from tracker import registry

from . import records
from .timeline import actor_condition

#: Entries in a feed.
ITEMS = 50


def newest(types, actor=None) -> list:
    """The :data:`ITEMS` most recently changed records of ``types``, newest first."""
    found = []
    for rt in types:
        rows = records.public(rt.model)
        if actor is not None:
            condition = actor_condition(rt.model, actor)
            if condition is None:
                continue
            rows = rows.filter(condition)
        found += list(rows.order_by("-updated_at", "-slug")[:ITEMS])
    found.sort(key=lambda record: (record.updated_at, record.slug), reverse=True)
    return found[:ITEMS]


class TrackerFeed(Feed):
    """Every record type."""

    feed_type = Atom1Feed
    title = "Sino-Russian military cooperation tracker: changes"
    subtitle = "New and updated records, every kind, newest first."

    def link(self, obj=None):
        return reverse("explorer:home")

    def feed_url(self, obj=None):
        return reverse("explorer:feed")

    def items(self, obj=None):
        return newest(registry.RECORD_TYPES)

    def item_title(self, item):
        kind = registry.for_model(type(item)).model._meta.verbose_name
        return f"{str(kind).capitalize()}: {records.title_of(item)}"

    def item_description(self, item):
        summary = getattr(item, "summary", "") or getattr(item, "description", "")
        return summary or records.title_of(item)

    def item_link(self, item):
        return item.get_absolute_url()

    def item_guid(self, item):
        return f"tag:sinorus-tracker,2024:{registry.for_model(type(item)).resource}/{item.slug}"

    def item_guid_is_permalink(self, item):
        return False

    def item_updateddate(self, item):
        return item.updated_at

    def item_pubdate(self, item):
        return item.created_at


class TypeFeed(TrackerFeed):
    """One record type (``/feeds/exercises/``)."""

    def get_object(self, request, resource: str):
        try:
            return registry.for_resource(resource)
        except KeyError as exc:
            raise Http404("No such kind of record.") from exc

    def title(self, obj):
        return f"Sino-Russian military cooperation tracker: {obj.verbose_name_plural}"

    def feed_url(self, obj):
        return reverse("explorer:feed-type", args=[obj.resource])

    def items(self, obj):
        return newest([obj])


class ActorFeed(TrackerFeed):
    """Records an actor takes part in, speaks in or is spoken of (``/feeds/actors/russia/``)."""

    def get_object(self, request, slug: str):
        actor = records.public(registry.ACTOR.model).filter(slug=slug).first()
        if actor is None:
            raise Http404("No such actor.")
        return actor

    def title(self, obj):
        return f"Sino-Russian military cooperation tracker: {obj.name}"

    def link(self, obj):
        return obj.get_absolute_url()

    def feed_url(self, obj):
        return reverse("explorer:feed-actor", args=[obj.slug])

    def items(self, obj):
        return newest(registry.RECORD_TYPES, actor=obj)

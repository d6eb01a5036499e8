"""What going back to a version of a record restores (a revert, a recovery), and what it cannot.

The record and its link rows are read as the comparison pages read them
(:func:`tracker.compare.version_state`). Links to records deleted since (a
participant's actor, a cited source, what a statement concerns, a parent, a
speaker) cannot be restored: they are left out and named (as
:class:`tracker.compare.Names` names deleted records), so the admin can say
which linked record is gone and restore the rest only when the editor agrees.

Reads only: writing goes through :func:`tracker.services.record_save`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db import models
from reversion.models import Version

from .compare import Names, link_sets, version_state
from .models import PublicationStatus, TrackedModel, normalise_locator


@dataclass(frozen=True)
class GoneLink:
    """A record a version links to that has been deleted since."""

    model: type[models.Model]
    pk: Any
    #: As its last stored version names it ("Russia (deleted)").
    name: str
    #: How the version links it: "parent", "exercise participant", "citation" ...
    role: str

    def __str__(self) -> str:
        return f"{self.model._meta.verbose_name} “{self.name}” ({self.role})"


@dataclass
class Restoration:
    """A record and its links as a version holds them, links to deleted records left out."""

    record: TrackedModel
    #: Link rows by related name (``participations``, ``citations``), as column values.
    links: dict[str, list[dict[str, Any]]]
    #: Many-to-many lists (a statement's "what it concerns"), as keys.
    about: dict[str, list[Any]]
    #: Links left out: the records they name were deleted since.
    gone: list[GoneLink]


def read_version(version: Version) -> Restoration:
    """What reverting to (or recovering) ``version`` restores, and what it cannot.

    Citations are normalised as the write path stores them, each once. One
    query per kind of linked record, whatever the number of links. Raises
    :class:`tracker.compare.UnreadableVersion` for a version that no longer
    fits its model. The publication status is not restored: the current one is
    kept (a recovered record is a draft).
    """
    stored = version_state(version, list(version.revision.version_set.all()))
    model = stored.model
    record = model(**stored.values)
    # Publication has steps of its own (tracker.publishing): a revert keeps the
    # record's current status, and a recovered record comes back as a draft.
    current = model._default_manager.filter(pk=record.pk).values_list(
        "publication_status", flat=True
    )
    record.publication_status = current.first() or PublicationStatus.DRAFT
    links: dict[str, list[dict[str, Any]]] = {}
    about: dict[str, list[Any]] = {}
    for link_set in link_sets(model):
        rows = stored.links.get(link_set.name, [])
        if link_set.owner is None:
            about[link_set.name] = list(rows)
        else:
            links[link_set.name] = [dict(row) for row in rows]
    if "citations" in links:
        links["citations"] = _distinct_citations(links["citations"])
    gone = _drop_gone_links(record, links, about)
    return Restoration(record=record, links=links, about=about, gone=gone)


def _distinct_citations(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen, distinct = set(), []
    for row in rows:
        row["locator"] = normalise_locator(row.get("locator"))
        key = (row.get("source_id"), row.get("footnote"), row["locator"])
        if key not in seen:
            seen.add(key)
            distinct.append(row)
    return distinct


def _drop_gone_links(record, links, about) -> list[GoneLink]:
    """Clear the version's links to deleted records; name what was cleared."""
    model = type(record)
    # (model linked, key, role, where the link is: a field, a row, an about list)
    references: list[tuple[type[models.Model], Any, str, Any]] = []
    for f in model._meta.concrete_fields:
        if f.is_relation and getattr(record, f.attname) is not None:
            references.append((f.related_model, getattr(record, f.attname), f.verbose_name, f))
    for link_set in link_sets(model):
        if link_set.owner is None:
            role = f"what the {model._meta.verbose_name} concerns"
            keys = about.get(link_set.name, [])
            references += [(link_set.model, key, role, link_set.name) for key in keys]
            continue
        role = str(link_set.model._meta.verbose_name)
        for row in links.get(link_set.name, []):
            references += [
                (column.related_model, row[column.attname], role, row)
                for column in link_set.columns
                if column.is_relation and row.get(column.attname) is not None
            ]

    wanted: dict[type[models.Model], set] = defaultdict(set)
    for linked, key, _role, _where in references:
        wanted[linked].add(key)
    missing = {
        linked: keys - set(linked._default_manager.filter(pk__in=keys).values_list("pk", flat=True))
        for linked, keys in wanted.items()
    }
    names = Names()
    for linked, keys in missing.items():
        for key in keys:
            names.want(linked, key)
    names.resolve()

    gone: list[GoneLink] = []
    dropped_rows: set[int] = set()
    for linked, key, role, where in references:
        if key not in missing[linked]:
            continue
        gone.append(GoneLink(linked, key, names.name(linked, key), role))
        if isinstance(where, models.Field):
            setattr(record, where.attname, None)
        elif isinstance(where, dict):
            dropped_rows.add(id(where))
        else:
            about[where] = [k for k in about[where] if k != key]
    for name, rows in links.items():
        links[name] = [row for row in rows if id(row) not in dropped_rows]
    return gone


def gone_links_message(gone: list[GoneLink]) -> str:
    """The page's and the refusal's words for links to records deleted since a version."""
    listed = "; ".join(str(link) for link in gone)
    return (
        f"Linked records deleted since this version: {listed}. They cannot be restored "
        "with it: tick “Drop links to deleted records” to save this version without "
        "those links."
    )

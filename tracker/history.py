"""Every record's history, kept by django-reversion, and the checks built on it.

A *revision* is one save of one record together with its link rows (an
exercise with its participants and citations): who saved it, when, and a
comment naming what changed. Reverting a revision in the admin restores the
record and its links together, and a deleted record can be recovered with
its links because the deletion itself is stored as a last revision.

Writes reach this module only through :mod:`tracker.services`, which opens
the revision around every save and delete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import reversion
from django.core import serializers
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from reversion.models import Revision, Version

from . import registry
from .internals import followed_objects
from .models import Citation, TrackedModel

if TYPE_CHECKING:
    from .compare import State


def follow_relations() -> dict[type[models.Model], tuple[str, ...]]:
    """What is stored with each record: the link rows that belong to it.

    Link rows point back at their record, so a citation edited on its own
    page lands in the history of the record it supports.
    """
    follow: dict[type[models.Model], tuple[str, ...]] = {}
    for record_type in registry.RECORD_TYPES:
        own = (record_type.links.related_name,) if record_type.links else ()
        own += ("citations",) if record_type.cited else ()
        follow[record_type.model] = own + tuple(rows.related_name for rows in record_type.rows)
        if record_type.links:
            follow[record_type.links.model] = (record_type.links.fk,)
    follow[Citation] = tuple(rt.citation_fk for rt in registry.cited())
    for rows in registry.RECORD_ROWS:
        follow[rows.model] = rows.targets
    return follow


def register_models() -> None:
    """Register the records and link tables with reversion (once, at start-up)."""
    for model, follow in follow_relations().items():
        if not reversion.is_registered(model):
            reversion.register(model, follow=follow)


#: Fields that change on every save and say nothing about the fact recorded.
BOOKKEEPING_FIELDS = frozenset({"id", "created_at", "updated_at"})


#: How many rows of one link set a revision comment names before “and N more”.
COMMENT_ROWS = 5
#: Values longer than this are left out of a revision comment (the comparison shows them).
COMMENT_VALUE_LENGTH = 40


def describe_change(before: State | None, after: State | None) -> str:
    """A short revision comment saying what a save changed, from what to what.

    ``Changed region “” → “Central Asia”. Changed participants: removed
    Kazakhstan (participant); added India (observer).`` Long texts are named
    without their values; the admin's comparison of two versions shows them.
    """
    from .compare import compare

    if after is None:
        return ""
    if before is None:
        return "Created."
    comparison = compare(before, after)
    sentences = []
    if comparison.changed_fields:
        words = "; ".join(_field_words(change) for change in comparison.changed_fields)
        sentences.append(f"Changed {words}.")
    for link in comparison.changed_links:
        words = "; ".join(_row_words(row) for row in link.rows[:COMMENT_ROWS])
        more = len(link.rows) - COMMENT_ROWS
        sentences.append(f"Changed {link.label}: {words}{f'; {more} more' if more > 0 else ''}.")
    return " ".join(sentences)


def _field_words(change) -> str:
    values = (change.old, change.new)
    if change.long or any(len(value) > COMMENT_VALUE_LENGTH for value in values):
        return change.label
    return f"{change.label} “{change.old}” → “{change.new}”"


def _row_words(row) -> str:
    if row.status == "removed":
        return f"removed {row.old}"
    if row.status == "added":
        return f"added {row.new}"
    if row.old != row.new:
        return f"{row.old} → {row.new}"
    return f"{row.new}: " + ", ".join(_field_words(change) for change in row.fields)


def record_deletion(record: TrackedModel, user=None) -> None:
    """Store ``record`` and its links as a last revision, commented as a deletion.

    reversion keeps only versions of objects that still exist when a revision
    closes, so a deletion cannot be recorded by its ordinary revision; this
    writes the revision directly, before the rows go. The admin's “Recover
    deleted …” page restores from it, links included.
    """
    objects = [record, *(obj for obj in followed_objects(record) if obj != record)]
    revision = Revision.objects.create(
        date_created=timezone.now(),
        user=user if getattr(user, "is_authenticated", False) else None,
        comment=f"Deleted {record._meta.verbose_name} “{record}”.",
    )
    Version.objects.bulk_create(
        Version(
            revision=revision,
            content_type=_content_type(type(obj)),
            object_id=str(obj.pk),
            db=obj._state.db or "default",
            format="json",
            serialized_data=serializers.serialize("json", [obj]),
            object_repr=str(obj)[:191],
        )
        for obj in objects
        if reversion.is_registered(type(obj))
    )


def _content_type(model):
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(model)


# ----------------------------------------------------------------------------
# What changed since a version (for conflict messages)
# ----------------------------------------------------------------------------
#: How many of a record's latest versions a conflict message looks through.
RECENT_VERSIONS = 20


def changes_since(record: TrackedModel, since: dt.datetime) -> list[str]:
    """Sentences saying who changed ``record`` after ``since``, when, and what.

    The intervening revisions give who and when; the fields that differ
    between the version saved at ``since`` and the stored row give what.
    """
    # Newest first; a revision's date is when it opened, just before the save it
    # holds, so the version the editor opened is found by its saved updated_at.
    recent = list(
        Version.objects.get_for_object(record)
        .select_related("revision__user")
        .order_by("-revision__date_created", "-pk")[:RECENT_VERSIONS]
    )
    base, later = None, []
    for version in recent:
        saved_at = version.field_dict.get("updated_at")
        if saved_at is not None and abs(saved_at - since) < dt.timedelta(milliseconds=1):
            base = version
            break
        later.insert(0, version)
    if base is None:
        # No revision holds the version the editor opened (a record loaded from
        # fixtures has none): the revisions opened after it are the changes.
        later = [v for v in later if v.revision.date_created >= since]
    if not later:
        return ["A record it shows was changed."]
    sentences = [
        f"{_who(v.revision)} saved it at {_when(v.revision.date_created)}"
        + (f": {v.revision.get_comment()}" if v.revision.get_comment() else ".")
        for v in later
    ]
    if base is not None:
        differences = _field_differences(base.field_dict, record)
        if differences:
            sentences.append("Now: " + "; ".join(differences) + ".")
    return sentences


def _who(revision: Revision) -> str:
    return revision.user.get_username() if revision.user else "Someone"


def _when(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i:s") + " UTC"


def _field_differences(old: dict[str, Any], record: TrackedModel) -> list[str]:
    current = type(record)._default_manager.filter(pk=record.pk).values().first() or {}
    differences = []
    for field in record._meta.concrete_fields:
        name = field.attname
        if name in BOOKKEEPING_FIELDS or name not in old or name not in current:
            continue
        if old[name] != current[name]:
            differences.append(
                f"{field.verbose_name} “{_short(old[name])}” → “{_short(current[name])}”"
            )
    return differences


def _short(value: Any, limit: int = 80) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def revisions_of(record: TrackedModel) -> Iterable[Version]:
    """The record's versions, newest first, with their revisions' users."""
    return (
        Version.objects.get_for_object(record)
        .select_related("revision__user")
        .order_by("-revision__date_created", "-pk")
    )

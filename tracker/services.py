"""The one write path for records that span several tables.

The admin and the API both save through these functions, so a record is
validated the same way (``full_clean``: model ``clean`` plus constraints)
whichever door it comes in by, and a write that touches several tables
happens completely or not at all.

Every save and delete is also a revision in the record's history (see
:mod:`tracker.history`): who, when, what changed. A caller that knows which
version of the record its editor started from passes it as
``expected_version``; if someone saved the record since, the write is
refused with :class:`~tracker.versions.StaleRecord` and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import reversion
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from . import changes, history, registry
from .compare import current_state
from .models import (
    Citation,
    DeletedRecord,
    Statement,
    TrackedModel,
)
from .references import referring_querysets
from .versions import check_version


def citation_target_field(record: models.Model) -> str:
    """The Citation foreign key that points at ``record``'s type (``arms_deal``)."""
    record_type = registry.for_model(type(record)) if isinstance(record, TrackedModel) else None
    if record_type is None or record_type.citation_fk is None:
        raise TypeError(f"{type(record).__name__} records cannot carry citations.")
    return record_type.citation_fk


def _replace_rows(
    record: models.Model,
    related_name: str,
    model: type[models.Model],
    fk: str,
    rows: Iterable[Mapping[str, Any]],
) -> None:
    getattr(record, related_name).all().delete()
    errors: list[str] = []
    for number, row in enumerate(rows, start=1):
        obj = model(**{fk: record}, **row)
        try:
            # Rows are validated and saved one by one so that a duplicate within
            # the new set fails validation (the caller's transaction undoes the rest).
            obj.full_clean()
        except ValidationError as exc:
            errors.extend(
                f"Row {number}, {field}: {message}"
                if field != "__all__"
                else f"Row {number}: {message}"
                for field, messages in exc.message_dict.items()
                for message in messages
            )
        else:
            obj.save()
    if errors:
        raise ValidationError({related_name: errors})


@transaction.atomic
def record_save(
    record: TrackedModel,
    *,
    links: Iterable[Mapping[str, Any]] | None = None,
    citations: Iterable[Mapping[str, Any]] | None = None,
    about: Mapping[str, Iterable[models.Model]] | None = None,
    user=None,
    expected_version: str | None = None,
) -> TrackedModel:
    """Validate and save ``record``, replacing whichever of its link sets are given.

    ``links``      participants / parties / contractors, as dicts of field values
                   (``{"actor": actor, "role": "host"}``) for the record's link table.
    ``citations``  dicts of Citation field values (``{"source": s, "footnote": 7}``).
    ``about``      for statements: ``{"about_exercises": [...], ...}``.
    ``user``       who saves, for the history.
    ``expected_version``  the version token (:func:`tracker.versions.version_token`)
                   the editor started from; a record saved since is refused.

    A set left as ``None`` is kept as it is. Raises ``ValidationError`` (or its
    subclass ``StaleRecord``) and writes nothing if any part is invalid.
    """
    with reversion.create_revision():
        if expected_version is not None and record.pk is not None:
            check_version(record, expected_version)
        link_sets = tuple(_given_link_sets(record, links, citations, about))
        before = current_state(record, link_sets)
        record.full_clean()
        summary_changed = _summary_changed(record)
        record.save()
        if summary_changed:
            touch_dependents(record)
        if links is not None:
            link_table = registry.for_model(type(record)).links
            if link_table is None:
                raise ValidationError(f"{record.record_type()} records have no link rows.")
            _replace_rows(record, link_table.related_name, link_table.model, link_table.fk, links)
        if citations is not None:
            _replace_rows(record, "citations", Citation, citation_target_field(record), citations)
        if about is not None:
            if not isinstance(record, Statement):
                raise ValidationError("Only statements say what they concern.")
            for name, targets in about.items():
                if name not in registry.about_relations():
                    raise ValidationError(f"Unknown link “{name}”.")
                getattr(record, name).set(list(targets))
        if before is not None:
            # A record recovered from its history is the same record again:
            # its identifier is no longer a deleted one.
            DeletedRecord.objects.filter(
                record_type=record.record_type(), slug=record.slug
            ).delete()
        _describe_revision(record, before, link_sets, user)
    return record


def _given_link_sets(record, links, citations, about) -> list[str]:
    """Related names of the link sets this save replaces."""
    names = []
    link_table = registry.for_model(type(record)).links
    if links is not None and link_table is not None:
        names.append(link_table.related_name)
    if citations is not None:
        names.append("citations")
    if about is not None:
        names += [name for name in about if name in registry.about_relations()]
    return names


def _describe_revision(record, before, link_sets, user) -> None:
    """Name who saved and what changed on the open revision (the admin words it itself)."""
    if user is not None and getattr(user, "is_authenticated", False):
        reversion.set_user(user)
    comment = history.describe_change(before, current_state(record, link_sets, from_instance=True))
    if comment and not reversion.get_comment():
        reversion.set_comment(comment)


@transaction.atomic
def record_delete(record: TrackedModel, *, user=None, expected_version: str | None = None) -> None:
    """Delete ``record`` and its link rows; a tombstone keeps its identifier retired.

    The record and its links are kept as a last revision of its history, from
    which the admin can recover it. Raises ``django.db.models.ProtectedError``
    when other records still refer to it (a cited source, an actor that took
    part in an exercise).
    """
    if expected_version is not None:
        check_version(record, expected_version)
    if user is not None and not user.is_superuser:
        # Editors delete only what nothing refers to. Foreign keys already
        # PROTECT cited sources and linked actors; statements' "what it
        # concerns" lists would silently lose the record, so they block too.
        statements = list(concerning_statements(record)[:DELETE_REFERENCE_LIMIT])
        if statements:
            raise models.ProtectedError(
                f"Cannot delete this {record._meta.verbose_name}: statements concern it. "
                "Remove it from what they concern first.",
                set(statements),
            )
    history.record_deletion(record, user)
    # Statements lose this record from what they concern (the many-to-many
    # rows cascade), so their representation changes too.
    touch_dependents(record, statements_only=True)
    record.delete()


@transaction.atomic
def citation_save(citation: Citation, *, user=None) -> Citation:
    """Save one citation on its own (the admin's citation pages).

    The record it supports shows its citations, so that record's version
    moves (``updated_at``) and its history gets a revision holding the
    citation set as it now is.
    """
    with reversion.create_revision():
        citation.full_clean()
        citation.save()
        _touch_citation_target(citation, user, "Changed")
    return citation


@transaction.atomic
def citation_delete(citation: Citation, *, user=None) -> None:
    """Delete one citation; the record it supported records the removal in its history."""
    with reversion.create_revision():
        target = citation.target
        label = str(citation)
        citation.delete()
        if target is not None:
            reversion.add_to_revision(target)
            _touch_citation_target(citation, user, "Removed", label=label, target=target)


def _touch_citation_target(citation, user, verb, label=None, target=None) -> None:
    target = target or citation.target
    if target is None:
        return
    changes.touch(type(target)._default_manager.filter(pk=target.pk), timezone.now())
    if user is not None and getattr(user, "is_authenticated", False):
        reversion.set_user(user)
    reversion.set_comment(f"{verb} citation “{label or citation}”.")


#: How many referring records a refused deletion names.
DELETE_REFERENCE_LIMIT = 20


def concerning_statements(record: TrackedModel) -> models.QuerySet:
    """Statements whose "what it concerns" lists name ``record``."""
    return statements_concerning_any(type(record), [record])


def statements_concerning_any(model: type[TrackedModel], records) -> models.QuerySet:
    """Statements concerning any of ``records`` (of ``model``), in one query."""
    relation = registry.for_model(model).about
    if relation is None:
        return Statement.objects.none()
    return Statement.objects.filter(**{f"{relation}__in": records}).distinct()


def _summary_changed(record: TrackedModel) -> bool:
    """Whether saving ``record`` changes how other records summarise it."""
    fields = registry.for_model(type(record)).summary_fields
    if not fields or record.pk is None:
        return False
    stored = type(record)._default_manager.filter(pk=record.pk).values(*fields).first()
    return stored is not None and any(stored[f] != getattr(record, f) for f in fields)


def touch_dependents(record: TrackedModel, *, statements_only: bool = False) -> None:
    """Mark as changed (``updated_at``) every record that shows ``record``'s summary.

    An exercise lists its participants by name; when an actor is renamed the
    exercise's representation changes, so consumers syncing (the change log,
    or ``updated_since``) must receive it again. A few queries per dependent table.
    """
    now = timezone.now()
    for queryset in referring_querysets(record, statements_only=statements_only):
        changes.touch(queryset, now)

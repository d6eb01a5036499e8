"""The one write path for records that span several tables.

The admin and the API both save through these functions, so a record is
validated the same way (``full_clean``: model ``clean`` plus constraints)
whichever door it comes in by, and a write that touches several tables
happens completely or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from .models import (
    CITATION_TARGETS,
    Actor,
    Agreement,
    AgreementParty,
    ArmsDeal,
    ArmsDealContractor,
    Citation,
    Exercise,
    ExerciseParticipant,
    Source,
    Statement,
    TrackedModel,
)

#: For each record type with link rows: (related name, link model, FK to the record).
LINK_TABLES: dict[type[TrackedModel], tuple[str, type[models.Model], str]] = {
    Agreement: ("party_links", AgreementParty, "agreement"),
    Exercise: ("participations", ExerciseParticipant, "exercise"),
    ArmsDeal: ("contractor_links", ArmsDealContractor, "deal"),
}

#: Statement's many-to-many "what it concerns" fields.
STATEMENT_ABOUT = ("about_agreements", "about_exercises", "about_arms_deals", "about_actors")


def citation_target_field(record: models.Model) -> str:
    """The Citation foreign key that points at ``record``'s type (``arms_deal``)."""
    for name in CITATION_TARGETS:
        if Citation._meta.get_field(name).related_model is type(record):
            return name
    raise TypeError(f"{type(record).__name__} records cannot carry citations.")


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
) -> TrackedModel:
    """Validate and save ``record``, replacing whichever of its link sets are given.

    ``links``      participants / parties / contractors, as dicts of field values
                   (``{"actor": actor, "role": "host"}``) for the record's link table.
    ``citations``  dicts of Citation field values (``{"source": s, "footnote": 7}``).
    ``about``      for statements: ``{"about_exercises": [...], ...}``.

    A set left as ``None`` is kept as it is. Raises ``ValidationError`` and
    writes nothing if any part is invalid.
    """
    record.full_clean()
    summary_changed = _summary_changed(record)
    record.save()
    if summary_changed:
        touch_dependents(record)
    if links is not None:
        if type(record) not in LINK_TABLES:
            raise ValidationError(f"{record.record_type()} records have no link rows.")
        related_name, model, fk = LINK_TABLES[type(record)]
        _replace_rows(record, related_name, model, fk, links)
    if citations is not None:
        _replace_rows(record, "citations", Citation, citation_target_field(record), citations)
    if about is not None:
        if not isinstance(record, Statement):
            raise ValidationError("Only statements say what they concern.")
        for name, targets in about.items():
            if name not in STATEMENT_ABOUT:
                raise ValidationError(f"Unknown link “{name}”.")
            getattr(record, name).set(list(targets))
    return record


@transaction.atomic
def record_delete(record: TrackedModel) -> None:
    """Delete ``record`` and its link rows; a tombstone keeps its identifier retired.

    Raises ``django.db.models.ProtectedError`` when other records still refer
    to it (a cited source, an actor that took part in an exercise).
    """
    # Statements lose this record from what they concern (the many-to-many
    # rows cascade), so their representation changes too.
    touch_dependents(record, statements_only=True)
    record.delete()


#: Fields other records show when they summarise a record of this type.
SUMMARY_FIELDS: dict[type[TrackedModel], tuple[str, ...]] = {
    Actor: ("name",),
    Source: ("title", "url"),
    Agreement: ("title",),
    Exercise: ("name",),
    ArmsDeal: ("title",),
}


def _summary_changed(record: TrackedModel) -> bool:
    """Whether saving ``record`` changes how other records summarise it."""
    fields = SUMMARY_FIELDS.get(type(record))
    if not fields or record.pk is None:
        return False
    stored = type(record)._default_manager.filter(pk=record.pk).values(*fields).first()
    return stored is not None and any(stored[f] != getattr(record, f) for f in fields)


def _dependents(record: TrackedModel, statements_only: bool) -> list[models.QuerySet]:
    """Querysets of the records whose representation embeds ``record``'s summary."""
    about = {
        Actor: Q(speaker=record) | Q(about_actors=record),
        Agreement: Q(about_agreements=record),
        Exercise: Q(about_exercises=record),
        ArmsDeal: Q(about_arms_deals=record),
    }
    condition = next((q for model, q in about.items() if isinstance(record, model)), None)
    result = [] if condition is None else [Statement.objects.filter(condition)]
    if statements_only:
        return result
    if isinstance(record, Actor):
        result += [
            Actor.objects.filter(parent=record),
            Agreement.objects.filter(party_links__actor=record),
            Exercise.objects.filter(participations__actor=record),
            ArmsDeal.objects.filter(
                Q(supplier=record) | Q(recipient=record) | Q(contractor_links__actor=record)
            ),
        ]
    elif isinstance(record, Source):
        result += [
            model.objects.filter(citations__source=record)
            for model in (Actor, Agreement, Exercise, ArmsDeal, Statement)
        ]
    elif isinstance(record, Agreement):
        result.append(Agreement.objects.filter(replaces=record))
    return result


def touch_dependents(record: TrackedModel, *, statements_only: bool = False) -> None:
    """Mark as changed (``updated_at``) every record that shows ``record``'s summary.

    An exercise lists its participants by name; when an actor is renamed the
    exercise's representation changes, so consumers syncing with
    ``updated_since`` must receive it again. One UPDATE per dependent table.
    """
    now = timezone.now()
    for queryset in _dependents(record, statements_only):
        queryset.model._default_manager.filter(pk__in=queryset.values("pk")).update(updated_at=now)

"""What refers to a record: the one place that knows which records link to, cite or concern which.

An actor is referred to by the exercises it takes part in, the agreements it
is party to, the deals it supplies, receives or works on, the actors inside
it and the statements it made or that concern it; a source by every record
citing it; agreements, exercises and deals by the statements concerning them
(and an agreement by those replacing it).

Three things read this table: the admin's change pages list the referring
records, :func:`tracker.services.touch_dependents` marks them as changed when
a record's summary changes (they embed it), and a refused deletion names
them (:func:`blocking_records`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Q

from .history import FOLLOW
from .models import Actor, Agreement, ArmsDeal, Exercise, Source, Statement, TrackedModel
from .search import field_condition


@dataclass(frozen=True)
class Reference:
    """Records of ``model`` whose ``path`` leads to the referred record."""

    model: type[TrackedModel]
    path: str
    label: str

    def condition(self, record: TrackedModel) -> Q:
        """Rows of ``model`` referring to ``record``, on the model's own columns (no join)."""
        return field_condition(self.model, self.path, "exact", record)

    def records(self, record: TrackedModel) -> models.QuerySet:
        """The referring records, each once, ready to be named (``str``)."""
        queryset = self.model._default_manager.filter(self.condition(record))
        return queryset.select_related(*LABEL_RELATED.get(self.model, ()))


def _citing(model: type[TrackedModel], label: str) -> Reference:
    return Reference(model, "citations__source", label)


def _concerning(path: str) -> Reference:
    return Reference(Statement, path, "statements about it")


#: For each record type, the references to it, in the order the admin lists them.
REFERENCES: dict[type[TrackedModel], tuple[Reference, ...]] = {
    Actor: (
        _concerning("about_actors"),
        Reference(Statement, "speaker", "statements it made"),
        Reference(Exercise, "participations__actor", "exercises it takes part in"),
        Reference(Agreement, "party_links__actor", "agreements it is party to"),
        Reference(ArmsDeal, "supplier", "arms deals it supplies"),
        Reference(ArmsDeal, "recipient", "arms deals it receives"),
        Reference(ArmsDeal, "contractor_links__actor", "arms deals it is a contractor of"),
        Reference(Actor, "parent", "actors inside it"),
    ),
    Source: (
        _citing(Exercise, "exercises citing it"),
        _citing(Agreement, "agreements citing it"),
        _citing(ArmsDeal, "arms deals citing it"),
        _citing(Statement, "statements citing it"),
        _citing(Actor, "actors citing it"),
    ),
    Agreement: (
        _concerning("about_agreements"),
        Reference(Agreement, "replaces", "agreements replacing it"),
    ),
    Exercise: (_concerning("about_exercises"),),
    ArmsDeal: (_concerning("about_arms_deals"),),
}

#: Relations a record's name (``str``) reads, loaded with the referring records.
LABEL_RELATED: dict[type[TrackedModel], tuple[str, ...]] = {Statement: ("speaker",)}

#: The Statement relation that says a statement concerns a record of each type.
ABOUT_RELATION: dict[type[TrackedModel], str] = {
    model: reference.path
    for model, references in REFERENCES.items()
    for reference in references
    if reference.model is Statement and reference.path.startswith("about_")
}


def referring_querysets(
    record: TrackedModel, *, statements_only: bool = False
) -> list[models.QuerySet]:
    """One queryset per record type referring to ``record`` (all its references ORed)."""
    conditions: dict[type[TrackedModel], Q] = {}
    for reference in REFERENCES.get(type(record), ()):
        if statements_only and reference.model is not Statement:
            continue
        condition = reference.condition(record)
        model = reference.model
        conditions[model] = conditions[model] | condition if model in conditions else condition
    return [model._default_manager.filter(q) for model, q in conditions.items()]


def owner(obj: models.Model) -> tuple[type[TrackedModel], object] | None:
    """The record a row belongs to, as (type, key): itself, or a link row's record.

    Link rows name their record in :data:`tracker.history.FOLLOW` (a
    participant its exercise, a citation the record it supports); the key
    is read from the row, so no query is made.
    """
    if isinstance(obj, TrackedModel):
        return type(obj), obj.pk
    for name in FOLLOW.get(type(obj), ()):
        field = obj._meta.get_field(name)
        key = getattr(obj, field.attname, None)
        if key is not None:
            return field.related_model, key
    return None


def blocking_records(
    objects: Iterable[models.Model], limit: int
) -> dict[type[TrackedModel], tuple[list[str], int]]:
    """Slugs of the records ``objects`` (records or link rows) belong to, by type.

    For each type: at most ``limit`` slugs, in order, and how many records
    there are in all. One query per type of link row's record.
    """
    keys: dict[type[TrackedModel], set] = defaultdict(set)
    known: dict[type[TrackedModel], dict[object, str]] = defaultdict(dict)
    for obj in objects:
        found = owner(obj)
        if found is None:
            continue
        model, key = found
        keys[model].add(key)
        if isinstance(obj, TrackedModel):
            known[model][key] = obj.slug
    result = {}
    for model, wanted in keys.items():
        slugs = set(known[model].values())
        missing = sorted(key for key in wanted if key not in known[model])
        if missing:
            # Named from a bounded sample: a source cited 10,000 times needs no
            # 10,000-key query to name the first few records citing it.
            rows = model._default_manager.filter(pk__in=missing[: limit * 10])
            slugs.update(rows.order_by("slug").values_list("slug", flat=True)[:limit])
        result[model] = (sorted(slugs)[:limit], len(wanted))
    return result

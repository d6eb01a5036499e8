"""What refers to a record: which records link to, cite or concern which, read off the registry.

A record is referred to by the statements about it (``RecordType.about``), by
other records' own keys to it (a statement's speaker, an actor's parent, a
deal's supplier and recipient, the agreement another replaces), by the
records whose link rows name it (an exercise's participants, an agreement's
parties, a deal's contractors) and, for a source, by every record citing it
(in its citations, reported values or status updates).
Nothing here names a record type: :mod:`tracker.registry` and the models'
fields say it all, so a new type or link is referred to without a change here.

Three things read these references: the admin's change pages list the
referring records, :func:`tracker.services.touch_dependents` marks them as
changed when a record's summary changes (they embed it), and a refused
deletion names them (:func:`blocking_records`).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import models
from django.db.models import Q

from . import registry
from .history import follow_relations
from .key_conditions import field_condition
from .models import Citation, TrackedModel


@dataclass(frozen=True)
class Reference:
    """Records of ``model`` whose ``path`` leads to a record of ``target``."""

    target: type[TrackedModel]
    model: type[TrackedModel]
    path: str
    label: str
    #: The model's own foreign key or many-to-many field the path goes through (an
    #: exercise's ``participants`` for ``participations__actor``), as
    #: :func:`tracker.key_conditions.linked_to_any` takes it; the path's first step otherwise.
    field: str = ""

    @property
    def own_field(self) -> str:
        return self.field or self.path.split("__", 1)[0]

    def condition(self, record: TrackedModel) -> Q:
        """Rows of ``model`` referring to ``record``, on the model's own columns (no join)."""
        return field_condition(self.model, self.path, "exact", record)

    def records(self, record: TrackedModel) -> models.QuerySet:
        """The referring records, each once, with the records their names read joined
        (a statement is named by its speaker)."""
        queryset = self.model._default_manager.filter(self.condition(record))
        return queryset.select_related(*(f.name for f in _record_keys(self.model)))


def _record_keys(model: type[TrackedModel]) -> list[models.ForeignKey]:
    """A record type's own foreign keys to records (speaker, parent, supplier ...)."""
    record_models = {rt.model for rt in registry.RECORD_TYPES}
    return [
        f for f in model._meta.concrete_fields if f.many_to_one and f.related_model in record_models
    ]


def _words(related_name: str) -> str:
    return related_name.replace("_", " ")


@functools.cache
def all_references() -> tuple[Reference, ...]:
    """Every reference between record types, in the order the admin lists them."""
    statement = registry.STATEMENT.model
    found = [
        Reference(rt.model, statement, rt.about, "statements about it")
        for rt in registry.RECORD_TYPES
        if rt.about
    ]
    for rt in registry.RECORD_TYPES:
        for key in _record_keys(rt.model):
            label = _words(key.remote_field.related_name or rt.verbose_name_plural)
            found.append(Reference(key.related_model, rt.model, key.name, label))
    for rt in registry.with_links():
        # The many-to-many the link rows make (an exercise's participants) says what
        # they link to and how those records call the ones listing them.
        listed = next(
            f for f in rt.model._meta.many_to_many if f.remote_field.through is rt.links.model
        )
        key = next(
            f.name
            for f in rt.links.model._meta.concrete_fields
            if f.many_to_one and f.related_model is listed.related_model
        )
        path = f"{rt.links.related_name}__{key}"
        label = _words(listed.remote_field.related_name)
        found.append(Reference(listed.related_model, rt.model, path, label, listed.name))
    cited = Citation._meta.get_field("source").related_model
    found += [
        Reference(cited, rt.model, "citations__source", f"{rt.verbose_name_plural} citing it")
        for rt in registry.cited()
    ]
    # Reported values and status updates carry their own citation, shown with the record.
    found += [
        Reference(
            cited,
            rt.model,
            f"{rows.related_name}__source",
            f"{rt.verbose_name_plural} with {_words(rows.related_name)} from it",
        )
        for rt in registry.RECORD_TYPES
        for rows in rt.rows
    ]
    return tuple(found)


def references_to(model: type[models.Model]) -> tuple[Reference, ...]:
    """The references to records of ``model`` (none for a model nothing refers to)."""
    return tuple(reference for reference in all_references() if reference.target is model)


def referring_querysets(
    record: TrackedModel, *, statements_only: bool = False
) -> list[models.QuerySet]:
    """One queryset per record type referring to ``record`` (all its references ORed)."""
    statement = registry.STATEMENT.model
    conditions: dict[type[TrackedModel], Q] = {}
    for reference in references_to(type(record)):
        if statements_only and reference.model is not statement:
            continue
        condition = reference.condition(record)
        model = reference.model
        conditions[model] = conditions[model] | condition if model in conditions else condition
    return [model._default_manager.filter(q) for model, q in conditions.items()]


@functools.cache
def _owner_keys() -> dict[type[models.Model], tuple[models.ForeignKey, ...]]:
    """For each link model, its keys to the record a row belongs to (as history follows)."""
    record_models = {rt.model for rt in registry.RECORD_TYPES}
    return {
        model: tuple(model._meta.get_field(name) for name in names)
        for model, names in follow_relations().items()
        if model not in record_models
    }


def owner(obj: models.Model) -> tuple[type[TrackedModel], object] | None:
    """The record a row belongs to, as (type, key): itself, or a link row's record.

    A participant belongs to its exercise, a citation to the record it
    supports; the key is read from the row, so no query is made.
    """
    if isinstance(obj, TrackedModel):
        return type(obj), obj.pk
    for field in _owner_keys().get(type(obj), ()):
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

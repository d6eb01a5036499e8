"""How a record's own fields follow its reported values and status updates.

:func:`tracker.services.record_save` calls :func:`align` before it validates
and saves a record, with the rows of these sets the save replaces (or
``None``: the stored rows stand). The rules, documented in docs/api.md:

* **Preferred value.** Where a field has a ``preferred`` reported value,
  the record's own field holds that value. A save that changes the
  preferred value (and leaves the field as stored) copies it into the
  field; a save that changes the field to anything else is refused, so the
  record and its preferred value never disagree. Fields without a preferred
  value keep whatever the record says.
* **Latest status.** A deal or agreement with status updates has its
  latest update's status (latest ``as_of``; among equal dates the last
  entered). A save adding an update moves the status with it; a save
  changing the status without an update is refused.

:func:`disputing_values` is the one definition of what disputes a record (and
:func:`is_disputed`, for values already read), used by the API's ``disputed``
flag and filter and the CSV ``disputed`` column.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef

from . import public as gate
from . import registry
from .models import DISPUTING_RANKS, Rank, ReportedValue, StatusUpdate, TrackedModel


def disputing_values(
    model: type[TrackedModel], public: bool = False, tested_by_row: bool = False
) -> models.QuerySet:
    """The reported values that make records of ``model`` disputed: ranked normal or
    deprecated (:data:`~tracker.models.DISPUTING_RANKS`).

    ``public``: only those the public reads of a published record (citing no draft
    source), so that its ``disputed`` flag, the filter and the CSV column agree. The
    record itself is the caller's to gate: each asks of the published records it lists.
    The source is tested against the few unpublished sources' keys, for many records'
    values; ``tested_by_row``: by its row, for one record's values at a time. (Tested
    against the keys in ``?disputed=false``'s ``NOT EXISTS``, each listed record was
    tested against every disputed one: the exercises' page query at a million took
    22.4 ms, 6.5 testing the source by its row.)
    """
    key = registry.for_model(model).key
    # ``key`` not null changes no result; it lets the other types' values be skipped by
    # the index on ``key`` (statements with none: 7.8 ms reading every arms deal's).
    values = ReportedValue.objects.filter(**{f"{key}__isnull": False}, rank__in=DISPUTING_RANKS)
    if not public:
        return values
    if tested_by_row:
        return values.filter(gate.is_published("source"))
    return gate.without_draft_ends(values, "source")


def disputed(model: type[TrackedModel], public: bool = False) -> Exists:
    """``Exists`` expression: the record has a disputing value (:func:`disputing_values`)."""
    key = registry.for_model(model).key
    values = disputing_values(model, public, tested_by_row=True)
    return Exists(values.filter(**{key: OuterRef("pk")}))


def disputed_keys(model: type[TrackedModel], public: bool = False) -> models.QuerySet:
    """The keys of the disputed records of ``model`` (a one-column ``values()``, with
    repeats: a record with two disputing values is named twice)."""
    return disputing_values(model, public).values(registry.for_model(model).key)


def is_disputed(values: Iterable[Mapping[str, Any]]) -> bool:
    """Whether reported values (as the API shows them: dicts with ``rank``) dispute a record."""
    return any(value.get("rank") in DISPUTING_RANKS for value in values)


def align(record: TrackedModel, given: Mapping[str, list[Mapping[str, Any]] | None]) -> None:
    """Make ``record``'s fields follow its preferred values and latest status, or refuse.

    ``given`` maps ``reported_values``/``status_updates`` to the rows this save
    stores (dicts of field values), or ``None`` where the stored rows stand.
    Raises ``ValidationError`` keyed by the record's field (or the row set).
    """
    record_type = registry.for_model(type(record))
    kept = {rows.related_name for rows in record_type.rows}
    for name, rows in given.items():
        if rows is not None and name not in kept:
            raise ValidationError({name: f"{record._meta.verbose_name_plural} have no {name}."})
    errors: dict[str, list[str]] = {}
    stored = _stored_values(record)
    if registry.REPORTED_VALUES.related_name in kept:
        values = _rows(record, ReportedValue, given.get("reported_values"))
        _follow_preferred(record, values, stored, errors)
    if registry.STATUS_UPDATES.related_name in kept:
        updates = _rows(record, StatusUpdate, given.get("status_updates"))
        _follow_latest_status(record, updates, stored, errors)
    if errors:
        raise ValidationError(errors)


def _stored_values(record: TrackedModel) -> dict[str, Any]:
    """The record's columns as stored (a new record: the model's defaults)."""
    model = type(record)
    names = [f.attname for f in model._meta.concrete_fields]
    if record.pk is not None:
        stored = model._default_manager.filter(pk=record.pk).values(*names).first()
        if stored is not None:
            return stored
    blank = model()
    return {name: getattr(blank, name) for name in names}


def _rows(record: TrackedModel, model: type[models.Model], given) -> list[models.Model]:
    """The rows that will be stored: unsaved objects for ``given`` dicts, else the stored ones."""
    key = registry.for_model(type(record)).key
    if given is not None:
        return [model(**row) for row in given]
    if record.pk is None:
        return []
    return list(model._default_manager.filter(**{key: record.pk}).order_by("pk"))


def _follow_preferred(record, values: list[ReportedValue], stored, errors) -> None:
    preferred: dict[str, ReportedValue] = {}
    for value in values:
        if value.rank != Rank.PREFERRED:
            continue
        if value.field in preferred:
            errors.setdefault("reported_values", []).append(
                f"Only one value of {value.field} can be preferred."
            )
            continue
        preferred[value.field] = value
    for field, value in preferred.items():
        if field not in type(record).disputable:
            continue  # the row's own validation names the unknown field
        wanted = value.record_values()
        current = {name: getattr(record, name) for name in wanted}
        if current == wanted:
            continue
        if all(current[name] == stored.get(name) for name in wanted):
            for name, new in wanted.items():
                setattr(record, name, new)
            continue
        column = next(iter(wanted))
        errors.setdefault(column, []).append(
            f"The preferred reported value of {field} is {value.shown()}: change that value "
            "(or its rank) together with the field, so that the record shows its preferred value."
        )


def _follow_latest_status(record, updates: list[StatusUpdate], stored, errors) -> None:
    dated = [(u.as_of, number, u) for number, u in enumerate(updates) if u.as_of is not None]
    if not dated:
        return
    latest = max(dated, key=lambda item: (item[0], item[1]))[2]
    allowed = {value for value, _ in type(record)._meta.get_field("status").choices}
    if record.status == latest.status or latest.status not in allowed:
        return  # a status of another record type: the row's own validation refuses it
    if record.status == stored.get("status"):
        record.status = latest.status
        return
    errors.setdefault("status", []).append(
        f"The status follows the latest status update ({latest}): add a dated, cited "
        "update for the new status."
    )

"""Two states of a record, compared field by field and link row by link row.

A :class:`State` is a record's own values and its link rows (participants,
parties, contractors, citations, the records a statement concerns), read
either from a stored version (:func:`version_state`) or from the database as
it is now (:func:`current_state`). :func:`compare` lines two states up and
says, in the words editors read (fuzzy dates as “September 2019”, choices by
label, linked records by name), which fields changed and which link rows were
removed, added or changed. The admin's comparison page shows the result in
full; :func:`tracker.history.describe_change` words it as a short comment.

Linked records are named in one query per type (:class:`Names`); one that
has been deleted since is named as its last stored version names it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, models
from django.utils import timezone
from django.utils.formats import date_format
from reversion.models import Version

from . import registry
from .dates import FuzzyDate
from .history import BOOKKEEPING_FIELDS, follow_relations
from .models import TrackedModel


# ----------------------------------------------------------------------------
# What a record's link rows are
# ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LinkSet:
    """One set of link rows of a record type.

    ``owner`` is the link row's key to the record (``exercise_id``); ``None``
    for a plain many-to-many list (a statement's ``about_exercises``), whose
    rows are the linked records themselves. ``key`` names what identifies a
    row within the set (the actor of a participant), so a row whose role
    changed is shown as changed, not as one removed and one added.
    """

    name: str
    label: str
    model: type[models.Model]
    owner: str | None
    key: tuple[str, ...]
    columns: tuple[models.Field, ...]


@functools.cache
def link_sets(model: type[TrackedModel]) -> tuple[LinkSet, ...]:
    """The link sets stored with ``model``'s versions (:func:`tracker.history.follow_relations`)."""
    follow = follow_relations()
    through_names = {
        m2m.remote_field.through: m2m.name
        for m2m in model._meta.many_to_many
        if not m2m.remote_field.through._meta.auto_created
    }
    result = []
    for name in follow.get(model, ()):
        relation = model._meta.get_field(name)
        link_model = relation.related_model
        owners = {link_model._meta.get_field(n).attname for n in follow.get(link_model, ())}
        columns = tuple(
            f
            for f in link_model._meta.concrete_fields
            if not f.primary_key and f.attname not in BOOKKEEPING_FIELDS | owners
        )
        owner = relation.field.attname
        label = through_names.get(link_model, str(link_model._meta.verbose_name_plural))
        result.append(LinkSet(name, label, link_model, owner, _row_key(link_model, owner), columns))
    for m2m in model._meta.many_to_many:
        if m2m.remote_field.through._meta.auto_created:
            result.append(LinkSet(m2m.name, str(m2m.verbose_name), m2m.related_model, None, (), ()))
    return tuple(result)


def _row_key(link_model: type[models.Model], owner: str) -> tuple[str, ...]:
    """The columns that, with the record, make a link row unique (its constraint)."""
    for constraint in link_model._meta.constraints:
        fields = getattr(constraint, "fields", ())
        attnames = [link_model._meta.get_field(f).attname for f in fields]
        if isinstance(constraint, models.UniqueConstraint) and owner in attnames:
            return tuple(a for a in attnames if a != owner)
    return ()


# ----------------------------------------------------------------------------
# States
# ----------------------------------------------------------------------------
@dataclass
class State:
    """A record's values (by column name) and its link rows (by link set name).

    A link row is a dict of column values; a many-to-many list is a list of
    the linked records' keys.
    """

    model: type[TrackedModel]
    values: dict[str, Any]
    links: dict[str, list[Any]] = field(default_factory=dict)


class UnreadableVersion(Exception):
    """A stored version that no longer fits the model (a field since removed)."""


def current_state(
    record: TrackedModel, names: tuple[str, ...] | None = None, *, from_instance: bool = False
) -> State | None:
    """``record`` as stored now, with the link sets ``names`` (all when ``None``).

    ``None`` for a record not (or no longer) stored. ``from_instance`` takes
    the record's own values from the object rather than reading them again.
    """
    model = type(record)
    if record.pk is None:
        return None
    attnames = [f.attname for f in model._meta.concrete_fields]
    if from_instance:
        values = {name: getattr(record, name) for name in attnames}
    else:
        values = model._default_manager.filter(pk=record.pk).values(*attnames).first()
        if values is None:
            return None
    state = State(model, values)
    for link_set in link_sets(model):
        if names is not None and link_set.name not in names:
            continue
        manager = getattr(record, link_set.name)
        if link_set.owner is None:
            state.links[link_set.name] = sorted(manager.values_list("pk", flat=True))
        else:
            state.links[link_set.name] = list(
                manager.order_by("pk").values(*(f.attname for f in link_set.columns))
            )
    return state


def version_state(version: Version, revision_versions: list[Version]) -> State:
    """The record as ``version`` stored it, its link rows from ``revision_versions``.

    ``revision_versions`` are the versions saved in the same revision (the
    link rows are stored beside the record). Raises :class:`UnreadableVersion`.
    """
    model = model_of(version)
    sets = link_sets(model)
    row_models = {link_set.model for link_set in sets if link_set.owner is not None}
    try:
        stored = version.field_dict
        rows = [
            (int(v.object_id), model_of(v), v.field_dict)
            for v in revision_versions
            if model_of(v) in row_models
        ]
    except Exception as exc:
        # A version stored by an older schema can fail anywhere in Django's
        # deserializer (a field or model since removed, a value it no longer takes).
        raise UnreadableVersion(str(exc)) from exc
    rows.sort(key=lambda row: row[0])
    m2m_names = {f.attname for f in model._meta.many_to_many}
    state = State(model, {k: v for k, v in stored.items() if k not in m2m_names})
    key = model._meta.pk.to_python(version.object_id)
    for link_set in sets:
        if link_set.owner is None:
            state.links[link_set.name] = sorted(stored.get(link_set.name) or [])
            continue
        state.links[link_set.name] = [
            {f.attname: values.get(f.attname) for f in link_set.columns}
            for _key, row_model, values in rows
            if row_model is link_set.model and values.get(link_set.owner) == key
        ]
    return state


def model_of(version: Version) -> type[models.Model] | None:
    """The model a stored version is of (``None`` for a model since removed)."""
    return ContentType.objects.get_for_id(version.content_type_id).model_class()


# ----------------------------------------------------------------------------
# Naming linked records
# ----------------------------------------------------------------------------
class Names:
    """Names of linked records, looked up in bulk: one query per record type.

    A record deleted since is named by its latest stored version (its name
    when it was last saved or deleted).
    """

    def __init__(self):
        self.wanted: dict[type[models.Model], set] = defaultdict(set)
        self.names: dict[tuple[type[models.Model], Any], str] = {}

    def want(self, model: type[models.Model], key) -> None:
        if key is not None and (model, key) not in self.names:
            self.wanted[model].add(key)

    def resolve(self) -> None:
        """Look up every name asked for since the last call."""
        for model, keys in self.wanted.items():
            for obj in model._default_manager.filter(pk__in=keys):
                self.names[(model, obj.pk)] = str(obj)
            missing = [key for key in keys if (model, key) not in self.names]
            if missing:
                content_type = ContentType.objects.get_for_model(model)
                # All three columns of reversion's unique index, so it is read by key.
                stored = (
                    Version.objects.filter(
                        db=DEFAULT_DB_ALIAS,
                        content_type=content_type,
                        object_id__in=[str(k) for k in missing],
                    )
                    .order_by("-pk")
                    .values_list("object_id", "object_repr")
                )
                to_key = model._meta.pk.to_python
                for object_id, name in stored:
                    self.names.setdefault((model, to_key(object_id)), f"{name} (deleted)")
                for key in missing:
                    self.names.setdefault(
                        (model, key), f"{model._meta.verbose_name} #{key} (deleted)"
                    )
        self.wanted.clear()

    def name(self, model: type[models.Model], key) -> str:
        return self.names.get((model, key), f"{model._meta.verbose_name} #{key}")


# ----------------------------------------------------------------------------
# Comparing
# ----------------------------------------------------------------------------
@dataclass
class FieldChange:
    """One field (a fuzzy date counts as one) in two states, as editors read it."""

    label: str
    old: str
    new: str
    long: bool = False

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class RowChange:
    """A link row removed, added or changed; ``fields`` are a changed row's differences."""

    status: str
    old: str
    new: str
    fields: list[FieldChange] = field(default_factory=list)


@dataclass
class LinkChanges:
    """What happened to one link set: its changed rows and how many stayed as they were."""

    label: str
    rows: list[RowChange]
    unchanged: list[str]


@dataclass
class Comparison:
    """Two states side by side: every field, and each link set's changes."""

    fields: list[FieldChange]
    links: list[LinkChanges]

    @property
    def changed_fields(self) -> list[FieldChange]:
        return [f for f in self.fields if f.changed]

    @property
    def unchanged_fields(self) -> list[FieldChange]:
        return [f for f in self.fields if not f.changed]

    @property
    def changed_links(self) -> list[LinkChanges]:
        return [link for link in self.links if link.rows]


def compare(old: State | None, new: State, names: Names | None = None) -> Comparison:
    """Compare ``old`` (``None``: nothing yet) with ``new``, naming linked records."""
    names = names or Names()
    model = new.model
    empty = State(model, {}, {})
    old = old or empty
    for state in (old, new):
        _want_names(state, names)
    names.resolve()
    fields = [
        FieldChange(
            label,
            _show(model, columns, old.values, names),
            _show(model, columns, new.values, names),
            long=isinstance(model._meta.get_field(columns[0]), models.TextField),
        )
        for label, columns in _field_groups(model)
    ]
    links = [
        _compare_rows(link_set, old.links.get(link_set.name, []), new.links[link_set.name], names)
        for link_set in link_sets(model)
        if link_set.name in new.links
    ]
    return Comparison(fields, links)


@functools.cache
def _field_groups(model: type[TrackedModel]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(label, field names) of each field shown: a fuzzy date's three columns are one."""
    parts = ("precision", "qualifier")
    date_parts = {f"{name}_{part}" for name in model.fuzzy_dates for part in parts}
    groups = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.attname in BOOKKEEPING_FIELDS or f.name in date_parts:
            continue
        if f.name in model.fuzzy_dates:
            columns = (f.name, f"{f.name}_precision", f"{f.name}_qualifier")
        else:
            columns = (f.name,)
        groups.append((str(f.verbose_name), columns))
    return tuple(groups)


def _want_names(state: State, names: Names) -> None:
    for f in state.model._meta.concrete_fields:
        if f.is_relation:
            names.want(f.related_model, state.values.get(f.attname))
    for link_set in link_sets(state.model):
        for row in state.links.get(link_set.name, []):
            if link_set.owner is None:
                names.want(link_set.model, row)
                continue
            for column in link_set.columns:
                if column.is_relation:
                    names.want(column.related_model, row.get(column.attname))


def _show(model, columns: tuple[str, ...], values: dict[str, Any], names: Names) -> str:
    """A field's value in ``values`` as the admin shows it."""
    first = model._meta.get_field(columns[0])
    if len(columns) == 3:
        if columns[0] not in values:
            return ""
        date, precision, qualifier = (values.get(c) for c in columns)
        return FuzzyDate(date, precision, qualifier or "").display()
    return show_value(first, values.get(first.attname), names)


def show_value(f: models.Field, value: Any, names: Names) -> str:
    """One column's value as editors read it: labels, names, dates in words."""
    if value is None or value == "":
        return ""
    if f.is_relation:
        return names.name(f.related_model, value)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dt.datetime):
        return date_format(timezone.localtime(value), "j F Y H:i")
    if isinstance(value, dt.date):
        return date_format(value, "j F Y")
    return str(value)


def _row_summary(link_set: LinkSet, row: dict[str, Any], names: Names) -> str:
    """A link row named as the row itself prints (``India (observer)``).

    Its linked records are stand-ins carrying only their names (looked up in
    bulk, or stored in a version if deleted since), so printing reads nothing.
    """
    obj = link_set.model(**row)
    for column in link_set.columns:
        key = row.get(column.attname)
        if column.is_relation and key is not None:
            setattr(obj, column.name, _stand_in(column.related_model, key, names))
    return str(obj)


def _stand_in(model: type[models.Model], key, names: Names) -> models.Model:
    """An unsaved ``model`` object whose name (its title field) is what ``names`` knows."""
    title = registry.for_model(model).title_field
    return model(pk=key, **{title: names.name(model, key)})


def _compare_rows(link_set: LinkSet, old: list, new: list, names: Names) -> LinkChanges:
    if link_set.owner is None:
        name = functools.partial(names.name, link_set.model)
        rows = [RowChange("removed", name(k), "") for k in old if k not in new]
        rows += [RowChange("added", "", name(k)) for k in new if k not in old]
        return LinkChanges(link_set.label, rows, [name(k) for k in new if k in old])
    old_rows, new_rows = _keyed(link_set, old), _keyed(link_set, new)
    rows, unchanged = [], []
    for key, row in old_rows.items():
        if key not in new_rows:
            rows.append(RowChange("removed", _row_summary(link_set, row, names), ""))
    for key, row in new_rows.items():
        summary = _row_summary(link_set, row, names)
        before = old_rows.get(key)
        if before is None:
            rows.append(RowChange("added", "", summary))
            continue
        differences = [
            FieldChange(
                str(c.verbose_name),
                show_value(c, before.get(c.attname), names),
                show_value(c, row.get(c.attname), names),
            )
            for c in link_set.columns
            if before.get(c.attname) != row.get(c.attname)
        ]
        if differences:
            rows.append(
                RowChange("changed", _row_summary(link_set, before, names), summary, differences)
            )
        else:
            unchanged.append(summary)
    return LinkChanges(link_set.label, rows, unchanged)


def _keyed(link_set: LinkSet, rows: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    """Rows by their key; rows with the same key (never stored twice) kept apart."""
    result: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = tuple(row.get(k) for k in link_set.key) if link_set.key else tuple(row.items())
        while key in result:
            key = (*key, "again")
        result[key] = row
    return result

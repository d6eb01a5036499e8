"""What a record page shows, read off the registry and the models' fields.

Nothing here names a record type: the fields a reader needs come from the
model, the linked records from its keys, link rows and "about" relations,
and what refers to the record from :mod:`tracker.references`. Every
queryset goes through :func:`tracker.public.published`, linked records too,
so a record the workflow holds back never shows through another.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models
from django.db.models import Count
from django.http import Http404

from tracker import registry
from tracker.counting import count_keys
from tracker.models import Citation, Source, TrackedModel
from tracker.public import published
from tracker.references import references_to

#: Fields a reader does not need (bookkeeping and editors' notes).
HIDDEN_FIELDS = {"id", "slug", "editorial_note", "created_at", "updated_at"}
#: Records listed per reference on a page; the rest are counted and linked.
LISTED = 100
#: Records counted per reference at most: past it the page says "more than" (a bounded
#: count, so an actor in a hundred thousand records costs what one in ten thousand does).
COUNTED = 10_000
#: Co-participants shown on an actor's page.
CO_PARTICIPANTS = 12


@dataclass
class Row:
    """One field as a reader sees it: its label, its text, a link if it has one."""

    label: str
    text: str
    url: str = ""


@dataclass
class Listing:
    """Records of one type referring to a record, grouped by year."""

    label: str
    record_type: registry.RecordType
    count: int
    years: list[tuple[str, list]] = field(default_factory=list)
    more_url: str = ""
    #: False when there are more than :data:`COUNTED` (then ``count`` is that limit).
    exact: bool = True


def public(model: type[TrackedModel]) -> models.QuerySet:
    """Every record of ``model`` a reader may see."""
    return published(model._default_manager.all())


def with_keys(queryset: models.QuerySet) -> models.QuerySet:
    """``queryset`` with the records its rows name themselves by joined (a statement's speaker)."""
    keys = [
        f.name
        for f in queryset.model._meta.concrete_fields
        if f.many_to_one and f.related_model in _record_models() and f.name != "parent"
    ]
    return queryset.select_related(*keys) if keys else queryset


def gate_keys(rows: list) -> list:
    """``rows`` with any joined record the gate holds back taken off (a held-back speaker).

    :func:`with_keys` joins the records rows name themselves by; a statement
    listed by its speaker's name must not show a speaker readers may not see.
    One query per kind of joined record, not per row.
    """
    by_field: dict = defaultdict(set)
    for row in rows:
        for f in row._meta.concrete_fields:
            key = getattr(row, f.attname)
            if f.many_to_one and f.related_model in _record_models() and f.is_cached(row) and key:
                by_field[f].add(key)
    for f, keys in by_field.items():
        shown = set(public(f.related_model).filter(pk__in=keys).values_list("pk", flat=True))
        for row in rows:
            if f.is_cached(row) and getattr(row, f.attname) not in shown | {None}:
                setattr(row, f.name, None)
    return rows


def record_type_or_404(resource: str) -> registry.RecordType:
    try:
        return registry.for_resource(resource)
    except KeyError as exc:
        raise Http404("No such kind of record.") from exc


def record_or_404(rt: registry.RecordType, slug: str):
    record = public(rt.model).filter(slug=slug).first()
    if record is None:
        raise Http404("No such record.")
    return record


def title_of(record: TrackedModel) -> str:
    """The text naming ``record`` (a statement's is shortened)."""
    text = str(getattr(record, registry.for_model(type(record)).title_field))
    return text if len(text) <= 120 else text[:117] + "…"


def _date_fields(model) -> set[str]:
    names = set()
    for name in model.fuzzy_dates:
        names |= {f"{name}_precision", f"{name}_qualifier"}
    return names


def _record_models() -> set:
    return {rt.model for rt in registry.RECORD_TYPES}


def _value_text(record, f) -> str:
    value = getattr(record, f.attname)
    if f.name in record.fuzzy_dates:
        return record.fuzzy(f.name).display() if value is not None else ""
    if value in (None, "", []):
        return ""
    if f.choices:
        return str(getattr(record, f"get_{f.name}_display")())
    if hasattr(value, "name") and f.name == "country":
        return str(value.name)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,}"
    return str(value)


def field_rows(record: TrackedModel) -> list[Row]:
    """The record's own fields a reader needs, dates at their precision (no query)."""
    model = type(record)
    skip = HIDDEN_FIELDS | _date_fields(model) | {registry.for_model(model).title_field}
    rows = []
    for f in model._meta.concrete_fields:
        if f.name in skip or (f.many_to_one and f.related_model in _record_models()):
            continue
        text = _value_text(record, f)
        if text:
            url = text if isinstance(f, models.URLField) else ""
            rows.append(Row(str(f.verbose_name).capitalize(), text, url))
    return rows


def linked_records(record: TrackedModel) -> list[Row]:
    """The records ``record`` names by its own keys (speaker, supplier, parent ...).

    One query per linked type, through the gate: an unpublished one is left out.
    """
    keys = [
        f
        for f in type(record)._meta.concrete_fields
        if f.many_to_one and f.related_model in _record_models()
    ]
    wanted = defaultdict(set)
    for f in keys:
        if getattr(record, f.attname) is not None:
            wanted[f.related_model].add(getattr(record, f.attname))
    found = {
        model: {r.pk: r for r in public(model).filter(pk__in=pks)} for model, pks in wanted.items()
    }
    rows = []
    for f in keys:
        linked = found.get(f.related_model, {}).get(getattr(record, f.attname))
        if linked is not None:
            rows.append(
                Row(str(f.verbose_name).capitalize(), title_of(linked), linked.get_absolute_url())
            )
    return rows


def link_rows(record: TrackedModel) -> list:
    """The record's link rows to actors (participants, parties, contractors), published actors."""
    rt = registry.for_model(type(record))
    if rt.links is None:
        return []
    actors = public(registry.ACTOR.model).values("pk")
    rows = getattr(record, rt.links.related_name).filter(actor__in=actors).select_related("actor")
    return list(rows.order_by("id"))


def about_records(record: TrackedModel) -> list[tuple[registry.RecordType, list]]:
    """For a statement: the records it concerns, by type (one query per relation)."""
    found = []
    for rt in registry.RECORD_TYPES:
        if rt.about and any(f.name == rt.about for f in type(record)._meta.many_to_many):
            records = list(published(getattr(record, rt.about).all()))
            if records:
                found.append((rt, records))
    return found


def citations(record: TrackedModel) -> list[Citation]:
    """The record's citations with their sources, by footnote (sources through the gate)."""
    if not registry.for_model(type(record)).cited:
        return []
    sources = public(Source).values("pk")
    return list(record.citations.filter(source__in=sources).select_related("source"))


def year_of(record: TrackedModel) -> str:
    """The year (or decade) a record is dated to, for grouping lists; "" if undated."""
    rt = registry.for_model(type(record))
    starts = [start for start, _end in rt.timeline_dates] or list(record.fuzzy_dates[:1])
    for start in starts:
        if getattr(record, start) is not None:
            date = record.fuzzy(start)
            return f"{date.value.year}s" if date.precision == 8 else str(date.value.year)
    return ""


def _group_by_year(records: list) -> list[tuple[str, list]]:
    """``(year, records)`` in order, undated last; one group named "" for undated kinds."""
    groups: dict[str, list] = {}
    for record in records:
        unknown = "Date unknown" if record.fuzzy_dates else ""
        groups.setdefault(year_of(record) or unknown, []).append(record)
    unknown = groups.pop("Date unknown", None)
    return list(groups.items()) + ([("Date unknown", unknown)] if unknown else [])


def _dated_order(rows: models.QuerySet, rt: registry.RecordType) -> models.QuerySet:
    """Oldest first, undated last on every database (SQLite puts NULL first by default)."""
    if not rt.timeline_dates:
        return rows
    starts = [models.F(start).asc(nulls_last=True) for start, _end in rt.timeline_dates]
    return rows.order_by(*starts, "slug")


def references(record: TrackedModel, timeline_url) -> list[Listing]:
    """What refers to ``record``, one list per reference, each grouped by year.

    Two queries per reference: the count (of at most :data:`COUNTED` + 1 keys,
    never all of them) and the first :data:`LISTED` records.
    ``timeline_url(rt)`` gives the link to all of them where the timeline has them.
    """
    listings = []
    for reference in references_to(type(record)):
        rt = registry.for_model(reference.model)
        rows = published(reference.records(record))
        count = count_keys(rows, COUNTED + 1)
        if not count:
            continue
        shown = gate_keys(list(_dated_order(rows, rt)[:LISTED]))
        listings.append(
            Listing(
                label=reference.label,
                record_type=rt,
                count=min(count, COUNTED),
                exact=count <= COUNTED,
                years=_group_by_year(shown),
                more_url=timeline_url(rt) if count > LISTED else "",
            )
        )
    return listings


def co_participants(actor: TrackedModel) -> list[dict]:
    """The actors that exercised, signed or traded with ``actor``: how often, by type.

    One grouped query per link table and one for the actors' names.
    """
    counts: dict = defaultdict(lambda: defaultdict(int))
    for rt in registry.with_links():
        link = rt.links.model
        records = published(
            rt.model._default_manager.filter(**{f"{rt.links.related_name}__actor": actor})
        )
        rows = (
            link.objects.filter(**{f"{rt.links.fk}__in": records.values("pk")})
            .exclude(actor=actor)
            .values("actor")
            .annotate(n=Count(rt.links.fk, distinct=True))
            .order_by()
        )
        for row in rows:
            counts[row["actor"]][rt] += row["n"]
    ranked = sorted(counts.items(), key=lambda item: -sum(item[1].values()))
    names = public(registry.ACTOR.model).in_bulk([pk for pk, _ in ranked[: CO_PARTICIPANTS * 2]])
    found = []
    for pk, by_type in ranked:
        if pk in names and len(found) < CO_PARTICIPANTS:
            found.append(
                {"actor": names[pk], "total": sum(by_type.values()), "by_type": dict(by_type)}
            )
    return found

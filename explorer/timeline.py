"""The timeline: every dated record on one axis, filtered, read a window at a time.

Each record type on the timeline (``RecordType.timeline_dates``) is read by
its own query ordered by its date, from a cursor (the last item of the
previous window), at most one window long: the date's index gives the rows
in order, so a window costs the same at ten thousand records as at a
million. The windows of the types are merged in Python. Counts per decade
(the overview) are bounded counts in the database, one per decade.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import partial

from django import forms
from django.db.models import Q

from tracker import registry
from tracker.api.filter_fields import PartialDateField
from tracker.counting import count_rows
from tracker.date_ranges import earliest_start
from tracker.dates import FuzzyDate, Precision, overlap_q
from tracker.key_conditions import linked_to_any_forms
from tracker.models import Actor
from tracker.public import published
from tracker.references import references_to
from tracker.walked import per_row_from

from .records import gate_keys, with_keys

#: Items per window.
WINDOW = 50
#: The overview's counts are exact up to this many records per decade and type, the
#: planner's estimate above (PostgreSQL): an exact count of 10,000 rows per decade,
#: eight decades, three types, cost more than the rest of the home page at a million.
OVERVIEW_EXACT = 1_000
#: A cursor names the precision by its label ("year").
PRECISIONS = {precision.label: precision.value for precision in Precision}


def type_choices() -> list[tuple[str, str]]:
    return [(rt.resource, rt.verbose_name_plural.capitalize()) for rt in registry.on_timeline()]


class TimelineForm(forms.Form):
    """The timeline's filters, as the URL carries them (a GET form)."""

    type = forms.MultipleChoiceField(required=False, choices=type_choices)
    actor = forms.SlugField(required=False, max_length=120)
    country = forms.CharField(required=False, max_length=2, min_length=2)
    # As the API's: YYYY, YYYY-MM or YYYY-MM-DD; "to" runs to the end of what it names.
    date_from = PartialDateField(required=False, label="From")
    date_to = PartialDateField(required=False, label="To", last_day=True)
    after = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    def clean_country(self) -> str:
        return self.cleaned_data["country"].upper()

    def clean_after(self):
        """The cursor ``date~precision~resource~slug``: where the previous window ended."""
        text = self.cleaned_data["after"]
        if not text:
            return None
        parts = text.split("~")
        if len(parts) == 3:
            # Before the precision joined the order, a cursor had three parts: it
            # cannot say where among one day's records it stood.
            raise forms.ValidationError(
                "This link to later records is from an older timeline: start from its first page."
            )
        try:
            day, precision, resource, slug = parts
            registry.for_resource(resource)
            return dt.date.fromisoformat(day), PRECISIONS[precision], resource, slug
        except (ValueError, KeyError) as exc:
            raise forms.ValidationError("Not a position on the timeline.") from exc

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end comes before the start.")
        return data


@dataclass
class Item:
    """One record on the timeline: where it starts, how precise that is, where it ends."""

    record_type: registry.RecordType
    record: object
    start: FuzzyDate
    end: FuzzyDate | None

    @property
    def key(self) -> tuple:
        """Its place: date, type, precision, slug (each type's window is read in the
        order of its index on (date, precision, slug))."""
        order = registry.RECORD_TYPES.index(self.record_type)
        return (self.start.value, order, self.start.precision, self.record.slug)

    @property
    def cursor(self) -> str:
        precision = Precision(self.start.precision).label
        return "~".join(
            (self.start.value.isoformat(), precision, self.record_type.resource, self.record.slug)
        )

    @property
    def span(self) -> str:
        """How wide the date is: a day, a month, a year, a decade (a CSS class)."""
        return Precision(self.start.precision).label if self.start.precision else "day"

    @property
    def bucket(self) -> str:
        """The heading it falls under: its year, or its decade when only that is known."""
        if self.start.precision == Precision.DECADE:
            return f"{self.start.value.year}s"
        return str(self.start.value.year)


def actor_condition(model, actor=None, country: str = "") -> Q | None:
    """Rows of ``model`` linked to ``actor`` (or to any actor of ``country``) in any role."""
    conditions = actor_conditions(model, actor, country)
    return None if conditions is None else conditions[0]


def actor_conditions(model, actor=None, country: str = "") -> tuple[Q, Q] | None:
    """:func:`actor_condition`, and the same for rows read walking an index until a
    window is full (:data:`tracker.walked.PER_ROW_LINKS`).

    A country names many actors: their records are found as the API's ``country``
    filter finds them (:func:`tracker.key_conditions.linked_to_any`). Each actor's records
    as an array of keys made the timeline of Russia at a million statements take
    1.4 s (docs/scale-history.md).
    """
    references = [reference for reference in references_to(Actor) if reference.model is model]
    if not references:
        return None
    if actor is None:
        fields = tuple(dict.fromkeys(reference.own_field for reference in references))
        # Its published actors: the public reads no link to a draft.
        actors = published(Actor.objects.filter(country=country))
        return linked_to_any_forms(model, fields, actors, partial(per_row_from, model))
    condition = Q()
    for reference in references:
        condition |= reference.condition(actor)
    return condition, condition


def filtered(rt: registry.RecordType, data: dict, actor=None) -> list[tuple]:
    """Each (start, end, rows, walked) placing records of ``rt``, the filters applied:
    ``walked`` the same rows as ``rows``, for reading in date order until a few are
    found, ``rows`` for counting (see :func:`actor_conditions`)."""
    counted = walked = with_keys(published(rt.model._default_manager.all()))
    country = data.get("country")
    for conditions in (
        actor_conditions(rt.model, actor) if actor is not None else None,
        actor_conditions(rt.model, country=country) if country else None,
    ):
        if conditions is not None:
            counted, walked = counted.filter(conditions[0]), walked.filter(conditions[1])
    parts, earlier = [], Q()
    for start, end in rt.timeline_dates:
        placed = Q(earlier, **{f"{start}__isnull": False})
        if data.get("date_from") or data.get("date_to"):
            placed &= overlap_q(start, end, data.get("date_from"), data.get("date_to"))
        rows, walk = counted.filter(placed), walked.filter(placed)
        if data.get("date_from"):
            # Same rows; lets the start's index begin its scan where matches can begin.
            first = earliest_start(walk, start, end, data["date_from"])
            begins = Q(**{f"{start}__gte": first})
            rows, walk = (
                (rows.filter(begins), walk.filter(begins)) if first else (rows.none(), walk.none())
            )
        parts.append((start, end, rows, walk))
        earlier &= Q(**{f"{start}__isnull": True})
    return parts


def chosen_types(data: dict) -> list[registry.RecordType]:
    wanted = data.get("type") or []
    return [rt for rt in registry.on_timeline() if not wanted or rt.resource in wanted]


def _after(rows, start: str, rt, cursor):
    """Rows of ``rows`` that come after ``cursor`` in (date, type, precision, slug) order."""
    if cursor is None:
        return rows
    day, precision, resource, slug = cursor
    mine = registry.RECORD_TYPES.index(rt)
    theirs = registry.RECORD_TYPES.index(registry.for_resource(resource))
    if mine > theirs:
        return rows.filter(**{f"{start}__gte": day})
    if mine < theirs:
        return rows.filter(**{f"{start}__gt": day})
    later = (
        Q(**{f"{start}__gt": day})
        | Q(**{start: day, f"{start}_precision__gt": precision})
        | Q(**{start: day, f"{start}_precision": precision, "slug__gt": slug})
    )
    # ``start >= day`` changes no result; an index scan can start there (it cannot
    # start at an OR).
    return rows.filter(later, **{f"{start}__gte": day})


def window(data: dict, actor=None) -> tuple[list[Item], bool]:
    """The next :data:`WINDOW` items after the cursor in ``data``, and whether more follow.

    One query per record type and date pair, each at most a window long.
    """
    items = []
    for rt in chosen_types(data):
        for start, end, _, rows in filtered(rt, data, actor):
            rows = _after(rows, start, rt, data.get("after"))
            # Exactly the order of the (date, precision, slug) indexes: a year is stored
            # as 1 January, and ordering by (date, slug) sorted every record of that day.
            rows = rows.order_by(start, f"{start}_precision", "slug")
            for record in rows[: WINDOW + 1]:
                items.append(
                    Item(rt, record, record.fuzzy(start), record.fuzzy(end) if end else None)
                )
    items.sort(key=lambda item: item.key)
    gate_keys([item.record for item in items[:WINDOW]])
    return items[:WINDOW], len(items) > WINDOW


def decade_counts(data: dict, actor=None) -> list[dict]:
    """Records per decade and type (the overview), counted in the database.

    Per type: its first and last date (two index probes), then one bounded
    count per decade (:func:`tracker.counting.count_rows`: exact up to
    :data:`OVERVIEW_EXACT`, the planner's estimate above it on PostgreSQL), so the
    overview costs about the same at a million records as at ten thousand.
    """
    types = chosen_types(data)
    counts: dict[int, dict[str, int]] = {}
    exact = True
    for rt in types:
        # The first and last dates are walks in date order; the counts read the links
        # first: the planner takes a row-by-row lookup for half the rows.
        for start, _end, rows, walked in filtered(rt, data, actor):
            rows = rows.order_by()
            dates = walked.order_by().values_list(start, flat=True)
            first, last = dates.order_by(start).first(), dates.order_by(f"-{start}").first()
            if first is None:
                continue
            for decade in range(first.year // 10 * 10, last.year // 10 * 10 + 1, 10):
                within = rows.filter(
                    **{f"{start}__gte": dt.date(decade, 1, 1)},
                    **({f"{start}__lt": dt.date(decade + 10, 1, 1)} if decade < 9990 else {}),
                )
                number, is_exact = count_rows(within, OVERVIEW_EXACT)
                exact = exact and is_exact
                if number:
                    counts.setdefault(decade, {t.resource: 0 for t in types})
                    counts[decade][rt.resource] += number
    return [
        {
            "decade": decade,
            "counts": [counts[decade][t.resource] for t in types],
            "total": sum(counts[decade].values()),
            "exact": exact,
        }
        for decade in sorted(counts)
    ]

"""Records that may already hold what an editor is about to add (a duplicate warning).

Two records are candidates when their names or titles are alike and their
dates overlap (or either date is unknown). On PostgreSQL "alike" is trigram
similarity (pg_trgm's ``%`` operator, served by the search indexes on
``UPPER(column)``); elsewhere the names are compared after folding case and
punctuation, with a similarity ratio. Only a handful of rows are read either
way, so the check costs the same at a million records.
"""

from __future__ import annotations

import difflib
import re

from django.db import connections
from django.db.models import BooleanField, Expression, QuerySet

from . import registry
from .models import TrackedModel

#: How many candidates a warning lists at most.
LIMIT = 5
#: Rows whose names are alike that are read before dates are compared.
SCAN = 50
#: Similarity (0–1) of folded names at which records are alike, without pg_trgm.
RATIO = 0.8


class TrigramMatch(Expression):
    """``UPPER(column) % UPPER(value)``: pg_trgm's similarity operator on the indexed expression."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, value: str):
        super().__init__(output_field=BooleanField())
        self.column, self.value = column, value

    def as_sql(self, compiler, connection):
        column = connection.ops.quote_name(self.column)
        # "%%" is the operator once the driver has put in the parameters.
        return f"UPPER({column}::text) %% UPPER(%s)", (self.value,)


def fold(text: str) -> str:
    """A name as compared: lowercase words, no punctuation (``Tsentr-2019`` → ``tsentr 2019``)."""
    return " ".join(re.findall(r"\w+", text.lower()))


def similar_records(record: TrackedModel) -> list[TrackedModel]:
    """Stored records of ``record``'s type with a similar name and an overlapping date."""
    record_type = registry.for_model(type(record))
    field = record_type.title_field
    title = (getattr(record, field) or "").strip()
    if not field or not fold(title):
        return []
    queryset = type(record)._default_manager.exclude(pk=record.pk)
    alike = _alike(queryset, field, title)
    return [other for other in alike if _dates_overlap(record, other)][:LIMIT]


def _alike(queryset: QuerySet, field: str, title: str) -> list[TrackedModel]:
    if connections[queryset.db].vendor == "postgresql":
        return list(queryset.filter(TrigramMatch(field, title)).order_by(field)[:SCAN])
    wanted = fold(title)
    longest = max(wanted.split(), key=len)
    rows = queryset.filter(**{f"{field}__icontains": longest}).order_by(field)[: SCAN * 4]
    return [
        row
        for row in rows
        if difflib.SequenceMatcher(None, fold(getattr(row, field)), wanted).ratio() >= RATIO
    ][:SCAN]


def _dates_overlap(record: TrackedModel, other: TrackedModel) -> bool:
    """Whether the two records' main dates overlap; an unknown date may be either."""
    if not record.fuzzy_dates:
        return True
    start = record.fuzzy_dates[0]
    end = next((e for s, e in record.date_ranges if s == start), start)
    mine, theirs = _period(record, start, end), _period(other, start, end)
    if None in mine or None in theirs:
        return True
    return mine[0] <= theirs[1] and theirs[0] <= mine[1]


def _period(record: TrackedModel, start: str, end: str):
    """First and last day a record's dates can mean (its start's period if no end is known)."""
    return record.fuzzy(start).earliest, record.fuzzy(end).latest or record.fuzzy(start).latest

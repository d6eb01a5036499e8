"""Where a date range's rows begin, for a period (start to end) read in start order.

A date range keeps every row whose period may overlap it
(:func:`tracker.dates.overlap_q`). For a single date, :func:`tracker.dates.earliest_match`
gives the first start that can match, and the start's index begins its scan there. A
period with an end is harder: it matches when its *end* reaches the range, and its start
may lie any distance before, so a list ordered by start read every older row and
dropped it (104,315 exercises, 340 ms, at a million statements).

:func:`earliest_start` bounds it with the longest period: a row whose end (its first day
at the end's precision) reaches ``date_from`` started at most its length earlier, and
the longest length per end precision is one probe of :func:`span_index`. The bound is
added to the filter as ``start >= bound``: it changes no result (the bound is implied)
and keeps the order by the start's index, on both engines.

A record with several periods (an arms deal: its contract date, or its delivery
period) matches when any of them reaches ``date_from``, so the other periods' matches
bound the list's leading start too: :func:`bounded_by_start`.
"""

from __future__ import annotations

import datetime as dt

from django.db import models

from .dates import Precision, earliest_match, first_rows, normalise, overlap_q


class DaysBetween(models.Func):
    """Whole days from ``start`` to ``end`` (``end - start``), as an index can hold it."""

    output_field = models.IntegerField()

    def __init__(self, end: str, start: str):
        super().__init__(models.F(end), models.F(start))

    def as_sql(self, compiler, connection, **extra):
        # PostgreSQL: date - date is an integer number of days (immutable, indexable).
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra
        )

    def as_sqlite(self, compiler, connection, **extra):
        # julianday() of a stored date is deterministic, so SQLite can index it too.
        return super().as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


def span_index(prefix: str, start: str, end: str) -> models.Index:
    """An index on (end precision, days from start to end), which :func:`earliest_start` probes."""
    return models.Index(
        models.F(f"{end}_precision"), DaysBetween(end, start), name=f"{prefix}_{end}_span_idx"
    )


def longest_spans(model, start: str, end: str, using: str = "default") -> list[tuple[int, int]]:
    """``(precision, days)``: per precision of ``end``, the most days a row's ``end``
    lies after its ``start`` (precisions no row has are left out).

    One probe of :func:`span_index` per precision, sent together (:func:`first_rows`).
    """
    span = DaysBetween(end, start)
    manager = model._default_manager.using(using)
    probes = [
        manager.filter(**{f"{end}_precision": precision, f"{start}__isnull": False})
        .order_by(span.desc())
        .values_list(models.Value(precision), span)[:1]
        for precision in Precision.values
    ]
    return [(precision, days) for precision, days in first_rows(probes) if days is not None]


def earliest_start(
    queryset: models.QuerySet, start: str, end: str | None, date_from: dt.date
) -> dt.date | None:
    """The lowest ``start`` a row of ``queryset``'s model reaching ``date_from`` can have.

    None when no row can (none has an end, and none starts on or after ``date_from``
    truncated to its precision). Rows without an end match by their start
    (:func:`~tracker.dates.earliest_match`); rows with an end at precision *p* match
    when the end is on or after ``date_from`` truncated to *p*, so they start no
    earlier than that minus the longest span at *p*. All rows of the model are
    probed (drafts too): a looser bound, never a wrong one.
    """
    bounds = [earliest_match(queryset, start, date_from)]
    if end is not None:
        for precision, days in longest_spans(queryset.model, start, end, queryset.db):
            floor = normalise(date_from, precision)
            # A span longer than the calendar before the floor (a typo's millennium)
            # bounds nothing: the first day there is.
            reach = min(max(days, 0), (floor - dt.date.min).days)
            bounds.append(floor - dt.timedelta(days=reach))
    return min((bound for bound in bounds if bound is not None), default=None)


def bounded_by_start(
    queryset: models.QuerySet, periods: tuple[tuple[str, str | None], ...], date_from: dt.date
) -> models.QuerySet:
    """``queryset`` with ``start >= bound`` on the first period's start, where rows match
    when any of ``periods`` reaches ``date_from``: the same rows, read from the bound.

    Empty when no row can match. A row matching by another period may start its
    first period anywhere, so those rows (all of the model's, drafts too: a looser
    bound, never a wrong one) are probed for their lowest first start: the first in
    the start's order, which the planner finds from the start's index when such rows
    are many and from the period's when they are few. When one of them has no first
    start there is no bound (an index on the start holds no place before an empty
    start on both engines), and ``queryset`` is returned as it is.
    """
    [(start, end), *others] = periods
    bounds = [earliest_start(queryset, start, end, date_from)]
    manager = queryset.model._default_manager.using(queryset.db)
    for other_start, other_end in others:
        matching = manager.filter(overlap_q(other_start, other_end, date_from, None))
        if matching.filter(**{f"{start}__isnull": True}).exists():
            return queryset
        bounds.append(matching.order_by(start).values_list(start, flat=True).first())
    bound = min((bound for bound in bounds if bound is not None), default=None)
    if bound is None:
        return queryset.none()
    return queryset.filter(**{f"{start}__gte": bound})

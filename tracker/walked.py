"""Conditions with a second form for the rows a page reads walking an index.

A condition naming many linked rows (a country: the 84,505 statements about a
Russian actor at a million) is best counted, and estimated, with those links read
into a hash; but a page read walking the list's order index stops after a few
hundred rows, and building that hash cost it more than the walk (a page of the
statements' ``country=RU``: 31.8 ms, against 5.8 looking up each row's links as
it was walked). :class:`Walkable` carries both forms: the first wherever the
condition is compiled, the second where a page's rows are read
(:func:`walked_form`).
"""

from __future__ import annotations

import math

from django.db import connections
from django.db.models import BooleanField, Expression, Q, QuerySet

from .internals import with_conditions_replaced

#: A walk of an index for a page of 50 and the row after it (the API's default page, the
#: timeline's window) looks up each row's links to a country's actors for that row where
#: the links number at least this many times the square root of the table's rows; below,
#: they are read into a hash first. At a million statements a row walked so cost 17 µs,
#: and a link read and hashed 0.5 µs (Russia's 84,505 links: a window took 44 ms, against
#: 5.5 ms walking 320 rows). For 51 rows among L links of T rows, walking costs less where
#: 51 × T / L × 17 < 0.5 × L, that is where L > 41 × √T.
PER_ROW_LINKS = 41
#: The rows :data:`PER_ROW_LINKS` is worked out for.
PER_ROW_WINDOW = 51


def per_row_from(model) -> int | None:
    """The links above which walking ``model``'s rows looks up each row's links
    (:data:`PER_ROW_LINKS`); None where that is never so (SQLite, or no statistics)."""
    from .counting import table_estimate  # (counting reads lists filtered here)

    manager = model._default_manager
    if connections[manager.db].vendor != "postgresql":
        return None
    table_rows = table_estimate(manager.all())
    return PER_ROW_LINKS * math.isqrt(table_rows) if table_rows else None


def walks_up_to(links: int, threshold: int) -> int | None:
    """The last row worth walking to with each row's links looked up, where ``links`` are
    expected and ``threshold`` (:func:`per_row_from`) is the least for a walk of
    :data:`PER_ROW_WINDOW` rows; None where every walk is (a threshold of 0).

    A walk to row ``top`` costs less than the hash where ``links² > 34 × top × T``
    (as for :data:`PER_ROW_LINKS`), so the rows grow with the square of the links'
    share over the threshold. Russia's statements at a million (84,505 links,
    threshold 41,000): 216 rows. A review measured deep pages of them walked so 1.45x
    (page 50 of 50 rows) and 1.96x (page 100) slower than hashed; page 10 faster.
    """
    if not threshold:
        return None
    return PER_ROW_WINDOW * links * links // (threshold * threshold)


class Walkable(Expression):
    """A condition (``counted``) with a second form giving the same rows, for a page read
    walking an index (``walked``): see the module's doc and :func:`walked_form`.

    ``keys``, where given: querysets whose values are the keys of the rows the condition
    matches (their union), for counting them from the links' keys
    (:mod:`tracker.link_counts`); never compiled into the list's own queries.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, counted: Q, walked: Q, keys: tuple[QuerySet, ...] = ()):
        super().__init__(output_field=BooleanField())
        self.counted, self.walked = counted, walked
        self.keys = keys
        self.is_walked = False
        #: The last row the walked form is worth reading to (None: any): the nearest of
        #: its parts' (``walks_up_to`` of each ``tracker.key_conditions.ProbedPerRow`` in it).
        reaches = [reach for reach in _reaches(walked) if reach is not None]
        self.walks_up_to = min(reaches) if reaches else None

    def get_source_expressions(self):
        return [self.counted, self.walked]

    def set_source_expressions(self, exprs):
        self.counted, self.walked = exprs

    def __eq__(self, other):
        # Django compares expressions by their constructor's arguments: a walked copy's
        # are the same.
        return super().__eq__(other) and self.is_walked == getattr(other, "is_walked", None)

    def __hash__(self):
        return hash((super().__hash__(), self.is_walked))

    def as_walked(self) -> Walkable:
        """A copy compiled in its walked form."""
        clone = self.copy()
        clone.is_walked = True
        return clone

    def as_sql(self, compiler, connection):
        return compiler.compile(self.walked if self.is_walked else self.counted)


def _reaches(condition: Q):
    """``walks_up_to`` of each part of ``condition`` that has one."""
    for child in condition.children:
        if isinstance(child, Q):
            yield from _reaches(child)
        else:
            yield getattr(child, "walks_up_to", None)


def walked_form(queryset: QuerySet, top: int) -> QuerySet:
    """``queryset`` with each :class:`Walkable` condition in its walked form, for rows up
    to ``top`` (a condition whose walk is not worth that far stays as it is)."""

    def walked(condition: Walkable) -> Walkable:
        reach = condition.walks_up_to
        return condition.as_walked() if reach is None or top <= reach else condition

    return with_conditions_replaced(queryset, Walkable, walked)

"""Which changelist columns sort, and how their ties are broken: in an index's order.

A changelist sorted by a column shows its first rows in that order. Where no
index holds the order, the database reads and sorts every row first: at a
million statements, sorting by the text, the speaker, the occasion or the
publication status took 560-720 ms a page, against 45 ms by date
(``bench/bench_filters.py``). So a column sorts only where an index reads its
field in order, and is otherwise filtered from the sidebar, not sorted:

* an index on ``(field, tie)`` (the API's ordering indexes, ``(name, slug)``),
  or the field unique: the whole order is one index's;
* or an index led by the field, which is neither a relation (sorted by the
  related record's name, through a join) nor a choice or yes/no (a handful of
  values, each shared by a large part of the table, whose rows would still all
  be sorted by the tie): dates, names and numbers, whose ties are few.

Ties are broken by the slug (the key where a model has no unique slug) in the
column's direction, or as the list's usual order breaks them where the column's
field leads it (a date, then its precision, then the slug). Django breaks them
by ``-pk`` whichever way the column sorts: ``(date ASC, id DESC)`` is no
index's order. One column sorts at a time.
"""

from __future__ import annotations

from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import FieldDoesNotExist
from django.db import models

from ..indexes import index_leads


def tie_breaker(model: type[models.Model]) -> str:
    """The field that orders a sorted column's ties: a unique slug, else the key."""
    try:
        slug = model._meta.get_field("slug")
    except FieldDoesNotExist:
        return "pk"
    return "slug" if slug.unique else "pk"


def _tie_field(model: type[models.Model]) -> str:
    """:func:`tie_breaker` as a field's name (``id`` for ``pk``), as indexes name it."""
    tie = tie_breaker(model)
    return model._meta.pk.name if tie == "pk" else tie


def _index_leads(model: type[models.Model]) -> list[list[str]]:
    """:func:`tracker.indexes.index_leads`, the key named as the tie (``slug`` or ``id``)."""
    tie = _tie_field(model)
    return [[tie if name == "pk" else name for name in lead] for lead in index_leads(model)]


def reads_in_order(model: type[models.Model], order: object) -> bool:
    """Whether an index reads ``model``'s rows in the order of the column ``order``
    (an ``admin_order_field``) with its ties (see the module's docstring)."""
    if not isinstance(order, str):
        return False
    name = order.removeprefix("-")
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    if field.is_relation:
        return False
    tie = _tie_field(model)
    leads = _index_leads(model)
    if field.unique or [name, tie] in (lead[:2] for lead in leads):
        return True
    few_values = bool(field.choices) or isinstance(field, models.BooleanField)
    return not few_values and any(lead[0] == name for lead in leads)


class IndexedSorting:
    """A :class:`~django.contrib.admin.views.main.ChangeList` mixin: only columns that
    an index reads in order sort, one at a time, their ties in their direction."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The headers offer to sort only these (Django's ``sortable_by``), within
        # what the model admin offers.
        offered = self.sortable_by
        self.sortable_by = [
            name
            for name in self.list_display
            if (offered is None or name in offered) and self.get_ordering_field(name)
        ]

    def get_ordering_field(self, field_name):
        order = super().get_ordering_field(field_name)
        return order if reads_in_order(self.model, order) else None

    def sorted_column(self) -> tuple[int, bool] | None:
        """The column number the ``o`` parameter sorts by first, of those that sort
        here, and whether descending; None if it names none.

        Only that one: a second column (Django's headers offer ``o=2.3``) sorts
        every row sharing a value of the first, which no index does.
        """
        for part in self.params.get(ORDER_VAR, "").split("."):
            _, sign, number = part.rpartition("-")
            try:
                name = self.list_display[int(number)]
            except (IndexError, ValueError):
                continue
            if self.get_ordering_field(name):
                return int(number), sign == "-"
        return None

    def get_ordering_field_columns(self):
        if ORDER_VAR not in self.params:
            return super().get_ordering_field_columns()
        column = self.sorted_column()
        return {} if column is None else {column[0]: "desc" if column[1] else "asc"}

    def get_ordering(self, request, queryset):
        if not self.params.get(ORDER_VAR):
            return super().get_ordering(request, queryset)
        usual = list(self.model_admin.get_ordering(request) or self.lookup_opts.ordering)
        column = self.sorted_column()
        if column is None:  # only columns that do not sort (an old link): the usual order
            return usual
        number, descending = column
        order = self.get_ordering_field(self.list_display[number])
        field = order.removeprefix("-")
        descending ^= order.startswith("-")
        if usual and usual[0].removeprefix("-") == field:
            # The field the list is usually in order of: its ties as usual (a date's
            # precision, then the slug), as the usual order's index holds them.
            names = [name.removeprefix("-") for name in usual]
        else:
            names = [field, tie_breaker(self.model)]
        return [f"-{name}" if descending else name for name in dict.fromkeys(names)]

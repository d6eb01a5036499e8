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
column's direction. Django breaks them by ``-pk`` whichever way the column
sorts: ``(date ASC, id DESC)`` is no index's order.
"""

from __future__ import annotations

from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.expressions import OrderBy


def tie_breaker(model: type[models.Model]) -> str:
    """The field that orders a sorted column's ties: a unique slug, else the key."""
    try:
        slug = model._meta.get_field("slug")
    except FieldDoesNotExist:
        return "pk"
    return "slug" if slug.unique else "pk"


def _index_leads(model: type[models.Model]) -> list[list[str]]:
    """The columns each of the model's b-tree indexes on plain fields starts with."""
    tie = model._meta.pk.name if tie_breaker(model) == "pk" else "slug"
    leads = []
    for index in model._meta.indexes:
        fields = [name.lstrip("-") for name in index.fields]
        if fields and not index.condition:
            leads.append([tie if name == "pk" else name for name in fields])
    for field in model._meta.concrete_fields:
        if field.db_index or field.unique:
            leads.append([field.name])
    return leads


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
    tie = model._meta.pk.name if tie_breaker(model) == "pk" else "slug"
    leads = _index_leads(model)
    if field.unique or [name, tie] in (lead[:2] for lead in leads):
        return True
    few_values = bool(field.choices) or isinstance(field, models.BooleanField)
    return not few_values and any(lead[0] == name for lead in leads)


class IndexedSorting:
    """A :class:`~django.contrib.admin.views.main.ChangeList` mixin: only columns that
    an index reads in order sort, their ties in their direction."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The headers offer to sort only these (Django's ``sortable_by``).
        self.sortable_by = [name for name in self.list_display if self.get_ordering_field(name)]

    def get_ordering_field(self, field_name):
        order = super().get_ordering_field(field_name)
        return order if reads_in_order(self.model, order) else None

    def get_ordering(self, request, queryset):
        ordering = super().get_ordering(request, queryset)
        if not self.params.get(ORDER_VAR) or not ordering:
            return ordering
        first = ordering[0]
        if isinstance(first, OrderBy):
            descending = first.descending
        else:
            descending = isinstance(first, str) and first.startswith("-")
        tie = tie_breaker(self.model)
        columns = [order for order in ordering if order not in ("-pk", "pk", tie, f"-{tie}")]
        if not columns:  # only columns that do not sort (an old link): the usual order
            return list(self.model_admin.get_ordering(request) or self.lookup_opts.ordering)
        return [*columns, f"-{tie}" if descending else tie]

"""Which fields the models' B-tree indexes read in order.

Declared once for the code that reads a column in its order and relies on an
index for it: the admin's sortable columns (``admin/sorting``) and the skip
scan of a column's values (``distinct``); and for a count read from an index
alone (``published_counts``).
"""

from __future__ import annotations

from django.db import models

#: ``Index.suffix`` of the index classes that build a B-tree (``models.Index`` and
#: ``contrib.postgres``'s ``BTreeIndex``); a GIN or GiST index reads nothing in order.
BTREE_SUFFIXES = ("idx", "btree")


def index_leads(model: type[models.Model]) -> list[list[str]]:
    """The fields each of ``model``'s whole-table B-tree indexes on plain fields is on,
    leading field first (``pk`` as an index names it): Meta indexes (not partial, not
    on expressions), then each field's own (``db_index``, ``unique``, a foreign key's)."""
    leads = []
    for index in model._meta.indexes:
        fields = [name.lstrip("-") for name in index.fields]
        if fields and not index.condition and index.suffix in BTREE_SUFFIXES:
            leads.append(fields)
    for field in model._meta.concrete_fields:
        if field.db_index or field.unique:
            leads.append([field.name])
    return leads


def leads_an_index(model: type[models.Model], field_name: str) -> bool:
    """Whether a B-tree index of ``model`` leads with ``field_name``: its values can be
    read from it in order."""
    return any(lead[0] == field_name for lead in index_leads(model))


def one_index_holds(model: type[models.Model], columns: set[str]) -> bool:
    """Whether one of ``model``'s whole-table B-tree indexes holds every one of
    ``columns`` (database column names; its carried columns count): rows tested on
    those columns alone can be counted from that index (an index-only scan)."""
    for index in model._meta.indexes:
        if not index.fields or index.condition or index.suffix not in BTREE_SUFFIXES:
            continue
        names = [name.lstrip("-") for name in index.fields] + list(index.include)
        if columns <= {model._meta.get_field(name).column for name in names}:
            return True
    return any(
        (field.db_index or field.unique) and columns <= {field.column}
        for field in model._meta.concrete_fields
    )

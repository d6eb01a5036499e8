"""Counting a list filtered by a link from the link's keys, not from its rows.

A list filtered by a link (``?footnote=1``, ``?source=``, ``?about_exercise=``)
names its rows by their keys: ``id = ANY(ARRAY(keys))``, the keys read from an
index of the link (the citations' ``(footnote, id)`` index carries the cited
records' keys). Counted as rows, each key was looked up in the record's table
for its publication status: statements citing footnote 1 at a million, 10,001
rows read for 24 ms of a 47 ms request.

Every key a link names is a row of the table (a foreign key, or the table's own
key), so the list's rows are its distinct keys, less those whose row is not
published where the list shows published rows only. The unpublished rows' keys
have an index of their own (``unpublished_keys_index``): few rows, so the
unpublished keys are a small hash the link's keys are checked against, and no
row is read. (A key whose row a transaction has not yet written, its foreign key
checked only at its commit, would be counted by that transaction alone; nothing
counts while it writes.)

A country's records (``?country=``) are named by a condition of two forms
(:class:`tracker.walked.Walkable`) that carries their keys too: read from the
links to the country's actors (agreements of Russia at a million: the count from
the parties' keys 10 ms, as rows 20 ms).

Only where the link names few keys (:data:`KEYS_READ`): its keys must all be read
before any is counted, where rows are counted only up to the limit. A review
measured sources cited 62,000 to 700,000 times, with 30% of the records drafts:
140 to 672 ms counted from the keys against 59 to 202 ms as rows.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet, FieldDoesNotExist
from django.db import connections
from django.db.models import ForeignKey, Model, QuerySet

from .internals import and_conditions, is_reshaped, own_field, values_names
from .key_conditions import AnyOf
from .public import PUBLISHED, is_published_test
from .walked import Walkable


def _names_rows_of(model: type[Model], keys: QuerySet) -> bool:
    """Whether every value ``keys`` (a one-column ``values()``) reads is a key of a row of
    ``model``: the model's own key, or a foreign key to it that the database enforces."""
    names = values_names(keys)
    if len(names) != 1:
        return False
    if names[0] == "pk":
        return keys.model is model
    try:  # a path through a relation ("statement__id") names no field of its own
        field = keys.model._meta.get_field(names[0])
    except FieldDoesNotExist:
        return False
    if getattr(field, "primary_key", False):
        return keys.model is model
    return (
        isinstance(field, ForeignKey)
        and field.related_model is model
        and field.db_constraint
        and field.target_field.primary_key
    )


def linked_keys(queryset: QuerySet) -> tuple[AnyOf, bool] | None:
    """``(link, published)`` for a list whose conditions are one link condition naming
    rows of its table by their keys, and perhaps ``publication_status = 'published'``
    (``published``); None for any other list.

    The link condition is a :class:`tracker.key_conditions.AnyOf` on the table's key,
    or a :class:`tracker.walked.Walkable` carrying its rows' keys (a country's records).
    """
    if is_reshaped(queryset):  # distinct(), sliced, annotated (perhaps joined): not its rows
        return None
    leaves = and_conditions(queryset)
    if not leaves:
        return None
    model = queryset.model
    links = [leaf for leaf in leaves if isinstance(leaf, (AnyOf, Walkable))]
    published = [leaf for leaf in leaves if is_published_test(leaf, queryset)]
    if len(links) != 1 or len(links) + len(published) != len(leaves):
        return None
    (link,) = links
    if isinstance(link, Walkable):
        if not link.keys:
            return None
        link = AnyOf("pk", *link.keys)
    else:
        (column,) = link.get_source_expressions()
        if own_field(column, queryset) != model._meta.pk:
            return None
    if not all(_names_rows_of(model, keys) for keys in link.querysets):
        return None
    return link, bool(published)


#: A link is counted from its keys where it names fewer than this many times the rows
#: counted (20,002 for the API's exact count). Statements citing footnote 1 at a
#: million, 17,397 citations: 15 ms from the keys, 50 ms as rows (EXPLAIN ANALYZE).
KEYS_READ = 2


def count_linked_keys(queryset: QuerySet, number: int) -> int | None:
    """How many of the first ``number`` rows a link-filtered list has, counted from the
    link's keys (PostgreSQL); None where the list is not one (:func:`linked_keys`), or
    its link names ``KEYS_READ × number`` keys or more (counted as rows, the count
    stops at the limit)."""
    connection = connections[queryset.db]
    found = linked_keys(queryset) if connection.vendor == "postgresql" else None
    if found is None:
        return None
    link, published = found
    try:
        arms = link.subqueries(connection)
    except EmptyResultSet:  # it names no key
        return 0
    read_at_most = KEYS_READ * number
    # MATERIALIZED: the keys are read as the link's own query would read them (the
    # citations' footnote index). Planned with the rest, exercises citing footnote 1
    # at a million walked the citations' exercise index in key order for a merge
    # join, the footnote tested on 224,896 rows: 21.7 ms, against 5.0.
    named = " UNION ALL ".join(f"({sql})" for sql, _ in arms)
    params: list = [param for _, arm_params in arms for param in arm_params]
    params.append(read_at_most)
    distinct = "SELECT DISTINCT linked.key FROM linked WHERE linked.key IS NOT NULL"
    if published:
        meta = queryset.model._meta
        quote = connection.ops.quote_name
        status = quote(meta.get_field("publication_status").column)
        # Written as the partial index's condition, so that the planner reads that index.
        distinct += (
            f" AND NOT EXISTS (SELECT 1 FROM {quote(meta.db_table)} AS listed"
            f" WHERE listed.{quote(meta.pk.column)} = linked.key AND NOT (listed.{status} = %s))"
        )
        params.append(PUBLISHED)
    params.append(number)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH linked(key) AS MATERIALIZED (SELECT * FROM ({named}) AS named LIMIT %s) "
            "SELECT (SELECT count(*) FROM linked), count(*) "
            f"FROM ({distinct} LIMIT %s) AS counted",
            params,
        )
        read, counted = cursor.fetchone()
    return None if read >= read_at_most else counted

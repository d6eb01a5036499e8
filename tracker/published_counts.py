"""Counting a published list as its matches in every status, less the unpublished ones.

The public's lists hold published records only (``publication_status =
'published'``), a column no index of a filtered column carries: counted as they
are, each match is read from the table for its status. Arms deals of one
category at a million, 10,001 of 12,755 read for 8 to 12 ms; the same matches
counted in the category's index alone (an index-only scan), 1 ms.

So a list whose conditions are the published test and plain comparisons of its
own columns with values (``category = 'air_defence'``, a date from a day), all
of them columns one index holds, is counted as the rows matching those
comparisons in any status, read from that index alone, less the unpublished ones
among them, read from the unpublished rows' own index
(``models.base.unpublished_keys_index``): one statement, so one snapshot.

Only where the unpublished rows are few: at most :data:`UNPUBLISHED_READ` in the
whole table by its statistics (a review measured, with 30% of the records drafts,
lists counted this way at up to twice their cost as rows), and at most as many
among the matches (counted first; where there are as many, the matches are not
counted and the list is counted as rows).
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet, Value
from django.db.models.lookups import Exact

from .indexes import one_index_holds
from .internals import (
    and_conditions,
    compiled_sql,
    condition_columns,
    is_reshaped,
    with_conditions_replaced,
)
from .models.base import unpublished_keys_index_name
from .public import PUBLISHED, is_published_test

#: The unpublished rows read at most (and in the table, by its statistics); where
#: there are as many, the list is counted as rows.
UNPUBLISHED_READ = 1_000


def count_published(queryset: QuerySet, number: int) -> int | None:
    """How many of the first ``number`` rows a published list has, counted as its matches
    in any status less the unpublished ones (PostgreSQL); None where the list is not
    one (its conditions other than the published test are not all plain comparisons
    of its own columns), or its unpublished rows are too many to read."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or is_reshaped(queryset):
        return None
    index = unpublished_keys_index_name(queryset.model)
    if index is None:
        return None
    leaves = and_conditions(queryset, keep_groups=True)
    columns = condition_columns(queryset)
    if not leaves or columns is None:
        return None
    # Counted from one index alone, or not worth it: the matches read from the table
    # (arms deals from a date, by two dates' indexes) cost what they did, the
    # unpublished ones and a thousand rows more on top (31 -> 41 ms at a million).
    status = queryset.model._meta.get_field("publication_status").column
    if not one_index_holds(queryset.model, columns - {status}):
        return None
    published = [leaf for leaf in leaves if is_published_test(leaf, queryset)]
    if len(published) != 1 or len(leaves) == 1:  # not published, or nothing else tested
        return None
    (gate,) = published
    # The same conditions, the published test made true: every status.
    matching = with_conditions_replaced(
        queryset, Exact, lambda leaf: Value(True) if leaf is gate else leaf
    )
    required = and_conditions(matching, keep_groups=True) or ()
    if any(is_published_test(leaf, matching) for leaf in required):
        return None  # not replaced: counting it less the unpublished would miscount
    matching = matching.order_by().values("pk")
    unpublished = matching.exclude(publication_status=PUBLISHED)
    try:
        matching_sql, matching_params = compiled_sql(matching, connection)
        unpublished_sql, unpublished_params = compiled_sql(unpublished, connection)
    except EmptyResultSet:  # a condition that can match nothing: Django counts it for free
        return None
    # The LIMIT a constant: an expression of the unpublished count hid it from the
    # planner, which took a tenth of the matches and read a whole table to count
    # two conditions (statements of a kind, language and year at a million: 48 ms
    # as rows, 281 ms so).
    read_at_most = number + UNPUBLISHED_READ
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH unpublished(n) AS MATERIALIZED (SELECT CASE"
            " WHEN (SELECT reltuples FROM pg_class WHERE oid = %s::regclass) <= %s"
            f" THEN (SELECT count(*) FROM ({unpublished_sql} LIMIT %s) AS unpublished) END)"
            " SELECT CASE WHEN n < %s THEN (SELECT least(count(*), %s + n) - n"
            f" FROM (SELECT 1 FROM ({matching_sql}) AS matching LIMIT %s) AS counted) END"
            " FROM unpublished",
            (
                index,
                UNPUBLISHED_READ,
                *unpublished_params,
                UNPUBLISHED_READ,
                UNPUBLISHED_READ,
                number,
                *matching_params,
                read_at_most,
            ),
        )
        (counted,) = cursor.fetchone()
    return counted

"""Counting a published list as its matches in every status, less the unpublished ones.

The public's lists hold published records only (``publication_status =
'published'``), a column no index of a filtered column carries: counted as they
are, each match is read from the table for its status. Arms deals of one
category at a million, 10,001 of 12,755 read for 8 to 12 ms; the same matches
counted in the category's index alone (an index-only scan), 1 ms.

So a list whose conditions are the published test and plain comparisons of its
own columns with values (``category = 'air_defence'``, a date from a day) is
counted as the rows matching those comparisons in any status, read from their
index, less the unpublished ones among them, read from the unpublished rows' own
index (``models.base.unpublished_keys_index``): one statement, so one snapshot.

Only where the unpublished matches are few (:data:`UNPUBLISHED_READ`): each is
read from the table. Where more are found, the list is counted as rows.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet, Value
from django.db.models.lookups import Exact

from .internals import (
    and_conditions,
    compiled_sql,
    condition_columns,
    is_reshaped,
    with_conditions_replaced,
)
from .public import PUBLISHED, is_published_test

#: The unpublished matches read at most; where there are as many, the list is counted
#: as rows (reading them costs what reading as many published rows would).
UNPUBLISHED_READ = 1_000


def count_published(queryset: QuerySet, number: int) -> int | None:
    """How many of the first ``number`` rows a published list has, counted as its matches
    in any status less the unpublished ones (PostgreSQL); None where the list is not
    one (its conditions other than the published test are not all plain comparisons
    of its own columns), or its unpublished matches are too many to read."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql" or is_reshaped(queryset):
        return None
    leaves = and_conditions(queryset, keep_groups=True)
    if not leaves or condition_columns(queryset) is None:
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
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH unpublished(n) AS MATERIALIZED"
            f" (SELECT count(*) FROM ({unpublished_sql} LIMIT %s) AS unpublished)"
            " SELECT (SELECT n FROM unpublished),"
            " count(*) - (SELECT n FROM unpublished)"
            f" FROM (SELECT 1 FROM ({matching_sql}) AS matching"
            "  LIMIT %s + (SELECT n FROM unpublished)) AS counted",
            (*unpublished_params, UNPUBLISHED_READ, *matching_params, number),
        )
        read, counted = cursor.fetchone()
    return None if read >= UNPUBLISHED_READ else counted

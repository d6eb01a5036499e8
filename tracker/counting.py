"""Counting rows without reading a million of them.

An exact ``COUNT(*)`` reads every matching row: at a million statements it
costs more than the page it is shown with. Up to a limit the count here is
exact (a count over ``LIMIT limit + 1`` rows reads at most that many); above
it, on PostgreSQL, it is the planner's estimate: the table's ``reltuples``
for an unfiltered list (kept current by ANALYZE and autovacuum), EXPLAIN's
row estimate for a filtered one, and never less than ``limit + 1``. A filtered
list of a table no larger than the limit is counted without EXPLAIN. Other
databases (SQLite, for small installations) always count exactly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from contextlib import suppress
from functools import cache, cached_property

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import EmptyQuerySet

from . import key_conditions, search, substrings
from .internals import condition_columns, is_filtered, ordering_of, without_select_related
from .link_counts import count_linked_keys
from .models.base import keys_index_columns
from .published_counts import count_published
from .walked import walked_form


def table_estimate(queryset: QuerySet) -> int | None:
    """PostgreSQL's estimate of the rows in the queryset's table; None if it has none."""
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    # -1 means never analysed (PostgreSQL 14+): no estimate to give.
    return row[0] if row and row[0] >= 0 else None


def plan_estimate(queryset: QuerySet) -> int | None:
    """The planner's estimate of the rows a filtered queryset returns."""
    if isinstance(queryset, EmptyQuerySet):  # none(): Django sends no query to explain
        return 0
    known = getattr(queryset, "estimated_rows", None)  # substrings.answered_from_index's
    if known is not None:
        return known
    # Only the conditions decide the rows: explaining the keys alone plans no
    # joins or annotated columns (planning the page's whole query took 5 ms).
    explained = queryset.order_by().values("pk").explain(format="json")
    if not explained:
        # Django sends no query when a condition can match nothing (an integer
        # lookup beyond the column's range), and explains nothing.
        return 0
    return int(json.loads(explained)[0]["Plan"]["Plan Rows"])


#: How far over the exact limit an estimate must be to be taken without counting.
#: Counting adds something only where the rows turn out to be at most the limit;
#: otherwise the count is the estimate all the same. A filtered plan's estimate
#: is further from the truth than the table's, but counting the first rows of a
#: search costs building the index bitmap of every match: a two-word search of a
#: million statements (35,062 expected) counted 10,001 in 324 ms.
TRUSTED_MARGIN = 2


def count_keys(queryset: QuerySet, number: int) -> int:
    """How many of the first ``number`` rows there are, counting only their keys (a list
    filtered by a link alone, the link's keys: :mod:`tracker.link_counts`; a published
    list of plain conditions, its matches less the unpublished ones:
    :mod:`tracker.published_counts`)."""
    for count_from_keys in (count_linked_keys, count_published):
        counted = count_from_keys(queryset, number)
        if counted is not None:
            return counted
    # Django counts a sliced queryset as COUNT(*) over a LIMIT subquery; only the
    # key in it: its rows are counted, not read.
    read = queryset.order_by().values("pk")[:number]
    estimated = getattr(queryset, "estimated_rows", None)  # substrings.answered_from_index's
    return substrings.read_checked(read, estimated).count()


def count_rows(
    queryset: QuerySet,
    exact_limit: int,
    count_first: Callable[[QuerySet, int, int | None], int] | None = None,
    first_expecting: int | Callable[[int | None], int] = 0,
    count_the_rest: bool = True,
) -> tuple[int, bool]:
    """``(count, exact)``: exact up to ``exact_limit`` rows, estimated above on PostgreSQL.

    The first ``exact_limit + 1`` matching rows are counted unless the
    database's estimate is far above the limit: counting 10,001 rows of a word
    found in a quarter of a million statements cost more than the page itself.
    ``count_first(queryset, number, estimate)`` counts them where no estimate
    expects more than ``first_expecting`` rows, given the estimate (None where none
    was asked: SQLite, or a list not planned); a ranked search, or an admin search,
    reads their keys in order on the way, which costs more than counting them;
    :func:`count_keys` otherwise, unless ``count_the_rest`` is false: then the
    estimate is taken (for a list that shows no count, such as a picker's).
    ``first_expecting`` may depend on the table's size: a function of its estimate,
    never below :data:`KEYED_COUNT_LIMIT` (so asked only of estimates above it).
    """
    if connections[queryset.db].vendor != "postgresql":
        if count_first is None:
            return queryset.count(), True
        first = count_first(queryset, exact_limit + 1, None)
        return (first, True) if first <= exact_limit else (queryset.count(), True)
    # Every read here reads every match (up to the limit): its search words are
    # found from their suffix index, with no row tested again.
    queryset = substrings.answered_from_index(without_select_related(queryset))
    counted_whole_table = False
    # Read at most once, whoever asks first (None is an answer: never analysed).
    table_rows = cache(lambda: table_estimate(queryset))
    expecting = cache(
        lambda: first_expecting(table_rows()) if callable(first_expecting) else first_expecting
    )
    floor = KEYED_COUNT_LIMIT if callable(first_expecting) else first_expecting
    if not is_filtered(queryset):
        estimate = table_rows()
    else:
        estimate = None
        # A ranked search's estimate decides how it is ranked; nothing else needs one
        # where every match is counted.
        if count_first is None or (search.rank_of(queryset) is None and expecting() >= exact_limit):
            estimate = table_rows()
            # The matches cannot outnumber a table's rows: in a table no larger than
            # the limit they are counted without planning the query first (EXPLAIN
            # cost as much as the count it decided on).
            counted_whole_table = estimate is not None and estimate <= exact_limit
        if not counted_whole_table:
            estimate = plan_estimate(queryset)
    if estimate is not None and estimate > TRUSTED_MARGIN * exact_limit:
        return estimate, False
    if count_first is None or (
        estimate is not None and estimate > floor and estimate > expecting()
    ):
        if not count_the_rest and estimate is not None:
            return estimate, False
        capped = count_keys(queryset, exact_limit + 1)
    else:
        capped = count_first(queryset, exact_limit + 1, estimate)
    if capped <= exact_limit:
        return capped, True
    if counted_whole_table:  # the table has grown past its statistics
        estimate = plan_estimate(queryset)
    if estimate is None:
        return queryset.count(), True
    return max(estimate, exact_limit + 1), False


#: Matches the database may expect for a list keeping its matched keys to read them in
#: order while counting, whatever the table's size (and see :func:`keyed_count_limit`).
#: Sorting many costs more than counting them and reading the page from an index:
#: agreements searched for "naval" by title (12,197 matches, 9,841 expected of 50,000)
#: took 30 ms to sort, against 2 ms for the page walked in the title index.
KEYED_COUNT_LIMIT = 2_000
#: How far the estimate of a search's matches may be above the truth (ANALYZE's
#: samples of texts are small) and still be trusted to decide against sorting them.
WALK_MARGIN = 4


def keyed_count_limit(table_rows: int | None, per_page: int) -> int:
    """Matches a list may be expected to hold for its keys to be read in its order while counting.

    A page walked in the list's order index reads about ``table_rows / matches``
    rows for each row it shows (more where the matches lie far along the order),
    testing the list's conditions on each; reading every match's key and sorting
    reads ``matches`` rows once. Sorting reads less while ``matches`` is below
    ``sqrt(table_rows * per_page)``, taken :data:`WALK_MARGIN` times wider since the
    estimate errs: statements searched for "zhurong" by date at a million (10,610
    expected, 3,726 found) walked the date index for 212 ms after a 32 ms count.
    Never below :data:`KEYED_COUNT_LIMIT`. It may pass the exact limit (10,000):
    a search then found to match more has sorted 10,001 keys for nothing (up to
    30 ms) before its page is walked, the price of not walking when the estimate
    is that far above the truth.
    """
    if not table_rows:
        return KEYED_COUNT_LIMIT
    return max(KEYED_COUNT_LIMIT, math.isqrt(WALK_MARGIN * table_rows * per_page))


#: From this many rows in, a page's rows are read by their keys, which a subquery
#: reads up to the page's end (``pk IN (SELECT id ... OFFSET)``). ``OFFSET`` reads
#: every row it passes over; for the keys alone a list reads them from its default
#: order's keys index (which carries the status and key: ``ordering_indexes``) and
#: not from the table. Statements' page 100 at a million: 41 ms (cold) for the keys
#: as part of the rows, 1.4 ms from the index alone.
DEEP_OFFSET = 1_000


def keys_from_index(queryset: QuerySet, links: bool = False) -> bool:
    """Whether the list's keys can be read in its order from its model's default order
    keys index alone: on PostgreSQL (which keeps the carried columns), in the default
    order, with no condition on a column the index does not hold. Otherwise the keys
    would be read from the table as the page's rows are, for nothing. ``links``: a
    link condition (``tracker.key_conditions.AnyOf``) tests the key, which the index holds,
    where it is tested on each key read (``key_conditions.tested_per_row``)."""
    if connections[queryset.db].vendor != "postgresql":
        return False
    held = keys_index_columns(queryset.model)
    if not held or ordering_of(queryset) not in ((), tuple(queryset.model._meta.ordering)):
        return False
    columns = condition_columns(queryset, (key_conditions.AnyOf,) if links else ())
    return columns is not None and columns <= held


#: A page whose list has a link condition walks its keys index (testing the
#: condition on each key) where ``matches² × WALKED_PAGE_SHARE ≥ table rows × rows
#: to the page's end``. At a million statements a key walked past cost 0.14 µs and
#: a match read by its key and sorted 3.6 µs (footnote 1: 2,522 keys walked for a
#: page of 51, against 17,331 matches read): even at 25 the walk would cost about
#: what the read did where matches are spread evenly along the order; 5 leaves it
#: room for matches bunched towards the end.
WALKED_PAGE_SHARE = 5


def walks_to_page(queryset: QuerySet, matches: int, top: int) -> bool:
    """Whether rows up to ``top`` of a list with ``matches`` rows, one of its conditions
    a link condition (``tracker.key_conditions.AnyOf``), are best found by walking its keys
    index and testing the condition on each key (``tracker.key_conditions.tested_per_row``):
    where the matches are many in their table (:data:`WALKED_PAGE_SHARE`)."""
    if condition_columns(queryset) is not None or not keys_from_index(queryset, links=True):
        return False  # no link condition (the planner knows how many rows match), or no index
    table_rows = table_estimate(queryset)
    return bool(table_rows) and matches * matches * WALKED_PAGE_SHARE >= table_rows * top


class LookaheadPage(Page):
    """A page that knows whether another follows from one extra row, not from the count."""

    def __init__(self, object_list, number, paginator, has_more: bool):
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more


class EstimatedCountPaginator(Paginator):
    """A paginator whose count is exact up to ``exact_limit`` rows and estimated above.

    While the count is an estimate, whether a next page exists is decided by
    reading one row more than the page, so ``next`` links stop exactly at the
    last row however far off the estimate is.
    """

    exact_limit = 10_000
    #: Whether a search with more matches than are ranked in full is counted (see
    #: :func:`count_rows`); a list that shows no count need not.
    counts_every_search = True
    #: Whether a filtered list's matches, when expected to be at most
    #: :func:`keyed_count_limit` (and found to be at most ``exact_limit``), are counted by
    #: reading their keys in the list's order, and its pages then read by those keys:
    #: the list's conditions are tested once, not again for the page, and a page never
    #: walks an index past rows that do not match (a search, in the admin and the API).
    keeps_matched_keys = False

    #: A column whose values a list reading its matches' keys in order reads with
    #: them (the admin's date bar field), kept in ``values_along`` when every match's
    #: were read.
    read_along: str | None = None

    def __init__(
        self,
        *args,
        exact_limit: int | None = None,
        keeps_matched_keys: bool | None = None,
        read_along: str | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        if exact_limit is not None:
            self.exact_limit = exact_limit
        if keeps_matched_keys is not None:
            self.keeps_matched_keys = keeps_matched_keys
        if read_along is not None:
            self.read_along = read_along

    #: Keys of every match in the list's order (a ranked search's: best first), when
    #: counting read them all.
    ordered_keys: list | None = None
    #: A ranked search not ranked in full: every match's key in the list's usual
    #: order, when counting read them all.
    usual_keys: list | None = None
    #: The ``read_along`` column's value of every match, when counting read them all.
    values_along: list | None = None
    #: Its ranked head (:func:`tracker.search.ranked_head`), once read.
    head: list | None = None
    #: How far the page being read reaches (set by :meth:`page` before it counts): a
    #: ranked search whose head fills it has no use for its other matches' keys.
    page_top: int | None = None

    @cached_property
    def counted(self) -> tuple[int, bool]:
        if not isinstance(self.object_list, QuerySet):
            return len(self.object_list), True
        ranked = search.rank_of(self.object_list) is not None
        if not ranked and not (self.keeps_matched_keys and is_filtered(self.object_list)):
            return count_rows(self.object_list, self.exact_limit)
        if not ranked:
            first_expecting = self._keyed_count_limit
        elif self.counts_every_search:
            # Ranked in full only where few are expected (see _count_ordered_keys),
            # the keys read while counting as for any other search.
            first_expecting = self._ranked_keys_limit
        else:  # a list showing no count reads keys only to rank them all
            first_expecting = search.FULL_RANK_LIMIT
        return count_rows(
            self.object_list,
            self.exact_limit,
            self._count_ordered_keys,
            first_expecting=first_expecting,
            count_the_rest=self.counts_every_search,
        )

    def _keyed_count_limit(self, table_rows: int | None) -> int:
        return keyed_count_limit(table_rows, self.per_page)

    def _ranked_keys_limit(self, table_rows: int | None) -> int:
        return max(search.FULL_RANK_LIMIT, self._keyed_count_limit(table_rows))

    def _count_ordered_keys(self, queryset: QuerySet, number: int, estimate: int | None) -> int:
        """Count by reading the matches' keys in the list's order, kept for its pages.

        A ranked search expected to match more than ``search.FULL_RANK_LIMIT``
        is not ranked in full (:func:`tracker.search.bounded_rows`): its keys are
        read in the list's usual order, which is how its matches past the ranked
        head are listed, so its pages need no second read of them (statements
        "hurong" at a million, 3,726 matches in no name's start, were read twice:
        counted, then sorted by date for the page). A page its ranked head fills
        needs only the count, and counts (statements "zhurong" at a million: 100
        names start with the word).
        """
        rank = search.rank_of(queryset)
        if rank is not None and estimate is not None and estimate > search.FULL_RANK_LIMIT:
            # The head is read by walking an index and testing each row: from the list
            # as it is, not the form that counts (see tracker.substrings).
            self.head = search.ranked_head(self.object_list, rank)
            if self.page_top is not None and self.page_top <= len(self.head):
                return count_keys(queryset, number)  # the page is the head's
            keys = search.usual_keys(queryset, rank, number)
            self.usual_keys = keys if len(keys) < number else None
            return len(keys)
        # In the list's order: a ranked search's by rank. No index gives that order
        # (a CASE holding the search text): every match is sorted, its scan chosen as
        # for the unordered read answered_from_index checked, and not asked again.
        estimated = getattr(queryset, "estimated_rows", None)
        if self.read_along:
            read = queryset.values_list("pk", self.read_along)[:number]
            rows = list(substrings.read_checked(read, estimated))
            keys = [key for key, _ in rows]
            self.values_along = [value for _, value in rows] if len(rows) < number else None
        else:
            read = queryset.values_list("pk", flat=True)[:number]
            keys = list(read if rank is not None else substrings.read_checked(read, estimated))
        self.ordered_keys = keys if len(keys) < number else None
        return len(keys)

    @cached_property
    def count(self) -> int:
        return self.counted[0]

    @property
    def count_is_exact(self) -> bool:
        return self.counted[1]

    def validate_number(self, number):
        if self.count_is_exact:
            return super().validate_number(number)
        try:
            if isinstance(number, float) and not number.is_integer():
                raise ValueError
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger(self.error_messages["invalid_page"]) from exc
        if number < 1:
            raise EmptyPage(self.error_messages["min_page"])
        return number

    def page(self, number):
        with suppress(TypeError, ValueError):  # validate_number says what is wrong
            self.page_top = int(number) * self.per_page + self.orphans
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if self.count_is_exact:
            top = bottom + self.per_page
            if top + self.orphans >= self.count:
                top = self.count
            return Page(self.rows(bottom, top), number, self)
        rows, more = self.rows_and_more(bottom, bottom + self.per_page)
        if not rows and number > 1:
            raise EmptyPage(self.error_messages["no_results"])
        return LookaheadPage(rows, number, self, more)

    def rows_and_more(self, bottom: int, top: int) -> tuple[list, bool]:
        """Rows ``bottom:top`` and whether another follows: read as one row more, or,
        for a page of a ranked search that ends where its ranked head does, by
        :func:`tracker.search.matches_past_head` (the next row would be the first of
        the other matches, read in the list's order: the costliest row to read)."""
        rank = self._ranked_in_part()
        if rank is not None:
            if self.head is None:
                self.head = search.ranked_head(self.object_list, rank)
            if top == len(self.head):
                rows = list(self.rows(bottom, top))
                return rows, search.matches_past_head(self.object_list, rank, self.head)
        rows = list(self.rows(bottom, top + 1))
        return rows[: top - bottom], len(rows) > top - bottom

    def _ranked_in_part(self) -> search.SearchRank | None:
        """The rank of a search whose pages :func:`tracker.search.bounded_rows` reads
        (not ranked in full: its matches' keys were not read in rank order)."""
        if not isinstance(self.object_list, QuerySet) or self.ordered_keys is not None:
            return None
        return search.rank_of(self.object_list)

    def rows(self, bottom: int, top: int):
        """Rows ``bottom:top``, a search ranked by name (``tracker.search``) as well.

        A list whose count read every match's key in order (a ranked search the
        database expected at most ``search.FULL_RANK_LIMIT`` matches of, a
        changelist's filtered rows: at most ``exact_limit`` either way) is read
        by those keys; other ranked searches by :func:`tracker.search.bounded_rows`.
        """
        if not isinstance(self.object_list, QuerySet):
            return self.object_list[bottom:top]
        if self.ordered_keys is not None:  # (page() has counted by now)
            return search.rows_of(self.object_list, self.ordered_keys[bottom:top])
        rank = self._ranked_in_part()
        if rank is None:
            if walks_to_page(self.object_list, self.count, top):
                return key_conditions.walked_rows(self.object_list, bottom, top)
            if bottom >= DEEP_OFFSET and keys_from_index(self.object_list):
                # The rows passed over are read for their keys alone, in a subquery: one
                # statement, so one snapshot (read apart, a row unpublished in between
                # left the page short, and an estimated list then ended early).
                keys = self.object_list.prefetch_related(None).values_list("pk", flat=True)
                return self.object_list.filter(pk__in=keys[bottom:top])
            return walked_form(self.object_list, top)[bottom:top]
        return search.bounded_rows(
            self.object_list, rank, bottom, top, self._usual_keys, head=self.head
        )

    def _usual_keys(self) -> list | None:
        """Every match's key in a ranked search's usual order (for
        :func:`tracker.search.bounded_rows`): as counting read them, or read now if
        counted exactly and few enough in their table (:func:`keyed_count_limit`),
        else None."""
        if self.usual_keys is not None:
            return self.usual_keys
        queryset = self.object_list
        if not self.count_is_exact or connections[queryset.db].vendor != "postgresql":
            return None
        if self.count > self._keyed_count_limit(table_estimate(queryset)):
            return None
        rank = search.rank_of(queryset)
        # usual_keys checks the plan of its read of the index form.
        return search.usual_keys(substrings.in_index_form(queryset), rank, self.count + 1)

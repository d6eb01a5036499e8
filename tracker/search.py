"""Case-insensitive search over a record's own texts and its linked records' names.

``icontains`` on a column of the searched table is what the trigram indexes
(migrations 0002 and 0004) serve, and a one-word search of the table's own
texts their suffix index (:mod:`tracker.substrings`). A search field across a
relation (``speaker__name``) becomes a condition on the searched table's own
column (:func:`tracker.key_conditions.field_condition`), so that every arm of
the search's ``OR`` is answered from an index.

A list JSON field (actors' aliases) is searched in its JSON text, in both
forms the databases hold it in: PostgreSQL's jsonb prints non-ASCII letters
as they are, Django writes JSON on other databases with them escaped
(``\\u0420`` for ``Р``), so "Россия" finds an alias on either.

Picking from a search (the admin's autocomplete, the API's ``search``) ranks
the matches by their name: see :class:`SearchRank` and :func:`rank_by_name`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from django.core.exceptions import FieldDoesNotExist
from django.db.models import (
    Case,
    CharField,
    Func,
    IntegerField,
    JSONField,
    Model,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.constants import LOOKUP_SEP
from django.db.models.functions import Left, Upper
from django.db.models.lookups import Exact

from . import registry, substrings
from .internals import (
    annotation_of,
    ordering_of,
    without_alias,
)
from .key_conditions import AnyOf, field_condition, final_field


def json_text_forms(text: str) -> list[str]:
    """``text`` as it appears inside a JSON string on PostgreSQL and on other databases."""
    return list(dict.fromkeys([json.dumps(text, ensure_ascii=False)[1:-1], json.dumps(text)[1:-1]]))


def contains_any(model: type[Model], paths, term: str, public: bool = False) -> Q:
    """Rows in which at least one of ``paths`` contains ``term`` (case-insensitively);
    ``public``: in linked records that are published (see :func:`field_condition`)."""
    condition = Q()
    indexed = substrings.indexed_columns(model)
    if indexed and substrings.is_indexed_word(term) and set(indexed) <= set(paths):
        # The table's own columns in one condition, which a read of every match
        # answers from their suffix index (tracker.substrings).
        condition = Q(substrings.ContainedInColumns(model, term))
        paths = [path for path in paths if path not in indexed]
    for path in paths:
        is_json = isinstance(final_field(model, path), JSONField)
        for form in json_text_forms(term) if is_json else [term]:
            condition |= field_condition(model, path, "icontains", form, public)
    return condition


# -- ranking a search by name ---------------------------------------------------------------

#: Characters after which a word starts inside a name.
WORD_BREAKS = ' -(/"“«'
#: Leading characters of a name held by its prefix index (migration 0009, PostgreSQL).
PREFIX_LENGTH = 100
#: Matches the database may expect for a search to rank them all (SQLite: no estimate,
#: always). Ranking costs about as much again as counting them (the name's tests and
#: the sort by name): +10 ms at 2,000 exercises, +70 ms at 7,600 statements.
FULL_RANK_LIMIT = 2_000
#: Otherwise, this many exact and prefix matches are ranked ahead of the rest.
RANKED_HEAD = 100
#: The alias a ranked search is ordered by first.
SEARCH_RANK = "search_rank"


class SearchRank(Case):
    """How well a record's name answers a typed text: 0 best, 3 worst.

    0. the name, or one of the aliases, is the text (case-insensitively);
    1. the name starts with the text;
    2. a word of the name or of an alias starts with the text;
    3. the text is elsewhere (a description, a summary, inside a word).
    """

    def __init__(self, model: type[Model], text: str, usual: tuple = ()):
        record_type = registry.for_model(model)
        self.text, self.usual = text, tuple(usual)
        self.name_field = record_type.title_field
        self.alias_field = record_type.aliases_field
        super().__init__(
            When(Q(self.name_starts(len(text) + 1)) | self.alias_exact(), then=Value(0)),
            When(self.name_starts(len(text)), then=Value(1)),
            When(self.word_start(), then=Value(2)),
            default=Value(3),
            output_field=IntegerField(),
        )

    def name_starts(self, length: int) -> Exact:
        """The name's first ``length`` characters are the text (case-insensitively).

        With one character more than the text, the name *is* the text. Only
        those characters are upper-cased: ``UPPER(name) = ...`` upper-cased a
        statement's whole text, which took longer than finding it.
        """
        return Exact(Upper(Left(self.name_field, length)), Upper(Value(self.text)))

    def alias_exact(self) -> Q:
        """An alias is the text: the text between a JSON string's quotes."""
        condition = Q()
        if self.alias_field:
            for form in json_text_forms(self.text):
                condition |= Q(**{f"{self.alias_field}__icontains": f'"{form}"'})
        return condition

    def word_start(self) -> Q:
        """A word of the name or of an alias starts with the text."""
        breaks = "".join(re.escape(c) for c in WORD_BREAKS)
        pattern = f"(^|[{breaks}]){caseless(self.text)}"
        condition = Q(**{f"{self.name_field}__regex": pattern})
        if self.alias_field:
            # An alias begins after the quotation mark opening its JSON string.
            for form in json_text_forms(self.text):
                pattern = f'["{breaks}]{caseless(form)}'
                condition |= Q(**{f"{self.alias_field}__regex": pattern})
        return condition


def caseless(text: str) -> str:
    """A regular expression matching ``text`` in any letter case, the same on every database.

    Each letter becomes a class of its cases (``[Rr]``): PostgreSQL's
    case-insensitive ``~*`` took twice as long over statements' texts, and
    SQLite's ``REGEXP`` (Python's ``re``) then folds Cyrillic letters too.
    """
    parts = []
    for char in text:
        cases = dict.fromkeys(c for c in (char, char.lower(), char.upper()) if len(c) == 1)
        parts.append(f"[{''.join(cases)}]" if len(cases) > 1 else re.escape(char))
    return "".join(parts)


def rank_by_name(queryset: QuerySet, text: str) -> QuerySet:
    """``queryset`` ordered by :class:`SearchRank` for ``text``, ties by name, then as before.

    Records without a name field, and an empty text, keep their order.
    """
    text = " ".join(text.split())
    if not text or not any(rt.model is queryset.model for rt in registry.RECORD_TYPES):
        return queryset
    usual = tuple(ordering_of(queryset) or queryset.model._meta.ordering or ("pk",))
    rank = SearchRank(queryset.model, text, usual)
    return queryset.alias(**{SEARCH_RANK: rank}).order_by(SEARCH_RANK, rank.name_field, *usual)


def rank_of(queryset: QuerySet) -> SearchRank | None:
    """The rank ``queryset`` is ordered by first, if :func:`rank_by_name` ordered it."""
    order = ordering_of(queryset)
    if not order or order[0] != SEARCH_RANK:
        return None
    rank = annotation_of(queryset, SEARCH_RANK)
    return rank if isinstance(rank, SearchRank) else None


class NameKey(Func):
    """The upper-cased start of a name, compared byte by byte on PostgreSQL.

    What migration 0009's prefix index holds: ``LIKE 'TEXT%'`` on it is a
    range of that index, read in order, whatever the database's collation.
    """

    output_field = CharField()

    def __init__(self, name: str):
        super().__init__(Upper(Left(name, PREFIX_LENGTH)))

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return f'({sql} COLLATE "C")', params
        return sql, params


def prefix_matches(queryset: QuerySet, rank: SearchRank) -> QuerySet:
    """Matches whose name starts with the text, in the order of the name-prefix index.

    A range of that index (migration 0009) read in order: the first rows come
    without reading the others. Names equal to the text come first in it.
    """
    prefixed = queryset.alias(search_name_key=NameKey(rank.name_field)).filter(
        search_name_key__startswith=Upper(Value(rank.text[:PREFIX_LENGTH]))
    )
    if len(rank.text) > PREFIX_LENGTH:
        prefixed = prefixed.filter(**{f"{rank.name_field}__istartswith": rank.text})
    return prefixed.order_by("search_name_key")


def ranked_head(queryset: QuerySet, rank: SearchRank) -> list:
    """Keys of the exact and prefix matches, at most about :data:`RANKED_HEAD`, best first.

    Found by index probes, not by reading the matches: the aliases that are
    the text (few, through the aliases' trigram index) and the first
    :func:`prefix_matches`, each a subquery of the one query that orders them
    (for actors, three round trips before; two for other records).
    """
    # The list's conditions without its rank, which neither subquery orders by.
    matches = without_alias(queryset.order_by(), SEARCH_RANK)
    candidates = []
    if rank.alias_field:
        exact = matches.filter(rank.alias_exact())
        candidates.append(exact.values("pk")[:RANKED_HEAD])
    candidates.append(prefix_matches(matches, rank).values("pk")[:RANKED_HEAD])
    keys = ranked_by_name(queryset, rank, AnyOf("pk", *candidates))
    return list(keys.values_list("pk", flat=True))


def ranked_by_name(queryset: QuerySet, rank: SearchRank, condition) -> QuerySet:
    """The rows meeting ``condition``, a subset of ``queryset``'s, in its rank order.

    Without the list's own conditions where its usual order names only fields:
    they were met in the subqueries that found the rows, and planning them again
    cost about a millisecond at a million statements. Otherwise (an order by an
    annotation of the list) within ``queryset``.
    """
    model = queryset.model
    if all(isinstance(name, str) and is_field_path(model, name) for name in rank.usual):
        rows = model._base_manager.db_manager(queryset.db).filter(condition)
        rows = rows.order_by(*rank.usual)
        return rank_by_name(rows, rank.text)
    return queryset.filter(condition)


def is_field_path(model: type[Model], name: str) -> bool:
    """Whether an ``order_by()`` name (``-date``, ``speaker__name``) is a path of fields
    each naming one row (no many-to-many or reverse link)."""
    parts = name.lstrip("-").split(LOOKUP_SEP)
    for position, part in enumerate(parts):
        if model is None:
            return False
        if part == "pk":
            return position == len(parts) - 1
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if field.many_to_many or field.one_to_many:
            # A join of its own would list a row once per linked row; the list's
            # order may reuse the join of its conditions instead.
            return False
        model = field.related_model
    return True


def matches_past_head(queryset: QuerySet, rank: SearchRank, head: list) -> bool:
    """Whether the search matches a record that its ranked ``head`` does not hold.

    Asked first of the name-prefix index: the first name starting with the text
    outside the head (a short walk in that index; each row read there holds
    the text, so its conditions are met without testing every linked name).
    Only where there is none are the other matches asked. Reading the first
    of them in the list's order tested rows that lack the text against every
    linked record's name ("naval" at a million statements: 11.7 ms, for the
    one row that tells whether a page of 100 has a next; "naval beijing" 20.9).
    """
    outside = without_alias(queryset.order_by(), SEARCH_RANK).exclude(pk__in=head)
    # A head shorter than RANKED_HEAD holds every prefix match already.
    if len(head) >= RANKED_HEAD and prefix_matches(outside, rank).values_list("pk", flat=True)[:1]:
        return True
    return outside.exists()


def usual_keys(queryset: QuerySet, rank: SearchRank, number: int) -> list:
    """Keys of the first ``number`` matches of a ranked search in the list's usual
    order (as if not ranked): how its matches past the ranked head are listed."""
    read = queryset.order_by(*rank.usual).values_list("pk", flat=True)[:number]
    return list(substrings.read_checked(read))


def rows_of(queryset: QuerySet, keys: list) -> list:
    """The rows of ``queryset`` with these keys, in its order (a ranked search's, by rank)."""
    return list(queryset.filter(pk__in=keys)) if keys else []


def bounded_rows(
    queryset: QuerySet,
    rank: SearchRank,
    bottom: int,
    top: int,
    usual_keys: Callable[[], list | None] | None = None,
    head: list | None = None,
) -> list:
    """Rows ``bottom:top`` of a ranked search with too many matches to rank them all.

    Ranking every match means reading every match; for a common word that
    is most of a table. Here the exact and prefix matches found by
    :func:`ranked_head` come first, in rank order, and every other match
    follows in the list's usual order, read only as far as the page needs,
    as an unranked search would. Each match is listed once.

    ``usual_keys()``: every match's key in the list's usual order, where they
    are few in their table (or already read by the count), else None. It is
    asked only when the page reaches past the head; the others' page is then
    taken from those keys rather than by walking the list's order index past
    every row that does not match (statements "hurong" at a million, 3,364
    matches found in no name's start: 269 ms walking the date index).
    ``head``: the :func:`ranked_head`, if already read.
    """
    if head is None:
        head = ranked_head(queryset, rank)
    rows = rows_of(queryset, head[bottom:top])
    if top > len(head):
        start, stop = max(bottom - len(head), 0), top - len(head)
        keys = usual_keys() if usual_keys else None
        if keys is not None:
            ranked = set(head)
            others = [key for key in keys if key not in ranked]
            rows += rows_of(queryset.order_by(*rank.usual), others[start:stop])
        else:
            rest = queryset.exclude(pk__in=head).order_by(*rank.usual)
            rows += list(rest[start:stop])
    return rows

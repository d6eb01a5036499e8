"""CSV columns: what each one is called and typed, and the getter that reads it from a row.

A column's getter takes a *row*: the plain dict a table reads from the
database for one record (field path -> value, as ``values_list()`` returns
them: ``slug``, ``parent__slug``, ``start_date_precision``), plus the lists
of slugs the table's link loaders add (:mod:`tracker.exports.links`). Each
column names the field paths it reads (``reads``), so a table selects exactly
the columns its file needs, joins included, and nothing else.

Conventions of the files (documented for users in docs/exports.md, cells in
:mod:`tracker.exports.cells`):

* **Identifiers.** Every record is identified by its ``slug``, its public,
  never-reused identifier; link files and link columns refer to records by slug.
* **Dates.** A fuzzy date is four columns: ``x`` (the first day of the period,
  a real date that sorts and parses everywhere), ``x_precision`` (``day``,
  ``month``, ``year`` or ``decade``), ``x_qualifier`` (``approximate``,
  ``early``, ``mid``, ``end`` or empty) and ``x_display`` (``September 2019``,
  ``end of 2016``).
* **Codes and labels.** A coded value (``kind``) has its readable label
  beside it (``kind_label``).
* **Several values in one cell.** Main files join multi-valued links with
  ``DELIMITER`` (``|``), e.g. ``participants`` = ``china|russia``; the link
  files carry the same links one row each, with their roles and notes.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from ..dates import FuzzyDate, Precision, Qualifier
from ..models.base import PublicationStatus
from .cells import DATE, DATETIME, DELIMITER, STRING
from .links import CITED_SOURCES, Row


@dataclass(frozen=True)
class FieldPath:
    """SQL source: the value of a field path (``parent__slug``), formatted by the column's type."""

    path: str


@dataclass(frozen=True)
class Lookup:
    """SQL source: a value of few distinct values read from ``path``; the export runs the
    column's own getter and formatter on each distinct value and writes a ``CASE``."""

    path: str


@dataclass(frozen=True)
class FuzzyDisplay:
    """SQL source: the display form of the fuzzy date in ``name``/``precision``/``qualifier``,
    compiled from :meth:`FuzzyDate.display` itself (see :mod:`tracker.exports.sql`)."""

    name: str
    precision: str
    qualifier: str


@dataclass(frozen=True)
class Joined:
    """SQL source: the slugs a link loader attaches under ``key``, joined; ``distinct``
    keeps each slug once, at its first link."""

    key: str
    distinct: bool = False


@dataclass(frozen=True)
class Flagged:
    """SQL source: ``true`` when the record's key is among ``rows(public)``'s ``owner``
    column (a queryset of rows that mark a record, e.g. the values disputing it)."""

    rows: Callable[[bool], Any]
    owner: str


#: How a column is read by SQL (:mod:`tracker.exports.sql`); None: only by Python.
SqlSource = FieldPath | Lookup | FuzzyDisplay | Joined | Flagged | None


@dataclass(frozen=True)
class Column:
    """One CSV column: its stable name, Frictionless type, description and getter."""

    name: str
    type: str
    description: str
    #: Reads the column's value from a row.
    get: Callable[[Row], Any]
    #: Frictionless constraints (``{"required": True}``, ``{"enum": [...]}``).
    constraints: dict[str, Any] = field(default_factory=dict)
    #: The field paths ``get`` reads (``parent__slug``): what the table selects.
    reads: tuple[str, ...] = ()
    #: The same value as SQL reads it, for the PostgreSQL export path; declared by
    #: the constructors below together with ``get``, never separately.
    sql: SqlSource = None

    def schema(self) -> dict[str, Any]:
        """This column as a Table Schema field descriptor."""
        descriptor: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "description": self.description,
        }
        if self.constraints:
            descriptor["constraints"] = dict(self.constraints)
        return descriptor


@dataclass(frozen=True)
class ForeignKey:
    """Columns of one table that refer to the ``slug`` of a record file."""

    fields: tuple[str, ...]
    resource: str
    reference_fields: tuple[str, ...] = ("slug",)


def col(
    name: str,
    kind: str,
    description: str,
    getter: Callable[[Row], Any] | None = None,
    *,
    reads: tuple[str, ...] = (),
    sql: SqlSource = None,
    **constraints: Any,
) -> Column:
    """A column reading the field of the same name, unless ``getter`` (reading
    the field paths ``reads``, read by SQL as ``sql``) is given."""
    if getter is None:
        # itemgetter runs in C, once per cell.
        getter, reads, sql = operator.itemgetter(name), (name,), FieldPath(name)
    return Column(name, kind, description, getter, constraints, reads, sql)


def lookup_column(
    name: str, kind: str, description: str, getter: Callable[[Row], Any], path: str, **constraints
) -> Column:
    """A column computed by ``getter`` from the one field ``path``, which holds few
    distinct values (codes, countries): SQL maps each value as ``getter`` does."""
    return col(name, kind, description, getter, reads=(path,), sql=Lookup(path), **constraints)


def slug_column(description: str = "Stable public identifier of the record.") -> Column:
    """The ``slug`` column that identifies a record."""
    return col("slug", STRING, description, required=True, unique=True)


def choice_columns(name: str, choices: type[models.Choices], description: str) -> list[Column]:
    """A coded value and its readable label: ``kind`` and ``kind_label``."""
    labels = dict(choices.choices)
    return [
        col(
            name,
            STRING,
            f"{description} (code; see {name}_label).",
            enum=[str(value) for value in choices.values],
        ),
        lookup_column(
            f"{name}_label",
            STRING,
            f"{description}, in words.",
            lambda row: labels.get(row[name], row[name]),
            name,
        ),
    ]


_PRECISION_WORDS = {int(p): p.label for p in Precision}


@functools.lru_cache(maxsize=16384)
def _display(value: dt.date, precision: int | None, qualifier: str) -> str:
    # The same few thousand dates recur across a large table; spelling one out
    # (month names, qualifiers) costs far more than looking it up.
    return FuzzyDate(value, precision, qualifier).display()


def fuzzy_columns(name: str, description: str) -> list[Column]:
    """The four columns of a fuzzy date (see the module docstring)."""
    precision, qualifier = f"{name}_precision", f"{name}_qualifier"
    return [
        col(name, DATE, f"{description}: first day of the period (ISO 8601). Empty if unknown."),
        lookup_column(
            precision,
            STRING,
            f"How precisely the source dates {name}: day, month, year or decade.",
            lambda row: _PRECISION_WORDS.get(row[precision]),
            precision,
            enum=list(_PRECISION_WORDS.values()),
        ),
        col(
            qualifier,
            STRING,
            f"What the source says loosely about {name}: approximate, early, mid, end; "
            "empty if stated plainly.",
            enum=[q for q in Qualifier.values if q],
        ),
        col(
            f"{name}_display",
            STRING,
            f"{description} as a reader would write it, e.g. “September 2019”.",
            lambda row: (
                _display(value, row[precision], row[qualifier]) if (value := row[name]) else None
            ),
            reads=(name, precision, qualifier),
            sql=FuzzyDisplay(name, precision, qualifier),
        ),
    ]


def fk_slug_column(name: str, description: str, relation: str | None = None) -> Column:
    """The slug of the record that foreign key ``relation`` (default ``name``) points
    at; empty if none (the join is a left join for a key that may be empty)."""
    path = f"{relation or name}__slug"
    return col(
        name, STRING, description, operator.itemgetter(path), reads=(path,), sql=FieldPath(path)
    )


def fk_name_column(name: str, description: str, relation: str, label: str = "name") -> Column:
    """A readable label of the record a foreign key points at (empty if none)."""
    path = f"{relation}__{label}"
    return col(
        name, STRING, description, operator.itemgetter(path), reads=(path,), sql=FieldPath(path)
    )


def joined_column(name: str, description: str, key: str, *, distinct: bool = False) -> Column:
    """Several values in one cell, joined with ``DELIMITER``: the list a link loader
    added to the row under ``key`` (so no field path of its own); ``distinct`` keeps
    each value once, where it first appears."""
    getter = _distinct(key) if distinct else operator.itemgetter(key)
    return col(
        name,
        STRING,
        f"{description} Joined with “{DELIMITER}”.",
        getter,
        sql=Joined(key, distinct),
    )


def _distinct(key: str) -> Callable[[Row], list[Any]]:
    return lambda row: list(dict.fromkeys(row[key]))


def record_tail_columns(with_citations: bool = True) -> list[Column]:
    """Columns every record file ends with."""
    columns = []
    if with_citations:
        columns.append(
            joined_column(
                "sources",
                "Slugs of the sources cited for this record (details in citations.csv).",
                CITED_SOURCES,
                distinct=True,
            )
        )
    columns += [
        col(
            "publication_status",
            STRING,
            "draft, in_review or published. The data package holds published records only; "
            "editors' downloads hold every record. (Not `status`: agreements and arms deals "
            "have a status of their own.)",
            enum=list(PublicationStatus.values),
        ),
        col("created_at", DATETIME, "When the record was created (UTC)."),
        col("updated_at", DATETIME, "When the record was last changed (UTC)."),
    ]
    return columns

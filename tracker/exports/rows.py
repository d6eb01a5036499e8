"""The one place where CSV rows are shaped, for every CSV the tracker produces.

The nightly export files, the admin's "Export selected as CSV" action and the
API's ``?format=csv`` all take their columns and cells from here, so a column
means the same thing and a cell is written the same way wherever a user gets it.

Conventions (documented for users in docs/exports.md):

* **Identifiers.** Every record is identified by its ``slug``, its public,
  never-reused identifier; link files and link columns refer to records by slug.
* **Empty values.** A value that is unknown or does not apply is an empty cell
  (``EMPTY``), never ``n/a``, ``0`` or an invented date. This is also
  Frictionless' default missing value.
* **Dates.** ISO 8601 (``2019-09-01``). A fuzzy date is four columns: ``x``
  (the first day of the period, a real date that sorts and parses everywhere),
  ``x_precision`` (``day``, ``month``, ``year`` or ``decade``), ``x_qualifier``
  (``approximate``, ``early``, ``mid``, ``end`` or empty) and ``x_display``
  (``September 2019``, ``end of 2016``). Timestamps are UTC, ISO 8601, ``Z``.
* **Codes and labels.** A coded value (``kind``) has its readable label
  beside it (``kind_label``).
* **Several values in one cell.** Main files join multi-valued links with
  ``DELIMITER`` (``|``), e.g. ``participants`` = ``china|russia``; the link
  files carry the same links one row each, with their roles and notes.
* **Numbers.** Decimals are written as plain strings (``2000000000.00``), never
  in exponent form; booleans are ``true``/``false``.
* **Formulas.** A text cell whose first character is ``= + - @``, a tab or a
  carriage return is prefixed with ``'`` so a spreadsheet shows it as text
  instead of running it (CSV injection). Numbers and dates are never altered;
  an identifier is altered the same way in every file, so links still match.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import operator
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.db.models.base import ModelState

from ..dates import FuzzyDate, Precision, Qualifier
from ..models import (
    CITATION_TARGETS,
    Actor,
    ActorKind,
    Agreement,
    AgreementKind,
    AgreementParty,
    AgreementStatus,
    ArmsCategory,
    ArmsDeal,
    ArmsDealContractor,
    Citation,
    ContractorRole,
    DealScope,
    DealStatus,
    Exercise,
    ExerciseDomain,
    ExerciseParticipant,
    ParticipantRole,
    PartyRole,
    Source,
    SourceKind,
    Statement,
    StatementKind,
)

#: The empty-value convention: unknown or not applicable is an empty cell.
EMPTY = ""
#: Joins several values in one cell of a main file (slugs never contain it).
DELIMITER = "|"
#: Prefix that makes a spreadsheet treat a formula-like text cell as text.
INJECTION_PREFIX = "'"
#: First characters a spreadsheet would execute as a formula or control.
INJECTION_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: Rows fetched per query (plus one query per prefetched relation per chunk).
CHUNK_SIZE = 2000

#: Frictionless Table Schema field types used by the tables.
STRING, INTEGER, NUMBER, BOOLEAN, DATE, DATETIME = (
    "string",
    "integer",
    "number",
    "boolean",
    "date",
    "datetime",
)


def format_cell(value: Any, kind: str = STRING) -> str:
    """Write one value as a CSV cell, by the conventions in this module's docstring.

    ``kind`` is the column's Table Schema type. Only ``string`` cells are
    neutralised against CSV injection: altering a negative number would
    corrupt it, and a spreadsheet reads a number as a number anyway.
    """
    if value is None:
        return EMPTY
    if type(value) is str:  # the common case first: most cells are text
        if kind == STRING and value.startswith(INJECTION_TRIGGERS):
            return INJECTION_PREFIX + value
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds") + "Z"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # "f" keeps 2E+9 from ever reaching a spreadsheet as 2E+9.
        return format(value, "f")
    if isinstance(value, (list, tuple)):
        return DELIMITER.join(format_cell(item, kind) for item in value)
    text = str(value)
    if kind == STRING and text.startswith(INJECTION_TRIGGERS):
        return INJECTION_PREFIX + text
    return text


def _string_cell(value: Any) -> str:
    # format_cell(value, STRING) with the common cases (text, a list of slugs) inlined.
    if type(value) is str:
        return INJECTION_PREFIX + value if value.startswith(INJECTION_TRIGGERS) else value
    if type(value) is list:
        return DELIMITER.join([_string_cell(item) for item in value])
    return format_cell(value, STRING)


def _date_cell(value: Any) -> str:
    # format_cell(value, DATE) for a date column.
    if type(value) is dt.date:
        return value.isoformat()
    return format_cell(value, DATE)


def _datetime_cell(value: Any) -> str:
    # format_cell(value, DATETIME): the database hands back UTC timestamps, whose
    # ISO form ends in "+00:00"; writing "Z" instead skips the conversion.
    if type(value) is dt.datetime and value.tzinfo is dt.UTC:
        return value.isoformat(timespec="microseconds")[:-6] + "Z"
    return format_cell(value, DATETIME)


def cell_formatter(kind: str) -> Callable[[Any], str]:
    """The function that writes a cell of a ``kind`` column, exactly as :func:`format_cell`.

    Chosen once per column rather than per cell: an export calls it millions
    of times, and the generic dispatch on the value's type was most of its cost.
    """
    special = {STRING: _string_cell, DATE: _date_cell, DATETIME: _datetime_cell}
    if kind in special:
        return special[kind]
    return functools.partial(_format_as, kind=kind)


def _format_as(value: Any, kind: str) -> str:
    return format_cell(value, kind)


def unneutralise(cell: str) -> str:
    """Undo :func:`format_cell`'s CSV-injection prefix (for readers and round trips)."""
    if cell.startswith(INJECTION_PREFIX) and cell[1:].startswith(INJECTION_TRIGGERS):
        return cell[1:]
    return cell


def _loaded_fields(
    model: type[models.Model], prefix: str, names: frozenset[str], defer: bool
) -> list[models.Field]:
    # The concrete fields of ``model`` (reached through ``prefix``) that the
    # queryset's only()/defer() loads, as Django itself would load them.
    own = {name for name in names if name.startswith(prefix) and "__" not in name[len(prefix) :]}
    fields = []
    for f in model._meta.concrete_fields:
        path = prefix + f.name
        if f.primary_key or (path not in own if defer else (not own or path in own)):
            fields.append(f)
    return fields


def load_chunk(queryset: QuerySet, limit: int) -> list[Any]:
    """The first ``limit`` objects of ``queryset``, built from plain rows.

    The same instances, with the same loaded and deferred fields and the same
    ``select_related`` objects, as ``list(queryset[:limit])``, but read with
    ``values_list()`` and filled in directly: ``Model.__init__`` (signals,
    per-field defaults, descriptors) was the largest cost of an export after
    cell formatting, and an export only reads the objects. Querysets this
    does not cover (nested ``select_related``, annotations) are read the usual way.
    """
    query = queryset.query
    related = query.select_related
    if (
        related is True
        or any(related.values() if related else ())
        or query.annotations
        or query.extra
    ):
        return list(queryset[:limit])
    names, defer = query.deferred_loading
    model = queryset.model
    plan = [(None, model, _loaded_fields(model, "", names, defer))]
    for name in related or ():
        target = model._meta.get_field(name).related_model
        plan.append((name, target, _loaded_fields(target, f"{name}__", names, defer)))
    paths, layout, start = [], [], 0
    for name, target, fields in plan:
        prefix = f"{name}__" if name else ""
        paths += [prefix + f.attname for f in fields]
        attnames = [f.attname for f in fields]
        pk_index = next(i for i, f in enumerate(fields) if f.primary_key)
        layout.append((name, target, attnames, start, start + len(fields), start + pk_index))
        start += len(fields)
    rows = queryset.select_related(None).values_list(*paths)[:limit]
    db = queryset.db
    main, *joined = layout
    objects = []
    for row in rows:
        obj = _instance(main[1], main[2], row[main[3] : main[4]], db)
        if joined:
            cache = obj._state.fields_cache
            for name, target, attnames, begin, end, pk_index in joined:
                cache[name] = (
                    None
                    if row[pk_index] is None
                    else _instance(target, attnames, row[begin:end], db)
                )
        objects.append(obj)
    return objects


def _instance(model: type[models.Model], attnames: list[str], values: Any, db: str) -> Any:
    # What Model.from_db() builds, without running __init__: the loaded fields'
    # values under their attribute names (unloaded ones stay deferred).
    obj = model.__new__(model)
    state = ModelState()
    state.adding = False
    state.db = db
    obj.__dict__.update(zip(attnames, values, strict=True))
    obj._state = state
    return obj


@dataclass(frozen=True)
class Column:
    """One CSV column: its stable name, Frictionless type, description and getter."""

    name: str
    type: str
    description: str
    get: Callable[[Any], Any]
    #: Frictionless constraints (``{"required": True}``, ``{"enum": [...]}``).
    constraints: dict[str, Any] = field(default_factory=dict)

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


@dataclass(frozen=True)
class Table:
    """One CSV file: the model it reads, its columns, keys and how its rows are made.

    A table reads one model's queryset; ``expand`` turns one object into the
    rows it contributes (one for most tables, one per link for the statement
    links, which are read from statements). ``prepare`` adds the joins
    (``select_related``/``only``) the columns need; each ``attach`` function
    loads a chunk's many-valued links in one query and sets them on the
    objects (lighter than ``prefetch_related``, which builds a related
    manager and a queryset per object).
    """

    name: str
    model: type[models.Model]
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    prepare: Callable[[QuerySet], QuerySet] = lambda qs: qs
    expand: Callable[[Any], Iterable[Any]] | None = None
    attach: tuple[Callable[[list[Any], SlugCache], None], ...] = ()
    #: A main file of public records (``slug`` first), as opposed to a link file.
    is_record_file: bool = False

    def header(self) -> list[str]:
        """The stable column names, in file order."""
        return [column.name for column in self.columns]

    @functools.cached_property
    def _cells(self) -> tuple[tuple[Callable[[Any], Any], Callable[[Any], str]], ...]:
        # (getter, formatter) of each column, resolved once per table.
        return tuple((column.get, cell_formatter(column.type)) for column in self.columns)

    def format_row(self, obj: Any) -> list[str]:
        """One row of formatted cells for ``obj`` (an object or an expanded link)."""
        return [write(get(obj)) for get, write in self._cells]

    def iter_objects(self, queryset: QuerySet, chunk_size: int = CHUNK_SIZE) -> Iterator[Any]:
        """Objects of ``queryset`` in primary-key order, ``chunk_size`` at a time.

        Keyset pagination on the primary key keeps memory flat however large
        the table, and each chunk gets the table's prefetching, so the number
        of queries is a fixed number per chunk, never one per row.
        """
        queryset = queryset.order_by("pk")
        cache = SlugCache()
        last_pk = None
        while True:
            chunk_qs = queryset if last_pk is None else queryset.filter(pk__gt=last_pk)
            chunk = load_chunk(self.prepare(chunk_qs), chunk_size)
            if not chunk:
                return
            for attach in self.attach:
                attach(chunk, cache)
            yield from chunk
            if len(chunk) < chunk_size:
                return
            last_pk = chunk[-1].pk

    def iter_rows(self, queryset: QuerySet | None = None, chunk_size: int = CHUNK_SIZE):
        """Formatted rows (lists of strings) for ``queryset`` (default: every row).

        ``queryset`` may be filtered (an admin selection, an API filter); it
        must be of this table's model.
        """
        if queryset is None:
            queryset = self.model._default_manager.all()
        if queryset.model is not self.model:
            raise TypeError(f"The {self.name} table reads {self.model.__name__} rows.")
        query = queryset.query
        if query.where or query.is_sliced or query.distinct or query.combinator:
            # A filter across a link (participants__country=...) repeats rows and a
            # slice cannot be paged: select the keys once, page through those.
            queryset = self.model._default_manager.filter(pk__in=queryset.values("pk"))
        for obj in self.iter_objects(queryset, chunk_size):
            if self.expand is None:
                yield self.format_row(obj)
            else:
                for item in self.expand(obj):
                    yield self.format_row(item)

    def schema(self) -> dict[str, Any]:
        """This table's Frictionless Table Schema."""
        schema: dict[str, Any] = {
            "fields": [column.schema() for column in self.columns],
            "primaryKey": list(self.primary_key),
            "missingValues": [EMPTY],
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {
                    "fields": list(fk.fields),
                    "reference": {"resource": fk.resource, "fields": list(fk.reference_fields)},
                }
                for fk in self.foreign_keys
            ]
        return schema


# --- Column builders --------------------------------------------------------------


def attr(name: str) -> Callable[[Any], Any]:
    """A getter reading attribute ``name`` (``attrgetter`` runs in C, once per cell)."""
    return operator.attrgetter(name)


def col(name: str, kind: str, description: str, getter=None, **constraints) -> Column:
    """A column reading the attribute of the same name unless ``getter`` is given."""
    return Column(name, kind, description, getter or attr(name), constraints)


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
        col(
            f"{name}_label",
            STRING,
            f"{description}, in words.",
            lambda obj: labels.get(getattr(obj, name), getattr(obj, name)),
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
        col(
            f"{name}_precision",
            STRING,
            f"How precisely the source dates {name}: day, month, year or decade.",
            lambda obj: _PRECISION_WORDS.get(getattr(obj, f"{name}_precision")),
            enum=list(_PRECISION_WORDS.values()),
        ),
        col(
            f"{name}_qualifier",
            STRING,
            f"What the source says loosely about {name}: approximate, early, mid, end; "
            "empty if stated plainly.",
            enum=[q for q in Qualifier.values if q],
        ),
        col(
            f"{name}_display",
            STRING,
            f"{description} as a reader would write it, e.g. “September 2019”.",
            lambda obj: (
                _display(value, getattr(obj, precision), getattr(obj, qualifier))
                if (value := getattr(obj, name))
                else None
            ),
        ),
    ]


def fk_slug_column(name: str, description: str, attname: str | None = None) -> Column:
    """The slug of the record a foreign key ``name`` points at (empty if none)."""
    attname = attname or name

    def get(obj):
        target = getattr(obj, attname)
        return target.slug if target is not None else None

    return col(name, STRING, description, get)


def fk_name_column(name: str, description: str, attname: str, label: str = "name") -> Column:
    """A readable label of the record a foreign key points at (empty if none)."""

    def get(obj):
        target = getattr(obj, attname)
        return getattr(target, label) if target is not None else None

    return col(name, STRING, description, get)


def joined_column(name: str, description: str, getter: Callable[[Any], list[str]]) -> Column:
    """Several values in one cell, joined with ``DELIMITER``."""
    return col(name, STRING, f"{description} Joined with “{DELIMITER}”.", getter)


class SlugCache:
    """Slugs of linked records by primary key, read as an export needs them.

    Joining a chunk's 3,000 citations to a table of 100,000 sources made
    PostgreSQL hash the whole source table for every chunk (90 ms of each
    chunk's 250 ms); reading the chunk's source ids, then the slugs of the
    few not seen yet by primary key, costs a few milliseconds. One cache per
    export run: slugs never change, but a long-lived process must not keep them.
    """

    #: Ids per query (SQLite allows 32,766 parameters).
    BATCH = 2_000

    def __init__(self):
        self.known: dict[type[models.Model], dict[Any, str]] = {}

    def slugs(self, model: type[models.Model], ids) -> dict[Any, str]:
        """``{id: slug}`` for every id of ``ids`` (None ignored)."""
        known = self.known.setdefault(model, {})
        missing = sorted({i for i in ids if i is not None and i not in known})
        for start in range(0, len(missing), self.BATCH):
            batch = missing[start : start + self.BATCH]
            known.update(model._default_manager.filter(pk__in=batch).values_list("pk", "slug"))
        return known


def linked_values(
    attr_name: str, model: type[models.Model], owner_field: str, value_field: str
) -> Callable[[list[Any], SlugCache], None]:
    """An ``attach`` function: set ``attr_name`` on each object of a chunk to the list
    of ``value_field`` of the ``model`` rows whose ``owner_field`` points at it.

    One query per chunk, in the link rows' primary-key order (the order
    editors entered them). A ``value_field`` that is a linked record's slug
    (``source__slug``) is read as the key and looked up in the run's
    :class:`SlugCache` rather than joined.
    """
    link, _, rest = value_field.partition("__")
    slug_of = model._meta.get_field(link).related_model if rest == "slug" else None
    read_field = model._meta.get_field(link).attname if slug_of else value_field

    def attach(chunk: list[Any], cache: SlugCache) -> None:
        if not chunk:
            return
        # The key's attribute, not ``pk``: the property costs a lookup per object.
        pk_name = type(chunk[0])._meta.pk.attname
        found: dict[Any, list[Any]] = {getattr(obj, pk_name): [] for obj in chunk}
        low, high = min(found), max(found)
        if high - low < 2 * len(found):
            # A dense run of ids (a whole table, chunk by chunk): a range is one index
            # scan, where IN with 2,000 values costs Django more than the query.
            owners = {f"{owner_field}__gte": low, f"{owner_field}__lte": high}
        else:
            owners = {f"{owner_field}__in": list(found)}
        pairs = list(
            model._default_manager.filter(**owners)
            .order_by("pk")
            .values_list(owner_field, read_field)
        )
        if slug_of is not None:
            slugs = cache.slugs(slug_of, (value for _, value in pairs))
            pairs = [(owner, slugs.get(value)) for owner, value in pairs]
        for owner, value in pairs:
            values = found.get(owner)
            if values is not None:  # a range may hold rows outside the chunk
                values.append(value)
        for obj in chunk:
            setattr(obj, attr_name, found[getattr(obj, pk_name)])

    return attach


def attached(attr_name: str) -> Callable[[Any], list[Any]]:
    """A getter reading what an ``attach`` function set."""
    return lambda obj: getattr(obj, attr_name)


def _cited_sources(obj) -> list[str]:
    # Distinct, in citation order.
    return list(dict.fromkeys(obj._export_sources))


def cited_sources(owner_field: str) -> Callable[[list[Any], SlugCache], None]:
    """The ``attach`` function loading the slugs of the sources a record cites."""
    return linked_values("_export_sources", Citation, owner_field, "source__slug")


def linked_actors(
    model: type[models.Model], owner_field: str
) -> Callable[[list[Any], SlugCache], None]:
    """The ``attach`` function loading the slugs of a record's linked actors."""
    return linked_values("_export_actors", model, owner_field, "actor__slug")


def statement_about(related_name: str) -> Callable[[list[Any], SlugCache], None]:
    """The ``attach`` function loading the slugs of what statements concern."""
    field = Statement._meta.get_field(related_name)
    return linked_values(
        f"_export_{related_name}",
        field.remote_field.through,
        field.m2m_field_name(),
        f"{field.m2m_reverse_field_name()}__slug",
    )


def record_tail_columns(with_citations: bool = True) -> list[Column]:
    """Columns every record file ends with."""
    columns = []
    if with_citations:
        columns.append(
            joined_column(
                "sources",
                "Slugs of the sources cited for this record (details in citations.csv).",
                _cited_sources,
            )
        )
    columns += [
        col("created_at", DATETIME, "When the record was created (UTC)."),
        col("updated_at", DATETIME, "When the record was last changed (UTC)."),
    ]
    return columns


def _country_name(obj) -> str | None:
    return str(obj.country.name) if obj.country else None


# --- The record files -------------------------------------------------------------

ACTORS = Table(
    name="actors",
    model=Actor,
    title="Actors",
    description="States, armed forces, government bodies, organisations, companies, "
    "think tanks, media outlets and persons.",
    columns=(
        slug_column(),
        col("name", STRING, "Name of the actor.", required=True),
        *choice_columns("kind", ActorKind, "Kind of actor"),
        col(
            "country",
            STRING,
            "ISO 3166-1 alpha-2 code of its country, where one applies.",
            lambda obj: obj.country.code or None,
        ),
        col("country_name", STRING, "Name of its country.", _country_name),
        fk_slug_column("parent", "Slug of the actor this one belongs to (in actors.csv)."),
        fk_name_column("parent_name", "Name of the actor this one belongs to.", "parent"),
        col("role", STRING, "For persons: their role at the time of the recorded facts."),
        col("aliases", STRING, f"Other names and spellings, joined with “{DELIMITER}”."),
        col("description", STRING, "A short description."),
        *record_tail_columns(),
    ),
    primary_key=("slug",),
    foreign_keys=(ForeignKey(("parent",), ""),),
    prepare=lambda qs: qs.select_related("parent"),
    attach=(cited_sources("actor"),),
    is_record_file=True,
)

SOURCES = Table(
    name="sources",
    model=Source,
    title="Sources",
    description="The works cited as evidence for the records.",
    columns=(
        slug_column(),
        col("title", STRING, "Title, as the citation gives it.", required=True),
        col("authors", STRING, "Authors, as written in the citation."),
        col("outlet", STRING, "Publisher, journal, newspaper or website."),
        col("details", STRING, "Series, issue, report number, DOI or other detail."),
        *fuzzy_columns("published", "When it was published"),
        col("url", STRING, "Where it can be read."),
        col("accessed", DATE, "When the URL was last read."),
        col("language", STRING, "ISO 639-1 code of the work's language."),
        *choice_columns("kind", SourceKind, "Kind of source"),
        *record_tail_columns(with_citations=False),
    ),
    primary_key=("slug",),
    is_record_file=True,
)

AGREEMENTS = Table(
    name="agreements",
    model=Agreement,
    title="Agreements",
    description="Treaties, agreements, roadmaps, decrees and contracts.",
    columns=(
        slug_column(),
        col("title", STRING, "Title of the agreement.", required=True),
        *choice_columns("kind", AgreementKind, "Kind of agreement"),
        *choice_columns("status", AgreementStatus, "Status"),
        *fuzzy_columns("concluded", "When it was signed or issued"),
        *fuzzy_columns("in_force", "When it entered into force"),
        *fuzzy_columns("expires", "When it expires or expired"),
        fk_slug_column("replaces", "Slug of the earlier agreement this one replaces."),
        joined_column(
            "parties",
            "Slugs of the actors party to it (roles in agreement_parties.csv).",
            attached("_export_actors"),
        ),
        col("summary", STRING, "What it provides."),
        *record_tail_columns(),
    ),
    primary_key=("slug",),
    foreign_keys=(ForeignKey(("replaces",), ""),),
    prepare=lambda qs: qs.select_related("replaces"),
    attach=(linked_actors(AgreementParty, "agreement"), cited_sources("agreement")),
    is_record_file=True,
)

EXERCISES = Table(
    name="exercises",
    model=Exercise,
    title="Exercises",
    description="Joint military exercises and patrols.",
    columns=(
        slug_column(),
        col("name", STRING, "Name of the exercise.", required=True),
        col("series", STRING, "The recurring series it belongs to."),
        *choice_columns("domain", ExerciseDomain, "Domain"),
        *fuzzy_columns("start_date", "When it started"),
        *fuzzy_columns("end_date", "When it ended"),
        col("location", STRING, "Where it was held, as the source says."),
        col("region", STRING, "Broad region."),
        joined_column(
            "participants",
            "Slugs of the actors that took part (roles in exercise_participants.csv).",
            attached("_export_actors"),
        ),
        col("summary", STRING, "What happened."),
        *record_tail_columns(),
    ),
    primary_key=("slug",),
    attach=(linked_actors(ExerciseParticipant, "exercise"), cited_sources("exercise")),
    is_record_file=True,
)

ARMS_DEALS = Table(
    name="arms_deals",
    model=ArmsDeal,
    title="Arms deals",
    description="Arms transfers: single contracts and trade figures aggregated over a period.",
    columns=(
        slug_column(),
        col("title", STRING, "Title of the deal.", required=True),
        fk_slug_column("supplier", "Slug of the supplying actor."),
        fk_name_column("supplier_name", "Name of the supplying actor.", "supplier"),
        fk_slug_column("recipient", "Slug of the receiving actor."),
        fk_name_column("recipient_name", "Name of the receiving actor.", "recipient"),
        col("item", STRING, "The system or goods."),
        *choice_columns("category", ArmsCategory, "Category"),
        *choice_columns("scope", DealScope, "Scope"),
        col("quantity", INTEGER, "Units, if known."),
        col("quantity_is_estimate", BOOLEAN, "The quantity is an estimate."),
        col("value_amount", NUMBER, "The value in the currency's units (2000000000.00)."),
        col("value_currency", STRING, "ISO 4217 code of the value's currency."),
        col("value_is_estimate", BOOLEAN, "The source gives the value as an estimate."),
        col("value_text", STRING, "The value as the source words it."),
        col("percentage", NUMBER, "A share, in per cent."),
        col("percentage_of", STRING, "What the percentage is a share of."),
        *fuzzy_columns("contract_date", "When the contract was signed"),
        *fuzzy_columns("period_start", "Start of the period covered"),
        *fuzzy_columns("period_end", "End of the period covered"),
        *choice_columns("status", DealStatus, "Status"),
        joined_column(
            "contractors",
            "Slugs of the companies or agencies involved (roles in arms_deal_contractors.csv).",
            attached("_export_actors"),
        ),
        col("summary", STRING, "What was traded."),
        *record_tail_columns(),
    ),
    primary_key=("slug",),
    foreign_keys=(
        ForeignKey(("supplier",), "actors"),
        ForeignKey(("recipient",), "actors"),
    ),
    prepare=lambda qs: qs.select_related("supplier", "recipient"),
    attach=(linked_actors(ArmsDealContractor, "deal"), cited_sources("arms_deal")),
    is_record_file=True,
)

#: What the statements file does not read of a statement and its speaker: the
#: speaker's aliases alone (JSON) cost more to load than the rest of the row.
_UNUSED_SPEAKER_FIELDS = (
    "editorial_note",
    *(
        f"speaker__{f.name}"
        for f in Actor._meta.concrete_fields
        if f.name not in ("id", "slug", "name")
    ),
)

#: Statement's many-to-many "what it concerns" fields.
_ABOUT_FIELDS = ("about_agreements", "about_exercises", "about_arms_deals", "about_actors")

STATEMENTS = Table(
    name="statements",
    model=Statement,
    title="Statements",
    description="What actors said or wrote about the cooperation.",
    columns=(
        slug_column(),
        fk_slug_column(
            "speaker", "Slug of the actor who said it. Empty if the source does not say."
        ),
        fk_name_column("speaker_name", "Name of the actor who said it.", "speaker"),
        col("speaker_role", STRING, "The speaker's role at the time."),
        *fuzzy_columns("date", "When it was said"),
        col("occasion", STRING, "Where or how it was said."),
        *choice_columns("kind", StatementKind, "Kind of statement"),
        col(
            "text",
            STRING,
            "A direct quote exactly as the source gives it, or a paraphrase.",
            required=True,
        ),
        col("language", STRING, "ISO 639-1 code of the text's language."),
        joined_column(
            "about_agreements",
            "Slugs of the agreements it concerns.",
            attached("_export_about_agreements"),
        ),
        joined_column(
            "about_exercises",
            "Slugs of the exercises it concerns.",
            attached("_export_about_exercises"),
        ),
        joined_column(
            "about_arms_deals",
            "Slugs of the arms deals it concerns.",
            attached("_export_about_arms_deals"),
        ),
        joined_column(
            "about_actors", "Slugs of the actors it concerns.", attached("_export_about_actors")
        ),
        *record_tail_columns(),
    ),
    primary_key=("slug",),
    foreign_keys=(ForeignKey(("speaker",), "actors"),),
    prepare=lambda qs: qs.select_related("speaker").defer(*_UNUSED_SPEAKER_FIELDS),
    attach=(
        *(statement_about(name) for name in _ABOUT_FIELDS),
        cited_sources("statement"),
    ),
    is_record_file=True,
)

# --- The link files ---------------------------------------------------------------

#: Citation target field -> the file of the records it points at.
_TARGET_FILES = {
    "agreement": "agreements",
    "exercise": "exercises",
    "arms_deal": "arms_deals",
    "statement": "statements",
    "actor": "actors",
}


def _citation_target_type(citation: Citation) -> str | None:
    for name in CITATION_TARGETS:
        if getattr(citation, f"{name}_id") is not None:
            return name
    return None


def _citation_target_slug(citation: Citation) -> str | None:
    target = citation.target
    return target.slug if target is not None else None


CITATIONS = Table(
    name="citations",
    model=Citation,
    title="Citations",
    description="The evidence for each record: which source, where in it, which footnote. "
    "Exactly one of agreement, exercise, arms_deal, statement and actor is filled.",
    columns=(
        col("id", INTEGER, "Number of the citation within this snapshot.", required=True),
        fk_slug_column("source", "Slug of the cited source (in sources.csv)."),
        col(
            "record_type",
            STRING,
            "Which kind of record it supports.",
            _citation_target_type,
            enum=list(CITATION_TARGETS),
        ),
        col("record", STRING, "Slug of the record it supports.", _citation_target_slug),
        *(
            fk_slug_column(name, f"Slug of the {name.replace('_', ' ')} it supports, if any.")
            for name in CITATION_TARGETS
        ),
        col("footnote", INTEGER, "Footnote number in the citing article, if it came from one."),
        col("locator", STRING, "Page or section of the source."),
        col("excerpt", STRING, "The supporting passage."),
    ),
    primary_key=("id",),
    foreign_keys=(
        ForeignKey(("source",), "sources"),
        *(ForeignKey((name,), _TARGET_FILES[name]) for name in CITATION_TARGETS),
    ),
    # Only slugs of the source and the target are written: join them, load nothing else.
    prepare=lambda qs: qs.select_related("source", *CITATION_TARGETS).only(
        "id",
        "footnote",
        "locator",
        "excerpt",
        "source",
        "source__slug",
        *CITATION_TARGETS,
        *(f"{name}__slug" for name in CITATION_TARGETS),
    ),
)


def link_table(
    name: str,
    model: type[models.Model],
    record_field: str,
    record_file: str,
    roles: type[models.Choices],
    extra: Column,
    title: str,
    description: str,
    column: str | None = None,
) -> Table:
    """A file of the actors linked to a record, one row per link, with role and note.

    ``record_field`` is the link model's foreign key to the record; ``column``
    names it in the file when the two differ (``deal`` is ``arms_deal``).
    """
    column = column or record_field
    return Table(
        name=name,
        model=model,
        title=title,
        description=description,
        columns=(
            fk_slug_column(column, f"Slug of the record (in {record_file}.csv).", record_field),
            fk_slug_column("actor", "Slug of the actor (in actors.csv)."),
            fk_name_column("actor_name", "Name of the actor.", "actor"),
            *choice_columns("role", roles, "Role"),
            extra,
        ),
        primary_key=(column, "actor"),
        foreign_keys=(
            ForeignKey((column,), record_file),
            ForeignKey(("actor",), "actors"),
        ),
        prepare=lambda qs: qs.select_related(record_field, "actor").only(
            "id",
            record_field,
            "actor",
            f"{record_field}__slug",
            "actor__slug",
            "actor__name",
            "role",
            extra.name,
        ),
    )


EXERCISE_PARTICIPANTS = link_table(
    "exercise_participants",
    ExerciseParticipant,
    "exercise",
    "exercises",
    ParticipantRole,
    col("contribution", STRING, "What it brought, e.g. “Type 054A frigate Weifang”."),
    "Exercise participants",
    "Who took part in each exercise, in which role, with what.",
)
AGREEMENT_PARTIES = link_table(
    "agreement_parties",
    AgreementParty,
    "agreement",
    "agreements",
    PartyRole,
    col("note", STRING, "A note on the actor's part."),
    "Agreement parties",
    "Who is party to each agreement, and in which role.",
)
ARMS_DEAL_CONTRACTORS = link_table(
    "arms_deal_contractors",
    ArmsDealContractor,
    "deal",
    "arms_deals",
    ContractorRole,
    col("note", STRING, "A note on the contractor's part."),
    "Arms deal contractors",
    "Companies and agencies involved in each deal, and in which role.",
    column="arms_deal",
)


@dataclass(frozen=True)
class StatementLink:
    """One thing a statement concerns (a row of statement_links.csv)."""

    statement: Statement
    about_type: str
    #: Slug of the record it concerns.
    target: str


#: Statement many-to-many field -> (target type, file of the targets).
_STATEMENT_ABOUT = {
    "about_agreements": ("agreement", "agreements"),
    "about_exercises": ("exercise", "exercises"),
    "about_arms_deals": ("arms_deal", "arms_deals"),
    "about_actors": ("actor", "actors"),
}


def _statement_links(statement: Statement) -> Iterator[StatementLink]:
    for related_name, (about_type, _file) in _STATEMENT_ABOUT.items():
        for slug in getattr(statement, f"_export_{related_name}"):
            yield StatementLink(statement, about_type, slug)


def _about_if(about_type: str) -> Callable[[StatementLink], str | None]:
    return lambda link: link.target if link.about_type == about_type else None


STATEMENT_LINKS = Table(
    name="statement_links",
    model=Statement,
    title="Statement links",
    description="What each statement concerns, one row per link. Exactly one of "
    "agreement, exercise, arms_deal and actor is filled, the one named by about_type.",
    columns=(
        col(
            "statement",
            STRING,
            "Slug of the statement (in statements.csv).",
            lambda link: link.statement.slug,
            required=True,
        ),
        col(
            "about_type",
            STRING,
            "Kind of record it concerns.",
            attr("about_type"),
            required=True,
            enum=[t for t, _f in _STATEMENT_ABOUT.values()],
        ),
        col(
            "about",
            STRING,
            "Slug of the record it concerns.",
            lambda link: link.target,
            required=True,
        ),
        *(
            col(
                about_type,
                STRING,
                f"Slug of the {about_type.replace('_', ' ')} it concerns.",
                _about_if(about_type),
            )
            for about_type, _file in _STATEMENT_ABOUT.values()
        ),
    ),
    primary_key=("statement", "about_type", "about"),
    foreign_keys=(
        ForeignKey(("statement",), "statements"),
        *(ForeignKey((t,), f) for t, f in _STATEMENT_ABOUT.values()),
    ),
    prepare=lambda qs: qs.only("id", "slug"),
    attach=tuple(statement_about(name) for name in _STATEMENT_ABOUT),
    expand=_statement_links,
)

# --- The registry -----------------------------------------------------------------

#: Every file of an export, keyed by file stem, in the order they are written:
#: the six record files, then the link files that refer to them.
TABLES: dict[str, Table] = {
    table.name: table
    for table in (
        ACTORS,
        SOURCES,
        AGREEMENTS,
        EXERCISES,
        ARMS_DEALS,
        STATEMENTS,
        CITATIONS,
        EXERCISE_PARTICIPANTS,
        AGREEMENT_PARTIES,
        ARMS_DEAL_CONTRACTORS,
        STATEMENT_LINKS,
    )
}

#: The main table of each model with one (statement links are read from
#: statements but are not their main table).
_MODEL_TABLES: dict[type[models.Model], Table] = {
    table.model: table for table in TABLES.values() if table.expand is None
}


def table_for_model(model: type[models.Model]) -> Table:
    """The table whose rows are ``model``'s rows (``Exercise`` -> ``exercises``).

    Raises ``LookupError`` for a model that has no CSV table.
    """
    try:
        return _MODEL_TABLES[model]
    except KeyError:
        raise LookupError(f"{model.__name__} rows have no CSV table.") from None


def record_tables() -> list[Table]:
    """The six files of public records, in file order."""
    return [table for table in TABLES.values() if table.is_record_file]


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming."""

    def write(self, value: str) -> str:
        return value


def iter_csv(table: Table, queryset: QuerySet | None = None, *, bom: bool = False) -> Iterator[str]:
    """The CSV text of ``table`` for ``queryset``, line by line, for streaming responses.

    The same dialect as the export files: RFC 4180 (comma, ``"`` quoting,
    CRLF line ends), one header row and nothing above it; ``bom`` starts it
    with a byte-order mark for Excel.
    """
    writer = csv.writer(_Echo(), lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    if bom:
        yield "\ufeff"
    yield writer.writerow(table.header())
    for row in table.iter_rows(queryset):
        yield writer.writerow(row)

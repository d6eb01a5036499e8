"""One row of a file as the record it proposes: field values, linked slugs, citations.

The columns of a CSV file are the export's own declarations
(:mod:`tracker.exports.files`): a column that reads a model field of its own
name is that field, a column that reads ``x__slug`` is the foreign key ``x``,
the four columns of a fuzzy date are one date, the joined columns are the
record's cited ``sources``, what a statement is ``about_*`` and its linked
actors, and every other column (labels, names, timestamps) is derived and
ignored. JSON objects are read by the API's own field names and date parser
(:class:`tracker.api.fields.FuzzyDateField`).

Cells are read the way the admin and the API read values: a date in words
through :meth:`tracker.dates.FuzzyDate.parse`, a coded value by its code (or
its label), links by slug. Nothing here queries the database: slugs are
resolved in bulk by :mod:`tracker.imports.plan`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from rest_framework import serializers as drf

from .. import registry
from ..codes import DELIMITER, whole_number
from ..dates import FuzzyDate, Precision
from ..exports.cells import STRING, unneutralise
from ..exports.tables import Table
from ..models import Citation, normalise_locator
from .reading import Sheet

#: Columns every record file carries that no import writes.
BOOKKEEPING = frozenset({"created_at", "updated_at"})
#: Columns the export derives from other rows (``disputed`` from reported_values.csv):
#: never read back, since the rows they summarise are what an editor changes.
DERIVED = frozenset({"disputed"})
#: A record's cited rows (reported values, status updates): not imported, kept as stored.
KEPT_ROWS = frozenset(rows.related_name for rows in registry.RECORD_ROWS)
_PRECISIONS = {p.label: int(p) for p in Precision}
_TRUE, _FALSE = {"true", "yes", "1", "t", "y"}, {"false", "no", "0", "f", "n", ""}


@dataclass
class Proposal:
    """What one row says a record should be; only what the row gives is set."""

    record_type: registry.RecordType
    #: Where the row is, for messages: ``exercises.csv row 3``.
    where: str
    row: int
    slug: str
    #: Model field name -> value (fuzzy dates as their three columns).
    fields: dict[str, Any] = field(default_factory=dict)
    #: Fuzzy date -> (from words, from the date columns); plan picks between them.
    dates: dict[str, tuple[FuzzyDate | None, FuzzyDate | None]] = field(default_factory=dict)
    #: Foreign key name -> slug of the linked record (``None``: no link).
    fks: dict[str, str | None] = field(default_factory=dict)
    #: Linked actors as dicts (``actor`` slug, ``role``, note); a missing key keeps what is stored.
    links: list[dict[str, Any]] | None = None
    #: Citations as dicts (``source`` slug, ``footnote``, ``locator``, ``excerpt``).
    citations: list[dict[str, Any]] | None = None
    #: Slugs of the cited sources only (a main CSV file): stored citations of them are kept.
    cited_sources: list[str] | None = None
    #: Statement relation -> slugs of what it concerns.
    about: dict[str, list[str]] | None = None
    #: ``(column, message)`` of every cell that cannot be read.
    errors: list[tuple[str, str]] = field(default_factory=list)
    #: Columns whose cell is given (for the publication status rule).
    columns: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FileColumns:
    """What each column of a record file means for an import."""

    scalars: dict[str, str]  # column -> model field
    fks: dict[str, str]  # column -> foreign key
    dates: tuple[str, ...]
    links: str | None
    sources: str | None
    about: tuple[str, ...]


def file_columns(table: Table) -> FileColumns:
    """Classify ``table``'s declared columns (see the module docstring)."""
    return _file_columns(table.name)


@functools.cache
def _file_columns(name: str) -> FileColumns:
    from ..exports.files import TABLES

    table = TABLES[name]
    model = table.model
    concrete = {f.name: f for f in model._meta.concrete_fields}
    dates = tuple(getattr(model, "fuzzy_dates", ()))
    date_columns = {f"{d}{s}" for d in dates for s in ("", "_precision", "_qualifier", "_display")}
    scalars, fks, links, sources, about = {}, {}, None, None, []
    for column in table.columns:
        name = column.name
        if name == "slug" or name in BOOKKEEPING or name in DERIVED or name in date_columns:
            continue
        if not column.reads:
            if name == "sources":
                sources = name
            elif name in registry.about_relations():
                about.append(name)
            else:
                links = name
        elif len(column.reads) == 1 and column.reads[0].endswith("__slug"):
            relation = column.reads[0].removesuffix("__slug")
            if relation in concrete and concrete[relation].is_relation:
                fks[name] = relation
        elif column.reads == (name,) and name in concrete:
            scalars[name] = name
    return FileColumns(scalars, fks, dates, links, sources, tuple(about))


def parse_value(model_field: models.Field, raw: Any) -> Any:
    """``raw`` (a cell's text, or a JSON value) as ``model_field`` stores it.

    Raises ``ValueError`` with an editor's message when it cannot be read.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip() and model_field.null):
        return None if model_field.null else _empty(model_field)
    if isinstance(model_field, models.JSONField):
        if isinstance(raw, list):
            return [str(item) for item in raw]
        return [part.strip() for part in str(raw).split(DELIMITER) if part.strip()]
    if isinstance(model_field, models.BooleanField):
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError(f"“{raw}” is not true or false.")
    if isinstance(model_field, models.DecimalField):
        try:
            value = Decimal(str(raw).strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError(f"“{raw}” is not a number.") from None
        if not value.is_finite():
            raise ValueError(f"“{raw}” is not a number.")
        return value
    if isinstance(model_field, models.IntegerField):
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        number = whole_number(str(raw), 0, 2_147_483_647)
        if number is None:
            raise ValueError(f"“{raw}” is not a whole number.")
        return number
    if isinstance(model_field, models.DateField):
        return _plain_date(str(raw))
    text = raw if isinstance(raw, str) else str(raw)
    if "\x00" in text:
        raise ValueError("contains a NUL character, which no text may hold.")
    if model_field.choices:
        return _choice(model_field, text)
    return text


def _empty(model_field: models.Field) -> Any:
    if isinstance(model_field, models.JSONField):
        return []
    if isinstance(model_field, models.BooleanField):
        return False
    return ""


def _plain_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        pass
    try:
        parsed = FuzzyDate.parse(text)
    except ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from None
    if parsed.precision != Precision.DAY or parsed.qualifier:
        raise ValueError(f"“{text}” is not a day (write 2020-07-15 or 15 July 2020).")
    return parsed.value


def _choice(model_field: models.Field, text: str) -> str:
    """A coded value by its code or its label, whatever the case."""
    word = text.strip()
    if not word and model_field.blank:
        return ""
    codes = {str(code).lower(): str(code) for code, _ in model_field.flatchoices}
    labels = {str(label).lower(): str(code) for code, label in model_field.flatchoices}
    found = codes.get(word.lower()) or labels.get(word.lower())
    if found is None:
        shown = ", ".join(list(codes.values())[:12])
        more = " ..." if len(codes) > 12 else ""
        raise ValueError(f"“{word}” is not a known code (one of: {shown}{more}).")
    return found


def _slugs(cell: str) -> list[str]:
    return [part.strip() for part in unneutralise(cell).split(DELIMITER) if part.strip()]


def fuzzy_from_columns(row: dict[str, str], name: str) -> FuzzyDate | None:
    """The date in ``name``, ``name_precision`` and ``name_qualifier`` (``None`` if absent)."""
    if name not in row:
        return None
    text = row[name].strip()
    precision = row.get(f"{name}_precision", "").strip().lower()
    qualifier = row.get(f"{name}_qualifier", "").strip().lower()
    if not text:
        if precision or qualifier:
            raise ValueError("a precision or qualifier needs a date.")
        return FuzzyDate(None)
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"“{text}” is not an ISO date (2019-09-01).") from None
    if precision not in _PRECISIONS:
        raise ValueError(f"say how precise it is in {name}_precision: day, month, year or decade.")
    date = FuzzyDate(value, _PRECISIONS[precision], qualifier)
    problems = date.errors()
    if problems:
        raise ValueError(" ".join(problems))
    return date


def parse_csv_row(sheet: Sheet, number: int, row: dict[str, str]) -> Proposal:
    """The record one row of a record file proposes."""
    table, record_type = sheet.table, sheet.record_type
    columns = file_columns(table)
    kinds = {c.name: c.type for c in table.columns}
    model = table.model
    slug = unneutralise(row.get("slug", "").strip())
    proposal = Proposal(
        record_type,
        f"{sheet.name} row {number}",
        number,
        slug,
        columns=frozenset(c for c, v in row.items() if v.strip()),
    )
    for column, name in columns.scalars.items():
        if column not in row:
            continue
        cell = row[column]
        if kinds.get(column) == STRING:
            cell = unneutralise(cell)
        model_field = model._meta.get_field(name)
        if not cell.strip() and model_field.choices and model_field.has_default():
            continue  # an empty publication_status: the stored one, or a new record's default
        try:
            proposal.fields[name] = parse_value(model_field, cell)
        except ValueError as exc:
            proposal.errors.append((column, str(exc)))
    for column, relation in columns.fks.items():
        if column in row:
            proposal.fks[relation] = unneutralise(row[column].strip()) or None
    for name in columns.dates:
        words = structured = None
        try:
            if f"{name}_display" in row:
                words = FuzzyDate.parse(unneutralise(row[f"{name}_display"]))
        except ValidationError as exc:
            proposal.errors.append((f"{name}_display", " ".join(exc.messages)))
            continue
        try:
            structured = fuzzy_from_columns(row, name)
        except ValueError as exc:
            proposal.errors.append((name, str(exc)))
            continue
        if words is not None or structured is not None:
            proposal.dates[name] = (words, structured)
    if columns.links and columns.links in row:
        proposal.links = [{"actor": slug} for slug in _slugs(row[columns.links])]
    if columns.sources and columns.sources in row:
        proposal.cited_sources = list(dict.fromkeys(_slugs(row[columns.sources])))
    about = {name: _slugs(row[name]) for name in columns.about if name in row}
    if about:
        proposal.about = about
    return proposal


def link_rows(sheet: Sheet) -> dict[str, list[dict[str, Any]]]:
    """A link file's rows by the slug of their record: ``{"vostok-2018": [{actor, role, ...}]}``."""
    table = sheet.table
    record_column, extra = table.columns[0].name, table.columns[-1].name
    found: dict[str, list[dict[str, Any]]] = {}
    for number, row in sheet.rows:
        record = unneutralise(row.get(record_column, "").strip())
        found.setdefault(record, []).append(
            {
                "actor": unneutralise(row.get("actor", "").strip()),
                "role": row.get("role", "").strip(),
                extra: unneutralise(row.get(extra, "")),
                "_row": f"{sheet.name} row {number}",
            }
        )
    return found


def citation_rows(sheet: Sheet) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """citations.csv's rows by ``(record type key, record slug)``."""
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    footnote_field = Citation._meta.get_field("footnote")
    for number, row in sheet.rows:
        kind, record = row.get("record_type", "").strip(), unneutralise(row.get("record", ""))
        citation = {
            "source": unneutralise(row.get("source", "").strip()),
            "locator": normalise_locator(unneutralise(row.get("locator", ""))),
            "excerpt": unneutralise(row.get("excerpt", "")),
            "_row": f"{sheet.name} row {number}",
        }
        try:
            citation["footnote"] = parse_value(footnote_field, row.get("footnote", ""))
        except ValueError as exc:
            citation["_error"] = ("footnote", str(exc))
        found.setdefault((kind, record.strip()), []).append(citation)
    return found


# --- JSON in the API's format -----------------------------------------------------


@functools.cache
def _serializer_class(model: type[models.Model]):
    from ..api.serializers import RecordSerializer

    for cls in RecordSerializer.__subclasses__():
        if cls.Meta.model is model:
            return cls
    raise LookupError(f"No API serializer for {model.__name__}.")


def parse_json_item(sheet: Sheet, number: int, item: Any) -> Proposal:
    """The record one object of an API-format JSON list proposes."""
    from ..api.fields import FuzzyDateField, SummaryField

    record_type = sheet.record_type
    model = record_type.model
    where = f"{sheet.name} item {number}"
    if not isinstance(item, dict):
        proposal = Proposal(record_type, where, number, "")
        proposal.errors.append(("", "each item must be a JSON object."))
        return proposal
    slug = item.get("slug") if isinstance(item.get("slug"), str) else ""
    proposal = Proposal(record_type, where, number, slug.strip(), columns=frozenset(item))
    serializer = _serializer_class(model)()
    fields = serializer.fields
    for key, value in item.items():
        if key in ("slug", "api_url", *BOOKKEEPING):
            continue
        api_field = fields.get(key)
        if api_field is None:
            proposal.errors.append((key, "is not a field of this resource."))
            continue
        if api_field.read_only or key in KEPT_ROWS:
            # Derived (disputed, status_as_of) or kept as stored: reported values and
            # status updates are edited in the admin or the API (docs/import.md).
            continue
        try:
            _read_json_field(proposal, key, api_field, value, FuzzyDateField, SummaryField)
        except (ValueError, drf.ValidationError) as exc:
            detail = exc.detail if isinstance(exc, drf.ValidationError) else str(exc)
            proposal.errors.append((key, _flat(detail)))
    return proposal


def _read_json_field(proposal, key, api_field, value, FuzzyDateField, SummaryField) -> None:
    model = proposal.record_type.model
    serializer = api_field.parent
    if isinstance(api_field, FuzzyDateField):
        date = FuzzyDate(**_date_parts(api_field.to_internal_value(value), key))
        proposal.dates[key] = (date, None)
    elif isinstance(api_field, SummaryField):
        proposal.fks[api_field.source] = _slug_of(value)
    elif isinstance(api_field, drf.ManyRelatedField):
        if not isinstance(value, list):
            raise ValueError("give a list of identifiers.")
        proposal.about = proposal.about or {}
        proposal.about[api_field.source] = [_slug_of(v) for v in value]
    elif key in serializer.link_fields:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise ValueError("give a list of objects.")
        if serializer.link_fields[key] == "citations":
            proposal.citations = [_json_citation(v) for v in value]
        else:
            proposal.links = [
                {
                    **{k: v for k, v in row.items() if k != "actor"},
                    "actor": _slug_of(row.get("actor")),
                }
                for row in value
            ]
    elif isinstance(api_field, drf.Serializer):  # the money object: its fields' sources
        if not isinstance(value, dict):
            raise ValueError("give an object.")
        for sub_key, sub_value in value.items():
            sub = api_field.fields.get(sub_key)
            if sub is None:
                raise ValueError(f"{sub_key} is not a field of {key}.")
            proposal.fields[sub.source] = parse_value(model._meta.get_field(sub.source), sub_value)
    else:
        name = api_field.source
        proposal.fields[name] = parse_value(model._meta.get_field(name), value)


def _date_parts(internal: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "value": internal[name],
        "precision": internal[f"{name}_precision"],
        "qualifier": internal[f"{name}_qualifier"] or "",
    }


def _slug_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("slug")
    if not isinstance(value, str):
        raise ValueError("give the linked record's identifier (slug) as a string.")
    return value.strip()


def _json_citation(row: dict[str, Any]) -> dict[str, Any]:
    footnote = row.get("footnote")
    if footnote is not None and (isinstance(footnote, bool) or not isinstance(footnote, int)):
        raise ValueError(f"footnote “{footnote}” is not a whole number.")
    return {
        "source": _slug_of(row.get("source")),
        "footnote": footnote,
        "locator": normalise_locator(row.get("locator")),
        "excerpt": row.get("excerpt") or "",
    }


def _flat(detail: Any) -> str:
    if isinstance(detail, dict):
        return " ".join(f"{k}: {_flat(v)}" for k, v in detail.items())
    if isinstance(detail, list):
        return " ".join(_flat(d) for d in detail)
    return str(detail)


def _without(row: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != key}

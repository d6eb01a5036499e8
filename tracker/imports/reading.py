"""Reading an uploaded file: which format it is, which record type, and its rows.

Three formats are read, all of them what the tracker itself hands out:

* **one CSV file** of records as the export writes it (``exercises.csv``):
  the record type is told by the file's name, else by its header;
* **the data package** as a zip of the export's folder: every record file in
  it, plus the link files (``exercise_participants.csv``, ``citations.csv``)
  that carry the links' roles, notes, footnotes and pages;
* **a JSON list** of records of one resource in the API's format (what
  ``GET /api/v1/exercises/`` returns, a page with ``results`` included): the
  resource is told by the file's name, else by the records' ``api_url``.

A file that cannot be read at all (wrong type, bad encoding, too big, empty)
raises :class:`ImportFileError`, which the admin answers with a 4xx and the
command with an error line. Rows are numbered as a spreadsheet numbers them:
the header is row 1.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings

from .. import registry
from ..exports.files import TABLES, record_tables
from ..exports.tables import Table

#: Default largest upload, in bytes (setting ``IMPORT_MAX_BYTES``).
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
#: Largest total of a zip's unpacked files, as a multiple of the upload limit.
ZIP_EXPANSION = 4
#: Most files a zip may hold (the data package has a dozen).
ZIP_MAX_FILES = 100


class ImportFileError(ValueError):
    """A file that cannot be imported at all; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


@dataclass
class Sheet:
    """The rows of one file (a CSV file, or the JSON list) for one record type or link file."""

    #: The file's name as the editor gave it (``exercises.csv``, ``package.zip:citations.csv``).
    name: str
    #: The export table it is read as (record files and link files alike).
    table: Table
    #: The record type of a record file (``None`` for a link file).
    record_type: registry.RecordType | None
    header: list[str] = field(default_factory=list)
    #: ``(row number, {column: cell})``; for JSON, ``(item number, object)``.
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    #: ``csv`` or ``json``.
    format: str = "csv"


@dataclass
class Upload:
    """Every sheet of one uploaded file."""

    name: str
    format: str
    sheets: list[Sheet]

    def record_sheets(self) -> list[Sheet]:
        """The sheets of records, in the registry's order (actors before what links to them)."""
        order = {rt.key: number for number, rt in enumerate(registry.RECORD_TYPES)}
        sheets = [s for s in self.sheets if s.record_type is not None]
        return sorted(sheets, key=lambda s: order[s.record_type.key])

    def link_sheet(self, name: str) -> Sheet | None:
        """The link file ``name`` (``citations``) if the upload has it."""
        for sheet in self.sheets:
            if sheet.record_type is None and sheet.table.name == name:
                return sheet
        return None


def max_bytes() -> int:
    """The largest upload accepted, in bytes."""
    return int(getattr(settings, "IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def read_upload(name: str, data: bytes) -> Upload:
    """Read ``data`` (the uploaded file called ``name``) into sheets of rows."""
    limit = max_bytes()
    if len(data) > limit:
        raise ImportFileError(
            f"The file is too big ({len(data):,} bytes; at most {limit:,} bytes).", status=413
        )
    if not data.strip():
        raise ImportFileError("The file is empty.")
    if data.startswith(b"PK\x03\x04"):
        return Upload(name, "zip", _read_zip(name, data, limit * ZIP_EXPANSION))
    text = _decode(name, data)
    if text.lstrip().startswith(("[", "{")):
        return Upload(name, "json", [_read_json(name, text)])
    if name.lower().endswith(".zip"):
        raise ImportFileError(f"“{name}” is not a zip file.", status=415)
    return Upload(name, "csv", [_read_csv(name, text, lone=True)])


def _decode(name: str, data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise ImportFileError(
            f"“{name}” is not a text file: upload a CSV file, the data package as a zip, "
            "or a JSON list.",
            status=415,
        )
    try:
        # utf-8-sig: Excel starts its UTF-8 files with a byte-order mark.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError(
            f"“{name}” is not UTF-8 text (byte {exc.start + 1} cannot be read): save the "
            "spreadsheet as “CSV UTF-8”."
        ) from None


def _table_by_name(name: str) -> Table | None:
    stem = PurePosixPath(name).name.lower()
    for suffix in (".csv", ".json"):
        stem = stem.removesuffix(suffix)
    # "exercises (1).csv", "exercises-2020-07.csv": the export's stem starts the name.
    for table_name in sorted(TABLES, key=len, reverse=True):
        if stem == table_name or re.match(rf"{re.escape(table_name)}\b", stem):
            return TABLES[table_name]
    for record_type in registry.RECORD_TYPES:
        if stem.startswith(record_type.resource) and "-" in record_type.resource:
            return TABLES[record_type.csv_file]
    return None


def _table_by_header(header: list[str]) -> Table | None:
    """The record file whose columns the header has most of (slug and one own column)."""
    given = set(header)
    best, best_score = None, 1
    for table in record_tables():
        score = len(given & set(table.header()))
        if score > best_score:
            best, best_score = table, score
    return best


def _record_type(table: Table) -> registry.RecordType | None:
    if not table.is_record_file:
        return None
    return registry.for_model(table.model)


def _read_csv(name: str, text: str, *, lone: bool) -> Sheet:
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportFileError(f"“{name}” is not a readable CSV file ({exc}).") from None
    if not rows or not any(rows[0]):
        raise ImportFileError(f"“{name}” has no header row.")
    header = [cell.strip() for cell in rows[0]]
    table = _table_by_name(name) or _table_by_header(header)
    if table is None:
        raise ImportFileError(
            f"“{name}” is not one of the export's files: name it after its record type "
            "(exercises.csv) and keep the export's header row."
        )
    if lone and not table.is_record_file:
        raise ImportFileError(
            f"“{name}” is a link file: import it in the data package zip together with "
            "the records it links."
        )
    duplicated = sorted({c for c in header if header.count(c) > 1 and c})
    if duplicated:
        raise ImportFileError(f"“{name}” has the column {', '.join(duplicated)} more than once.")
    if table.is_record_file and "slug" not in header:
        raise ImportFileError(f"“{name}” has no slug column: every record is matched by slug.")
    sheet = Sheet(name, table, _record_type(table), header)
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue  # blank lines a spreadsheet leaves at the end
        if len(cells) > len(header):
            raise ImportFileError(
                f"“{name}” row {number} has {len(cells)} cells but the header has "
                f"{len(header)} columns."
            )
        sheet.rows.append((number, dict(zip(header, cells, strict=False))))
    if table.is_record_file and not sheet.rows and lone:
        raise ImportFileError(f"“{name}” has a header but no rows.")
    return sheet


def _read_zip(name: str, data: bytes, unpacked_limit: int) -> list[Sheet]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError(f"“{name}” is not a readable zip file ({exc}).", status=415) from None
    if len(members) > ZIP_MAX_FILES:
        raise ImportFileError(f"“{name}” holds more than {ZIP_MAX_FILES} files.", status=413)
    if sum(m.file_size for m in members) > unpacked_limit:
        raise ImportFileError(f"“{name}” unpacks to more than {unpacked_limit:,} bytes.", 413)
    sheets: list[Sheet] = []
    seen: set[str] = set()
    for member in members:
        base = PurePosixPath(member.filename).name
        if not base.lower().endswith(".csv") or base.startswith("."):
            continue  # datapackage.json, CHANGES.csv's neighbours, macOS leftovers
        table = TABLES.get(base.lower().removesuffix(".csv"))
        if table is None:
            continue  # CHANGES.csv and anything else that is no export table
        if table.name in seen:
            raise ImportFileError(f"“{name}” holds {base} more than once.")
        seen.add(table.name)
        try:
            raw = archive.read(member)
        except (zipfile.BadZipFile, OSError, RuntimeError) as exc:
            raise ImportFileError(f"“{name}”: {base} cannot be unpacked ({exc}).") from None
        sheets.append(_read_csv(f"{base}", _decode(base, raw), lone=False))
    if not any(s.record_type is not None and s.rows for s in sheets):
        raise ImportFileError(
            f"“{name}” holds no record file with rows (actors.csv, exercises.csv ...)."
        )
    return sheets


def _read_json(name: str, text: str) -> Sheet:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ImportFileError(f"“{name}” is not valid JSON ({exc}).") from None
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data = data["results"]  # a page of an API list
    if not isinstance(data, list):
        raise ImportFileError(f"“{name}” must hold a JSON list of records.")
    if not data:
        raise ImportFileError(f"“{name}” holds an empty list.")
    table = _table_by_name(name)
    if table is None or not table.is_record_file:
        table = _table_by_api_url(data)
    if table is None:
        raise ImportFileError(
            f"Cannot tell which records “{name}” holds: name the file after the API resource "
            "(exercises.json, arms-deals.json)."
        )
    sheet = Sheet(name, table, _record_type(table), format="json")
    for number, item in enumerate(data, start=1):
        sheet.rows.append((number, item))
    return sheet


def _table_by_api_url(items: list[Any]) -> Table | None:
    for item in items:
        url = item.get("api_url") if isinstance(item, dict) else None
        if isinstance(url, str):
            match = re.search(r"/api/v1/([a-z-]+)/", url)
            if match:
                try:
                    return TABLES[registry.for_resource(match.group(1)).csv_file]
                except KeyError:
                    return None
    return None

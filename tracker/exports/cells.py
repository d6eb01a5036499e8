"""How one value is written as a CSV cell, for every CSV the tracker produces.

Conventions (documented for users in docs/exports.md):

* **Empty values.** A value that is unknown or does not apply is an empty cell
  (``EMPTY``), never ``n/a``, ``0`` or an invented date. This is also
  Frictionless' default missing value.
* **Dates.** ISO 8601 (``2019-09-01``); timestamps are UTC, ISO 8601, ``Z``.
* **Several values in one cell** are joined with ``DELIMITER`` (``|``).
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
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from ..codes import DELIMITER

#: The empty-value convention: unknown or not applicable is an empty cell.
EMPTY = ""
#: Prefix that makes a spreadsheet treat a formula-like text cell as text.
INJECTION_PREFIX = "'"
#: First characters a spreadsheet would execute as a formula or control, and the
#: prefix itself: a text that already starts with it gets one more, so that
#: :func:`unneutralise` (drop one leading prefix) gives back every text exactly.
INJECTION_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", INJECTION_PREFIX)

#: Frictionless Table Schema field types used by the tables.
STRING, INTEGER, NUMBER, BOOLEAN, DATE, DATETIME = (
    "string",
    "integer",
    "number",
    "boolean",
    "date",
    "datetime",
)


#: Longest cell our readers of written files accept (the csv module's C long).
CSV_FIELD_LIMIT = 2**31 - 1


def csv_writer(stream: IO[str]) -> Any:
    """The one CSV dialect of the tracker: RFC 4180 (comma, ``"`` quoting, CRLF)."""
    return csv.writer(stream, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)


def open_csv(path: Path, excel: bool) -> IO[str]:
    """Open ``path`` for a CSV file, with a byte-order mark for Excel if asked."""
    return open(path, "w", encoding="utf-8-sig" if excel else "utf-8", newline="")


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
    """Undo :func:`format_cell`'s CSV-injection prefix (for readers and round trips).

    Every text cell that starts with the prefix was given it by the export.
    """
    return cell[1:] if cell.startswith(INJECTION_PREFIX) else cell

"""Exports of the tracker as CSV: the nightly data package and CSV downloads.

The modules, by concern: ``cells`` (how a value is written), ``columns``
(columns and their getters over plain rows), ``links`` (many-valued links
loaded per chunk), ``tables`` (a file's table and its chunked reading),
``files`` (the declaration of every file, per-type facts from
:mod:`tracker.registry`), ``snapshot`` (the data package writer) and
``admin_actions``.

Code outside the exports (the API's ``?format=csv``, the admin) uses only the
two functions below, so a download has exactly the columns and cells of the
matching export file.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import models
from django.db.models import QuerySet

from .files import table_for_model
from .tables import csv_lines

__all__ = ["csv_name", "csv_stream"]


def csv_name(model: type[models.Model]) -> str:
    """The file stem of ``model``'s CSV rows (``Exercise`` -> ``exercises``).

    Raises ``LookupError`` for a model that has no CSV file.
    """
    return table_for_model(model).name


def csv_stream(
    model: type[models.Model],
    queryset: QuerySet | None = None,
    *,
    bom: bool = False,
    public: bool = False,
) -> Iterator[str]:
    """The CSV text of ``queryset`` (default: every row of ``model``), line by line.

    The columns and cells of ``model``'s export file, the export's dialect
    (RFC 4180, CRLF), one header row; ``bom`` starts it with a byte-order mark
    for Excel. ``queryset`` may be filtered or sliced; its own ordering, joins
    and prefetches are not used (rows come in primary-key order, read in
    chunks). Raises ``LookupError`` at once for a model that has no CSV file.
    ``public``: only what anonymous readers may see (:mod:`tracker.public`).
    """
    return csv_lines(table_for_model(model), queryset, bom=bom, public=public)

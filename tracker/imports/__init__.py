"""Bulk import of records from a file in the export's own format, with a preview.

An editor (admin "Import records" page) or a script (``python manage.py
import_records``) hands over a file: one CSV per record type as the export
writes it, the whole data package as a zip, or a JSON list in the API's
format for one resource. The *preview* reads it, matches every row to a
stored record by slug and says what it would do, row by row (create, change
with each field's old and new value, unchanged, or refused with the column
and the reason); nothing is stored. *Applying* it writes every row through
:func:`tracker.services.record_save` in one transaction, as one revision of
the history and one entry in the change log, and refuses if a record
changed since the preview.

Modules: ``reading`` (the file: format, record type, rows), ``parsing`` (a
row as the record it proposes, with the admin's and the API's parsers),
``rows`` (every row of an upload, and the order of writing), ``plan`` (the
preview: bulk lookups, comparison, validation), ``differences`` (old and new
values in words), ``applying`` (the write), ``uploads`` (files kept between
preview and confirmation) and ``report`` (the preview as text). See
docs/import.md.
"""

from __future__ import annotations

from ..models import Import
from .applying import ImportRefused, ImportStale, apply_plan
from .plan import CHANGE, CREATE, REFUSED, UNCHANGED, Plan, RowPlan, build_plan
from .reading import ImportFileError, max_bytes, read_upload

__all__ = [
    "CHANGE",
    "CREATE",
    "REFUSED",
    "UNCHANGED",
    "ImportFileError",
    "ImportRefused",
    "ImportStale",
    "Plan",
    "RowPlan",
    "apply_file",
    "apply_plan",
    "max_bytes",
    "preview",
]


def preview(name: str, data: bytes, *, user=None) -> Plan:
    """What importing ``data`` (a file called ``name``) would do; nothing is stored.

    Raises :class:`ImportFileError` for a file that cannot be read at all.
    """
    return build_plan(read_upload(name, data), user=user)


def apply_file(
    name: str, data: bytes, *, user=None, previewed: dict[str, str] | None = None
) -> tuple[Plan, Import]:
    """Import ``data``: preview it afresh, then write it all or nothing.

    ``previewed`` is the :meth:`Plan.versions` of the preview the editor
    confirmed; a record changed since is refused (:class:`ImportStale`).
    """
    plan = preview(name, data, user=user)
    return plan, apply_plan(plan, user=user, previewed=previewed)

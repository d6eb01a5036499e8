"""The publication status of imported records (docs/workflow.md, docs/import.md).

Imported records follow the workflow's rule for new records: they start as
**drafts**. A ``publication_status`` column (or API field) is honoured only
for an editor who may publish the records through the import: one who may
change records of that type, and only while the setting ``REVIEW_REQUIRED``
is off (with it on, the importer would be the last editor of every record it
publishes, which the four-eyes rule refuses). For anyone else the column is
ignored, with a note in the preview, and stored records keep their status.
"""

from __future__ import annotations

from .. import public
from ..models import PublicationStatus
from ..registry import RecordType

STATUS_FIELD = "publication_status"


def may_publish(user, record_type: RecordType) -> bool:
    """Whether an import by ``user`` may set the publication status of ``record_type``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if public.review_required():
        return False
    meta = record_type.model._meta
    return user.has_perm(f"{meta.app_label}.change_{meta.model_name}")


def why_not(user) -> str:
    """Why a ``publication_status`` cell is ignored for ``user``."""
    if public.review_required():
        return "review is required, so another editor publishes imported records"
    if user is None or not getattr(user, "is_authenticated", False):
        return "an import without an editor (--user) does not publish"
    return "you may not publish these records"


def settle(row, user) -> None:
    """Drop a ``publication_status`` the importer may not set; note what a new record gets."""
    proposal = row.proposal
    if STATUS_FIELD in proposal.fields and not may_publish(user, proposal.record_type):
        given = proposal.fields.pop(STATUS_FIELD)
        row.notes.append(f"{STATUS_FIELD} “{given}” ignored: {why_not(user)}.")


def created_note(instance) -> str:
    """How a new record is created: ``created as a draft``."""
    status = getattr(instance, STATUS_FIELD, PublicationStatus.DRAFT)
    return f"created as {'a draft' if status == PublicationStatus.DRAFT else status}."

"""Publishing: the rules a record passes to be published, and the one call that moves it.

A record's ``publication_status`` is ``draft``, ``in_review`` or ``published``;
only published records reach the public (:mod:`tracker.public`). The status
changes through the one write path (:func:`tracker.services.record_save`), so
a change of status is validated, version checked and kept in the history like
any other save; :func:`record_set_publication` is that save with the step
named in the revision comment (``Published. Checked against footnote 12.``).

The rules (docs/workflow.md):

* dated: a published agreement, exercise, arms deal or statement has a date
  or is marked "date unknown" (the model's ``clean`` and a check constraint);
  actors and sources have no date rule;
* cited: a record of a type that must cite (``registry.must_cite``) has a
  citation (the write path's rule, at every status);
* four eyes, with the setting ``REVIEW_REQUIRED``: the editor who publishes is
  not the record's last editor (read from its history), and publishing
  changes nothing else.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from . import history
from . import public as gate
from .compare import current_state
from .models import DeletedRecord, PublicationStatus, TrackedModel

PUBLISHED = PublicationStatus.PUBLISHED


def publishes(record: TrackedModel, stored_status: str | None) -> bool:
    """Whether this save makes ``record`` published (it was not, or is new)."""
    return record.is_published and stored_status != PUBLISHED


def update_tombstone(record: TrackedModel, stored_status: str | None) -> None:
    """Keep the deletions feed true for each reader after a save.

    A live record is never listed as deleted for editors: their consumers
    would drop it (a recovered record is the same again). A record the public
    knew (published before this save, or deleted while published) and that is
    not published now is listed for the public as ``withdrawn``: their copies
    must drop it. A published record is listed nowhere.
    """
    tombstones = DeletedRecord.objects.filter(record_type=record.record_type(), slug=record.slug)
    if record.is_published:
        tombstones.delete()
        return
    known = tombstones.filter(public=True)
    if known.exists():
        # Still gone for the public since it was deleted or withdrawn; live for editors.
        known.update(withdrawn=True)
        tombstones.filter(public=False).delete()
    elif stored_status == PUBLISHED:
        tombstones.delete()
        DeletedRecord.objects.create(
            record_type=record.record_type(), slug=record.slug, public=True, withdrawn=True
        )
    else:
        tombstones.delete()


class PublishingRefused(ValidationError):
    """A rule of publishing refuses the change (its message names the rule)."""


#: How many of a record's latest versions are read to find its last editor.
EDITOR_VERSIONS = 20


def last_editor(record: TrackedModel):
    """The user who last changed what ``record`` says (``None``: unknown, e.g. the seed).

    Read from its history, newest first, passing over the steps of publication
    (submitting for review, sending back): whoever submitted a record did not
    write it, and may publish a colleague's work. A revision is such a step when
    its comment names one and the record's fields are those of the version
    before it, but for the status.
    """
    if record.pk is None:
        return None
    versions = list(history.revisions_of(record)[:EDITOR_VERSIONS])
    for newer, older in zip(versions, [*versions[1:], None], strict=True):
        if older is None or not _status_step(newer, older):
            return newer.revision.user
    return None


def _content(version) -> dict:
    fields = version.field_dict
    return {
        name: value
        for name, value in fields.items()
        if name not in history.BOOKKEEPING_FIELDS and name != "publication_status"
    }


def _status_step(newer, older) -> bool:
    comment = newer.revision.get_comment()
    named = comment.startswith(("Published.", "Submitted for review.", "Sent back to draft.")) or (
        comment.startswith(("Unpublished", "Publication status set"))
    )
    return named and _content(newer) == _content(older)


def check_four_eyes(record: TrackedModel, before, user, link_sets) -> None:
    """With ``REVIEW_REQUIRED``, refuse publishing by the record's last editor.

    The publisher must be a second pair of eyes: not the last editor of the
    record (read from its history), and publishing must change nothing else,
    or the publisher would be the last editor of what is published. A new
    record cannot be created published. Without the setting, nothing is checked.
    """
    if not gate.review_required():
        return
    if before is None:
        raise PublishingRefused(
            {
                "publication_status": [
                    "Review required: a new record starts as a draft; another editor publishes it."
                ]
            },
            code="four_eyes",
        )
    after = current_state(record, (), from_instance=True)
    edited = [
        name
        for name, value in after.values.items()
        if name not in history.BOOKKEEPING_FIELDS
        and name != "publication_status"
        and before.values.get(name) != value
    ]
    if edited or link_sets:
        raise PublishingRefused(
            {
                "publication_status": [
                    "Review required: publish without other changes, so that what is "
                    "published is what a second editor reviewed. Save the changes first."
                ]
            },
            code="four_eyes",
        )
    editor = last_editor(record)
    if editor is not None and user is not None and editor.pk == getattr(user, "pk", None):
        raise PublishingRefused(
            {
                "publication_status": [
                    f"Review required: {editor.get_username()} made the last change to this "
                    f"{record._meta.verbose_name}; another editor must publish it (four eyes)."
                ]
            },
            code="four_eyes",
        )


#: Revision comments of the changes of publication status (old, new) -> verb.
PUBLICATION_VERBS = {
    (PublicationStatus.DRAFT, PublicationStatus.IN_REVIEW): "Submitted for review",
    (PublicationStatus.IN_REVIEW, PublicationStatus.DRAFT): "Sent back to draft",
    (PublicationStatus.PUBLISHED, PublicationStatus.DRAFT): "Unpublished",
    (PublicationStatus.PUBLISHED, PublicationStatus.IN_REVIEW): "Unpublished for review",
}


def publication_verb(old: str, new: str) -> str:
    """How the history names a change of publication status (``Published``)."""
    if new == PUBLISHED:
        return "Published"
    return PUBLICATION_VERBS.get((old, new), f"Publication status set to {new}")


def record_set_publication(
    record: TrackedModel,
    status: str,
    *,
    user=None,
    comment: str = "",
    expected_version: str | None = None,
) -> TrackedModel:
    """Move ``record`` to publication ``status`` through :func:`record_save`.

    Submitting for review, publishing, sending back to draft and unpublishing
    are all this call; the revision's comment names the step and carries
    ``comment`` (the editor's words). The publishing rules apply (dated,
    cited, four eyes): a refusal is a ``ValidationError`` on
    ``publication_status`` (or ``citations``) and nothing is stored; a record
    saved since ``expected_version`` is refused with ``StaleRecord``.
    """
    if status not in PublicationStatus.values:
        raise ValidationError(
            {"publication_status": [f"Unknown publication status “{str(status)[:40]}”."]}
        )
    old = record.publication_status
    if old == status:
        raise ValidationError(
            {"publication_status": [f"The {record._meta.verbose_name} is already {status}."]}
        )
    record.publication_status = status
    words = publication_verb(old, status) + "."
    if comment.strip():
        words += " " + comment.strip()
    try:
        from .services import record_save  # the write path builds on these rules

        return record_save(record, user=user, expected_version=expected_version, comment=words)
    except ValidationError:
        record.publication_status = old
        raise

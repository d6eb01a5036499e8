"""Versions of a record, and the refusal of a write based on an old one (no lost updates).

A record's version is its ``updated_at`` as a token (microseconds since the
epoch). Every door that writes names the version its user started from:

* the admin's change form carries it in a hidden field (:class:`VersionField`,
  checked by :func:`check_form_version`);
* the API hands it out as the ``ETag`` (:func:`etag`) and takes it back in
  ``If-Match`` (:func:`if_match`), answering **428** without one and **412**
  when it is stale (:class:`PreconditionRequired`, :class:`PreconditionFailed`);
* :func:`tracker.services.record_save` checks it under a row lock
  (:func:`check_version`) and raises :class:`StaleRecord`, whichever door
  the write came in by.

This module is the one place where tokens are made, read and compared.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from rest_framework import exceptions, status

from .models import TrackedModel


# ----------------------------------------------------------------------------
# Tokens
# ----------------------------------------------------------------------------
def version_token(updated_at: dt.datetime) -> str:
    """The version of a record as clients see it: microseconds since the epoch."""
    return str(int(updated_at.timestamp() * 1_000_000))


def parse_version_token(token: str) -> dt.datetime | None:
    """The ``updated_at`` a version token stands for, or ``None`` if it is not one."""
    token = token.strip()
    # isascii: str.isdigit() also accepts digits such as "²", which int() refuses.
    if not (token.isascii() and token.isdigit()) or len(token) > 20:
        return None
    try:
        return dt.datetime.fromtimestamp(int(token) / 1_000_000, tz=dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def record_version(record: TrackedModel) -> str | None:
    """The version token of ``record`` as loaded (``None`` before its first save)."""
    return version_token(record.updated_at) if record.updated_at is not None else None


# ----------------------------------------------------------------------------
# The check, for every write path
# ----------------------------------------------------------------------------
class StaleRecord(ValidationError):
    """A save based on a version of the record that is no longer the current one.

    Raised by :func:`check_version` when another editor saved the record after
    this editor opened it; nothing is written. ``changes`` lists what the other
    saves did, for the message.
    """

    def __init__(self, record: TrackedModel, changes: list[str]):
        self.record = record
        self.changes = changes
        noun = record._meta.verbose_name
        what = " ".join(changes) if changes else "It was changed."
        super().__init__(
            f"This {noun} was changed by someone else after you opened it, so your changes "
            f"were not saved (nothing of theirs was overwritten). {what} Reload the "
            f"{noun} to see the current version, then make your changes again.",
            code="stale",
        )


def stale(record: TrackedModel, expected_version: str) -> StaleRecord:
    """The refusal of a write from ``expected_version``, saying what changed since."""
    from .history import changes_since

    since = parse_version_token(expected_version)
    return StaleRecord(record, changes_since(record, since) if since else [])


def check_version(record: TrackedModel, expected_version: str) -> None:
    """Refuse (``StaleRecord``) if ``record`` was saved since ``expected_version``.

    The stored row is locked until the surrounding transaction ends, so two
    saves from the same version cannot both pass this check.
    """
    stored = (
        type(record)
        ._default_manager.select_for_update()
        .filter(pk=record.pk)
        .values_list("updated_at", flat=True)
        .first()
    )
    if stored is None or version_token(stored) == expected_version:
        return
    raise stale(record, expected_version)


# ----------------------------------------------------------------------------
# The admin: a hidden field on every change form
# ----------------------------------------------------------------------------
NO_VERSION_MESSAGE = (
    "This form does not say which version of the record it was opened on, so saving it "
    "could overwrite someone else's changes. Reload the page and make your changes again."
)


class VersionField(forms.CharField):
    """The hidden field holding the version a change form was opened on."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)


def check_form_version(record: TrackedModel, version: str | None) -> None:
    """A form's check: refuse a change form without a version or opened on an old one.

    Raised as a form error (shown at the top of the form) rather than later in
    ``save_model``, where the admin could no longer show it; the row stays
    locked until the admin's transaction ends.
    """
    if record.pk is None:
        return
    if not version:
        raise forms.ValidationError(NO_VERSION_MESSAGE, code="no_version")
    check_version(record, version)


# ----------------------------------------------------------------------------
# The API: ETag, If-Match, 412 and 428
# ----------------------------------------------------------------------------
class PreconditionRequired(exceptions.APIException):
    """428: an update that does not say which version of the record it replaces."""

    status_code = 428
    default_code = "precondition_required"
    default_detail = (
        "Send the record's ETag (from reading it) in an If-Match header: updates without "
        "a version could overwrite someone else's changes."
    )


class PreconditionFailed(exceptions.APIException):
    """412: the record was changed since the version named in If-Match."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "precondition_failed"

    def __init__(self, message: str, changes: list[str], current_etag: str):
        super().__init__({"detail": message, "changes": changes, "current_etag": current_etag})


def etag(record: TrackedModel) -> str:
    """The record's ETag: its version token, quoted (a strong validator)."""
    return f'"{version_token(record.updated_at)}"'


def precondition_failed(exc: StaleRecord) -> PreconditionFailed:
    """The 412 answer to a stale write, naming the record's current ETag."""
    record = exc.record
    stored = type(record)._default_manager.filter(pk=record.pk).values_list("updated_at", flat=True)
    current = stored.first()
    return PreconditionFailed(
        exc.messages[0], exc.changes, f'"{version_token(current)}"' if current else ""
    )


def if_match(header: str, record: TrackedModel, *, required: bool) -> str | None:
    """The version token an ``If-Match`` header names for ``record``.

    Accepts one or several ETags, weak or strong (``W/"…"``), as RFC 9110
    allows. Without a header (or with ``*``) answers 428 when ``required``,
    else ``None`` (no check). A header naming another version answers 412
    saying what changed since.
    """
    header = header.strip()
    if not header or header == "*":
        if required:
            raise PreconditionRequired()
        return None
    current = version_token(record.updated_at)
    tokens = [part.strip().removeprefix("W/").strip('"') for part in header.split(",")]
    if current in tokens:
        return current
    named = next((t for t in tokens if parse_version_token(t) is not None), None)
    if named is None:
        raise PreconditionFailed(
            "If-Match does not name a version of this record. Read the record again and "
            "send its ETag.",
            [],
            etag(record),
        )
    raise precondition_failed(stale(record, named))

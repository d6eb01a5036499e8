"""The change log behind the sync feed: what was written, in an order that is safe to resume.

Every save or deletion of a public record adds a :class:`~tracker.models.Change`
row in the same transaction (signals below, and :func:`touch` for records whose
representation changes because something they show changed). The feed
(``/api/v1/changes/``) hands the rows out ordered by ``(txid, id)`` and a
consumer resumes after the last pair it received.

Why that order, and the horizon. On PostgreSQL, ids from a sequence are taken
in the order transactions *reach* the insert, but they become visible in the
order transactions *commit*: a long transaction can hold change 10 while
change 11 is already committed and read. A consumer resuming "after 11" would
never see 10. So each row also stores its transaction id (``xid8``, never
wraps), and the feed only hands out rows whose transaction id is below
``pg_snapshot_xmin(pg_current_snapshot())``: the oldest transaction still in
progress. Every transaction that commits later has an id at or above that
horizon, hence sorts after every row already handed out: the prefix of the
log below the horizon never changes once read. A long-running write delays the
feed (its own and later rows wait until it ends); it never makes a consumer
miss anything.

What the public reads. Each row also says whether anonymous readers see the
change (``public``): the record is published after it, or the change took a
published record out of publication (unpublished, or deleted while
published). The public feed lists those rows only, and reads each record
through the gate (:mod:`tracker.public`): a record taken back from
publication is handed out as ``deleted``, so mirrors drop it, and a record that
was never published never appears, not even its slug.

On SQLite a write transaction holds the database's only write lock from its
first write to its commit, so ``id`` order is commit order; ``txid`` is 0 and
there is no horizon.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Change, PublicationStatus, TrackedModel

#: The oldest transaction still in progress, in the same snapshot as the query reading the log.
HORIZON_SQL = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
#: The reading transaction's own id, if it wrote anything (its own rows are visible to it).
OWN_TXID_SQL = "pg_current_xact_id_if_assigned()::text::bigint"


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def current_txid() -> int:
    """The writing transaction's id on PostgreSQL (assigned now if need be); 0 elsewhere."""
    if not _on_postgresql():
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id()::text::bigint")
        return cursor.fetchone()[0]


def log(
    model: type[TrackedModel],
    slugs: Iterable[str],
    *,
    deleted: bool = False,
    public: bool | Iterable[bool] = True,
) -> None:
    """Add one change row per slug of ``model``, in the caller's transaction (one INSERT).

    ``public``: whether anonymous readers see the change, for all slugs or one per slug.
    """
    slugs = list(slugs)
    if not slugs:
        return
    flags = [public] * len(slugs) if isinstance(public, bool) else list(public)
    txid = current_txid()
    record_type = model.record_type()
    Change.objects.bulk_create(
        Change(txid=txid, record_type=record_type, slug=slug, deleted=deleted, public=flag)
        for slug, flag in zip(slugs, flags, strict=True)
    )


def touch(queryset: models.QuerySet, now) -> None:
    """Move ``updated_at`` of every record in ``queryset`` to ``now`` and log them as changed.

    For records whose representation changes because something they show
    changed (a renamed actor, a citation added). One UPDATE, one SELECT, one
    INSERT per call.
    """
    model = queryset.model
    rows = list(
        model._default_manager.filter(pk__in=queryset.values("pk")).values_list(
            "slug", "publication_status"
        )
    )
    model._default_manager.filter(pk__in=queryset.values("pk")).update(updated_at=now)
    # The public sees a touched record's change only if it sees the record.
    log(
        model,
        (slug for slug, _ in rows),
        public=(status == PublicationStatus.PUBLISHED for _, status in rows),
    )


def was_published(instance: TrackedModel) -> bool:
    """Whether ``instance`` was published as last read from or written to the database."""
    return getattr(instance, "_stored_publication_status", None) == PublicationStatus.PUBLISHED


@receiver(post_save)
def log_save(sender, instance, **kwargs) -> None:
    """Every saved public record is a change (admin, API, imports and fixtures alike).

    Public if the record is published now or was before this save (it left publication).
    """
    if isinstance(instance, TrackedModel):
        log(sender, [instance.slug], public=instance.is_published or was_published(instance))
        instance._stored_publication_status = instance.publication_status


@receiver(post_delete)
def log_delete(sender, instance, **kwargs) -> None:
    """Every deleted public record is a change too (``deleted``); public if it was published."""
    if isinstance(instance, TrackedModel):
        public = instance.is_published or was_published(instance)
        log(sender, [instance.slug], deleted=True, public=public)


# -- reading ---------------------------------------------------------------------------


#: What a sync token looks like (18 digits stay within a bigint).
TOKEN_PATTERN = r"^c1\.[0-9]{1,18}\.[0-9]{1,18}$"
_TOKEN_RE = re.compile(TOKEN_PATTERN)


@dataclass(frozen=True, order=True)
class Position:
    """Where a consumer is in the log: after the change ``(txid, id)``."""

    txid: int = 0
    id: int = 0

    def token(self) -> str:
        """The form handed to consumers (``sync_token``, :data:`TOKEN_PATTERN`)."""
        return f"c1.{self.txid}.{self.id}"

    @classmethod
    def from_token(cls, token: str) -> Position:
        """The position a token holds; ``ValueError`` if it has not a token's form.

        Every string of that form is a position (one past the log's end lists nothing
        until the log reaches it).
        """
        if not _TOKEN_RE.match(token):
            raise ValueError("not a sync token")
        _version, txid, change_id = token.split(".")
        return cls(int(txid), int(change_id))


def settled(after: Position, *, public: bool = False) -> models.QuerySet:
    """Change rows after ``after`` that no open transaction can still precede, in feed order.

    ``public``: only the changes anonymous readers see (see the module doc).
    """
    rows = Change.objects.filter(Q(txid__gt=after.txid) | Q(txid=after.txid, id__gt=after.id))
    if public:
        rows = rows.filter(public=True)
    if _on_postgresql():
        # Both expressions are evaluated in the statement's own snapshot, the one
        # that decides which rows the statement sees. A reader that has itself
        # written (a test inside its transaction) also sees its own rows; requests
        # reading the feed write nothing, so for them that clause matches nothing.
        rows = rows.filter(Q(txid__lt=RawSQL(HORIZON_SQL, [])) | Q(txid=RawSQL(OWN_TXID_SQL, [])))
    return rows.order_by("txid", "id")

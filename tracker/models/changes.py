"""The change log: one row per write to a public record, read by the sync feed."""

from __future__ import annotations

from django.db import models


class Change(models.Model):
    """A public record was saved or deleted (see :mod:`tracker.changes`).

    Rows are written in the same transaction as the record, so a change is
    visible exactly when the record's new state is. The feed hands them out
    ordered by ``(txid, id)`` and only below the oldest still-open writing
    transaction, so a consumer's position never passes a write that has not
    committed yet.
    """

    #: PostgreSQL's transaction id (``pg_current_xact_id()``, 64-bit) of the write;
    #: 0 on SQLite, where writes are serialised and ``id`` alone is commit order.
    txid = models.BigIntegerField(default=0)
    record_type = models.CharField(max_length=40)
    slug = models.SlugField(max_length=120, db_index=False)
    deleted = models.BooleanField(default=False)
    #: Anonymous readers see this change: the record is published after it, or
    #: the change took it out of publication (unpublished or deleted while published).
    public = models.BooleanField(default=True)
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["txid", "id"]
        indexes = [models.Index(fields=["txid", "id"], name="change_feed_order")]

    def __str__(self) -> str:
        verb = "deleted" if self.deleted else "saved"
        return f"{self.record_type} {self.slug} {verb} (change {self.pk})"

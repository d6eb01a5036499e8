"""Record deletions as tombstones so mirrors learn of them and slugs are never reused."""

from __future__ import annotations

from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import DeletedRecord, TrackedModel


@receiver(post_delete)
def log_deletion(sender, instance, **kwargs) -> None:
    """Keep a tombstone for every deleted public record (fixture loads included)."""
    if isinstance(instance, TrackedModel):
        DeletedRecord.objects.get_or_create(record_type=sender.record_type(), slug=instance.slug)

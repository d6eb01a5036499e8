"""Record deletions as tombstones so mirrors learn of them and slugs are never reused."""

from __future__ import annotations

from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from .changes import was_published
from .models import DeletedRecord, TrackedModel


@receiver(post_delete)
def log_deletion(sender, instance, **kwargs) -> None:
    """Keep a tombstone for every deleted public record (fixture loads included).

    ``public`` when anonymous readers knew the record: published when deleted,
    or already withdrawn from them (its tombstone then becomes a deletion for
    editors too, dated now).
    """
    if isinstance(instance, TrackedModel):
        tombstones = DeletedRecord.objects.filter(
            record_type=sender.record_type(), slug=instance.slug
        )
        public = (
            instance.is_published
            or was_published(instance)
            or tombstones.filter(public=True).exists()
        )
        DeletedRecord.objects.update_or_create(
            record_type=sender.record_type(),
            slug=instance.slug,
            defaults={"public": public, "withdrawn": False, "deleted_at": timezone.now()},
        )

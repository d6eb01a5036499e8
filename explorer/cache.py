"""The explorer's page cache, emptied (by a new key version) whenever a record changes.

Pages are cached whole per URL for anonymous readers. Rather than finding
which pages a write affects (a renamed actor shows on hundreds), every write
to the tracker's tables bumps one version number that is part of every key:
the next request of any page renders afresh, and the old entries expire.
The write path (``tracker.services.record_save``/``record_delete``, the
admin, the API and fixture loads) saves through the ORM, so the model signals
below see every write, link rows and citations included.
"""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver
from django.http import HttpResponse

from tracker.models import Change

VERSION_KEY = "explorer:version"
#: Seconds a page stays cached when nothing changes.
TIMEOUT = settings.EXPLORER_CACHE_SECONDS


def version() -> int:
    """The current key version (1 when the cache holds none)."""
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, 1, None)
        current = cache.get(VERSION_KEY, 1)
    return current


def bump() -> None:
    """Make every cached page stale."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (a cleared cache): any new value is fresh
        cache.set(VERSION_KEY, 2, None)


def _is_tracker_row(sender) -> bool:
    return sender._meta.app_label == "tracker" and sender is not Change


@receiver(post_save)
@receiver(post_delete)
def record_written(sender, **kwargs) -> None:
    """A record, link row or citation was saved or deleted: pages may show it."""
    if _is_tracker_row(sender):
        bump()


@receiver(m2m_changed)
def links_changed(sender, **kwargs) -> None:
    """A statement's "about" links changed."""
    if sender._meta.app_label == "tracker" and kwargs.get("action", "").startswith("post_"):
        bump()


def cached_page(view):
    """Cache ``view``'s successful GET answers for anonymous readers, keyed by full URL."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "GET" or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        key = f"explorer:page:{version()}:{request.get_full_path()}"
        stored = cache.get(key)
        if stored is not None:
            content, content_type = stored
            response = HttpResponse(content, content_type=content_type)
            response["X-Explorer-Cache"] = "hit"
            return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response.render()
        if response.status_code == 200 and not response.streaming:
            cache.set(key, (response.content, response["Content-Type"]), TIMEOUT)
        return response

    return wrapper

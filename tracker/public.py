"""The one gate for what anonymous readers see.

Every public read (the API for anonymous clients, the explorer, feeds, search
and the nightly snapshot) takes its rows through :func:`published`, so that the
editorial workflow decides in one place what leaves the editors' desk.
"""

from __future__ import annotations

from django.db import models


def published(queryset: models.QuerySet) -> models.QuerySet:
    """Rows of ``queryset`` that anonymous readers may see.

    Until records carry a publication status every record is public; the
    workflow narrows this to published records.
    """
    return queryset

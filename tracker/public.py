"""The one gate for what anonymous readers see.

Every public read (the API for anonymous clients, the explorer, feeds, search
and the nightly snapshot) takes its rows through :func:`published`, so that the
editorial workflow decides in one place what leaves the editors' desk: records
whose ``publication_status`` is ``published``. Link rows (citations,
participants, what a statement concerns) are public when every record they
join is (:func:`public_links`): a published exercise does not name a draft
actor, a citation of a draft source is left out.

Who sees drafts: editors (the Editors group, or a superuser), see
:func:`sees_drafts`. Everyone else, logged-in viewers included, reads what the
public reads.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .models import PublicationStatus, TrackedModel

PUBLISHED = PublicationStatus.PUBLISHED


def is_record_model(model: type[models.Model]) -> bool:
    """Whether rows of ``model`` carry a publication status (the six record types)."""
    return issubclass(model, TrackedModel)


def is_published(path: str = "") -> models.Q:
    """The condition that the record at ``path`` (a relation's name, or "" for the row
    itself) is published."""
    prefix = f"{path}__" if path else ""
    return models.Q(**{f"{prefix}publication_status": PUBLISHED})


def is_published_test(condition, queryset: models.QuerySet) -> bool:
    """Whether a resolved condition of ``queryset`` (a lookup, as
    :func:`tracker.internals.and_conditions` lists them) is :func:`is_published` on the
    list's own rows."""
    from django.db.models.lookups import Exact

    from .internals import own_field

    if not isinstance(condition, Exact) or condition.rhs != PUBLISHED:
        return False
    field = own_field(condition.lhs, queryset)
    return field is not None and field.name == "publication_status"


def published(queryset: models.QuerySet) -> models.QuerySet:
    """Rows of ``queryset`` that anonymous readers may see.

    For records, the published ones; for link rows, :func:`public_links`.
    One condition on the rows' own column (indexed), never a query per row.
    """
    if is_record_model(queryset.model):
        return queryset.filter(is_published())
    return public_links(queryset)


def public_links(queryset: models.QuerySet) -> models.QuerySet:
    """Link rows whose every linked record (where one is set) is published.

    A citation joins a source and one record; a participant an exercise and an
    actor: the row is public only if each end is, so that no draft's slug or
    name is reached through it.
    """
    condition = models.Q()
    for field in queryset.model._meta.concrete_fields:
        if field.is_relation and is_record_model(field.related_model):
            condition &= models.Q(**{f"{field.name}__isnull": True}) | is_published(field.name)
    return queryset.filter(condition)


def unpublished_keys(model: type[models.Model]) -> models.QuerySet:
    """The keys of the records of ``model`` the public does not read: few, and held by a
    partial index of their own (``models.base.unpublished_keys_index``)."""
    return model._default_manager.exclude(is_published()).values("pk")


def without_draft_ends(queryset: models.QuerySet, *ends: str) -> models.QuerySet:
    """Link rows of ``queryset`` none of whose ``ends`` (foreign keys to records) is a
    draft: :func:`public_links` for those ends alone, each tested against
    :func:`unpublished_keys` rather than joined. For a caller that knows the other
    ends published (its list's own records): joined, the disputed exercises' values
    at a million read all 100,000 sources, 40 ms against 10."""
    for end in ends:
        target = queryset.model._meta.get_field(end).related_model
        queryset = queryset.exclude(**{f"{end}__in": unpublished_keys(target)})
    return queryset


def sees_drafts(user) -> bool:
    """Whether ``user`` reads drafts too: an editor (Editors group) or a superuser.

    Anonymous readers and viewers read published records only.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_tracker_sees_drafts", None)
    if cached is None:
        from .editors import EDITORS_GROUP

        cached = user.groups.filter(name=EDITORS_GROUP).exists()
        user._tracker_sees_drafts = cached
    return cached


def for_user(queryset: models.QuerySet, user) -> models.QuerySet:
    """``queryset`` as ``user`` may read it: everything for editors, else :func:`published`."""
    return queryset if sees_drafts(user) else published(queryset)


def review_required() -> bool:
    """Whether publishing needs a second editor (setting ``REVIEW_REQUIRED``)."""
    return bool(getattr(settings, "REVIEW_REQUIRED", False))

"""The one write path for records that span several tables.

The admin and the API both save through these functions, so a record is
validated the same way (``full_clean``: model ``clean`` plus constraints)
whichever door it comes in by, and a write that touches several tables
happens completely or not at all.

Every save and delete is also a revision in the record's history (see
:mod:`tracker.history`): who, when, what changed. A caller that knows which
version of the record its editor started from passes it as
``expected_version``; if someone saved the record since, the write is
refused with :class:`~tracker.versions.StaleRecord` and nothing is stored.

Every record that states a fact (agreements, exercises, arms deals,
statements) cites at least one source; ``record_save`` refuses one that
would have none, whichever door it comes in by, and a citation removed or
moved on its own page may not leave its record without one.

Publishing (see docs/workflow.md) is a change of ``publication_status`` made
through the same path; :func:`tracker.publishing.record_set_publication`
names the step in the history. A record is published only if it passes the
rules (:mod:`tracker.publishing`): dated or marked "date unknown" (the
model's ``clean``), cited (the rule above), and, with the setting
``REVIEW_REQUIRED``, by an editor other than its last editor, without other
changes in the same save (four eyes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import reversion
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from . import changes, claims, history, registry
from .compare import current_state
from .models import (
    Citation,
    Statement,
    TrackedModel,
    normalise_locator,
)
from .publishing import (
    PUBLISHED,
    check_four_eyes,
    publication_verb,
    publishes,
    update_tombstone,
)
from .references import referring_querysets
from .versions import check_version


def citation_required_message(model: type[TrackedModel]) -> str:
    """Why a record of ``model`` without a citation is refused."""
    return (
        f"Cite at least one source: every {model._meta.verbose_name} rests on a source "
        "(add a citation with its footnote or page)."
    )


def citation_target_field(record: models.Model) -> str:
    """The Citation foreign key that points at ``record``'s type (``arms_deal``)."""
    record_type = registry.for_model(type(record)) if isinstance(record, TrackedModel) else None
    if record_type is None or record_type.citation_fk is None:
        raise TypeError(f"{type(record).__name__} records cannot carry citations.")
    return record_type.citation_fk


def _replace_rows(
    record: models.Model,
    related_name: str,
    model: type[models.Model],
    fk: str,
    rows: Iterable[Mapping[str, Any]],
) -> None:
    """Make ``record``'s rows of one link set exactly ``rows``, in their order.

    Rows keep the order they are given in (the order of their keys). Stored
    rows equal to the given ones, in the same order, are kept as they are
    (same key, same timestamps): a citation open on its own page is not
    swept away by a save of its record that left it unchanged. The other
    stored rows are deleted, and the remaining given rows validated and
    created one by one.
    """
    compared = [
        field.attname
        for field in model._meta.concrete_fields
        if field.attname not in history.BOOKKEEPING_FIELDS and field.name != fk
    ]

    def key(obj: models.Model) -> tuple:
        return tuple(getattr(obj, name) for name in compared)

    unmatched: dict[tuple, list[models.Model]] = {}
    for stored in getattr(record, related_name).order_by("pk"):
        unmatched.setdefault(key(stored), []).append(stored)
    new: list[tuple[int, models.Model]] = []
    last_kept = None
    for number, row in enumerate(rows, start=1):
        obj = model(**{fk: record}, **row)
        same = unmatched.get(key(obj), [])
        # Kept only while the given order is the stored one; new rows come after.
        later = [s for s in same if not new and (last_kept is None or s.pk > last_kept)]
        if later:
            same.remove(later[0])
            last_kept = later[0].pk
        else:
            new.append((number, obj))
    gone = [stored.pk for rows_left in unmatched.values() for stored in rows_left]
    if gone:
        model._default_manager.filter(pk__in=gone).delete()
    errors: list[str] = []
    for number, obj in new:
        try:
            # Rows are validated and saved one by one so that a duplicate within
            # the new set fails validation (the caller's transaction undoes the rest).
            obj.full_clean()
        except ValidationError as exc:
            errors.extend(
                f"Row {number}, {field}: {message}"
                if field != "__all__"
                else f"Row {number}: {message}"
                for field, messages in exc.message_dict.items()
                for message in messages
            )
        else:
            obj.save()
    if errors:
        raise ValidationError({related_name: errors})


@transaction.atomic
def record_save(
    record: TrackedModel,
    *,
    links: Iterable[Mapping[str, Any]] | None = None,
    citations: Iterable[Mapping[str, Any]] | None = None,
    about: Mapping[str, Iterable[models.Model]] | None = None,
    reported_values: Iterable[Mapping[str, Any]] | None = None,
    status_updates: Iterable[Mapping[str, Any]] | None = None,
    user=None,
    expected_version: str | None = None,
    comment: str | None = None,
) -> TrackedModel:
    """Validate and save ``record``, replacing whichever of its link sets are given.

    ``links``      participants / parties / contractors, as dicts of field values
                   (``{"actor": actor, "role": "host"}``) for the record's link table.
    ``citations``  dicts of Citation field values (``{"source": s, "footnote": 7}``).
    ``about``      for statements: ``{"about_exercises": [...], ...}``.
    ``reported_values``, ``status_updates``  dicts of field values of the record's
                   cited rows (``registry.RECORD_ROWS``); the record's own fields
                   follow its preferred values and latest status (:mod:`tracker.claims`).
    ``user``       who saves, for the history.
    ``expected_version``  the version token (:func:`tracker.versions.version_token`)
                   the editor started from; a record saved since is refused.
    ``comment``    the revision's comment (default: what changed, in words).

    A set left as ``None`` is kept as it is. Raises ``ValidationError`` (or its
    subclass ``StaleRecord``) and writes nothing if any part is invalid; a
    record of a type that must cite (``registry.must_cite``) left without a
    citation is refused (error on ``citations``).

    A record given with the key of a deleted one (recovered from its history)
    is stored again under that key with its creation time. Whatever the
    case, a saved record is live, so its identifier leaves the deletions.
    """
    if citations is not None:
        citations = [{**row, "locator": normalise_locator(row.get("locator"))} for row in citations]
    rows = {
        name: None
        if given is None
        else [{**r, "locator": normalise_locator(r.get("locator"))} for r in given]
        for name, given in (
            ("reported_values", reported_values),
            ("status_updates", status_updates),
        )
    }
    with reversion.create_revision():
        if expected_version is not None and record.pk is not None:
            check_version(record, expected_version)
        link_sets = tuple(_given_link_sets(record, links, citations, about, rows))
        before = current_state(record, link_sets)
        claims.align(record, rows)
        stored_status = before.values["publication_status"] if before is not None else None
        # What the database holds decides whether this save leaves publication.
        record._stored_publication_status = stored_status
        _validate(record, citations, publishing=publishes(record, stored_status))
        if publishes(record, stored_status):
            check_four_eyes(record, before, user, link_sets)
        recovering = record.pk is not None and before is None
        recovered_created_at = record.created_at if recovering else None
        # The public's view of records showing this one changes with its visibility.
        summary_changed = _summary_changed(record) or (
            before is not None and (stored_status == PUBLISHED) != record.is_published
        )
        record.save()
        if recovered_created_at is not None:
            type(record)._default_manager.filter(pk=record.pk).update(
                created_at=recovered_created_at
            )
            record.created_at = recovered_created_at
        if summary_changed:
            touch_dependents(record)
        if links is not None:
            link_table = registry.for_model(type(record)).links
            if link_table is None:
                raise ValidationError(f"{record.record_type()} records have no link rows.")
            _replace_rows(record, link_table.related_name, link_table.model, link_table.fk, links)
        if citations is not None:
            _replace_rows(record, "citations", Citation, citation_target_field(record), citations)
        for record_rows in registry.for_model(type(record)).rows:
            given = rows.get(record_rows.related_name)
            if given is not None:
                fk = registry.for_model(type(record)).key
                _replace_rows(record, record_rows.related_name, record_rows.model, fk, given)
        if about is not None:
            if not isinstance(record, Statement):
                raise ValidationError("Only statements say what they concern.")
            for name, targets in about.items():
                if name not in registry.about_relations():
                    raise ValidationError(f"Unknown link “{name}”.")
                getattr(record, name).set(list(targets))
        update_tombstone(record, stored_status)
        if comment:
            reversion.set_comment(comment)
        elif stored_status is not None and stored_status != record.publication_status:
            # A change of status made with other changes (an API PATCH, a form) is named too.
            description = history.describe_change(
                before, current_state(record, link_sets, from_instance=True)
            )
            reversion.set_comment(
                f"{publication_verb(stored_status, record.publication_status)}. {description}"
            )
        _describe_revision(record, before, link_sets, user)
    return record


def _validate(
    record: TrackedModel, citations: list[Mapping[str, Any]] | None, publishing: bool = False
) -> None:
    """``full_clean`` plus the citation rule, their errors raised together."""
    errors: dict[str, list] = {}
    try:
        record.full_clean()
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    if not _is_cited(record, citations):
        message = citation_required_message(type(record))
        if publishing:
            message = "Publishing needs at least one citation. " + message
        errors.setdefault("citations", []).append(ValidationError(message, code="required"))
    if errors:
        raise ValidationError(errors)


def _is_cited(record: TrackedModel, citations: list[Mapping[str, Any]] | None) -> bool:
    """Whether ``record`` will have a citation (the given set, else the stored one)."""
    if not registry.must_cite(type(record)):
        return True
    if citations is not None:
        return bool(citations)
    if record.pk is None:
        return False
    return Citation.objects.filter(**{f"{citation_target_field(record)}_id": record.pk}).exists()


def _given_link_sets(record, links, citations, about, rows) -> list[str]:
    """Related names of the link sets this save replaces."""
    names = [name for name, given in rows.items() if given is not None]
    link_table = registry.for_model(type(record)).links
    if links is not None and link_table is not None:
        names.append(link_table.related_name)
    if citations is not None:
        names.append("citations")
    if about is not None:
        names += [name for name in about if name in registry.about_relations()]
    return names


def _describe_revision(record, before, link_sets, user) -> None:
    """Name who saved and what changed on the open revision (the admin words it itself)."""
    if user is not None and getattr(user, "is_authenticated", False):
        reversion.set_user(user)
    comment = history.describe_change(before, current_state(record, link_sets, from_instance=True))
    if comment and not reversion.get_comment():
        reversion.set_comment(comment)


@transaction.atomic
def record_delete(record: TrackedModel, *, user=None, expected_version: str | None = None) -> None:
    """Delete ``record`` and its link rows; a tombstone keeps its identifier retired.

    The record and its links are kept as a last revision of its history, from
    which the admin can recover it. Raises ``django.db.models.ProtectedError``
    when other records still refer to it (a cited source, an actor that took
    part in an exercise).
    """
    if expected_version is not None:
        check_version(record, expected_version)
    if user is not None and not user.is_superuser:
        # Editors delete only what nothing refers to. Foreign keys already
        # PROTECT cited sources and linked actors; statements' "what it
        # concerns" lists would silently lose the record, so they block too.
        statements = list(concerning_statements(record)[:DELETE_REFERENCE_LIMIT])
        if statements:
            raise models.ProtectedError(
                f"Cannot delete this {record._meta.verbose_name}: statements concern it. "
                "Remove it from what they concern first.",
                set(statements),
            )
    history.record_deletion(record, user)
    # Statements lose this record from what they concern (the many-to-many
    # rows cascade), so their representation changes too.
    touch_dependents(record, statements_only=True)
    record.delete()


@transaction.atomic
def citation_save(
    citation: Citation,
    *,
    user=None,
    expected_version: str | None = None,
    record_version: str | None = None,
) -> Citation:
    """Save one citation on its own (the admin's citation pages).

    The record it supports shows its citations, so that record's version
    moves (``updated_at``) and its history gets a revision holding the
    citation set as it now is.

    ``expected_version`` is the citation's version and ``record_version`` the
    version of the record it supported, as the editor opened them: if either
    was saved since, the save is refused (``StaleRecord``). A citation moved
    to another record may not leave its former record without a citation.
    """
    with reversion.create_revision():
        former = None
        if citation.pk is not None:
            former = Citation.objects.filter(pk=citation.pk).first()
            if expected_version is not None:
                check_version(citation, expected_version)
            if record_version is not None and former is not None and former.target is not None:
                check_version(former.target, record_version)
        citation.full_clean()
        left = former.target if former is not None else None
        if left is not None and left != citation.target:
            uncited = records_left_uncited([former])
            if uncited:
                raise ValidationError(uncited_message(uncited))
            _touch_citation_target(former, user, "Moved", label=str(former), target=left)
            reversion.add_to_revision(left)
        citation.save()
        _touch_citation_target(citation, user, "Changed")
    return citation


@transaction.atomic
def citation_delete(citation: Citation, *, user=None) -> None:
    """Delete one citation; the record it supported records the removal in its history.

    Refused (``ValidationError``) when it is the last citation of a record
    that must cite a source.
    """
    with reversion.create_revision():
        uncited = records_left_uncited([citation])
        if uncited:
            raise ValidationError(uncited_message(uncited))
        target = citation.target
        label = str(citation)
        citation.delete()
        if target is not None:
            reversion.add_to_revision(target)
            _touch_citation_target(citation, user, "Removed", label=label, target=target)


def records_left_uncited(citations: Iterable[Citation]) -> list[TrackedModel]:
    """The records that must cite and would have no citation without ``citations``.

    Two queries per kind of record the citations support, whatever their number.
    """
    citations = list(citations)
    leaving = {c.pk for c in citations}
    uncited: list[TrackedModel] = []
    for record_type in registry.cited():
        name, model = record_type.citation_fk, record_type.model
        targets = {getattr(c, f"{name}_id") for c in citations} - {None}
        if not record_type.must_cite or not targets:
            continue
        still_cited = set(
            Citation.objects.filter(**{f"{name}_id__in": targets})
            .exclude(pk__in=leaving)
            .values_list(f"{name}_id", flat=True)
        )
        uncited += model._default_manager.filter(pk__in=targets - still_cited)
    return uncited


def uncited_message(records: list[TrackedModel]) -> str:
    """Why removing (or moving) the last citation of ``records`` is refused."""
    named = ", ".join(f"{r._meta.verbose_name} “{r}”" for r in records[:DELETE_REFERENCE_LIMIT])
    return (
        f"This is the only citation of {named}: every record stating a fact cites a source. "
        "Add another citation to it first."
    )


def _touch_citation_target(citation, user, verb, label=None, target=None) -> None:
    target = target or citation.target
    if target is None:
        return
    changes.touch(type(target)._default_manager.filter(pk=target.pk), timezone.now())
    if user is not None and getattr(user, "is_authenticated", False):
        reversion.set_user(user)
    reversion.set_comment(f"{verb} citation “{label or citation}”.")


#: How many referring records a refused deletion names.
DELETE_REFERENCE_LIMIT = 20


def concerning_statements(record: TrackedModel) -> models.QuerySet:
    """Statements whose "what it concerns" lists name ``record``."""
    return statements_concerning_any(type(record), [record])


def statements_concerning_any(model: type[TrackedModel], records) -> models.QuerySet:
    """Statements concerning any of ``records`` (of ``model``), in one query."""
    relation = registry.for_model(model).about
    if relation is None:
        return Statement.objects.none()
    return Statement.objects.filter(**{f"{relation}__in": records}).distinct()


def _summary_changed(record: TrackedModel) -> bool:
    """Whether saving ``record`` changes how other records summarise it."""
    fields = registry.for_model(type(record)).summary_fields
    if not fields or record.pk is None:
        return False
    stored = type(record)._default_manager.filter(pk=record.pk).values(*fields).first()
    return stored is not None and any(stored[f] != getattr(record, f) for f in fields)


def touch_dependents(record: TrackedModel, *, statements_only: bool = False) -> None:
    """Mark as changed (``updated_at``) every record that shows ``record``'s summary.

    An exercise lists its participants by name; when an actor is renamed the
    exercise's representation changes, so consumers syncing (the change log,
    or ``updated_since``) must receive it again. A few queries per dependent table.
    """
    now = timezone.now()
    for queryset in referring_querysets(record, statements_only=statements_only):
        changes.touch(queryset, now)

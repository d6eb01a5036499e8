"""Applying a previewed import: every row through ``record_save``, all or nothing.

The whole file is one transaction and one revision of the history (one
``create_revision`` around every ``record_save``, with a comment naming the
file and its counts), plus one :class:`~tracker.models.Import` row in the
change log. A stored record that changed after the preview was made is not
overwritten: the import is refused (:class:`ImportStale`) and nothing is
written.
"""

from __future__ import annotations

from typing import Any

import reversion
from django.core.exceptions import ValidationError
from django.db import models, transaction
from reversion.models import Version

from .. import registry
from ..models import Import
from ..services import record_save
from ..versions import StaleRecord
from .plan import CHANGE, CREATE, Plan, RowPlan, _slug_map


class ImportRefused(ValueError):
    """The import cannot be applied; ``messages`` say why, row by row."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__(" ".join(messages))


class ImportStale(ImportRefused):
    """A record named by the file changed between the preview and the confirmation."""


def stale_records(plan: Plan, previewed: dict[str, str] | None) -> list[str]:
    """Records whose version now differs from the one the editor's preview showed.

    ``previewed`` is :meth:`Plan.versions` of that preview: a record it did not
    name (created by someone else since) or whose version moved is stale.
    """
    if previewed is None:
        return []
    now = plan.versions()
    stale = []
    for row in plan.rows:
        if row.proposal.slug and previewed.get(row.key) != now.get(row.key):
            stale.append(row.proposal.where)
    return stale


def apply_plan(plan: Plan, *, user=None, previewed: dict[str, str] | None = None) -> Import:
    """Write ``plan`` (fresh from :func:`tracker.imports.plan.build_plan`) in one transaction.

    Raises :class:`ImportRefused` if any row is refused or a write is refused,
    :class:`ImportStale` if a record changed since the preview ``previewed``;
    either way nothing is written.
    """
    if plan.refused:
        raise ImportRefused([reason for row in plan.refused for reason in row.reasons])
    stale = stale_records(plan, previewed)
    if stale:
        raise ImportStale(
            [
                "Records in this file were changed by someone else after your preview "
                f"({', '.join(stale[:10])}{' ...' if len(stale) > 10 else ''}), so nothing was "
                "imported and nothing of theirs was overwritten. Upload the file again to see "
                "the current differences."
            ]
        )
    counts = plan.counts()
    comment = (
        f"Imported {plan.name}: {counts['create']} created, {counts['change']} changed, "
        f"{counts['unchanged']} unchanged."
    )
    writes = [row for row in plan.rows if row.action in (CREATE, CHANGE)]
    try:
        with transaction.atomic():
            with reversion.create_revision():
                if user is not None and getattr(user, "is_authenticated", False):
                    reversion.set_user(user)
                reversion.set_comment(comment)
                resolver = _Resolver(plan)
                for row in writes:
                    _save(row, resolver, user)
            log = Import.objects.create(
                user=user if getattr(user, "is_authenticated", False) else None,
                file_name=plan.name[:255],
                file_format=plan.format,
                created=counts["create"],
                changed=counts["change"],
                unchanged=counts["unchanged"],
                revision=_revision_of(writes),
            )
    except StaleRecord as exc:
        raise ImportStale(
            [f"{exc.record._meta.verbose_name} “{exc.record.slug}”: {exc.messages[0]}"]
        ) from exc
    except ValidationError as exc:
        raise ImportRefused(_messages(exc)) from exc
    return log


class _Resolver:
    """Slugs to keys, for records stored before the import and those it creates."""

    def __init__(self, plan: Plan):
        wanted: dict[type[models.Model], set[str]] = {}
        for row in plan.rows:
            p = row.proposal
            model = p.record_type.model
            for name, slug in p.fks.items():
                wanted.setdefault(model._meta.get_field(name).related_model, set()).add(slug)
            for link in row.links or []:
                wanted.setdefault(registry.ACTOR.model, set()).add(link["actor"])
            for citation in row.citations or []:
                wanted.setdefault(registry.SOURCE.model, set()).add(citation["source"])
            for relation, slugs in (row.about or {}).items():
                wanted.setdefault(model._meta.get_field(relation).related_model, set()).update(
                    slugs
                )
        self.keys = {m: _slug_map(m, {s for s in slugs if s}) for m, slugs in wanted.items()}

    def key(self, model: type[models.Model], slug: str | None) -> Any:
        if slug is None:
            return None
        return self.keys.get(model, {}).get(slug)

    def saved(self, record) -> None:
        self.keys.setdefault(type(record), {})[record.slug] = record.pk


def _save(row: RowPlan, resolver: _Resolver, user) -> None:
    p = row.proposal
    record = row.instance
    model = type(record)
    for name, slug in p.fks.items():
        model_field = model._meta.get_field(name)
        setattr(record, model_field.attname, resolver.key(model_field.related_model, slug))
    links = citations = about = None
    if row.links is not None:
        links = [
            {
                **{k: v for k, v in link.items() if k != "actor"},
                "actor_id": resolver.key(registry.ACTOR.model, link["actor"]),
            }
            for link in row.links
        ]
    if row.citations is not None:
        citations = [
            {
                "source_id": resolver.key(registry.SOURCE.model, c["source"]),
                "footnote": c.get("footnote"),
                "locator": c.get("locator") or "",
                "excerpt": c.get("excerpt") or "",
            }
            for c in row.citations
        ]
    if row.about is not None and (row.action == CREATE or _about_changed(row)):
        about = {
            relation: [
                resolver.key(model._meta.get_field(relation).related_model, s) for s in slugs
            ]
            for relation, slugs in row.about.items()
        }
    try:
        record_save(
            record,
            links=links,
            citations=citations,
            about=about,
            user=user,
            expected_version=row.version if row.action == CHANGE else None,
        )
    except StaleRecord:
        raise
    except ValidationError as exc:
        raise ValidationError([f"{p.where}: {m}" for m in _messages(exc)]) from exc
    resolver.saved(record)


def _about_changed(row: RowPlan) -> bool:
    return any(change.startswith(tuple(f"{r}:" for r in row.about)) for change in row.changes)


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {m}" for field, messages in exc.message_dict.items() for m in messages]
    return list(exc.messages)


def _revision_of(rows: list[RowPlan]):
    """The revision the import's saves were stored in (one query)."""
    if not rows:
        return None
    record = rows[0].instance
    version = Version.objects.get_for_object(record).select_related("revision").first()
    return version.revision if version is not None else None

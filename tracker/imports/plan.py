"""The preview: what each row of a file would do to the stored records.

Every row is matched to a stored record by slug and comes out as one of:
``create``, ``change`` (each field ``old → new``, links added and removed),
``unchanged``, or ``refused`` with the reasons, each naming its column and
row. Nothing is written.

Lookups are made in bulk, a fixed number of queries per batch of slugs
whatever the number of rows: the stored records, the slugs every link points
at, the stored link rows, citations and what statements concern. Rows that
would create or change a record are then validated as the write path will
(``clean_fields`` and the model's ``clean``; foreign keys and uniqueness are
checked here from the bulk lookups), so a preview without refusals is one
that ``record_save`` accepts.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from .. import registry
from ..codes import SLUG, SLUG_PATTERN
from ..models import Citation, DeletedRecord, TrackedModel
from ..services import citation_required_message
from ..versions import record_version
from . import differences, parsing, status
from .reading import Upload
from .rows import apply_order, proposals

#: Slugs per ``IN`` query (SQLite allows 32,766 parameters).
BATCH = 2000

CREATE, CHANGE, UNCHANGED, REFUSED = "create", "change", "unchanged", "refused"
SLUG_RE = re.compile(SLUG_PATTERN)


@dataclass
class RowPlan:
    """What one row does: its action, the changes it makes and why it is refused."""

    proposal: parsing.Proposal
    action: str = UNCHANGED
    #: ``field: old → new``, ``participants: added china``.
    changes: list[str] = field(default_factory=list)
    #: ``column x: why`` for a refused row.
    reasons: list[str] = field(default_factory=list)
    #: What the editor should know of a row that is not refused (an ignored column).
    notes: list[str] = field(default_factory=list)
    #: The stored record's version when previewed (``None`` for a new record).
    version: str | None = None
    #: The record as it would be saved (stored record with the row's values set).
    instance: TrackedModel | None = None
    links: list[dict[str, Any]] | None = None
    citations: list[dict[str, Any]] | None = None
    about: dict[str, list[str]] | None = None

    @property
    def key(self) -> str:
        return f"{self.proposal.record_type.key}:{self.proposal.slug}"

    def refuse(self, column: str, message: str) -> None:
        where = f"column {column}" if column else "row"
        self.reasons.append(f"{self.proposal.where}, {where}: {message}")
        self.action = REFUSED


@dataclass
class Plan:
    """The preview of one upload: a row plan per record row, in apply order."""

    name: str
    format: str
    rows: list[RowPlan]

    def counts(self) -> dict[str, int]:
        """How many rows of each action, every action named."""
        found = Counter(row.action for row in self.rows)
        return {action: found[action] for action in (CREATE, CHANGE, UNCHANGED, REFUSED)}

    def versions(self) -> dict[str, str]:
        """The previewed version of every stored record the file names (``type:slug``)."""
        return {row.key: row.version for row in self.rows if row.version is not None}

    @property
    def refused(self) -> list[RowPlan]:
        return [row for row in self.rows if row.action == REFUSED]

    def summary(self) -> str:
        """``3 created, 1 changed, 5 unchanged, 0 refused``."""
        counts = self.counts()
        return (
            f"{counts[CREATE]} created, {counts[CHANGE]} changed, "
            f"{counts[UNCHANGED]} unchanged, {counts[REFUSED]} refused"
        )


def _batches(items: list[Any]):
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _slug_map(model: type[models.Model], slugs: set[str]) -> dict[str, Any]:
    """``{slug: key}`` of the stored records of ``slugs``; what is no identifier is not asked
    for (PostgreSQL refuses a NUL character in a query outright)."""
    found: dict[str, Any] = {}
    for batch in _batches(sorted(s for s in slugs if isinstance(s, str) and _is_slug(s))):
        found.update(model._default_manager.filter(slug__in=batch).values_list("slug", "pk"))
    return found


def _is_slug(text: str) -> bool:
    return len(text) <= 120 and SLUG_RE.match(text) is not None


def _pk_slugs(model: type[models.Model], pks: set[Any]) -> dict[Any, str]:
    found: dict[Any, str] = {}
    for batch in _batches(sorted(p for p in pks if p is not None)):
        found.update(model._default_manager.filter(pk__in=batch).values_list("pk", "slug"))
    return found


def build_plan(upload: Upload, *, user=None) -> Plan:
    """The preview of ``upload``: read, matched by slug, compared and validated; nothing stored."""
    rows = [RowPlan(p) for p in proposals(upload)]
    _Planner(rows, user).run()
    return Plan(upload.name, upload.format, apply_order(rows))


class _Planner:
    """Bulk lookups for a set of rows, then each row compared and validated."""

    def __init__(self, rows: list[RowPlan], user=None):
        self.rows = rows
        self.user = user
        #: Slugs created by this file, per model.
        self.created: dict[type[models.Model], set[str]] = {}
        self.refs: dict[type[models.Model], dict[str, Any]] = {}
        self.stored: dict[type[models.Model], dict[str, TrackedModel]] = {}
        self.slug_of: dict[type[models.Model], dict[Any, str]] = {}

    def run(self) -> None:
        self._check_slugs()
        self._load_stored()
        self._load_references()
        self._load_links()
        for row in self.rows:
            if row.action != REFUSED:
                self._compare(row)
            if row.action in (CREATE, CHANGE):
                self._validate(row)

    # -- lookups -------------------------------------------------------------------

    def _check_slugs(self) -> None:
        seen: dict[tuple[str, str], str] = {}
        for row in self.rows:
            p = row.proposal
            for column, message in p.errors:
                row.refuse(column, message)
            if not p.slug:
                row.refuse("slug", "every row needs the record's identifier.")
                continue
            try:
                SLUG(p.slug)
            except ValidationError as exc:
                row.refuse("slug", f"“{p.slug[:120]}”: {' '.join(exc.messages)}")
                continue
            first = seen.setdefault((p.record_type.key, p.slug), p.where)
            if first != p.where:
                row.refuse("slug", f"“{p.slug}” is already given in {first}.")

    def _load_stored(self) -> None:
        by_model: dict[type[models.Model], set[str]] = {}
        for row in self.rows:
            by_model.setdefault(row.proposal.record_type.model, set()).add(row.proposal.slug)
        for model, slugs in by_model.items():
            stored: dict[str, TrackedModel] = {}
            for batch in _batches(sorted(s for s in slugs if _is_slug(s))):
                stored.update((r.slug, r) for r in model._default_manager.filter(slug__in=batch))
            self.stored[model] = stored
            self.created[model] = {s for s in slugs if _is_slug(s) and s not in stored}
            retired = set()
            for batch in _batches(sorted(self.created[model])):
                retired.update(
                    DeletedRecord.objects.filter(
                        record_type=model.record_type(), slug__in=batch
                    ).values_list("slug", flat=True)
                )
            for row in self.rows:
                p = row.proposal
                if p.record_type.model is model and p.slug in retired:
                    row.refuse(
                        "slug",
                        f"“{p.slug}” belonged to a deleted record; identifiers are never reused.",
                    )

    def _load_references(self) -> None:
        wanted: dict[type[models.Model], set[str]] = {}
        stored_pks: dict[type[models.Model], set[Any]] = {}
        for row in self.rows:
            p = row.proposal
            model = p.record_type.model
            for name, slug in p.fks.items():
                target = model._meta.get_field(name).related_model
                wanted.setdefault(target, set()).add(slug)
            for link in p.links or []:
                wanted.setdefault(registry.ACTOR.model, set()).add(link.get("actor"))
            sources = [c.get("source") for c in p.citations or []] + (p.cited_sources or [])
            wanted.setdefault(registry.SOURCE.model, set()).update(sources)
            for relation, slugs in (p.about or {}).items():
                target = model._meta.get_field(relation).related_model
                wanted.setdefault(target, set()).update(slugs)
            stored = self.stored[model].get(p.slug)
            if stored is not None:
                for f in model._meta.concrete_fields:
                    if f.is_relation and f.related_model is not None:
                        stored_pks.setdefault(f.related_model, set()).add(
                            getattr(stored, f.attname)
                        )
        for model, slugs in wanted.items():
            self.refs[model] = _slug_map(model, {s for s in slugs if isinstance(s, str)})
        for model, pks in stored_pks.items():
            self.slug_of[model] = _pk_slugs(model, pks)

    def _load_links(self) -> None:
        """Stored link rows, citations and statements' subjects of the matched records."""
        self.stored_links: dict[Any, list[dict[str, Any]]] = {}
        self.stored_citations: dict[tuple[str, Any], list[dict[str, Any]]] = {}
        self.stored_about: dict[tuple[str, Any], list[str]] = {}
        for model, stored in self.stored.items():
            record_type = registry.for_model(model)
            pks = [r.pk for r in stored.values()]
            for batch in _batches(pks):
                links = record_type.links
                if links is not None:
                    extra = differences.extra_field(links.model)
                    for row in (
                        links.model._default_manager.filter(**{f"{links.fk}_id__in": batch})
                        .order_by("pk")
                        .values(f"{links.fk}_id", "actor__slug", "role", extra)
                    ):
                        self.stored_links.setdefault((model, row[f"{links.fk}_id"]), []).append(
                            {"actor": row["actor__slug"], "role": row["role"], extra: row[extra]}
                        )
                if record_type.citation_fk:
                    fk = f"{record_type.citation_fk}_id"
                    for row in (
                        Citation.objects.filter(**{f"{fk}__in": batch})
                        .order_by("pk")
                        .values(fk, "source__slug", "footnote", "locator", "excerpt")
                    ):
                        self.stored_citations.setdefault((model, row[fk]), []).append(
                            {
                                "source": row["source__slug"],
                                "footnote": row["footnote"],
                                "locator": row["locator"],
                                "excerpt": row["excerpt"],
                            }
                        )
                for relation in (
                    registry.about_relations() if model is registry.STATEMENT.model else ()
                ):
                    m2m = model._meta.get_field(relation)
                    through = m2m.remote_field.through
                    own, other = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
                    for owner, slug in (
                        through.objects.filter(**{f"{own}_id__in": batch})
                        .order_by("pk")
                        .values_list(f"{own}_id", f"{other}__slug")
                    ):
                        self.stored_about.setdefault((relation, owner), []).append(slug)

    # -- one row -------------------------------------------------------------------

    def _exists(self, model: type[models.Model], slug: str) -> bool:
        return slug in self.refs.get(model, {}) or slug in self.created.get(model, set())

    def _compare(self, row: RowPlan) -> None:
        p = row.proposal
        model = p.record_type.model
        stored = self.stored[model].get(p.slug)
        if stored is None:
            row.action = CREATE
            instance = model(slug=p.slug)
        else:
            row.version = record_version(stored)
            instance = copy.copy(stored)
        row.instance = instance
        status.settle(row, self.user)
        for name, value in p.fields.items():
            model_field = model._meta.get_field(name)
            old = differences.plain(getattr(instance, model_field.attname))
            if stored is not None and old != differences.plain(value):
                row.changes.append(f"{name}: {differences.shown(old)} → {differences.shown(value)}")
            setattr(instance, model_field.attname, value)
        for name, (words, structured) in p.dates.items():
            old = instance.fuzzy(name)
            new = differences.pick_date(
                row, name, old if stored is not None else None, words, structured
            )
            if new is None:
                continue
            if stored is not None and differences.date_key(old) != differences.date_key(new):
                row.changes.append(f"{name}: {old.display()} → {new.display()}")
            setattr(instance, name, new.value)
            setattr(instance, f"{name}_precision", new.precision)
            setattr(instance, f"{name}_qualifier", new.qualifier or "")
        for name, slug in p.fks.items():
            model_field = model._meta.get_field(name)
            target = model_field.related_model
            if slug is not None and not self._exists(target, slug):
                row.refuse(name, differences.missing(target, slug))
                continue
            old = self.slug_of.get(target, {}).get(getattr(instance, model_field.attname))
            if stored is not None and old != slug:
                row.changes.append(f"{name}: {differences.shown(old)} → {differences.shown(slug)}")
            # Resolved again when applied: the target may be created by this file.
            setattr(instance, model_field.attname, self.refs.get(target, {}).get(slug))
        self._compare_links(row, stored)
        self._compare_citations(row, stored)
        self._compare_about(row, stored)
        if stored is None:
            row.changes = []  # a new record: every value is new, none is listed
            row.notes.append(status.created_note(instance))
        elif row.action != REFUSED:
            row.action = CHANGE if row.changes else UNCHANGED

    def _compare_links(self, row: RowPlan, stored) -> None:
        p = row.proposal
        links = p.record_type.links
        if p.links is None or links is None:
            return
        extra = differences.extra_field(links.model)
        before = self.stored_links.get((p.record_type.model, stored.pk), []) if stored else []
        by_actor = {link["actor"]: link for link in before}
        column = parsing.file_columns(_table(p)).links or "links"
        after = []
        for given in p.links:
            slug = given.get("actor")
            if not slug or not self._exists(registry.ACTOR.model, slug):
                row.refuse(column, differences.missing(registry.ACTOR.model, slug))
                continue
            kept = by_actor.get(slug, {})
            link = {
                "actor": slug,
                "role": given.get("role")
                or kept.get("role")
                or links.model._meta.get_field("role").default,
                extra: given.get(extra, kept.get(extra, "")) or "",
            }
            for name in ("role", extra):
                try:
                    links.model._meta.get_field(name).clean(link[name], None)
                except ValidationError as exc:
                    row.refuse(column, f"{slug} {name}: {' '.join(exc.messages)}")
            after.append(link)
        if [link["actor"] for link in after] != [link["actor"] for link in p.links]:
            return
        if len(set(link["actor"] for link in after)) != len(after):
            row.refuse(column, "the same actor is listed more than once.")
        row.changes += differences.list_changes(column, before, after, "actor")
        if stored is None or differences.keys(before) != differences.keys(after):
            row.links = after

    def _compare_citations(self, row: RowPlan, stored) -> None:
        p = row.proposal
        record_type = p.record_type
        if not record_type.cited:
            return
        before = self.stored_citations.get((record_type.model, stored.pk), []) if stored else []
        if p.cited_sources is not None:
            after = []
            for slug in p.cited_sources:
                kept = [c for c in before if c["source"] == slug]
                after += kept or [{"source": slug, "footnote": None, "locator": "", "excerpt": ""}]
        elif p.citations is not None:
            after = p.citations
        else:
            if stored is None and record_type.must_cite:
                row.refuse("sources", citation_required_message(record_type.model))
            return
        for citation in after:
            slug = citation.get("source")
            if not slug or not self._exists(registry.SOURCE.model, slug):
                row.refuse("sources", differences.missing(registry.SOURCE.model, slug))
        if record_type.must_cite and not after:
            row.refuse("sources", citation_required_message(record_type.model))
        if len({differences.citation_key(c) for c in after}) != len(after):
            row.refuse("sources", "the same citation (source, footnote, page) is given twice.")
        compared = differences.citation_tuple
        if Counter(map(compared, before)) != Counter(map(compared, after)):
            row.changes += differences.list_changes(
                "sources", before, after, "source", key=differences.citation_label
            )
            row.citations = after

    def _compare_about(self, row: RowPlan, stored) -> None:
        p = row.proposal
        if p.about is None:
            return
        model = p.record_type.model
        about = {}
        for relation, slugs in p.about.items():
            target = model._meta.get_field(relation).related_model
            for slug in slugs:
                if not slug or not self._exists(target, slug):
                    row.refuse(relation, differences.missing(target, slug))
            before = self.stored_about.get((relation, stored.pk), []) if stored else []
            if set(before) != set(slugs):
                added = [s for s in slugs if s not in before]
                removed = [s for s in before if s not in slugs]
                row.changes.append(differences.added_removed(relation, added, removed))
            about[relation] = list(dict.fromkeys(slugs))
        row.about = about

    def _validate(self, row: RowPlan) -> None:
        """The model's own checks, as ``record_save`` will run them (no per-row lookups)."""
        instance = row.instance
        model = type(instance)
        exclude = [f.name for f in model._meta.concrete_fields if f.is_relation]
        # TrackedModel.clean's identifier checks (a query per record: no deleted record
        # held the slug, a stored slug is unchanged) were made above for every row at
        # once: rows are matched by slug, and retired slugs were looked up in bulk.
        instance._clean_slug = _checked_in_bulk
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                column = _column_of(row.proposal, name)
                for message in messages:
                    row.refuse(column, message)
        finally:
            del instance._clean_slug


def _checked_in_bulk(errors: dict) -> None:
    """Stands in for ``TrackedModel._clean_slug`` during a preview (see ``_validate``)."""


def _table(proposal: parsing.Proposal):
    from ..exports.files import TABLES

    return TABLES[proposal.record_type.csv_file]


def _column_of(proposal: parsing.Proposal, name: str) -> str:
    if name == "__all__":
        return ""
    for date in proposal.dates:
        if name in (date, f"{date}_precision", f"{date}_qualifier"):
            return f"{date}_display" if f"{date}_display" in proposal.columns else date
    return name

"""Recent changes: every revision of every record, newest first, whichever door it came in by.

Django's admin log holds only admin edits; reversion's ``Revision`` table
holds every save and deletion (admin, API, recovery), so this page lists
that. A page is 50 revisions read by the index on ``date_created`` and
continued by a cursor (the last revision shown), so its cost does not grow
with the table and nothing is counted. The versions of a page's revisions,
their records' existence and the users come in a fixed number of queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import HttpRequest
from django.template.response import TemplateResponse
from reversion.models import Revision, Version

from .. import registry
from .compare import admin_url

PAGE_SIZE = 50
#: Records named per revision; the rest are counted.
RECORDS_SHOWN = 20


def _record_models() -> list[type]:
    return [rt.model for rt in registry.RECORD_TYPES]


def viewable_models(user) -> list[type]:
    """The record types ``user`` may open in the admin (view or change)."""
    return [
        model
        for model in _record_models()
        if any(
            user.has_perm(f"{model._meta.app_label}.{action}_{model._meta.model_name}")
            for action in ("view", "change")
        )
    ]


class ChangesFilter(forms.Form):
    """The page's filters and its cursor, checked before any query."""

    user = forms.ChoiceField(required=False)
    type = forms.ChoiceField(required=False, label="record type")
    before = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, data, *, models: list[type]):
        super().__init__(data)
        users = get_user_model().objects.order_by("username").values_list("pk", "username")
        self.fields["user"].choices = [
            ("", "anyone"),
            ("none", "no user (scripts, imports)"),
            *((str(pk), name) for pk, name in users),
        ]
        self.fields["type"].choices = [
            ("", "any"),
            *((m._meta.model_name, m._meta.verbose_name) for m in models),
        ]


@dataclass
class Change:
    """One row of the page: a revision and the record(s) it saved."""

    revision: Revision
    records: list[dict]
    #: Records of the revision not listed (an import saves thousands in one revision).
    more: int = 0


def _revisions(data: dict, models: list[type]):
    """The filtered revisions, newest first (without the cursor)."""
    revisions = Revision.objects.order_by("-date_created", "-pk")
    if data.get("user") == "none":
        revisions = revisions.filter(user__isnull=True)
    elif data.get("user"):
        revisions = revisions.filter(user_id=int(data["user"]))
    chosen = [m for m in models if m._meta.model_name == data.get("type")] or (
        models if len(models) < len(registry.RECORD_TYPES) else []
    )
    if chosen:
        types = [ContentType.objects.get_for_model(m).pk for m in chosen]
        stored = Version.objects.filter(revision=OuterRef("pk"), content_type_id__in=types)
        revisions = revisions.filter(Exists(stored))
    return revisions


def _page(revisions, before: int | None, after: int | None) -> tuple[list[Revision], bool, bool]:
    """A page of revisions from the cursor, and whether older and newer ones exist."""
    anchor_id = before or after
    if anchor_id is not None:
        anchor = Revision.objects.filter(pk=anchor_id).values_list("date_created", flat=True)
        moment = anchor.first()
        if moment is None:
            return [], False, False
        if before:
            revisions = revisions.filter(date_created__lte=moment).filter(
                Q(date_created__lt=moment) | Q(pk__lt=anchor_id)
            )
        else:
            revisions = (
                revisions.filter(date_created__gte=moment)
                .filter(Q(date_created__gt=moment) | Q(pk__gt=anchor_id))
                .order_by("date_created", "pk")
            )
    revisions = revisions.select_related("user").prefetch_related(
        Prefetch(
            "version_set",
            Version.objects.only(
                "pk", "revision_id", "content_type_id", "object_id", "object_repr"
            ).order_by("pk"),
        )
    )
    rows = list(revisions[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if after:
        rows.reverse()
        return rows, True, more
    return rows, more, bool(before)


def _changes(admin_site: admin.AdminSite, revisions: list[Revision]) -> list[Change]:
    """Each revision with its records named and linked (one existence query per type)."""
    record_types = {ContentType.objects.get_for_model(m).pk: m for m in _record_models()}
    wanted: dict[type, set] = defaultdict(set)
    for revision in revisions:
        for version in revision.version_set.all():
            model = record_types.get(version.content_type_id)
            if model is not None:
                wanted[model].add(version.object_id)
    existing = {
        model: {str(pk) for (pk,) in model._default_manager.filter(pk__in=keys).values_list("pk")}
        for model, keys in wanted.items()
    }
    changes = []
    for revision in revisions:
        records = []
        more = 0
        for version in revision.version_set.all():
            model = record_types.get(version.content_type_id)
            if model is None:
                continue
            if len(records) >= RECORDS_SHOWN:
                more += 1
                continue
            object_id = version.object_id
            records.append(
                {
                    "type": model._meta.verbose_name,
                    "name": version.object_repr,
                    "url": admin_url(admin_site.name, model, "change", object_id)
                    if object_id in existing[model]
                    else None,
                    "compare_url": admin_url(admin_site.name, model, "compare", object_id)
                    + f"?to={version.pk}",
                }
            )
        changes.append(Change(revision, records, more))
    return changes


def recent_changes(request: HttpRequest):
    """The Recent changes page (``/admin/recent-changes/``), for editors and viewers."""
    admin_site = admin.site
    models = viewable_models(request.user)
    if not models:
        raise PermissionDenied
    form = ChangesFilter(request.GET or None, models=models)
    status = 200
    if form.is_bound and not form.is_valid():
        rows, older, newer, data, status = [], False, False, {}, 400
    else:
        data = form.cleaned_data if form.is_bound else {}
        rows, older, newer = _page(_revisions(data, models), data.get("before"), data.get("after"))
    filters = {k: data[k] for k in ("user", "type") if data.get(k)}

    def cursor(name: str, revision: Revision) -> str:
        return "?" + urlencode({**filters, name: revision.pk})

    context = {
        **admin_site.each_context(request),
        "title": "Recent changes",
        "subtitle": None,
        "form": form,
        "changes": _changes(admin_site, rows),
        "older_url": cursor("before", rows[-1]) if older and rows else None,
        "newer_url": cursor("after", rows[0]) if newer and rows else None,
        "newest_url": "?" + urlencode(filters) if data.get("before") or data.get("after") else None,
    }
    request.current_app = admin_site.name
    return TemplateResponse(request, "admin/tracker/recent_changes.html", context, status=status)

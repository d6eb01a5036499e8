"""The admin's "Import records" page: upload a file, see the preview, confirm.

The upload is read and previewed at once (nothing stored); the file is then
kept on the server (:mod:`tracker.imports.uploads`) under a token that the
confirmation form carries, with the versions of the records the preview
showed. Confirming previews the kept file again and applies it in one
transaction, refusing if any of those records changed since (no lost work).
Only editors who may add and change the records a file holds get here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from .. import imports, registry
from ..imports import uploads
from ..models import Import

#: Imports listed under the form.
RECENT = 10


class UploadForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="A CSV file as the export writes it (e.g. exercises.csv), the data package "
        "as a zip, or a JSON list in the API's format.",
    )


def may_import(user, record_types=None) -> bool:
    """Whether ``user`` may add and change records of ``record_types`` (default: of any type)."""
    if not user.is_active or not user.is_staff:
        return False

    def allowed(record_type) -> bool:
        meta = record_type.model._meta
        return all(
            user.has_perm(f"{meta.app_label}.{action}_{meta.model_name}")
            for action in ("add", "change")
        )

    if record_types is None:
        return any(allowed(rt) for rt in registry.RECORD_TYPES)
    return all(allowed(rt) for rt in record_types)


#: Rows of a preview shown in the table, and unchanged slugs listed under it.
SHOWN_ROWS, SHOWN_UNCHANGED = 1000, 300


def _preview_context(plan: imports.Plan | None) -> dict:
    if plan is None:
        return {}
    rows = [row for row in plan.rows if row.action != imports.UNCHANGED]
    unchanged = [row for row in plan.rows if row.action == imports.UNCHANGED]
    return {
        "preview_rows": rows[:SHOWN_ROWS],
        "hidden_rows": max(0, len(rows) - SHOWN_ROWS),
        "unchanged_rows": unchanged[:SHOWN_UNCHANGED],
        "hidden_unchanged": max(0, len(unchanged) - SHOWN_UNCHANGED),
    }


def _render(request, context: dict, status: int = 200) -> HttpResponse:
    site = admin.site
    request.current_app = site.name
    base = {
        **site.each_context(request),
        "title": "Import records",
        "subtitle": None,
        "form": context.pop("form", None) or UploadForm(),
        "recent_imports": Import.objects.select_related("user")[:RECENT],
        "max_bytes": imports.max_bytes(),
        **_preview_context(context.get("plan")),
    }
    context = {**base, **context}
    return TemplateResponse(request, "admin/tracker/import.html", context, status=status)


def _check_types(request, plan: imports.Plan) -> None:
    types = {row.proposal.record_type for row in plan.rows}
    if not may_import(request.user, types):
        raise PermissionDenied


def import_records(request: HttpRequest) -> HttpResponse:
    """``/admin/import/``: the upload form (GET) and the preview of an upload (POST)."""
    if not may_import(request.user):
        raise PermissionDenied
    if request.method != "POST":
        return _render(request, {})
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render(request, {"form": form}, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > imports.max_bytes():
        error = f"The file is too big ({upload.size:,} bytes; at most {imports.max_bytes():,})."
        return _render(request, {"form": form, "file_error": error}, status=413)
    data = upload.read()
    try:
        plan = imports.preview(upload.name, data, user=request.user)
    except imports.ImportFileError as exc:
        return _render(request, {"form": form, "file_error": str(exc)}, status=exc.status)
    _check_types(request, plan)
    token = uploads.keep(request.user, upload.name, data, plan.versions())
    return _render(request, {"plan": plan, "token": token})


def confirm_import(request: HttpRequest, token: str) -> HttpResponse:
    """``/admin/import/<token>/``: apply the kept upload (POST), or preview it again (GET)."""
    if not may_import(request.user):
        raise PermissionDenied
    kept = uploads.load(request.user, token)
    if kept is None:
        error = "This upload is no longer kept (or was already imported): upload the file again."
        return _render(request, {"file_error": error}, status=404)
    if request.method != "POST":
        plan = imports.preview(kept.name, kept.data, user=request.user)
        return _render(request, {"plan": plan, "token": token})
    try:
        plan = imports.preview(kept.name, kept.data, user=request.user)
        _check_types(request, plan)
        log = imports.apply_plan(plan, user=request.user, previewed=kept.versions)
    except imports.ImportStale as exc:
        # A fresh preview under a fresh token: the editor sees what is now different.
        plan = imports.preview(kept.name, kept.data, user=request.user)
        uploads.discard(token)
        fresh = uploads.keep(request.user, kept.name, kept.data, plan.versions())
        context = {"plan": plan, "token": fresh, "apply_errors": exc.messages}
        return _render(request, context, status=409)
    except imports.ImportRefused as exc:
        return _render(request, {"plan": plan, "token": token, "apply_errors": exc.messages}, 400)
    uploads.discard(token)
    messages.success(
        request,
        f"Imported {log.file_name}: {log.created} created, {log.changed} changed, "
        f"{log.unchanged} unchanged.",
    )
    return redirect(reverse("tracker-import"))

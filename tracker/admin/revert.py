"""Reverting a record to a version of its history, and recovering a deleted record.

reversion's pages restore a revision's rows as they were stored: outside the
write path, with no version check (a revert overwrote a colleague's later
save), failing with a server error on a link to a record deleted since, and
accepting on one model's recover page a version of another model. Here, on
the same pages:

* only versions of the page's own model are accepted (404 otherwise);
* the page shows the change form filled from the version
  (:func:`tracker.restore.read_version`), staged in a transaction that is
  always rolled back; links to records deleted since are left out and named,
  and the save is refused until the editor agrees to drop them;
* the form carries the version of the record as it was when the page was
  opened, and the save is the change form's ordinary one: one
  :func:`tracker.services.record_save` with every link set, refused if
  someone saved the record in between.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import reversion
from django import forms
from django.contrib import messages
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, router, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.formats import date_format
from reversion.models import Version

from .. import restore
from ..compare import UnreadableVersion

#: Shown instead of the page when the version no longer fits the record's model.
UNREADABLE = (
    "This version was stored by an earlier form of the tracker and can no longer be restored."
)

#: The checkbox by which an editor agrees to save a version without its links to deleted records.
DROP_GONE_LINKS = "drop_gone_links"


#: A recovery posted for a record that is live again (a colleague recovered it first).
ALREADY_LIVE = (
    "This {noun} is no longer deleted: someone recovered it after you opened the page, so "
    "nothing was changed. Below is its version you chose, to compare and revert to if needed."
)


@dataclass
class Revert:
    """The version a revert or recover page restores, kept on the request."""

    version: Version
    state: restore.Restoration
    recover: bool


def reverting(request: HttpRequest) -> Revert | None:
    """The revert or recover under way in ``request``, if any."""
    return getattr(request, "tracker_revert", None)


class GoneLinksCheck:
    """Form mixin: refuse to save a version whose deleted links the editor did not agree to drop."""

    gone_message = ""

    def clean(self):
        cleaned = super().clean()
        if not self.data.get(DROP_GONE_LINKS):
            raise forms.ValidationError(self.gone_message, code="gone_links")
        return cleaned


def stage(state: restore.Restoration) -> None:
    """Store ``state`` as the record's rows, for the change form to show; the caller rolls back.

    The record keeps its current ``updated_at``, so the form's hidden version
    is the one the editor opened the page on (a record being recovered has
    only the version's).
    """
    record = state.record
    model = type(record)
    rows = model._default_manager.filter(pk=record.pk)
    columns = {
        f.attname: getattr(record, f.attname)
        for f in model._meta.concrete_fields
        if not f.primary_key
    }
    current = rows.values("updated_at", "created_at").first()
    if current is None:
        model._default_manager.bulk_create([record])  # sets updated_at: put back below
    rows.update(**{**columns, **(current or {})})
    for name, link_rows in state.links.items():
        rel = model._meta.get_field(name)
        link_model, fk = rel.related_model, rel.remote_field.attname
        link_model._default_manager.filter(**{fk: record.pk}).delete()
        link_model._default_manager.bulk_create(
            link_model(**row, **{fk: record.pk}) for row in link_rows
        )
    for name, keys in state.about.items():
        getattr(record, name).set(keys)


class RevertAdmin:
    """Admin mixin (before reversion's ``VersionAdmin``): its revert and recover pages, checked."""

    revision_form_template = "tracker/admin/revision_form.html"
    recover_form_template = "tracker/admin/recover_form.html"

    def _own_versions(self):
        return Version.objects.get_for_model(self.model)

    def revision_view(self, request, object_id, version_id, extra_context=None):
        version = get_object_or_404(
            self._own_versions(), pk=version_id, object_id=unquote(object_id)
        )
        opts = self.model._meta
        if not self.model._default_manager.filter(pk=version.object_id).exists():
            # Deleted since: bringing it back is a recovery (which needs the add permission).
            return redirect(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_recover", version.pk
            )
        context = {"title": f"Revert {version.object_repr}", "revert": True}
        return self.restore_view(
            request, version, self.revision_form_template, {**context, **(extra_context or {})}
        )

    def recover_view(self, request, version_id, extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        version = get_object_or_404(self._own_versions(), pk=version_id)
        opts = self.model._meta
        if self.model._default_manager.filter(pk=version.object_id).exists():
            # Not deleted: going back to this version is a revert, with its version check.
            if request.method == "POST":
                # Recovered by someone else since this page was drawn: say so, change nothing.
                messages.error(request, ALREADY_LIVE.format(noun=opts.verbose_name))
            return redirect(
                f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_revision",
                quote(version.object_id),
                version.pk,
            )
        context = {"title": f"Recover {version.object_repr}", "recover": True}
        return self.restore_view(
            request, version, self.recover_form_template, {**context, **(extra_context or {})}
        )

    def restore_view(self, request, version, template_name, extra_context=None):
        """The revert or recover page of ``version`` (reversion's, on the write path)."""
        try:
            state = restore.read_version(version)
        except UnreadableVersion:
            messages.error(request, UNREADABLE)
            return self._history_redirect(version)
        recover = bool((extra_context or {}).get("recover"))
        request.tracker_revert = Revert(version=version, state=state, recover=recover)
        context = {
            **(extra_context or {}),
            "gone_links": state.gone,
            "gone_message": restore.gone_links_message(state.gone) if state.gone else "",
            "drop_gone_links": DROP_GONE_LINKS,
            "drop_gone_links_checked": bool(request.POST.get(DROP_GONE_LINKS)),
        }
        object_id = quote(version.object_id)
        if request.method == "POST":
            with self.create_revision(request):
                response = self.changeform_view(request, object_id, request.path, context)
                if response.status_code == 302:
                    # Before the comment the save wrote (what the revert changed).
                    said = reversion.get_comment()
                    reversion.set_comment(f"{_restored_comment(version, recover)} {said}".strip())
            if response.status_code == 200:
                response.template_name = template_name
            return response
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                stage(state)
                response = self.changeform_view(request, object_id, request.path, context)
                if response.status_code == 200:
                    response.template_name = template_name
                    response.render()  # while the staged rows are there
                transaction.set_rollback(True)
        except DatabaseError as exc:
            messages.error(request, f"This version cannot be shown with today's data: {exc}")
            return self._history_redirect(version)
        return response

    def _history_redirect(self, version) -> HttpResponse:
        opts = self.model._meta
        if self.model._default_manager.filter(pk=version.object_id).exists():
            name = f"{opts.app_label}_{opts.model_name}_history"
            return redirect(f"{self.admin_site.name}:{name}", quote(version.object_id))
        return redirect(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")

    # -- The change form's hooks, while a revert or recover is posted -------------------
    def get_object(self, request, object_id, from_field=None):
        revert = reverting(request)
        if revert is not None and revert.recover and request.method == "POST":
            # Not stored: the change form saves it (record_save stores it again under its key).
            return revert.state.record
        return super().get_object(request, object_id, from_field)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        revert = reverting(request)
        if revert is None or not revert.state.gone:
            return form
        message = restore.gone_links_message(revert.state.gone)
        return type(form.__name__, (GoneLinksCheck, form), {"gone_message": message})

    def get_formset_kwargs(self, request, obj, inline, prefix):
        params = super().get_formset_kwargs(request, obj, inline, prefix)
        if reverting(request) is None or request.method != "POST":
            return params
        # The page showed the version's rows staged under keys that are gone now:
        # every posted row is a new row of the set record_save will store.
        data = params["data"]
        data[f"{prefix}-INITIAL_FORMS"] = "0"
        pk_key = re.compile(rf"^{re.escape(prefix)}-\d+-{inline.model._meta.pk.name}$")
        for key in [key for key in data if pk_key.match(key)]:
            del data[key]
        params["queryset"] = params["queryset"].none()
        return params


def _restored_comment(version: Version, recover: bool) -> str:
    when = date_format(timezone.localtime(version.revision.date_created), "Y-m-d H:i:s")
    verb = "Recovered from" if recover else "Reverted to"
    return f"{verb} the version saved at {when} UTC."

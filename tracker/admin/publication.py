"""Publishing in the admin: the status column and filter, the buttons, the review list.

Every changelist shows each record's publication status (drafts marked) and
filters by it. A record's change page has buttons (Submit for review,
Publish, Send back to draft, Unpublish) in a form of their own, which posts
the version the page was opened on: the step goes through
:func:`tracker.publishing.record_set_publication` (the one write path), so a
record saved by someone else since is refused with a message saying what
they changed, and nothing is stored. A refusal by a publishing rule (no
date, no citation, four eyes) is shown with the rule's own words.

"Waiting for review" (``/admin/review/``, linked from the home page) lists the
records of every type that are in review.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from .. import registry, versions
from ..models import PublicationStatus
from ..publishing import publication_verb, record_set_publication
from .compare import admin_url

#: The buttons a record in each status offers: (new status, label).
BUTTONS = {
    PublicationStatus.DRAFT: (
        (PublicationStatus.IN_REVIEW, "Submit for review"),
        (PublicationStatus.PUBLISHED, "Publish"),
    ),
    PublicationStatus.IN_REVIEW: (
        (PublicationStatus.PUBLISHED, "Publish"),
        (PublicationStatus.DRAFT, "Send back to draft"),
    ),
    PublicationStatus.PUBLISHED: ((PublicationStatus.DRAFT, "Unpublish"),),
}
#: The changelist column's words for records the public does not see.
SHORT_LABELS = {PublicationStatus.DRAFT: "draft", PublicationStatus.IN_REVIEW: "review"}
#: Records listed per type on the review page (oldest first).
REVIEW_LIMIT = 200


class PublicationAdminMixin:
    """For a record's admin: the status column and filter, and the publication buttons."""

    change_form_template = "admin/tracker/change_form.html"

    def get_list_display(self, request):
        return (*super().get_list_display(request), "publication_column")

    def get_list_filter(self, request):
        return (*super().get_list_filter(request), "publication_status")

    @admin.display(description="public", ordering="publication_status")
    def publication_column(self, obj):
        """“yes” for a published record; a draft or a record in review marked as such.

        Short, so that a list still fits a laptop's screen with it.
        """
        status = obj.publication_status
        if status == PublicationStatus.PUBLISHED:
            return "yes"
        return format_html(
            '<span class="publication publication-{}" title="{}">{}</span>',
            status,
            PublicationStatus(status).label,
            SHORT_LABELS[status],
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/publication/",
                self.admin_site.admin_view(self.publication_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_publication",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_change_permission(request, obj):
            extra_context["publication"] = {
                "status": PublicationStatus(obj.publication_status).label,
                "buttons": BUTTONS[obj.publication_status],
                "url": admin_url(self.admin_site.name, self.model, "publication", obj.pk),
                "version": versions.record_version(obj),
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def publication_view(self, request: HttpRequest, object_id: str):
        """POST ``status``, ``version`` (as the page was opened) and an optional ``comment``."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise PermissionDenied
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        change_url = admin_url(self.admin_site.name, self.model, "change", obj.pk)
        status = request.POST.get("status", "")
        old = obj.publication_status
        try:
            record_set_publication(
                obj,
                status,
                user=request.user,
                comment=request.POST.get("comment", "")[:500],
                expected_version=request.POST.get("version") or "",
            )
        except versions.StaleRecord as exc:
            # Its message says who saved what since, and that nothing was stored.
            messages.error(request, " ".join(exc.messages))
        except ValidationError as exc:
            messages.error(request, "Nothing was changed: " + " ".join(exc.messages))
        else:
            messages.success(request, f"{publication_verb(old, status)}: “{obj}”.")
        return HttpResponseRedirect(change_url)


def reviewable_types(user) -> list[registry.RecordType]:
    """The record types whose records ``user`` may review (change): the review list's types."""
    return [
        record_type
        for record_type in registry.RECORD_TYPES
        if user.has_perm(
            f"{record_type.model._meta.app_label}.change_{record_type.model._meta.model_name}"
        )
    ]


def review_list(request: HttpRequest):
    """The records waiting for review, of every type the user may change, oldest first."""
    groups = []
    for record_type in reviewable_types(request.user):
        model = record_type.model
        opts = model._meta
        rows = list(
            model._default_manager.filter(publication_status=PublicationStatus.IN_REVIEW)
            .order_by("updated_at", "pk")
            .only("pk", "slug", record_type.title_field, "updated_at")[:REVIEW_LIMIT]
        )
        groups.append(
            {
                "type": opts.verbose_name_plural,
                "records": [
                    {
                        "name": str(getattr(row, record_type.title_field))[:120],
                        "slug": row.slug,
                        "updated_at": row.updated_at,
                        "url": admin_url(admin.site.name, model, "change", row.pk),
                    }
                    for row in rows
                ],
                "changelist": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
                + "?publication_status__exact=in_review",
            }
        )
    if not groups:
        raise PermissionDenied
    context = {
        **admin.site.each_context(request),
        "title": "Waiting for review",
        "subtitle": None,
        "groups": groups,
        "limit": REVIEW_LIMIT,
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/tracker/review.html", context)

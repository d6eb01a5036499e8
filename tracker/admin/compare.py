"""History you can read: two versions of a record compared, and comments saying what changed.

Every record's History page lists its versions with “compare with previous”
on each row and a pick-two form; the comparison page
(``<id>/history/compare/?from=<version>&to=<version>``) shows each field and
each link row in both versions (:mod:`tracker.compare`). Saving in the admin
words the revision comment the same way the API's saves do
(:func:`tracker.history.describe_change`), link rows included, instead of
Django's “Changed Actor for exercise participant”.
"""

from __future__ import annotations

from urllib.parse import urlencode

import reversion
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from reversion.models import Version

from .. import history
from ..compare import UnreadableVersion, compare, current_state, version_state

#: Shown instead of a comparison when a stored version no longer fits the record's model.
UNREADABLE = (
    "One of these versions was stored by an earlier form of the tracker and can no longer be "
    "read field by field."
)
#: The request attribute holding a record's state before the admin saves it.
STATE_BEFORE = "_tracker_state_before_save"


def _ordered(versions):
    """Newest first, as the History page lists them; ties by the version's key."""
    return versions.order_by("-revision__date_created", "-pk")


def _saved(version: Version) -> tuple:
    """When a version was saved, as the History page orders versions."""
    return version.revision.date_created, version.pk


def previous_version(versions, version: Version) -> Version | None:
    """The version of the same record saved just before ``version``."""
    moment = version.revision.date_created
    earlier = Q(revision__date_created__lt=moment) | Q(
        revision__date_created=moment, pk__lt=version.pk
    )
    return _ordered(versions.filter(earlier)).first()


def next_version(versions, version: Version) -> Version | None:
    """The version of the same record saved just after ``version``."""
    moment = version.revision.date_created
    later = Q(revision__date_created__gt=moment) | Q(
        revision__date_created=moment, pk__gt=version.pk
    )
    return versions.filter(later).order_by("revision__date_created", "pk").first()


def admin_url(site_name: str, model, view: str, *args) -> str:
    """The URL of one of a record type's admin pages (``change``, ``history``, ``compare``)."""
    name = f"{site_name}:{model._meta.app_label}_{model._meta.model_name}_{view}"
    return reverse(name, args=[quote(arg) if isinstance(arg, str) else arg for arg in args])


def _version_id(value: str | None) -> int | None:
    """A version id from the query string; anything else is no such version (404)."""
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise Http404("No such version.")
    return int(value)


class HistoryCompareMixin:
    """For a reversion ``VersionAdmin``: the comparison page, a History page linking to it,
    and revision comments that say what changed."""

    object_history_template = "admin/tracker/object_history.html"
    compare_template = "admin/tracker/compare.html"

    def get_urls(self):
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_view),
                name=f"{self.opts.app_label}_{self.opts.model_name}_compare",
            ),
            *super().get_urls(),
        ]

    def compare_url(self, object_id) -> str:
        """The comparison page of one record (without its query string)."""
        return admin_url(self.admin_site.name, self.model, "compare", str(object_id))

    # -- the History page --------------------------------------------------------
    def history_view(self, request, object_id, extra_context=None):
        """The History page with a comparison link on every version."""
        versions = list(
            _ordered(
                Version.objects.get_for_object_reference(self.model, unquote(object_id))
            ).select_related("revision__user")
        )
        compare_url = self.compare_url(unquote(object_id))
        action_list = [
            {
                "revision": version.revision,
                "version": version,
                "url": admin_url(
                    self.admin_site.name, self.model, "revision", version.object_id, version.pk
                ),
                "previous": versions[number + 1] if number + 1 < len(versions) else None,
            }
            for number, version in enumerate(versions)
        ]
        context = {
            "action_list": action_list,
            "compare_url": compare_url,
            "recent_changes_url": reverse("tracker-recent-changes"),
            **(extra_context or {}),
        }
        return super().history_view(request, object_id, context)

    # -- the comparison page -----------------------------------------------------
    def compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Two versions of one record, field by field and link row by link row.

        ``to`` defaults to the latest version and ``from`` to the one before
        ``to``; a record deleted since is compared from its stored versions.
        """
        object_id = unquote(object_id)
        record = self.get_object(request, object_id)
        if not (
            self.has_view_or_change_permission(request, record)
            if record is not None
            else self.has_view_or_change_permission(request)
        ):
            raise PermissionDenied
        versions = Version.objects.get_for_object_reference(self.model, object_id).select_related(
            "revision__user"
        )
        newer = self._chosen(versions, request.GET.get("to")) or _ordered(versions).first()
        if newer is None:
            raise Http404("This record has no stored versions.")
        older = self._chosen(versions, request.GET.get("from"))
        if older is None and not request.GET.get("from"):
            older = previous_version(versions, newer)
        if older is not None and _saved(older) > _saved(newer):
            older, newer = newer, older  # two versions picked in either order
        comparison, error = self._compare(older, newer)
        url = self.compare_url(object_id)

        def pair(first: Version | None, second: Version | None) -> str | None:
            if first is None or second is None:
                return None
            return f"{url}?{urlencode({'from': first.pk, 'to': second.pk})}"

        earlier = previous_version(versions, older) if older is not None else None
        later = next_version(versions, newer)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Compare versions of “{record or newer.object_repr}”",
            "subtitle": None,
            "record": record,
            "record_name": str(record) if record is not None else newer.object_repr,
            "object_id": object_id,
            "older": older,
            "newer": newer,
            "comparison": comparison,
            "error": error,
            "older_pair_url": pair(earlier, older),
            "newer_pair_url": pair(newer, later),
            "history_url": admin_url(self.admin_site.name, self.model, "history", object_id)
            if record is not None
            else None,
            "recent_changes_url": reverse("tracker-recent-changes"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.compare_template, context)

    def _chosen(self, versions, value: str | None) -> Version | None:
        key = _version_id(value)
        if key is None:
            return None
        version = versions.filter(pk=key).first()
        if version is None:
            raise Http404("No such version of this record.")
        return version

    @staticmethod
    def _compare(older: Version | None, newer: Version):
        """The comparison of two versions, or the reason it cannot be shown."""
        wanted = {newer.revision_id} | ({older.revision_id} if older is not None else set())
        stored = list(Version.objects.filter(revision_id__in=wanted).order_by("pk"))
        by_revision = {key: [v for v in stored if v.revision_id == key] for key in wanted}
        try:
            new = version_state(newer, by_revision[newer.revision_id])
            old = version_state(older, by_revision[older.revision_id]) if older else None
        except UnreadableVersion:
            return None, UNREADABLE
        return compare(old, new), None

    # -- revision comments ---------------------------------------------------------
    def save_form(self, request, form, change):
        """Remember the record as stored, before this save, to say what the save changed."""
        if change:
            setattr(request, STATE_BEFORE, current_state(form.instance))
        return super().save_form(request, form, change)

    def log_change(self, request, obj, message):
        """Word the revision comment from the stored states (fields and link rows)."""
        entry = super().log_change(request, obj, message)
        before = getattr(request, STATE_BEFORE, None)
        if before is not None and reversion.is_active():
            comment = history.describe_change(before, current_state(obj))
            if comment:
                reversion.set_comment(comment)
        return entry

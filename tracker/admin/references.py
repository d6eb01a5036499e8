"""What refers to a record, shown on its change page: statements about it, records linking to it.

The relations themselves are declared once, in :mod:`tracker.references`;
this module shows them as a read-only “Referred to by” section of the
change form, each list bounded (the first 50 and how many there are).
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ..models import TrackedModel
from ..references import Reference, references_to
from .compare import admin_url

#: How many referring records of one kind a change page lists.
LISTED = 50
#: Referring records are counted up to this many; beyond, the page says “more than”.
COUNTED = 10_000

FIELD = "referred_by"


def _count(reference: Reference, record: TrackedModel) -> str:
    """How many records refer, counting no further than :data:`COUNTED`."""
    found = reference.records(record).order_by().values("pk")[: COUNTED + 1].count()
    return f"more than {COUNTED:,}" if found > COUNTED else f"{found:,}"


def _link(admin_site: admin.AdminSite, obj: TrackedModel) -> SafeString:
    url = admin_url(admin_site.name, type(obj), "change", str(obj.pk))
    return format_html('<a href="{}">{}</a>', url, obj)


def references_html(admin_site: admin.AdminSite, record: TrackedModel) -> SafeString:
    """Each kind of referring record: a heading with the count, then the first ones, linked."""
    sections = []
    for reference in references_to(type(record)):
        rows = list(reference.records(record)[: LISTED + 1])
        if not rows:
            continue
        count = f"{len(rows)}" if len(rows) <= LISTED else _count(reference, record)
        links = ((_link(admin_site, row),) for row in rows[:LISTED])
        items = format_html_join("", "<li>{}</li>", links)
        more = (
            format_html('<p class="help">The first {} are listed.</p>', LISTED)
            if len(rows) > LISTED
            else ""
        )
        sections.append(
            format_html(
                '<div class="references" data-reference="{}"><strong>{} ({})</strong>'
                "<ul>{}</ul>{}</div>",
                reference.label.replace(" ", "-"),
                reference.label[:1].upper() + reference.label[1:],
                count,
                items,
                more,
            )
        )
    if not sections:
        return format_html('<span class="references-none">{}</span>', "Nothing refers to it.")
    return mark_safe("".join(sections))  # noqa: S308 - each part is built by format_html


class ReferencesAdminMixin:
    """Adds the “Referred to by” section to a record's change page."""

    def _shows_references(self, obj) -> bool:
        return obj is not None and bool(references_to(self.model))

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if self._shows_references(obj) and FIELD not in flatten_fieldsets(fieldsets):
            fieldsets.append(("Referred to by", {"fields": (FIELD,)}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return (*fields, FIELD) if self._shows_references(obj) else fields

    @admin.display(description="records referring to it")
    def referred_by(self, obj: TrackedModel) -> SafeString:
        return references_html(self.admin_site, obj)

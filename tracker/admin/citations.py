"""Citations: the inline every cited record's form carries, and the list of all citations."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from reversion.admin import VersionAdmin

from .. import services
from ..models import CITATION_TARGETS, Citation
from .base import ScalableAdmin
from .columns import clip, clipped_column


class CitationFormSet(forms.BaseInlineFormSet):
    """A record's citations, each source, footnote and page at most once.

    The database's unique constraint on citations is conditional (one per
    kind of record), which Django's formset does not check; without this the
    second copy would fail only at the database, after the form was accepted.
    """

    def clean(self):
        super().clean()
        seen: dict[tuple, int] = {}
        for number, form in enumerate(self.forms, start=1):
            data = getattr(form, "cleaned_data", None) or {}
            # A form ticked for deletion carries DELETE in its cleaned data.
            if not data.get("source") or (self.can_delete and data.get("DELETE")):
                continue
            key = (data["source"].pk, data.get("footnote"), data.get("locator") or "")
            if key in seen:
                form.add_error(
                    "source",
                    f"Citation {seen[key]} already cites this source with the same footnote "
                    "and page. List each citation once.",
                )
            else:
                seen[key] = number


def citation_inline(target: str) -> type[admin.TabularInline]:
    """An inline editing the citations of the record type behind ``target``."""
    return type(
        f"{target.title().replace('_', '')}CitationInline",
        (admin.TabularInline,),
        {
            "model": Citation,
            "formset": CitationFormSet,
            "fk_name": target,
            "fields": ("source", "footnote", "locator", "excerpt"),
            "autocomplete_fields": ("source",),
            "extra": 0,
            "verbose_name": "citation",
            "verbose_name_plural": "citations (every fact cites its source)",
        },
    )


@admin.register(Citation)
class CitationAdmin(VersionAdmin, ScalableAdmin):
    """All citations in one list, to find what rests on a footnote or a source."""

    list_display = ("footnote", "locator", "source_column", "target_label")
    search_fields = ("source__title", "source__slug", "locator", "excerpt")
    list_filter = ("footnote", "source__kind")
    autocomplete_fields = ("source", "agreement", "exercise", "arms_deal", "statement", "actor")
    readonly_fields = ("created_at", "updated_at")
    # A statement is named by its speaker: loaded with it, not once per row.
    list_select_related = (
        "source",
        "agreement",
        "exercise",
        "arms_deal",
        "statement__speaker",
        "actor",
    )
    list_per_page = 100
    history_latest_first = True
    source_column = clipped_column("source", "source", lines=2)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        services.citation_save(obj, user=request.user)

    # The revision is the supported record's: keep the comment naming the
    # citation (VersionAdmin would replace it with “Changed Locator.”).
    def log_addition(self, request, obj, message):
        return admin.ModelAdmin.log_addition(self, request, obj, message)

    def log_change(self, request, obj, message):
        return admin.ModelAdmin.log_change(self, request, obj, message)

    def delete_model(self, request: HttpRequest, obj) -> None:
        services.citation_delete(obj, user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # One by one so each supported record's history records the removal.
        for obj in queryset.select_related(*CITATION_TARGETS):
            services.citation_delete(obj, user=request.user)

    @admin.display(description="supports")
    def target_label(self, obj: Citation) -> str:
        target = obj.target
        if target is None:
            return ""
        return clip(f"{target.record_type()}: {target}", "wide", lines=2)

"""Citations: the inline every cited record's form carries, and the list of all citations."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import quote, unquote
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect
from reversion.admin import VersionAdmin
from reversion.errors import RevertError
from reversion.models import Version

from .. import registry, services, versions
from ..models import CITATION_TARGETS, Citation, normalise_locator
from .base import ScalableAdmin
from .columns import clip, clipped_column
from .filters import IndexedValuesFilter
from .pickers import PickerLabels


class CitationFormSet(forms.BaseInlineFormSet):
    """A record's citations: each source, footnote and page at most once, and at least one.

    The database's unique constraints on citations are conditional (one per
    kind of record), which Django's formset does not check; without this the
    second copy would fail only at the database, after the form was accepted.
    Locators compare as stored (no locator is ``""``, surrounding spaces
    dropped). A record that states a fact cites at least one source.
    """

    def clean(self):
        super().clean()
        seen: dict[tuple, int] = {}
        for number, form in enumerate(self.forms, start=1):
            data = getattr(form, "cleaned_data", None) or {}
            # A form ticked for deletion carries DELETE in its cleaned data.
            if not data.get("source") or (self.can_delete and data.get("DELETE")):
                continue
            key = (data["source"].pk, data.get("footnote"), normalise_locator(data.get("locator")))
            if key in seen:
                form.add_error(
                    "source",
                    f"Citation {seen[key]} already cites this source with the same footnote "
                    "and page. List each citation once.",
                )
            else:
                seen[key] = number
        model = type(self.instance)
        if not seen and registry.must_cite(model):
            raise forms.ValidationError(services.citation_required_message(model), code="required")


def citation_inline(target: str) -> type[admin.TabularInline]:
    """An inline editing the citations of the record type behind ``target``."""
    return type(
        f"{target.title().replace('_', '')}CitationInline",
        (PickerLabels, admin.TabularInline),
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


def _chosen_target(data: dict):
    return next((data[name] for name in CITATION_TARGETS if data.get(name)), None)


class CitationForm(forms.ModelForm):
    """A citation's own page, carrying the versions it was opened on.

    A citation has its own version (``updated_at``), and the record it
    supports shows it: the save is refused if either was saved since the
    page was opened, so two editors on the same citation cannot overwrite
    each other.
    """

    version = versions.VersionField()
    record_version = versions.VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["version"].initial = versions.record_version(self.instance)
            target = self.instance.target
            if target is not None:
                self.fields["record_version"].initial = versions.record_version(target)

    def clean(self):
        cleaned = super().clean()
        citation = self.instance
        if citation.pk is None:
            return cleaned
        # Before _post_clean: the instance still names the record it supported.
        versions.check_form_version(citation, cleaned.get("version"))
        former = citation.target
        if former is not None:
            versions.check_form_version(former, cleaned.get("record_version"))
            if _chosen_target(cleaned) not in (None, former):
                uncited = services.records_left_uncited([citation])
                if uncited:
                    raise forms.ValidationError(services.uncited_message(uncited))
        return cleaned


@admin.register(Citation)
class CitationAdmin(VersionAdmin, ScalableAdmin):
    """All citations in one list, to find what rests on a footnote or a source."""

    form = CitationForm
    list_display = ("footnote", "locator", "source_column", "target_label")
    search_fields = ("source__title", "source__slug", "locator", "excerpt")
    list_filter = (("footnote", IndexedValuesFilter), "source__kind")
    autocomplete_fields = ("source", "agreement", "exercise", "arms_deal", "statement", "actor")
    readonly_fields = ("created_at", "updated_at")
    # A statement is named by its speaker: loaded with it, not once per row.
    list_select_related = ()
    list_prefetch_related = (
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
        services.citation_save(
            obj,
            user=request.user,
            expected_version=form.cleaned_data.get("version") or None,
            record_version=form.cleaned_data.get("record_version") or None,
        )

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

    def get_deleted_objects(self, objs, request):
        """List, as protected, the records whose only citation this is (nothing is deleted)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        protected += [
            f"{record._meta.verbose_name.capitalize()}: {record} (its only citation)"
            for record in services.records_left_uncited(objs)
        ]
        return deleted, counts, perms_needed, protected

    # A citation is restored with the record it supports: its history's revert and
    # recover pages are the record's, which check the record's version and links.
    def revision_view(self, request, object_id, version_id, extra_context=None):
        versions_ = Version.objects.get_for_model(Citation)
        version = get_object_or_404(versions_, pk=version_id, object_id=unquote(object_id))
        return self._record_page(version)

    def recover_view(self, request, version_id, extra_context=None):
        version = get_object_or_404(Version.objects.get_for_model(Citation), pk=version_id)
        return self._record_page(version)

    def _record_page(self, version: Version):
        try:
            fields = version.field_dict
        except RevertError as exc:
            raise Http404(str(exc)) from exc
        name = next((n for n in CITATION_TARGETS if fields.get(f"{n}_id") is not None), None)
        if name is None:
            raise Http404("This version names no record.")
        model = Citation._meta.get_field(name).related_model
        record_version = version.revision.version_set.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id=str(fields[f"{name}_id"]),
        ).first()
        if record_version is None:
            raise Http404("The record this citation supported is not in this version.")
        opts, site = model._meta, self.admin_site.name
        if model._default_manager.filter(pk=record_version.object_id).exists():
            return redirect(
                f"{site}:{opts.app_label}_{opts.model_name}_revision",
                quote(record_version.object_id),
                record_version.pk,
            )
        return redirect(f"{site}:{opts.app_label}_{opts.model_name}_recover", record_version.pk)

    @admin.display(description="supports")
    def target_label(self, obj: Citation) -> str:
        target = obj.target
        if target is None:
            return ""
        return clip(f"{target.record_type()}: {target}", "wide", lines=2)

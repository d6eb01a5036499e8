"""The editors' admin: every record type, with the columns, filters and inlines editors work with.

Saving goes through :func:`tracker.services.record_save` (the same write path
the API uses), and every changelist loads what it shows with the models'
named prefetching querysets.

Every record's admin is a reversion ``VersionAdmin``: its History page lists
each save with who, when and what changed, any version can be reverted to
(record and links together), and deleted records can be recovered with their
links. The change form carries the version the editor opened; a save over
someone else's newer save is refused with a message saying what they changed.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import smart_split, unescape_string_literal
from reversion.admin import VersionAdmin

from . import history, services
from .counting import EstimatedCountPaginator
from .exports.admin_actions import export_selected_as_csv
from .models import (
    CITATION_TARGETS,
    Actor,
    Agreement,
    AgreementParty,
    ArmsDeal,
    ArmsDealContractor,
    Citation,
    DeletedRecord,
    Exercise,
    ExerciseParticipant,
    Source,
    Statement,
)
from .search import contains_any

history.register_models()

admin.site.site_header = "Sino-Russian Military Cooperation Tracker"
admin.site.site_title = "Sino-Russian tracker"
admin.site.index_title = "Records"


def year_filter(field: str, title: str):
    """A list filter offering the years in which ``field`` (a fuzzy date) falls."""

    class YearFilter(admin.SimpleListFilter):
        parameter_name = f"{field}_year"

        def lookups(self, request, model_admin):
            years = model_admin.get_queryset(request).dates(field, "year", order="DESC")
            return [(str(d.year), str(d.year)) for d in years]

        def queryset(self, request, queryset):
            value = self.value()
            if value and value.isdigit():
                return queryset.filter(**{f"{field}__year": int(value)})
            return queryset

    YearFilter.title = title
    YearFilter.__name__ = f"{field.title().replace('_', '')}YearFilter"
    return YearFilter


def fuzzy_column(field: str, description: str):
    """A changelist column showing a fuzzy date as editors read it, sorting by the date."""

    @admin.display(description=description, ordering=field)
    def column(self, obj):
        return obj.fuzzy(field).display()

    column.__name__ = f"{field}_display"
    return column


def fuzzy_fieldset(field: str) -> tuple[str, str, str]:
    """The three form fields of one fuzzy date, shown on one line."""
    return (field, f"{field}_precision", f"{field}_qualifier")


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
            if not data.get("source") or (self.can_delete and self._should_delete_form(form)):
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


class ScalableChangeList(ChangeList):
    """A changelist whose date bar costs index probes, not a read of every match.

    Django's date hierarchy asks the *filtered* rows for their first and last
    date and their distinct years: for a search matching 30,000 of 150,000
    exercises that read every match twice (over a second). When the matches
    are too many to count exactly, the bar offers the years of the whole table
    instead (index probes, :meth:`TrackedQuerySet.dates`); a year link still
    keeps the search, and with that many matches nearly every year has some.
    """

    def get_results(self, request):
        super().get_results(request)
        if (
            self.date_hierarchy
            and self.queryset.query.where
            and not getattr(self.paginator, "count_is_exact", True)
            and not any(key.startswith(f"{self.date_hierarchy}__") for key in self.params)
        ):
            self.queryset = self.root_queryset


class ScalableAdmin(admin.ModelAdmin):
    """Changelists whose cost does not grow with the table.

    The paginator counts exactly up to 10,000 rows and estimates above (the
    admin counts the filtered rows even with ``show_full_result_count``
    off). Search matches each word with ``icontains`` like Django's own, but
    fields across relations become conditions on this table's columns
    (:mod:`tracker.search`), so the trigram indexes serve every field and no
    join can list a row twice.
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def get_changelist(self, request: HttpRequest, **kwargs):
        return ScalableChangeList

    def get_search_results(self, request, queryset, search_term):
        fields = self.get_search_fields(request)
        if not search_term or not fields:
            return super().get_search_results(request, queryset, search_term)
        for bit in smart_split(search_term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            queryset = queryset.filter(contains_any(queryset.model, fields, bit))
        return queryset, False


class TrackedForm(forms.ModelForm):
    """A record's change form, carrying the version of the record it was opened on."""

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None and self.instance.updated_at is not None:
            self.fields["version"].initial = history.version_token(self.instance.updated_at)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            version = cleaned.get("version")
            if not version:
                raise forms.ValidationError(
                    "This form does not say which version of the record it was opened on, "
                    "so saving it could overwrite someone else's changes. Reload the page "
                    "and make your changes again.",
                    code="no_version",
                )
            # Refused here (a form error, shown at the top of the form) rather
            # than in save_model, where the admin could no longer show it; the
            # row stays locked until the admin's transaction ends.
            services.check_version(self.instance, version)
        return cleaned


class TrackedAdmin(VersionAdmin, ScalableAdmin):
    """What every record's admin shares: slug handling, timestamps, the write path, history."""

    form = TrackedForm
    history_latest_first = True
    readonly_fields: tuple[str, ...] = ("created_at", "updated_at")
    list_per_page = 50
    actions = (export_selected_as_csv,)
    # Sources' URLs are typed without a scheme at times; https is the safe guess.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        # The slug is public once saved: consumers' copies and links depend on it.
        return ("slug", *fields) if obj is not None else fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else super().get_prepopulated_fields(request, obj)

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        services.record_save(
            obj, user=request.user, expected_version=form.cleaned_data.get("version") or None
        )

    def delete_model(self, request: HttpRequest, obj) -> None:
        services.record_delete(obj, user=request.user)

    def get_deleted_objects(self, objs, request):
        """Also list, as protected, the statements that keep an editor from deleting."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        if not request.user.is_superuser:
            statements = services.statements_concerning_any(self.model, objs)
            protected += [
                f"Statement: {statement}"
                for statement in statements[: services.DELETE_REFERENCE_LIMIT]
            ]
        return deleted, counts, perms_needed, protected

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # One by one so each deletion leaves its tombstone and history through the same path.
        for obj in queryset:
            services.record_delete(obj, user=request.user)


RECORD_FIELDSET = (
    "Record",
    {"fields": ("editorial_note", "created_at", "updated_at", "version")},
)


@admin.register(Actor)
class ActorAdmin(TrackedAdmin):
    list_display = ("name", "kind", "country", "parent", "role", "updated_at")
    list_filter = ("kind", "country")
    search_fields = ("name", "slug", "aliases", "role", "description")
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = (citation_inline("actor"),)
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "country", "parent", "role", "aliases")}),
        ("Description", {"fields": ("description",)}),
        RECORD_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).with_parent()


@admin.register(Source)
class SourceAdmin(TrackedAdmin):
    list_display = ("title", "authors", "outlet", "published_display", "kind", "language")
    list_filter = ("kind", "language", year_filter("published", "year published"))
    search_fields = ("title", "slug", "authors", "outlet", "url", "details")
    date_hierarchy = "published"
    prepopulated_fields = {"slug": ("title",)}
    published_display = fuzzy_column("published", "published")
    fieldsets = (
        (None, {"fields": ("title", "slug", "authors", "outlet", "details", "kind", "language")}),
        ("Publication", {"fields": (fuzzy_fieldset("published"), "url", "accessed")}),
        RECORD_FIELDSET,
    )


class AgreementPartyInline(admin.TabularInline):
    model = AgreementParty
    fields = ("actor", "role", "note")
    autocomplete_fields = ("actor",)
    extra = 0


@admin.register(Agreement)
class AgreementAdmin(TrackedAdmin):
    list_display = ("title", "kind", "status", "concluded_display", "party_names")
    list_filter = (
        "kind",
        "status",
        year_filter("concluded", "year concluded"),
        ("parties__country", admin.AllValuesFieldListFilter),
    )
    search_fields = ("title", "slug", "summary", "parties__name")
    date_hierarchy = "concluded"
    autocomplete_fields = ("replaces",)
    prepopulated_fields = {"slug": ("title",)}
    inlines = (AgreementPartyInline, citation_inline("agreement"))
    concluded_display = fuzzy_column("concluded", "concluded")
    fieldsets = (
        (None, {"fields": ("title", "slug", "kind", "status", "replaces")}),
        (
            "Dates",
            {
                "fields": (
                    fuzzy_fieldset("concluded"),
                    fuzzy_fieldset("in_force"),
                    fuzzy_fieldset("expires"),
                )
            },
        ),
        ("Summary", {"fields": ("summary",)}),
        RECORD_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).with_links()

    @admin.display(description="parties")
    def party_names(self, obj: Agreement) -> str:
        return ", ".join(link.actor.name for link in obj.party_links.all())


class ExerciseParticipantInline(admin.TabularInline):
    model = ExerciseParticipant
    fields = ("actor", "role", "contribution")
    autocomplete_fields = ("actor",)
    extra = 0


@admin.register(Exercise)
class ExerciseAdmin(TrackedAdmin):
    list_display = (
        "name",
        "series",
        "domain",
        "start_date_display",
        "location",
        "participant_names",
    )
    list_filter = (
        "domain",
        ("series", admin.AllValuesFieldListFilter),
        year_filter("start_date", "year"),
        ("participants__country", admin.AllValuesFieldListFilter),
    )
    search_fields = (
        "name",
        "slug",
        "series",
        "location",
        "region",
        "summary",
        "participants__name",
    )
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ("name",)}
    inlines = (ExerciseParticipantInline, citation_inline("exercise"))
    start_date_display = fuzzy_column("start_date", "start")
    fieldsets = (
        (None, {"fields": ("name", "slug", "series", "domain")}),
        (
            "When and where",
            {
                "fields": (
                    fuzzy_fieldset("start_date"),
                    fuzzy_fieldset("end_date"),
                    "location",
                    "region",
                )
            },
        ),
        ("Summary", {"fields": ("summary",)}),
        RECORD_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).with_participants()

    @admin.display(description="participants")
    def participant_names(self, obj: Exercise) -> str:
        return ", ".join(link.actor.name for link in obj.participations.all())


class ArmsDealContractorInline(admin.TabularInline):
    model = ArmsDealContractor
    fields = ("actor", "role", "note")
    autocomplete_fields = ("actor",)
    extra = 0


@admin.register(ArmsDeal)
class ArmsDealAdmin(TrackedAdmin):
    list_display = (
        "title",
        "supplier",
        "recipient",
        "category",
        "scope",
        "value_display",
        "period_display",
        "status",
    )
    list_filter = (
        "category",
        "scope",
        "status",
        "value_is_estimate",
        year_filter("contract_date", "contract year"),
        ("supplier__country", admin.AllValuesFieldListFilter),
    )
    search_fields = (
        "title",
        "slug",
        "item",
        "value_text",
        "summary",
        "supplier__name",
        "recipient__name",
    )
    date_hierarchy = "contract_date"
    autocomplete_fields = ("supplier", "recipient")
    prepopulated_fields = {"slug": ("title",)}
    inlines = (ArmsDealContractorInline, citation_inline("arms_deal"))
    fieldsets = (
        (None, {"fields": ("title", "slug", "supplier", "recipient", "item", "category")}),
        (
            "Scope and status",
            {"fields": ("scope", "status", ("quantity", "quantity_is_estimate"))},
        ),
        (
            "Value",
            {
                "fields": (
                    ("value_amount", "value_currency", "value_is_estimate"),
                    "value_text",
                    ("percentage", "percentage_of"),
                )
            },
        ),
        (
            "Dates",
            {
                "fields": (
                    fuzzy_fieldset("contract_date"),
                    fuzzy_fieldset("period_start"),
                    fuzzy_fieldset("period_end"),
                )
            },
        ),
        ("Summary", {"fields": ("summary",)}),
        RECORD_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).with_links()

    @admin.display(description="value", ordering="value_amount")
    def value_display(self, obj: ArmsDeal) -> str:
        if obj.value_amount is not None:
            prefix = "≈ " if obj.value_is_estimate else ""
            return f"{prefix}{obj.value_amount:,.0f} {obj.value_currency}"
        if obj.percentage is not None:
            return f"{obj.percentage}% of {obj.percentage_of}"
        return obj.value_text

    @admin.display(description="date or period", ordering="contract_date")
    def period_display(self, obj: ArmsDeal) -> str:
        if obj.contract_date:
            return obj.fuzzy("contract_date").display()
        start, end = obj.fuzzy("period_start"), obj.fuzzy("period_end")
        if start.is_known and end.is_known:
            return f"{start.display()} – {end.display()}"
        return start.display() if start.is_known else ""


@admin.register(Statement)
class StatementAdmin(TrackedAdmin):
    list_display = ("short_text", "speaker", "kind", "date_display", "occasion")
    list_filter = (
        "kind",
        year_filter("date", "year"),
        ("speaker__country", admin.AllValuesFieldListFilter),
    )
    search_fields = ("text", "slug", "occasion", "speaker__name", "speaker__aliases")
    date_hierarchy = "date"
    autocomplete_fields = (
        "speaker",
        "about_agreements",
        "about_exercises",
        "about_arms_deals",
        "about_actors",
    )
    inlines = (citation_inline("statement"),)
    date_display = fuzzy_column("date", "date")
    fieldsets = (
        (None, {"fields": ("slug", "speaker", "speaker_role", "kind", "text", "language")}),
        ("When and where", {"fields": (fuzzy_fieldset("date"), "occasion")}),
        (
            "What it concerns",
            {"fields": ("about_agreements", "about_exercises", "about_arms_deals", "about_actors")},
        ),
        RECORD_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("speaker")

    @admin.display(description="statement", ordering="text")
    def short_text(self, obj: Statement) -> str:
        return obj.text if len(obj.text) <= 90 else obj.text[:87] + "…"


@admin.register(Citation)
class CitationAdmin(VersionAdmin, ScalableAdmin):
    """All citations in one list, to find what rests on a footnote or a source."""

    list_display = ("footnote", "locator", "source", "target_label")
    search_fields = ("source__title", "source__slug", "locator", "excerpt")
    list_filter = ("footnote", "source__kind")
    autocomplete_fields = ("source", "agreement", "exercise", "arms_deal", "statement", "actor")
    readonly_fields = ("created_at", "updated_at")
    list_select_related = ("source", "agreement", "exercise", "arms_deal", "statement", "actor")
    list_per_page = 100
    history_latest_first = True

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
        return f"{target.record_type()}: {target}" if target is not None else ""


@admin.register(DeletedRecord)
class DeletedRecordAdmin(ScalableAdmin):
    """Retired identifiers. Read-only: tombstones are written by deletions."""

    list_display = ("record_type", "slug", "deleted_at")
    list_filter = ("record_type",)
    search_fields = ("slug",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

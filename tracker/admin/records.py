"""One admin per record type: columns, filters, search, inlines and fieldsets."""

from __future__ import annotations

from django.contrib import admin

from .. import registry
from ..models import (
    Agreement,
    AgreementParty,
    ArmsDeal,
    ArmsDealContractor,
    DeletedRecord,
    Exercise,
    ExerciseParticipant,
    Statement,
)
from .base import (
    RECORD_FIELDSET,
    ScalableAdmin,
    TrackedAdmin,
    fuzzy_column,
    year_filter,
)
from .citations import citation_inline


class ActorAdmin(TrackedAdmin):
    list_display = ("name", "kind", "country", "parent", "role", "updated_at")
    list_filter = ("kind", "country")
    search_fields = ("slug", *registry.ACTOR.search_fields)
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


class SourceAdmin(TrackedAdmin):
    list_display = ("title", "authors", "outlet", "published_display", "kind", "language")
    list_filter = ("kind", "language", year_filter("published", "year published"))
    search_fields = ("slug", *registry.SOURCE.search_fields, "url")
    date_hierarchy = "published"
    prepopulated_fields = {"slug": ("title",)}
    published_display = fuzzy_column("published", "published")
    fieldsets = (
        (None, {"fields": ("title", "slug", "authors", "outlet", "details", "kind", "language")}),
        ("Publication", {"fields": ("published", "url", "accessed")}),
        RECORD_FIELDSET,
    )


class AgreementPartyInline(admin.TabularInline):
    model = AgreementParty
    fields = ("actor", "role", "note")
    autocomplete_fields = ("actor",)
    extra = 0


class AgreementAdmin(TrackedAdmin):
    list_display = ("title", "kind", "status", "concluded_display", "party_names")
    list_filter = (
        "kind",
        "status",
        year_filter("concluded", "year concluded"),
        ("parties__country", admin.AllValuesFieldListFilter),
    )
    search_fields = ("slug", *registry.AGREEMENT.search_fields, "parties__name")
    date_hierarchy = "concluded"
    autocomplete_fields = ("replaces",)
    prepopulated_fields = {"slug": ("title",)}
    inlines = (AgreementPartyInline, citation_inline("agreement"))
    concluded_display = fuzzy_column("concluded", "concluded")
    fieldsets = (
        (None, {"fields": ("title", "slug", "kind", "status", "replaces")}),
        ("Dates", {"fields": ("concluded", "in_force", "expires")}),
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
    search_fields = ("slug", *registry.EXERCISE.search_fields, "participants__name")
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ("name",)}
    inlines = (ExerciseParticipantInline, citation_inline("exercise"))
    start_date_display = fuzzy_column("start_date", "start")
    fieldsets = (
        (None, {"fields": ("name", "slug", "series", "domain")}),
        ("When and where", {"fields": ("start_date", "end_date", "location", "region")}),
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
        "slug",
        *registry.ARMS_DEAL.search_fields,
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
        ("Dates", {"fields": ("contract_date", "period_start", "period_end")}),
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


class StatementAdmin(TrackedAdmin):
    list_display = ("short_text", "speaker", "kind", "date_display", "occasion")
    list_filter = (
        "kind",
        year_filter("date", "year"),
        ("speaker__country", admin.AllValuesFieldListFilter),
    )
    search_fields = ("slug", *registry.STATEMENT.search_fields, "speaker__aliases")
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
        ("When and where", {"fields": ("date", "occasion")}),
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

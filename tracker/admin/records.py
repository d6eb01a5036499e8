"""One admin per record type: columns, filters, search, inlines and fieldsets."""

from __future__ import annotations

from django.contrib import admin

from .. import registry
from ..models import (
    Actor,
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
from .columns import clip, clipped_column
from .filters import IndexedValuesFilter, country_filter
from .pickers import LinkInline
from .rows import row_inlines


class ActorAdmin(TrackedAdmin):
    list_display = ("name_column", "kind", "country", "place")
    list_filter = ("kind", country_filter("country", "country"))
    search_fields = ("slug", *registry.ACTOR.search_fields)
    autocomplete_fields = ("parent",)
    prepopulated_fields = {"slug": ("name",)}
    inlines = (citation_inline("actor"),)
    name_column = clipped_column("name", "name", "wide", lines=2)
    fieldsets = (
        (None, {"fields": ("name", "slug", "kind", "country", "parent", "role", "aliases")}),
        ("Description", {"fields": ("description",)}),
        RECORD_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).with_parent()

    @admin.display(description="role or part of")
    def place(self, obj: Actor) -> str:
        """A person's role, else what the actor belongs to: where it stands, in one column."""
        if obj.role:
            return clip(obj.role)
        return clip(f"part of {obj.parent}") if obj.parent_id else ""


class SourceAdmin(TrackedAdmin):
    list_display = (
        "title_column",
        "authors_column",
        "outlet_column",
        "published_display",
        "kind",
    )
    list_filter = ("kind", "language", year_filter("published", "year published"))
    search_fields = ("slug", *registry.SOURCE.search_fields, "url")
    date_hierarchy = "published"
    prepopulated_fields = {"slug": ("title",)}
    published_display = fuzzy_column("published", "published")
    title_column = clipped_column("title", "title", "wide", lines=2)
    authors_column = clipped_column("authors", "authors", "narrow")
    outlet_column = clipped_column("outlet", "outlet", "narrow")
    fieldsets = (
        (None, {"fields": ("title", "slug", "authors", "outlet", "details", "kind", "language")}),
        ("Publication", {"fields": ("published", "url", "accessed")}),
        RECORD_FIELDSET,
    )


class AgreementPartyInline(LinkInline):
    model = AgreementParty
    fields = ("actor", "role", "note")


class AgreementAdmin(TrackedAdmin):
    list_display = ("title_column", "kind", "status", "concluded_display", "party_names")
    list_filter = (
        "kind",
        "status",
        year_filter("concluded", "year concluded"),
        country_filter("parties__country", "party's country"),
    )
    search_fields = ("slug", *registry.AGREEMENT.search_fields, "parties__name")
    date_hierarchy = "concluded"
    autocomplete_fields = ("replaces",)
    prepopulated_fields = {"slug": ("title",)}
    inlines = (AgreementPartyInline, citation_inline("agreement"), *row_inlines(Agreement))
    concluded_display = fuzzy_column("concluded", "concluded")
    title_column = clipped_column("title", "title", "wide", lines=2)
    fieldsets = (
        (None, {"fields": ("title", "slug", "kind", "status", "replaces")}),
        ("Dates", {"fields": ("concluded", "in_force", "expires", "date_unknown")}),
        ("Summary", {"fields": ("summary",)}),
        RECORD_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).with_links()

    @admin.display(description="parties")
    def party_names(self, obj: Agreement) -> str:
        return clip(", ".join(link.actor.name for link in obj.party_links.all()))


class ExerciseParticipantInline(LinkInline):
    model = ExerciseParticipant
    fields = ("actor", "role", "contribution")


class ExerciseAdmin(TrackedAdmin):
    list_display = (
        "name_column",
        "domain",
        "start_date_display",
        "location_column",
        "participant_names",
    )
    list_filter = (
        "domain",
        ("series", IndexedValuesFilter),
        year_filter("start_date", "year"),
        country_filter("participants__country", "participant's country"),
    )
    search_fields = ("slug", *registry.EXERCISE.search_fields, "participants__name")
    date_hierarchy = "start_date"
    prepopulated_fields = {"slug": ("name",)}
    inlines = (ExerciseParticipantInline, citation_inline("exercise"), *row_inlines(Exercise))
    start_date_display = fuzzy_column("start_date", "start")
    name_column = clipped_column("name", "name", lines=2)
    location_column = clipped_column("location", "location", "narrow")
    fieldsets = (
        (None, {"fields": ("name", "slug", "series", "domain")}),
        (
            "When and where",
            {"fields": ("start_date", "end_date", "location", "region", "date_unknown")},
        ),
        ("Summary", {"fields": ("summary",)}),
        RECORD_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).with_participants()

    @admin.display(description="participants")
    def participant_names(self, obj: Exercise) -> str:
        return clip(", ".join(link.actor.name for link in obj.participations.all()), "narrow")


class ArmsDealContractorInline(LinkInline):
    model = ArmsDealContractor
    fields = ("actor", "role", "note")


class ArmsDealAdmin(TrackedAdmin):
    list_display = (
        "title_column",
        "supplier_column",
        "recipient_column",
        "value_display",
        "period_display",
    )
    list_filter = (
        "category",
        "scope",
        "status",
        "value_is_estimate",
        year_filter("contract_date", "contract year"),
        country_filter("supplier__country", "supplier's country"),
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
    inlines = (ArmsDealContractorInline, citation_inline("arms_deal"), *row_inlines(ArmsDeal))
    title_column = clipped_column("title", "title", lines=2)
    supplier_column = clipped_column("supplier", "supplier", "narrow")
    recipient_column = clipped_column("recipient", "recipient", "narrow")
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
        ("Dates", {"fields": ("contract_date", "period_start", "period_end", "date_unknown")}),
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
    list_display = ("text_column", "speaker_column", "date_display", "occasion_column")
    list_filter = (
        "kind",
        year_filter("date", "year"),
        country_filter("speaker__country", "speaker's country"),
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
    inlines = (citation_inline("statement"), *row_inlines(Statement))
    date_display = fuzzy_column("date", "date")
    text_column = clipped_column("text", "statement", "wide", lines=2)
    speaker_column = clipped_column("speaker", "speaker")
    occasion_column = clipped_column("occasion", "occasion", "narrow")
    fieldsets = (
        (None, {"fields": ("slug", "speaker", "speaker_role", "kind", "text", "language")}),
        ("When and where", {"fields": ("date", "occasion", "date_unknown")}),
        (
            "What it concerns",
            {"fields": ("about_agreements", "about_exercises", "about_arms_deals", "about_actors")},
        ),
        RECORD_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("speaker")


@admin.register(DeletedRecord)
class DeletedRecordAdmin(ScalableAdmin):
    """Retired identifiers. Read-only: tombstones are written by deletions."""

    # withdrawn: unpublished, a deletion for the public only (docs/workflow.md).
    list_display = ("record_type", "slug", "deleted_at", "public", "withdrawn")
    list_filter = ("record_type", "withdrawn")
    search_fields = ("slug",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""What every record's admin shares: scalable changelists, the versioned form, the write path."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.text import smart_split, unescape_string_literal
from reversion.admin import VersionAdmin

from .. import services, versions
from ..counting import EstimatedCountPaginator
from ..exports.admin_actions import export_selected_as_csv
from ..search import contains_any
from .compare import HistoryCompareMixin
from .references import ReferencesAdminMixin


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

    version = versions.VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["version"].initial = versions.record_version(self.instance)

    def clean(self):
        cleaned = super().clean()
        versions.check_form_version(self.instance, cleaned.get("version"))
        return cleaned


class TrackedAdmin(ReferencesAdminMixin, HistoryCompareMixin, VersionAdmin, ScalableAdmin):
    """What every record's admin shares: slug handling, timestamps, the write path, history
    (with comparisons of versions), and what refers to the record."""

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

"""What every record's admin shares: scalable changelists, the versioned form, the write path."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import redirect
from django.utils.text import capfirst, smart_split, unescape_string_literal
from reversion.admin import VersionAdmin

from .. import services, versions
from ..codes import whole_number
from ..counting import EstimatedCountPaginator
from ..dates import FuzzyDateAttribute
from ..exports.admin_actions import export_selected_as_csv
from ..internals import (
    changelist_rows,
    date_bar_from_dates,
    date_bar_over_whole_table,
    is_filtered,
)
from ..search import contains_any
from .compare import HistoryCompareMixin
from .dates import FuzzyDateFormField, read_only_words
from .duplicates import DuplicateWarningForm
from .pickers import PickerLabels
from .publication import PublicationAdminMixin
from .references import ReferencesAdminMixin
from .revert import RevertAdmin
from .saving import SavedThroughWritePath
from .sorting import IndexedSorting
from .widgets import VocabularyInput


def year_filter(field: str, title: str):
    """A list filter offering the years in which ``field`` (a fuzzy date) falls."""

    class YearFilter(admin.SimpleListFilter):
        parameter_name = f"{field}_year"

        def lookups(self, request, model_admin):
            years = model_admin.get_queryset(request).dates(field, "year", order="DESC")
            return [(str(d.year), str(d.year)) for d in years]

        def queryset(self, request, queryset):
            year = whole_number(self.value() or "", 1, 9999)
            return queryset.filter(**{f"{field}__year": year}) if year else queryset

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


def is_possible_key(model, name: str, value) -> bool:
    """Whether ``value`` (a string, or a list of them for a many-to-many field) could be
    the key of a row the relation ``name`` of ``model`` points to; True for other names."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return True
    if not field.is_relation or field.related_model is None:
        return True
    target = field.target_field
    internal_type = target.get_internal_type()
    low = high = None
    if internal_type.endswith(("IntegerField", "AutoField")):
        low, high = connection.ops.integer_field_range(internal_type)
    for item in value if isinstance(value, list) else [value]:
        try:
            key = target.to_python(item)
        except (ValidationError, ValueError, TypeError):
            return False
        if isinstance(key, int) and not (
            (low is None or key >= low) and (high is None or key <= high)
        ):
            return False
    return True


class ScalableChangeList(IndexedSorting, ChangeList):
    """A changelist whose date bar costs index probes, not a read of every match,
    and whose columns sort only in an index's order (:mod:`.sorting`).

    Django's date hierarchy asks the *filtered* rows for their first and last
    date and their distinct years: for a search matching 30,000 of 150,000
    exercises that read every match twice (over a second). When the matches
    are too many to count exactly, the bar offers the years of the whole table
    instead (index probes, :meth:`TrackedQuerySet.dates`); a year link still
    keeps the search, and with that many matches nearly every year has some.
    """

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except OverflowError as exc:
            # The date bar's year or month beyond what a date can hold
            # (?start_date__year=99999999999): the admin's "invalid filter" answer.
            raise IncorrectLookupParameters(exc) from exc

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.prefetch_related(*self.model_admin.list_prefetch_related)

    def get_results(self, request):
        super().get_results(request)
        shown = changelist_rows(self)
        dates = getattr(shown.paginator, "values_along", None)
        if shown.date_field and dates is not None:
            # A search's matches' dates, read with their keys while counting them.
            date_bar_from_dates(self, dates)
        elif (
            shown.date_field
            and is_filtered(shown.rows)
            and not getattr(shown.paginator, "count_is_exact", True)
            and not any(key.startswith(f"{shown.date_field}__") for key in shown.params)
        ):
            date_bar_over_whole_table(self)


class ScalableAdmin(PickerLabels, admin.ModelAdmin):
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
    #: Records the list shows through foreign keys, read by their keys after the
    #: page (one query each) rather than joined to it: six joins cost PostgreSQL
    #: more to plan than the page took to read.
    list_prefetch_related: tuple[str, ...] = ()

    class Media:
        # Lists and forms that fit a laptop's screen (columns cut, inline fields narrower).
        css = {"all": ("tracker/admin.css", "tracker/publication.css")}

    def get_changelist(self, request: HttpRequest, **kwargs):
        return ScalableChangeList

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # A search's conditions cost more to test again for the page than reading its
        # matches' keys in order while counting them (statements search at 1M: 135 ->
        # 120 ms); a filter's do not (year filter at 10k: 41 -> 45 ms), so only a search.
        # Its date bar's dates are read with the keys: asking for the first, last and
        # distinct years of the matches again tests the search on each twice more.
        searched = bool(request.GET.get(SEARCH_VAR, "").strip())
        # (The history page pages its log entries with this paginator too.)
        own_rows = getattr(queryset, "model", None) is self.model
        return self.paginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            keeps_matched_keys=searched,
            read_along=self.date_bar_column() if searched and own_rows else None,
        )

    def date_bar_column(self) -> str | None:
        """The date bar's field if it is a date column of the list's own table (not a
        date and time, whose bar is in local time, nor a field across a relation)."""
        try:
            field = self.model._meta.get_field(self.date_hierarchy or "")
        except FieldDoesNotExist:
            return None
        is_date = isinstance(field, models.DateField) and not isinstance(
            field, models.DateTimeField
        )
        return field.name if is_date else None

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        """Initial values from the query (``add/?source=3``), without those that name no
        possible row: the picker would look them up as they are (``?source=²`` or a
        20-digit number made the page fail); the box is left empty instead."""
        initial = super().get_changeform_initial_data(request)
        for name, value in list(initial.items()):
            if not is_possible_key(self.model, name, value):
                del initial[name]
        return initial

    def get_search_results(self, request, queryset, search_term):
        fields = self.get_search_fields(request)
        if not search_term or not fields:
            return super().get_search_results(request, queryset, search_term)
        for bit in smart_split(search_term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            queryset = queryset.filter(contains_any(queryset.model, fields, bit))
        return queryset, False


class TrackedForm(DuplicateWarningForm):
    """A record's change form, carrying the version of the record it was opened on.

    Each fuzzy date of the model (``fuzzy_dates``) is one box in words
    (:class:`FuzzyDateFormField`) in place of its first-day column; cleaning
    sets the three columns from it.
    """

    version = versions.VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["version"].initial = versions.record_version(self.instance)
        given = kwargs.get("initial") or {}
        for name in self.fuzzy_date_names:
            column = self.fields[name]
            self.fields[name] = FuzzyDateFormField(label=column.label, disabled=column.disabled)
            if name not in given:
                self.initial[name] = self.instance.fuzzy(name)

    @property
    def fuzzy_date_names(self) -> list[str]:
        """The model's fuzzy dates this form shows."""
        return [
            name for name in getattr(self._meta.model, "fuzzy_dates", ()) if name in self.fields
        ]

    def clean(self):
        cleaned = super().clean()
        for name in self.fuzzy_date_names:
            if name in cleaned:
                # Before anything below can refuse the form: the model form then
                # copies a date, not a FuzzyDate, into the date column.
                FuzzyDateAttribute(name).__set__(self.instance, cleaned[name])
                cleaned[name] = cleaned[name].value
        versions.check_form_version(self.instance, cleaned.get("version"))
        return cleaned


def delete_selected_at_versions(modeladmin, request: HttpRequest, queryset: QuerySet):
    """Django's "Delete selected" whose confirmation checks each record's version.

    A record saved by someone else since the confirmation page was drawn (or a
    confirmation without versions) deletes nothing and says why, on the list.
    """
    try:
        return delete_selected(modeladmin, request, queryset)
    except forms.ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return None


class TrackedAdmin(
    PublicationAdminMixin,
    RevertAdmin,
    SavedThroughWritePath,
    ReferencesAdminMixin,
    HistoryCompareMixin,
    VersionAdmin,
    ScalableAdmin,
):
    """What every record's admin shares: slug handling, timestamps, the write path, history
    (with comparisons of versions), and what refers to the record.

    A record is saved with its inlines' rows by one ``record_save``
    (:mod:`.saving`); reverting and recovering go through the same save, with
    the version check (:mod:`.revert`).
    """

    form = TrackedForm
    # The deletion page's form carries the record's version (delete_view).
    delete_confirmation_template = "tracker/admin/delete_confirmation.html"
    # ... and the deletion of several records from the list carries each one's.
    delete_selected_confirmation_template = "tracker/admin/delete_selected_confirmation.html"
    # Reversion's list (with "Recover deleted ...") plus a link to Import records.
    change_list_template = "admin/tracker/change_list.html"
    history_latest_first = True
    # The status changes by the publication buttons (tracker.admin.publication) only.
    readonly_fields: tuple[str, ...] = ("publication_status", "created_at", "updated_at")
    list_per_page = 50
    actions = (export_selected_as_csv,)
    # Sources' URLs are typed without a scheme at times; https is the safe guess.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.model.vocabulary_fields:
            kwargs["widget"] = VocabularyInput(self.model().vocabulary(db_field.name))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        # The slug is public once saved: consumers' copies and links depend on it.
        return ("slug", *fields) if obj is not None else fields

    def get_prepopulated_fields(self, request, obj=None):
        return {} if obj is not None else super().get_prepopulated_fields(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets
        # A viewer's page shows every field read-only from the model, where a
        # fuzzy date's column is only its first day: show the date in words.
        shown = {
            name: read_only_words(name, capfirst(self.model._meta.get_field(name).verbose_name))
            for name in self.model.fuzzy_dates
        }

        def swap(entry):
            if isinstance(entry, (list, tuple)):
                return tuple(swap(item) for item in entry)
            return shown.get(entry, entry)

        return [
            (title, {**options, "fields": swap(options["fields"])}) for title, options in fieldsets
        ]

    def delete_view(self, request, object_id, extra_context=None):
        """The deletion page, whose form carries the version of the record it shows.

        A deletion confirmed after someone else saved the record is refused
        with the change form's conflict message, and nothing is deleted (the
        admin's log entry is rolled back with it): the editor decided on what
        they saw, not on the colleague's save.
        """
        obj = self.get_object(request, unquote(object_id))
        version = versions.record_version(obj) if obj is not None else None
        context = {**(extra_context or {}), "record_version": version}
        try:
            return super().delete_view(request, object_id, context)
        except forms.ValidationError as exc:
            # StaleRecord says who saved what since; a missing version says to reload.
            messages.error(request, " ".join(exc.messages))
            return redirect(request.path)

    def delete_model(self, request: HttpRequest, obj) -> None:
        # Inside the admin's transaction: the row stays locked from the check to the deletion.
        versions.check_form_version(obj, request.POST.get("version"))
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
        """Delete the records the editor confirmed, each at the version shown to them.

        Every version is checked before anything is deleted, and all in one
        transaction: if a colleague saved one of them since, none is deleted.
        One by one so each deletion leaves its tombstone and history through
        the one write path.
        """
        with transaction.atomic():
            records = list(queryset)
            for obj in records:
                versions.check_form_version(obj, request.POST.get(f"version-{obj.pk}"))
            for obj in records:
                services.record_delete(obj, user=request.user)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions["delete_selected"] = (delete_selected_at_versions, name, description)
        return actions


RECORD_FIELDSET = (
    "Record",
    {
        "fields": (
            "publication_status",
            "editorial_note",
            "created_at",
            "updated_at",
            "version",
            "save_anyway",
        )
    },
)

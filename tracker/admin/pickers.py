"""The change forms' pickers (autocomplete boxes): ranked options, labelled to be told apart.

Typing in a picker asks the admin's autocomplete view for options. Here the
options are the record admin's search results ranked by name
(:func:`tracker.search.rank_by_name`: the record called what was typed
first, then names starting with it, then names with a word starting with
it, then the rest), and an actor's option names its kind and country
("Russia — state, Russia"), as does the chosen actor shown in the form.

A picker's posted value is the chosen record's key. Django's picker looks a
posted value up as it is to show it again, so one that cannot be a key
(``abc``, a NUL, a number beyond the column's range) made the refused form's
page a server error; here such a value is shown as no choice, and the form
says "Select a valid choice" next to the box. A several-records field (what
a statement is about) refuses a number too large for the key column before
looking it up, as it refuses ``abc``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError
from django.db import models

from ..counting import EstimatedCountPaginator
from ..models import Actor
from ..search import rank_by_name


def picker_label(obj: models.Model) -> str:
    """How a record is shown in a picker: an actor with its kind and country."""
    if isinstance(obj, Actor):
        details = obj.get_kind_display()
        if obj.country:
            details += f", {obj.country.name}"
        return f"{obj.name} — {details}"
    return str(obj)


class PickerPaginator(EstimatedCountPaginator):
    """A picker's pages of options. A picker shows no count, only whether more options
    follow (read one row ahead), so a search with more matches than are ranked in full
    is not counted: counting 2,663 actors took a fifth of a picker's answer at 1M."""

    counts_every_search = False


class PickerView(AutocompleteJsonView):
    """The admin's autocomplete answers, ranked by name and labelled by :func:`picker_label`."""

    def get_paginator(self, *args, **kwargs):
        return PickerPaginator(*args, **kwargs)

    def get_queryset(self):
        return rank_by_name(super().get_queryset(), self.request.GET.get("term", ""))

    def serialize_result(self, obj, to_field_name):
        return {**super().serialize_result(obj, to_field_name), "text": picker_label(obj)}


def autocomplete_view(request):
    """The admin site's autocomplete view (installed in ``tracker.admin``).

    The site routes ``autocomplete/`` to whatever its ``autocomplete_view`` is
    (``tracker.internals.admin_routes_autocomplete_view``, checked at start-up).
    """
    return PickerView.as_view(admin_site=admin.site)(request)


def could_be_key(field: models.Field, value) -> bool:
    """Whether ``value`` could be stored in ``field`` (a picker's key column), so looked up."""
    if value is None or "\x00" in str(value):
        return False
    try:
        field.run_validators(field.to_python(value))
    except ValidationError:
        return False
    return True


class CheckedKeys:
    """Picker widget mixin: posted values that cannot be keys are shown as no choice."""

    def optgroups(self, name, value, attr=None):
        remote = self.field.remote_field
        name = getattr(remote, "field_name", None)  # a many-to-many picker's is the key
        key = remote.model._meta.get_field(name) if name else remote.model._meta.pk
        return super().optgroups(name, [v for v in value if could_be_key(key, v)], attr)


class CheckedMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A several-records field that refuses a value beyond its key column before looking it up.

    Django's own looks each value up and refuses only what the lookup rejects
    (``abc``); a number too large for the column failed in the database.
    """

    def _check_values(self, value):
        meta = self.queryset.model._meta
        key = meta.get_field(self.to_field_name) if self.to_field_name else meta.pk
        for item in value:
            if not could_be_key(key, item):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                )
        return super()._check_values(value)


class CheckedPicker(CheckedKeys, AutocompleteSelect):
    """The admin's picker of one record, with :class:`CheckedKeys`."""


class CheckedMultiplePicker(CheckedKeys, AutocompleteSelectMultiple):
    """The admin's picker of several records, with :class:`CheckedKeys`."""


class PickerLabels:
    """Model admin and inline mixin: chosen records in pickers shown by :func:`picker_label`,
    posted values that cannot be keys shown as no choice (:class:`CheckedKeys`)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedPicker(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = CheckedMultiplePicker(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", CheckedMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name in self.get_autocomplete_fields(request) and hasattr(
            formfield, "label_from_instance"
        ):
            formfield.label_from_instance = picker_label
        return formfield


class LinkInline(PickerLabels, admin.TabularInline):
    """A record's links to actors (parties, participants, contractors), picked by name."""

    autocomplete_fields = ("actor",)
    extra = 0

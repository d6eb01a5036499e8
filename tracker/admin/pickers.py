"""The change forms' pickers (autocomplete boxes): ranked options, labelled to be told apart.

Typing in a picker asks the admin's autocomplete view for options. Here the
options are the record admin's search results ranked by name
(:func:`tracker.search.rank_by_name`: the record called what was typed
first, then names starting with it, then names with a word starting with
it, then the rest), and an actor's option names its kind and country
("Russia — state, Russia"), as does the chosen actor shown in the form.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.db import models

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


class PickerView(AutocompleteJsonView):
    """The admin's autocomplete answers, ranked by name and labelled by :func:`picker_label`."""

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


class PickerLabels:
    """Model admin and inline mixin: chosen records in pickers shown by :func:`picker_label`."""

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

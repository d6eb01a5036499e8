"""A record's change form saved with its inlines' rows in one call of the write path.

Django's admin saves the record (``save_model``) and then each inline's rows
on their own (``save_related``). Here both are one
:func:`tracker.services.record_save` call with every link set the form
shows, so the admin's saves are validated, versioned and refused exactly as
the API's are: a statement without a citation, a save over a colleague's.
"""

from __future__ import annotations

from typing import Any

from django.forms import BaseInlineFormSet, BaseModelForm
from django.http import HttpRequest

from .. import registry, services
from ..models import Citation


def formset_rows(formset: BaseInlineFormSet, fk: str) -> list[dict[str, Any]]:
    """The rows an inline formset asks for, as ``record_save`` takes them.

    Rows kept or changed, and new rows filled in; rows marked for deletion
    and blank extra rows left out. ``fk`` is the rows' key to the record.
    """
    skip = {fk, formset.model._meta.pk.name, "DELETE", "ORDER"}
    deleted = formset.deleted_forms
    extra = formset.extra_forms
    return [
        {name: value for name, value in form.cleaned_data.items() if name not in skip}
        for form in formset.forms
        if form not in deleted and (form.has_changed() or form not in extra)
    ]


def link_sets(
    request: HttpRequest, form: BaseModelForm, formsets: list[BaseInlineFormSet]
) -> dict[str, Any]:
    """``record_save``'s link-set arguments from a change form and its inlines.

    A set the user may not edit (no add, change or delete permission on its
    rows) is left out, so it is kept as stored.
    """
    record_type = registry.for_model(type(form.instance))
    sets: dict[str, Any] = {}
    for formset in formsets:
        opts = formset.model._meta
        if not all(
            request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")
            for action in ("add", "change", "delete")
        ):
            continue
        if formset.model is Citation and record_type.citation_fk:
            sets["citations"] = formset_rows(formset, record_type.citation_fk)
        elif record_type.links and formset.model is record_type.links.model:
            sets["links"] = formset_rows(formset, record_type.links.fk)
        for rows in record_type.rows:
            if formset.model is rows.model:
                sets[rows.related_name] = formset_rows(formset, record_type.key)
    about = {
        name: form.cleaned_data[name]
        for name in registry.about_relations()
        if name in form.cleaned_data
    }
    if about:
        sets["about"] = about
    return sets


def note_formset_changes(formset: BaseInlineFormSet) -> None:
    """What ``formset.save()`` would have noted, for the admin's change message."""
    deleted = formset.deleted_forms
    formset.new_objects = [
        form.instance for form in formset.extra_forms if form.has_changed() and form not in deleted
    ]
    formset.changed_objects = [
        (form.instance, form.changed_data)
        for form in formset.initial_forms
        if form.has_changed() and form not in deleted
    ]
    formset.deleted_objects = [form.instance for form in formset.initial_forms if form in deleted]


class SavedThroughWritePath:
    """Admin mixin: the record and its inlines' rows saved by one ``record_save``."""

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        """Nothing yet: ``save_related`` saves the record together with its links."""

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        services.record_save(
            form.instance,
            **link_sets(request, form, formsets),
            user=request.user,
            expected_version=form.cleaned_data.get("version") or None,
        )
        for formset in formsets:
            note_formset_changes(formset)

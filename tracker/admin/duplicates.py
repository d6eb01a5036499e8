"""The duplicate warning on the admin's add forms: a second click saves anyway."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from .. import duplicates


class DuplicateWarningForm(forms.ModelForm):
    """An add form that lists similar records with overlapping dates before it saves.

    The check runs once the record is built from the form and valid
    (``validate_unique`` is the form's last step); the warning sets the hidden
    ``save_anyway`` field, so submitting the form again saves the record.
    """

    save_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def validate_unique(self):
        super().validate_unique()
        if self.instance.pk is not None or self.errors or self.cleaned_data.get("save_anyway"):
            return
        candidates = duplicates.similar_records(self.instance)
        if not candidates:
            return
        self.data = self.data.copy()
        self.data[self.add_prefix("save_anyway")] = "True"
        self.add_error(None, duplicate_message(candidates))


def duplicate_message(candidates) -> str:
    """The warning, linking each candidate's change page."""
    meta = candidates[0]._meta
    links = format_html_join(
        ", ",
        '<a href="{}" target="_blank">{}</a> ({})',
        (
            (
                reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[c.pk]),
                str(c),
                c.slug,
            )
            for c in candidates
        ),
    )
    return format_html(
        "This may already be recorded: {}. If it is a different {}, save again to add it anyway.",
        links,
        meta.verbose_name,
    )

"""Inlines for a record's cited rows: reported values and status updates.

The rows are saved with the record by one ``record_save`` (:mod:`.saving`),
which also keeps the record's own fields equal to its preferred values and
its latest status, so the forms here only read what the editor typed: the
date in words (as every date box of the admin), the field or status from the
record type's own list.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin

from .. import registry
from ..dates import FuzzyDate
from ..models import ReportedValue, StatusUpdate, TrackedModel
from ..models.claims import MONEY_FIELD, QUANTITY_FIELD
from .dates import FuzzyDateFormField
from .pickers import PickerLabels

#: The reported values' lines in their (stacked) inline.
VALUE_LAYOUT = (
    ("field", "rank"),
    "date",
    ("amount", "currency"),
    "quantity",
    "value_text",
    "reason",
    ("source", "footnote", "locator"),
)
UPDATE_LAYOUT = (("status", "as_of"), "note", ("source", "footnote", "locator"))


class RowForm(forms.ModelForm):
    """A cited row whose fuzzy date is one box in words; checked as a whole by the write path."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        given = kwargs.get("initial") or {}
        for name in self._meta.model.fuzzy_dates:
            if name in self.fields:
                label = self.fields[name].label
                self.fields[name] = FuzzyDateFormField(label=label)
                if name not in given:
                    # The stored date with its precision, not the bare first day.
                    self.initial[name] = self.instance.fuzzy(name)

    def clean(self):
        cleaned = super().clean()
        for name in self._meta.model.fuzzy_dates:
            value = cleaned.get(name)
            if isinstance(value, FuzzyDate):
                # The three columns record_save stores (and the model form's instance).
                cleaned[name] = value.value
                cleaned[f"{name}_precision"] = value.precision
                cleaned[f"{name}_qualifier"] = value.qualifier
                for column, part in (
                    (name, value.value),
                    (f"{name}_precision", value.precision),
                    (f"{name}_qualifier", value.qualifier),
                ):
                    setattr(self.instance, column, part)
        return cleaned

    def validate_unique(self):
        # Rows are checked against each other by record_save, after the rows the save
        # replaces are gone: a check against the stored rows here would refuse moving
        # the preferred rank from one value to another in one save.
        return


def _field_choices(model: type[TrackedModel]) -> list[tuple[str, str]]:
    labels = {
        MONEY_FIELD: "value (amount and currency)",
        QUANTITY_FIELD: "quantity",
    }
    return [
        (name, labels.get(name) or str(model._meta.get_field(name).verbose_name))
        for name in model.disputable
    ]


def reported_values_inline(model: type[TrackedModel]) -> type[admin.StackedInline]:
    """The inline of ``model``'s reported values: one row per value a source gives."""
    field_choices = _field_choices(model)

    class Form(RowForm):
        field = forms.ChoiceField(choices=field_choices, label="fact")

        class Meta:
            model = ReportedValue
            fields = registry.REPORTED_VALUES.fields

    return type(
        f"{model.__name__}ReportedValueInline",
        # Stacked: eleven columns side by side would not fit a laptop's screen.
        (PickerLabels, admin.StackedInline),
        {
            "model": ReportedValue,
            "form": Form,
            "fk_name": registry.for_model(model).key,
            "fields": VALUE_LAYOUT,
            "autocomplete_fields": ("source",),
            "extra": 0,
            "verbose_name": "reported value",
            "verbose_name_plural": "reported values (where sources disagree: the preferred "
            "value is the one the record shows; a deprecated value needs its reason)",
        },
    )


def status_updates_inline(model: type[TrackedModel]) -> type[admin.StackedInline]:
    """The inline of an agreement's or deal's status updates, each dated and cited."""
    status_choices = list(model._meta.get_field("status").choices)

    class Form(RowForm):
        status = forms.ChoiceField(choices=status_choices)

        class Meta:
            model = StatusUpdate
            fields = registry.STATUS_UPDATES.fields

    return type(
        f"{model.__name__}StatusUpdateInline",
        (PickerLabels, admin.StackedInline),
        {
            "model": StatusUpdate,
            "form": Form,
            "fk_name": registry.for_model(model).key,
            "fields": UPDATE_LAYOUT,
            "autocomplete_fields": ("source",),
            "extra": 0,
            "verbose_name": "status update",
            "verbose_name_plural": "status updates (the record's status is its latest "
            "update's, as of its date)",
        },
    )


def row_inlines(model: type[TrackedModel]) -> tuple[type[admin.InlineModelAdmin], ...]:
    """The inlines of the cited rows ``model``'s records keep (``registry.RecordRows``)."""
    makers = {
        registry.REPORTED_VALUES.related_name: reported_values_inline,
        registry.STATUS_UPDATES.related_name: status_updates_inline,
    }
    return tuple(makers[rows.related_name](model) for rows in registry.for_model(model).rows)

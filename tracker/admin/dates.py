"""Fuzzy dates in the admin: one text box per date, typed and shown in words.

A fuzzy date is three columns (``tracker.dates``); editors see one box that
shows the stored date as :meth:`FuzzyDate.display` writes it and reads what
they type with :meth:`FuzzyDate.parse`, the reader the API uses too.
:class:`tracker.admin.base.TrackedForm` puts one in place of every date the
model lists in ``fuzzy_dates`` and sets the three columns from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from ..dates import ACCEPTED_FORMS, FuzzyDate

HELP_TEXT = f"Type the date as the source words it: {ACCEPTED_FORMS}"


def words(value: FuzzyDate) -> str:
    """What a date box shows for ``value``: its display form, nothing when unknown."""
    return value.display() if value.is_known else ""


class FuzzyDateFormField(forms.Field):
    """One fuzzy date typed in words; cleans to a :class:`FuzzyDate`.

    Its initial value is the stored :class:`FuzzyDate` (or text, as a link to
    the add page may give); a refused text is shown next to the box with the
    accepted forms.
    """

    widget = forms.TextInput(attrs={"class": "vTextField", "placeholder": "e.g. September 2019"})

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", HELP_TEXT)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        return words(value) if isinstance(value, FuzzyDate) else value

    def to_python(self, value: Any) -> FuzzyDate:
        return FuzzyDate.parse(value if isinstance(value, str) else "")

    def validate(self, value: FuzzyDate) -> None:
        if self.required and not value.is_known:
            raise ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial: Any, data: Any) -> bool:
        if self.disabled:
            return False
        try:
            typed = self.to_python(data)
        except ValidationError:
            return True
        if not isinstance(initial, FuzzyDate):
            try:
                initial = self.to_python(initial)
            except ValidationError:
                return True
        return typed != initial


def read_only_words(field: str, label: str) -> Callable[[Any], str]:
    """A read-only field showing the fuzzy date ``field`` in words (for viewers)."""

    def shown(obj) -> str:
        return obj.fuzzy(field).display()

    shown.short_description = label
    # Not the column's own name: the admin would show the column's help text.
    shown.__name__ = f"{field}_words"
    return shown

"""Helpers for posting the admin's change forms as a browser would."""

from __future__ import annotations

from typing import Any


def _value(bound_field) -> Any:
    value = bound_field.value()
    return "" if value is None else value


def change_form_data(response) -> dict[str, Any]:
    """The POST data of the change form in ``response``: every field as the page shows it.

    The main form and every inline formset (management form included), so a
    test can change a few values and post the rest unchanged, version included.
    """
    form = response.context["adminform"].form
    data = {name: _value(form[name]) for name in form.fields}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(n): _value(management[n]) for n in management.fields})
        for row in formset.forms:
            data.update({row.add_prefix(n): _value(row[n]) for n in row.fields})
    return data

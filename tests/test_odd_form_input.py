"""Odd values posted into the admin's change forms: each refused next to its box, never a 500.

The query parameters of every page are walked in ``test_odd_input.py``; here every
field of every record type's change form, and of its inlines' first rows, at once.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as f
from tests.admin_forms import change_form_data
from tracker import models, registry

pytestmark = pytest.mark.django_db


#: Values posted into the admin forms' fields: what cannot be a key, a date or a number.
FORM_ODD_VALUES = ("\x00", "99999999999999999999", "abc", "2019-13-45")
#: The inlines' counts, kept as shown so that every inline row is read.
MANAGEMENT = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")


def _odd_form(form: dict, value: str) -> dict:
    """``form`` with every field of the record and of each inline's first row set to ``value``."""
    return {
        name: value if ("-" not in name or "-0-" in name) and not name.endswith(MANAGEMENT) else old
        for name, old in form.items()
    }


@pytest.mark.parametrize("record_type", registry.RECORD_TYPES, ids=lambda rt: rt.key)
def test_admin_change_form_fields(seeded, editor_client, record_type):
    # Every field odd at once: each is cleaned and drawn again on its own, so one post
    # a value shows what any of them does with it.
    editor_client.raise_request_exception = False
    model = record_type.model
    record = model.objects.order_by("pk")[2]
    url = reverse(f"admin:tracker_{model._meta.model_name}_change", args=[record.pk])
    form = change_form_data(editor_client.get(url))

    answers = [
        editor_client.post(url, _odd_form(form, value)).status_code for value in FORM_ODD_VALUES
    ]

    assert (answers, model.objects.get(pk=record.pk).updated_at) == (
        [200] * len(FORM_ODD_VALUES),
        record.updated_at,
    )


@pytest.mark.parametrize("value", ["abc", "99999999999999999999"])
def test_a_statement_about_a_record_that_cannot_be_a_key_is_refused_next_to_its_box(
    editor_client, value
):
    statement = f.StatementFactory()
    url = reverse("admin:tracker_statement_change", args=[statement.pk])
    form = change_form_data(editor_client.get(url))

    response = editor_client.post(url, {**form, "about_exercises": [value]})

    assert (response.status_code, response.context["adminform"].form.errors["about_exercises"]) == (
        200,
        [f"“{value}” is not a valid value."],
    )


@pytest.mark.parametrize("value", ["abc", "99999999999999999999", "-1"])
def test_a_picked_record_that_cannot_be_a_key_is_refused_next_to_its_box(editor_client, value):
    deal = f.ArmsDealFactory()
    url = reverse("admin:tracker_armsdeal_change", args=[deal.pk])

    response = editor_client.post(
        url, {**change_form_data(editor_client.get(url)), "recipient": value}
    )

    assert (
        response.status_code,
        response.context["adminform"].form.errors["recipient"],
        models.ArmsDeal.objects.get().updated_at,
    ) == (
        200,
        ["Select a valid choice. That choice is not one of the available choices."],
        deal.updated_at,
    )


def test_a_cited_source_that_cannot_be_a_key_is_refused_on_its_row(editor_client):
    deal = f.ArmsDealFactory()
    url = reverse("admin:tracker_armsdeal_change", args=[deal.pk])
    form = change_form_data(editor_client.get(url))

    response = editor_client.post(url, {**form, "citations-0-source": "abc"})

    rows = [i for i in response.context["inline_admin_formsets"] if i.formset.prefix == "citations"]
    assert (response.status_code, rows[0].formset.errors[0]["source"]) == (
        200,
        ["Select a valid choice. That choice is not one of the available choices."],
    )

"""Odd input never gets a 500: every query parameter of the API and the admin, walked.

Each list endpoint's parameters (its filterset's, paging, format) and each
admin changelist's (its filters' own parameter names, search, ordering,
page, the date bar) are sent each odd value below. Every answer must be
below 500; API answers are JSON. The walk prints how many requests it made.

Each record type's admin change form (every field of the form and of the
first row of each inline) is posted the odd values too: every answer is
below 500 and a refused form leaves the record as it was.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from tests import factories as f
from tests.admin_forms import change_form_data
from tracker import models, registry
from tracker.api import views

#: What users and scanners send: NUL, huge and negative numbers, non-ASCII digits,
#: empty list items, a malformed date, an over-long value.
ODD_VALUES = ("\x00", "99999999999999999999", "-1", "²", ",", "", "2019-13-45", "x" * 5000)

API_EXTRA = ("page", "page_size", "cursor", "format", "ordering")


def api_parameters(record_type) -> list[str]:
    filterset = views.VIEWSETS[record_type].filterset_class
    return sorted({*filterset.base_filters, *API_EXTRA})


def admin_parameters(model, editor) -> list[str]:
    model_admin = admin.site.get_model_admin(model)
    request = RequestFactory().get("/")
    request.user = editor
    changelist = model_admin.get_changelist_instance(request)
    names = {"q", "o", "p", "e"}
    for spec in changelist.filter_specs:
        names.update(spec.expected_parameters())
    if model_admin.date_hierarchy:
        names.update(f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day"))
    return sorted(names)


def walk(client, url: str, parameters: list[str]) -> list[tuple[str, str, int]]:
    failures = []
    for name in parameters:
        for value in ODD_VALUES:
            response = client.get(url, {name: value})
            is_json = response.get("Content-Type", "").startswith("application/json")
            if response.status_code >= 500 or (url.startswith("/api/") and not is_json):
                failures.append((name, value[:20], response.status_code))
    return failures


@pytest.mark.django_db
@pytest.mark.parametrize("record_type", registry.RECORD_TYPES, ids=lambda rt: rt.key)
def test_api_list_parameters(client, record_type):
    client.raise_request_exception = False
    parameters = api_parameters(record_type)
    failures = walk(client, f"/api/v1/{record_type.resource}/", parameters)
    print(f"{record_type.resource}: {len(parameters) * len(ODD_VALUES)} requests")
    assert failures == []


@pytest.mark.django_db
def test_deletions_feed_parameters(client):
    client.raise_request_exception = False
    parameters = ["since", "resource", "record_type", *API_EXTRA]
    assert walk(client, "/api/v1/deletions/", parameters) == []


@pytest.mark.django_db
def test_change_feed_parameters(client):
    client.raise_request_exception = False
    parameters = ["sync_token", *API_EXTRA]
    assert walk(client, "/api/v1/changes/", parameters) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [
        *(rt.model for rt in registry.RECORD_TYPES),
        *registry.LINK_MODELS[-1:],
        *registry.SUPPORT_MODELS,
    ],
    ids=lambda m: m._meta.model_name,
)
def test_admin_changelist_parameters(editor_client, editor, model):
    editor_client.raise_request_exception = False
    parameters = admin_parameters(model, editor)
    url = f"/admin/tracker/{model._meta.model_name}/"
    failures = walk(editor_client, url, parameters)
    print(f"{url}: {len(parameters) * len(ODD_VALUES)} requests")
    assert failures == []


@pytest.mark.django_db
def test_admin_autocomplete_parameters(editor_client):
    editor_client.raise_request_exception = False
    url = "/admin/autocomplete/"
    base = {"app_label": "tracker", "model_name": "exerciseparticipant", "field_name": "actor"}
    failures = []
    for name in ("term", "page", "app_label", "model_name", "field_name"):
        for value in ODD_VALUES:
            response = editor_client.get(url, {**base, name: value})
            if response.status_code >= 500:
                failures.append((name, value[:20], response.status_code))
    assert failures == []


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

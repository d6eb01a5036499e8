"""Odd input never gets a 500: every query parameter of the API and the admin, walked.

Each list endpoint's parameters (its filterset's, paging, format) and each
admin changelist's (its filters' own parameter names, search, ordering,
page, the date bar) are sent each odd value below. Every answer must be
below 500; API answers are JSON. The walk prints how many requests it made.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from tracker import registry
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

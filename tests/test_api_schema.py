"""The OpenAPI schema, the offline docs and a schemathesis run over every operation."""

from __future__ import annotations

import re

import pytest
import schemathesis
import yaml
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from tests.api_factories import linked_deal, linked_exercise, linked_statement
from tests.factories import ActorFactory

#: Examples per operation: enough to reach every parameter, small enough for CI.
MAX_EXAMPLES = 25


def test_schema_generates_and_validates_with_no_warnings(tmp_path):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert yaml.safe_load(target.read_text())["openapi"].startswith("3.")


@pytest.mark.django_db
def test_schema_endpoint_serves_openapi_3(api):
    response = api.get("/api/v1/schema/")

    assert yaml.safe_load(response.content)["openapi"].startswith("3.")


@pytest.mark.django_db
def test_docs_page_loads_its_assets_locally_not_from_a_cdn(api):
    html = api.get("/api/v1/docs/").content.decode()

    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(not s.startswith(("http:", "https:", "//")) for s in sources), sources


@pytest.mark.django_db
def test_schema_documents_every_list_filter(api):
    schema = yaml.safe_load(api.get("/api/v1/schema/").content)

    names = {p["name"] for p in schema["paths"]["/api/v1/exercises/"]["get"]["parameters"]}
    assert names == {
        "actor",
        "country",
        "cursor",
        "date_from",
        "date_to",
        "disputed",
        "domain",
        "footnote",
        "ordering",
        "page",
        "page_size",
        "publication_status",
        "region",
        "search",
        "series",
        "source",
        "updated_since",
    }


@pytest.mark.django_db
def test_the_csv_export_documents_the_same_filters_without_paging(api):
    schema = yaml.safe_load(api.get("/api/v1/schema/").content)

    names = {p["name"] for p in schema["paths"]["/api/v1/exercises.csv"]["get"]["parameters"]}
    assert names == {
        "actor",
        "country",
        "date_from",
        "date_to",
        "disputed",
        "domain",
        "footnote",
        "ordering",
        "publication_status",
        "region",
        "search",
        "series",
        "source",
        "updated_since",
    }


@pytest.fixture
def wsgi_keeps_test_transaction():
    """Requests through the real WSGI handler must not close the test's connection.

    Django closes "obsolete" connections at the start and end of every
    request, and a connection inside the test's transaction looks obsolete;
    the Django test client disconnects the same handlers for the same reason.
    """
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def some_records(db):
    """A few linked records, so that reads return real representations."""
    china = ActorFactory(slug="china", name="China", country="CN")
    russia = ActorFactory(slug="russia", name="Russia", country="RU")
    exercise = linked_exercise("tsentr-2019", russia, china)
    linked_deal("su-35", russia, china)
    linked_statement("kashin-1", russia, about_actors=[china], about_exercises=[exercise])


#: The live schema, served by the application itself through WSGI (no database needed).
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/schema/",
    get_wsgi_application(),
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_operation_answers_5xx_or_breaks_its_schema(
    case, wsgi_keeps_test_transaction, some_records, editor
):
    """Anonymous and authenticated calls alike; writes run inside the test's transaction."""
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=editor)
    headers = {"Authorization": f"Token {token.key}"} if case.method != "GET" else {}
    # Each example runs in a savepoint rolled back afterwards: examples start from the
    # same records, and a refused write cannot leave the test's transaction unusable.
    with transaction.atomic():
        try:
            case.call_and_validate(
                headers=headers,
                checks=[
                    not_a_server_error,
                    response_schema_conformance,
                    status_code_conformance,
                    content_type_conformance,
                ],
            )
        finally:
            transaction.set_rollback(True)

"""docs/api.md's recipe through a client generated from /api/v1/schema/ (openapi-python-client).

The client is generated once for this module into a temporary folder, from the schema
the server serves, and talks to the tracker in-process (httpx's WSGI transport), inside
each test's transaction, with a token sent as ``Authorization: Bearer`` (the
generator's default). Everything goes through the generated functions and models:
if the schema and the server disagreed, parsing or a status would fail here.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import httpx
import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from rest_framework.authtoken.models import Token

pytestmark = pytest.mark.usefixtures("seeded")

RESOURCES = ("actors", "sources", "agreements", "exercises", "arms_deals", "statements")
#: The package's name, and no formatting run after generation (nothing to gain in a test).
CONFIG = (
    "project_name_override: tracker-client\npackage_name_override: tracker_client\npost_hooks: []\n"
)


@pytest.fixture(scope="module")
def tracker_client(tmp_path_factory, django_db_blocker):
    """The generated package ``tracker_client``, importable for this module's tests."""
    folder = tmp_path_factory.mktemp("generated")
    with django_db_blocker.unblock():
        schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    (folder / "schema.json").write_bytes(schema.content)
    (folder / "config.yml").write_text(CONFIG)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(folder / "schema.json"),
            "--config",
            str(folder / "config.yml"),
            "--meta",
            "none",
            "--output-path",
            str(folder / "tracker_client"),
            "--fail-on-warning",
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module("tracker_client")
    finally:
        sys.path.remove(str(folder))
        for name in [m for m in sys.modules if m.partition(".")[0] == "tracker_client"]:
            del sys.modules[name]


@pytest.fixture
def in_process():
    """httpx's WSGI transport into this process's tracker, in the test's transaction.

    Like Django's test client, the request signals must not close the connection
    that holds the test's transaction.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield httpx.WSGITransport(app=get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def client(tracker_client, in_process, editor):
    """The generated ``AuthenticatedClient`` holding the editor's token (Bearer)."""
    token, _ = Token.objects.get_or_create(user=editor)
    return tracker_client.AuthenticatedClient(
        base_url="http://testserver",
        token=token.key,
        raise_on_unexpected_status=True,
        httpx_args={"transport": in_process},
    )


def operation(package, resource: str, name: str):
    """The generated module of one operation (``exercises``, ``list`` -> exercises_list)."""
    return importlib.import_module(f"{package.__name__}.api.{resource}.{resource}_{name}")


def download(package, client) -> dict[str, dict[str, dict]]:
    """Every record of every resource, page by page through the list operations."""
    copy: dict[str, dict[str, dict]] = {}
    for resource in RESOURCES:
        listing = operation(package, resource, "list")
        rows, page = {}, 1
        while True:
            response = listing.sync_detailed(client=client, page=page, page_size=500)
            assert response.status_code == 200
            rows.update((row["slug"], row) for row in json.loads(response.content)["results"])
            if response.parsed.next_ is None:
                break
            page += 1
        copy[resource.replace("_", "-")] = rows
    return copy


def sync(package, client, copy: dict, token: str | None = None) -> str:
    """docs/api.md's recipe: apply the changes after ``token``; return the token to keep."""
    feed = operation(package, "changes", "retrieve")
    while True:
        kwargs = {"sync_token": token} if token is not None else {}
        response = feed.sync_detailed(client=client, page_size=50, **kwargs)
        assert response.status_code == 200
        page = response.parsed
        for entry, raw in zip(page.results, json.loads(response.content)["results"], strict=True):
            rows = copy.setdefault(entry.resource, {})
            if entry.deleted:
                rows.pop(entry.slug, None)
            else:
                rows[entry.slug] = raw["record"]
        token = page.sync_token
        if page.next_ is None:
            return token


def etag_of(package, client, resource: str, slug: str) -> str:
    response = operation(package, resource, "retrieve").sync_detailed(slug, client=client)
    assert response.status_code == 200
    return response.headers["ETag"]


def test_mirror_from_the_feed_equals_a_fresh_download(tracker_client, client):
    mirror: dict = {}
    sync(tracker_client, client, mirror)

    assert mirror == download(tracker_client, client)


def test_filtered_list_through_the_generated_models(tracker_client, client):
    listing = operation(tracker_client, "exercises", "list")

    page = listing.sync(client=client, date_from="2019", date_to="2019-12", actor=["china"])

    assert [row.slug for row in page.results] == [
        "cooperation-2019-china-tajikistan",
        "tsentr-2019",
        "russia-china-iran-naval-exercise-2019",
    ]


def test_paging_reads_every_row_once(tracker_client, client):
    listing = operation(tracker_client, "actors", "list")
    slugs, page_number = [], 1
    while True:
        page = listing.sync(client=client, page=page_number, page_size=20)
        slugs += [row.slug for row in page.results]
        if page.next_ is None:
            break
        page_number += 1

    assert (len(slugs), len(set(slugs)), page.count) == (75, 75, 75)


def test_csv_download_is_text(tracker_client, client):
    export = importlib.import_module("tracker_client.api.arms_deals_csv.arms_deals_csv")

    models = importlib.import_module("tracker_client.models")

    text = export.sync(client=client, country=[models.ArmsDealsCsvCountryItem("CN")])

    assert text.splitlines()[0].startswith("slug,")
    assert len(text.splitlines()) == 1 + 13


def test_write_with_if_match_and_the_stale_version_is_412(tracker_client, client):
    models = importlib.import_module("tracker_client.models")
    change = operation(tracker_client, "exercises", "partial_update")
    etag = etag_of(tracker_client, client, "exercises", "tsentr-2019")

    saved = change.sync_detailed(
        "tsentr-2019",
        client=client,
        body=models.PatchedExerciseRequest(region="Central Asia"),
        if_match=etag,
    )
    stale = change.sync_detailed(
        "tsentr-2019",
        client=client,
        body=models.PatchedExerciseRequest(region="Volga"),
        if_match=etag,
    )

    assert (saved.status_code, saved.parsed.region, stale.status_code) == (
        200,
        "Central Asia",
        412,
    )


def test_sync_after_a_write_and_a_delete_equals_a_fresh_download(tracker_client, client):
    models = importlib.import_module("tracker_client.models")
    mirror: dict = {}
    token = sync(tracker_client, client, mirror)
    operation(tracker_client, "exercises", "partial_update").sync_detailed(
        "tsentr-2019",
        client=client,
        body=models.PatchedExerciseRequest(region="Central Asia"),
        if_match=etag_of(tracker_client, client, "exercises", "tsentr-2019"),
    )
    created = operation(tracker_client, "sources", "create").sync_detailed(
        client=client,
        body=models.SourceRequest(
            slug="client-recipe-source", title="Recipe", kind=models.SourceKindEnum.OTHER
        ),
    )
    deleted = operation(tracker_client, "sources", "destroy").sync_detailed(
        "client-recipe-source",
        client=client,
        if_match=created.headers["ETag"],
    )

    sync(tracker_client, client, mirror, token)

    assert (created.status_code, deleted.status_code) == (201, 204)
    assert mirror["exercises"]["tsentr-2019"]["region"] == "Central Asia"
    assert "client-recipe-source" not in mirror["sources"]
    assert mirror == download(tracker_client, client)

"""The change feed (/api/v1/changes/): the documented sync recipe, on both engines."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests import test_api_sync
from tests.api_factories import if_match
from tests.test_api_sync import RESOURCES, full_copy
from tracker import models
from tracker.changes import Position

pytestmark = pytest.mark.django_db

#: Two actors, five exercises, two statements and a source nothing cites.
database = test_api_sync.database


class TokenMirror:
    """A consumer's copy kept current as docs/api.md describes: the feed and its token."""

    def __init__(self):
        self.records: dict[str, dict[str, dict]] = {name: {} for name in RESOURCES}
        self.url = "/api/v1/changes/?page_size=3"
        #: Entries received by the last sync.
        self.received = 0

    def sync(self, client) -> None:
        """Apply every change since the last token; keep the last page's ``next_sync``."""
        self.received = 0
        url = self.url
        while url:
            response = client.get(url)
            assert response.status_code == 200, response.content
            body = response.json()
            for entry in body["results"]:
                self.received += 1
                if entry["deleted"]:
                    self.records[entry["resource"]].pop(entry["slug"], None)
                else:
                    self.records[entry["resource"]][entry["slug"]] = entry["record"]
            url = body["next"]
        self.url = body["next_sync"]


def edit_everything_once(editor_api) -> None:
    """An edit, a rename shown by other records, two deletions and a creation, via the API."""
    for url, change in (
        ("/api/v1/exercises/exercise-2/", {"region": "Far East"}),
        ("/api/v1/actors/china/", {"name": "People's Republic of China"}),
    ):
        editor_api.patch(url, change, format="json", **if_match(editor_api, url))
    assert editor_api.delete("/api/v1/exercises/exercise-4/").status_code == 204
    assert editor_api.delete("/api/v1/sources/orphan-source/").status_code == 204
    editor_api.post(
        "/api/v1/actors/", {"slug": "iran", "name": "Iran", "kind": "state"}, format="json"
    )


def test_first_sync_is_a_full_mirror(api, database):
    mirror = TokenMirror()

    mirror.sync(api)

    assert mirror.records == full_copy(api)


def test_mirror_edit_delete_sync_matches_a_fresh_download(api, editor_api, database):
    mirror = TokenMirror()
    mirror.sync(api)
    edit_everything_once(editor_api)

    mirror.sync(api)

    assert mirror.records == full_copy(api)


def test_a_sync_without_changes_sends_nothing(api, database):
    mirror = TokenMirror()
    mirror.sync(api)

    mirror.sync(api)

    assert mirror.received == 0


def test_a_sync_sends_only_the_changed_records(api, editor_api, database):
    mirror = TokenMirror()
    mirror.sync(api)
    url = "/api/v1/exercises/exercise-2/"
    editor_api.patch(url, {"region": "Far East"}, format="json", **if_match(editor_api, url))

    body = api.get(mirror.url).json()

    assert [(e["resource"], e["slug"], e["record"]["region"]) for e in body["results"]] == [
        ("exercises", "exercise-2", "Far East")
    ]


def test_renaming_an_actor_sends_the_records_that_show_its_name(api, editor_api, database):
    mirror = TokenMirror()
    mirror.sync(api)
    url = "/api/v1/actors/russia/"
    editor_api.patch(
        url, {"name": "Russian Federation"}, format="json", **if_match(editor_api, url)
    )

    body = api.get(mirror.url.replace("page_size=3", "page_size=50")).json()

    assert sorted((e["resource"], e["slug"]) for e in body["results"]) == [
        ("actors", "russia"),
        *[("exercises", f"exercise-{n}") for n in range(5)],
        ("statements", "statement-0"),
    ]


def test_a_deletion_is_a_change_marked_deleted(api, editor_api, database):
    mirror = TokenMirror()
    mirror.sync(api)
    editor_api.delete("/api/v1/sources/orphan-source/")

    body = api.get(mirror.url).json()

    assert body["results"] == [
        {"resource": "sources", "slug": "orphan-source", "deleted": True, "record": None}
    ]


def test_every_page_gives_the_token_of_the_next(api, database):
    first = api.get("/api/v1/changes/?page_size=2").json()

    assert parse_qs(urlsplit(first["next"]).query)["sync_token"] == [first["sync_token"]]


def test_only_the_last_page_gives_next_sync(api, database):
    first = api.get("/api/v1/changes/?page_size=2").json()
    last = api.get("/api/v1/changes/?page_size=500").json()

    assert (first["next_sync"], last["next"]) == (None, None)
    assert parse_qs(urlsplit(last["next_sync"]).query) == {
        "sync_token": [last["sync_token"]],
        "page_size": ["500"],
    }


@pytest.mark.parametrize(
    "token",
    ["garbage", "Zm9v", "%00", Position(1, 2).token() + "x", Position(10**19, 1).token()],
)
def test_forged_token_is_400(api, token):
    response = api.get(f"/api/v1/changes/?sync_token={token}")

    assert (response.status_code, list(response.json())) == (400, ["sync_token"])


def test_unknown_parameter_is_400(api):
    response = api.get("/api/v1/changes/?since=2020-01-01")

    assert (response.status_code, list(response.json())) == (400, ["unknown_parameters"])


def test_token_round_trips():
    assert Position.from_token(Position(123456789012, 42).token()) == Position(123456789012, 42)


def test_page_of_changes_reads_in_a_fixed_number_of_queries(
    api, database, django_assert_max_num_queries
):
    # One query for the log, a few per resource on the page; none per record.
    with django_assert_max_num_queries(20):
        body = api.get("/api/v1/changes/?page_size=500").json()

    assert len(body["results"]) == models.Change.objects.count()

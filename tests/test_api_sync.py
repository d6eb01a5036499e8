"""Incremental sync: mirror everything, then fetch only changes and deletions."""

from __future__ import annotations

import pytest

from tests.api_factories import if_match, linked_exercise, linked_statement
from tests.factories import ActorFactory, SourceFactory
from tracker import models

pytestmark = pytest.mark.django_db

RESOURCES = ("actors", "sources", "agreements", "exercises", "arms-deals", "statements")
EPOCH = "1970-01-01T00:00:00Z"


def fetch_all(client, url: str) -> list[dict]:
    """Every row of a list, following ``next`` links."""
    rows = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        rows.extend(body["results"])
        url = body["next"]
    return rows


class Mirror:
    """A consumer's copy of the database, kept current as docs/api.md describes."""

    def __init__(self):
        self.records: dict[str, dict[str, dict]] = {name: {} for name in RESOURCES}
        self.updated_since = dict.fromkeys(RESOURCES, EPOCH)
        self.deleted_since = EPOCH

    def sync(self, client) -> None:
        """Upsert what changed since the last sync, then drop what was deleted."""
        for resource in RESOURCES:
            url = f"/api/v1/{resource}/?updated_since={self.updated_since[resource]}&page_size=2"
            for row in fetch_all(client, url):
                self.records[resource][row["slug"]] = row
                self.updated_since[resource] = max(
                    self.updated_since[resource], row["updated_at"], key=_instant
                )
        for tombstone in fetch_all(client, f"/api/v1/deletions/?since={self.deleted_since}"):
            self.records[tombstone["resource"]].pop(tombstone["slug"], None)
            self.deleted_since = max(self.deleted_since, tombstone["deleted_at"], key=_instant)


def _instant(text: str):
    from django.utils.dateparse import parse_datetime

    return parse_datetime(text.replace("Z", "+00:00"))


def full_copy(client) -> dict[str, dict[str, dict]]:
    """What a consumer downloading everything afresh would get."""
    return {
        resource: {row["slug"]: row for row in fetch_all(client, f"/api/v1/{resource}/")}
        for resource in RESOURCES
    }


@pytest.fixture
def database(db):
    china = ActorFactory(slug="china", name="China")
    russia = ActorFactory(slug="russia", name="Russia")
    for n in range(5):
        linked_exercise(f"exercise-{n}", china, russia)
    linked_statement("statement-0", russia, about_actors=[china])
    linked_statement("statement-1", china)
    SourceFactory(slug="orphan-source")


def test_mirror_edit_delete_sync_matches_a_fresh_download(api, editor_api, database):
    mirror = Mirror()
    mirror.sync(api)
    editor_api.patch(
        "/api/v1/exercises/exercise-2/",
        {"region": "Far East"},
        format="json",
        **if_match(editor_api, "/api/v1/exercises/exercise-2/"),
    )
    editor_api.patch(
        "/api/v1/actors/china/",
        {"name": "People's Republic of China"},
        format="json",
        **if_match(editor_api, "/api/v1/actors/china/"),
    )
    editor_api.delete("/api/v1/exercises/exercise-4/")
    editor_api.delete("/api/v1/sources/orphan-source/")
    editor_api.post(
        "/api/v1/actors/", {"slug": "iran", "name": "Iran", "kind": "state"}, format="json"
    )

    mirror.sync(api)

    assert mirror.records == full_copy(api)


def test_second_sync_without_changes_fetches_only_the_boundary_rows(api, database):
    mirror = Mirror()
    mirror.sync(api)

    response = api.get(f"/api/v1/exercises/?updated_since={mirror.updated_since['exercises']}")

    assert [row["slug"] for row in response.json()["results"]] == ["exercise-4"]


def test_editing_while_paging_neither_skips_nor_loses_a_record(api, editor_api, database):
    first = api.get(f"/api/v1/exercises/?updated_since={EPOCH}&page_size=2").json()
    editor_api.patch(
        "/api/v1/exercises/exercise-0/",
        {"region": "Arctic"},
        format="json",
        **if_match(editor_api, "/api/v1/exercises/exercise-0/"),
    )

    rest = fetch_all(api, first["next"])

    assert [row["slug"] for row in first["results"] + rest] == [
        "exercise-0",
        "exercise-1",
        "exercise-2",
        "exercise-3",
        "exercise-4",
        "exercise-0",
    ]


def test_sync_list_is_ordered_by_updated_at_then_slug(api, database):
    models.Exercise.objects.update(updated_at="2026-01-01T00:00:00Z")

    response = api.get(f"/api/v1/exercises/?updated_since={EPOCH}&page_size=3")

    assert [row["slug"] for row in response.json()["results"]] == [
        "exercise-0",
        "exercise-1",
        "exercise-2",
    ]


def test_cursor_pages_through_equal_timestamps_by_slug(api, database):
    models.Exercise.objects.update(updated_at="2026-01-01T00:00:00Z")

    rows = fetch_all(api, f"/api/v1/exercises/?updated_since={EPOCH}&page_size=2")

    assert [row["slug"] for row in rows] == [f"exercise-{n}" for n in range(5)]


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "2026-01-01T25:00"])
def test_malformed_updated_since_is_400(api, value):
    response = api.get(f"/api/v1/exercises/?updated_since={value}")

    assert (response.status_code, list(response.json())) == (400, ["updated_since"])


def test_updated_since_with_ordering_is_400(api):
    response = api.get(f"/api/v1/exercises/?updated_since={EPOCH}&ordering=name")

    assert (response.status_code, list(response.json())) == (400, ["ordering"])


@pytest.mark.parametrize("cursor", ["garbage", "Zm9v", "%00"])
def test_forged_cursor_is_400(api, cursor):
    response = api.get(f"/api/v1/exercises/?updated_since={EPOCH}&cursor={cursor}")

    assert (response.status_code, list(response.json())) == (400, ["cursor"])


def test_cursor_without_updated_since_is_400(api):
    assert api.get("/api/v1/exercises/?cursor=abc").status_code == 400


def test_deletions_feed_lists_deleted_identifiers_with_their_resource(api, database):
    models.ArmsDeal.objects.create(
        slug="su-35",
        title="Su-35",
        category="aircraft",
        publication_status="published",
        date_unknown=True,
    ).delete()

    body = api.get("/api/v1/deletions/").json()

    assert [(row["resource"], row["record_type"], row["slug"]) for row in body["results"]] == [
        ("arms-deals", "armsdeal", "su-35")
    ]


def test_deletions_feed_since_leaves_out_older_deletions(api, database):
    models.Exercise.objects.get(slug="exercise-0").delete()
    models.DeletedRecord.objects.update(deleted_at="2020-01-01T00:00:00Z")
    models.Exercise.objects.get(slug="exercise-1").delete()

    body = api.get("/api/v1/deletions/?since=2021-01-01T00:00:00Z").json()

    assert [row["slug"] for row in body["results"]] == ["exercise-1"]


def test_deletions_feed_filters_by_record_type(api, database):
    models.Exercise.objects.get(slug="exercise-0").delete()
    models.Source.objects.get(slug="orphan-source").delete()

    body = api.get("/api/v1/deletions/?record_type=source").json()

    assert [row["slug"] for row in body["results"]] == ["orphan-source"]


def test_malformed_since_is_400(api):
    assert api.get("/api/v1/deletions/?since=last-week").status_code == 400


def test_renaming_an_actor_relists_the_records_that_show_its_name(api, editor_api, database):
    mirror = Mirror()
    mirror.sync(api)
    editor_api.patch(
        "/api/v1/actors/russia/",
        {"name": "Russian Federation"},
        format="json",
        **if_match(editor_api, "/api/v1/actors/russia/"),
    )

    rows = fetch_all(api, f"/api/v1/statements/?updated_since={mirror.updated_since['statements']}")

    # statement-1 is the boundary row (updated_since is inclusive); statement-0 is relisted.
    assert [(row["slug"], row["speaker"]["name"]) for row in rows] == [
        ("statement-1", "China"),
        ("statement-0", "Russian Federation"),
    ]


def test_deleting_a_record_relists_statements_about_it(api, editor_api, editor, database):
    # Only a superuser may delete what statements concern (editors are refused).
    editor.is_superuser = True
    editor.save()
    statement = models.Statement.objects.get(slug="statement-0")
    statement.about_exercises.set([models.Exercise.objects.get(slug="exercise-3")])
    mirror = Mirror()
    mirror.sync(api)
    editor_api.delete("/api/v1/exercises/exercise-3/")

    rows = fetch_all(api, f"/api/v1/statements/?updated_since={mirror.updated_since['statements']}")

    assert [(row["slug"], row["about_exercises"]) for row in rows] == [
        ("statement-1", []),
        ("statement-0", []),
    ]

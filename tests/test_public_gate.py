"""The one gate (tracker.public): anonymous readers never meet a draft, not even by name.

Every draft below carries the mark ``zzdraft`` in its slug and its name or
title, so a test can look for it in whatever an anonymous reader receives.
Published records link to the drafts in every way a record can link (a
participant, a party, a contractor, a supplier, a speaker, what a statement
concerns, a parent, a replaced agreement, a cited source).
"""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.api_factories import linked_agreement, linked_deal, linked_exercise, linked_statement
from tracker import models, registry, services
from tracker.exports.snapshot import export_snapshot
from tracker.public import published, sees_drafts, without_draft_ends

MARK = "zzdraft"


@pytest.fixture
def drafts(db):
    """Published records linked to drafts of every type, and the drafts."""
    russia = f.ActorFactory(slug="russia", name="Russia")
    actor = f.ActorFactory(slug=f"{MARK}-actor", name=f"Actor {MARK}", draft=True)
    source = f.SourceFactory(slug=f"{MARK}-source", title=f"Source {MARK}", draft=True)
    agreement = f.AgreementFactory(slug=f"{MARK}-agreement", title=f"Pact {MARK}", draft=True)
    exercise = f.ExerciseFactory(slug=f"{MARK}-exercise", name=f"Drill {MARK}", draft=True)
    deal = f.ArmsDealFactory(slug=f"{MARK}-deal", title=f"Deal {MARK}", draft=True)
    f.StatementFactory(slug=f"{MARK}-statement", text=f"Said {MARK}", draft=True)
    public_exercise = linked_exercise("vostok-2018", russia, actor)
    models.Citation.objects.create(exercise=public_exercise, source=source, footnote=9)
    linked_agreement("treaty-2001", russia, actor, replaces=agreement)
    linked_deal("su-35", actor, russia, actor)
    statement = linked_statement(
        "shoigu-quote", actor, about_actors=[actor, russia], about_exercises=[exercise]
    )
    statement.about_agreements.set([agreement])
    statement.about_arms_deals.set([deal])
    f.ActorFactory(slug="pla-navy", name="PLA Navy", parent=actor)
    return {"actor": actor, "exercise": public_exercise}


@pytest.mark.parametrize("record_type", registry.RECORD_TYPES, ids=lambda rt: rt.resource)
def test_anonymous_lists_name_no_draft(api, drafts, record_type):
    response = api.get(f"/api/v1/{record_type.resource}/?page_size=100")

    assert (response.status_code, MARK in response.content.decode()) == (200, False)


@pytest.mark.parametrize("record_type", registry.RECORD_TYPES, ids=lambda rt: rt.resource)
def test_anonymous_details_of_published_records_name_no_draft(api, drafts, record_type):
    slugs = published(record_type.model.objects.all()).values_list("slug", flat=True)
    bodies = [api.get(f"/api/v1/{record_type.resource}/{slug}/") for slug in slugs]

    assert [(r.status_code, MARK in r.content.decode()) for r in bodies] == [(200, False)] * len(
        slugs
    )


@pytest.mark.parametrize("record_type", registry.RECORD_TYPES, ids=lambda rt: rt.resource)
def test_anonymous_reading_a_draft_gets_404(api, drafts, record_type):
    slug = f"{MARK}-{record_type.key.replace('arms_', '')}"

    assert api.get(f"/api/v1/{record_type.resource}/{slug}/").status_code == 404


@pytest.mark.parametrize("record_type", registry.RECORD_TYPES, ids=lambda rt: rt.resource)
def test_anonymous_csv_both_ways_names_no_draft(api, drafts, record_type):
    export = api.get(f"/api/v1/{record_type.resource}.csv")
    listed = api.get(f"/api/v1/{record_type.resource}/?format=csv")
    texts = [b"".join(r.streaming_content).decode() for r in (export, listed)]

    assert [(MARK in text, text.count("\n") > 1) for text in texts] == [(False, True)] * 2


def test_a_published_exercise_leaves_out_its_draft_participant_and_draft_source(api, drafts):
    body = api.get("/api/v1/exercises/vostok-2018/").json()

    assert (
        [p["actor"]["slug"] for p in body["participants"]],
        len(body["citations"]),
    ) == (["russia"], 1)


def test_a_draft_supplier_reads_as_no_supplier(api, drafts):
    body = api.get("/api/v1/arms-deals/su-35/").json()

    assert (body["supplier"], body["recipient"]["slug"], body["contractors"]) == (
        None,
        "russia",
        [],
    )


def test_editors_read_the_draft_links(editor_api, drafts):
    body = editor_api.get("/api/v1/exercises/vostok-2018/").json()

    assert [p["actor"]["slug"] for p in body["participants"]] == ["russia", f"{MARK}-actor"]


def test_editors_list_drafts_marked_and_filter_by_status(editor_api, drafts):
    everything = editor_api.get("/api/v1/actors/?page_size=100").json()["results"]
    only = editor_api.get("/api/v1/actors/?publication_status=draft").json()["results"]

    assert (
        {a["slug"]: a["publication_status"] for a in everything}[f"{MARK}-actor"],
        [a["slug"] for a in only],
    ) == ("draft", [f"{MARK}-actor"])


def test_anonymous_filter_by_draft_status_finds_nothing(api, drafts):
    body = api.get("/api/v1/actors/?publication_status=draft").json()

    assert body["results"] == []


def test_viewers_read_as_the_public(viewer, drafts):
    assert sees_drafts(viewer) is False


def test_anonymous_search_finds_no_draft(api, drafts):
    found = [
        api.get(f"/api/v1/{rt.resource}/?search={MARK}").json()["results"]
        for rt in registry.RECORD_TYPES
    ]

    assert found == [[]] * len(registry.RECORD_TYPES)


def test_anonymous_changes_feed_names_no_draft(api, drafts):
    body = api.get("/api/v1/changes/?page_size=500")

    assert (body.status_code, MARK in body.content.decode()) == (200, False)


def test_anonymous_deletions_feed_names_no_deleted_draft(api, drafts):
    draft = f.ActorFactory(slug=f"{MARK}-gone", name=f"Gone {MARK}", draft=True)
    services.record_delete(draft)

    body = api.get("/api/v1/deletions/")

    assert (body.status_code, MARK in body.content.decode()) == (200, False)


def test_the_nightly_snapshot_names_no_draft(drafts, tmp_path):
    result = export_snapshot(tmp_path)
    texts = {path.name: path.read_text() for path in result.path.iterdir()}

    assert [name for name, text in texts.items() if MARK in text] == []


def _linked_slugs(value, found: set[str]) -> set[str]:
    # Every slug in a record's nested summaries (participants, citations, about_*...).
    if isinstance(value, dict):
        if "slug" in value:
            found.add(value["slug"])
        for item in value.values():
            _linked_slugs(item, found)
    elif isinstance(value, list):
        for item in value:
            _linked_slugs(item, found)
    return found


def test_a_walk_from_every_published_record_to_every_linked_record_finds_no_draft(api, drafts):
    """From each published record of each type (the registry), every record it links to
    is published: readable by the public, by its own resource."""
    resources = {rt.key: rt.resource for rt in registry.RECORD_TYPES}
    unreachable = []
    for record_type in registry.RECORD_TYPES:
        for item in api.get(f"/api/v1/{record_type.resource}/?page_size=100").json()["results"]:
            for field, value in item.items():
                for slug in _linked_slugs(value, set()) - {item["slug"]}:
                    kinds = [k for k, rt in _types_with_slug(slug).items() if rt]
                    readable = any(
                        api.get(f"/api/v1/{resources[k]}/{slug}/").status_code == 200 for k in kinds
                    )
                    if not readable:
                        unreachable.append((item["slug"], field, slug))

    assert unreachable == []


def _types_with_slug(slug: str) -> dict[str, bool]:
    return {rt.key: rt.model.objects.filter(slug=slug).exists() for rt in registry.RECORD_TYPES}


def test_anonymous_filter_by_a_draft_s_identifier_finds_what_an_unknown_one_does(api, drafts):
    by_draft = api.get(f"/api/v1/exercises/?actor={MARK}-actor")
    by_unknown = api.get("/api/v1/exercises/?actor=no-such-actor")

    assert (by_draft.status_code, by_draft.json()["results"]) == (
        by_unknown.status_code,
        by_unknown.json()["results"],
    )


def test_editors_filter_by_a_draft_s_identifier(editor_api, drafts):
    body = editor_api.get(f"/api/v1/exercises/?actor={MARK}-actor").json()

    assert [e["slug"] for e in body["results"]] == ["vostok-2018"]


def test_link_rows_without_draft_ends_keep_the_rows_whose_end_is_unset_or_published(db):
    draft = f.StatementFactory(slug="said-draft", draft=True)
    published_statement = f.StatementFactory(slug="said")
    exercise = f.ExerciseFactory(slug="vostok")
    made = [
        f.CitationFactory(**record, footnote=40).pk
        for record in (
            {"statement": draft},
            {"statement": published_statement},
            {"exercise": exercise},
        )
    ]

    kept = without_draft_ends(models.Citation.objects.filter(pk__in=made), "statement")

    assert sorted((c.statement or c.exercise).slug for c in kept) == ["said", "vostok"]


@pytest.fixture
def linked_to_drafts_only(db):
    """ "vostok": cites footnote 33 only in a draft source, and its one participant from
    Kazakhstan is a draft; "tsentr" cites footnote 33 in a published source and has a
    published Kazakh participant."""
    draft_source = f.SourceFactory(slug=f"{MARK}-source", draft=True)
    draft_actor = f.ActorFactory(slug=f"{MARK}-actor", country="KZ", draft=True)
    linked_exercise("vostok", draft_actor, source=draft_source, footnote=33)
    linked_exercise("tsentr", f.ActorFactory(slug="kazakhstan", country="KZ"), footnote=33)


@pytest.mark.parametrize("parameter", ["footnote=33", "country=KZ"])
def test_the_public_filters_by_the_links_it_reads(api, linked_to_drafts_only, parameter):
    listed = api.get(f"/api/v1/exercises/?{parameter}").json()

    assert [r["slug"] for r in listed["results"]] == ["tsentr"]


@pytest.mark.parametrize("parameter", ["footnote=33", "country=KZ"])
def test_editors_filter_by_the_links_to_drafts_too(editor_api, linked_to_drafts_only, parameter):
    listed = editor_api.get(f"/api/v1/exercises/?{parameter}&ordering=slug").json()

    assert [r["slug"] for r in listed["results"]] == ["tsentr", "vostok"]


def test_the_public_timeline_of_a_country_leaves_out_records_linked_to_its_drafts(
    client, linked_to_drafts_only
):
    html = client.get("/timeline/?country=kz").content.decode()

    assert ("tsentr" in html, "vostok" in html) == (True, False)

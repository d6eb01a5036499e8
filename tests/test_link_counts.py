"""A list filtered by a link alone is counted from the link's keys (tracker.link_counts)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F, Q
from django.test.utils import CaptureQueriesContext

from tests.api_factories import linked_agreement, linked_deal
from tests.factories import ActorFactory, CitationFactory, SourceFactory, StatementFactory
from tracker import link_counts
from tracker.key_conditions import AnyOf
from tracker.models import Citation, Source, Statement
from tracker.models.base import PublicationStatus
from tracker.walked import Walkable

ON_POSTGRESQL = connection.vendor == "postgresql"
CITING_SEVEN = AnyOf("pk", Citation.objects.filter(footnote=7).values("statement_id"))
PUBLISHED = PublicationStatus.PUBLISHED
DRAFT = PublicationStatus.DRAFT


@pytest.fixture
def cited(db):
    """Six statements cite footnote 7, two of them drafts; said-0 cites it twice (two
    pages), said-6 cites footnote 8 only."""
    source = SourceFactory()
    for n in range(7):
        status = PublicationStatus.DRAFT if n in (2, 5) else PUBLISHED
        statement = StatementFactory(slug=f"said-{n}", publication_status=status)
        CitationFactory(statement=statement, source=source, footnote=7 if n < 6 else 8)
    CitationFactory(
        statement=Statement.objects.get(slug="said-0"), source=source, footnote=7, locator="p. 9"
    )


def link_count_reads(queries) -> int:
    return sum("WITH linked(key) AS MATERIALIZED" in q["sql"] for q in queries)


@pytest.mark.parametrize("keys_read", [2, 0], ids=["from-its-keys", "as-rows"])
def test_the_public_count_of_a_footnote_is_its_published_citing_statements(
    api, cited, monkeypatch, keys_read
):
    # 0: the link names too many keys for them to be read (all of them are too many).
    monkeypatch.setattr(link_counts, "KEYS_READ", keys_read)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/statements/?page_size=2&footnote=7")

    assert (response.json()["count"], link_count_reads(queries)) == (4, int(ON_POSTGRESQL))


def test_an_editors_count_of_a_footnote_includes_drafts(editor_api, cited):
    response = editor_api.get("/api/v1/statements/?page_size=2&footnote=7")

    assert response.json()["count"] == 6


def test_a_link_count_is_capped_at_the_rows_asked_for(cited, monkeypatch):
    monkeypatch.setattr(link_counts, "KEYS_READ", 100)
    citing = Statement.objects.filter(CITING_SEVEN, publication_status=PUBLISHED)

    assert [link_counts.count_linked_keys(citing, n) for n in (2, 10)] == (
        [2, 4] if ON_POSTGRESQL else [None, None]
    )


def test_a_link_naming_as_many_keys_as_may_be_read_is_left_to_be_counted_as_rows(
    cited, monkeypatch
):
    # Footnote 7 is cited seven times: fewer than 8 keys may be read, not fewer than 7.
    monkeypatch.setattr(link_counts, "KEYS_READ", 1)
    citing = Statement.objects.filter(CITING_SEVEN, publication_status=PUBLISHED)

    assert [link_counts.count_linked_keys(citing, n) for n in (7, 8)] == (
        [None, 4] if ON_POSTGRESQL else [None, None]
    )


def test_a_link_naming_no_key_counts_none(cited):
    nothing = AnyOf("pk", Citation.objects.none().values("statement_id"))

    assert link_counts.count_linked_keys(Statement.objects.filter(nothing), 10) == (
        0 if ON_POSTGRESQL else None
    )


def test_a_link_with_a_published_condition_is_found_with_it(db):
    found = link_counts.linked_keys(
        Statement.objects.filter(CITING_SEVEN, publication_status=PUBLISHED)
    )

    assert (type(found[0]), found[1]) == (AnyOf, True)


def test_a_link_alone_is_found_without_a_published_condition(db):
    assert link_counts.linked_keys(Statement.objects.filter(CITING_SEVEN))[1] is False


@pytest.mark.parametrize(
    "queryset",
    [
        Statement.objects.all(),
        Statement.objects.filter(CITING_SEVEN, kind="paraphrase"),
        Statement.objects.filter(CITING_SEVEN, publication_status=PublicationStatus.DRAFT),
        Statement.objects.exclude(CITING_SEVEN),
        Statement.objects.filter(Q(CITING_SEVEN) | Q(kind="paraphrase")),
        Statement.objects.filter(
            CITING_SEVEN,
            AnyOf("pk", Citation.objects.filter(footnote=8).values("statement_id")),
        ),
        Statement.objects.filter(AnyOf("speaker_id", Statement.objects.values("speaker_id"))),
        Statement.objects.filter(AnyOf("pk", Citation.objects.values("footnote"))),
        Statement.objects.filter(AnyOf("pk", Citation.objects.values("exercise_id"))),
        Statement.objects.filter(AnyOf("pk", Citation.objects.values("statement__id"))),
        Source.objects.filter(AnyOf("pk", Statement.objects.values("citations"))),
        Statement.objects.filter(CITING_SEVEN).distinct("speaker_id"),
        Statement.objects.filter(CITING_SEVEN)[:5],
        Statement.objects.filter(CITING_SEVEN).annotate(cited=F("citations__footnote")),
        Statement.objects.filter(CITING_SEVEN).extra(tables=["tracker_source"]),
    ],
    ids=[
        "no-condition",
        "another-condition",
        "draft-condition",
        "negated",
        "or-ed",
        "two-links",
        "link-on-a-foreign-key",
        "values-not-keys",
        "keys-of-another-table",
        "a-path-through-a-relation",
        "a-reverse-relation",
        "distinct",
        "sliced",
        "annotated-through-a-to-many-join",
        "extra-tables",
    ],
)
def test_other_lists_are_counted_as_rows(db, queryset):
    assert link_counts.linked_keys(queryset) is None


@pytest.fixture
def russian_agreements(db):
    """Agreements with a party of Russia: ru-one (one party), ru-two (two Russian
    parties), ru-draft (a draft), ru-by-a-draft (its Russian party a draft actor);
    and cn-only (no Russian party)."""
    russia = ActorFactory(slug="russia", country="RU")
    navy = ActorFactory(slug="russian-navy", country="RU")
    drafted = ActorFactory(slug="drafted", country="RU", publication_status=DRAFT)
    china = ActorFactory(slug="china", country="CN")
    linked_agreement("ru-one", russia, china)
    linked_agreement("ru-two", russia, navy)
    linked_agreement("ru-draft", russia, publication_status=DRAFT)
    linked_agreement("ru-by-a-draft", drafted, china)
    linked_agreement("cn-only", china)


def test_the_public_count_of_a_country_is_counted_from_the_links_keys(api, russian_agreements):
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/agreements/?country=RU&page_size=1")

    assert (response.json()["count"], link_count_reads(queries)) == (2, int(ON_POSTGRESQL))


def test_an_editors_count_of_a_country_includes_drafts_and_draft_actors(
    editor_api, russian_agreements
):
    with CaptureQueriesContext(connection) as queries:
        response = editor_api.get("/api/v1/agreements/?country=RU&page_size=1")

    assert (response.json()["count"], link_count_reads(queries)) == (4, int(ON_POSTGRESQL))


def test_a_countrys_deals_are_counted_from_the_keys_of_every_role(api, db):
    kazakhstan = ActorFactory(slug="kazakhstan", country="KZ")
    plant = ActorFactory(slug="kz-plant", country="KZ")
    russia, china = ActorFactory(slug="russia", country="RU"), ActorFactory(country="CN")
    linked_deal("kz-supplies", kazakhstan, china, plant)
    linked_deal("kz-receives", russia, kazakhstan)
    linked_deal("kz-builds", russia, china, plant)
    linked_deal("ru-to-cn", russia, china)
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/arms-deals/?country=KZ&page_size=1")

    assert (response.json()["count"], link_count_reads(queries)) == (3, int(ON_POSTGRESQL))


def test_a_two_form_condition_without_keys_is_counted_as_rows(db):
    named = Q(pk__in=Citation.objects.values("statement_id"))

    assert link_counts.linked_keys(Statement.objects.filter(Walkable(named, named))) is None


def test_a_two_form_condition_is_counted_from_the_keys_it_carries(db):
    named = Q(pk__in=Citation.objects.values("statement_id"))
    keys = (Citation.objects.filter(footnote=7).values("statement_id"),)
    link, published = link_counts.linked_keys(
        Statement.objects.filter(Walkable(named, named, keys=keys), publication_status=PUBLISHED)
    )

    assert (type(link), [str(q.query) for q in link.querysets], published) == (
        AnyOf,
        [str(keys[0].order_by().query)],
        True,
    )

"""The seed fixture ``article``: it loads, is idempotent, valid, fully cited and exact.

The fixture holds the July 2020 ICDS Diplomaatia commentary on Russian-Chinese
military cooperation as records. ``loaddata`` saves raw (no ``full_clean``),
so these tests are what proves the data obeys the model's rules.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from tests.seed import ARTICLE_SLUG
from tracker.models import (
    Actor,
    Agreement,
    AgreementParty,
    ArmsDeal,
    ArmsDealContractor,
    Citation,
    Exercise,
    ExerciseParticipant,
    ReportedValue,
    Source,
    Statement,
    StatementKind,
    StatusUpdate,
)
from tracker.registry import RECORD_TYPES

#: Every model the fixture writes, in loading order.
FIXTURE_MODELS = (
    Actor,
    Source,
    Agreement,
    Exercise,
    ArmsDeal,
    Statement,
    AgreementParty,
    ExerciseParticipant,
    ArmsDealContractor,
    Citation,
    StatusUpdate,
    ReportedValue,
)

#: How many rows of each model the fixture holds (docs/fixtures.md has the same table).
EXPECTED_COUNTS = {
    "actor": 75,
    "source": 36,
    "agreement": 10,
    "exercise": 17,
    "armsdeal": 13,
    "statement": 54,
    "agreementparty": 25,
    "exerciseparticipant": 42,
    "armsdealcontractor": 3,
    "citation": 119,
    "statusupdate": 12,
    "reportedvalue": 0,
}


def _counts() -> dict[str, int]:
    return {model._meta.model_name: model.objects.count() for model in FIXTURE_MODELS}


# --------------------------------------------------------------------- loading


def test_fixture_loads_the_expected_number_of_records(seeded):
    assert _counts() == EXPECTED_COUNTS


def test_loading_twice_keeps_the_counts(seeded):
    call_command("loaddata", "article", verbosity=0)
    assert _counts() == EXPECTED_COUNTS


def test_loading_twice_keeps_identifiers_and_timestamps(seeded):
    def snapshot():
        rows = {}
        for model in (Actor, Source, Agreement, Exercise, ArmsDeal, Statement):
            for pk, slug, updated in model.objects.values_list("pk", "slug", "updated_at"):
                rows[(model._meta.model_name, slug)] = (pk, updated)
        for pk, updated in Citation.objects.values_list("pk", "updated_at"):
            rows[("citation", pk)] = (pk, updated)
        return rows

    before = snapshot()
    call_command("loaddata", "article", verbosity=0)
    assert snapshot() == before


@pytest.mark.parametrize("run", ["first", "second"])
def test_changes_a_test_makes_to_the_seed_do_not_reach_the_next(seeded, run):
    """The seed is shared: whichever run comes second finds it as loaded, not as changed."""
    before = (_counts(), Exercise.objects.filter(name="Changed").count())
    Citation.objects.all().delete()
    Exercise.objects.update(name="Changed")
    assert before == (EXPECTED_COUNTS, 0)
    assert (Citation.objects.count(), Exercise.objects.exclude(name="Changed").count()) == (0, 0)


def test_a_test_without_the_seed_starts_from_an_empty_database(db):
    assert _counts() == dict.fromkeys(EXPECTED_COUNTS, 0)


def test_every_record_has_the_fixture_timestamp(seeded):
    stamp = dt.datetime(2020, 7, 1, tzinfo=dt.UTC)
    stamps = set()
    for model in (Actor, Source, Agreement, Exercise, ArmsDeal, Statement, Citation):
        stamps |= set(model.objects.values_list("created_at", flat=True))
        stamps |= set(model.objects.values_list("updated_at", flat=True))
    assert stamps == {stamp}


# ------------------------------------------------------------------ validation


@pytest.mark.parametrize("model", FIXTURE_MODELS, ids=lambda m: m._meta.model_name)
def test_every_loaded_row_passes_full_clean(seeded, model):
    failures = {}
    for obj in model.objects.all():
        try:
            obj.full_clean()
        except ValidationError as exc:  # collect all failures, not just the first
            failures[str(getattr(obj, "slug", obj.pk))] = str(exc)
    assert failures == {}


# ------------------------------------------------------------------- citations


@pytest.mark.parametrize(
    "model", [rt.model for rt in RECORD_TYPES if rt.must_cite], ids=lambda m: m._meta.model_name
)
def test_every_record_cites_at_least_one_source(seeded, model):
    uncited = model.objects.filter(citations__isnull=True).values_list("slug", flat=True)
    assert list(uncited) == []


def test_every_footnote_of_the_article_is_used(seeded):
    used = set(Citation.objects.exclude(footnote=None).values_list("footnote", flat=True))
    assert used == set(range(1, 44))


def test_facts_without_a_footnote_cite_the_article_itself(seeded):
    sources = set(Citation.objects.filter(footnote=None).values_list("source__slug", flat=True))
    assert sources == {ARTICLE_SLUG}


def test_every_source_except_the_article_is_cited_by_a_footnote(seeded):
    footnoted = set(Citation.objects.exclude(footnote=None).values_list("source__slug", flat=True))
    all_sources = set(Source.objects.values_list("slug", flat=True))
    assert all_sources - footnoted == {ARTICLE_SLUG}


def test_repeated_short_citations_point_at_one_source(seeded):
    footnotes = Citation.objects.filter(source__slug="kashin-2018-current-state-cna")
    assert sorted(set(footnotes.values_list("footnote", "locator"))) == [
        (3, "p. 13"),
        (4, "p. 7"),
        (8, "p. 20"),
        (38, "p. 22"),
    ]


def test_source_titles_and_urls_are_as_the_footnotes_give_them(seeded, article_text):
    missing = [
        slug
        for slug, title, url in Source.objects.exclude(slug=ARTICLE_SLUG).values_list(
            "slug", "title", "url"
        )
        if title not in article_text or url not in article_text
    ]
    assert missing == []


def test_source_authors_outlets_and_details_are_as_the_footnotes_give_them(seeded, article_text):
    rows = Source.objects.exclude(slug=ARTICLE_SLUG).values_list(
        "slug", "authors", "outlet", "details"
    )
    mismatches = [
        (slug, value)
        for slug, *values in rows
        for value in values
        if value and value not in article_text
    ]
    assert mismatches == []


#: Footnotes that print a source's date in another form than "21 December 2018".
DATES_PRINTED_OTHERWISE = {
    "kashin-2018-current-state-cna": "29 August2018",
    "russia-government-order-2019-1584-r": "18.07.2019",
}


def test_source_days_are_as_the_footnotes_give_them(seeded, article_text):
    rows = Source.objects.exclude(slug=ARTICLE_SLUG).filter(published_precision=11)
    mismatches = []
    for slug, published in rows.values_list("slug", "published"):
        printed = DATES_PRINTED_OTHERWISE.get(slug, f"{published.day} {published:%B %Y}")
        if printed not in article_text:
            mismatches.append((slug, printed))
    assert rows.count() == 31
    assert mismatches == []


# ---------------------------------------------------------------------- quotes


def test_every_direct_quote_is_verbatim_in_the_article(seeded, article_text):
    quotes = Statement.objects.filter(kind=StatementKind.DIRECT_QUOTE)
    not_found = [
        slug for slug, text in quotes.values_list("slug", "text") if text not in article_text
    ]
    assert quotes.count() == 19
    assert not_found == []

"""The seed fixture ``article``, fact by fact: spot checks of records against the article,
and no text field copying the article's prose (summaries are in our own words)."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from tests.seed import ARTICLE_SLUG
from tracker.models import (
    Actor,
    Agreement,
    AgreementParty,
    ArmsDeal,
    Exercise,
    ExerciseParticipant,
    Statement,
    StatementKind,
)

# ----------------------------------------------------------------- spot checks


def _participants(slug: str) -> set[tuple[str, str, str]]:
    rows = ExerciseParticipant.objects.filter(exercise__slug=slug)
    return set(rows.values_list("actor__slug", "role", "contribution"))


def test_tsentr_2019_participants(seeded):
    assert _participants("tsentr-2019") == {
        ("russia", "participant", ""),
        ("china", "participant", "largest contingent among Russia's partners"),
        ("india", "participant", ""),
        ("kazakhstan", "participant", ""),
        ("kyrgyzstan", "participant", ""),
        ("pakistan", "participant", ""),
        ("tajikistan", "participant", ""),
        ("uzbekistan", "participant", ""),
    }


def test_tsentr_2019_is_dated_to_the_month(seeded):
    tsentr = Exercise.objects.get(slug="tsentr-2019")
    assert (tsentr.start_date, tsentr.start_date_precision, tsentr.start_date_qualifier) == (
        dt.date(2019, 9, 1),
        10,
        "",
    )


def test_mosi_ships(seeded):
    assert _participants("mosi-2019") == {
        (
            "pla-navy",
            "participant",
            "advanced assets, among them Weifang, a Type 054A guided-missile frigate",
        ),
        (
            "russian-navy",
            "participant",
            "the missile cruiser Marshal Ustinov (Slava class), the medium sea-going tanker "
            "Vyaz’ma (Kaliningradneft’ class), plus a sea-going rescue tug",
        ),
        ("south-african-navy", "participant", ""),
    }


def test_mosi_has_no_host(seeded):
    """The article places Mosi in waters off Africa and names no host."""
    mosi = Exercise.objects.get(slug="mosi-2019")
    assert mosi.location == "waters off Africa"
    assert not mosi.participations.filter(role="host").exists()


def test_early_warning_contract_value_and_partners(seeded):
    deal = ArmsDeal.objects.get(slug="china-missile-attack-warning-system-contract")
    partners = set(deal.contractor_links.values_list("actor__slug", "role"))
    assert (deal.value_amount, deal.value_currency, deal.value_is_estimate) == (
        Decimal("60000000.00"),
        "USD",
        False,
    )
    assert (deal.supplier.slug, deal.recipient.slug) == ("russia", "china")
    assert partners == {("vympel", "developer"), ("comet", "developer")}


def test_parties_of_the_1997_agreement(seeded):
    agreement = Agreement.objects.get(slug="border-troop-reduction-agreement-1997")
    parties = set(agreement.party_links.values_list("actor__slug", flat=True))
    assert parties == {"russia", "kazakhstan", "kyrgyzstan", "tajikistan", "china"}
    assert (agreement.concluded, agreement.concluded_precision) == (dt.date(1997, 1, 1), 9)


def test_arms_trade_2001_2009_aggregate(seeded):
    deal = ArmsDeal.objects.get(slug="russia-china-military-cooperation-2001-2009")
    assert (
        deal.scope,
        deal.value_amount,
        deal.value_currency,
        deal.period_start,
        deal.period_end,
        deal.period_end_precision,
    ) == (
        "aggregate",
        Decimal("16000000000.00"),
        "USD",
        dt.date(2001, 1, 1),
        dt.date(2009, 1, 1),
        9,
    )


def test_2016_contracts_are_an_estimate_of_three_billion(seeded):
    deal = ArmsDeal.objects.get(slug="russia-china-military-technical-contracts-2016")
    assert (deal.value_amount, deal.value_is_estimate, deal.value_text) == (
        Decimal("3000000000.00"),
        True,
        "about three billion dollars",
    )


def test_share_of_russian_arms_exports_has_no_period(seeded):
    deal = ArmsDeal.objects.get(slug="russia-arms-exports-share-to-china")
    assert (deal.percentage, deal.percentage_of, deal.period_start) == (
        Decimal("12.00"),
        "Russian arms exports",
        None,
    )


def test_trade_runs_in_both_directions(seeded):
    deal = ArmsDeal.objects.get(slug="china-electronics-naval-diesels-for-russia")
    assert (deal.supplier.slug, deal.recipient.slug) == ("china", "russia")


def test_roadmap_covers_2017_to_2020(seeded):
    roadmap = Agreement.objects.get(slug="russia-china-military-cooperation-roadmap-2017-2020")
    assert (roadmap.kind, roadmap.concluded, roadmap.in_force, roadmap.expires) == (
        "roadmap",
        dt.date(2017, 1, 1),
        dt.date(2017, 1, 1),
        dt.date(2020, 1, 1),
    )


def test_planned_military_agreement_replaces_the_1993_document(seeded):
    planned = Agreement.objects.get(slug="russia-china-military-cooperation-agreement-planned")
    assert (planned.status, planned.replaces.slug, planned.concluded) == (
        "negotiating",
        "russia-china-military-cooperation-document-1993",
        None,
    )


def test_valdai_quote_speaker_date_and_footnote(seeded):
    quote = Statement.objects.get(slug="putin-2019-valdai-missile-warning-quote")
    assert (quote.speaker.slug, quote.date, quote.date_precision) == (
        "vladimir-putin",
        dt.date(2019, 10, 3),
        11,
    )
    assert list(quote.citations.values_list("footnote", flat=True)) == [24]
    assert list(quote.about_arms_deals.values_list("slug", flat=True)) == [
        "china-missile-attack-warning-system-contract"
    ]


def test_december_2019_naval_exercise_is_at_the_end_of_the_month(seeded):
    drill = Exercise.objects.get(slug="russia-china-iran-naval-exercise-2019")
    assert (drill.start_date, drill.start_date_precision, drill.start_date_qualifier) == (
        dt.date(2019, 12, 1),
        10,
        "end",
    )
    assert set(drill.participations.values_list("actor__slug", flat=True)) == {
        "russia",
        "china",
        "iran",
    }


def test_kyrgyz_cooperation_2019_contribution_and_place(seeded):
    drill = Exercise.objects.get(slug="cooperation-2019-china-kyrgyzstan")
    assert drill.location == "suburban Urumqi, Xinjiang Uygur Autonomous Region, north-west China"
    assert _participants("cooperation-2019-china-kyrgyzstan") == {
        ("peoples-armed-police", "host", ""),
        ("kyrgyz-national-guard", "participant", "some 150 troops"),
    }


def test_pla_navy_sits_under_chinas_armed_forces(seeded):
    navy = Actor.objects.select_related("parent__parent").get(slug="pla-navy")
    assert (navy.parent.slug, navy.parent.parent.slug) == ("pla", "china")


def test_shoygu_is_found_under_every_spelling_the_article_uses(seeded):
    shoygu = Actor.objects.get(slug="sergei-shoigu")
    assert (shoygu.name, shoygu.role) == ("Sergei Shoygu", "Russian defence minister")
    assert {"Sergey Shoygu", "Shoygu"} <= set(shoygu.aliases)


def test_ratification_of_the_1991_border_agreement_by_russia(seeded):
    party = AgreementParty.objects.get(
        agreement__slug="sino-soviet-border-agreement-1991", actor__slug="russia"
    )
    assert party.note == (
        "Took over most of the old Sino-Soviet border; ratified the treaty in February 1992."
    )


def test_sales_the_article_reports_are_not_recorded_as_delivered(seeded):
    """“Moscow has sold” / “China was the first country to buy”: no delivery is reported."""
    slugs = [
        "su-27-sales-to-china",
        "s-400-sale-to-china",
        "su-35-sale-to-china",
        "helicopter-sales-to-china",
        "aircraft-engine-sales-to-china",
    ]
    statuses = dict(ArmsDeal.objects.filter(slug__in=slugs).values_list("slug", "status"))
    assert statuses == dict.fromkeys(slugs, "signed")
    assert not ArmsDeal.objects.filter(status="delivered").exists()


def test_the_russian_government_order_has_russian_parties_only(seeded):
    order = Agreement.objects.get(slug="russia-government-order-1584-r-2019")
    countries = set(order.party_links.values_list("actor__country", flat=True))
    assert countries == {"RU"}


def test_the_article_s_own_statements_cite_the_article(seeded):
    own = Statement.objects.filter(slug__startswith="article-")
    uncited = own.exclude(citations__source__slug=ARTICLE_SLUG).values_list("slug", flat=True)
    assert own.count() == 17
    assert list(uncited) == []


def test_central_asia_assessment_concerns_the_cis(seeded):
    statement = Statement.objects.get(slug="article-central-asia-cooperation-without-russia")
    assert (statement.kind, statement.speaker) == (StatementKind.ASSESSMENT, None)
    assert "cis" in set(statement.about_actors.values_list("slug", flat=True))
    assert set(statement.citations.values_list("source__slug", "footnote")) == {
        (ARTICLE_SLUG, None),
        ("aliyev-2019-10-22-central-asia", 22),
    }


def test_persons_carry_no_role_the_article_does_not_give(seeded):
    roles = dict(
        Actor.objects.filter(
            slug__in=["michael-kofman", "dmitri-trenin", "dmitry-gorenburg"]
        ).values_list("slug", "role")
    )
    assert roles == {"michael-kofman": "", "dmitri-trenin": "", "dmitry-gorenburg": ""}


# ------------------------------------------------------------- our own words

FIXTURE_PATH = Path(settings.BASE_DIR) / "fixtures" / "article.json"

#: Consecutive words a text field may not share with the article.
COPY_RUN = 8

#: Fields that hold others' words by design: a source's citation data as the footnote prints
#: it, the place in a cited work, and names. Direct quotes are skipped by kind.
VERBATIM_FIELDS = {
    "tracker.source": {"title", "authors", "outlet", "details", "url"},
    "tracker.citation": {"locator"},
    "tracker.statusupdate": {"locator"},
    "tracker.actor": {"name", "aliases"},
}


def _words(text: str) -> list[str]:
    """Lower-case words, with punctuation, quotation marks and apostrophes ignored."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    text = re.sub(r"(?<=\w)'(?=\w)", "", text)
    return re.findall(r"[^\W_]+", text)


def _article_runs(article: str) -> set[tuple[str, ...]]:
    words = _words(article)
    return {tuple(words[i : i + COPY_RUN]) for i in range(len(words) - COPY_RUN + 1)}


def _copied_run(text: str, runs: set[tuple[str, ...]]) -> str | None:
    words = _words(text)
    for i in range(len(words) - COPY_RUN + 1):
        if tuple(words[i : i + COPY_RUN]) in runs:
            return " ".join(words[i : i + COPY_RUN])
    return None


def test_the_copy_check_ignores_case_punctuation_and_spacing(article_text):
    runs = _article_runs(article_text)
    assert _copied_run("THE RUSSIAN and Chinese navies held — joint exercises in the", runs)
    assert _copied_run("the post Soviet  Russian defence industry depended heavily", runs)
    assert _copied_run("Russian and Chinese naval exercise in the Black Sea", runs) is None


def test_no_text_field_copies_the_article(article_text):
    """Summaries, descriptions, notes, roles and titles of our records are in our own words.

    Only direct quotes, the footnotes' citation data, locators and names may repeat the article;
    the exact title of a cited work is also allowed inside another field (an occasion).
    """
    runs = _article_runs(article_text)
    records = json.loads(FIXTURE_PATH.read_text(encoding="utf-8"))
    titles = [r["fields"]["title"] for r in records if r["model"] == "tracker.source"]
    copied = []
    for record in records:
        fields = record["fields"]
        skip = VERBATIM_FIELDS.get(record["model"], set())
        if record["model"] == "tracker.statement" and fields["kind"] == StatementKind.DIRECT_QUOTE:
            skip = {"text"}
        for name, value in fields.items():
            if name in skip or not isinstance(value, str):
                continue
            for title in titles:
                value = value.replace(title, " ")
            run = _copied_run(value, runs)
            if run:
                copied.append((record["model"], fields.get("slug", record.get("pk")), name, run))
    assert copied == []

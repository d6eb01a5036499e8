"""Facts of the seed fixture ``article`` that a fact-check against the article corrected.

Each test pins the stored values of one corrected record after ``loaddata article``:
what the article says, who says it, who took part and which footnote supports it.
"""

from __future__ import annotations

import datetime as dt

from tests.seed import ARTICLE_SLUG
from tracker.models import Agreement, Citation, Exercise, Statement, StatementKind

ALIYEV_SLUG = "aliyev-2019-10-22-central-asia"


def _citations(**target: str) -> set[tuple[str, int | None, str]]:
    """(source, footnote, locator) of the citations supporting one record."""
    rows = Citation.objects.filter(**target).values_list("source__slug", "footnote", "locator")
    return set(rows)


def test_roadmap_summary_says_the_two_sides_will_draw_up_a_plan(seeded):
    """n. 34: “In the next step, the two sides will formulate a concrete plan”."""
    roadmap = Agreement.objects.get(slug="russia-china-military-cooperation-roadmap-2017-2020")
    plan = Agreement.objects.get(slug="russia-china-military-cooperation-plan-after-2017-roadmap")
    assert roadmap.summary == (
        "Top-level plan for Sino-Russian military cooperation over 2017–2020. China's defence "
        "ministry said the two sides will next draw up a concrete plan for advancing that "
        "cooperation (n. 34)."
    )
    assert "the two sides will draw up a concrete plan" in plan.editorial_note
    assert _citations(agreement=roadmap) == {
        ("chinanews-2017-06-29-roadmap", 33, ""),
        ("wu-2017-06-30-roadmap", 34, ""),
    }


def test_tsentr_2019_has_no_host_and_russia_is_a_participant(seeded):
    """The article names Tsentr-2019's participants, not where it was held or who hosted it."""
    tsentr = Exercise.objects.get(slug="tsentr-2019")
    roles = dict(tsentr.participations.values_list("actor__slug", "role"))
    assert (tsentr.location, tsentr.region) == ("", "")
    assert roles == dict.fromkeys(
        ["russia", "china", "india", "kazakhstan", "kyrgyzstan", "pakistan", "tajikistan"]
        + ["uzbekistan"],
        "participant",
    )
    assert "no location and no host" in tsentr.editorial_note


def test_wei_fenghe_speaks_of_the_parties_as_the_article_does(seeded):
    """n. 14: “the parties were able to exchange experiences” (not “the two sides”)."""
    wei = Statement.objects.get(slug="wei-fenghe-2019-tsentr-experience")
    tsentr = Exercise.objects.get(slug="tsentr-2019")
    assert wei.text == (
        "Wei Fenghe stressed that preparing and conducting the strategic command-staff "
        "exercises let the parties exchange experience of conducting military operations."
    )
    assert "two sides" not in tsentr.summary


def test_inf_treaty_signatories_are_the_us_and_russia(seeded):
    """n. 28: the INF Treaty “signed between the US and Russia in 1987”."""
    inf = Agreement.objects.get(slug="inf-treaty-1987")
    parties = set(inf.party_links.values_list("actor__slug", "role"))
    assert parties == {("united-states", "signatory"), ("russia", "signatory")}
    assert (inf.concluded, inf.concluded_precision) == (dt.date(1987, 1, 1), 9)
    assert "Historically the 1987 signatory was the Soviet Union" in inf.editorial_note


def test_white_paper_comparison_is_the_article_s_own_assessment(seeded):
    """The comparison with the 2015 white paper is the article's; n. 32 cites the 2019 paper."""
    comparison = Statement.objects.get(slug="article-white-paper-2019-more-references-to-russia")
    assert (
        comparison.speaker,
        comparison.kind,
        comparison.date,
        comparison.occasion,
    ) == (
        None,
        StatementKind.ASSESSMENT,
        dt.date(2020, 7, 1),
        "ICDS Diplomaatia commentary, 1 July 2020",
    )
    assert _citations(statement=comparison) == {
        ("china-white-paper-2019-national-defense-new-era", 32, ""),
        (ARTICLE_SLUG, None, "section “Prospects for Future Military Cooperation”, para. 2"),
    }
    assert not Statement.objects.filter(
        speaker__slug="china-state-council-information-office"
    ).exists()


def test_central_asia_assessment_cites_footnote_22(seeded):
    """Footnote 22 closes the paragraph that opens the article's Central Asia section."""
    assert _citations(statement__slug="article-central-asia-cooperation-without-russia") == {
        (ALIYEV_SLUG, 22, ""),
        (
            ARTICLE_SLUG,
            None,
            "section “Security in Central Asia: Sharing Responsibility or a Gordian Knot in "
            "Relations?”, para. 1",
        ),
    }


def test_cis_actor_cites_footnote_22(seeded):
    """“Bilateral military cooperation also involves some CIS countries” (n. 22)."""
    assert _citations(actor__slug="cis") == {(ALIYEV_SLUG, 22, "")}

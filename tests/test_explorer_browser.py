"""The explorer in Chromium, with the article seed, at a laptop's and a phone's width.

Screenshots of the home page, the timeline, an actor's page and a record's
page at 1366 and 390 px are saved in ``test-artifacts/explorer/`` on every
run (CI keeps the folder). The live server's tests commit and flush, so they
cannot share the ``seeded`` transaction: each loads the same seed fixture.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from tests.browser import ARTIFACTS
from tests.seed import SEED_FIXTURE

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = ARTIFACTS / "explorer"

#: Pages a reader walks, by name: every kind of page the explorer has.
PAGES = {
    "home": "/",
    "timeline": "/timeline/",
    "timeline-filtered": "/timeline/?type=exercises&actor=china",
    "charts": "/charts/",
    "search": "/search/?q=russia",
    "actor": "/actors/russia/",
    "exercise": "/exercises/tsentr-2019/",
    "agreement": "/agreements/border-troop-reduction-agreement-1997/",
    "arms-deal": "/arms-deals/china-missile-attack-warning-system-contract/",
    "statement": "/statements/article-central-asia-cooperation-without-russia/",
    "source": "/sources/icds-diplomaatia-2020-07-01-alliance-without-agreement/",
}
#: Pages kept as screenshots, at both widths.
KEPT = ("home", "timeline", "actor", "exercise")


@pytest.fixture
def seed(live_server):
    call_command("loaddata", SEED_FIXTURE, verbosity=0)
    return live_server


def watched(new_page, **options):
    """A page recording console errors, uncaught errors and requests to other hosts."""
    page = new_page(**options)
    page.problems = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda m: page.problems.append(f"console: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda error: page.problems.append(f"error: {error}"))
    return page


def other_hosts(page, live_server) -> list[str]:
    own = urlsplit(live_server.url).netloc
    found = []
    page.on(
        "request",
        lambda r: found.append(r.url) if urlsplit(r.url).netloc not in (own, "") else None,
    )
    return found


@pytest.mark.parametrize("name", ["home", "timeline"])
def test_the_page_renders_with_no_error_and_nothing_from_another_host(
    seed, new_page, live_server, name
):
    page = watched(new_page, viewport=LAPTOP)
    elsewhere = other_hosts(page, live_server)

    response = page.goto(PAGES[name])
    page.wait_for_load_state("networkidle")

    assert (response.status, page.problems, elsewhere) == (200, [], [])


def test_a_timeline_filter_by_actor_changes_the_url_and_the_items(seed, new_page):
    page = new_page(viewport=LAPTOP)
    page.goto("/timeline/")
    before = page.locator(".items li").count()

    page.select_option("#id_actor", "pakistan")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/timeline/?**")
    items = page.locator(".items li a").all_inner_texts()

    assert (parse_qs(urlsplit(page.url).query)["actor"], before, items) == (
        ["pakistan"],
        50,
        ["Tsentr-2019"],
    )


def test_tsentr_2019_shows_its_month_its_participants_and_its_footnotes(seed, new_page):
    page = new_page(viewport=LAPTOP)
    page.goto("/exercises/tsentr-2019/")

    date = page.locator("dt:text-is('Start date') + dd").inner_text()
    participants = page.locator(".participants li").count()
    footnotes = page.locator(".footnotes .footnote").all_inner_texts()

    assert (date, participants, footnotes) == (
        "September 2019",
        8,
        ["Footnote 13", "Footnote 14"],
    )


def test_searching_russia_lists_russia_first(seed, new_page):
    page = new_page(viewport=LAPTOP)
    page.goto("/")

    page.fill("#site-q", "russia")
    page.locator(".site-search button").click()
    page.wait_for_url("**/search/?q=russia")

    assert page.locator(".results li a").first.inner_text() == "Russia"


@pytest.mark.parametrize("name", PAGES)
def test_no_page_scrolls_sideways_on_a_phone(seed, new_page, name):
    page = new_page(viewport=PHONE)
    response = page.goto(PAGES[name])
    if name in KEPT:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-390.png"), full_page=True)

    width = page.evaluate("() => document.documentElement.scrollWidth")

    assert (response.status, width <= 390) == (200, True), width


@pytest.mark.parametrize("name", KEPT)
def test_the_page_at_laptop_width_is_kept_as_a_screenshot(seed, new_page, name):
    page = new_page(viewport=LAPTOP)
    page.goto(PAGES[name])
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-1366.png"

    page.screenshot(path=str(path), full_page=True)
    width = page.evaluate("() => document.documentElement.scrollWidth")

    assert (path.stat().st_size > 0, width <= 1366) == (True, True)


#: For each chart (an SVG image): its accessible name and the table or list beside it.
CHART_ALTERNATIVES = """() => [...document.querySelectorAll("svg[role=img]")].map(svg => {
    const names = svg.getAttribute("aria-labelledby").split(" ")
        .map(id => document.getElementById(id)?.textContent.trim() || "");
    const figure = svg.closest("figure");
    const rows = figure.querySelectorAll("table tbody tr, ul.co-participants li").length;
    return [names[0], rows];
})"""


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "/charts/",
            [
                ["Exercises per year, by domain", 6],
                ["Arms deals per year, by scope", 4],
                ["Statements per year, by kind", 6],
            ],
        ),
        ("/actors/russia/", [["Russia and the actors it took part with", 10]]),
    ],
)
def test_each_chart_has_its_text_alternative(seed, new_page, path, expected):
    page = new_page(viewport=LAPTOP)
    page.goto(path)

    assert page.evaluate(CHART_ALTERNATIVES) == expected

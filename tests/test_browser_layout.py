"""Every admin page fits a laptop screen (1366 x 768) with the seed data: nothing scrolls sideways.

An editor walks every list, every add and change form (each with a new row
in every inline), every deletion page, the deleted records (list and one
record), a history page, a comparison of two versions, a revert and a
recover page, and the pages of their own (recent changes, waiting for
review, import); a viewer walks every page a viewer may open. A page fits
when the document is no wider than the window and no part of it is wider
than its box (a list's table scrolling inside the page, an inline's columns
cut off); it loads with no error in the browser's console. Screenshots of
the statements list and Tsentr-2019's form are saved in ``test-artifacts/``
whatever the outcome, to look at.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from reversion.models import Version

from tests.browser import ARTIFACTS, log_in_session
from tracker import models
from tracker.editors import create_user_in_role
from tracker.services import record_delete, record_save

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LAPTOP = {"width": 1366, "height": 768}

#: The seed's widest record of each type: most links, citations, longest words.
RECORDS = {
    "actor": "kazakhstan-border-forces",
    "source": "icds-diplomaatia-2020-07-01-alliance-without-agreement",
    "agreement": "border-troop-reduction-agreement-1997",
    "exercise": "tsentr-2019",
    "armsdeal": "china-missile-attack-warning-system-contract",
    "statement": "article-central-asia-cooperation-without-russia",
}
MODELS = {
    "actor": models.Actor,
    "source": models.Source,
    "agreement": models.Agreement,
    "exercise": models.Exercise,
    "armsdeal": models.ArmsDeal,
    "statement": models.Statement,
}
#: A citation of the seed's widest statement (its record's title is the longest).
CITATION_OF = "article-central-asia-cooperation-without-russia"

#: A statement nothing refers to, deleted for the recover page and the deleted record's page.
DELETED = "article-conclusion-cooperation-will-increase"

#: Pages of the tracker's own, by name.
OWN_PAGES = {
    "recentchanges-page": "tracker-recent-changes",
    "review-page": "tracker-review",
    "import-page": "tracker-import",
}
#: The history pages of Tsentr-2019 (it has a version of its own: see seeded_editor_page).
HISTORY_PAGES = ["exercise-history", "exercise-compare", "exercise-revision"]

PAGES = [
    *(f"{model}-{view}" for model in [*RECORDS, "citation"] for view in ("list", "add", "change")),
    *(f"{model}-delete" for model in [*RECORDS, "citation"]),
    "deletedrecord-list",
    "deletedrecord-change",
    *HISTORY_PAGES,
    "statement-recover",
    *OWN_PAGES,
]
#: What a viewer may open: every list and record, its history; the deleted records; recent changes.
VIEWER_PAGES = [
    *(f"{model}-{view}" for model in [*RECORDS, "citation"] for view in ("list", "change")),
    "deletedrecord-list",
    "deletedrecord-change",
    *HISTORY_PAGES,
    "recentchanges-page",
]
#: Pages saved as screenshots on every run.
SCREENSHOTS = {"statement-list": "statements-list.png", "exercise-change": "exercise-form.png"}

#: The document's width, and the boxes inside it whose content is wider than they are: a
#: box that scrolls sideways (a list's table) or a part of the page that cuts its content
#: off (an inline's fieldset hides what overflows it).
MEASURE = """() => {
    const boxes = [];
    for (const el of document.querySelectorAll("body *")) {
        const overflow = getComputedStyle(el).overflowX;
        const part = el.matches("#content, #content-main, .module, fieldset, .results, table");
        if ((part || overflow === "auto" || overflow === "scroll")
                && el.scrollWidth > el.clientWidth + 1) {
            boxes.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}:`
                       + ` ${el.scrollWidth} px in ${el.clientWidth} px`);
        }
    }
    return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        tooWide: boxes,
    };
}"""


def _url(page_id: str) -> str:
    model, view = page_id.split("-")
    if page_id in OWN_PAGES:
        return reverse(OWN_PAGES[page_id])
    if model == "deletedrecord" and view == "change":
        deleted = models.DeletedRecord.objects.get(slug=DELETED)
        return reverse("admin:tracker_deletedrecord_change", args=[deleted.pk])
    if view == "recover":
        live = {str(pk) for pk in MODELS[model].objects.values_list("pk", flat=True)}
        stored = Version.objects.get_for_model(MODELS[model]).order_by("-pk")
        version = next(version for version in stored if version.object_id not in live)
        return reverse(f"admin:tracker_{model}_recover", args=[version.pk])
    if view == "revision":
        record = MODELS[model].objects.get(slug=RECORDS[model])
        version = Version.objects.get_for_object(record).order_by("-pk")[0]
        return reverse(f"admin:tracker_{model}_revision", args=[record.pk, version.pk])
    if view in ("list", "add"):
        return reverse(f"admin:tracker_{model}_{'changelist' if view == 'list' else 'add'}")
    if model == "citation":
        pk = models.Citation.objects.filter(statement__slug=CITATION_OF).order_by("pk")[0].pk
    else:
        pk = MODELS[model].objects.get(slug=RECORDS[model]).pk
    return reverse(f"admin:tracker_{model}_{view}", args=[pk])


def _seeded_page(new_page, live_server, role: str):
    """The seed data, two versions of Tsentr-2019 and a deleted statement; a laptop-sized page
    logged in as a user of ``role``, noting what its console says of errors."""
    call_command("loaddata", "article", verbosity=0)
    editor = create_user_in_role("layout-editor", "a-long-layout-password", "editor")
    tsentr = record_save(models.Exercise.objects.get(slug="tsentr-2019"), user=editor)
    tsentr.region = "Central Asia"
    record_save(tsentr, user=editor)
    record_delete(models.Statement.objects.get(slug=DELETED), user=editor)
    user = editor if role == "editor" else create_user_in_role("layout-viewer", "a-long-pw-1", role)
    page = new_page(viewport=LAPTOP)
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    log_in_session(page, user, live_server.url)
    return page


@pytest.fixture
def seeded_editor_page(new_page, live_server):
    """The seed data and its history (see _seeded_page), a page logged in as an editor."""
    return _seeded_page(new_page, live_server, "editor")


@pytest.fixture
def seeded_viewer_page(new_page, live_server):
    """The seed data and its history (see _seeded_page), a page logged in as a viewer."""
    return _seeded_page(new_page, live_server, "viewer")


@pytest.mark.parametrize("page_id", PAGES)
def test_admin_page_fits_a_laptop_screen(seeded_editor_page, page_id):
    page = seeded_editor_page
    response = page.goto(_url(page_id))
    assert response.status == 200
    if page_id.endswith("-add"):
        # A new inline row is as wide as a saved one: open one in every inline.
        for link in page.locator(".inline-group .add-row a").all():
            link.click()
    if page_id in SCREENSHOTS:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / SCREENSHOTS[page_id]), full_page=True)

    measured = page.evaluate(MEASURE)

    assert measured["scrollWidth"] <= measured["innerWidth"], measured
    assert (measured["tooWide"], page.console_errors) == ([], [])


@pytest.mark.parametrize("page_id", VIEWER_PAGES)
def test_admin_page_fits_a_laptop_screen_for_a_viewer(seeded_viewer_page, page_id):
    page = seeded_viewer_page
    response = page.goto(_url(page_id))
    assert response.status == 200

    measured = page.evaluate(MEASURE)

    assert measured["scrollWidth"] <= measured["innerWidth"], measured
    assert (measured["tooWide"], page.console_errors) == ([], [])


def test_a_viewers_home_page_links_only_to_pages_a_viewer_may_open(seeded_viewer_page):
    page = seeded_viewer_page
    page.goto(reverse("admin:index"))
    links = page.eval_on_selector_all("#content a[href]", "links => links.map(a => a.href)")

    statuses = {link: page.request.get(link).status for link in links}

    assert sorted({status for status in statuses.values()}) == [200], statuses

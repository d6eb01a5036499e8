"""Every admin page fits a laptop screen (1366 x 768) with the seed data: nothing scrolls sideways.

An editor walks every list, every add and change form (each with a new row
in every inline), every deletion page, the deleted records and one history
page. A page fits when the document is no wider than the window and no part
of it is wider than its box (a list's table scrolling inside the page, an
inline's columns cut off). Screenshots of the
statements list and Tsentr-2019's form are saved in ``test-artifacts/``
whatever the outcome, to look at.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.browser import ARTIFACTS, log_in_session
from tracker import models
from tracker.editors import create_user_in_role
from tracker.services import record_save

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

PAGES = [
    *(f"{model}-{view}" for model in [*RECORDS, "citation"] for view in ("list", "add", "change")),
    *(f"{model}-delete" for model in [*RECORDS, "citation"]),
    "deletedrecord-list",
    "exercise-history",
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
    if view in ("list", "add"):
        return reverse(f"admin:tracker_{model}_{'changelist' if view == 'list' else 'add'}")
    if model == "citation":
        pk = models.Citation.objects.filter(statement__slug=CITATION_OF).order_by("pk")[0].pk
    else:
        pk = MODELS[model].objects.get(slug=RECORDS[model]).pk
    return reverse(f"admin:tracker_{model}_{view}", args=[pk])


@pytest.fixture
def seeded_editor_page(new_page, live_server):
    """The seed data, a revision of Tsentr-2019, a laptop-sized page logged in as an editor."""
    call_command("loaddata", "article", verbosity=0)
    editor = create_user_in_role("layout-editor", "a-long-layout-password", "editor")
    record_save(models.Exercise.objects.get(slug="tsentr-2019"), user=editor)
    page = new_page(viewport=LAPTOP)
    log_in_session(page, editor, live_server.url)
    return page


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
    assert measured["tooWide"] == []

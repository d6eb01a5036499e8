"""Fuzzy dates in the admin: one box per date, typed and shown in words."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client
from django.urls import reverse

from tests.admin_forms import change_form_data
from tests.factories import ExerciseFactory, SourceFactory
from tracker import models
from tracker.admin.dates import FuzzyDateFormField
from tracker.dates import ACCEPTED_FORMS

pytestmark = pytest.mark.django_db

RECORDS = [models.Source, models.Agreement, models.Exercise, models.ArmsDeal, models.Statement]


def columns(record, field: str) -> tuple:
    """The three stored columns of one fuzzy date."""
    record.refresh_from_db()
    return tuple(getattr(record, f"{field}{part}") for part in ("", "_precision", "_qualifier"))


def add_exercise(client: Client, **dates: str):
    data = {
        "name": "Mosi-2019",
        "slug": "mosi-2019",
        "domain": "naval",
        "start_date": "",
        "end_date": "",
        "participations-TOTAL_FORMS": "0",
        "participations-INITIAL_FORMS": "0",
        # Every exercise cites its source.
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "0",
        # The reported values inline, left empty.
        "reported_values-TOTAL_FORMS": "0",
        "reported_values-INITIAL_FORMS": "0",
        "citations-0-source": str(SourceFactory().pk),
        **dates,
    }
    return client.post(reverse("admin:tracker_exercise_add"), data)


@pytest.mark.parametrize("model", RECORDS, ids=lambda m: m._meta.model_name)
def test_each_fuzzy_date_is_one_box_in_words(editor_client, model):
    response = editor_client.get(reverse(f"admin:tracker_{model._meta.model_name}_add"))

    fields = response.context["adminform"].form.fields
    assert (
        {name: type(fields[name]) for name in model.fuzzy_dates},
        [name for name in fields if name.endswith(("_precision", "_qualifier"))],
    ) == ({name: FuzzyDateFormField for name in model.fuzzy_dates}, [])


@pytest.mark.parametrize(
    ("words", "stored"),
    [
        ("end of 2016", (dt.date(2016, 1, 1), 9, "end")),
        ("September 2019", (dt.date(2019, 9, 1), 10, "")),
        ("c. 3 October 2019", (dt.date(2019, 10, 3), 11, "approximate")),
        ("early 1990s", (dt.date(1990, 1, 1), 8, "early")),
        ("", (None, None, "")),
    ],
)
def test_typed_words_set_the_three_columns(editor_client, words, stored):
    response = add_exercise(editor_client, start_date=words)

    exercise = models.Exercise.objects.get(slug="mosi-2019")
    assert (response.status_code, columns(exercise, "start_date")) == (302, stored)


def test_the_change_form_shows_the_stored_dates_in_words(editor_client):
    exercise = ExerciseFactory(
        start_date=dt.date(2016, 1, 1), start_date_precision=9, start_date_qualifier="end"
    )
    url = reverse("admin:tracker_exercise_change", args=[exercise.pk])

    form = editor_client.get(url).context["adminform"].form

    assert (form["start_date"].value(), form["end_date"].value()) == ("end of 2016", "")


def test_the_add_form_shows_a_date_given_in_its_address(editor_client):
    url = reverse("admin:tracker_exercise_add") + "?start_date=mid-2015"

    form = editor_client.get(url).context["adminform"].form

    assert form["start_date"].value() == "mid-2015"


def test_unreadable_words_are_refused_next_to_their_box(editor_client):
    response = add_exercise(editor_client, start_date="1980s", end_date="09/08/2021")

    errors = response.context["adminform"].form.errors
    assert (list(errors), models.Exercise.objects.count()) == (["end_date"], 0)
    assert errors["end_date"][0].startswith(
        "“09/08/2021” is not a date the tracker can read: the order of day and month differs"
    )
    assert errors["end_date"][0].endswith(ACCEPTED_FORMS)


def test_a_model_rule_on_a_date_is_shown_next_to_its_box(editor_client):
    response = add_exercise(editor_client, start_date="2019", end_date="2018")

    errors = response.context["adminform"].form.errors
    assert errors == {"end_date": ["Ends (2018) before it starts (2019)."]}


def test_changing_the_words_changes_the_date_and_says_so(editor_client):
    exercise = ExerciseFactory(start_date=dt.date(2019, 9, 1), start_date_precision=10)
    url = reverse("admin:tracker_exercise_change", args=[exercise.pk])
    data = {**change_form_data(editor_client.get(url)), "start_date": "mid 2015"}

    response = editor_client.post(url, data)

    assert (
        response.status_code,
        columns(exercise, "start_date"),
        LogEntry.objects.get().get_change_message(),
    ) == (302, (dt.date(2015, 1, 1), 9, "mid"), "Changed Start date.")


def test_saving_the_words_as_shown_changes_no_date(editor_client):
    exercise = ExerciseFactory(
        start_date=dt.date(1980, 1, 1), start_date_precision=8, start_date_qualifier="end"
    )
    url = reverse("admin:tracker_exercise_change", args=[exercise.pk])

    response = editor_client.post(url, change_form_data(editor_client.get(url)))

    assert (
        response.status_code,
        columns(exercise, "start_date"),
        LogEntry.objects.get().get_change_message(),
    ) == (302, (dt.date(1980, 1, 1), 8, "end"), "No fields changed.")


def test_a_viewer_reads_the_dates_in_words(viewer_client):
    exercise = ExerciseFactory(
        start_date=dt.date(2016, 1, 1), start_date_precision=9, start_date_qualifier="end"
    )
    url = reverse("admin:tracker_exercise_change", args=[exercise.pk])

    page = viewer_client.get(url).content.decode()

    assert '<div class="readonly">end of 2016</div>' in page
    assert '<div class="readonly">date unknown</div>' in page


def test_the_duplicate_warning_compares_the_date_typed_in_words(editor_client):
    ExerciseFactory(
        name="Mosi 2019", slug="mosi", start_date=dt.date(2019, 12, 1), start_date_precision=10
    )

    response = add_exercise(editor_client, start_date="end of 2019")

    (warning,) = response.context["adminform"].form.non_field_errors()
    assert (
        warning.startswith("This may already be recorded:"),
        models.Exercise.objects.count(),
    ) == (
        True,
        1,
    )


def test_no_duplicate_warning_for_a_date_typed_in_another_year(editor_client):
    ExerciseFactory(
        name="Mosi 2019", slug="mosi", start_date=dt.date(2019, 12, 1), start_date_precision=10
    )

    response = add_exercise(editor_client, start_date="c. 2015")

    assert (response.status_code, models.Exercise.objects.count()) == (302, 2)

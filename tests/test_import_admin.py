"""The admin's Import records page: upload, preview, confirm; wrong files answered with a 4xx."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests import factories as f
from tracker import imports, services
from tracker.dates import Precision
from tracker.exports import csv_stream
from tracker.models import Exercise, Import

pytestmark = pytest.mark.django_db

URL = "/admin/import/"


@pytest.fixture
def exercise(db):
    """Vostok-2018, cited, with China and Russia taking part."""
    china = f.ActorFactory(slug="china", name="China")
    f.ActorFactory(slug="russia", name="Russia")
    record = f.ExerciseFactory(
        slug="vostok-2018",
        name="Vostok-2018",
        location="Tsugol",
        start_date=dt.date(2018, 9, 1),
        start_date_precision=Precision.MONTH,
    )
    services.record_save(record, links=[{"actor": china}])
    return Exercise.objects.get(pk=record.pk)


def exported() -> str:
    return "".join(csv_stream(Exercise))


def upload(client, text: str | bytes, name: str = "exercises.csv"):
    data = text.encode() if isinstance(text, str) else text
    return client.post(URL, {"file": SimpleUploadedFile(name, data)})


def token_of(response) -> str:
    action = response.content.decode().split('id="import-confirm"')[0].rsplit('action="', 1)[1]
    return action.split('"')[0].rstrip("/").rsplit("/", 1)[1]


def test_the_page_is_refused_to_a_viewer(viewer_client):
    assert viewer_client.get(URL).status_code == 403


def test_the_admin_home_links_to_the_page(editor_client):
    assert 'href="/admin/import/"' in editor_client.get("/admin/").content.decode()


def test_a_record_list_links_to_the_page(editor_client):
    page = editor_client.get("/admin/tracker/exercise/").content.decode()
    assert 'class="import-records-link"' in page


def test_the_preview_shows_a_change_and_stores_nothing(editor_client, exercise):
    text = exported().replace("Tsugol", "Tsugol training ground")
    response = upload(editor_client, text)
    page = response.content.decode()
    assert response.status_code == 200
    assert "location: Tsugol → Tsugol training ground" in page
    assert "exercises.csv: 0 created, 1 changed, 0 unchanged, 0 refused" in page
    assert Exercise.objects.get(slug="vostok-2018").location == "Tsugol"


def test_confirming_applies_the_preview(editor_client, exercise, editor):
    response = upload(editor_client, exported().replace("Tsugol", "Tsugol training ground"))
    confirmed = editor_client.post(f"/admin/import/{token_of(response)}/")
    assert confirmed.status_code == 302
    assert Exercise.objects.get(slug="vostok-2018").location == "Tsugol training ground"
    assert list(Import.objects.values_list("user__username", "file_name", "changed")) == [
        ("editor", "exercises.csv", 1)
    ]


def test_a_record_changed_after_the_preview_is_not_overwritten(editor_client, exercise):
    response = upload(editor_client, exported().replace("Tsugol", "Tsugol training ground"))
    exercise.summary = "Saved by someone else meanwhile."
    services.record_save(exercise)
    confirmed = editor_client.post(f"/admin/import/{token_of(response)}/")
    assert confirmed.status_code == 409
    assert "changed by someone else after your preview" in confirmed.content.decode()
    stored = Exercise.objects.get(slug="vostok-2018")
    assert (stored.location, stored.summary) == ("Tsugol", "Saved by someone else meanwhile.")


def test_another_editors_upload_cannot_be_confirmed(editor_client, exercise, client):
    response = upload(editor_client, exported().replace("Tsugol", "Tsugol training ground"))
    from tracker.editors import create_user_in_role

    client.force_login(create_user_in_role("bob", "bob-password-long", "editor"))
    assert client.post(f"/admin/import/{token_of(response)}/").status_code == 404
    assert Exercise.objects.get(slug="vostok-2018").location == "Tsugol"


def test_a_refused_row_names_its_column_and_row(editor_client, exercise):
    text = exported().replace("Tsugol", "Tsugol training ground").replace(",china,", ",nobody,")
    page = upload(editor_client, text).content.decode()
    assert "exercises.csv row 2, column participants: no actor has the identifier “nobody”." in page
    assert 'id="import-confirm"' not in page


@pytest.mark.parametrize(
    ("name", "data", "status", "message"),
    [
        ("exercises.csv", b"", 400, "The submitted file is empty."),
        ("exercises.csv", b" \r\n", 400, "The file is empty."),
        ("exercises.csv", "slug,name\r\nx,é\r\n".encode("latin-1"), 400, "is not UTF-8 text"),
        ("picture.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 415, "is not a text file"),
        ("package.zip", b"slug,name\r\n", 415, "is not a zip file"),
        ("notes.csv", b"colour,size\r\nred,2\r\n", 400, "is not one of the export"),
    ],
    ids=["empty", "blank", "latin-1", "binary", "fake-zip", "unknown-header"],
)
def test_a_file_that_cannot_be_read_is_answered_with_a_4xx(
    editor_client, name, data, status, message
):
    response = upload(editor_client, data, name)
    assert response.status_code == status
    assert message in response.content.decode()


def test_a_file_over_the_limit_is_refused_with_413(editor_client, settings):
    settings.IMPORT_MAX_BYTES = 100
    response = upload(editor_client, "slug,name\r\n" + "x,y\r\n" * 50)
    assert response.status_code == 413
    assert "The file is too big" in response.content.decode()


def test_recent_changes_names_twenty_records_of_a_large_import(editor_client, editor):
    f.ActorFactory(slug="china", name="China")
    f.SourceFactory(slug="kashin-2019", title="Kashin")
    rows = "".join(f"x-{i},X {i},land,2016,china,kashin-2019\r\n" for i in range(25))
    data = ("slug,name,domain,start_date_display,participants,sources\r\n" + rows).encode()
    imports.apply_file("exercises.csv", data, user=editor)
    page = editor_client.get("/admin/recent-changes/").content.decode()
    assert page.count('class="compare-link"') == 20
    assert "… and 5 more" in page

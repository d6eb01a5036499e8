"""CSV exports: the export_csv command and the admin's export action."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from frictionless import Resource, validate

from tests import factories as f
from tests.exporting import export, read_csv
from tracker.exports import snapshot
from tracker.exports.files import TABLES
from tracker.models import (
    Actor,
    Exercise,
    Statement,
)
from tracker.registry import RECORD_TYPES

# --- The command --------------------------------------------------------------------


def test_command_is_quiet_when_not_on_a_terminal(records, tmp_path):
    out = io.StringIO()
    call_command("export_csv", str(tmp_path), stdout=out)
    assert (out.getvalue(), (tmp_path / "latest" / "datapackage.json").exists()) == ("", True)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_command_shows_progress_on_a_terminal(records, tmp_path):
    out = Terminal()
    call_command("export_csv", str(tmp_path), stdout=out)
    assert "\r  exercises                           1 rows\n" in out.getvalue()


def test_command_quiet_option_silences_a_terminal(records, tmp_path):
    out = Terminal()
    call_command("export_csv", str(tmp_path), "--quiet", stdout=out)
    assert out.getvalue() == ""


def test_command_refuses_keep_below_one(db, tmp_path):
    with pytest.raises(CommandError, match="--keep must be at least 1"):
        call_command("export_csv", str(tmp_path), "--keep", "0")


def test_command_reports_an_unwritable_outdir_without_traceback(db, tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(CommandError):
        call_command("export_csv", str(tmp_path / "file" / "out"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL isolation levels")
def test_snapshot_reads_in_one_repeatable_read_transaction():
    with snapshot.consistent_read(), connection.cursor() as cursor:
        cursor.execute("SHOW transaction_isolation")
        assert cursor.fetchone() == ("repeatable read",)


# --- The admin action ---------------------------------------------------------------


def test_admin_action_streams_the_selected_rows_as_csv(records, editor_client):
    f.ExerciseFactory(slug="not-selected")
    response = editor_client.post(
        "/admin/tracker/exercise/",
        {"action": "export_selected_as_csv", "_selected_action": [records["exercise"].pk]},
    )
    body = b"".join(response.streaming_content).decode()
    table = TABLES["exercises"]
    expected = list(table.iter_rows(Exercise.objects.filter(slug="tsentr-2019")))
    assert response["Content-Type"] == "text/csv"
    assert list(csv.reader(io.StringIO(body))) == [table.header(), *expected]


def test_admin_action_names_the_download_after_the_file(records, editor_client):
    response = editor_client.post(
        "/admin/tracker/actor/",
        {"action": "export_selected_as_csv", "_selected_action": [records["china"].pk]},
    )
    assert response["Content-Disposition"].startswith('attachment; filename="actors-')


def test_every_record_changelist_offers_the_action(editor_client):
    for model in (rt.model for rt in RECORD_TYPES):
        response = editor_client.get(f"/admin/tracker/{model._meta.model_name}/")
        assert b"Export selected as CSV" in response.content, model.__name__


def test_resource_reads_back_with_frictionless_row_for_row(records, tmp_path):
    result = export(tmp_path)
    resource = Resource(str(result.path / "actors.csv"))
    names = [row["name"] for row in resource.read_rows()]
    assert names == [
        a.name if a.slug != "pla" else "'" + a.name for a in Actor.objects.order_by("pk")
    ]


# --- The article fixture ------------------------------------------------------------


def test_article_fixture_exports_valid_with_the_databases_row_counts(seeded, tmp_path):
    result = export(tmp_path)
    report = validate(str(result.path / "datapackage.json"))
    relations = [t.about for t in RECORD_TYPES if t.about]
    through = [Statement._meta.get_field(name).remote_field.through for name in relations]
    expected = {name: t.model.objects.count() for name, t in TABLES.items() if t.expand is None}
    expected["statement_links"] = sum(model.objects.count() for model in through)
    files = {name: len(read_csv(result.path / f"{name}.csv")) for name in TABLES}
    assert (report.valid, files) == (True, expected)

"""Reading and previewing imports: what each row would do, and why a row is refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from reversion.models import Revision

from tests import factories as f
from tracker import imports, services
from tracker.dates import Precision, Qualifier
from tracker.exports.files import TABLES, record_tables
from tracker.models import Actor, Change, Exercise, ExerciseParticipant, Import, Source

pytestmark = pytest.mark.django_db

HEADER = "slug,name,domain,start_date_display,participants,sources\r\n"


@pytest.fixture
def linked(db):
    """Two actors and a source that new rows link to."""
    f.ActorFactory(slug="china", name="China")
    f.ActorFactory(slug="russia", name="Russia")
    f.SourceFactory(slug="kashin-2019", title="Kashin on Tsentr")


def csv_file(*rows: str) -> bytes:
    return (HEADER + "".join(f"{row}\r\n" for row in rows)).encode()


def preview(data: bytes, name: str = "exercises.csv") -> imports.Plan:
    return imports.preview(name, data)


def test_a_new_row_is_created_with_its_links_and_citation(linked, editor):
    data = csv_file("tsentr-2019,Tsentr-2019,command_staff,September 2019,china|russia,kashin-2019")
    plan, log = imports.apply_file("exercises.csv", data, user=editor)
    exercise = Exercise.objects.get(slug="tsentr-2019")
    assert [r.action for r in plan.rows] == ["create"]
    assert (exercise.start_date, exercise.start_date_precision) == (
        dt.date(2019, 9, 1),
        Precision.MONTH,
    )
    assert list(exercise.participations.values_list("actor__slug", "role")) == [
        ("china", "participant"),
        ("russia", "participant"),
    ]
    assert list(exercise.citations.values_list("source__slug", flat=True)) == ["kashin-2019"]
    assert (log.created, log.changed, log.unchanged) == (1, 0, 0)


def test_a_date_in_words_is_read_as_the_admin_reads_it(linked):
    plan = preview(csv_file("vostok-2016,Vostok,land,end of 2016,,kashin-2019"))
    exercise = plan.rows[0].instance
    assert (exercise.start_date, exercise.start_date_precision, exercise.start_date_qualifier) == (
        dt.date(2016, 1, 1),
        Precision.YEAR,
        Qualifier.END,
    )


def test_an_unreadable_date_is_refused_naming_its_column_and_row(linked):
    plan = preview(csv_file("vostok-2016,Vostok,land,09/08/2016,,kashin-2019"))
    assert plan.rows[0].action == "refused"
    assert (
        plan.rows[0]
        .reasons[0]
        .startswith("exercises.csv row 2, column start_date_display: “09/08/2016” is not a date")
    )


def test_an_unknown_code_is_refused_naming_its_column(linked):
    plan = preview(csv_file("vostok-2016,Vostok,underwater,2016,,kashin-2019"))
    assert plan.rows[0].reasons == [
        "exercises.csv row 2, column domain: “underwater” is not a known code (one of: land, "
        "naval, air, command_staff, counter_terrorism, joint_patrol, combined, other)."
    ]


def test_a_coded_value_may_be_given_by_its_label(linked):
    plan = preview(csv_file("vostok-2016,Vostok,Joint patrol,2016,,kashin-2019"))
    assert plan.rows[0].instance.domain == "joint_patrol"


def test_a_link_to_an_unknown_actor_is_refused(linked):
    plan = preview(csv_file("vostok-2016,Vostok,land,2016,china|nobody,kashin-2019"))
    assert plan.rows[0].reasons == [
        "exercises.csv row 2, column participants: no actor has the identifier “nobody”."
    ]


def test_a_slug_given_twice_is_refused_on_its_second_row(linked):
    plan = preview(
        csv_file("vostok-2016,Vostok,land,2016,,kashin-2019", "vostok-2016,Other,land,2016,,")
    )
    assert [row.action for row in plan.rows] == ["create", "refused"]
    assert plan.rows[1].reasons[0] == (
        "exercises.csv row 3, column slug: “vostok-2016” is already given in exercises.csv row 2."
    )


def test_a_new_record_without_a_source_is_refused(linked):
    plan = preview(csv_file("vostok-2016,Vostok,land,2016,china,"))
    assert plan.rows[0].reasons == [
        "exercises.csv row 2, column sources: Cite at least one source: every exercise rests on "
        "a source (add a citation with its footnote or page)."
    ]


def test_a_row_may_link_to_an_actor_created_by_the_same_package(linked, editor):
    actors = "slug,name,kind\r\npla-navy,PLA Navy,armed_force\r\n"
    exercises = csv_file("joint-sea-2019,Joint Sea,naval,2019,pla-navy,kashin-2019").decode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("snapshot/actors.csv", actors)
        archive.writestr("snapshot/exercises.csv", exercises)
    plan, _ = imports.apply_file("package.zip", buffer.getvalue(), user=editor)
    assert [(r.proposal.record_type.key, r.action) for r in plan.rows] == [
        ("actor", "create"),
        ("exercise", "create"),
    ]
    assert list(ExerciseParticipant.objects.values_list("exercise__slug", "actor__slug")) == [
        ("joint-sea-2019", "pla-navy")
    ]


def test_the_package_link_file_gives_the_roles(linked, editor):
    exercises = csv_file("aman-2019,Aman,naval,2019,china|russia,kashin-2019").decode()
    participants = (
        "exercise,actor,actor_name,role,role_label,contribution\r\n"
        "aman-2019,china,China,host,host,a frigate\r\n"
        "aman-2019,russia,Russia,observer,observer,\r\n"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("exercises.csv", exercises)
        archive.writestr("exercise_participants.csv", participants)
    imports.apply_file("package.zip", buffer.getvalue(), user=editor)
    assert list(ExerciseParticipant.objects.values_list("actor__slug", "role", "contribution")) == [
        ("china", "host", "a frigate"),
        ("russia", "observer", ""),
    ]


def test_a_json_list_in_the_api_format_changes_a_record(linked, editor_api, editor):
    exercise = f.ExerciseFactory(slug="tsentr-2019", name="Tsentr-2019", location="Orenburg")
    listed = editor_api.get("/api/v1/exercises/").json()["results"]
    listed[0]["location"] = "Donguz"
    listed[0]["start_date"] = "mid-2019"
    plan = preview(json.dumps(listed).encode(), "exercises.json")
    assert plan.rows[0].changes == [
        "location: Orenburg → Donguz",
        f"start_date: {exercise.fuzzy('start_date').display()} → mid-2019",
    ]


def test_a_json_field_the_api_does_not_have_is_refused(linked):
    item = {"slug": "x-2019", "name": "X", "domain": "land", "colour": "red"}
    plan = preview(json.dumps([item]).encode(), "exercises.json")
    assert plan.rows[0].reasons[0] == (
        "exercises.json item 1, column colour: is not a field of this resource."
    )


def test_the_preview_stores_nothing(linked):
    counts = (Exercise.objects.count(), Revision.objects.count(), Change.objects.count())
    preview(csv_file("vostok-2016,Vostok,land,2016,china,kashin-2019"))
    after = (Exercise.objects.count(), Revision.objects.count(), Change.objects.count())
    assert after == counts


def test_a_refused_row_stops_the_whole_import(linked, editor):
    data = csv_file("vostok-2016,Vostok,land,2016,china,kashin-2019", "bad slug,X,land,,,")
    with pytest.raises(imports.ImportRefused):
        imports.apply_file("exercises.csv", data, user=editor)
    assert Exercise.objects.count() == 0


def test_a_write_refused_by_the_write_path_undoes_every_row(linked, editor, monkeypatch):
    saved = []

    def failing_save(record, **kwargs):
        if saved:
            raise ValidationError("Refused by the write path.")
        saved.append(services.record_save(record, **kwargs))

    monkeypatch.setattr("tracker.imports.applying.record_save", failing_save)
    data = csv_file("a-2016,A,land,2016,,kashin-2019", "b-2016,B,land,2016,,kashin-2019")
    with pytest.raises(imports.ImportRefused):
        imports.apply_file("exercises.csv", data, user=editor)
    assert (Exercise.objects.count(), Import.objects.count()) == (0, 0)


def test_preview_queries_do_not_grow_with_the_rows(linked):
    def queries(rows: int) -> int:
        data = csv_file(*(f"x-{i},X,land,2016,china,kashin-2019" for i in range(rows)))
        with CaptureQueriesContext(connection) as captured:
            preview(data)
        return len(captured)

    assert queries(3) == queries(30)


def test_the_command_previews_without_storing_on_a_dry_run(linked, tmp_path):
    path = tmp_path / "exercises.csv"
    path.write_bytes(csv_file("vostok-2016,Vostok,land,2016,china,kashin-2019"))
    out = io.StringIO()
    call_command("import_records", str(path), "--dry-run", stdout=out)
    assert out.getvalue().splitlines() == [
        "create    exercise vostok-2016 (exercises.csv row 2)",
        "          created as a draft.",
        "exercises.csv: 1 created, 0 changed, 0 unchanged, 0 refused.",
        "Dry run: nothing was stored.",
    ]
    assert Exercise.objects.count() == 0


def test_the_command_imports_as_the_named_user(linked, tmp_path, editor):
    path = tmp_path / "exercises.csv"
    path.write_bytes(csv_file("vostok-2016,Vostok,land,2016,china,kashin-2019"))
    call_command("import_records", str(path), "--user", "editor", stdout=io.StringIO())
    assert list(Import.objects.values_list("user__username", "created")) == [("editor", 1)]


def test_the_command_fails_on_a_refused_row(linked, tmp_path):
    path = tmp_path / "exercises.csv"
    path.write_bytes(csv_file("vostok-2016,Vostok,land,2016,nobody,kashin-2019"))
    with pytest.raises(CommandError, match="1 row"):
        call_command("import_records", str(path), stdout=io.StringIO())
    assert Exercise.objects.count() == 0


ODD_CELLS = ["\x01", "=1+1", "9" * 40, "-1", "2019-02-30", "nan", "x|y|", "  ", "é" * 600]


@pytest.mark.parametrize("table", [t.name for t in record_tables()])
def test_odd_cells_are_refused_or_read_never_an_error(linked, table):
    header = TABLES[table].header()
    rows = []
    for number, column in enumerate(header):
        for odd in ODD_CELLS:
            cells = {c: "" for c in header}
            cells.update({"slug": f"row-{number}-{len(rows)}", column: odd})
            rows.append(cells)
    out = io.StringIO()
    writer = csv.DictWriter(out, header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    plan = preview(out.getvalue().encode(), f"{table}.csv")
    assert {row.action for row in plan.rows} <= {"create", "refused"}
    assert all(row.reasons for row in plan.rows if row.action == "refused")


def test_a_nul_character_in_json_is_refused_before_any_query(linked):
    item = {
        "slug": "x-2019",
        "name": "X\x00",
        "domain": "land",
        "participants": [{"actor": "\x00"}],
    }
    plan = preview(json.dumps([item]).encode(), "exercises.json")
    assert plan.rows[0].reasons == [
        "exercises.json item 1, column name: contains a NUL character, which no text may hold."
    ]


STATUS_HEADER = "slug,name,domain,start_date_display,participants,sources,publication_status\r\n"


def with_status(status: str) -> bytes:
    return (STATUS_HEADER + f"vostok-2016,Vostok,land,2016,china,kashin-2019,{status}\r\n").encode()


def test_imported_records_start_as_drafts(linked, editor):
    imports.apply_file("exercises.csv", csv_file("v-2016,V,land,2016,,kashin-2019"), user=editor)
    assert Exercise.objects.get(slug="v-2016").publication_status == "draft"


def test_an_editor_who_may_publish_imports_published_records(linked, editor):
    plan, _ = imports.apply_file("exercises.csv", with_status("published"), user=editor)
    assert plan.rows[0].notes == ["created as published."]
    assert Exercise.objects.get(slug="vostok-2016").publication_status == "published"


def test_with_review_required_the_status_column_is_ignored(linked, editor, settings):
    settings.REVIEW_REQUIRED = True
    plan, _ = imports.apply_file("exercises.csv", with_status("published"), user=editor)
    assert plan.rows[0].notes == [
        "publication_status “published” ignored: review is required, so another editor "
        "publishes imported records.",
        "created as a draft.",
    ]
    assert Exercise.objects.get(slug="vostok-2016").publication_status == "draft"


def test_an_import_without_an_editor_does_not_publish(linked):
    plan, _ = imports.apply_file("exercises.csv", with_status("published"))
    assert Exercise.objects.get(slug="vostok-2016").publication_status == "draft"


def test_an_ignored_status_column_leaves_a_stored_status_as_it_is(linked, settings, editor):
    exercise = f.ExerciseFactory.build(
        slug="vostok-2016",
        name="Vostok",
        domain="land",
        start_date=dt.date(2016, 1, 1),
        start_date_precision=Precision.YEAR,
        publication_status="published",
    )
    services.record_save(
        exercise,
        links=[{"actor": Actor.objects.get(slug="china")}],
        citations=[{"source": Source.objects.get(slug="kashin-2019")}],
    )
    settings.REVIEW_REQUIRED = True
    plan = imports.preview("exercises.csv", with_status("draft"), user=editor)
    assert (plan.rows[0].action, plan.rows[0].notes) == (
        "unchanged",
        [
            "publication_status “draft” ignored: review is required, so another editor "
            "publishes imported records."
        ],
    )


def test_the_identifier_of_a_deleted_record_is_refused(linked):
    services.record_delete(f.ExerciseFactory(slug="vostok-2016"))
    plan = preview(csv_file("vostok-2016,Vostok,land,2016,china,kashin-2019"))
    assert plan.rows[0].reasons == [
        "exercises.csv row 2, column slug: “vostok-2016” belonged to a deleted record; "
        "identifiers are never reused."
    ]

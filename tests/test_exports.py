"""CSV exports: row shaping, the snapshot package and the change log."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from frictionless import Package, validate

from tests import factories as f
from tests.exporting import export, read_csv, tree
from tracker import services
from tracker.dates import Precision
from tracker.exports import cells, snapshot
from tracker.exports.cells import format_cell, unneutralise
from tracker.exports.files import TABLES, record_tables, table_for_model
from tracker.models import (
    Actor,
    AgreementParty,
    ArmsDeal,
    ArmsDealContractor,
    Citation,
    DeletedRecord,
    Exercise,
    ExerciseParticipant,
    Statement,
)
from tracker.registry import RECORD_TYPES

# --- Cell formatting ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_text_cells_starting_like_a_formula_are_prefixed_with_a_quote(text):
    assert format_cell(text) == "'" + text


def test_neutralised_cells_read_back_to_the_original_text():
    assert unneutralise(format_cell("=1+1")) == "=1+1"


def test_numbers_are_never_neutralised():
    assert format_cell(Decimal("-5.50"), cells.NUMBER) == "-5.50"


def test_decimals_are_written_without_exponent():
    assert format_cell(Decimal("2E+9"), cells.NUMBER) == "2000000000"


def test_empty_values_are_empty_cells():
    assert [format_cell(None), format_cell(""), format_cell([])] == ["", "", ""]


def test_timestamps_are_iso_8601_utc():
    moment = dt.datetime(2026, 1, 1, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert format_cell(moment, cells.DATETIME) == "2026-01-01T03:00:00.000000Z"


def test_booleans_are_true_and_false():
    assert [format_cell(True), format_cell(False)] == ["true", "false"]


def test_several_values_are_joined_with_the_delimiter():
    assert format_cell(["china", "russia"]) == "china|russia"


# --- Tables -------------------------------------------------------------------------


def test_every_record_model_and_link_model_has_a_table():
    models = [
        *(rt.model for rt in RECORD_TYPES),
        Citation,
        ExerciseParticipant,
        AgreementParty,
        ArmsDealContractor,
    ]
    assert [table_for_model(m).name for m in models] == [
        "actors",
        "sources",
        "agreements",
        "exercises",
        "arms_deals",
        "statements",
        "citations",
        "exercise_participants",
        "agreement_parties",
        "arms_deal_contractors",
    ]


def test_a_model_without_a_table_raises_lookup_error():
    with pytest.raises(LookupError):
        table_for_model(DeletedRecord)


def test_fuzzy_date_has_first_day_precision_qualifier_and_display(db):
    f.ExerciseFactory(
        slug="vostok",
        start_date=dt.date(2016, 1, 1),
        start_date_precision=Precision.YEAR,
        start_date_qualifier="end",
    )
    table = TABLES["exercises"]
    row = dict(zip(table.header(), next(table.iter_rows()), strict=True))
    assert [row[c] for c in ("start_date", "start_date_precision", "start_date_qualifier")] == [
        "2016-01-01",
        "year",
        "end",
    ]
    assert row["start_date_display"] == "end of 2016"


def test_codes_have_their_labels_beside_them(records):
    table = TABLES["exercise_participants"]
    found = [dict(zip(table.header(), r, strict=True)) for r in table.iter_rows()]
    assert [(r["role"], r["role_label"]) for r in found] == [
        ("host", "host"),
        ("participant", "participant"),
    ]


def test_main_file_joins_links_in_link_order(records):
    table = TABLES["exercises"]
    row = dict(zip(table.header(), next(table.iter_rows()), strict=True))
    assert row["participants"] == "russia|pla"


def test_rows_come_in_chunks_without_losing_or_repeating_any(db):
    made = [f.ActorFactory(slug=f"a-{n}") for n in range(5)]
    found = [r[0] for r in TABLES["actors"].iter_rows(chunk_size=2)]
    assert found == [a.slug for a in made]


def add_cited_exercises(records, number: int) -> None:
    """``number`` exercises, each with China taking part and a citation of the source."""
    for n in range(number):
        services.record_save(
            f.ExerciseFactory.build(slug=f"extra-{n}"),
            links=[{"actor": records["china"]}],
            citations=[{"source": records["source"], "footnote": n + 1}],
        )


def test_queries_per_chunk_do_not_grow_with_rows(records):
    add_cited_exercises(records, 10)
    with CaptureQueriesContext(connection) as queries:
        produced = list(TABLES["exercises"].iter_rows())
    # Exercises; participations, then the slugs of actors not seen yet; citations,
    # then the slugs of sources not seen yet; the disputed flags.
    assert (len(produced), len(queries)) == (11, 6)


def test_linked_slugs_are_read_once_per_export_not_once_per_chunk(records):
    add_cited_exercises(records, 4)
    with CaptureQueriesContext(connection) as queries:
        produced = list(TABLES["exercises"].iter_rows(chunk_size=2))

    slug_reads = [q for q in queries if 'SELECT "tracker_actor"."id"' in q["sql"]]
    assert (len(produced), len(slug_reads)) == (5, 1)


def test_chunks_are_plain_rows_of_the_columns_fields_and_the_links(records):
    table = TABLES["exercises"]
    chunk = next(table.iter_chunks(Exercise.objects.all()))
    assert [(type(row), list(row)) for row in chunk] == [
        (dict, [*table.paths, "+actors", "+sources", "+disputed"])
    ]


def test_a_table_selects_only_the_fields_its_columns_read():
    assert TABLES["exercise_participants"].paths == (
        "id",
        "exercise__slug",
        "actor__slug",
        "actor__name",
        "role",
        "contribution",
    )


def test_iter_rows_takes_a_filtered_queryset(records):
    f.ExerciseFactory(slug="other")
    selected = Exercise.objects.filter(slug="tsentr-2019")
    assert [r[0] for r in TABLES["exercises"].iter_rows(selected)] == ["tsentr-2019"]


def test_iter_rows_gives_each_row_once_for_a_filter_across_links(records):
    selected = Exercise.objects.filter(participations__actor__kind="state")
    assert [r[0] for r in TABLES["exercises"].iter_rows(selected)] == ["tsentr-2019"]


def test_iter_rows_takes_a_sliced_queryset(db):
    for n in range(3):
        f.ActorFactory(slug=f"a-{n}")
    selected = Actor.objects.order_by("-pk")[:2]
    assert [r[0] for r in TABLES["actors"].iter_rows(selected, chunk_size=1)] == ["a-1", "a-2"]


def test_iter_rows_refuses_another_models_queryset(db):
    with pytest.raises(TypeError):
        list(TABLES["exercises"].iter_rows(Actor.objects.all()))


def test_statement_links_name_one_target_each(records):
    table = TABLES["statement_links"]
    found = [dict(zip(table.header(), r, strict=True)) for r in table.iter_rows()]
    assert [(r["about_type"], r["about"], r[r["about_type"]]) for r in found] == [
        ("exercise", "tsentr-2019", "tsentr-2019"),
        ("arms_deal", "su-35", "su-35"),
        ("actor", "china", "china"),
    ]


# --- The snapshot package -----------------------------------------------------------


def test_export_writes_every_file_with_a_header_and_nothing_above_it(records, tmp_path):
    result = export(tmp_path)
    for name, table in TABLES.items():
        with open(result.path / f"{name}.csv", encoding="utf-8", newline="") as stream:
            assert next(csv.reader(stream)) == table.header()


def test_row_counts_equal_the_database(records, tmp_path):
    result = export(tmp_path)
    expected = {name: t.model.objects.count() for name, t in TABLES.items() if t.expand is None}
    expected["statement_links"] = sum(
        getattr(s, name).count()
        for s in Statement.objects.all()
        for name in ("about_agreements", "about_exercises", "about_arms_deals", "about_actors")
    )
    files = {name: len(read_csv(result.path / f"{name}.csv")) for name in TABLES}
    assert files == expected == result.row_counts


def test_record_files_read_back_with_csv_equal_the_database(records, tmp_path):
    result = export(tmp_path)
    for table in record_tables():
        read = read_csv(result.path / f"{table.name}.csv")
        fields = {f.name: f for f in table.model._meta.concrete_fields}
        by_slug = {obj.slug: obj for obj in table.model.objects.all()}
        assert [r["slug"] for r in read] == sorted(by_slug, key=lambda s: by_slug[s].pk)
        for row in read:
            obj = by_slug[row["slug"]]
            for name, cell in row.items():
                field = fields.get(name)
                if field is None or field.is_relation or name.endswith("_precision"):
                    continue
                value = field.value_from_object(obj)
                expected = "" if value is None else format_cell(value, "")
                assert unneutralise(cell) == str(expected), (table.name, name)


def test_record_files_read_back_with_frictionless_have_typed_values(records, tmp_path):
    result = export(tmp_path)
    package = Package(str(result.path / "datapackage.json"))
    deal = package.get_resource("arms_deals").read_rows()[0]
    assert (deal["quantity"], deal["value_amount"], deal["value_is_estimate"]) == (
        24,
        Decimal("2000000000.00"),
        True,
    )
    assert deal["updated_at"] == ArmsDeal.objects.get().updated_at


def test_link_files_equal_the_database_links(records, tmp_path):
    result = export(tmp_path)
    read = {
        (r["exercise"], r["actor"], r["role"])
        for r in read_csv(result.path / "exercise_participants.csv")
    }
    stored = set(ExerciseParticipant.objects.values_list("exercise__slug", "actor__slug", "role"))
    assert read == stored


def test_citations_file_equals_the_database_citations(records, tmp_path):
    result = export(tmp_path)
    read = {
        (r["record_type"], r["record"], r["source"], r["footnote"], r["locator"])
        for r in read_csv(result.path / "citations.csv")
    }
    assert read == {
        ("agreement", "treaty-2001", "kashin-2022", "4", ""),
        ("exercise", "tsentr-2019", "kashin-2022", "7", "p. 13"),
        ("arms_deal", "su-35", "kashin-2022", "5", ""),
        ("statement", "shoigu-2019", "kashin-2022", "9", ""),
    }


def test_frictionless_validates_the_package(records, tmp_path):
    result = export(tmp_path)
    report = validate(str(result.path / "datapackage.json"))
    assert report.flatten(["type", "note"]) == []


def test_frictionless_validates_the_excel_package(records, tmp_path):
    result = export(tmp_path, excel=True)
    report = validate(str(result.path / "datapackage.json"))
    assert report.flatten(["type", "note"]) == []


def test_excel_option_starts_each_file_with_a_byte_order_mark(records, tmp_path):
    result = export(tmp_path, excel=True)
    assert (result.path / "actors.csv").read_bytes()[:3] == b"\xef\xbb\xbf"


def test_files_have_no_byte_order_mark_by_default(records, tmp_path):
    result = export(tmp_path)
    assert (result.path / "actors.csv").read_bytes()[:4] == b"slug"


def test_every_foreign_key_between_files_resolves(records, tmp_path):
    result = export(tmp_path)
    checked = 0
    for table in TABLES.values():
        for fk in table.foreign_keys:
            target = fk.resource or table.name
            known = {r["slug"] for r in read_csv(result.path / f"{target}.csv")}
            for row in read_csv(result.path / f"{table.name}.csv"):
                value = row[fk.fields[0]]
                if value:
                    assert value in known, (table.name, fk.fields, value)
                    checked += 1
    # Links, parents, suppliers and recipients, and each citation's record and source.
    assert checked == 28


def test_the_schema_declares_foreign_keys_frictionless_enforces(records, tmp_path):
    result = export(tmp_path)
    path = result.path / "exercise_participants.csv"
    path.write_text(path.read_text().replace("pla,", "ghost,"), encoding="utf-8")
    report = validate(str(result.path / "datapackage.json"))
    assert report.flatten(["type"]) == [["foreign-key"]]


def test_formula_text_is_neutralised_in_every_file(records, tmp_path):
    result = export(tmp_path)
    actor = next(r for r in read_csv(result.path / "actors.csv") if r["slug"] == "pla")
    link = next(
        r for r in read_csv(result.path / "exercise_participants.csv") if r["actor"] == "pla"
    )
    statement = read_csv(result.path / "statements.csv")[0]
    exercise = read_csv(result.path / "exercises.csv")[0]
    assert [actor["name"], link["actor_name"], statement["text"], exercise["summary"]] == [
        "'=HYPERLINK(1)",
        "'=HYPERLINK(1)",
        "'@allies",
        "'-3 brigades",
    ]


def test_datapackage_describes_every_column(records, tmp_path):
    result = export(tmp_path)
    descriptor = json.loads((result.path / "datapackage.json").read_text())
    resources = {r["name"]: r for r in descriptor["resources"]}
    exercises = resources["exercises"]["schema"]
    assert [f["name"] for f in exercises["fields"]] == TABLES["exercises"].header()
    assert all(f["description"] for r in resources.values() for f in r["schema"]["fields"])


def test_latest_points_at_the_new_snapshot(records, tmp_path):
    export(tmp_path, 0)
    result = export(tmp_path, 1)
    assert os.readlink(tmp_path / "latest") == result.path.name == "2026-01-01T040000Z"


def test_two_runs_in_one_second_get_distinct_folders(records, tmp_path):
    export(tmp_path, 0)
    second = export(tmp_path, 0)
    assert second.path.name == "2026-01-01T030000Z-2"


def test_a_failed_run_leaves_the_previous_snapshot_as_it_was(records, tmp_path, monkeypatch):
    first = export(tmp_path, 0)
    before = tree(tmp_path)
    real_write_table = snapshot.write_table

    def fail_at_citations(table, path, **kwargs):
        if table.name == "citations":
            raise RuntimeError("disk full")
        return real_write_table(table, path, **kwargs)

    monkeypatch.setattr(snapshot, "write_table", fail_at_citations)
    services.record_save(records["exercise"])  # something to export differently
    with pytest.raises(RuntimeError):
        export(tmp_path, 1)
    assert (tree(tmp_path), os.readlink(tmp_path / "latest")) == (before, first.path.name)


def test_leftovers_of_a_killed_run_are_removed_by_the_next(records, tmp_path):
    export(tmp_path, 0)
    (tmp_path / ".tmp-killed").mkdir()
    (tmp_path / ".tmp-killed" / "actors.csv").write_text("slug\r\n")
    export(tmp_path, 1)
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".export")) == [
        "2026-01-01T030000Z",
        "2026-01-01T040000Z",
        "latest",
    ]


def test_a_concurrent_run_is_refused(records, tmp_path):
    with snapshot._exclusive(tmp_path), pytest.raises(snapshot.ExportError):
        export(tmp_path)


def test_keep_prunes_the_oldest_snapshots(records, tmp_path):
    for hours in range(4):
        export(tmp_path, hours, keep=2)
    assert [p.name for p in snapshot.snapshots(tmp_path)] == [
        "2026-01-01T050000Z",
        "2026-01-01T060000Z",
    ]


def test_keep_orders_same_second_runs_by_number(records, tmp_path):
    for _ in range(11):
        export(tmp_path, 0, keep=1)
    assert [p.name for p in snapshot.snapshots(tmp_path)] == ["2026-01-01T030000Z-11"]


# --- CHANGES.csv --------------------------------------------------------------------


def test_first_snapshot_lists_every_record_as_added(records, tmp_path):
    result = export(tmp_path)
    changes = read_csv(result.path / "CHANGES.csv")
    assert {r["change"] for r in changes} == {"added"}
    assert len(changes) == sum(rt.model.objects.count() for rt in RECORD_TYPES)


def test_changes_list_an_edit_an_addition_and_a_deletion(records, tmp_path):
    export(tmp_path, 0)
    exercise = records["exercise"]
    exercise.summary = "Three brigades"
    services.record_save(exercise)
    services.record_delete(records["agreement"])
    f.ActorFactory(slug="kazakhstan", name="Kazakhstan")
    result = export(tmp_path, 1)
    deleted_at = DeletedRecord.objects.get(slug="treaty-2001").deleted_at
    assert read_csv(result.path / "CHANGES.csv") == [
        {
            "change": "added",
            "file": "actors",
            "slug": "kazakhstan",
            "columns": "",
            "deleted_at": "",
        },
        {
            "change": "deleted",
            "file": "agreements",
            "slug": "treaty-2001",
            "columns": "",
            "deleted_at": format_cell(deleted_at),
        },
        {
            "change": "changed",
            "file": "exercises",
            "slug": "tsentr-2019",
            "columns": "summary|updated_at",
            "deleted_at": "",
        },
    ]


def test_a_changed_link_shows_as_a_change_of_the_record(records, tmp_path):
    export(tmp_path, 0)
    services.record_save(records["exercise"], links=[{"actor": records["china"]}])
    result = export(tmp_path, 1)
    assert read_csv(result.path / "CHANGES.csv") == [
        {
            "change": "changed",
            "file": "exercises",
            "slug": "tsentr-2019",
            "columns": "participants|updated_at",
            "deleted_at": "",
        }
    ]


def test_nothing_changed_gives_an_empty_change_log(records, tmp_path):
    export(tmp_path, 0)
    result = export(tmp_path, 1)
    assert read_csv(result.path / "CHANGES.csv") == []

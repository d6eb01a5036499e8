"""Round trips: the export imported back, as it is and with one cell changed."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from reversion.models import Revision, Version

from tracker import imports
from tracker.models import Change, Exercise, Import


def export(tmp_path: Path) -> Path:
    """The seed exported with export_csv; the folder of the snapshot."""
    call_command("export_csv", str(tmp_path / "out"), "--quiet")
    return (tmp_path / "out" / "latest").resolve()


def edit_cell(text: str, slug: str, column: str, value: str) -> str:
    """``text`` (a CSV file) with one cell changed, written back in the export's dialect."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    for row in rows[1:]:
        if row[header.index("slug")] == slug:
            row[header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


@pytest.mark.usefixtures("seeded")
def test_an_unchanged_export_imports_as_all_unchanged(tmp_path):
    folder = export(tmp_path)
    archive = shutil.make_archive(str(tmp_path / "package"), "zip", folder)
    plan = imports.preview("package.zip", Path(archive).read_bytes())
    assert [r.reasons for r in plan.refused] == []
    assert plan.counts()["change"] == 0
    assert plan.counts()["create"] == 0
    assert plan.counts()["unchanged"] == len(plan.rows)


@pytest.mark.usefixtures("seeded")
def test_one_changed_cell_changes_one_record_with_one_history_entry(tmp_path, editor):
    folder = export(tmp_path)
    text = (folder / "exercises.csv").read_text(encoding="utf-8")
    changed = edit_cell(text, "vostok-2018", "location", "Tsugol training ground")
    revisions, changes = Revision.objects.count(), Change.objects.count()

    plan, log = imports.apply_file("exercises.csv", changed.encode(), user=editor)

    assert [(r.proposal.slug, r.changes) for r in plan.rows if r.action != "unchanged"] == [
        ("vostok-2018", ["location: Siberia and the Russian Far East → Tsugol training ground"])
    ]
    assert Exercise.objects.get(slug="vostok-2018").location == "Tsugol training ground"
    assert Revision.objects.count() == revisions + 1
    revision = Revision.objects.latest("pk")
    exercise = Exercise.objects.get(slug="vostok-2018")
    assert Version.objects.get_for_object(exercise).first().revision == revision
    assert revision.comment == (
        f"Imported exercises.csv: 0 created, 1 changed, {len(plan.rows) - 1} unchanged."
    )
    assert Change.objects.count() == changes + 1
    assert (log.user, log.file_name, log.created, log.changed, log.revision) == (
        editor,
        "exercises.csv",
        0,
        1,
        revision,
    )
    assert Import.objects.count() == 1

"""Exports survive any stored text: limits at input, a tolerant reader, exact round trips."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from tests import factories as f
from tracker import models, services
from tracker.codes import LONG_TEXT
from tracker.exports import snapshot
from tracker.exports.cells import STRING, format_cell, unneutralise

pytestmark = pytest.mark.django_db


def test_an_over_long_summary_is_refused_by_the_write_path():
    exercise = f.ExerciseFactory.build(summary="x" * (LONG_TEXT + 1))
    with pytest.raises(ValidationError) as caught:
        services.record_save(exercise)
    assert caught.value.message_dict["summary"] == [
        "Ensure this value has at most 20000 characters (it has 20001)."
    ]


def test_a_million_character_text_is_refused_by_the_api_with_400(editor_api):
    f.SourceFactory(slug="src")
    response = editor_api.post(
        "/api/v1/statements/",
        {"slug": "long", "kind": "paraphrase", "text": "x" * 1_000_000, "citations": []},
        format="json",
    )
    assert (response.status_code, response.json()["text"]) == (
        400,
        [f"Ensure this field has no more than {LONG_TEXT} characters."],
    )


def test_the_schema_states_the_text_limit(client):
    schema = client.get("/api/v1/schema/?format=json").json()
    properties = schema["components"]["schemas"]["Exercise"]["properties"]
    assert properties["summary"]["maxLength"] == LONG_TEXT


def test_an_alias_containing_the_delimiter_is_refused():
    actor = f.ActorFactory.build(aliases=["Russia|RF"])
    with pytest.raises(ValidationError) as caught:
        actor.full_clean()
    assert caught.value.message_dict["aliases"] == [
        "A name may not contain “|”: give each name as its own list item."
    ]


@pytest.mark.parametrize("text", ["'=1+1", "'", "''", "=SUM(A1)", "-5 dead", "plain", "'quoted'"])
def test_neutralisation_round_trips_exactly(text):
    assert unneutralise(format_cell(text, STRING)) == text


def test_a_text_starting_with_the_prefix_gets_one_more():
    assert format_cell("'=1+1", STRING) == "''=1+1"


def test_two_exports_after_a_cell_longer_than_the_csv_default_both_succeed(tmp_path):
    exercise = f.ExerciseFactory()
    # Stored before the input limit existed (the write path would refuse it now).
    models.Exercise.objects.filter(pk=exercise.pk).update(summary="y" * 131_073)
    call_command("export_csv", str(tmp_path), "--quiet")
    call_command("export_csv", str(tmp_path), "--quiet")
    snapshots = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert len([s for s in snapshots if s != snapshot.LATEST]) == 2


def test_a_failed_export_is_one_line_and_leaves_the_previous_snapshot(tmp_path, monkeypatch):
    f.ExerciseFactory()
    call_command("export_csv", str(tmp_path), "--quiet")
    before = os.readlink(tmp_path / snapshot.LATEST)

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(snapshot, "write_table", broken)
    with pytest.raises(CommandError) as caught:
        call_command("export_csv", str(tmp_path), "--quiet")
    assert str(caught.value) == (
        "The export failed (RuntimeError: disk on fire); the previous snapshot is unchanged."
    )
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(snapshot.TEMP_PREFIX)]
    assert (os.readlink(tmp_path / snapshot.LATEST), leftovers) == (before, [])

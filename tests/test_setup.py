"""The one-command setup: migrate, seed an empty database once, print an editor login."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import override_settings

from tests.factories import ExerciseFactory
from tracker.management.commands import setup_tracker
from tracker.models import Exercise

pytestmark = pytest.mark.django_db


@pytest.fixture
def login_file(tmp_path, monkeypatch):
    path = tmp_path / "login"
    monkeypatch.setattr(setup_tracker, "login_file", lambda: path)
    return path


def run_setup() -> str:
    out = io.StringIO()
    call_command("setup_tracker", stdout=out)
    return out.getvalue()


def test_setup_creates_an_editor_and_prints_a_working_login(login_file):
    output = run_setup()
    username, password = login_file.read_text().split()
    assert f"Editor login: username {username}  password {password}" in output
    editor = User.objects.get(username=username)
    assert editor.is_staff and not editor.is_superuser
    assert editor.check_password(password)
    assert editor.has_perm("tracker.change_exercise")


def test_setup_run_twice_keeps_the_same_login(login_file):
    first = run_setup()
    second = run_setup()
    assert first.splitlines()[-1] == second.splitlines()[-1]
    assert User.objects.count() == 1


def test_setup_does_not_print_a_password_that_was_changed(login_file):
    run_setup()
    _, old_password = login_file.read_text().split()
    editor = User.objects.get(username="editor")
    editor.set_password("changed-by-the-editor-1")
    editor.save()
    output = run_setup()
    assert old_password not in output
    assert output.splitlines()[-1] == (
        "Editor “editor” exists; set a new password with `python manage.py changepassword editor`."
    )


def test_setup_loads_fixtures_into_an_empty_database(login_file, tmp_path):
    fixture = tmp_path / "seed.json"
    fixture.write_text(
        '[{"model": "tracker.exercise", "fields": {"slug": "vostok-2018", "name": "Vostok-2018",'
        ' "domain": "command_staff", "created_at": "2020-07-01T00:00:00Z",'
        ' "updated_at": "2020-07-01T00:00:00Z"}}]'
    )
    with override_settings(FIXTURE_DIRS=[tmp_path]):
        output = run_setup()
    assert list(Exercise.objects.values_list("slug", flat=True)) == ["vostok-2018"]
    assert "Loaded fixtures seed" in output


def test_setup_never_reloads_fixtures_over_existing_records(login_file, tmp_path):
    ExerciseFactory(slug="vostok-2018", name="Edited by an editor")
    (tmp_path / "seed.json").write_text(
        '[{"model": "tracker.exercise", "fields": {"slug": "vostok-2018", "name": "Vostok-2018",'
        ' "domain": "command_staff", "created_at": "2020-07-01T00:00:00Z",'
        ' "updated_at": "2020-07-01T00:00:00Z"}}]'
    )
    with override_settings(FIXTURE_DIRS=[tmp_path]):
        output = run_setup()
    assert Exercise.objects.get(slug="vostok-2018").name == "Edited by an editor"
    assert "fixtures not reloaded" in output


def test_create_editor_refuses_a_weak_password():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="too short"):
        call_command("create_editor", "analyst", "--password", "abc")
    assert not User.objects.filter(username="analyst").exists()

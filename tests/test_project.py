"""Project-level guarantees: migrations in sync, production settings pass the deploy checks,
and a missing test prerequisite fails the suite in CI."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.ci import in_ci, missing

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_migrations_match_the_models():
    out = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_production_settings_pass_the_deploy_checks():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "sinorus.settings",
        "DEBUG": "false",
        "SECRET_KEY": "x7!Qm2#vL9pZr4@Wt8$Yk1^Hs6&Jd3*Fg5(Nb0)Cq-Ue_Ao+Ri=Tl;Pw:Mz",
        "ALLOWED_HOSTS": "tracker.example.org",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")},
        "DJANGO_SETTINGS_MODULE": "sinorus.settings",
        "DEBUG": "false",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_missing_prerequisite_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception) as failure:
        missing("seed article not found at /nowhere/article.txt")

    assert str(failure.value) == "seed article not found at /nowhere/article.txt (required in CI)"


def test_a_missing_prerequisite_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception) as skipped:
        missing("seed article not found at /nowhere/article.txt")

    assert str(skipped.value) == "seed article not found at /nowhere/article.txt"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), ("yes", True), ("", False), ("0", False), ("False", False)],
)
def test_ci_is_any_value_but_empty_zero_or_false(monkeypatch, value, expected):
    monkeypatch.setenv("CI", value)

    assert in_ci() is expected


def test_the_browsers_icon_request_leads_to_the_trackers_icon(client):
    response = client.get("/favicon.ico")

    assert (response.status_code, response["Location"]) == (302, "/static/explorer/favicon.svg")

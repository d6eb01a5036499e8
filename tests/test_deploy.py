"""The systemd units in deploy/ run the nightly export exactly as docs/exports.md documents it."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def unit(name: str) -> configparser.ConfigParser:
    """A systemd unit file as sections of settings (names kept as written)."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((ROOT / "deploy" / name).read_text())
    return parser


def test_the_timer_starts_the_export_every_night_at_0230_catching_up_missed_nights():
    timer = unit("tracker-export.timer")

    assert dict(timer["Timer"]) == {"OnCalendar": "*-*-* 02:30:00", "Persistent": "true"}
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_the_service_runs_the_command_of_the_documented_cron_line():
    service = unit("tracker-export.service")["Service"]
    folder = service["WorkingDirectory"]
    variable, value = service["Environment"].split("=", 1)
    command = service["ExecStart"].replace(f"${{{variable}}}", value)
    cron = next(
        line.strip()
        for line in (ROOT / "docs" / "exports.md").read_text().splitlines()
        if line.strip().startswith("30 2 * * *")
    )

    assert service["Type"] == "oneshot"
    assert cron == f"30 2 * * *  cd {folder} && {command.replace(folder + '/', '', 1)}"

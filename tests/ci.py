"""What CI requires of the suite: a missing prerequisite fails there instead of skipping."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """Whether ``CI`` is set to anything but empty, ``0`` or ``false`` (any case)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false")


def missing(message: str) -> NoReturn:
    """Skip the test for want of ``message``'s prerequisite; in CI, fail it instead.

    CI installs everything the suite needs, so there a skip would hide a test
    that never ran.
    """
    if in_ci():
        pytest.fail(f"{message} (required in CI)", pytrace=False)
    pytest.skip(message)

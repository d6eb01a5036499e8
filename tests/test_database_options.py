"""The options the tracker's database connections start with (sinorus/settings.py)."""

from __future__ import annotations

import pytest
from django.db import connection

from sinorus import settings as project_settings

POSTGRESQL = "django.db.backends.postgresql"


@pytest.fixture(autouse=True)
def jit_setting_default(monkeypatch):
    """DATABASE_JIT as it is with no environment saying otherwise."""
    monkeypatch.setattr(project_settings, "DATABASE_JIT", False)


def test_postgresql_connections_start_with_jit_off_after_options_already_given():
    database = {"ENGINE": POSTGRESQL, "OPTIONS": {"options": "-c statement_timeout=5000"}}

    project_settings.without_jit(database)

    assert database["OPTIONS"]["options"] == "-c statement_timeout=5000 -c jit=off"


def test_postgresql_connections_without_options_are_given_jit_off():
    database = {"ENGINE": POSTGRESQL, "NAME": "tracker"}

    project_settings.without_jit(database)

    assert database["OPTIONS"] == {"options": "-c jit=off"}


def test_a_jit_setting_of_the_connections_own_is_kept():
    database = {"ENGINE": POSTGRESQL, "OPTIONS": {"options": "-c jit=on"}}

    project_settings.without_jit(database)

    assert database["OPTIONS"] == {"options": "-c jit=on"}


def test_a_jit_setting_of_the_connections_own_is_kept_whatever_its_case():
    database = {"ENGINE": POSTGRESQL, "OPTIONS": {"options": "-c JIT=on -c jit_above_cost=1"}}

    project_settings.without_jit(database)

    assert database["OPTIONS"] == {"options": "-c JIT=on -c jit_above_cost=1"}


def test_postgis_connections_start_with_jit_off():
    database = {"ENGINE": "django.contrib.gis.db.backends.postgis"}

    project_settings.without_jit(database)

    assert database["OPTIONS"] == {"options": "-c jit=off"}


def test_sqlite_connections_are_given_no_jit_option():
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"}

    project_settings.without_jit(database)

    assert database == {"ENGINE": "django.db.backends.sqlite3", "NAME": "x.sqlite3"}


def test_database_jit_true_leaves_the_connection_options_as_they_are(monkeypatch):
    monkeypatch.setattr(project_settings, "DATABASE_JIT", True)
    database = {"ENGINE": POSTGRESQL, "OPTIONS": {"connect_timeout": 2}}

    project_settings.without_jit(database)

    assert database["OPTIONS"] == {"connect_timeout": 2}


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="JIT is PostgreSQL's")
def test_the_tracker_connection_has_jit_off():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)

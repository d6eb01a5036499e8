"""backup_database / restore_database: a restored database is the backed-up one, row for row.

Each engine's test loads the seed, edits it (history, a deletion), backs the test
database up, restores the file into a fresh database in another process (as an
operator would), and compares a checksum of every table (and, on PostgreSQL, every
sequence) read through the engine's own driver. The checksums are printed
(``pytest -s``). The tests commit (a backup is read by another process), so they
are transactional: the database is emptied afterwards and its permissions and
content types re-created, as the transactional tests that follow expect.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from tracker import models
from tracker.services import record_delete, record_save

ROOT = Path(__file__).resolve().parent.parent
ON_POSTGRESQL = connection.vendor == "postgresql"
EDITED = "peace-mission-2005"
DELETED = "article-sino-soviet-rivalry-and-normalisation"

pytestmark = pytest.mark.django_db(transaction=True)


def digest(rows: list[tuple]) -> tuple[int, str]:
    """Row count and SHA-256 of ``rows`` in a fixed order."""
    lines = sorted(repr(row) for row in rows)
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()


def checksums(db, vendor: str) -> dict[str, tuple[int, str]]:
    """:func:`digest` of every table's rows, by table name."""
    if vendor == "postgresql":
        names = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    else:
        names = "SELECT name FROM sqlite_master WHERE type = 'table'"
    cursor = db.cursor()
    cursor.execute(names)
    result = {}
    for (table,) in sorted(cursor.fetchall()):
        cursor.execute(f'SELECT * FROM "{table}"')
        result[table] = digest(cursor.fetchall())
    if vendor == "postgresql":
        # Sequences too: a restored counter must not hand out a used id again.
        cursor.execute(
            "SELECT sequencename, last_value FROM pg_sequences WHERE schemaname = 'public'"
        )
        result["(sequences)"] = digest(cursor.fetchall())
    return result


def show(label: str, sums: dict[str, tuple[int, str]]) -> None:
    print(f"\n{label}:")
    for table, (count, digest) in sums.items():
        print(f"  {table:<40} {count:>6} rows  {digest[:16]}")


@pytest.fixture
def edited_seed() -> models.Exercise:
    """The seed as setup_tracker loads it, then two edits of an exercise and a deletion."""
    call_command("setup_tracker", no_editor=True, verbosity=0)
    exercise = models.Exercise.objects.get(slug=EDITED)
    exercise.region = "Volga"
    record_save(exercise)
    exercise.location = "Shandong Peninsula"
    record_save(exercise)
    # A deletion leaves a gap in the primary keys: restored records must keep theirs.
    record_delete(models.Statement.objects.get(slug=DELETED))
    return exercise


def restore_in_new_process(backup: Path, database_url: str) -> str:
    """Run ``manage.py restore_database`` against ``database_url``; returns its output."""
    result = subprocess.run(
        [sys.executable, "manage.py", "restore_database", str(backup)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def history_of_edited(db, vendor: str, exercise: models.Exercise) -> list[tuple[str, str, str]]:
    """The versions ``db`` attaches to the edited exercise's primary key, oldest first: the
    slug, region and location each one stores (another record's slug if misattached)."""
    mark = "%s" if vendor == "postgresql" else "?"
    cursor = db.cursor()
    cursor.execute(
        "SELECT v.serialized_data FROM reversion_version v "
        "JOIN django_content_type t ON t.id = v.content_type_id "
        f"WHERE t.model = 'exercise' AND v.object_id = {mark} ORDER BY v.id",
        [str(exercise.pk)],
    )
    stored = [json.loads(data)[0]["fields"] for (data,) in cursor.fetchall()]
    return [(fields["slug"], fields["region"], fields["location"]) for fields in stored]


def updated_at_of_edited(db) -> str:
    cursor = db.cursor()
    cursor.execute(f"SELECT updated_at FROM tracker_exercise WHERE slug = '{EDITED}'")
    return str(cursor.fetchone()[0])


@pytest.mark.skipif(ON_POSTGRESQL, reason="the SQLite backup; its PostgreSQL twin runs there")
def test_sqlite_backup_restores_every_table_exactly(edited_seed, tmp_path):
    backup, fresh = tmp_path / "tracker.backup", tmp_path / "restored.sqlite3"
    call_command("backup_database", str(backup), stdout=io.StringIO())
    output = restore_in_new_process(backup, f"sqlite:///{fresh}")

    name = connection.settings_dict["NAME"]
    original = sqlite3.connect(name, uri=name.startswith("file:"))
    restored = sqlite3.connect(fresh)
    before, after = checksums(original, "sqlite"), checksums(restored, "sqlite")
    show("Test database", before)
    show("Restored from the backup", after)
    assert output.startswith(f"Restored {backup} into the sqlite database")
    assert after == before
    assert updated_at_of_edited(restored) == str(edited_seed.updated_at.replace(tzinfo=None))
    history = history_of_edited(restored, "sqlite", edited_seed)
    assert history == history_of_edited(original, "sqlite", edited_seed)
    assert history[-2:] == [(EDITED, "Volga", ""), (EDITED, "Volga", "Shandong Peninsula")]
    assert {slug for slug, _, _ in history} == {EDITED}


@pytest.fixture
def fresh_postgresql_database():
    """An empty database beside the test database; yields its URL, drops it afterwards."""
    import psycopg2

    settings = connection.settings_dict
    name = f"{settings['NAME']}_restored"
    params = {
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
        "user": settings["USER"] or None,
        "password": settings["PASSWORD"] or None,
    }
    admin = psycopg2.connect(dbname=settings["NAME"], **params)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    login = quote(settings["USER"] or "", safe="")
    if settings["PASSWORD"]:
        login += ":" + quote(settings["PASSWORD"], safe="")
    host = quote(settings["HOST"] or "", safe="")
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    try:
        url = f"postgres://{login}@{host}{port}/{name}"
        yield url, lambda: psycopg2.connect(dbname=name, **params)
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="pg_dump/pg_restore; its SQLite twin runs there")
def test_postgresql_backup_restores_every_table_exactly(
    edited_seed, fresh_postgresql_database, tmp_path
):
    import psycopg2

    url, connect_restored = fresh_postgresql_database
    backup = tmp_path / "tracker.dump"
    call_command("backup_database", str(backup), stdout=io.StringIO())
    output = restore_in_new_process(backup, url)

    settings = connection.settings_dict
    original = psycopg2.connect(
        dbname=settings["NAME"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
    )
    restored = connect_restored()
    try:
        before, after = checksums(original, "postgresql"), checksums(restored, "postgresql")
        show("Test database", before)
        show("Restored from the backup", after)
        assert output.startswith(f"Restored {backup} into the postgresql database")
        assert after == before
        assert updated_at_of_edited(restored) == str(edited_seed.updated_at)
        history = history_of_edited(restored, "postgresql", edited_seed)
        assert history == history_of_edited(original, "postgresql", edited_seed)
        assert history[-2:] == [(EDITED, "Volga", ""), (EDITED, "Volga", "Shandong Peninsula")]
        assert {slug for slug, _, _ in history} == {EDITED}
    finally:
        original.close()
        restored.close()


def test_a_restore_into_a_database_holding_tables_is_refused(tmp_path):
    backup = tmp_path / "tracker.backup"
    call_command("backup_database", str(backup), stdout=io.StringIO())

    with pytest.raises(CommandError) as refused:
        call_command("restore_database", str(backup))

    assert str(refused.value) == (
        "The database already holds tables. Restore into an empty database, "
        "or pass --replace to overwrite it with the backup."
    )


def test_a_backup_into_a_missing_folder_is_refused(tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("backup_database", str(tmp_path / "absent" / "tracker.backup"))

    assert str(refused.value) == f"No folder {tmp_path / 'absent'} to write the backup in."

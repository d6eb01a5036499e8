"""Whole-database backups and restores, exact to the byte of every row.

PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore``. SQLite: the engine's
online backup (``sqlite3.Connection.backup``), a page-by-page copy that is
consistent even while the tracker is writing. Both keep every table as stored:
primary keys (so django-reversion's history, which names records by primary key,
stays attached to the right ones), timestamps to the microsecond, sequences and
the migration state. ``dumpdata``/``loaddata`` do not (see docs/deploy.md).

A backup is written beside its final name and renamed into place only once it is
complete and readable, so a failed run never leaves a half-written file under
that name. A restore goes into an empty database unless ``replace`` is given.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(Exception):
    """A backup or restore could not be done; the message says why."""


#: Connection settings (``DATABASES[...]["OPTIONS"]``) passed to pg_dump and
#: pg_restore, as the libpq environment variables they read.
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


def backup_database(path: str | Path, using: str = "default") -> Path:
    """Write a backup of the database ``using`` to ``path``; returns the file written."""
    target = Path(path).resolve()
    if not target.parent.is_dir():
        raise BackupError(f"No folder {target.parent} to write the backup in.")
    partial = target.with_name(f".{target.name}.partial")
    vendor = connections[using].vendor
    try:
        if vendor == "postgresql":
            _pg_run("pg_dump", ["--format=custom", f"--file={partial}"], using)
            # Reading the archive's table of contents proves it is complete.
            _pg_run("pg_restore", ["--list", str(partial)], using=None)
        elif vendor == "sqlite":
            _sqlite_copy(_sqlite_name(using), str(partial))
            _sqlite_check(partial)
        else:
            raise BackupError(f"No backup method for the {vendor} engine.")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def restore_database(path: str | Path, using: str = "default", replace: bool = False) -> None:
    """Restore the backup at ``path`` into the database ``using``.

    The database must hold no tables unless ``replace`` is true; then every
    table the backup holds is replaced by its copy (SQLite: the whole file).
    Stop the server first: a restore does not wait for requests in flight.
    """
    source = Path(path)
    if not source.is_file():
        raise BackupError(f"No backup file {source}.")
    if not replace and _table_count(using):
        raise BackupError(
            "The database already holds tables. Restore into an empty database, "
            "or pass --replace to overwrite it with the backup."
        )
    vendor = connections[using].vendor
    # Nothing of the tracker's may keep the old database open.
    connections[using].close()
    if vendor == "postgresql":
        clean = ["--clean", "--if-exists"] if replace else []
        # Owners and grants are the old server's; the restoring user owns the copy.
        options = ["--no-owner", "--no-acl", "--single-transaction", "--exit-on-error"]
        _pg_run("pg_restore", [*clean, *options, str(source)], using)
    elif vendor == "sqlite":
        _sqlite_check(source)
        _sqlite_copy(str(source), _sqlite_name(using))
    else:
        raise BackupError(f"No restore method for the {vendor} engine.")


def _table_count(using: str) -> int:
    connection = connections[using]
    with connection.cursor():
        return len(connection.introspection.table_names())


def _pg_run(program: str, arguments: list[str], using: str | None) -> None:
    """Run a PostgreSQL client program, connected to the database ``using`` if given."""
    executable = shutil.which(program)
    if executable is None:
        raise BackupError(f"{program} not found: install the PostgreSQL client programs.")
    env = dict(os.environ)
    command = [executable, *arguments]
    if using is not None:
        settings = connections[using].settings_dict
        command.append(f"--dbname={settings['NAME']}")
        # The password goes in the environment, never on a command line `ps` shows.
        for key, variable in (
            ("HOST", "PGHOST"),
            ("PORT", "PGPORT"),
            ("USER", "PGUSER"),
            ("PASSWORD", "PGPASSWORD"),
        ):
            if settings.get(key):
                env[variable] = str(settings[key])
        for option, variable in LIBPQ_OPTIONS.items():
            if option in settings.get("OPTIONS", {}):
                env[variable] = str(settings["OPTIONS"][option])
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{program} failed: {result.stderr.strip()}")


def _sqlite_name(using: str) -> str:
    return str(connections[using].settings_dict["NAME"])


def _sqlite_open(name: str) -> sqlite3.Connection:
    # Test databases are shared in-memory ones, named by URI.
    return sqlite3.connect(name, uri=name.startswith("file:"))


def _sqlite_copy(source: str, target: str) -> None:
    """Copy one SQLite database into another with the online backup API."""
    with _sqlite_open(source) as src, _sqlite_open(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def _sqlite_check(path: Path) -> None:
    """Refuse a file that is not an intact SQLite database."""
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as db:
            (verdict,) = db.execute("PRAGMA integrity_check").fetchone()
        db.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not an SQLite database: {exc}") from exc
    if verdict != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {verdict}")

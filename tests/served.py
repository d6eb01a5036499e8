"""The tracker served by gunicorn, as in production, for what only real workers show.

:func:`served_tracker` migrates a database of its own (a temporary SQLite file,
or a temporary database on the PostgreSQL server ``DATABASE_URL`` names),
creates an editor and its API token, and starts gunicorn with the given number
of workers on a free loopback port, with the database cache (shared by the
workers, as in production). It is stopped and the database dropped at the end.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import dj_database_url

ROOT = Path(__file__).resolve().parent.parent
EDITOR = "served-editor"
EDITOR_PASSWORD = "quartz-lantern-meadow-47"


@dataclass
class Served:
    """A running tracker: where it listens, an editor's login and token, its access log."""

    host: str
    port: int
    token: str
    access_log: Path
    username: str = EDITOR
    password: str = EDITOR_PASSWORD

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def connection(self) -> http.client.HTTPConnection:
        """A new keep-alive connection (it stays with the worker that accepted it)."""
        return http.client.HTTPConnection(self.host, self.port, timeout=60)

    def access_lines(self) -> list[str]:
        return self.access_log.read_text().splitlines()


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@contextmanager
def _database(directory: Path) -> Iterator[str]:
    """A database URL of its own: SQLite in ``directory``, or a new PostgreSQL database."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{directory / 'served.sqlite3'}"
        return
    import psycopg2

    name = f"served_{secrets.token_hex(6)}"
    config = dj_database_url.parse(url)
    admin = psycopg2.connect(
        dbname=config["NAME"],
        user=config["USER"],
        password=config["PASSWORD"],
        host=config["HOST"],
        port=config["PORT"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(url)._replace(path=f"/{quote(name)}"))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _wait_for_port(log: Path, process: subprocess.Popen, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text())
        if found:
            return int(found.group(1))
        assert process.poll() is None, log.read_text()
        time.sleep(0.1)
    raise AssertionError(f"gunicorn did not start:\n{log.read_text()}")


def _wait_until_answering(host: str, port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=5)
            conn.request("GET", "/admin/login/")  # never throttled, unlike the API
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("gunicorn did not answer")


@contextmanager
def served_tracker(
    *, workers: int = 2, threads: int = 4, env: dict[str, str] | None = None
) -> Iterator[Served]:
    """Serve the tracker with gunicorn (see the module's docstring); ``env`` adds settings."""
    with tempfile.TemporaryDirectory() as folder, _database(Path(folder)) as database_url:
        directory = Path(folder)
        settings_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "sinorus.settings_test",
            "DATABASE_URL": database_url,
            "CACHE_URL": "",  # the database cache, as in production
            **(env or {}),
        }
        _manage(settings_env, "migrate", "--no-input", "-v0")
        _manage(
            settings_env, "create_user", EDITOR, "--role", "editor", "--password", EDITOR_PASSWORD
        )
        token = _manage(settings_env, "create_api_token", EDITOR)
        log, access_log = directory / "gunicorn.log", directory / "access.log"
        with log.open("w") as log_file:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "sinorus.wsgi:application",
                    "--bind",
                    "127.0.0.1:0",
                    "--workers",
                    str(workers),
                    "--threads",
                    str(threads),
                    "--keep-alive",
                    "60",
                    "--timeout",
                    "120",
                    "--access-logfile",
                    str(access_log),
                    # The worker's process id first: which worker answered each request.
                    "--access-logformat",
                    "%(p)s %(s)s %(m)s %(U)s",
                ],
                cwd=ROOT,
                env=settings_env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            port = _wait_for_port(log, process, 120)
            _wait_until_answering("127.0.0.1", port, 120)
            yield Served("127.0.0.1", port, token, access_log)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


class FormFields(HTMLParser):
    """The values a browser would post from the form with id ``form_id`` of a page."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id = form_id
        self.values: list[tuple[str, str]] = []
        self._inside = False
        self._select: str | None = None
        self._textarea = False

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag == "form":
            self._inside = attributes.get("id") == self.form_id
        if not self._inside:
            return
        name = attributes.get("name")
        if tag == "input" and name:
            kind = attributes.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.values.append((name, attributes.get("value") or ""))
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in attributes:
            self.values.append((self._select, attributes.get("value") or ""))
        elif tag == "textarea" and name:
            self._textarea = True
            self.values.append((name, ""))

    def handle_data(self, data: str) -> None:
        if self._textarea:
            name, text = self.values[-1]
            self.values[-1] = (name, text + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self._textarea = False
            name, text = self.values[-1]
            # A browser drops the newline that follows <textarea>.
            self.values[-1] = (name, text.removeprefix("\n"))


def form_values(page: str, form_id: str) -> list[tuple[str, str]]:
    """The name/value pairs of the form ``form_id`` in the HTML ``page``."""
    parser = FormFields(form_id)
    parser.feed(page)
    return parser.values

"""scripts/serve (the production start) and the .env scripts/run writes for development.

The serving tests start ``scripts/serve`` once, as production would run it (DEBUG
off, a generated SECRET_KEY, behind a TLS proxy), on a free port with a throwaway
SQLite database and static folder, and read it over HTTP saying
``X-Forwarded-Proto: https`` as the proxy would.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.error import HTTPError, URLError

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROXY = {"X-Forwarded-Proto": "https"}
#: A hashed static file name, as the manifest storage writes it (base.96c479cedf7a.css).
HASHED = re.compile(r"^/static/.+\.[0-9a-f]{12}\.(css|js|png)$")
WORKERS = 3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(**overrides: str) -> dict[str, str]:
    """The test process's environment turned into a production server's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG")
    }
    env.update(
        ENV_FILE="",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        BEHIND_TLS_PROXY="true",
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={**PROXY, **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except HTTPError as error:
        return error.code, dict(error.headers), error.read()


def assets(page: bytes) -> list[str]:
    """The scripts, style sheets and icons a page loads."""
    return re.findall(r'<(?:script|link)[^>]* (?:src|href)="([^"#]+)"', page.decode())


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``scripts/serve`` running; yields its base URL and gunicorn's process id."""
    folder = tmp_path_factory.mktemp("serve")
    address = f"127.0.0.1:{free_port()}"
    log = (folder / "serve.log").open("w+")
    server = subprocess.Popen(
        ["scripts/serve"],
        cwd=ROOT,
        env=production_env(
            DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
            STATIC_ROOT=str(folder / "static"),
            PORT=address,
            WEB_CONCURRENCY=str(WORKERS),
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://{address}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and server.poll() is None:
            try:
                get(base + "/admin/login/")
                break
            except (URLError, ConnectionError):
                time.sleep(0.5)
        if server.poll() is not None or time.monotonic() >= deadline:
            log.seek(0)
            pytest.fail(f"scripts/serve did not start:\n{log.read()}")
        yield base, server.pid
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
        log.close()


def test_the_login_page_and_every_file_it_loads_answer_200(served):
    base, _ = served
    status, _, page = get(base + "/admin/login/")
    files = assets(page)

    answers = {url: get(base + url)[0] for url in files}

    assert (status, len(files), set(answers.values())) == (200, 7, {200})


def test_static_files_have_hashed_names_and_are_cached_for_good(served):
    base, _ = served
    files = assets(get(base + "/admin/login/")[2])

    caching = {get(base + url)[1]["Cache-Control"] for url in files}

    assert [url for url in files if not HASHED.match(url)] == []
    assert caching == {"max-age=315360000, public, immutable"}


def test_static_files_are_served_compressed(served):
    base, _ = served
    css = next(url for url in assets(get(base + "/admin/login/")[2]) if "base." in url)

    _, headers, _ = get(base + css, **{"Accept-Encoding": "gzip"})

    assert (headers["Content-Encoding"], headers["Content-Type"]) == (
        "gzip",
        'text/css; charset="utf-8"',
    )


def test_the_api_docs_and_every_file_they_load_answer_200(served):
    base, _ = served
    status, _, page = get(base + "/api/v1/docs/")
    files = assets(page)

    answers = {url: get(base + url)[0] for url in files}

    # Swagger UI's style, its two scripts, the icon, the page style, the start-up script.
    assert (status, len(files), set(answers.values())) == (200, 6, {200})


def test_the_database_is_migrated(served):
    base, _ = served

    status, _, body = get(base + "/api/v1/actors/")

    assert (status, body[:10]) == (200, b'{"count":0')


def test_gunicorn_runs_the_workers_web_concurrency_asks_for(served):
    _, pid = served
    deadline = time.monotonic() + 30
    while len(children(pid)) != WORKERS and time.monotonic() < deadline:
        time.sleep(0.2)

    assert len(children(pid)) == WORKERS


@pytest.mark.parametrize(
    ("setting", "reported"),
    [
        ({"SECRET_KEY": None}, "Configuration error: SECRET_KEY is not set."),
        ({"DEBUG": "true"}, "(security.W018) You should not have DEBUG set to True"),
        ({"ALLOWED_HOSTS": ""}, "(security.W020) ALLOWED_HOSTS must not be empty"),
    ],
)
def test_serve_refuses_to_start_without_production_settings(setting, reported, tmp_path):
    env = production_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **setting)

    result = subprocess.run(
        ["scripts/serve"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 1
    assert reported in result.stderr
    assert result.stderr.splitlines()[-2].startswith("scripts/serve: not starting: ")
    assert list(tmp_path.iterdir()) == []  # nothing migrated, nothing served


# ---------------------------------------------------------------------------
# scripts/run's development .env
# ---------------------------------------------------------------------------


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A copy of the project's files (tracked and new, not ignored) sharing the virtualenv."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    copy = tmp_path / "checkout"
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    (copy / ".venv").symlink_to((ROOT / ".venv").resolve())
    return copy


def test_run_leaves_a_dot_env_that_lets_manage_py_commands_run_bare(checkout):
    bare = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "DEBUG")
        and key != "ENV_FILE"
    }
    server = subprocess.Popen(
        ["scripts/run"],
        cwd=checkout,
        env={**bare, "PORT": f"127.0.0.1:{free_port()}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        for line in server.stdout:
            if line.startswith("Admin: "):
                break
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)

    token = subprocess.run(
        [".venv/bin/python", "manage.py", "create_api_token", "editor"],
        cwd=checkout,
        env=bare,
        capture_output=True,
        text=True,
    )
    settings = dict(
        line.split("=", 1)
        for line in (checkout / ".env").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert (sorted(settings), settings["DEBUG"], len(settings["SECRET_KEY"])) == (
        ["DEBUG", "SECRET_KEY"],
        "true",
        67,
    )
    assert (checkout / ".env").stat().st_mode & 0o777 == 0o600
    assert (token.returncode, len(token.stdout.strip())) == (0, 40), token.stderr

"""Load and fault test: readers and editors against gunicorn on loopback, for a bounded time.

Usage (from the project root, virtualenv active, a PostgreSQL database filled by
``manage.py generate_synthetic``; the script migrates it, creates the editor
``load-editor`` and its API token, and starts and stops gunicorn itself)::

    python bench/load.py --db postgres://postgres@localhost:54342/scale_load --seconds 60

    # the same, with PostgreSQL restarted (immediate shutdown, i.e. a crash) at 20 s
    python bench/load.py --db postgres://postgres@localhost:54342/scale_load --seconds 60 \\
        --restart-at 20 --restart-command \\
        "runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D /tmp/pg-scale/data \\
         -o '-p 54342 -k /tmp/pg-scale' -m immediate -w restart"

Readers page through lists (with filters and search) and read details; editors
create statements through the API with the token (the same write path as the
admin) and then change them. Every write answered 201/200 is *acknowledged*:
after the run each one is looked up in the database, and any missing is
reported. It prints throughput, answers by status, latency percentiles, and,
with a restart, how long the application took to answer again after the
database accepted connections (recovery).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import shlex
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import psycopg2

ROOT = Path(__file__).resolve().parent.parent

READ_PATHS = [
    "/api/v1/statements/?page_size=100",
    "/api/v1/statements/?page_size=100&search=naval",
    "/api/v1/statements/?page_size=100&kind=paraphrase&ordering=-date",
    "/api/v1/statements/?page_size=50&page={page}",
    "/api/v1/exercises/?page_size=100",
    "/api/v1/arms-deals/?page_size=100&country=RU",
    "/api/v1/statements/syn-statement-{n}/",
    "/api/v1/exercises/syn-exercise-{m}/",
]


class Recorder:
    """Answers, latencies and acknowledged writes, shared by all client threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter[str] = Counter()
        self.latencies: list[float] = []
        self.acknowledged: dict[str, str] = {}  # slug -> text last acknowledged
        self.events: list[tuple[float, bool]] = []  # (time, answered without 5xx/error)

    def record(self, kind: str, status: str, seconds: float) -> None:
        with self.lock:
            self.statuses[f"{kind} {status}"] += 1
            self.latencies.append(seconds)
            ok = status[0] in "234"
            self.events.append((time.monotonic(), ok))


def request(conn_holder: list, method: str, path: str, body=None, headers=None):
    """One HTTP request on the thread's keep-alive connection; (status, payload, headers)."""
    headers = {"Accept": "application/json", **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    for attempt in range(2):
        if conn_holder[0] is None:
            conn_holder[0] = http.client.HTTPConnection(*conn_holder[1], timeout=30)
        try:
            conn_holder[0].request(method, path, body=data, headers=headers)
            response = conn_holder[0].getresponse()
            payload = response.read()
            return response.status, payload, response.headers
        except (OSError, http.client.HTTPException):
            conn_holder[0].close()
            conn_holder[0] = None
            if attempt:
                raise
    raise AssertionError("unreachable")


def reader(address, stop: threading.Event, recorder: Recorder, scale: int, seed: int) -> None:
    rng = random.Random(seed)
    holder = [None, address]
    last_page = max(1, min(50, scale // 50))  # pages of 50 that exist at this scale
    while not stop.is_set():
        path = rng.choice(READ_PATHS).format(
            page=rng.randint(1, last_page),
            n=rng.randrange(scale),
            m=rng.randrange(max(1, scale // 7)),
        )
        started = time.perf_counter()
        try:
            status, _, _ = request(holder, "GET", path)
            label = str(status)
        except (OSError, http.client.HTTPException):
            label = "connection error"
        recorder.record("read", label, time.perf_counter() - started)


def editor(
    address, stop: threading.Event, recorder: Recorder, token: str, number: int, run: str
) -> None:
    rng = random.Random(number)
    holder = [None, address]
    auth = {"Authorization": f"Token {token}"}
    sequence = 0
    while not stop.is_set():
        sequence += 1
        slug = f"load-{run}-{number}-{sequence}"
        body = {
            "slug": slug,
            "speaker": "syn-actor-1",
            "kind": "paraphrase",
            "text": f"Load test statement {sequence} by editor {number}.",
            "date": "2024-05",
            "citations": [{"source": "syn-source-1", "footnote": 1, "locator": f"p. {number}"}],
        }
        # Retry while the answer is not definite (5xx or no answer): the write may or
        # may not have happened; only a 201 counts as acknowledged.
        version = None
        while not stop.is_set():
            started = time.perf_counter()
            try:
                status, _, answer = request(holder, "POST", "/api/v1/statements/", body, auth)
                label = str(status)
            except (OSError, http.client.HTTPException):
                status, label = None, "connection error"
            recorder.record("write", label, time.perf_counter() - started)
            if status == 201:
                version = answer["ETag"]  # an update must name the version it changes
                with recorder.lock:
                    recorder.acknowledged[slug] = body["text"]
                break
            if status == 400:  # created by an attempt whose answer was lost: not acknowledged
                break
            time.sleep(0.2)
        if stop.is_set() or version is None or rng.random() < 0.5:
            continue
        changed = body["text"] + " Revised."
        started = time.perf_counter()
        try:
            status, _, _ = request(
                holder,
                "PATCH",
                f"/api/v1/statements/{slug}/",
                {"text": changed},
                {**auth, "If-Match": version},
            )
            label = str(status)
        except (OSError, http.client.HTTPException):
            status, label = None, "connection error"
        recorder.record("write", label, time.perf_counter() - started)
        if status == 200:
            with recorder.lock:
                recorder.acknowledged[slug] = changed


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        # The command's own message says what went wrong; without it CI shows
        # only an exit status.
        sys.exit(f"manage.py {args[0]} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout.strip()


def wait_until_up(address, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(*address, timeout=2)
            conn.request("GET", "/api/v1/sources/?page_size=1")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="DATABASE_URL (PostgreSQL).")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--editors", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn worker processes.")
    parser.add_argument("--threads", type=int, default=4, help="Threads per gunicorn worker.")
    parser.add_argument("--port", type=int, default=8742)
    parser.add_argument("--restart-at", type=float, help="Seconds into the run to restart.")
    parser.add_argument("--restart-command", help="Shell command restarting PostgreSQL.")
    args = parser.parse_args()

    env = {
        **os.environ,
        "DATABASE_URL": args.db,
        "DJANGO_SETTINGS_MODULE": "sinorus.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
        "API_ANON_THROTTLE_RATE": "",
        "CONN_MAX_AGE": "60",
    }
    manage(env, "migrate", "-v0")
    if "load-editor" not in manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models "
        "import User; print(list(User.objects.values_list("
        "'username', flat=True)))",
    ):
        # One argument "--password=…": a generated password may begin with "-",
        # which argparse would read as an option if it stood on its own.
        manage(env, "create_editor", "load-editor", f"--password={secrets.token_urlsafe(20)}")
    token = manage(env, "create_api_token", "load-editor").splitlines()[-1]
    with psycopg2.connect(args.db) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tracker_statement WHERE slug LIKE 'syn-%%'")
        scale = cursor.fetchone()[0]

    address = ("127.0.0.1", args.port)
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "sinorus.wsgi",
            "--bind",
            f"{address[0]}:{address[1]}",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--worker-class",
            "gthread",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_until_up(address)
        recorder = Recorder()
        stop = threading.Event()
        run = secrets.token_hex(3)
        threads = [
            threading.Thread(target=reader, args=(address, stop, recorder, scale, n))
            for n in range(args.readers)
        ] + [
            threading.Thread(target=editor, args=(address, stop, recorder, token, n, run))
            for n in range(args.editors)
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        restart = None
        if args.restart_at is not None:
            time.sleep(args.restart_at)
            restart_started = time.monotonic()
            subprocess.run(shlex.split(args.restart_command), check=True, capture_output=True)
            restart = (restart_started, time.monotonic())  # pg_ctl -w: accepting again
        time.sleep(max(0.0, started + args.seconds - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    with psycopg2.connect(args.db) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT slug, text FROM tracker_statement WHERE slug = ANY(%s)",
            [list(recorder.acknowledged)],
        )
        stored = dict(cursor.fetchall())
    lost = [slug for slug in recorder.acknowledged if slug not in stored]
    stale = [s for s, text in recorder.acknowledged.items() if s in stored and stored[s] != text]

    total = sum(recorder.statuses.values())
    server_errors = sum(n for k, n in recorder.statuses.items() if k.split()[1][0] == "5")
    print(
        f"duration {elapsed:.1f} s, {args.readers} readers, {args.editors} editors, "
        f"gunicorn {args.workers} workers x {args.threads} threads, {scale:,} statements"
    )
    print(f"requests {total:,}  throughput {total / elapsed:.1f} req/s")
    for key, number in sorted(recorder.statuses.items()):
        print(f"  {key:28} {number:>8,}")
    print(
        f"server errors (5xx) {server_errors}, connection errors "
        f"{sum(n for k, n in recorder.statuses.items() if 'connection' in k)}"
    )
    lat = recorder.latencies
    print(
        f"latency ms: p50 {percentile(lat, 0.5):.0f}  p90 {percentile(lat, 0.9):.0f}  "
        f"p99 {percentile(lat, 0.99):.0f}  max {max(lat) * 1000:.0f}  "
        f"mean {statistics.mean(lat) * 1000:.0f}"
    )
    print(
        f"acknowledged writes {len(recorder.acknowledged):,}: missing {len(lost)}, "
        f"with an older text {len(stale)}"
    )
    if restart is not None:
        restart_started, accepting = restart
        failures = [t for t, ok in recorder.events if not ok and t >= restart_started]
        after = [t for t, ok in recorder.events if ok and t >= accepting]
        first_ok = min(after) if after else None
        last_failure = max(failures) if failures else None
        print(
            f"PostgreSQL restart took {accepting - restart_started:.2f} s "
            f"(from the command to accepting connections)"
        )
        if first_ok is not None:
            print(
                f"first successful answer {first_ok - accepting:.2f} s after PostgreSQL "
                f"accepted connections again"
            )
        if last_failure is not None:
            print(
                f"last failed answer {last_failure - accepting:+.2f} s relative to that "
                f"({len(failures)} failed answers in all)"
            )
    if lost or stale:
        sys.exit(1)


if __name__ == "__main__":
    main()

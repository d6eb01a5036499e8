"""Benchmark: the tracker at two scales side by side, against what PostgreSQL does alone.

Usage (from the project root, virtualenv active, two PostgreSQL databases filled
by ``manage.py generate_synthetic``)::

    python bench/bench_scale.py \\
        --small postgres://postgres@localhost:54342/scale_10k \\
        --large postgres://postgres@localhost:54342/scale_1m

Or only the API read cases on a primary and on its streaming standby (docs/replicas.md)::

    python bench/bench_scale.py --primary postgres://...:5432/scale_10k \\
        --replica postgres://...:5433/scale_10k

Each measurement runs in a child process per database (so that Django talks to
one database and the export's peak memory is its own) and is repeated
``--repeat`` times after one warm-up, in two rounds alternating the databases; the
table shows, per case, the lower of the two rounds' medians, in milliseconds:

* API list pages of 100 (with and without filters, search and ordering) and
  detail pages, through Django's test client (no HTTP server: the code path);
* the public explorer's pages (home, timeline with and without filters, an
  actor's page, an exercise's page, search, charts), anonymous, each rendered
  afresh (its page cache off);
* admin changelists, with and without a search, and the change forms'
  autocomplete pickers, as a logged-in editor (the benchmark creates a staff
  user ``bench-editor`` in each database if missing);
* the floor: the same page's rows and links fetched by plain psycopg2;
* the statements CSV export (``tracker.exports.csv_stream``): rows per
  second and peak resident memory, against ``COPY (...) TO STDOUT WITH CSV``
  of the same columns (label and display columns are written as their codes
  by COPY, the rest is the same data, joins and aggregates included).

Ratios: ``large/small`` (target at most 1.5 for lists and changelists) and
``x floor`` (the API page against the psycopg2 fetch; target at most 3).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: (label, URL) of the API requests measured; {statement}/{exercise} are filled per database.
API_CASES = [
    ("API statements page", "/api/v1/statements/?page_size=100"),
    (
        "API statements kind+language",
        "/api/v1/statements/?page_size=100&kind=paraphrase&language=ru",
    ),
    ("API statements search rare", "/api/v1/statements/?page_size=100&search=zhurong"),
    ("API statements search common", "/api/v1/statements/?page_size=100&search=naval"),
    ("API statements search 2 words", "/api/v1/statements/?page_size=100&search=naval+beijing"),
    ("API statements ordering=-date", "/api/v1/statements/?page_size=100&ordering=-date"),
    ("API statements actor filter", "/api/v1/statements/?page_size=100&actor=syn-actor-7"),
    ("API statements date range", "/api/v1/statements/?page_size=100&date_from=2015-01-01"),
    (
        "API statements updated_since",
        "/api/v1/statements/?page_size=100&updated_since=2000-01-01T00:00:00Z",
    ),
    # Page 50, or the last page of a database with fewer than 5,000 statements.
    ("API statements deep page", "/api/v1/statements/?page_size=100&page={deep_page}"),
    ("API exercises page", "/api/v1/exercises/?page_size=100"),
    ("API exercises search", "/api/v1/exercises/?page_size=100&search=zhurong"),
    ("API exercises search common", "/api/v1/exercises/?page_size=100&search=vostok"),
    ("API actors search common", "/api/v1/actors/?page_size=100&search=naval"),
    ("API arms-deals country", "/api/v1/arms-deals/?page_size=100&country=RU"),
    ("API statement detail", "/api/v1/statements/{statement}/"),
    ("API exercise detail", "/api/v1/exercises/{exercise}/"),
]
#: The public explorer's pages (rendered each time: its page cache is off while measuring).
EXPLORER_CASES = [
    ("explorer home", "/"),
    ("explorer timeline", "/timeline/"),
    ("explorer timeline actor+type", "/timeline/?actor={actor}&type=exercises"),
    ("explorer timeline date range", "/timeline/?date_from=2015-01-01&date_to=2015-12-31"),
    ("explorer actor page", "/actors/{actor}/"),
    ("explorer exercise page", "/exercises/{exercise}/"),
    ("explorer search", "/search/?q=naval"),
    ("explorer charts", "/charts/"),
]
PICKER = "/admin/autocomplete/?app_label=tracker&"
ADMIN_CASES = [
    ("admin statements", "/admin/tracker/statement/"),
    ("admin statements search", "/admin/tracker/statement/?q=zhurong"),
    ("admin statements year filter", "/admin/tracker/statement/?date_year=2019"),
    ("admin exercises search", "/admin/tracker/exercise/?q=naval"),
    # The autocomplete pickers of change forms (20 options a page).
    ("admin actor picker", f"{PICKER}model_name=exerciseparticipant&field_name=actor&term=naval"),
    (
        "admin exercise picker",
        f"{PICKER}model_name=statement&field_name=about_exercises&term=vostok",
    ),
    ("admin statement picker", f"{PICKER}model_name=citation&field_name=statement&term=naval"),
]
FLOOR_LABEL = "psycopg2 statements page"

#: The statements page of the API, as plain SQL: rows, speaker, and every link list.
FLOOR_PAGE = """
    SELECT s.*, a.slug, a.name FROM tracker_statement s
    LEFT JOIN tracker_actor a ON a.id = s.speaker_id
    ORDER BY s.date, s.date_precision, s.slug LIMIT 100
"""
FLOOR_LINKS = [
    "SELECT t.statement_id, x.slug, x.name FROM tracker_statement_about_actors t "
    "JOIN tracker_actor x ON x.id = t.actor_id WHERE t.statement_id = ANY(%s)",
    "SELECT t.statement_id, x.slug, x.title FROM tracker_statement_about_agreements t "
    "JOIN tracker_agreement x ON x.id = t.agreement_id WHERE t.statement_id = ANY(%s)",
    "SELECT t.statement_id, x.slug, x.name FROM tracker_statement_about_exercises t "
    "JOIN tracker_exercise x ON x.id = t.exercise_id WHERE t.statement_id = ANY(%s)",
    "SELECT t.statement_id, x.slug, x.title FROM tracker_statement_about_arms_deals t "
    "JOIN tracker_armsdeal x ON x.id = t.armsdeal_id WHERE t.statement_id = ANY(%s)",
    "SELECT c.statement_id, c.footnote, c.locator, c.excerpt, s.slug, s.title, s.url "
    "FROM tracker_citation c JOIN tracker_source s ON s.id = c.source_id "
    "WHERE c.statement_id = ANY(%s)",
]


def _about(table: str, column: str, target: str) -> str:
    return (
        f"(SELECT string_agg(x.slug, '|' ORDER BY t.id) FROM {table} t "
        f"JOIN {target} x ON x.id = t.{column} WHERE t.statement_id = s.id)"
    )


#: The statements CSV export's 20 columns, as one COPY.
COPY_STATEMENTS = f"""
    COPY (
        SELECT s.slug, sp.slug, sp.name, s.speaker_role, s.date, s.date_precision,
               s.date_qualifier, s.date_precision, s.occasion, s.kind, s.kind, s.text,
               s.language,
               {_about("tracker_statement_about_agreements", "agreement_id", "tracker_agreement")},
               {_about("tracker_statement_about_exercises", "exercise_id", "tracker_exercise")},
               {_about("tracker_statement_about_arms_deals", "armsdeal_id", "tracker_armsdeal")},
               {_about("tracker_statement_about_actors", "actor_id", "tracker_actor")},
               (SELECT string_agg(src.slug, '|' ORDER BY c.id) FROM tracker_citation c
                JOIN tracker_source src ON src.id = c.source_id WHERE c.statement_id = s.id),
               s.created_at, s.updated_at
        FROM tracker_statement s LEFT JOIN tracker_actor sp ON sp.id = s.speaker_id
        ORDER BY s.id
    ) TO STDOUT WITH CSV HEADER
"""


class Sink:
    """A file that counts what is written to it and keeps nothing."""

    def __init__(self):
        self.lines = 0

    def write(self, data) -> int:
        self.lines += data.count(b"\n" if isinstance(data, bytes) else "\n")
        return len(data)


def timed(function, repeat: int) -> float:
    """Median milliseconds of ``function()`` over ``repeat`` runs after one warm-up."""
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sinorus.settings_test")
    os.environ["API_ANON_THROTTLE_RATE"] = ""  # the benchmark is one anonymous client
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def case_names() -> dict:
    """The records each case's URL names, picked from the middle of the data."""
    from tracker.models import Exercise, Statement

    statement_count = Statement.objects.count()
    return {
        "statement": f"syn-statement-{statement_count // 2}",
        "exercise": f"syn-exercise-{Exercise.objects.count() // 2}",
        "deep_page": max(1, min(50, statement_count // 100)),
        "actor": "syn-actor-7",
    }


def measure_api(client, repeat: int) -> tuple[int, dict[str, float]]:
    """The statements' count and the API read cases' medians, read-only."""
    from tracker.models import Statement

    statement_count = Statement.objects.count()
    names = case_names()
    results: dict[str, float] = {}
    for label, url in API_CASES:
        url = url.format(**names)
        assert client.get(url).status_code == 200, url
        results[label] = timed(lambda url=url: client.get(url), repeat)
    return statement_count, results


def child_reads(database_url: str, repeat: int) -> dict:
    """The API read cases against one database: a primary or a streaming standby
    (which Django then reads as its only database; nothing here writes)."""
    setup_django(database_url)
    from django.test import Client

    statement_count, results = measure_api(Client(), repeat)
    return {"statements": statement_count, "results": results}


def child_measure(database_url: str, repeat: int) -> dict:
    """Every request case and the psycopg2 floor against one database."""
    setup_django(database_url)
    from django.db import connection
    from django.test import Client

    from tracker.editors import create_editor

    client = Client()
    statement_count, results = measure_api(client, repeat)

    from explorer import cache as explorer_cache

    explorer_cache.TIMEOUT = 0  # measure rendering, not the page cache
    names = case_names()
    for label, url in EXPLORER_CASES:
        url = url.format(**names)
        assert client.get(url).status_code == 200, url
        results[label] = timed(lambda url=url: client.get(url), repeat)

    from django.contrib.auth.models import User

    editor = User.objects.filter(username="bench-editor").first() or create_editor(
        "bench-editor", os.urandom(16).hex()
    )
    client.force_login(editor)
    for label, url in ADMIN_CASES:
        assert client.get(url).status_code == 200, url
        results[label] = timed(lambda url=url: client.get(url), repeat)

    raw = connection.cursor().connection  # the plain psycopg2 connection

    def floor_page():
        with raw.cursor() as cursor:
            cursor.execute(FLOOR_PAGE)
            ids = [row[0] for row in cursor.fetchall()]
            for sql in FLOOR_LINKS:
                cursor.execute(sql, [ids])
                cursor.fetchall()

    results[FLOOR_LABEL] = timed(floor_page, repeat)
    return {"statements": statement_count, "results": results}


def child_export(database_url: str) -> dict:
    """The statements CSV export, timed, with this process's peak memory."""
    setup_django(database_url)
    from tracker.exports import csv_stream
    from tracker.models import Statement

    sink = Sink()
    started = time.perf_counter()
    for line in csv_stream(Statement, Statement.objects.all()):
        sink.write(line)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"rows": sink.lines - 1, "seconds": seconds, "peak_mib": peak}


def child_copy(database_url: str) -> dict:
    """COPY ... TO STDOUT WITH CSV of the same columns, through psycopg2."""
    import psycopg2

    connection = psycopg2.connect(database_url)
    sink = Sink()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.copy_expert(COPY_STATEMENTS, sink)
    seconds = time.perf_counter() - started
    connection.close()
    return {"rows": sink.lines - 1, "seconds": seconds}


def run_child(mode: str, database_url: str, repeat: int) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--db", database_url]
    command += ["--repeat", str(repeat)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"bench_scale: the {mode} run against {database_url} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def print_table(small: dict, large: dict) -> None:
    s_rows, l_rows = small["measure"]["statements"], large["measure"]["statements"]
    head = f"{s_rows:,} st."
    tail = f"{l_rows:,} st."
    print(f"{'median ms':36} {head:>12} {tail:>12} {'large/small':>11} {'x floor':>8}")
    floor_small = small["measure"]["results"][FLOOR_LABEL]
    floor_large = large["measure"]["results"][FLOOR_LABEL]
    labels = [label for label, _ in API_CASES + EXPLORER_CASES + ADMIN_CASES] + [FLOOR_LABEL]
    for label in labels:
        a = small["measure"]["results"][label]
        b = large["measure"]["results"][label]
        versus = ""
        if label.startswith("API statements page") and label.endswith("page"):
            versus = f"{ratio(a, floor_small)}/{ratio(b, floor_large)}"
        print(f"{label:36} {a:12.1f} {b:12.1f} {ratio(b, a):>11} {versus:>8}")
    print()
    print(
        f"{'statements CSV export':36} {'rows':>10} {'seconds':>9} {'rows/s':>9} "
        f"{'peak MiB':>9} {'vs COPY':>8}"
    )
    for name, data in (("small", small), ("large", large)):
        export, copy = data["export"], data["copy"]
        export_rate = export["rows"] / export["seconds"]
        copy_rate = copy["rows"] / copy["seconds"]
        print(
            f"{'  Django export, ' + name:36} {export['rows']:>10,} {export['seconds']:9.1f} "
            f"{export_rate:9,.0f} {export['peak_mib']:9.0f} {ratio(export_rate, copy_rate):>8}"
        )
        print(
            f"{'  COPY TO STDOUT CSV, ' + name:36} {copy['rows']:>10,} {copy['seconds']:9.1f} "
            f"{copy_rate:9,.0f} {'':>9} {'1.00':>8}"
        )


def compare_replica(primary: str, replica: str, repeat: int) -> None:
    """The API read cases on the primary and on its standby, side by side (docs/replicas.md)."""
    data = {"primary": {}, "replica": {}}
    for _round in range(2):  # alternating, the lower median of two rounds counts
        for name, url in (("primary", primary), ("replica", replica)):
            measured = run_child("reads", url, repeat)
            data[name]["statements"] = measured["statements"]
            for label, value in measured["results"].items():
                data[name][label] = min(data[name].get(label, value), value)
    rows = data["primary"]["statements"]
    print(
        f"{'median ms, ' + format(rows, ',') + ' statements':36} {'primary':>9} {'replica':>9}"
        f" {'replica/primary':>16}"
    )
    for label, _ in API_CASES:
        a, b = data["primary"][label], data["replica"][label]
        print(f"{label:36} {a:9.1f} {b:9.1f} {ratio(b, a):>16}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", help="DATABASE_URL of the small database.")
    parser.add_argument("--large", help="DATABASE_URL of the large database.")
    parser.add_argument("--repeat", type=int, default=7, help="Timed runs per case.")
    parser.add_argument("--no-export", action="store_true", help="Skip the CSV export.")
    parser.add_argument(
        "--primary", help="With --replica: only the API read cases, on the primary ..."
    )
    parser.add_argument("--replica", help="... and on its streaming standby, side by side.")
    parser.add_argument(
        "--child", choices=["measure", "reads", "export", "copy"], help=argparse.SUPPRESS
    )
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        work = {
            "measure": lambda: child_measure(args.db, args.repeat),
            "reads": lambda: child_reads(args.db, args.repeat),
            "export": lambda: child_export(args.db),
            "copy": lambda: child_copy(args.db),
        }[args.child]
        print(json.dumps(work()))
        return
    if args.primary or args.replica:
        if not (args.primary and args.replica):
            parser.error("give --primary and --replica database URLs")
        compare_replica(args.primary, args.replica, args.repeat)
        return
    if not (args.small and args.large):
        parser.error("give --small and --large database URLs")
    data = {}
    for name, url in (("small", args.small), ("large", args.large)):
        data[name] = {"measure": run_child("measure", url, args.repeat)}
        print(f"measured {name}", file=sys.stderr)
    # A second round, alternating again: on a shared machine a burst of other work
    # can slow one scale's whole round; per case the lower of the two medians counts.
    for name, url in (("small", args.small), ("large", args.large)):
        again = run_child("measure", url, args.repeat)["results"]
        best = data[name]["measure"]["results"]
        for label, value in again.items():
            best[label] = min(best[label], value)
        print(f"measured {name} again", file=sys.stderr)
    for name, url in (("small", args.small), ("large", args.large)):
        if args.no_export:
            data[name]["export"] = data[name]["copy"] = {"rows": 0, "seconds": 1, "peak_mib": 0}
            continue
        data[name]["copy"] = run_child("copy", url, args.repeat)
        data[name]["export"] = run_child("export", url, args.repeat)
        print(f"exported {name}", file=sys.stderr)
    print_table(data["small"], data["large"])


if __name__ == "__main__":
    main()

"""Benchmark: the tracker at two scales side by side, against what PostgreSQL does alone.

Usage (from the project root, virtualenv active, two PostgreSQL databases filled
by ``manage.py generate_synthetic``)::

    python bench/bench_scale.py \\
        --small postgres://postgres@localhost:54342/scale_10k \\
        --large postgres://postgres@localhost:54342/scale_1m

Only some groups of cases (``--only explorer``, or ``--only api,admin``; the
groups are ``api``, ``explorer``, ``admin`` and ``export``)::

    python bench/bench_scale.py --only explorer --small ... --large ...

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
* the floor: the same page's rows and links fetched by plain psycopg2, timed
  alternately with the API statements page (the page's figure is from those
  alternating runs, three times as many as the other cases);
* the statements file of the nightly export (``snapshot.write_table``: on
  PostgreSQL one COPY, :mod:`tracker.exports.sql`; ``--python-export`` also
  times the Python path): rows per second and peak resident memory, against
  the floor, ``COPY (...) TO STDOUT WITH CSV`` of the same 20 columns whose
  link columns come from hash-aggregated subqueries joined once (raw values:
  codes for labels, no formatting), and beside it the first form of the floor
  (a correlated subquery per link column per row).

Ratios: ``large/small`` (target at most 1.5 for lists and changelists) and
``x floor`` (the API page against the psycopg2 fetch, target at most 2.5; the
export's rows/s against the COPY floor's, target at least 0.5).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from floors import (
    COPY_STATEMENTS_CORRELATED,
    COPY_STATEMENTS_PRESORTED,
    EXPORT_LABELS,
    child_copy,
    fastest_floor,
    floor_page,
    write_statements,
)

ROOT = Path(__file__).resolve().parent.parent

#: (label, URL) of the API requests measured; {statement}/{exercise} are filled per database.
PAGE_LABEL = "API statements page"
API_CASES = [
    (PAGE_LABEL, "/api/v1/statements/?page_size=100"),
    (
        "API statements kind+language",
        "/api/v1/statements/?page_size=100&kind=paraphrase&language=ru",
    ),
    ("API statements search rare", "/api/v1/statements/?page_size=100&search=zhurong"),
    ("API statements search common", "/api/v1/statements/?page_size=100&search=naval"),
    ("API statements search 2 words", "/api/v1/statements/?page_size=100&search=naval+beijing"),
    # Found inside words only: no name starts with it, so none is ranked ahead.
    ("API statements search in words", "/api/v1/statements/?page_size=100&search=hurong"),
    ("API statements ordering=-date", "/api/v1/statements/?page_size=100&ordering=-date"),
    ("API statements ordering=-slug", "/api/v1/statements/?page_size=100&ordering=-slug"),
    (
        "API statements search by date",
        "/api/v1/statements/?page_size=100&search=zhurong&ordering=date",
    ),
    (
        "API arms-deals search by start",
        "/api/v1/arms-deals/?page_size=100&search=naval&ordering=period_start",
    ),
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
    # The searches above whose small database fills no page of 100, with pages both
    # databases fill: the same rows shown, so the ratio is the search's own.
    ("API statements rare, 40 a page", "/api/v1/statements/?page_size=40&search=zhurong"),
    ("API statements in words, 40 a page", "/api/v1/statements/?page_size=40&search=hurong"),
    (
        "API statements by date, 40 a page",
        "/api/v1/statements/?page_size=40&search=zhurong&ordering=date",
    ),
    ("API exercises search, 5 a page", "/api/v1/exercises/?page_size=5&search=zhurong"),
    ("API actors common, 20 a page", "/api/v1/actors/?page_size=20&search=naval"),
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
    ("admin exercises", "/admin/tracker/exercise/"),
    ("admin exercises search", "/admin/tracker/exercise/?q=naval"),
    # The form offers the series and regions in use (tracker.distinct).
    ("admin exercise add form", "/admin/tracker/exercise/add/"),
    ("admin citations", "/admin/tracker/citation/"),
    # The autocomplete pickers of change forms (20 options a page).
    ("admin actor picker", f"{PICKER}model_name=exerciseparticipant&field_name=actor&term=naval"),
    (
        "admin exercise picker",
        f"{PICKER}model_name=statement&field_name=about_exercises&term=vostok",
    ),
    ("admin statement picker", f"{PICKER}model_name=citation&field_name=statement&term=naval"),
]
FLOOR_LABEL = "psycopg2 statements page"


def timed(function, repeat: int) -> float:
    """Median milliseconds of ``function()`` over ``repeat`` runs after one warm-up."""
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def timed_pair(first, second, repeat: int) -> tuple[float, float]:
    """Median milliseconds of ``first()`` and of ``second()``, run alternately.

    For a ratio of the two: the machine's speed drifts by more than the ratio's
    margin within a minute, and alternating runs see the same drift.
    """
    first(), second()
    samples: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for function, times in zip((first, second), samples, strict=True):
            started = time.perf_counter()
            function()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples[0]), statistics.median(samples[1])


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


#: Records each API list case showed (its page holds at most 100): a case that
#: fills its page at one scale only compares unequal work.
SHOWN: dict[str, int] = {}
#: What each API list case matched, all pages (its ``count``; ``~`` where the count
#: is the database's estimate): the work a search or filter does grows with it.
MATCHED: dict[str, str] = {}


def measure_api(client, repeat: int) -> tuple[int, dict[str, float]]:
    """The statements' count and the API read cases' medians, read-only."""
    from tracker.models import Statement

    statement_count = Statement.objects.count()
    names = case_names()
    results: dict[str, float] = {}
    for label, url in API_CASES:
        url = url.format(**names)
        response = client.get(url)
        assert response.status_code == 200, url
        listed = response.json().get("results")
        if isinstance(listed, list):
            SHOWN[label] = len(listed)
            estimated = response.headers.get("X-Count-Estimated") == "true"
            MATCHED[label] = f"{'~' if estimated else ''}{response.json()['count']:,}"
        results[label] = timed(lambda url=url: client.get(url), repeat)
    return statement_count, results


def child_reads(database_url: str, repeat: int) -> dict:
    """The API read cases against one database: a primary or a streaming standby
    (which Django then reads as its only database; nothing here writes)."""
    setup_django(database_url)
    from django.test import Client

    statement_count, results = measure_api(Client(), repeat)
    return {"statements": statement_count, "results": results, "shown": SHOWN, "matched": MATCHED}


#: The groups of cases ``--only`` selects from.
GROUPS = ("api", "explorer", "admin", "export")


def child_measure(database_url: str, repeat: int, groups: tuple[str, ...] = GROUPS) -> dict:
    """The request cases of ``groups`` (and, with the API's, the psycopg2 floor) on one database."""
    setup_django(database_url)
    from django.db import connection
    from django.test import Client

    from tracker.editors import create_editor
    from tracker.models import Statement

    client = Client()
    statement_count, results = Statement.objects.count(), {}
    if "api" in groups:
        statement_count, results = measure_api(client, repeat)

    from explorer import cache as explorer_cache

    explorer_cache.TIMEOUT = 0  # measure rendering, not the page cache
    names = case_names()
    for label, url in EXPLORER_CASES if "explorer" in groups else []:
        url = url.format(**names)
        assert client.get(url).status_code == 200, url
        results[label] = timed(lambda url=url: client.get(url), repeat)
    if "admin" not in groups and "api" not in groups:
        return {
            "statements": statement_count,
            "results": results,
            "shown": SHOWN,
            "matched": MATCHED,
        }

    from django.contrib.auth.models import User

    editor = User.objects.filter(username="bench-editor").first() or create_editor(
        "bench-editor", os.urandom(16).hex()
    )
    client.force_login(editor)
    for label, url in ADMIN_CASES if "admin" in groups else []:
        assert client.get(url).status_code == 200, url
        results[label] = timed(lambda url=url: client.get(url), repeat)

    if "api" in groups:
        # The page against its floor: timed alternately (``timed_pair``), three times
        # as often as the other cases, anonymous as the other API cases (``client``
        # has logged in for the admin's).
        anonymous, page_url = Client(), dict(API_CASES)[PAGE_LABEL]
        results[PAGE_LABEL], results[FLOOR_LABEL] = timed_pair(
            lambda: anonymous.get(page_url), floor_page(connection), 3 * repeat
        )
    return {"statements": statement_count, "results": results, "shown": SHOWN, "matched": MATCHED}


def child_export(database_url: str, python: bool = False) -> dict:
    """The statements file as the nightly export writes it, timed (``floors.write_statements``)."""
    setup_django(database_url)
    return write_statements(python)


def run_script(script: str, arguments: list[str], what: str) -> dict:
    """Run ``script`` (a benchmark, in a child process of its own) with ``arguments``
    and return the JSON its last line prints; exit naming ``what`` if it fails."""
    command = [sys.executable, script, *arguments]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stderr + done.stdout)
        raise SystemExit(f"{Path(script).name}: {what} failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_child(mode: str, database_url: str, repeat: int, groups: tuple[str, ...] = GROUPS) -> dict:
    arguments = ["--child", mode, "--db", database_url, "--repeat", str(repeat)]
    arguments += ["--only", ",".join(groups)]
    return run_script(__file__, arguments, f"the {mode} run against {database_url}")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "-"


def print_table(small: dict, large: dict) -> None:
    s_rows, l_rows = small["measure"]["statements"], large["measure"]["statements"]
    head = f"{s_rows:,} st."
    tail = f"{l_rows:,} st."
    print(
        f"{'median ms':36} {head:>12} {tail:>12} {'large/small':>11} {'x floor':>8} "
        f"{'records shown':>13} {'matches':>19}"
    )
    floor_small = small["measure"]["results"].get(FLOOR_LABEL)
    floor_large = large["measure"]["results"].get(FLOOR_LABEL)
    labels = [label for label, _ in API_CASES + EXPLORER_CASES + ADMIN_CASES] + [FLOOR_LABEL]
    for label in labels:
        if label not in small["measure"]["results"]:
            continue  # a group --only left out
        a = small["measure"]["results"][label]
        b = large["measure"]["results"][label]
        versus = ""
        if label == PAGE_LABEL and floor_small and floor_large:
            versus = f"{ratio(a, floor_small)}/{ratio(b, floor_large)}"
        shown = ""
        shown_small = small["measure"].get("shown", {})
        shown_large = large["measure"].get("shown", {})
        if label in shown_small and label in shown_large:
            shown = f"{shown_small[label]}/{shown_large[label]}"
        matched_small = small["measure"].get("matched", {})
        matched_large = large["measure"].get("matched", {})
        matched = ""
        if label in matched_small and label in matched_large:
            matched = f"{matched_small[label]}/{matched_large[label]}"
        print(
            f"{label:36} {a:12.1f} {b:12.1f} {ratio(b, a):>11} {versus:>8} {shown:>13} "
            f"{matched:>19}"
        )
    if all(not data["exports"].get("export") for data in (small, large)):
        return
    print()
    print(
        f"{'statements CSV export':36} {'rows':>10} {'seconds':>9} {'rows/s':>9} "
        f"{'peak MiB':>9} {'x floor':>8}"
    )
    for name, data in (("small", small), ("large", large)):
        floor = fastest_floor(data["exports"])
        floor_rate = floor["rows"] / floor["seconds"] if floor["seconds"] else 0
        for key, label in EXPORT_LABELS:
            run = data["exports"].get(key)
            if run is None:
                continue
            rate = run["rows"] / run["seconds"] if run["seconds"] else 0
            peak = f"{run['peak_mib']:9.0f}" if "peak_mib" in run else f"{'':>9}"
            print(
                f"{'  ' + label + ', ' + name:36} {run['rows']:>10,} {run['seconds']:9.1f} "
                f"{rate:9,.0f} {peak} {ratio(rate, floor_rate):>8}"
            )


def print_targets(small: dict, large: dict) -> None:
    """The issue's targets against this run: flatness, API against psycopg2, export."""
    results_small, results_large = small["measure"]["results"], large["measure"]["results"]
    steep = [
        f"{label} {results_large[label] / results_small[label]:.2f}"
        for label in results_small
        if label != FLOOR_LABEL and results_large[label] > 1.5 * results_small[label]
    ]
    print()
    print(f"targets: cases above 1.5x large/small: {', '.join(steep) or 'none'}")
    page = PAGE_LABEL
    if page not in results_small:
        return
    print(
        f"targets: API page x psycopg2 (at most 2.5): "
        f"{ratio(results_small[page], results_small[FLOOR_LABEL])} small, "
        f"{ratio(results_large[page], results_large[FLOOR_LABEL])} large"
    )
    for name, data in (("small", small), ("large", large)):
        exports = data["exports"]
        if "export" in exports:
            export, floor = exports["export"], fastest_floor(exports)
            print(
                f"targets: export x COPY floor (at least 0.5), {name}: "
                f"{ratio(floor['seconds'], export['seconds'])}, "
                f"peak {export['peak_mib']:.0f} MiB (under 200 MB)"
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
        "--only",
        default=",".join(GROUPS),
        help=f"Comma-separated groups of cases to run, of {', '.join(GROUPS)} (default: all).",
    )
    parser.add_argument(
        "--primary", help="With --replica: only the API read cases, on the primary ..."
    )
    parser.add_argument("--replica", help="... and on its streaming standby, side by side.")
    parser.add_argument(
        "--python-export",
        action="store_true",
        help="Also time the Python export path (minutes at a million statements).",
    )
    parser.add_argument(
        "--child",
        choices=["measure", "reads", "export", "python", "copy", "presorted", "correlated"],
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    groups = tuple(group for group in args.only.split(",") if group)
    if unknown := set(groups) - set(GROUPS):
        parser.error(f"--only: unknown groups {', '.join(sorted(unknown))}")
    if args.child:
        work = {
            "measure": lambda: child_measure(args.db, args.repeat, groups),
            "reads": lambda: child_reads(args.db, args.repeat),
            "export": lambda: child_export(args.db),
            "python": lambda: child_export(args.db, python=True),
            "copy": lambda: child_copy(args.db),
            "correlated": lambda: child_copy(args.db, COPY_STATEMENTS_CORRELATED),
            "presorted": lambda: child_copy(args.db, COPY_STATEMENTS_PRESORTED, parallel=False),
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
        data[name] = {"measure": run_child("measure", url, args.repeat, groups)}
        print(f"measured {name}", file=sys.stderr)
    # A second round, alternating again: on a shared machine a burst of other work
    # can slow one scale's whole round; per case the lower of the two medians counts.
    for name, url in (("small", args.small), ("large", args.large)):
        again = run_child("measure", url, args.repeat, groups)["results"]
        best = data[name]["measure"]["results"]
        for label, value in again.items():
            best[label] = min(best[label], value)
        print(f"measured {name} again", file=sys.stderr)
    for name, url in (("small", args.small), ("large", args.large)):
        exports = data[name]["exports"] = {"floor": {"rows": 0, "seconds": 0}}
        if args.no_export or "export" not in groups:
            continue
        # Two rounds alternating floor and export, the faster of each counting, as
        # for the requests: a burst of other work can slow one run by half.
        for _ in range(2):
            for key, mode in (("floor", "copy"), ("presorted", "presorted"), ("export", "export")):
                run = run_child(mode, url, args.repeat)
                best = exports.get(key)
                if not best or not best["seconds"] or run["seconds"] < best["seconds"]:
                    exports[key] = run
        exports["correlated"] = run_child("correlated", url, args.repeat)
        if args.python_export:
            exports["python"] = run_child("python", url, args.repeat)
        print(f"exported {name}", file=sys.stderr)
    print_table(data["small"], data["large"])
    print_targets(data["small"], data["large"])


if __name__ == "__main__":
    main()

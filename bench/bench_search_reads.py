"""Benchmark: how much of each search's request is the read of every match, at two scales.

A search's matches grow with the table (``zhurong``: 44 statements of 10,000,
3,726 of a million), and its exact ``count`` (up to ``API_EXACT_COUNT_LIMIT``
matches, docs/api.md) reads every one of them; the rest of the request (the
page walked, its rows and links, the rendering) is bounded by the page. This
prints, for each search case of ``bench_scale.py`` (the API cases with a
``search``), the request's median, the median time of its reads of every match
(its SQL statements holding ``LIMIT`` the exact limit plus one: the count, or the
keys read in order while counting), and the rest, at both scales, with each
part's ratio large/small. Usage (the same two databases as ``bench_scale.py``)::

    python bench/bench_search_reads.py \\
        --small postgres://postgres@localhost:54342/scale_10k \\
        --large postgres://postgres@localhost:54342/scale_1m

Each database is measured in a child process, twice, alternating; per case the
round with the lower request median counts. Where every match is read anyway
(a small database's), the page's keys come from that same read: the "rest"
of a large database's request then holds a walk for the page's keys that the
small one's does not.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from bench_scale import API_CASES, case_names, ratio, run_script, setup_django

#: The cases measured: ``bench_scale.py``'s API cases that search.
SEARCH_CASES = [(label, url) for label, url in API_CASES if "search=" in url]


def child(database_url: str, repeat: int) -> dict:
    """Per search case on one database: (request median, reads-of-every-match median) in ms."""
    setup_django(database_url)
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    marker = f"LIMIT {settings.API_EXACT_COUNT_LIMIT + 1}"
    client, names, results = Client(), case_names(), {}
    for label, url in SEARCH_CASES:
        url = url.format(**names)
        requests, reads = [], []
        for run in range(max(1, repeat) + 1):  # the first run warms up
            spent: list[tuple[float, str]] = []

            def timed_sql(execute, sql, params, many, context, spent=spent):
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    spent.append((time.perf_counter() - started, sql))

            with connection.execute_wrapper(timed_sql):
                started = time.perf_counter()
                response = client.get(url)
                elapsed = time.perf_counter() - started
            assert response.status_code == 200, url
            if run:
                requests.append(elapsed * 1000)
                reads.append(
                    1000
                    * sum(
                        seconds
                        for seconds, sql in spent
                        if marker in sql and not sql.startswith("EXPLAIN")
                    )
                )
        results[label] = {
            "request": statistics.median(requests),
            "reads": statistics.median(reads),
            "matches": ("~" if response.headers.get("X-Count-Estimated") == "true" else "")
            + f"{response.json()['count']:,}",
        }
    return results


def run_child(database_url: str, repeat: int) -> dict:
    arguments = ["--child", "--db", database_url, "--repeat", str(repeat)]
    return run_script(__file__, arguments, f"the run against {database_url}")


def grown(small: float, large: float) -> str:
    """``large / small``; "-" where either read nothing (a count the database estimated)."""
    return ratio(large, small) if large else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", help="DATABASE_URL of the small database.")
    parser.add_argument("--large", help="DATABASE_URL of the large database.")
    parser.add_argument("--repeat", type=int, default=9, help="Timed runs per case.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.db, args.repeat)))
        return
    if not (args.small and args.large):
        parser.error("give --small and --large database URLs")
    best: dict[str, dict] = {"small": {}, "large": {}}
    for _round in range(2):
        for name, url in (("small", args.small), ("large", args.large)):
            for label, measured in run_child(url, args.repeat).items():
                kept = best[name].get(label)
                if kept is None or measured["request"] < kept["request"]:
                    best[name][label] = measured
    print(
        f"{'median ms, small | large':36} {'request':>15} {'reads of every match':>21} "
        f"{'rest':>15} {'ratios':>17} {'matches':>17}"
    )
    for label, _url in SEARCH_CASES:
        a, b = best["small"][label], best["large"][label]
        rest_a, rest_b = a["request"] - a["reads"], b["request"] - b["reads"]
        print(
            f"{label:36} {a['request']:7.1f} {b['request']:7.1f} {a['reads']:10.1f} "
            f"{b['reads']:10.1f} {rest_a:7.1f} {rest_b:7.1f} "
            f"{grown(a['request'], b['request']):>5} {grown(a['reads'], b['reads']):>5} "
            f"{grown(rest_a, rest_b):>5} {a['matches'] + '/' + b['matches']:>17}"
        )
    print("ratios: request, reads of every match, rest (large/small)")


if __name__ == "__main__":
    main()

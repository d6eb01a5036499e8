"""Benchmark: an API list page with its links read each way, side by side.

Usage (from the project root, virtualenv active, a PostgreSQL database filled by
``manage.py generate_synthetic``)::

    python bench/bench_links.py --db postgres://postgres@localhost:54342/scale_1m \\
        /api/v1/statements/?page_size=100 /api/v1/exercises/?page_size=100

For each page, in one process, anonymous, through Django's test client:

* ``json+prepared``: as the tracker reads it on PostgreSQL, the links built as
  JSON in one query (``tracker/api/json_links.py``), link queries prepared
  (``tracker/prepared.py``);
* ``json``: the same without prepared statements;
* ``loaders``: one query per list of links, as on SQLite;
* ``loaders+prepared``;
* ``psycopg2 floor``: the statements page's rows and links fetched by plain
  psycopg2 (``bench_scale.floor_page``).

Every round runs each once, in a new random order, so that neither a drift of
the machine's speed nor a position in the round favours one; medians in ms, and
each against the floor.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from bench_scale import setup_django
from floors import floor_page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", required=True, help="DATABASE_URL (PostgreSQL).")
    parser.add_argument("--rounds", type=int, default=100, help="Timed rounds (default 100).")
    parser.add_argument("urls", nargs="+", help="API list pages to read.")
    args = parser.parse_args()
    setup_django(args.db)
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import resolve

    from tracker.api.json_links import JSONLinks
    from tracker.api.readers import reader_for

    client, floor = Client(), floor_page(connection)

    for url in args.urls:
        reader = reader_for(resolve(url.split("?")[0]).func.cls.serializer_class)
        built = reader.json

        def page(as_json: bool, prepare: bool, url=url, reader=reader, built=built):
            def run():
                # An empty JSONLinks builds nothing: every link goes to its loader.
                reader.json = built if as_json else JSONLinks(reader.model)
                settings.DATABASE_PREPARED_STATEMENTS = prepare
                assert client.get(url).status_code == 200, url

            return run

        cases = {
            "json+prepared": page(True, True),
            "json": page(True, False),
            "loaders": page(False, False),
            "loaders+prepared": page(False, True),
            "psycopg2 floor": floor,
        }
        for function in cases.values():  # warm-up, and five runs to settle prepared plans
            for _ in range(8):
                function()
        samples: dict[str, list[float]] = {name: [] for name in cases}
        order = list(cases.items())
        for _ in range(args.rounds):
            random.shuffle(order)
            for name, function in order:
                started = time.perf_counter()
                function()
                samples[name].append((time.perf_counter() - started) * 1000)
        reader.json, settings.DATABASE_PREPARED_STATEMENTS = built, True
        medians = {name: statistics.median(times) for name, times in samples.items()}
        floor_ms = medians["psycopg2 floor"]
        print(url)
        for name, ms in medians.items():
            print(f"  {name:18} {ms:8.2f} ms  {ms / floor_ms:5.2f}x floor")


if __name__ == "__main__":
    main()

"""The floors ``bench_scale.py`` measures against: what PostgreSQL alone does.

The API statements page's floor (:func:`floor_page`): the same page's rows and
links fetched by plain psycopg2. The export's: one ``COPY (...) TO STDOUT WITH
CSV`` of the statements file's 20 columns whose link columns come from
hash-aggregated subqueries joined once (:data:`COPY_STATEMENTS`), the same with
the links presorted in one process as the export runs it
(:data:`COPY_STATEMENTS_PRESORTED`), and the first form of the floor, a
correlated subquery per link column per row (:data:`COPY_STATEMENTS_CORRELATED`);
raw values (codes for labels, no formatting). Against them, the nightly export's
statements file itself (:func:`write_statements`).
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

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


def floor_page(connection):
    """The floor: the statements page's rows and links fetched by plain psycopg2,
    on Django's ``connection``'s own psycopg2 connection, as a function to time."""
    raw = connection.cursor().connection

    def fetch() -> None:
        with raw.cursor() as cursor:
            cursor.execute(FLOOR_PAGE)
            ids = [row[0] for row in cursor.fetchall()]
            for sql in FLOOR_LINKS:
                cursor.execute(sql, [ids])
                cursor.fetchall()

    return fetch


def _about(table: str, column: str, target: str) -> str:
    return (
        f"(SELECT string_agg(x.slug, '|' ORDER BY t.id) FROM {table} t "
        f"JOIN {target} x ON x.id = t.{column} WHERE t.statement_id = s.id)"
    )


#: The statements CSV export's 20 columns, as one COPY with a correlated subquery
#: per link column per row (the first form of the floor, kept for comparison).
COPY_STATEMENTS_CORRELATED = f"""
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


def _aggregated(alias: str, table: str, column: str, target: str) -> str:
    # One hash aggregate over the whole link table, joined once by the statement's key.
    return (
        f"LEFT JOIN (SELECT t.statement_id, string_agg(x.slug, '|' ORDER BY t.id) AS slugs "
        f"FROM {table} t JOIN {target} x ON x.id = t.{column} "
        f"WHERE t.statement_id IS NOT NULL GROUP BY t.statement_id) {alias} "
        f"ON {alias}.statement_id = s.id"
    )


_LINKS = [
    ("ag", "tracker_statement_about_agreements", "agreement_id", "tracker_agreement"),
    ("ex", "tracker_statement_about_exercises", "exercise_id", "tracker_exercise"),
    ("ad", "tracker_statement_about_arms_deals", "armsdeal_id", "tracker_armsdeal"),
    ("ac", "tracker_statement_about_actors", "actor_id", "tracker_actor"),
    ("so", "tracker_citation", "source_id", "tracker_source"),
]


def _presorted(alias: str, table: str, column: str, target: str) -> str:
    # The same aggregate fed in link order by a sorted subquery (run in one process).
    return (
        f"LEFT JOIN (SELECT o.statement_id, string_agg(o.slug, '|') AS slugs FROM ("
        f"SELECT t.statement_id, x.slug FROM {table} t JOIN {target} x ON x.id = t.{column} "
        f"WHERE t.statement_id IS NOT NULL ORDER BY t.statement_id, t.id) o "
        f"GROUP BY o.statement_id) {alias} ON {alias}.statement_id = s.id"
    )


#: The floor: the same 20 columns by one COPY whose link columns come from
#: hash-aggregated subqueries joined once (raw values: codes for labels, no
#: formatting); what PostgreSQL alone does for the statements file.
COPY_STATEMENTS = f"""
    COPY (
        SELECT s.slug, sp.slug, sp.name, s.speaker_role, s.date, s.date_precision,
               s.date_qualifier, s.date_precision, s.occasion, s.kind, s.kind, s.text,
               s.language, ag.slugs, ex.slugs, ad.slugs, ac.slugs, so.slugs,
               s.created_at, s.updated_at
        FROM tracker_statement s LEFT JOIN tracker_actor sp ON sp.id = s.speaker_id
        {" ".join(_aggregated(*link) for link in _LINKS)}
        ORDER BY s.id
    ) TO STDOUT WITH CSV HEADER
"""
#: The floor as the export's COPY runs it: links sorted once, no parallel workers.
COPY_STATEMENTS_PRESORTED = COPY_STATEMENTS.replace(
    " ".join(_aggregated(*link) for link in _LINKS),
    " ".join(_presorted(*link) for link in _LINKS),
)


class Sink:
    """A file that counts what is written to it and keeps nothing."""

    def __init__(self):
        self.lines = 0

    def write(self, data) -> int:
        self.lines += data.count(b"\n" if isinstance(data, bytes) else "\n")
        return len(data)


def write_statements(python: bool = False) -> dict:
    """The statements file as the nightly export writes it (on PostgreSQL one COPY,
    :mod:`tracker.exports.sql`), or by the Python path (``python``), timed, with
    this process's peak memory; Django set up for the database measured."""
    import tempfile

    from tracker.exports.files import STATEMENTS
    from tracker.exports.snapshot import consistent_read, write_table

    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        with consistent_read():
            rows = write_table(STATEMENTS, Path(folder) / "statements.csv", python_only=python)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"rows": rows, "seconds": seconds, "peak_mib": peak}


def child_copy(database_url: str, sql: str = COPY_STATEMENTS, parallel: bool = True) -> dict:
    """A floor COPY ... TO STDOUT WITH CSV of the same columns, through psycopg2."""
    import psycopg2

    connection = psycopg2.connect(database_url)
    sink = Sink()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # As the export does: JIT compiling costs more than it saves on these queries.
        cursor.execute("SET jit = off")
        if not parallel:
            cursor.execute("SET max_parallel_workers_per_gather = 0")
        cursor.copy_expert(sql, sink)
    seconds = time.perf_counter() - started
    connection.close()
    return {"rows": sink.lines - 1, "seconds": seconds}


def fastest_floor(exports: dict) -> dict:
    """The faster of the two floor forms: the ratio is against the real limit."""
    floors = [exports[key] for key in ("floor", "presorted") if exports.get(key)]
    return min(floors, key=lambda run: run["seconds"] or float("inf"))


#: The export measurements, in table order: (key, label).
EXPORT_LABELS = [
    ("export", "nightly file (COPY path)"),
    ("python", "nightly file (Python path)"),
    ("floor", "COPY floor, aggregates joined"),
    ("presorted", "COPY floor, presorted, 1 process"),
    ("correlated", "COPY, correlated subqueries"),
]

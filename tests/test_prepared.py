"""Repeated read queries run as prepared statements on PostgreSQL (tracker/prepared.py)."""

from __future__ import annotations

import uuid

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from tracker import prepared

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def fresh_record():
    """Each test starts from a connection record of its own: the connection outlives
    tests, and what earlier ones prepared counts towards the limit."""
    connection.ensure_connection()
    connection.tracker_prepared = prepared.Seen(connection.connection)


def unique_sql(template: str) -> str:
    """``template`` with a constant of its own, so no earlier test prepared the same SQL."""
    return template.replace("MARK", f"'{uuid.uuid4().hex}'")


def run(sql: str, params: list) -> tuple[list, list[str]]:
    """The rows of ``sql`` and the SQL sent for it."""
    with CaptureQueriesContext(connection) as captured, connection.cursor() as cursor:
        prepared.execute(connection, cursor, sql, params)
        rows = cursor.fetchall()
    return rows, [query["sql"].split(" ", 1)[0] for query in captured]


def test_placeholders_are_numbered_and_escaped_percent_signs_kept():
    sql = "SELECT a FROM t WHERE a = %s AND b LIKE 'x%%' AND c IN (%s, %s)"

    assert prepared.numbered(sql) == (
        "SELECT a FROM t WHERE a = $1 AND b LIKE 'x%%' AND c IN ($2, $3)"
    )


def test_a_query_is_prepared_on_its_second_run_and_executed_after():
    sql = unique_sql("SELECT %s || '%%' || MARK = %s || '%%' || MARK, %s + 1")

    runs = [run(sql, ["a", "a", n]) for n in (1, 2, 3)]

    assert [rows for rows, _ in runs] == [[(True, 2)], [(True, 3)], [(True, 4)]]
    sent = [" ".join(words) for _, words in runs]
    assert sent == (["SELECT", "PREPARE", "EXECUTE"] if ON_POSTGRESQL else ["SELECT"] * 3)


def test_the_setting_off_runs_the_sql_as_it_is(settings):
    settings.DATABASE_PREPARED_STATEMENTS = False
    sql = unique_sql("SELECT %s + 1, MARK")

    sent = [run(sql, [n])[1] for n in (1, 2, 3)]

    assert sent == [["SELECT"]] * 3


#: A query, a value it answers for and one it fails on (SQLite divides by zero quietly).
FAILING = {
    "postgresql": ("SELECT 10 / %s, MARK", 5, 0),
    "sqlite": ("SELECT json(%s), MARK", "[2]", "[2"),
}


def test_a_failed_prepare_round_leaves_the_query_to_run_as_it_is():
    template, good, bad = FAILING[connection.vendor]
    sql = unique_sql(template)
    first, _ = run(sql, [good])

    with pytest.raises(DatabaseError), transaction.atomic():
        run(sql, [bad])  # in the round that prepares on PostgreSQL
    later = [run(sql, [good]) for _ in range(2)]

    assert [rows for rows, _ in later] == [first, first]
    assert [words for _, words in later] == [["SELECT"], ["SELECT"]]


def test_a_new_server_connection_starts_with_nothing_prepared():
    sql = unique_sql("SELECT %s * 2, MARK")
    run(sql, [1])
    run(sql, [2])
    # As after CONN_MAX_AGE or a failed health check: another server connection
    # (the record still says the statement is prepared).
    connection.tracker_prepared.raw = object()

    rows, sent = run(sql, [3])

    assert (rows[0][0], sent) == (6, ["SELECT"])


def test_no_more_than_the_limit_of_statements_is_prepared_per_connection(monkeypatch):
    monkeypatch.setattr(prepared, "LIMIT", 1)
    first, second = unique_sql("SELECT %s, MARK"), unique_sql("SELECT %s, MARK")
    for sql in (first, first, second):
        run(sql, [1])

    rows, sent = run(second, [1])

    assert (rows[0][0], sent) == (1, ["SELECT"])
    assert run(first, [1])[1] == (["EXECUTE"] if ON_POSTGRESQL else ["SELECT"])


def test_a_connection_whose_record_was_lost_prepares_again_under_new_names():
    sql = unique_sql("SELECT %s - 1, MARK")
    for n in (1, 2):
        run(sql, [n])
    # The record of what this server connection prepared is gone; the server keeps it.
    connection.tracker_prepared = prepared.Seen(connection.connection)

    sent = [run(sql, [n]) for n in (3, 4, 5)]

    assert [rows[0][0] for rows, _ in sent] == [2, 3, 4]
    assert [words for _, words in sent] == (
        [["SELECT"], ["PREPARE"], ["EXECUTE"]] if ON_POSTGRESQL else [["SELECT"]] * 3
    )


def prepare(sql: str) -> str:
    """Run ``sql`` twice (prepared on PostgreSQL from the second), then drop the prepared
    statement behind the record's back, as a pooler's other server connection would."""
    run(sql, [1])
    run(sql, [1])
    name = prepared.statement_name(sql, connection.tracker_prepared.prefix)
    if ON_POSTGRESQL:
        with connection.cursor() as cursor:
            cursor.execute(f"DEALLOCATE {name}")
    return name


@pytest.mark.django_db(transaction=True)
def test_a_prepared_statement_gone_runs_as_plain_sql_at_once_outside_a_transaction():
    sql = unique_sql("SELECT %s + 40, MARK")
    prepare(sql)

    later = [run(sql, [2]) for _ in range(2)]

    assert [rows[0][0] for rows, _ in later] == [42, 42]
    assert [words for _, words in later] == (
        [["EXECUTE", "SELECT"], ["SELECT"]] if ON_POSTGRESQL else [["SELECT"], ["SELECT"]]
    )


def test_a_prepared_statement_gone_fails_once_inside_a_transaction_then_runs_as_plain_sql():
    sql = unique_sql("SELECT %s + 40, MARK")
    prepare(sql)

    if ON_POSTGRESQL:
        with pytest.raises(DatabaseError), transaction.atomic():
            run(sql, [2])
    rows, sent = run(sql, [2])

    assert (rows[0][0], sent) == (42, ["SELECT"])

"""The charts' counts kept by triggers: after every kind of write they equal a count of
the records themselves, on both engines."""

from __future__ import annotations

import datetime as dt
import io
import threading
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Case, Count, F, Sum, When
from django.db.models.functions import Coalesce, ExtractYear
from django.test.utils import CaptureQueriesContext

from tests.factories import ArmsDealFactory, StatementFactory
from tracker import chart_counts, chart_triggers, registry
from tracker.dates import Precision
from tracker.models import ChartCount, PublicationStatus, Statement

STATEMENTS = chart_counts.rollup_for(registry.STATEMENT)
DEALS = chart_counts.rollup_for(registry.ARMS_DEAL)
YEAR = Precision.YEAR


def counted(rollup) -> set[tuple]:
    """The counts as the charts read them: (year, precision, category, ..., n[, total])."""
    return {tuple(row.values()) for row in chart_counts.grouped_counts(rollup)}


def recounted(rollup) -> set[tuple]:
    """The same groups counted from the published records, by the ORM (the oracle)."""
    starts = [start for start, _end in rollup.record_type.timeline_dates]
    if len(starts) == 1:
        day, precision = F(starts[0]), F(f"{starts[0]}_precision")
    else:
        day = Coalesce(*starts)
        precision = Case(
            *[When(**{f"{s}__isnull": False}, then=F(f"{s}_precision")) for s in starts]
        )
    names = [rollup.category, *(rollup.value[1:] if rollup.value else ())]
    aggregates = {"n": Count("pk")}
    if rollup.value:
        aggregates["total"] = Sum(rollup.value[0])
    rows = (
        rollup.record_type.model.objects.filter(publication_status=PublicationStatus.PUBLISHED)
        .order_by()
        .annotate(chart_year=ExtractYear(day), chart_precision=precision)
        .values("chart_year", "chart_precision", *names)
        .annotate(**aggregates)
    )
    return {tuple(row.values()) for row in rows}


def statement(year, kind="speech", **kwargs):
    day = dt.date(year, 3, 1) if year else None
    return StatementFactory(date=day, date_precision=YEAR if year else None, kind=kind, **kwargs)


def move(record, *years):
    """Save ``record`` dated in each of ``years`` in turn."""
    for year in years:
        record.date = dt.date(year, 1, 1)
        record.save()


@pytest.fixture
def merging(monkeypatch):
    """Rows merged as soon as they outnumber twice their groups, looked at afresh."""
    monkeypatch.setattr(chart_counts, "COMPACT_SLACK", 0)
    monkeypatch.setattr(chart_counts, "_looked_at", {})


def test_a_published_record_is_counted_in_its_year_and_category(db):
    statement(2019, "speech")
    statement(2019, "speech")
    statement(2020, "interview")

    assert counted(STATEMENTS) == {(2019, YEAR, "speech", 2), (2020, YEAR, "interview", 1)}


def test_a_draft_is_not_counted(db):
    statement(2019, draft=True)

    assert counted(STATEMENTS) == set()


def test_publishing_a_draft_counts_it(db):
    draft = statement(2019, draft=True)

    Statement.objects.filter(pk=draft.pk).update(publication_status=PublicationStatus.PUBLISHED)

    assert counted(STATEMENTS) == {(2019, YEAR, "speech", 1)}


def test_unpublishing_a_record_takes_it_out(db):
    record = statement(2019)
    statement(2019)

    record.publication_status = PublicationStatus.DRAFT
    record.save()

    assert counted(STATEMENTS) == {(2019, YEAR, "speech", 1)}


def test_a_record_moved_to_another_year_and_kind_is_counted_there(db):
    record = statement(2019, "speech")

    record.date, record.kind = dt.date(2016, 5, 1), "interview"
    record.save()

    assert counted(STATEMENTS) == {(2016, YEAR, "interview", 1)}


def test_a_write_changing_no_group_adds_no_row(db):
    record = statement(2019)
    rows = ChartCount.objects.count()

    record.text = "Another text entirely."
    record.save()

    assert ChartCount.objects.count() == rows


def test_a_deleted_record_is_no_longer_counted(db):
    statement(2019).delete()

    assert counted(STATEMENTS) == set()


def test_an_undated_record_is_counted_without_a_year(db):
    statement(None, date_unknown=True)

    assert counted(STATEMENTS) == {(None, None, "speech", 1)}


def test_a_queryset_update_of_many_records_moves_every_count(db):
    for year in (2015, 2016, 2017):
        statement(year, "speech")
        statement(year, "interview")

    Statement.objects.filter(kind="speech").update(kind="interview")

    assert counted(STATEMENTS) == recounted(STATEMENTS)
    assert counted(STATEMENTS) == {(year, YEAR, "interview", 2) for year in (2015, 2016, 2017)}


def test_bulk_created_records_are_counted(db):
    rows = StatementFactory.build_batch(30, date=dt.date(2018, 1, 1), date_precision=YEAR)
    for row in rows:
        row.speaker.save()
        row.speaker_id = row.speaker.pk
    Statement.objects.bulk_create(rows)

    assert counted(STATEMENTS) == recounted(STATEMENTS)
    assert sum(row[-1] for row in counted(STATEMENTS)) == 30


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement triggers: PostgreSQL")
def test_postgresql_adds_one_row_per_group_for_a_bulk_insert(db):
    rows = StatementFactory.build_batch(30, date=dt.date(2018, 1, 1), date_precision=YEAR)
    for row in rows:
        row.speaker.save()
        row.speaker_id = row.speaker.pk
    before = ChartCount.objects.count()

    Statement.objects.bulk_create(rows)

    groups = {(row.date.year, row.kind) for row in rows}
    assert ChartCount.objects.count() - before == len(groups)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers: PostgreSQL")
def test_writers_in_the_same_group_do_not_wait_for_each_other(transactional_db):
    held, release = threading.Event(), threading.Event()

    def write_and_hold():
        try:
            with transaction.atomic():
                statement(2019)
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    writer = threading.Thread(target=write_and_hold)
    writer.start()
    try:
        assert held.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # waiting on the other would fail here
        try:
            statement(2019)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
    finally:
        release.set()
        writer.join()

    assert counted(STATEMENTS) == {(2019, YEAR, "speech", 2)}


def test_an_arms_deal_is_placed_by_its_contract_date_and_its_value_summed(db):
    ArmsDealFactory(
        contract_date=dt.date(2015, 1, 1),
        contract_date_precision=YEAR,
        period_start=dt.date(2010, 1, 1),
        period_start_precision=YEAR,
        value_amount=Decimal("2000000000.00"),
        value_currency="USD",
    )
    ArmsDealFactory(
        scope="aggregate",
        period_start=dt.date(2010, 1, 1),
        period_start_precision=Precision.DECADE,
        value_amount=Decimal("1.50"),
        value_currency="USD",
        value_is_estimate=True,
    )

    assert counted(DEALS) == recounted(DEALS)
    assert counted(DEALS) == {
        (2015, YEAR, "contract", "USD", False, 1, Decimal("2000000000.00")),
        (2010, Precision.DECADE, "aggregate", "USD", True, 1, Decimal("1.50")),
    }


def test_a_group_whose_valued_deals_are_gone_gives_no_value(db):
    dated = {"contract_date": dt.date(2015, 1, 1), "contract_date_precision": YEAR}
    valued = ArmsDealFactory(**dated, value_amount=Decimal("10.00"), value_currency="USD")
    ArmsDealFactory(**dated, value_currency="USD")

    valued.delete()

    assert counted(DEALS) == {(2015, YEAR, "contract", "USD", False, 1, None)}


def test_compacting_leaves_one_row_per_group_and_the_same_counts(db):
    record = statement(2019)
    move(record, 2015, 2016, 2017, 2018)
    statement(2019)
    before = counted(STATEMENTS)

    chart_counts.compact(STATEMENTS, "default")

    assert counted(STATEMENTS) == before == {(2018, YEAR, "speech", 1), (2019, YEAR, "speech", 1)}
    assert ChartCount.objects.filter(record_type="statement").count() == 2


def test_a_write_merges_rows_that_piled_up_once_it_commits(
    db, merging, django_capture_on_commit_callbacks
):
    record = statement(2019)
    move(record, 2015, 2016)

    with django_capture_on_commit_callbacks(execute=True):
        move(record, 2019)

    assert counted(STATEMENTS) == {(2019, YEAR, "speech", 1)}
    assert ChartCount.objects.filter(record_type="statement").count() == 1


def test_rows_are_looked_at_once_a_minute_at_most(db, merging, django_capture_on_commit_callbacks):
    record = statement(2019)
    move(record, 2015, 2016)
    with django_capture_on_commit_callbacks(execute=True):
        move(record, 2019)  # merged into one row
    for year in (2015, 2019):
        with django_capture_on_commit_callbacks(execute=True):
            move(record, year)  # piled up again, not looked at within the minute

    assert ChartCount.objects.filter(record_type="statement").count() == 5


@pytest.mark.parametrize("in_atomic", [False, True], ids=["autocommit", "atomic"])
def test_a_failure_to_merge_is_logged_and_the_write_stands(
    transactional_db, merging, monkeypatch, caplog, in_atomic
):

    def fail(rollup, using):
        raise DatabaseError("database is locked")

    monkeypatch.setattr(chart_counts, "is_piled_up", fail)

    if in_atomic:
        with transaction.atomic():
            record = statement(2019)
    else:
        record = statement(2019)

    assert Statement.objects.filter(pk=record.pk).exists()
    assert "merge_piled_up_counts" in caplog.text
    assert "database is locked" in caplog.text


def test_reading_a_chart_writes_nothing(db):
    statement(2019)

    with CaptureQueriesContext(connection) as captured:
        counted(STATEMENTS)

    assert [q["sql"].split()[0] for q in captured] == ["SELECT"]


def test_rebuilding_counts_the_records_again(db):
    statement(2019)
    statement(2020, "interview")
    ChartCount.objects.all().delete()

    chart_triggers.rebuild("default")

    assert counted(STATEMENTS) == {(2019, YEAR, "speech", 1), (2020, YEAR, "interview", 1)}


def test_a_migrate_with_the_triggers_in_place_changes_nothing(db):
    statement(2019)
    rows = list(ChartCount.objects.values_list("pk", flat=True))

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    assert list(ChartCount.objects.values_list("pk", flat=True)) == rows


def test_a_missing_trigger_is_made_again_and_the_records_counted_after_migrate(db):
    statement(2019)
    chart_triggers.uninstall("default")
    statement(2020)  # not counted: no trigger

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    statement(2021)

    assert counted(STATEMENTS) == {(year, YEAR, "speech", 1) for year in (2019, 2020, 2021)}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigger catalogue")
@pytest.mark.parametrize(
    "tampering",
    [
        # The delete trigger's function run on updates instead.
        "DROP TRIGGER tracker_chart_counts_statement_delete ON tracker_statement; "
        "CREATE TRIGGER tracker_chart_counts_statement_delete AFTER UPDATE ON tracker_statement "
        "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
        "EXECUTE FUNCTION tracker_chart_counts_statement_delete()",
        "ALTER TABLE tracker_statement DISABLE TRIGGER tracker_chart_counts_statement_delete",
        # The same name on another table: a TRUNCATE of actors would drop statements' counts.
        "CREATE TRIGGER tracker_chart_counts_statement_truncate AFTER TRUNCATE ON tracker_actor "
        "FOR EACH STATEMENT EXECUTE FUNCTION tracker_chart_counts_statement_truncate()",
    ],
    ids=["another event", "disabled", "another table"],
)
def test_a_tampered_trigger_is_put_right_after_migrate(db, tampering):
    record = statement(2019)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign key check left pending
        cursor.execute(tampering)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # as Django's checks are

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    record.delete()

    assert counted(STATEMENTS) == set()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'tracker_actor'::regclass "
            "AND tgname LIKE 'tracker_chart_counts_%%'"
        )
        assert cursor.fetchone() == (0,)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's functions")
def test_a_function_the_code_does_not_make_is_dropped_after_migrate(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION tracker_chart_counts_gone() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN RETURN NULL; END $$"
        )

    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_proc WHERE proname = 'tracker_chart_counts_gone'")
        assert cursor.fetchone() == (0,)


def test_recount_charts_names_a_database_it_does_not_know(db):
    with pytest.raises(CommandError, match="No database is named 'nope'"):
        call_command("recount_charts", database="nope")


def test_recount_charts_counts_the_records_again(db):
    statement(2019)
    ChartCount.objects.create(record_type="statement", year=2019, category="speech", n=5)
    out = io.StringIO()

    call_command("recount_charts", stdout=out)

    assert counted(STATEMENTS) == {(2019, YEAR, "speech", 1)}
    assert (
        out.getvalue()
        == f"Chart counts made again from the records: {ChartCount.objects.count()} groups.\n"
    )


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's row triggers")
def test_records_deleted_after_their_counts_leave_no_count(db):
    statement(2019)
    ChartCount.objects.all().delete()  # as a flush may, before the records

    Statement.objects.all().delete()

    assert not ChartCount.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE triggers: PostgreSQL")
def test_truncating_a_record_table_drops_its_counts(db):
    statement(2019)
    ArmsDealFactory(contract_date=dt.date(2015, 1, 1), contract_date_precision=YEAR)

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign key check left pending
        cursor.execute("TRUNCATE tracker_statement CASCADE")

    assert counted(STATEMENTS) == set()
    assert counted(DEALS) != set()


def test_after_a_flush_no_count_is_left(transactional_db):
    statement(2019)

    call_command("flush", interactive=False, verbosity=0)

    assert not ChartCount.objects.exists()


def test_the_seed_is_counted_as_the_records_give_it(seeded):
    for rollup in chart_counts.ROLLUPS:
        assert counted(rollup) == recounted(rollup)
    assert (
        sum(row[-1] for row in counted(STATEMENTS))
        == Statement.objects.filter(publication_status=PublicationStatus.PUBLISHED).count()
    )

"""The PostgreSQL export path (one COPY per file) writes the Python path's bytes exactly."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection

from tests import factories as f
from tracker.dates import Precision
from tracker.exports import snapshot
from tracker.exports.files import STATEMENTS, TABLES
from tracker.exports.sql import CrlfWriter, can_copy, copy_table
from tracker.models import (
    Actor,
    Agreement,
    ArmsDeal,
    Citation,
    Exercise,
    ExerciseParticipant,
    ParticipantRole,
    Rank,
    ReportedValue,
    Source,
    Statement,
)

STAMP = dt.datetime(2026, 3, 4, 5, 6, 7, 89, tzinfo=dt.UTC)
#: Text a CSV writer can get wrong: quotes, delimiters, line breaks, formulas, unicode.
ODD = 'He said "yes", then\nleft;\r\nno|pipe\r中俄 «союз» 🚀'
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the COPY path is PostgreSQL's"
)


def odd_records() -> None:
    """One record of each type with odd text, every precision and qualifier, links."""
    parent = f.ActorFactory(slug="parent", name="=HYPERLINK(1)", country="RU")
    actor = f.ActorFactory(
        slug="odd-actor",
        name=ODD,
        parent=parent,
        aliases=["a,b", '"q"', "-x", "@y", "plain"],
        description="+1 and more",
        role="",
    )
    f.ActorFactory(slug="stateless", name="'quoted", country="")
    source = f.SourceFactory(
        slug="odd-source",
        title="\tTabbed",
        authors="O'Neil, A.",
        published=dt.date(1980, 1, 1),
        published_precision=Precision.DECADE,
        published_qualifier="end",
        accessed=dt.date(2020, 2, 29),
    )
    f.AgreementFactory(
        slug="odd-agreement",
        title="-minus",
        concluded=dt.date(2001, 7, 1),
        concluded_precision=Precision.MONTH,
        concluded_qualifier="approximate",
        in_force=dt.date(2002, 1, 1),
        in_force_precision=Precision.YEAR,
        in_force_qualifier="mid",
    )
    exercise = f.ExerciseFactory(slug="odd-exercise", name=ODD, location="")
    for other in (actor, parent):
        ExerciseParticipant.objects.create(
            exercise=exercise, actor=other, role=ParticipantRole.HOST, contribution=ODD
        )
    f.ArmsDealFactory(
        slug="odd-deal",
        title="@deal",
        quantity=24,
        quantity_is_estimate=True,
        value_amount=Decimal("2000000000.00"),
        value_currency="USD",
        percentage=Decimal("12.50"),
        contract_date=dt.date(2015, 1, 1),
        contract_date_precision=Precision.YEAR,
        contract_date_qualifier="early",
    )
    statement = f.StatementFactory(
        slug="odd-statement",
        cited=None,
        speaker=None,
        text=ODD,
        occasion="=1+1",
        date=dt.date(2019, 9, 1),
        date_precision=Precision.MONTH,
        date_qualifier="end",
        language="ru",
    )
    # One at a time: add() inserts a set of links in no fixed order.
    statement.about_actors.add(parent)
    statement.about_actors.add(actor)
    statement.about_exercises.add(exercise)
    # The same source cited twice: the sources cell names it once.
    Citation.objects.create(statement=statement, source=source, locator=ODD)
    Citation.objects.create(statement=statement, source=source, locator="p. 2")
    # A second reported start date makes the exercise disputed (the disputed column).
    ReportedValue.objects.create(
        exercise=exercise,
        field="start_date",
        date=dt.date(2019, 9, 16),
        date_precision=Precision.DAY,
        rank=Rank.NORMAL,
        source=source,
    )
    for model in (Actor, Source, Agreement, Exercise, ArmsDeal, Statement):
        model.objects.update(created_at=STAMP, updated_at=STAMP)


def python_bytes(table, tmp_path) -> bytes:
    """The file as the Python path writes it."""
    path = tmp_path / f"{table.name}.py.csv"
    snapshot.write_table(table, path, python_only=True)
    return path.read_bytes()


def copy_bytes(table) -> bytes:
    """The file as the COPY path writes it for the public snapshot."""
    out = io.BytesIO()
    copy_table(table, out, public=True)
    return out.getvalue()


@postgresql_only
@pytest.mark.django_db
def test_copy_path_is_byte_identical_for_every_file_with_odd_text(tmp_path):
    odd_records()
    copied = [table for table in TABLES.values() if can_copy(table)]
    # The expanded files and the numbered cited rows stay on the Python path.
    python_only = {"citations", "statement_links", "reported_values", "status_updates"}
    assert {table.name for table in copied} == set(TABLES) - python_only
    for table in copied:
        assert copy_bytes(table) == python_bytes(table, tmp_path), table.name


@postgresql_only
@pytest.mark.django_db
def test_copy_path_leaves_out_drafts_as_the_python_path_does(tmp_path):
    odd_records()
    # A draft parent (a foreign key read by the actors file), a draft exercise
    # (about_exercises of the statement, participants, citations) and a draft deal.
    Actor.objects.filter(slug="parent").update(publication_status="draft")
    Exercise.objects.filter(slug="odd-exercise").update(publication_status="in_review")
    ArmsDeal.objects.filter(slug="odd-deal").update(publication_status="draft")
    for table in TABLES.values():
        if can_copy(table):
            copied = copy_bytes(table)
            assert copied == python_bytes(table, tmp_path), table.name
            rows = list(csv.reader(io.StringIO(copied.decode())))[1:]
            named = {item for row in rows for cell in row for item in cell.split("|")}
            assert not named & {"parent", "odd-exercise", "odd-deal"}, table.name


@postgresql_only
def test_copy_path_is_byte_identical_for_every_file_of_the_seed(seeded, tmp_path):
    for table in TABLES.values():
        if can_copy(table):
            assert copy_bytes(table) == python_bytes(table, tmp_path), table.name


def _statement_line(data: bytes) -> bytes:
    return data[data.index(b"odd-statement") :]


#: The odd statement's line in statements.csv, as the csv module writes it.
GOLDEN_STATEMENT = (
    b"odd-statement,,,,2019-09-01,month,end,end of September 2019,false,'=1+1,direct_quote,"
    b'direct quote,"He said ""yes"", then\nleft;\r\nno|pipe\r'
    + "中俄 «союз» 🚀".encode()
    + b'",ru,,odd-exercise,,parent|odd-actor,false,odd-source,published,'
    b"2026-03-04T05:06:07.000089Z,2026-03-04T05:06:07.000089Z\r\n"
)


@pytest.mark.django_db
@pytest.mark.parametrize("python_only", [True, False])
def test_statements_file_matches_the_golden_line_on_either_path(tmp_path, python_only):
    odd_records()
    path = tmp_path / "statements.csv"
    snapshot.write_table(STATEMENTS, path, python_only=python_only)
    data = path.read_bytes()
    assert data.startswith(",".join(STATEMENTS.header()).encode() + b"\r\n")
    assert _statement_line(data) == GOLDEN_STATEMENT


def test_row_ends_become_crlf_and_breaks_inside_quotes_stay():
    out = io.BytesIO()
    writer = CrlfWriter(out)
    for part in (b'a,"x\n', b'y""z\n",b\nc,d', b"\n"):
        writer.write(part)
    assert out.getvalue() == b'a,"x\ny""z\n",b\r\nc,d\r\n'
    assert writer.rows == 2

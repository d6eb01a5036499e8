"""CSV exports: every byte of every file, against the expected files in tests/golden/."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests import factories as f
from tests.exporting import export
from tracker import services
from tracker.dates import Precision
from tracker.exports import csv_name, csv_stream
from tracker.exports.files import record_tables, table_for_model
from tracker.models import (
    Actor,
    AgreementParty,
    ArmsDealContractor,
    Citation,
    DeletedRecord,
    ExerciseParticipant,
)
from tracker.registry import RECORD_TYPES

# --- Every byte of every file -------------------------------------------------------

#: The expected files of :func:`every_kind_of_value`'s snapshot. To rewrite them after an
#: intended change of the files: ``UPDATE_GOLDEN=1 ./scripts/test tests/test_export_golden.py``
#: (the test then fails, to make the rewrite visible), and review the diff.
GOLDEN = Path(__file__).resolve().parent / "golden" / "exports"
STAMP = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)


@pytest.fixture
def every_kind_of_value(records):
    """``records`` and records that fill every column, with fixed timestamps."""
    sco = f.ActorFactory(slug="sco", name="Shanghai Cooperation Organisation", kind="igo")
    shoigu = f.ActorFactory(
        slug="shoigu",
        name="Sergei Shoigu",
        kind="person",
        country="RU",
        parent=records["russia"],
        role="Minister of Defence, 2012–2024",
        aliases=["Шойгу", "-Shoygu"],
        description='Said "no limits", twice;\nthen again.',
    )
    source = f.SourceFactory(
        slug="sipri-2021",
        title="Trends in International Arms Transfers, 2020",
        authors="Wezeman, P. D.; Kuimova, A.",
        outlet="SIPRI",
        details="Fact sheet, March 2021",
        published=dt.date(2021, 3, 1),
        published_precision=Precision.MONTH,
        url="https://example.org/sipri,2021?a=1&b=2",
        accessed=dt.date(2021, 4, 5),
        language="en",
        kind="analysis",
    )
    earlier = services.record_save(
        f.AgreementFactory.build(
            slug="agreement-1992",
            title="Agreement on military-technical cooperation",
            kind="agreement",
            status="superseded",
            concluded=dt.date(1990, 1, 1),
            concluded_precision=Precision.DECADE,
            concluded_qualifier="early",
        ),
        links=[{"actor": sco, "role": "observer", "note": "+ an observer"}],
        # Every agreement cites a source (the write path refuses one without).
        citations=[{"source": source, "footnote": 2}],
    )
    services.record_save(
        f.AgreementFactory.build(
            slug="roadmap-2021",
            title="Roadmap, 2021–2025",
            kind="roadmap",
            status="in_force",
            concluded=dt.date(2021, 11, 23),
            concluded_precision=Precision.DAY,
            in_force=dt.date(2022, 1, 1),
            in_force_precision=Precision.YEAR,
            in_force_qualifier="end",
            expires=dt.date(2025, 1, 1),
            expires_precision=Precision.YEAR,
            expires_qualifier="approximate",
            replaces=earlier,
            summary="Plans, exercises and patrols.",
        ),
        links=[{"actor": records["china"]}, {"actor": records["russia"], "note": "Moscow"}],
        citations=[{"source": source, "footnote": 12, "excerpt": '"a roadmap"'}],
    )
    deal = services.record_save(
        f.ArmsDealFactory.build(
            slug="share-2016-2020",
            title="Russia's share of China's arms imports",
            supplier=records["russia"],
            recipient=records["china"],
            item="",
            category="components",
            scope="aggregate",
            value_amount=None,
            value_text="about three quarters",
            percentage=Decimal("77.0"),
            percentage_of="China's arms imports",
            period_start=dt.date(2016, 1, 1),
            period_start_precision=Precision.YEAR,
            period_end=dt.date(2020, 1, 1),
            period_end_precision=Precision.YEAR,
            status="delivered",
        ),
        links=[{"actor": sco, "role": "developer", "note": "=1"}],
        citations=[{"source": source, "footnote": 13, "locator": "p. 2, fig. 1"}],
        reported_values=[
            {
                "field": "period_start",
                "date": dt.date(2015, 1, 1),
                "date_precision": Precision.YEAR,
                "rank": "deprecated",
                "reason": "=counts 2015 twice",
                "source": records["source"],
                "locator": "p. 4",
            },
            {
                "field": "value",
                "amount": Decimal("2500000000"),
                "currency": "USD",
                "value_text": "$2.5 billion",
                "source": source,
                "footnote": 13,
            },
        ],
        status_updates=[
            {
                "status": "delivered",
                "as_of": dt.date(2021, 3, 1),
                "as_of_precision": Precision.MONTH,
                "note": "Deliveries completed",
                "source": source,
                "footnote": 13,
            }
        ],
    )
    unattributed = services.record_save(
        f.StatementFactory.build(
            slug="unattributed-2021",
            speaker=None,
            speaker_role="",
            date=dt.date(2021, 6, 1),
            date_precision=Precision.MONTH,
            date_qualifier="mid",
            occasion="Interview, Rossiyskaya Gazeta",
            kind="paraphrase",
            text='Cooperation "without limits", said one; 合作无止境.',
            language="ru",
        ),
        about={
            "about_agreements": [records["agreement"]],
            "about_arms_deals": [deal],
            "about_actors": [records["china"]],
        },
        citations=[{"source": source, "footnote": 14}, {"source": records["source"]}],
    )
    # Several targets set at once get their link rows in the order of a set of ids, which
    # on PostgreSQL depends on the tests run before (sequences are not rolled back); a
    # second target added on its own comes after the first on every run.
    unattributed.about_agreements.add(earlier)
    unattributed.about_actors.add(shoigu)
    services.record_save(shoigu, citations=[{"source": source, "locator": "\tp. 3"}])
    for model in (*(rt.model for rt in RECORD_TYPES), Citation):
        model.objects.update(created_at=STAMP, updated_at=STAMP)
    return records


def _numbered_citations(text: str) -> str:
    # Citation ids come from the database's sequence, which differs between
    # engines and test runs: number them 1, 2, ... in file order instead.
    header, *lines = text.split("\r\n")
    numbered = [f"{n},{line.split(',', 1)[1]}" for n, line in enumerate(lines[:-1], start=1)]
    return "\r\n".join([header, *numbered, lines[-1]])


def _golden_files(folder: Path) -> dict[str, str]:
    files = {}
    for path in sorted(folder.iterdir()):
        text = path.read_bytes().decode("utf-8")
        if path.name in ("citations.csv", "reported_values.csv", "status_updates.csv"):
            text = _numbered_citations(text)
        if path.name == "datapackage.json":
            # The two time-stamped fields: the snapshot's name and its creation time.
            text = re.sub(r'^  "(version|created)": "[^"]*",$', r'  "\1": "",', text, flags=re.M)
        files[path.name] = text
    return files


def test_every_file_is_byte_for_byte_the_expected_one(every_kind_of_value, tmp_path):
    result = export(tmp_path)
    found = _golden_files(result.path)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(parents=True, exist_ok=True)
        for name, text in found.items():
            (GOLDEN / name).write_bytes(text.encode("utf-8"))
        pytest.fail("Golden export files rewritten: review the diff.")
    assert found == {p.name: p.read_bytes().decode("utf-8") for p in sorted(GOLDEN.iterdir())}


def test_csv_stream_gives_the_export_files_bytes(every_kind_of_value, tmp_path):
    result = export(tmp_path)
    for model in (
        *(rt.model for rt in RECORD_TYPES),
        ExerciseParticipant,
        AgreementParty,
        ArmsDealContractor,
    ):
        name = table_for_model(model).name
        streamed = "".join(csv_stream(model, model.objects.all())).encode("utf-8")
        assert streamed == (result.path / f"{name}.csv").read_bytes(), name


def test_csv_stream_starts_with_a_byte_order_mark_when_asked(records):
    assert "".join(csv_stream(Actor, bom=True)).startswith("\ufeffslug,name,")


def test_csv_stream_refuses_a_model_without_a_file_before_streaming():
    with pytest.raises(LookupError):
        csv_stream(DeletedRecord)


def test_csv_name_is_the_export_file_stem():
    assert [csv_name(rt.model) for rt in RECORD_TYPES] == [t.name for t in record_tables()]

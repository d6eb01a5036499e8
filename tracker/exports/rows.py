"""The files of a record's cited rows (reported values, status updates) and the
``disputed`` column of the main files, declared once (see :mod:`tracker.exports.files`).

Each row names its record the way ``citations.csv`` does: ``record_type`` and
``record`` (the slug), and one column per kind of record it may belong to
(only the one named by ``record_type`` filled), which the data package
declares as foreign keys.
"""

from __future__ import annotations

import operator
from typing import Any

from django.db import models

from .. import registry
from ..claims import disputing_values
from ..models import AgreementStatus, DealStatus, Rank
from .cells import BOOLEAN, INTEGER, NUMBER, STRING
from .columns import Column, Flagged, ForeignKey, col, fk_slug_column, fuzzy_columns
from .links import Attach, Row, SlugCache
from .tables import Table

#: Row key of the flag :func:`disputed_flags` loads.
DISPUTED = "+disputed"


def disputed_flags(model: type[models.Model]) -> Attach:
    """The attach function setting ``row[DISPUTED]``: whether the record has a reported
    value ranked normal or deprecated (``tracker.claims.disputed``). One query per chunk."""
    fk = registry.for_model(model).key
    pk_name = model._meta.pk.attname

    def attach(chunk: list[Row], cache: SlugCache) -> None:
        if not chunk:
            return
        ids = [row[pk_name] for row in chunk]
        # As reported_values.csv shows them: in public, only values citing a published source.
        values = disputing_values(model, cache.public).filter(**{f"{fk}_id__in": ids})
        found = set(values.order_by().values_list(f"{fk}_id", flat=True).distinct())
        for row in chunk:
            row[DISPUTED] = row[pk_name] in found

    return attach


def disputed_column(model: type[models.Model]) -> Column:
    """``disputed``: true when some source reports a value other than the one shown."""
    return col(
        "disputed",
        BOOLEAN,
        "Some source reports a value of this record other than the one shown "
        "(details in reported_values.csv).",
        operator.itemgetter(DISPUTED),
        sql=Flagged(
            lambda public: disputing_values(model, public),
            f"{registry.for_model(model).key}_id",
        ),
    )


def _target_type(targets: tuple[str, ...]):
    def get(row: Row) -> str | None:
        return next((name for name in targets if row[f"{name}_id"] is not None), None)

    return get


def _target_slug(targets: tuple[str, ...]):
    def get(row: Row) -> str | None:
        name = next((name for name in targets if row[f"{name}_id"] is not None), None)
        return row[f"{name}__slug"] if name is not None else None

    return get


def _record_columns(targets: tuple[str, ...]) -> list[Column]:
    ids = tuple(f"{name}_id" for name in targets)
    slugs = tuple(f"{name}__slug" for name in targets)
    return [
        col("id", INTEGER, "Number of the row within this snapshot.", required=True),
        col(
            "record_type",
            STRING,
            "Which kind of record the row belongs to.",
            _target_type(targets),
            reads=ids,
            enum=list(targets),
        ),
        col(
            "record",
            STRING,
            "Slug of the record the row belongs to.",
            _target_slug(targets),
            reads=ids + slugs,
        ),
        *(
            fk_slug_column(name, f"Slug of the {name.replace('_', ' ')}, if it is one.")
            for name in targets
        ),
    ]


def _evidence_columns() -> list[Column]:
    return [
        fk_slug_column("source", "Slug of the source reporting it (in sources.csv)."),
        col("footnote", INTEGER, "Footnote number in the citing article, if it came from one."),
        col("locator", STRING, "Page or section of the source."),
    ]


def _foreign_keys(targets: tuple[str, ...]) -> tuple[ForeignKey, ...]:
    by_key = {rt.key: rt for rt in registry.RECORD_TYPES}
    return (
        ForeignKey(("source",), registry.SOURCE.csv_file),
        *(ForeignKey((name,), by_key[name].csv_file) for name in targets),
    )


_VALUES = registry.REPORTED_VALUES
REPORTED_VALUES = Table(
    name=_VALUES.csv_file,
    model=_VALUES.model,
    title="Reported values",
    description="Every value sources report for a record's dates, money value and quantity, "
    "each with its citation and rank. The preferred value is the one the record's own file "
    "shows; a record with a normal or deprecated value is disputed.",
    columns=(
        *_record_columns(_VALUES.targets),
        col(
            "field",
            STRING,
            "Which fact: the name of a date column of the record's file (start_date, "
            "concluded ...), value (value_amount and value_currency) or quantity.",
            required=True,
        ),
        *fuzzy_columns("date", "For a date: the date reported"),
        col("amount", NUMBER, "For value: the amount in the currency's units."),
        col("currency", STRING, "For value: ISO 4217 code of the currency."),
        col("quantity", INTEGER, "For quantity: the number of units."),
        col("value_text", STRING, "The value as the source words it."),
        col(
            "rank",
            STRING,
            "preferred (the value the record shows), normal (another reported value) or "
            "deprecated (reported, but held wrong).",
            required=True,
            enum=list(Rank.values),
        ),
        col("reason", STRING, "Why a value is deprecated (or preferred)."),
        *_evidence_columns(),
    ),
    primary_key=("id",),
    foreign_keys=_foreign_keys(_VALUES.targets),
)

_STATUS_LABELS: dict[str, Any] = dict(AgreementStatus.choices) | dict(DealStatus.choices)
_UPDATES = registry.STATUS_UPDATES
STATUS_UPDATES = Table(
    name=_UPDATES.csv_file,
    model=_UPDATES.model,
    title="Status updates",
    description="Each status an agreement or arms deal reached, as of a date, with the source "
    "reporting it. A record's status (in its own file) is that of its latest update.",
    columns=(
        *_record_columns(_UPDATES.targets),
        col(
            "status",
            STRING,
            "The status reached (code; the record file's status codes).",
            required=True,
            enum=list(_STATUS_LABELS),
        ),
        col(
            "status_label",
            STRING,
            "The status, in words.",
            lambda row: _STATUS_LABELS.get(row["status"], row["status"]),
            reads=("status",),
        ),
        *fuzzy_columns("as_of", "Since when the source has the record in this status"),
        col("note", STRING, "What the source says."),
        *_evidence_columns(),
    ),
    primary_key=("id",),
    foreign_keys=_foreign_keys(_UPDATES.targets),
)

#: The files of cited rows, in file order.
ROW_TABLES: tuple[Table, ...] = (REPORTED_VALUES, STATUS_UPDATES)

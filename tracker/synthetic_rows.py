"""Synthetic reported values and status updates, consistent with their records.

Called by :class:`tracker.synthetic.Generator` for each batch of records it
writes. The rows obey the rules the write path keeps (:mod:`tracker.claims`):
a preferred value equals the record's own field, a deprecated value has a
reason, and a record's status is its latest update's. About a tenth of the
exercises and valued deals are disputed, and about a third of the deals and
agreements have a history of status updates. They draw from their own random
sequence (``Generator.rows_rng``), so the records themselves are the same as
without them for a given seed.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from . import models
from .dates import Precision

if TYPE_CHECKING:
    from .synthetic import Generator

#: The order in which each record type's statuses are reached (last: where it stops).
DEAL_STEPS = ("reported", "signed", "in_delivery", "delivered")
AGREEMENT_STEPS = ("proposed", "negotiating", "signed", "ratified", "in_force", "expired")
#: Statuses ending a history early: reached from the step before the last.
ENDINGS = {"cancelled": "signed", "withdrawn": "in_force", "superseded": "in_force"}

DISPUTED_SHARE = 0.1
UPDATED_SHARE = 0.3


def _evidence(gen: Generator) -> dict:
    return {
        "source_id": gen.rows_rng.choice(gen.ids["source"]),
        "footnote": gen.rows_rng.randint(1, 60) if gen.rows_rng.random() < 0.5 else None,
        "locator": f"p. {gen.rows_rng.randint(1, 300)}",
    }


def disputed_dates(gen: Generator, key: str, field: str, records: list) -> list:
    """For a share of ``records``: their own ``field`` as the preferred value and another
    date, a month or a year off, as a normal or deprecated one."""
    rng, rows = gen.rows_rng, []
    for record in records:
        value = getattr(record, field)
        if value is None or rng.random() >= DISPUTED_SHARE:
            continue
        precision = getattr(record, f"{field}_precision")
        target = {f"{key}_id": record.pk, "field": field}
        rows.append(
            models.ReportedValue(
                **target,
                date=value,
                date_precision=precision,
                rank=models.Rank.PREFERRED,
                **_evidence(gen),
            )
        )
        other = dt.date(value.year - 1, 1, 1)
        deprecated = rng.random() < 0.3
        rows.append(
            models.ReportedValue(
                **target,
                date=other,
                date_precision=Precision.YEAR,
                rank=models.Rank.DEPRECATED if deprecated else models.Rank.NORMAL,
                reason="Confuses it with the year before." if deprecated else "",
                **_evidence(gen),
            )
        )
    return rows


def disputed_values(gen: Generator, deals: list) -> list:
    """For a share of valued ``deals``: their value as preferred and another as normal."""
    rng, rows = gen.rows_rng, []
    for deal in deals:
        if deal.value_amount is None or rng.random() >= DISPUTED_SHARE:
            continue
        for amount, rank in (
            (deal.value_amount, models.Rank.PREFERRED),
            (deal.value_amount + rng.randint(1, 500) * 1_000_000, models.Rank.NORMAL),
        ):
            rows.append(
                models.ReportedValue(
                    arms_deal_id=deal.pk,
                    field="value",
                    amount=amount,
                    currency=deal.value_currency,
                    rank=rank,
                    **_evidence(gen),
                )
            )
    return rows


def _steps(status: str, steps: tuple[str, ...]) -> list[str]:
    if status in ENDINGS:
        before = ENDINGS[status]
        return [*steps[: steps.index(before) + 1], status]
    return list(steps[: steps.index(status) + 1])


def status_updates(gen: Generator, key: str, records: list, date_field: str) -> list:
    """For a share of ``records``: one dated update per step up to the record's status,
    a year apart, from the year of the record's ``date_field`` (or 2000)."""
    rng, rows = gen.rows_rng, []
    steps = DEAL_STEPS if key == "arms_deal" else AGREEMENT_STEPS
    for record in records:
        if rng.random() >= UPDATED_SHARE:
            continue
        start = getattr(record, date_field)
        year = start.year if start is not None else 2000
        for offset, status in enumerate(_steps(record.status, steps)):
            rows.append(
                models.StatusUpdate(
                    **{f"{key}_id": record.pk},
                    status=status,
                    as_of=dt.date(min(year + offset, 2999), 1, 1),
                    as_of_precision=Precision.YEAR,
                    **_evidence(gen),
                )
            )
    return rows

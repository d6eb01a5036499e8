"""Schemathesis hooks for .ci/schemathesis: what the tracker's schema states beyond OpenAPI.

Loaded through ``SCHEMATHESIS_HOOKS``. Nothing here loosens a check; it teaches the
generator two things the schema declares in forms OpenAPI validators do not execute:

* ``x-parameter-rules`` on a list operation: combinations of query parameters the
  server refuses with 400 (``tracker/api/schema.py``, ``PARAMETER_RULES``). A case
  breaking one is no schema-valid request, so it is not sent as one.
* ``format: fuzzy-date``: a date in words (``tracker.dates.FuzzyDate.parse``); values
  are drawn from the forms docs/api.md lists, years 1000-2999.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

import schemathesis
from hypothesis import strategies as st

_PARTIAL = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")


def _period(text: object, last: bool) -> dt.date | None:
    """First (or last) day of ``2019``, ``2019-09`` or ``2019-09-01``; None if unreadable."""
    match = _PARTIAL.match(str(text))
    if match is None:
        return None
    year, month, day = match.groups()
    try:
        if day:
            return dt.date(int(year), int(month), int(day))
        if month:
            end = calendar.monthrange(int(year), int(month))[1] if last else 1
            return dt.date(int(year), int(month), end)
        return dt.date(int(year), 12, 31) if last else dt.date(int(year), 1, 1)
    except ValueError:
        return None


def _given(value: object) -> bool:
    return value is not None and value != [] and value != ""


def _breaks(rule: dict, query: dict) -> bool:
    """Whether ``query`` breaks one ``x-parameter-rules`` entry."""
    if "exclusive" in rule:
        return all(_given(query.get(name)) for name in rule["exclusive"])
    if "requires" in rule:
        first, second = rule["requires"]
        return _given(query.get(first)) and not _given(query.get(second))
    if "ordered" in rule:
        first, second = rule["ordered"]
        start, end = _period(query.get(first), False), _period(query.get(second), True)
        return start is not None and end is not None and end < start
    return False


@schemathesis.hook
def filter_case(context, case) -> bool:
    """Drop cases that break a parameter rule of their operation, unless they are meant
    to be invalid anyway (negative cases are checked as refusals either way)."""
    rules = context.operation.definition.raw.get("x-parameter-rules") if context.operation else None
    if not rules or not isinstance(case.query, dict):
        return True
    return not any(_breaks(rule, case.query) for rule in rules)


_MONTHS = [calendar.month_name[n] for n in range(1, 13)]
_YEARS = st.integers(min_value=1000, max_value=2999)


@st.composite
def _fuzzy_date(draw) -> str:
    year = draw(_YEARS)
    month = draw(st.integers(min_value=1, max_value=12))
    day = draw(st.integers(min_value=1, max_value=calendar.monthrange(year, month)[1]))
    name = _MONTHS[month - 1]
    base, is_day = draw(
        st.sampled_from(
            [
                (f"{year}", False),
                (f"{year}-{month:02d}", False),
                (f"{year}-{month:02d}-{day:02d}", True),
                (f"{name} {year}", False),
                (f"{name[:3]} {year}", False),
                (f"{day} {name} {year}", True),
                (f"{name} {day}, {year}", True),
                (f"{year - year % 10}s", False),
            ]
        )
    )
    # Early, mid and end of need a period longer than a day.
    qualifiers = ["", "c. ", "about "] + ([] if is_day else ["early ", "mid-", "end of ", "late "])
    return draw(st.sampled_from(qualifiers)) + base


schemathesis.openapi.format("fuzzy-date", _fuzzy_date())

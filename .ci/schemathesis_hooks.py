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


def _link(value: object) -> object:
    return value.get("slug") if isinstance(value, dict) else value


def _row_key(row: object, keys: list[str]) -> tuple:
    row = row if isinstance(row, dict) else {}
    # Locators "", null and absent are one locator (tracker.models.normalise_locator).
    return tuple(
        (str(row.get(k) or "").strip() if k == "locator" else _link(row.get(k))) for k in keys
    )


def _breaks_body(rule: dict, body: dict) -> bool:
    """Whether ``body`` breaks one ``x-body-rules`` entry of its request component."""
    if "unique" in rule:
        rows = body.get(rule["list"])
        if not isinstance(rows, list):
            return False
        keys = [_row_key(row, rule["unique"]) for row in rows]
        return len(keys) != len(set(map(repr, keys)))
    if "distinct" in rule:
        first, second = (_link(body.get(name)) for name in rule["distinct"])
        return first is not None and first == second
    return False


def _body_rules(operation) -> list[dict]:
    """The ``x-body-rules`` of the operation's JSON request component, if any."""
    content = operation.definition.raw.get("requestBody", {}).get("content", {})
    ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
    if not ref.startswith("#/components/schemas/"):
        return []
    components = operation.schema.raw_schema.get("components", {}).get("schemas", {})
    return components.get(ref.rsplit("/", 1)[1], {}).get("x-body-rules", [])


@schemathesis.hook
def filter_case(context, case) -> bool:
    """Drop cases that break a parameter or body rule of their operation."""
    if context.operation is None:
        return True
    rules = context.operation.definition.raw.get("x-parameter-rules") or []
    query = case.query if isinstance(case.query, dict) else {}
    body = case.body if isinstance(case.body, dict) else {}
    return not (
        any(_breaks(rule, query) for rule in rules)
        or any(_breaks_body(rule, body) for rule in _body_rules(context.operation))
    )


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

_LABEL = st.from_regex(r"\A[a-z][a-z0-9]{0,20}\Z")
schemathesis.openapi.format(
    "http-url",
    st.just("")
    | st.builds(
        "{}://{}.{}/{}".format,
        st.sampled_from(["http", "https"]),
        _LABEL,
        st.sampled_from(["org", "com", "ru", "cn"]),
        st.from_regex(r"\A[a-z0-9/-]{0,40}\Z"),
    ),
)

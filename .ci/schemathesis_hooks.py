"""Schemathesis hooks for .ci/schemathesis: what the tracker's schema states beyond OpenAPI.

Loaded through ``SCHEMATHESIS_HOOKS``. Nothing here loosens a check; it teaches the
generator two things the schema declares in forms OpenAPI validators do not execute:

* ``x-parameter-rules`` on a list operation: combinations of query parameters the
  server refuses with 400 (``tracker/api/schema.py``, ``PARAMETER_RULES``). A case
  breaking one is no schema-valid request, so it is not sent as one.
* ``format: fuzzy-date``: a date in words (``tracker.dates.FuzzyDate.parse``); values
  are drawn from the forms docs/api.md lists, years 1000-2999; ``plain-fuzzy-date``,
  the date of the object form, the same without a qualifier.
* ``x-body-rules`` ``dates``: the rules between a date object's fields (precision and
  date, qualifier and precision), which JSON Schema cannot state.
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
    if "needs" in rule or "once" in rule:
        rows = body.get(rule["list"])
        rows = [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []
        if "once" in rule:
            ((key, value),) = rule["once"].items()
            picked = [repr(row.get(rule["per"])) for row in rows if row.get(key) == value]
            return len(picked) != len(set(picked))
        return any(_lacks(row, rule["needs"]) for row in rows)
    if "dates" in rule and "list" in rule:
        rows = body.get(rule["list"])
        rows = [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []
        return any(_incoherent_date(row.get(name)) for row in rows for name in rule["dates"])
    if "dates" in rule:
        return any(_incoherent_date(body.get(name)) for name in rule["dates"])
    return False


def _filled(value: object) -> bool:
    """Given: not null, not blank, not the unknown date."""
    if isinstance(value, dict):
        return _filled(value.get("date"))
    if isinstance(value, str):
        return value.strip() != ""
    return value is not None


def _lacks(row: dict, needs: dict) -> bool:
    """Whether a row lacks a key its ``x-body-rules`` ``needs`` asks for."""
    for key, table in needs.items():
        value = row.get(key)
        wanted = table.get(value, table.get("*", [])) if isinstance(value, str) else []
        if not all(_filled(row.get(name)) for name in wanted):
            return True
    return False


#: Precisions from coarsest to finest, and the words ``plain-fuzzy-date`` gives.
_RANKS = {"decade": 0, "year": 1, "month": 2, "day": 3}
_MONTH_NUMBERS = {
    name.lower(): number
    for number in range(1, 13)
    for name in (calendar.month_name[number], calendar.month_abbr[number])
}
_WORD_FORMS = (
    (re.compile(r"^([0-9]{4})s$"), "decade"),
    (re.compile(r"^([A-Za-z]+) ([0-9]{4})$"), "month"),
    (re.compile(r"^([0-9]{1,2}) ([A-Za-z]+) ([0-9]{4})$"), "day"),
    (re.compile(r"^([A-Za-z]+) ([0-9]{1,2}), ([0-9]{4})$"), "day"),
)


def _read_plain(text: str) -> tuple[dt.date, str] | None:
    """First day and precision of a date in words without qualifier; None if unread."""
    match = _PARTIAL.match(text)
    if match is not None:
        first = _period(text, False)
        detail = ("year", "month", "day")[sum(1 for part in match.groups() if part) - 1]
        return (first, detail) if first is not None else None
    for pattern, detail in _WORD_FORMS:
        match = pattern.match(text)
        if match is None:
            continue
        parts = match.groups()
        try:
            if detail == "decade":
                return dt.date(int(parts[0]), 1, 1), detail
            if detail == "month":
                return dt.date(int(parts[1]), _MONTH_NUMBERS[parts[0].lower()], 1), detail
            day, month = (parts[0], parts[1]) if parts[0].isdigit() else (parts[1], parts[0])
            return dt.date(int(parts[2]), _MONTH_NUMBERS[month.lower()], int(day)), detail
        except (KeyError, ValueError):
            return None
    return None


def _first_day(value: dt.date, precision: str) -> dt.date:
    if precision == "day":
        return value
    if precision == "month":
        return value.replace(day=1)
    year = value.year - value.year % 10 if precision == "decade" else value.year
    return dt.date(year, 1, 1)


def _incoherent_date(value: object) -> bool:
    """Whether a date object breaks the rules between its fields: a stated precision
    finer than the date or coarser than its detail, or early/mid/end of a day."""
    if not isinstance(value, dict) or not isinstance(value.get("date"), str):
        return False
    read = _read_plain(value["date"].strip())
    if read is None:
        return False
    first, detail = read
    precision = value.get("precision")
    if isinstance(precision, str) and precision in _RANKS:
        if _RANKS[precision] > _RANKS[detail] or _first_day(first, precision) != first:
            return True
        detail = precision
    return detail == "day" and value.get("qualifier") in ("early", "mid", "end")


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
def _fuzzy_date(draw, qualified: bool = True) -> str:
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
    if not qualified:
        return base
    # Early, mid and end of need a period longer than a day.
    qualifiers = ["", "c. ", "about "] + ([] if is_day else ["early ", "mid-", "end of ", "late "])
    return draw(st.sampled_from(qualifiers)) + base


schemathesis.openapi.format("fuzzy-date", _fuzzy_date())
# The object form's date: the same words without a qualifier (that is its own key).
schemathesis.openapi.format("plain-fuzzy-date", _fuzzy_date(qualified=False))

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

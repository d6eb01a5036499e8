"""Dates with precision: the one implementation every model uses.

Sources date events to the day ("3 October 2019"), the month ("September
2019"), the year ("2016") or the decade ("the 1980s"), and sometimes loosely
("the end of 2016"). A fuzzy date is stored in three columns:

``<name>``            a ``DateField`` holding the *first day* of the period
``<name>_precision``  a Wikidata precision code (8 decade ... 11 day)
``<name>_qualifier``  what the text says loosely (approximate, early, mid, end)

Storing the first day of the period keeps SQL ordering and range comparison
plain and portable (no date functions in constraints or filters). A date
that is not known is stored as three empty values and displayed as such; it
is never invented.

Editors and API clients write a date in words, as the source does
(``end of 2016``, ``Sep 2019``, ``1980s``): :meth:`FuzzyDate.parse` is the one
reader of those words and :meth:`FuzzyDate.display` writes them back.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import F, Q


class Precision(models.IntegerChoices):
    """Wikidata's precision codes, restricted to those the tracker needs."""

    DECADE = 8, "decade"
    YEAR = 9, "year"
    MONTH = 10, "month"
    DAY = 11, "day"


class Qualifier(models.TextChoices):
    """How loosely the source words the date."""

    NONE = "", "as stated"
    APPROXIMATE = "approximate", "approximately (c.)"
    EARLY = "early", "early"
    MID = "mid", "mid"
    END = "end", "end of"


# Early/mid/end describe a part of a period, so they need a period.
PERIOD_QUALIFIERS = (Qualifier.EARLY, Qualifier.MID, Qualifier.END)

#: English month names, whatever the locale (``%B`` would follow it).
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

#: The years a date may have: four digits, none before 1000 nor after 2999.
FIRST_YEAR, LAST_YEAR = 1000, 2999

#: The forms :meth:`FuzzyDate.parse` reads, for help texts and refusals.
ACCEPTED_FORMS = (
    "16 September 2019, September 16, 2019 or 2019-09-16; September 2019, Sep 2019 or 2019-09; "
    "2019; 1980s. Before it, when the source is loose: c. or about, early, mid-, end of or late "
    "(c. 2005, mid-1990s, end of 2016). Years 1000–2999; empty if unknown."
)


def normalise(value: dt.date, precision: int) -> dt.date:
    """Return the first day of the period ``value`` falls in at ``precision``."""
    if precision == Precision.DAY:
        return value
    if precision == Precision.MONTH:
        return value.replace(day=1)
    if precision == Precision.YEAR:
        return value.replace(month=1, day=1)
    if precision == Precision.DECADE:
        return dt.date(value.year - value.year % 10, 1, 1)
    raise ValueError(f"unknown precision {precision!r}")


def period_end(value: dt.date, precision: int) -> dt.date:
    """Return the last day of the period that starts at ``value``."""
    if precision == Precision.DAY:
        return value
    if precision == Precision.MONTH:
        return value.replace(day=calendar.monthrange(value.year, value.month)[1])
    if precision == Precision.YEAR:
        return dt.date(value.year, 12, 31)
    if precision == Precision.DECADE:
        return dt.date(value.year + 9, 12, 31)
    raise ValueError(f"unknown precision {precision!r}")


@dataclass(frozen=True)
class FuzzyDate:
    """A date, its precision and an optional qualifier; ``value`` None means unknown."""

    value: dt.date | None
    precision: int | None = None
    qualifier: str = ""

    @classmethod
    def parse(cls, text: str | None) -> FuzzyDate:
        """Read a date as people write it: ``end of 2016``, ``Sep 2019``, ``2019-09-16``.

        The precision follows from the form and the qualifier from the words
        before it (:data:`ACCEPTED_FORMS`), so nobody pads a month or a year
        with an invented day. Empty (or ``date unknown``, what :meth:`display`
        shows for it) is the unknown date. Anything that could be read two ways
        (``09/08/2021``) or not at all is refused with a ``ValidationError``
        listing the accepted forms; ``parse(d.display()) == d`` for every date.
        """
        return _parse(text or "")

    @property
    def is_known(self) -> bool:
        return self.value is not None

    @property
    def earliest(self) -> dt.date | None:
        """First day the date can mean."""
        return self.value

    @property
    def latest(self) -> dt.date | None:
        """Last day the date can mean."""
        if self.value is None or self.precision is None:
            return None
        return period_end(self.value, self.precision)

    @property
    def iso(self) -> str:
        """The shortest ISO 8601 form that carries the precision (``2019-09``)."""
        if self.value is None:
            return ""
        if self.precision == Precision.DAY:
            return self.value.isoformat()
        if self.precision == Precision.MONTH:
            return f"{self.value:%Y-%m}"
        if self.precision == Precision.YEAR:
            return f"{self.value.year:04d}"
        return f"{self.value.year:04d}s"

    def display(self) -> str:
        """Human form: ``3 October 2019``, ``September 2019``, ``end of 2016``, ``1980s``."""
        if self.value is None:
            return "date unknown"
        value, precision = self.value, self.precision
        month = MONTH_NAMES[value.month - 1]
        if precision == Precision.DAY:
            base = f"{value.day} {month} {value.year}"
        elif precision == Precision.MONTH:
            base = f"{month} {value.year}"
        elif precision == Precision.YEAR:
            base = str(value.year)
        else:
            base = f"{value.year}s"
        if self.qualifier == Qualifier.APPROXIMATE:
            return f"c. {base}"
        if self.qualifier == Qualifier.EARLY:
            return f"early {base}"
        if self.qualifier == Qualifier.MID:
            return f"mid-{base}"
        if self.qualifier == Qualifier.END:
            return f"end of the {base}" if precision == Precision.DECADE else f"end of {base}"
        return base

    def __str__(self) -> str:
        return self.display()

    def errors(self) -> list[str]:
        """What is wrong with this date, in words an editor understands."""
        if self.value is None:
            problems = []
            if self.precision is not None:
                problems.append("A precision is set but the date is empty.")
            if self.qualifier:
                problems.append("A qualifier is set but the date is empty.")
            return problems
        if self.precision is None:
            return ["Say how precise the date is (day, month, year or decade)."]
        if self.precision not in Precision.values:
            return [f"{self.precision} is not a known precision."]
        problems = []
        expected = normalise(self.value, self.precision)
        if expected != self.value:
            label = Precision(self.precision).label
            problems.append(
                f"A date with {label} precision is stored as the first day of its {label}: "
                f"use {expected.isoformat()} for {FuzzyDate(expected, self.precision).display()}."
            )
        if self.qualifier not in Qualifier.values:
            problems.append(f"“{self.qualifier}” is not a known qualifier.")
        elif self.precision == Precision.DAY and self.qualifier in PERIOD_QUALIFIERS:
            problems.append("Early, mid and end of need a month, year or decade, not a day.")
        return problems


# ----------------------------------------------------------------------------
# Reading dates as people write them
# ----------------------------------------------------------------------------
_MONTHS = {name.lower(): number for number, name in enumerate(MONTH_NAMES, start=1)}
_MONTHS |= {name[:3].lower(): number for number, name in enumerate(MONTH_NAMES, start=1)}
_MONTHS["sept"] = 9

# What each qualifier is written as, the space or hyphen after it included.
# "Late" is the end of the period: the stored qualifiers have no other word for it.
_QUALIFIER_WORDS = tuple(
    (qualifier, re.compile(pattern))
    for qualifier, pattern in (
        (
            Qualifier.APPROXIMATE,
            r"(?:c|ca|approx)\.\s*|(?:c|ca|circa|about|around|approx|approximately)\s+|~\s*",
        ),
        (Qualifier.EARLY, r"early(?:\s+|-)|(?:the\s+)?(?:beginning|start)\s+of\s+"),
        (Qualifier.MID, r"mid(?:\s+|-)|(?:the\s+)?middle\s+of\s+"),
        (Qualifier.END, r"late(?:\s+|-)|(?:the\s+)?end(?:\s+of)?(?:\s+|-)"),
    )
)

_YEAR = r"(?P<year>\d+)"
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_MONTH_WORD = r"(?P<month>[a-z]+)\.?"
_BASE_FORMS = tuple(
    (re.compile(pattern), precision)
    for pattern, precision in (
        (rf"{_YEAR}-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})", Precision.DAY),
        (rf"{_YEAR}-(?P<month>\d{{1,2}})", Precision.MONTH),
        (_YEAR, Precision.YEAR),
        (rf"(?:the\s+)?{_YEAR}['’]?s", Precision.DECADE),
        (rf"{_DAY}\s+{_MONTH_WORD},?\s+{_YEAR}", Precision.DAY),
        (rf"{_MONTH_WORD}\s+{_DAY},?\s+{_YEAR}", Precision.DAY),
        (rf"{_MONTH_WORD},?\s+{_YEAR}", Precision.MONTH),
    )
)
# Day and month in either order: 09/08/2021 is 9 August in Europe, 8 September in the US.
_NUMERIC_DAY_AND_MONTH = re.compile(r"\d{1,2}\s*[/.]\s*\d{1,2}\s*[/.]\s*\d{2,4}")
_UNKNOWN = ("", "unknown", "date unknown")
#: Longer input is no date; refused before any pattern reads it.
MAX_DATE_TEXT = _MAX_LENGTH = 60


class _Unreadable(Exception):
    """Why a text is not a date (empty when no accepted form comes close)."""


def _parse(text: str) -> FuzzyDate:
    shown = text.strip()
    words = " ".join(shown.lower().split())
    if words in _UNKNOWN:
        return FuzzyDate(None)
    try:
        if len(text) > _MAX_LENGTH:
            raise _Unreadable("it is too long to be a date")
        qualifier, rest = Qualifier.NONE, words
        for candidate, pattern in _QUALIFIER_WORDS:
            match = pattern.match(words)
            if match:
                qualifier, rest = candidate, words[match.end() :]
                break
        if qualifier and any(pattern.match(rest) for _, pattern in _QUALIFIER_WORDS):
            raise _Unreadable("a date has one qualifier at most")
        value, precision = _read_date(rest)
    except _Unreadable as exc:
        reason = f": {exc}" if str(exc) else ""
        if len(shown) > _MAX_LENGTH:
            shown = shown[: _MAX_LENGTH - 1] + "…"
        raise ValidationError(
            f"“{shown}” is not a date the tracker can read{reason}. Accepted: {ACCEPTED_FORMS}",
            code="invalid_date",
        ) from None
    parsed = FuzzyDate(value, int(precision), str(qualifier))
    problems = parsed.errors()
    if problems:
        raise ValidationError([f"“{shown}”: {p}" for p in problems], code="invalid_date")
    return parsed


def _read_date(text: str) -> tuple[dt.date, Precision]:
    """The first day and precision of a date without its qualifier."""
    if _NUMERIC_DAY_AND_MONTH.fullmatch(text):
        raise _Unreadable(
            "the order of day and month differs between countries; write the month as a word "
            "(8 September 2021) or the year first (2021-09-08)"
        )
    for pattern, precision in _BASE_FORMS:
        match = pattern.fullmatch(text)
        if match:
            return _first_day(match.groupdict(), precision), precision
    raise _Unreadable("")


def _first_day(parts: dict[str, str], precision: Precision) -> dt.date:
    year = int(parts["year"])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise _Unreadable(f"years run from {FIRST_YEAR} to {LAST_YEAR} only")
    if precision == Precision.DECADE and year % 10:
        raise _Unreadable(f"a decade is written with its first year ({year - year % 10}s)")
    month = parts.get("month") or "1"
    if not month.isdigit():
        if month not in _MONTHS:
            raise _Unreadable(
                f"“{month}” is neither an English month name nor a qualifier the tracker keeps"
            )
        month = _MONTHS[month]
    try:
        return dt.date(year, int(month), int(parts.get("day") or 1))
    except ValueError as exc:
        raise _Unreadable(f"no such date ({exc})") from None


def fuzzy_date_fields(
    verbose_name: str, help_text: str = ""
) -> tuple[models.DateField, models.PositiveSmallIntegerField, models.CharField]:
    """The three columns of one fuzzy date; unpack them into a model body.

    ``start_date, start_date_precision, start_date_qualifier = fuzzy_date_fields("start")``
    """
    return (
        models.DateField(
            verbose_name,
            null=True,
            blank=True,
            db_index=True,
            help_text=help_text
            or "First day of the period: 2019-09-01 for “September 2019”. Empty if unknown.",
        ),
        models.PositiveSmallIntegerField(
            f"{verbose_name} precision",
            choices=Precision.choices,
            null=True,
            blank=True,
            help_text="How precisely the source dates it.",
        ),
        models.CharField(
            f"{verbose_name} qualifier",
            max_length=12,
            choices=Qualifier.choices,
            blank=True,
            default="",
            help_text="What the source says loosely, e.g. “end of 2016”.",
        ),
    )


class FuzzyDateAttribute:
    """Descriptor exposing the three columns named ``field`` as one :class:`FuzzyDate`."""

    def __init__(self, field: str):
        self.field = field

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        return FuzzyDate(
            getattr(instance, self.field),
            getattr(instance, f"{self.field}_precision"),
            getattr(instance, f"{self.field}_qualifier"),
        )

    def __set__(self, instance, value: FuzzyDate | None) -> None:
        value = value or FuzzyDate(None)
        setattr(instance, self.field, value.value)
        setattr(instance, f"{self.field}_precision", value.precision)
        setattr(instance, f"{self.field}_qualifier", value.qualifier)


def fuzzy_date_constraints(field: str) -> list[models.CheckConstraint]:
    """Database checks for one fuzzy date (normalisation is checked in ``clean``)."""
    precision, qualifier = f"{field}_precision", f"{field}_qualifier"
    return [
        models.CheckConstraint(
            condition=Q(**{f"{field}__isnull": True, f"{precision}__isnull": True})
            | Q(
                **{
                    f"{field}__isnull": False,
                    f"{precision}__isnull": False,
                    f"{precision}__in": Precision.values,
                }
            ),
            name=f"%(app_label)s_%(class)s_{field}_precision",
            violation_error_message=f"{field}: a date needs a precision, and only a date has one.",
        ),
        models.CheckConstraint(
            condition=Q(**{f"{qualifier}__in": Qualifier.values})
            & (Q(**{f"{field}__isnull": False}) | Q(**{qualifier: ""}))
            & (
                ~Q(**{precision: Precision.DAY})
                | Q(**{f"{qualifier}__in": [Qualifier.NONE, Qualifier.APPROXIMATE]})
            ),
            name=f"%(app_label)s_%(class)s_{field}_qualifier",
            violation_error_message=f"{field}: the qualifier does not fit the date.",
        ),
    ]


def date_order_constraint(start: str, end: str) -> models.CheckConstraint:
    """Database check that ``end`` is not before ``start``."""
    return models.CheckConstraint(
        condition=Q(**{f"{start}__isnull": True})
        | Q(**{f"{end}__isnull": True})
        | Q(**{f"{end}__gte": F(start)}),
        name=f"%(app_label)s_%(class)s_{end}_not_before_{start}",
        violation_error_message=f"{end} is before {start}.",
    )


def overlap_q(start: str, end: str | None, date_from: dt.date | None, date_to: dt.date | None) -> Q:
    """Rows whose period (``start`` to ``end``) overlaps ``date_from``–``date_to``.

    A row's period runs from its start's first day to the last day of its end
    (or of its start when it has no end), at each date's own precision. Rows
    whose date is unknown never match a date range. Portable SQL only.
    """
    condition = Q(**{f"{start}__isnull": False})
    if date_to is not None:
        condition &= Q(**{f"{start}__lte": date_to})
    if date_from is not None:
        latest_bound = Q()
        for precision in Precision.values:
            # The period ends on or after date_from iff its first day is on or
            # after date_from truncated to the same precision.
            floor = normalise(date_from, precision)
            started_after = Q(**{f"{start}_precision": precision, f"{start}__gte": floor})
            if end is None:
                latest_bound |= started_after
            else:
                latest_bound |= Q(**{f"{end}__isnull": True}) & started_after
                latest_bound |= Q(**{f"{end}_precision": precision, f"{end}__gte": floor})
        condition &= latest_bound
        if end is None:
            # Implied by the bounds above (the coarsest precision's floor is the
            # earliest), but sargable: an index on the date can start its range
            # scan here instead of filtering every older row.
            condition &= Q(**{f"{start}__gte": normalise(date_from, Precision.DECADE)})
    return condition


def precision_index(prefix: str, field: str) -> models.Index:
    """An index on (precision, date), which :func:`earliest_match` probes."""
    return models.Index(fields=[f"{field}_precision", field], name=f"{prefix}_{field}_prec_idx")


def earliest_match(queryset: models.QuerySet, field: str, date_from: dt.date) -> dt.date | None:
    """The earliest ``field`` of a row whose single date reaches ``date_from`` (None: no row).

    ``overlap_q`` on a single date is an OR with one floor per precision, and an
    index scan cannot start at an OR: a list ordered by the date read every row
    from the coarsest floor (up to a decade before ``date_from``) and dropped
    the finer-grained ones. Adding ``field >= earliest_match(...)`` to the
    filter changes no result and lets the scan start at the first match. One
    probe of :func:`precision_index` per precision, sent together
    (:func:`first_rows`).
    """
    manager = queryset.model._default_manager.using(queryset.db)
    probes = [
        manager.filter(
            **{f"{field}_precision": precision, f"{field}__gte": normalise(date_from, precision)}
        )
        .order_by(field)
        .values_list(field, flat=True)[:1]
        for precision in Precision.values
    ]
    return min(first_rows(probes), default=None)


def first_rows(probes: list[models.QuerySet]) -> list:
    """Every row of ``probes`` (each ordered and cut to its first rows), in their order.

    One ``UNION ALL`` of them where the database keeps each part's own order and
    limit (PostgreSQL): each part is still one read of its index, and the probes
    cost one round trip instead of one each (about 0.25 ms apiece through Django).
    """
    if len(probes) > 1 and connections[probes[0].db].features.supports_slicing_ordering_in_compound:
        return list(probes[0].union(*probes[1:], all=True))
    return [row for probe in probes for row in probe]

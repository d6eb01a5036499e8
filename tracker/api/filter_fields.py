"""Query parameter fields and filters the API's FilterSets are built from.

Each checks its value before any query, so a bad value is a 400 that names
the parameter, never a 500 (PostgreSQL refuses NULs, dates beyond its range):
identifiers (:class:`AllOfFilter`), footnote numbers, UTC date-times, partial
dates, free text, yes/no, and ordering with ties broken by identifier. Each
describes itself for the OpenAPI schema. The FilterSets that combine them per
record type are in :mod:`tracker.api.filters`.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable

import django_filters
from django import forms
from django.core.validators import validate_slug
from django.db.models import F, Q, QuerySet
from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError

from ..codes import whole_number
from ..internals import ChoiceIteratorBase
from ..public import published, sees_drafts
from .schema import MAX_IDENTIFIER_LENGTH, NO_NUL_PATTERN, SLUG_PATTERN


class SharedChoices(ChoiceIteratorBase):
    """Choices shared, never copied or rebuilt, by the filters and form fields using them.

    For every request django-filter deep copies each filter, builds its form
    field (which normalises the choices into a new list) and the form deep
    copies the field: for 250 countries that was more work than the rest of a
    list's filtering. Django keeps a choice iterator
    (:data:`tracker.internals.ChoiceIteratorBase`) as it is; the choices never change.
    """

    def __init__(self, choices):
        self.choices = tuple(choices)

    def __iter__(self):
        return iter(self.choices)

    def __len__(self) -> int:
        return len(self.choices)

    def __deepcopy__(self, memo) -> SharedChoices:
        return self


COUNTRY_CHOICES = SharedChoices((code, name) for code, name in countries)


class DeclaredFilters(dict):
    """A filterset's declared filters, copied one level deep for each request.

    django-filter deep copies every filter for each filterset it builds: the
    querysets and choices inside them too, 1.6 ms of a 16 ms list page. A
    filter's own attributes are all a request changes (its ``parent`` and
    ``model``), so each filter is copied alone; what it holds is shared and
    never changed (a model choice field clones the queryset it is given).
    """

    def __deepcopy__(self, memo) -> dict:
        return {name: fresh_filter(filter_) for name, filter_ in self.items()}


def fresh_filter(filter_: django_filters.Filter) -> django_filters.Filter:
    """A copy of ``filter_`` for one filterset: its own attributes, a form field of its own."""
    clone = copy.copy(filter_)
    clone.__dict__.pop("_field", None)
    # A model choice filter writes its (request's) queryset into ``extra``.
    clone.extra = dict(filter_.extra)
    if filter_.method is not None:
        # Re-bound: the copied FilterMethod would look the method up on the original's parent.
        clone.method = filter_.method
    return clone


class SlugListField(forms.Field):
    """One or more identifiers, checked for their form before any query (PostgreSQL
    refuses NULs). Whether such records exist is the filter's business."""

    widget = forms.SelectMultiple

    def to_python(self, value):
        items = value if isinstance(value, (list, tuple)) else [value]
        slugs = []
        for item in items:
            try:
                validate_slug(str(item))
                if len(str(item)) > MAX_IDENTIFIER_LENGTH:
                    raise forms.ValidationError("too long")
            except forms.ValidationError as exc:
                # The value goes in params: django-filter %-formats every message.
                raise forms.ValidationError(
                    "“%(value)s” is not an identifier.",
                    code="invalid_choice",
                    params={"value": str(item)[:120]},
                ) from exc
            slugs.append(str(item))
        return slugs


class AllOfFilter(django_filters.MultipleChoiceFilter):
    """Records linked to every one of the given records: one subquery per record, or one
    for all of them (``every``).

    Per record, the rows are found by the links of the first record (in the records'
    default order); each other record's are tested on each of those rows
    (``condition(record, per_row=True)``: on PostgreSQL, a hash of its keys). Each
    set of keys named by an array, PostgreSQL tested each row against the second
    one element at a time: two sets of 17,000 keys (two footnotes' at a million
    statements) took 14 s so.

    An identifier no record has matches nothing: the list is empty (200), as
    for any other value no record is linked to. For the public, a draft's
    identifier is one no record has (:mod:`tracker.public`): filtering by it
    tells nothing about the draft.
    """

    field_class = SlugListField

    def __init__(
        self,
        *args,
        queryset: QuerySet,
        condition: Callable[..., Q] | None = None,
        every: Callable[[list], Q] | None = None,
        **kwargs,
    ):
        """``condition(record, per_row=False)``: rows linked to one record; or
        ``every(records)``: rows linked to all of them, as one condition."""
        if (condition is None) == (every is None):
            raise TypeError("AllOfFilter takes one of condition and every")
        self.condition, self.every = condition, every
        self.records = queryset
        super().__init__(*args, **kwargs)
        # Described for OpenAPI as identifiers (the model field cannot be guessed).
        extend_schema_field(
            {
                "type": "string",
                "pattern": SLUG_PATTERN,
                "description": str(kwargs.get("help_text", "")),
            }
        )(self)

    def filter(self, qs: QuerySet, value) -> QuerySet:
        wanted = set(value or ())
        if not wanted:
            return qs
        records = self.records
        if reads_as_public(self):
            records = published(records)
        found = list(records.filter(slug__in=wanted))
        if len(found) < len(wanted):
            return qs.none()
        if self.every is not None:
            return qs.filter(self.every(found))
        for number, item in enumerate(found):
            qs = qs.filter(self.condition(item, per_row=number > 0))
        return qs


def reads_as_public(filter_: django_filters.Filter) -> bool:
    """Whether the request a filter serves reads what the public reads (no drafts)."""
    request = getattr(getattr(filter_, "parent", None), "request", None)
    return not sees_drafts(getattr(request, "user", None))


class AllOfValuesFilter(django_filters.MultipleChoiceFilter):
    """Like :class:`AllOfFilter`, for plain values (country codes):
    ``condition(value, public)``, ``public`` as :func:`reads_as_public`."""

    def __init__(self, *args, condition: Callable[[object, bool], Q], **kwargs):
        self.condition = condition
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value) -> QuerySet:
        public = reads_as_public(self)
        for item in value or ():
            qs = qs.filter(self.condition(item, public))
        return qs


class FootnoteField(forms.Field):
    """One or more footnote numbers, each between 1 and 32767."""

    widget = forms.SelectMultiple

    def to_python(self, value):
        items = value if isinstance(value, (list, tuple)) else [value]
        numbers = []
        for item in items:
            text = str(item).strip()
            number = whole_number(text, 1, 32767)
            if number is None:
                raise forms.ValidationError(
                    "“%(value)s” is not a footnote number (1–32767).", params={"value": text[:20]}
                )
            numbers.append(number)
        return numbers


class FootnoteFilter(django_filters.MultipleChoiceFilter):
    """Records citing every one of the given footnotes (``condition(numbers, public)``:
    for the public, in citations it reads, :func:`reads_as_public`)."""

    field_class = FootnoteField

    def __init__(self, *args, condition: Callable[[list[int], bool], Q], **kwargs):
        self.condition = condition
        super().__init__(*args, **kwargs)
        extend_schema_field({"type": "integer", "minimum": 1, "maximum": 32767})(self)

    def filter(self, qs: QuerySet, value) -> QuerySet:
        return qs.filter(self.condition(list(value), reads_as_public(self))) if value else qs


class UTCDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time converted to UTC before any query.

    A date-time whose UTC time falls outside the years 1 to 9999 (``0001-01-01T00:00:00+01:00``)
    is a valid date-time all the same: it is read as the earliest or latest instant,
    which selects the same rows.
    """

    def clean(self, value):
        value = super().clean(value)
        if value is None:
            return value
        try:
            return value.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            edge = dt.datetime.min if value.year == dt.MINYEAR else dt.datetime.max
            return edge.replace(tzinfo=dt.UTC)


class UTCDateTimeFilter(django_filters.IsoDateTimeFilter):
    """``IsoDateTimeFilter`` whose value is checked and converted to UTC."""

    field_class = UTCDateTimeField


#: ``date_from``/``date_to``: a year, a month or a day, years 1000 to 9999.
PARTIAL_DATE_RE = re.compile(
    r"^(?P<year>[1-9][0-9]{3})(?:-(?P<month>0[1-9]|1[0-2])(?:-(?P<day>[0-9]{2}))?)?$"
)
#: The same in the schema: a year or a month by pattern, a day as ``format: date``.
PARTIAL_DATE_SCHEMA = {
    "anyOf": [
        {"type": "string", "pattern": r"^[1-9][0-9]{3}(-(0[1-9]|1[0-2]))?$"},
        {"type": "string", "format": "date", "pattern": r"^[1-9][0-9]{3}-"},
    ]
}


class PartialDateField(forms.Field):
    """``2019``, ``2019-09`` or ``2019-09-01``: the first day of that period (``date_from``)
    or its last (``date_to``, so that ``date_to=2019`` includes December)."""

    def __init__(self, *args, last_day: bool = False, **kwargs):
        self.last_day = last_day
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        match = PARTIAL_DATE_RE.match(str(value))
        try:
            if match is None:
                raise ValueError
            year, month, day = (match[name] for name in ("year", "month", "day"))
            if day is not None:
                return dt.date(int(year), int(month), int(day))
            if month is not None:
                first = dt.date(int(year), int(month), 1)
                if not self.last_day:
                    return first
                following = (first + dt.timedelta(days=31)).replace(day=1)
                return following - dt.timedelta(days=1)
            return dt.date(int(year), 12, 31) if self.last_day else dt.date(int(year), 1, 1)
        except ValueError:
            raise forms.ValidationError(
                "“%(value)s” is no date: give YYYY, YYYY-MM or YYYY-MM-DD (years 1000–9999).",
                params={"value": str(value)[:40]},
            ) from None


class PartialDateFilter(django_filters.Filter):
    """``date_from`` / ``date_to``: a checked date, applied in ``filter_queryset``."""

    field_class = PartialDateField

    def __init__(self, *args, last_day: bool = False, **kwargs):
        super().__init__(*args, last_day=last_day, **kwargs)
        extend_schema_field(PARTIAL_DATE_SCHEMA)(self)


def text_filter(max_length: int, help_text: str, **kwargs) -> django_filters.CharFilter:
    """A free-text filter: at most ``max_length`` characters (400 beyond), in the schema too."""
    text = django_filters.CharFilter(max_length=max_length, help_text=help_text, **kwargs)
    extend_schema_field(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": max_length,
            "pattern": NO_NUL_PATTERN,
            "description": help_text,
        }
    )(text)
    return text


class StableOrderingFilter(django_filters.OrderingFilter):
    """Orders by the requested fields, empty dates last, then by identifier.

    The identifier breaks ties so that paging never skips or repeats a
    record, and empty values sort last on every database.
    """

    def filter(self, qs: QuerySet, value) -> QuerySet:
        if not value:
            return qs
        if any(param.lstrip("-") not in self.param_map for param in value):
            # An empty item ("ordering=,") passes django-filter's choice check; every
            # item is checked, also those after the slug, which end the ordering.
            raise ValidationError(
                {"ordering": [f"Choose from {', '.join(sorted(self.param_map))}."]}
            )
        ordering = []
        for param in value:
            descending = param.startswith("-")
            name = self.param_map[param.lstrip("-")]
            field = qs.model._meta.get_field(name)
            if field.unique and not field.null:
                # A key (the slug) orders the list alone, and its unique index reads it
                # either way. ``DESC NULLS LAST`` matches no index of a column without
                # nulls: ``-slug`` sorted every matching row (1M statements: 207 ms).
                ordering.append(F(name).desc() if descending else F(name).asc())
                return qs.order_by(*ordering)
            ordering.append(
                F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
            )
        ordering.append(F("slug").asc())
        return qs.order_by(*ordering)


class StrictBooleanField(forms.Field):
    """``true`` or ``false`` (``1``, ``0``); anything else is refused, never ignored."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        word = str(value).strip().lower()
        if word in ("true", "1"):
            return True
        if word in ("false", "0"):
            return False
        raise forms.ValidationError("Give true or false.", code="invalid")


#: What :class:`StrictBooleanField` reads, for the schema (case and surrounding space aside).
BOOLEAN_PATTERN = r"^\s*(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee]|1|0)\s*$"


class StrictBooleanFilter(django_filters.BooleanFilter):
    """A yes/no filter that answers 400 to a value it cannot read (Django's reads it as unset)."""

    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        extend_schema_field(
            {
                "type": "string",
                "pattern": BOOLEAN_PATTERN,
                "description": str(kwargs.get("help_text", "")),
            }
        )(self)

"""Serializer fields used by every resource: fuzzy dates and linked-record summaries.

Each shape is written once here so that a date or a linked actor looks the
same in every resource, and drf-spectacular describes it once.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import models as db_models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS

from ..dates import ACCEPTED_FORMS, MAX_DATE_TEXT, FuzzyDate, Precision, Qualifier, normalise

#: Upper bounds of the integer columns, the same on SQLite and PostgreSQL.
MAX_POSITIVE_INTEGER = 2_147_483_647
MAX_POSITIVE_SMALL_INTEGER = 32_767

#: What a public identifier looks like; anything else is refused before any query.
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]{1,120}$")

PRECISION_BY_LABEL = {label: value for value, label in Precision.choices}


class FuzzyDateSchemaSerializer(serializers.Serializer):
    """Documents the one shape of every fuzzy date; never instantiated for data."""

    date = serializers.DateField(
        allow_null=True,
        help_text="First day of the period (2019-09-01 for “September 2019”); null if unknown. "
        "On input, the date alone in any form the string alternative accepts (2019-09, 2019, "
        "1980s, September 2019); a stated precision may not be finer than the date nor coarser "
        "than its detail (2019-03-05 is no year).",
    )
    precision = serializers.ChoiceField(
        choices=list(PRECISION_BY_LABEL),
        allow_null=True,
        required=False,
        help_text="How precisely the source dates it; null if the date is unknown.",
    )
    qualifier = serializers.ChoiceField(
        choices=Qualifier.values,
        required=False,
        allow_blank=True,
        help_text="What the source says loosely: approximate, early, mid, end; empty if exact.",
    )
    iso = serializers.CharField(
        read_only=True, help_text="Shortest ISO 8601 form carrying the precision: 2019-09."
    )
    display = serializers.CharField(
        read_only=True, help_text="Human form: “September 2019”, “end of 2016”, “date unknown”."
    )

    class Meta:
        ref_name = "FuzzyDate"


def fuzzy_date_representation(value: FuzzyDate) -> dict[str, Any]:
    """A fuzzy date as the API shows it (see :class:`FuzzyDateField`)."""
    return {
        "date": value.value.isoformat() if value.value else None,
        "precision": Precision(value.precision).label if value.precision else None,
        "qualifier": value.qualifier or "",
        "iso": value.iso,
        "display": value.display(),
    }


class FuzzyDateField(serializers.Field):
    """One fuzzy date, read from and written to its three model columns.

    Output: ``{"date": "2019-09-01", "precision": "month", "qualifier": "",
    "iso": "2019-09", "display": "September 2019"}`` (``date`` and
    ``precision`` null when unknown). Input: the same object (``iso`` and
    ``display`` ignored), the date in words as :meth:`FuzzyDate.parse` reads
    them (``"end of 2016"``, ``"2019-09"``), or null.
    """

    default_error_messages = {
        "invalid": "Give a date as an object {{date, precision, qualifier}}, a string such as "
        "“September 2019” or “end of 2016”, or null.",
    }

    def __init__(self, **kwargs: Any):
        kwargs["source"] = "*"
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def validate_empty_values(self, data):
        # null is a value here (date unknown), not an absent field.
        if data is None:
            return (False, data)
        return super().validate_empty_values(data)

    def to_representation(self, instance) -> dict[str, Any]:
        return fuzzy_date_representation(instance.fuzzy(self.field_name))

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        fuzzy = self._parse(data)
        name = self.field_name
        return {
            name: fuzzy.value,
            f"{name}_precision": fuzzy.precision,
            f"{name}_qualifier": fuzzy.qualifier,
        }

    def _parse(self, data: Any) -> FuzzyDate:
        if data is None:
            return FuzzyDate(None)
        if isinstance(data, str):
            return self._read(data)
        if not isinstance(data, dict):
            self.fail("invalid")
        unknown = set(data) - {"date", "precision", "qualifier", "iso", "display"}
        if "date" not in data:
            raise serializers.ValidationError("Give the object's date (null if unknown).")
        if unknown:
            raise serializers.ValidationError(f"Unknown keys: {', '.join(sorted(unknown))}.")
        # Absent is "", as the schema's default; null or another type is refused.
        qualifier = data.get("qualifier", "")
        if not isinstance(qualifier, str) or qualifier not in Qualifier.values:
            raise serializers.ValidationError(
                f"qualifier must be one of: {', '.join(repr(q) for q in Qualifier.values)}."
            )
        precision = data.get("precision")
        if precision is not None and (
            not isinstance(precision, str) or precision not in PRECISION_BY_LABEL
        ):
            raise serializers.ValidationError(
                f"precision must be one of: {', '.join(PRECISION_BY_LABEL)}."
            )
        text = data.get("date")
        if text is not None and not isinstance(text, str):
            self.fail("invalid")
        if text is not None and not text.strip():
            # The schema's known-date alternative needs words; an unknown date is null.
            raise serializers.ValidationError("Give the object's date in words, or null.")
        given = self._read(text or "")
        if given.qualifier:
            raise serializers.ValidationError(
                "In the object form, date holds the date alone; give the qualifier as qualifier."
            )
        if not given.is_known:
            if qualifier or precision:
                raise serializers.ValidationError("A precision or qualifier needs a date.")
            return FuzzyDate(None)
        if precision is None:
            return FuzzyDate(given.value, given.precision, qualifier)
        return FuzzyDate(given.value, self._precision(text, given, precision), qualifier)

    def _precision(self, text: str, given: FuzzyDate, precision: str) -> int:
        """The stated ``precision`` of ``given``, refused if the date says more or less."""
        wanted = int(PRECISION_BY_LABEL[precision])
        if wanted > given.precision:
            raise serializers.ValidationError(
                f"“{text}” gives a {Precision(given.precision).label}, not a {precision}: "
                f"send precision {Precision(given.precision).label} or a fuller date."
            )
        first_day = normalise(given.value, wanted)
        if first_day != given.value:
            raise serializers.ValidationError(
                f"“{text}” has more detail than {precision} precision allows: send "
                f"{first_day.isoformat()} for {FuzzyDate(first_day, wanted).display()}, "
                "or the finer precision."
            )
        return wanted

    def _read(self, text: str) -> FuzzyDate:
        try:
            return FuzzyDate.parse(text)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc


class FuzzyDateFieldExtension(OpenApiSerializerFieldExtension):
    """Points every fuzzy date at the one ``FuzzyDate`` component; requests may send words."""

    target_class = FuzzyDateField

    def map_serializer_field(self, auto_schema, direction):
        component = auto_schema.resolve_serializer(FuzzyDateSchemaSerializer, direction)
        if direction == "response":
            return component.ref
        # No pattern can say which days a month has, so the words are a format of
        # their own (validators pass unknown formats; .ci/schemathesis_hooks.py
        # generates it) with the accepted forms described.
        words = {
            "type": "string",
            "format": "fuzzy-date",
            "maxLength": MAX_DATE_TEXT,
            "description": f"The date in words, qualifier included. Accepted: {ACCEPTED_FORMS}",
            "example": "end of 2016",
        }
        return {"oneOf": [component.ref, words]}


class StrictCharField(serializers.CharField):
    """Text given as a JSON string only: DRF would turn ``0`` or ``1.5`` into "0" and
    "1.5", accepting bodies the schema (``type: string``) refuses."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """A whole number given as a JSON number only (DRF would also read "12")."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """``true`` or ``false`` only (DRF would also read "yes", 1, "on")."""

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictSlugField(serializers.SlugField):
    """An identifier given as a JSON string only."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    """A decimal as a JSON string, as the API answers it and the schema declares it
    (a JSON number could not carry its exact digits)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if self.min_value is not None and self.min_value >= 0 and data.strip().startswith("-"):
            # No sign where none is allowed, "-0" included: the schema's pattern has none.
            self.fail("min_value", min_value=self.min_value)
        return super().to_internal_value(data)


class StrictDecimalFieldExtension(OpenApiSerializerFieldExtension):
    """drf-spectacular's decimal pattern, without the sign when the minimum is 0 and
    capped at 100 when that is the maximum: a JSON string carries no ``minimum``."""

    target_class = StrictDecimalField

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        field = self.target
        if field.min_value is None or field.min_value < 0 or "pattern" not in schema:
            return schema
        whole = field.max_digits - field.decimal_places
        places = field.decimal_places
        if field.max_value == 100 and whole == 3:
            number = rf"(?:100(?:\.0{{0,{places}}})?|\d{{0,2}}(?:\.\d{{0,{places}}})?)"
        else:
            number = rf"\d{{0,{whole}}}(?:\.\d{{0,{places}}})?"
        return {**schema, "pattern": f"^{number}$"}


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 500,
        # Django's URL validator (host names, labels, ports) is more than a pattern; a
        # format of its own (.ci/schemathesis_hooks.py generates it).
        "format": "http-url",
        "description": "An http(s) address (with a host name, as browsers take it), or empty "
        "when there is none.",
    }
)
class OptionalURLField(StrictCharField):
    """A URL that may be empty; described without ``format: uri``, which "" would break."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value:
            try:
                URLValidator()(value)
            except DjangoValidationError as exc:
                raise serializers.ValidationError("Enter a valid URL.") from exc
        return value


class SummaryField(serializers.RelatedField):
    """A linked record: written as its identifier, read as a small summary.

    Output ``{"slug": "china", "name": "China"}`` (``title`` instead of
    ``name`` for agreements, deals and sources); input the identifier
    ``"china"`` or the summary object itself, so a record read from the API
    can be written back unchanged.
    """

    default_error_messages = {
        "does_not_exist": "No record has the identifier “{value}”.",
        "invalid": "Give the identifier of the linked record as a string.",
        "blank": "Give the identifier of the linked record, or null for none.",
        "malformed": "“{value}” is not an identifier (letters, digits, - and _, at most 120).",
    }

    def __init__(self, summary_serializer: type[serializers.Serializer], **kwargs: Any):
        self.summary_serializer = summary_serializer
        super().__init__(**kwargs)

    def use_pk_only_optimization(self) -> bool:
        return False

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> SummaryListField:
        """``many=True``: a :class:`SummaryListField` of this field."""
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        for key in kwargs:
            if key in MANY_RELATION_KWARGS:
                list_kwargs[key] = kwargs[key]
        return SummaryListField(**list_kwargs)

    @cached_property
    def _summary(self) -> serializers.Serializer:
        # One summary serializer per field, reused for every value: building
        # a serializer (and its fields) per linked record was most of a list
        # page's time.
        return self.summary_serializer(context=self.context)

    def to_representation(self, value) -> dict[str, Any]:
        return self._summary.to_representation(value)

    def run_validation(self, data=serializers.empty):
        # DRF reads "" as null for related fields; the schema allows an identifier or null.
        if data == "":
            self.fail("blank")
        return super().run_validation(data)

    def to_internal_value(self, data: Any):
        if isinstance(data, dict):
            data = data.get("slug")
        if not isinstance(data, str):
            self.fail("invalid")
        # Refused before the query: PostgreSQL rejects NUL characters outright.
        if not SLUG_RE.match(data):
            self.fail("malformed", value=data[:120])
        try:
            return self.get_queryset().get(slug=data)
        except ObjectDoesNotExist:
            self.fail("does_not_exist", value=data)


class SummaryListField(serializers.ManyRelatedField):
    """Several linked records: a JSON array only (DRF would iterate an object's keys)."""

    def to_internal_value(self, data):
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class SummaryFieldExtension(OpenApiSerializerFieldExtension):
    """A summary component in responses, a plain identifier in requests."""

    target_class = SummaryField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        if direction == "request":
            schema = build_basic_type(OpenApiTypes.STR)
            schema["pattern"] = SLUG_RE.pattern
            schema["description"] = "Identifier (slug) of the linked record."
            return schema
        component = auto_schema.resolve_serializer(field.summary_serializer, direction)
        if field.allow_null:
            # Inline, so that ``nullable`` sits next to ``type: object``: OpenAPI 3.0
            # ignores ``nullable`` beside a bare ``allOf``/``$ref``.
            return dict(component.schema)
        return component.ref


class LinkDerivedField(serializers.Field):
    """A read-only value computed from one of the record's lists of link rows, as shown.

    The list page reader (:mod:`tracker.api.readers`) hands it the page's
    already loaded rows of ``link``; a single record's serializer computes
    the same from the record's (prefetched) rows. No query of its own.
    """

    def __init__(self, link: str, **kwargs: Any):
        self.link = link
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def derive(self, rows: list[dict[str, Any]]) -> Any:
        """The value from the link rows' representations."""
        raise NotImplementedError

    def to_representation(self, instance) -> Any:
        link_field = self.parent.fields[self.link]
        rows = link_field.to_representation(getattr(instance, link_field.source).all())
        return self.derive(rows)


@extend_schema_field(
    {
        "type": "boolean",
        "description": "Some source reports a value of this record other than the one shown "
        "(a reported value ranked normal or deprecated).",
    }
)
class DisputedField(LinkDerivedField):
    """Whether the record's reported values dispute what it shows."""

    def derive(self, rows: list[dict[str, Any]]) -> bool:
        from ..claims import is_disputed

        return is_disputed(rows)


@extend_schema_field(FuzzyDateSchemaSerializer)
class StatusAsOfField(LinkDerivedField):
    """The date of the latest status update (an unknown date when there is none)."""

    def derive(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        # The rows come ordered by date, then entry: the last one is the latest.
        return rows[-1]["as_of"] if rows else fuzzy_date_representation(FuzzyDate(None))


class StrictModelSerializer(serializers.ModelSerializer):
    """Model fields read only from their own JSON type (a string for text, a number for
    a count, true or false): what the schema declares, nothing DRF would coerce."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        db_models.CharField: StrictCharField,
        db_models.TextField: StrictCharField,
        db_models.SlugField: StrictSlugField,
        db_models.IntegerField: StrictIntegerField,
        db_models.PositiveIntegerField: StrictIntegerField,
        db_models.PositiveSmallIntegerField: StrictIntegerField,
        db_models.SmallIntegerField: StrictIntegerField,
        db_models.BooleanField: StrictBooleanField,
    }

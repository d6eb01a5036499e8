"""The rows a record keeps beside its citations, as the API shows them: reported values
(ranked, cited claims) and status updates. Written as whole lists through ``record_save``."""

from __future__ import annotations

from rest_framework import serializers

from .. import models
from ..codes import CURRENCY_CHOICES
from .fields import (
    MAX_POSITIVE_INTEGER,
    MAX_POSITIVE_SMALL_INTEGER,
    FuzzyDateField,
    StrictDecimalField,
    StrictModelSerializer,
    SummaryField,
)
from .summaries import SourceSummarySerializer


class EvidenceSerializer(StrictModelSerializer):
    """The citation a reported value or status update carries: source, footnote, page."""

    source = SummaryField(SourceSummarySerializer, queryset=models.Source.objects.all())
    footnote = serializers.IntegerField(
        min_value=1,
        max_value=MAX_POSITIVE_SMALL_INTEGER,
        allow_null=True,
        required=False,
        help_text="Footnote number in the citing article.",
    )
    locator = serializers.CharField(
        max_length=100,
        allow_blank=True,
        allow_null=True,
        required=False,
        help_text="Page or section, e.g. p. 13. Empty or null for none (stored as empty).",
    )

    def validate_locator(self, value: str | None) -> str:
        return models.normalise_locator(value)


class ReportedValueSerializer(EvidenceSerializer):
    """One value a source reports for a date, the value or the quantity, with rank and citation."""

    field = serializers.CharField(
        max_length=40,
        help_text="The fact: a date of the record (start_date, concluded, contract_date, date "
        "...), value (a deal's money value) or quantity.",
    )
    date = FuzzyDateField(help_text="For a date: the date the source gives.")
    amount = StrictDecimalField(
        max_digits=16,
        decimal_places=2,
        min_value=0,
        allow_null=True,
        required=False,
        help_text="For value: the amount in the currency's units.",
    )
    currency = serializers.ChoiceField(
        choices=CURRENCY_CHOICES,
        allow_blank=True,
        required=False,
        help_text="For value: ISO 4217 code.",
    )
    quantity = serializers.IntegerField(
        min_value=0,
        max_value=MAX_POSITIVE_INTEGER,
        allow_null=True,
        required=False,
        help_text="For quantity: the number of units.",
    )

    class Meta:
        model = models.ReportedValue
        fields = [
            "field",
            "date",
            "amount",
            "currency",
            "quantity",
            "value_text",
            "rank",
            "reason",
            "source",
            "footnote",
            "locator",
        ]
        validators: list = []


class StatusUpdateSerializer(EvidenceSerializer):
    """A status the record had reached as of a date, and the source saying so."""

    as_of = FuzzyDateField(help_text="Since when the source has the record in this status.")

    class Meta:
        model = models.StatusUpdate
        fields = ["status", "as_of", "note", "source", "footnote", "locator"]
        validators: list = []

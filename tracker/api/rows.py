"""The rows a record keeps, as the API shows them: citations, the links to actors
(participants, parties, contractors), reported values (ranked, cited claims) and
status updates. Each kind is written as a whole list through ``record_save``; the
list refuses a linked record given twice."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rest_framework import serializers

from .. import models, registry
from ..codes import CURRENCY_CHOICES
from ..services import citation_required_message
from .fields import (
    MAX_POSITIVE_INTEGER,
    MAX_POSITIVE_SMALL_INTEGER,
    FuzzyDateField,
    StrictCharField,
    StrictDecimalField,
    StrictIntegerField,
    StrictModelSerializer,
    SummaryField,
)
from .summaries import SourceSummarySerializer, actor_field


class EvidenceSerializer(StrictModelSerializer):
    """Where evidence is: source, footnote, page. A citation is this alone; a reported
    value or a status update carries it beside what the source says."""

    source = SummaryField(SourceSummarySerializer, queryset=models.Source.objects.all())
    footnote = StrictIntegerField(
        min_value=1,
        max_value=MAX_POSITIVE_SMALL_INTEGER,
        allow_null=True,
        required=False,
        help_text="Footnote number in the citing article.",
    )
    locator = StrictCharField(
        max_length=100,
        allow_blank=True,
        allow_null=True,
        required=False,
        help_text="Page or section, e.g. p. 13. Empty or null for none (stored as empty).",
    )

    def validate_locator(self, value: str | None) -> str:
        # Written "", null or with spaces, the same locator is the same citation.
        return models.normalise_locator(value)


class CitationSerializer(EvidenceSerializer):
    """Where a record's evidence is: source, footnote, page."""

    class Meta:
        model = models.Citation
        fields = ["source", "footnote", "locator", "excerpt"]
        validators: list = []


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
        fields = list(registry.REPORTED_VALUES.fields)
        validators: list = []


class StatusUpdateSerializer(EvidenceSerializer):
    """A status the record had reached as of a date, and the source saying so."""

    as_of = FuzzyDateField(help_text="Since when the source has the record in this status.")

    class Meta:
        model = models.StatusUpdate
        fields = list(registry.STATUS_UPDATES.fields)
        validators: list = []


class ParticipantSerializer(StrictModelSerializer):
    """One actor's part in an exercise."""

    actor = actor_field()

    class Meta:
        model = models.ExerciseParticipant
        fields = ["actor", "role", "contribution"]
        validators: list = []


class PartySerializer(StrictModelSerializer):
    """One actor's part in an agreement."""

    actor = actor_field()

    class Meta:
        model = models.AgreementParty
        fields = ["actor", "role", "note"]
        validators: list = []


class ContractorSerializer(StrictModelSerializer):
    """A company or agency involved in an arms deal."""

    actor = actor_field()

    class Meta:
        model = models.ArmsDealContractor
        fields = ["actor", "role", "note"]
        validators: list = []


class LinkListSerializer(serializers.ListSerializer):
    """A list of link rows in which no linked record appears twice."""

    def __init__(self, *args: Any, unique_on: tuple[str, ...] = ("actor",), **kwargs: Any):
        self.unique_on = unique_on
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        # DRF words an empty list as {"non_field_errors": [...]}; a field's own error is a list.
        if isinstance(data, list) and not data and not self.allow_empty:
            self.fail("empty")
        return super().to_internal_value(data)

    def validate(self, attrs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not self.unique_on:
            return attrs
        keys = Counter(
            tuple(getattr(row.get(k), "pk", row.get(k)) for k in self.unique_on) for row in attrs
        )
        if any(count > 1 for count in keys.values()):
            raise serializers.ValidationError(
                f"The same {' / '.join(self.unique_on)} is listed more than once."
            )
        return attrs


def link_list(
    child: serializers.Serializer,
    source: str | None = None,
    unique_on=("actor",),
    **extra: Any,
):
    """A writable list of link rows; omitted on update means "keep as stored"."""
    if source:
        extra["source"] = source
    extra.setdefault("required", False)
    return LinkListSerializer(child=child, unique_on=unique_on, **extra)


def reported_values_list():
    """A record's reported values (written as a whole list, like citations)."""
    return link_list(ReportedValueSerializer(), unique_on=())


def status_updates_list():
    """An agreement's or deal's status updates, oldest first."""
    return link_list(StatusUpdateSerializer(), unique_on=())


def citation_list(model=None):
    """Every record's citations, unique on where they point.

    For a type that must cite (``registry.must_cite``) the list is required in a
    create or replace and may not be empty (``required`` and ``minItems: 1`` in the
    schema), with the message ``record_save`` gives; a ``PATCH`` may leave it out.
    """
    extra: dict[str, Any] = {}
    if model is not None and registry.must_cite(model):
        message = citation_required_message(model)
        extra = {
            "required": True,
            "allow_empty": False,
            "error_messages": {"required": message, "empty": message},
        }
    return link_list(CitationSerializer(), unique_on=("source", "footnote", "locator"), **extra)

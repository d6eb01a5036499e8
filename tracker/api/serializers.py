"""Representations of every record: nested summaries, fuzzy dates, money, and the
rows each keeps (citations, links, reported values: :mod:`tracker.api.rows`).

Reads use the prefetched link sets of the named querysets (no per-row
queries); writes go through :func:`tracker.services.record_save`, the same
validation the admin uses.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .. import models, registry
from ..codes import CURRENCY_CHOICES
from ..services import record_save
from ..versions import StaleRecord
from .fields import (
    MAX_POSITIVE_INTEGER,
    DisputedField,
    FuzzyDateField,
    OptionalURLField,
    StatusAsOfField,
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictIntegerField,
    StrictModelSerializer,
    SummaryField,
)
from .rows import (
    ContractorSerializer,
    ParticipantSerializer,
    PartySerializer,
    citation_list,
    link_list,
    reported_values_list,
    status_updates_list,
)
from .summaries import (
    ActorSummarySerializer,
    AgreementSummarySerializer,
    ArmsDealSummarySerializer,
    ExerciseSummarySerializer,
    actor_field,
)


# ----------------------------------------------------------------------------
# Values
# ----------------------------------------------------------------------------
class MoneySerializer(serializers.Serializer):
    """A value: amount, currency, whether estimated, and the source's own words."""

    amount = StrictDecimalField(
        source="value_amount",
        max_digits=16,
        decimal_places=2,
        min_value=0,
        allow_null=True,
        required=False,
        help_text="In the currency's units: 2000000000.00 for “$2 billion”.",
    )
    currency = serializers.ChoiceField(
        source="value_currency",
        choices=CURRENCY_CHOICES,
        allow_blank=True,
        required=False,
        help_text="ISO 4217 code: USD, RUB, CNY.",
    )
    is_estimate = StrictBooleanField(
        source="value_is_estimate", required=False, help_text="The source estimates the value."
    )
    text = StrictCharField(
        source="value_text",
        max_length=300,
        allow_blank=True,
        required=False,
        help_text="The value as the source words it.",
    )

    class Meta:
        ref_name = "Money"


# ----------------------------------------------------------------------------
# Records
# ----------------------------------------------------------------------------
class RecordSerializer(StrictModelSerializer):
    """Shared behaviour: read-only timestamps, and saving through ``record_save``.

    ``link_fields`` maps an API field holding link rows to the keyword of
    ``record_save`` it feeds (``links`` or ``citations``); ``about_fields``
    are a statement's many-to-many lists.
    """

    link_fields: dict[str, str] = {}
    about_fields: tuple[str, ...] = ()
    #: Model field (as named in Django's errors) -> API field.
    error_field_names: dict[str, str] = {}

    def create(self, validated_data: dict[str, Any]):
        links = self._pop_links(validated_data)
        instance = self.Meta.model(**validated_data)
        return self._save(instance, links)

    def update(self, instance, validated_data: dict[str, Any]):
        links = self._pop_links(validated_data)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self._save(instance, links)

    def _pop_links(self, validated_data: dict[str, Any]) -> dict[str, Any]:
        links: dict[str, Any] = {}
        for api_name, keyword in self.link_fields.items():
            source = self.fields[api_name].source
            if source in validated_data:
                links[keyword] = [dict(row) for row in validated_data.pop(source)]
        about = {
            name: validated_data.pop(name) for name in self.about_fields if name in validated_data
        }
        if about:
            links["about"] = about
        return links

    def _save(self, instance, links: dict[str, Any]):
        request = self.context.get("request")
        try:
            return record_save(
                instance,
                **links,
                user=getattr(request, "user", None),
                expected_version=self.context.get("expected_version"),
            )
        except StaleRecord:
            # Another client saved between this request's If-Match check and its
            # write: the view answers it (412), it is not a data error.
            raise
        except DjangoValidationError as exc:
            raise serializers.ValidationError(self._translate_errors(exc)) from exc
        except IntegrityError as exc:
            # A database constraint the model's own checks do not cover (a race, a duplicate row).
            raise serializers.ValidationError(
                {"non_field_errors": ["The record conflicts with stored data and was not saved."]}
            ) from exc
        except DataError as exc:
            raise serializers.ValidationError(
                {"non_field_errors": ["A value is out of range for the database."]}
            ) from exc

    def _translate_errors(self, exc: DjangoValidationError) -> dict[str, list[str]]:
        """Django's errors keyed by API field names rather than model columns."""
        if not hasattr(exc, "error_dict"):
            return {"non_field_errors": [str(m) for m in exc.messages]}
        translated: dict[str, list[str]] = {}
        for key, messages in exc.message_dict.items():
            translated.setdefault(self._api_field_name(key), []).extend(map(str, messages))
        return translated

    def _api_field_name(self, key: str) -> str:
        if key == NON_FIELD_ERRORS:
            return "non_field_errors"
        for api_name in self.link_fields:
            # record_save names link-row errors after the relation ("participations").
            if self.fields[api_name].source == key:
                return api_name
        name = self.error_field_names.get(key, key)
        # A fuzzy date's precision and qualifier columns are parts of one API field.
        for suffix in ("_precision", "_qualifier"):
            if name.endswith(suffix) and name[: -len(suffix)] in self.fields:
                return name[: -len(suffix)]
        return name


def _record_meta(model, fields: list[str]):
    """Meta for a record serializer: identifier first, timestamps last."""
    return type(
        "Meta",
        (),
        {
            "model": model,
            "fields": [
                "api_url",
                "slug",
                *fields,
                "publication_status",
                "created_at",
                "updated_at",
            ],
            "read_only_fields": ["created_at", "updated_at"],
            "validators": [],
        },
    )


class ActorSerializer(RecordSerializer):
    """A state, force, body, organisation, company, think tank, outlet or person."""

    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:actor-detail", lookup_field="slug"
    )
    country = CountryField(allow_blank=True, required=False, help_text="ISO 3166 alpha-2 code.")
    parent = actor_field(allow_null=True, required=False)
    aliases = serializers.ListField(
        child=StrictCharField(max_length=200),
        required=False,
        max_length=100,
        help_text="Other names and spellings: at most 100, of at most 200 characters each "
        "and 5,000 together.",
    )
    citations = citation_list(models.Actor)

    link_fields = {"citations": "citations"}
    Meta = _record_meta(
        models.Actor,
        ["name", "kind", "country", "parent", "role", "aliases", "description", "citations"],
    )


class SourceSerializer(RecordSerializer):
    """A cited work."""

    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:source-detail", lookup_field="slug"
    )
    published = FuzzyDateField()
    url = OptionalURLField(max_length=500, allow_blank=True, required=False)

    Meta = _record_meta(
        models.Source,
        [
            "title",
            "authors",
            "outlet",
            "details",
            "published",
            "url",
            "accessed",
            "language",
            "kind",
        ],
    )


class AgreementSerializer(RecordSerializer):
    """A treaty, agreement, roadmap, decree or contract, with its parties."""

    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:agreement-detail", lookup_field="slug"
    )
    concluded = FuzzyDateField()
    in_force = FuzzyDateField()
    expires = FuzzyDateField()
    parties = link_list(PartySerializer(), source="party_links")
    replaces = SummaryField(
        AgreementSummarySerializer,
        queryset=models.Agreement.objects.all(),
        allow_null=True,
        required=False,
    )
    reported_values = reported_values_list()
    disputed = DisputedField("reported_values")
    status_updates = status_updates_list()
    status_as_of = StatusAsOfField("status_updates")
    citations = citation_list(models.Agreement)

    link_fields = {
        "parties": "links",
        "citations": "citations",
        "reported_values": "reported_values",
        "status_updates": "status_updates",
    }
    Meta = _record_meta(
        models.Agreement,
        [
            "title",
            "kind",
            "status",
            "concluded",
            "in_force",
            "expires",
            "date_unknown",
            "parties",
            "summary",
            "replaces",
            "citations",
            "reported_values",
            "disputed",
            "status_updates",
            "status_as_of",
        ],
    )


class ExerciseSerializer(RecordSerializer):
    """A joint exercise or patrol, with who took part and what they brought."""

    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:exercise-detail", lookup_field="slug"
    )
    start_date = FuzzyDateField()
    end_date = FuzzyDateField()
    participants = link_list(ParticipantSerializer(), source="participations")
    reported_values = reported_values_list()
    disputed = DisputedField("reported_values")
    citations = citation_list(models.Exercise)

    link_fields = {
        "participants": "links",
        "citations": "citations",
        "reported_values": "reported_values",
    }
    Meta = _record_meta(
        models.Exercise,
        [
            "name",
            "series",
            "domain",
            "start_date",
            "end_date",
            "date_unknown",
            "location",
            "region",
            "participants",
            "summary",
            "citations",
            "reported_values",
            "disputed",
        ],
    )


class ArmsDealSerializer(RecordSerializer):
    """An arms transfer: one contract or an aggregate figure."""

    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:arms-deal-detail", lookup_field="slug"
    )
    supplier = actor_field(allow_null=True, required=False)
    recipient = actor_field(allow_null=True, required=False)
    contractors = link_list(ContractorSerializer(), source="contractor_links")
    quantity = StrictIntegerField(
        min_value=0, max_value=MAX_POSITIVE_INTEGER, allow_null=True, required=False
    )
    value = MoneySerializer(source="*", required=False)
    percentage = StrictDecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        allow_null=True,
        required=False,
        help_text="A share, in per cent.",
    )
    contract_date = FuzzyDateField()
    period_start = FuzzyDateField()
    period_end = FuzzyDateField()
    reported_values = reported_values_list()
    disputed = DisputedField("reported_values")
    status_updates = status_updates_list()
    status_as_of = StatusAsOfField("status_updates")
    citations = citation_list(models.ArmsDeal)

    link_fields = {
        "contractors": "links",
        "citations": "citations",
        "reported_values": "reported_values",
        "status_updates": "status_updates",
    }
    error_field_names = {
        "value_amount": "value",
        "value_currency": "value",
        "value_is_estimate": "value",
        "value_text": "value",
    }
    Meta = _record_meta(
        models.ArmsDeal,
        [
            "title",
            "supplier",
            "recipient",
            "contractors",
            "item",
            "category",
            "scope",
            "quantity",
            "quantity_is_estimate",
            "value",
            "percentage",
            "percentage_of",
            "contract_date",
            "period_start",
            "period_end",
            "date_unknown",
            "status",
            "summary",
            "citations",
            "reported_values",
            "disputed",
            "status_updates",
            "status_as_of",
        ],
    )


def _about(summary, model) -> SummaryField:
    return SummaryField(summary, queryset=model.objects.all(), many=True, required=False)


class StatementSerializer(RecordSerializer):
    """Something an actor said or wrote, and what it concerns."""

    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:statement-detail", lookup_field="slug"
    )
    speaker = actor_field(allow_null=True, required=False)
    date = FuzzyDateField()
    about_agreements = _about(AgreementSummarySerializer, models.Agreement)
    about_exercises = _about(ExerciseSummarySerializer, models.Exercise)
    about_arms_deals = _about(ArmsDealSummarySerializer, models.ArmsDeal)
    about_actors = _about(ActorSummarySerializer, models.Actor)
    reported_values = reported_values_list()
    disputed = DisputedField("reported_values")
    citations = citation_list(models.Statement)

    link_fields = {"citations": "citations", "reported_values": "reported_values"}
    about_fields = ("about_agreements", "about_exercises", "about_arms_deals", "about_actors")
    Meta = _record_meta(
        models.Statement,
        [
            "speaker",
            "speaker_role",
            "date",
            "date_unknown",
            "occasion",
            "kind",
            "text",
            "language",
            "about_agreements",
            "about_exercises",
            "about_arms_deals",
            "about_actors",
            "citations",
            "reported_values",
            "disputed",
        ],
    )


class DeletedRecordSerializer(serializers.ModelSerializer):
    """A tombstone: which identifier of which resource was deleted, and when."""

    resource = serializers.SerializerMethodField()

    class Meta:
        model = models.DeletedRecord
        fields = ["resource", "record_type", "slug", "deleted_at"]
        read_only_fields = fields

    @extend_schema_field(
        {
            "type": "string",
            "enum": [record_type.resource for record_type in registry.RECORD_TYPES],
            "description": "The API resource the record belonged to, e.g. arms-deals.",
        }
    )
    def get_resource(self, obj) -> str:
        try:
            return registry.for_name(obj.record_type).resource
        except KeyError:
            return ""

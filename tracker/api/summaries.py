"""Linked records as other records show them: identifier and name (or title)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .. import models
from .fields import OptionalURLField, SummaryField


class ActorSummarySerializer(serializers.ModelSerializer):
    """An actor as other records show it."""

    class Meta:
        model = models.Actor
        fields = ["slug", "name"]
        read_only_fields = fields


class SourceSummarySerializer(serializers.ModelSerializer):
    """A source as a citation shows it."""

    url = OptionalURLField(read_only=True)

    class Meta:
        model = models.Source
        fields = ["slug", "title", "url"]
        read_only_fields = fields


class AgreementSummarySerializer(serializers.ModelSerializer):
    """An agreement as other records show it."""

    class Meta:
        model = models.Agreement
        fields = ["slug", "title"]
        read_only_fields = fields


class ExerciseSummarySerializer(serializers.ModelSerializer):
    """An exercise as other records show it."""

    class Meta:
        model = models.Exercise
        fields = ["slug", "name"]
        read_only_fields = fields


class ArmsDealSummarySerializer(serializers.ModelSerializer):
    """An arms deal as other records show it."""

    class Meta:
        model = models.ArmsDeal
        fields = ["slug", "title"]
        read_only_fields = fields


def actor_field(**kwargs: Any) -> SummaryField:
    """A link to an actor: written as its slug, read as ``{slug, name}``."""
    return SummaryField(ActorSummarySerializer, queryset=models.Actor.objects.all(), **kwargs)

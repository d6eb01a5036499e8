"""Agreements: treaties, agreements, roadmaps, decrees and contracts, with their parties."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from ..dates import (
    date_order_constraint,
    fuzzy_date_constraints,
    fuzzy_date_fields,
    precision_index,
)
from .base import (
    TrackedManager,
    TrackedModel,
    TrackedQuerySet,
    by_actor_index,
    cited_rows,
    date_unknown_field,
    long_text,
    ordering_indexes,
    publication_constraints,
    slug_constraint,
    unpublished_keys_index,
)


class AgreementKind(models.TextChoices):
    TREATY = "treaty", "treaty"
    AGREEMENT = "agreement", "agreement"
    ROADMAP = "roadmap", "roadmap"
    DECREE = "decree", "decree or order"
    CONTRACT = "contract", "contract"
    MEMORANDUM = "memorandum", "memorandum"
    OTHER = "other", "other"


class AgreementStatus(models.TextChoices):
    PROPOSED = "proposed", "proposed"
    NEGOTIATING = "negotiating", "under negotiation"
    SIGNED = "signed", "signed"
    RATIFIED = "ratified", "ratified"
    IN_FORCE = "in_force", "in force"
    EXPIRED = "expired", "expired"
    WITHDRAWN = "withdrawn", "withdrawn"
    SUPERSEDED = "superseded", "superseded"


class PartyRole(models.TextChoices):
    PARTY = "party", "party"
    SIGNATORY = "signatory", "signatory"
    ISSUER = "issuer", "issuer"
    OBSERVER = "observer", "observer"


class AgreementQuerySet(TrackedQuerySet):
    def with_links(self) -> AgreementQuerySet:
        """Everything an agreement's list row or detail shows, in a fixed number of queries."""
        return self.select_related("replaces").prefetch_related(
            models.Prefetch("party_links", AgreementParty.objects.select_related("actor")),
            models.Prefetch("citations", _citations()),
            *cited_rows("reported_values", "status_updates"),
        )


def _citations():
    from .sources import Citation

    return Citation.objects.select_related("source")


class Agreement(TrackedModel):
    """A treaty, agreement, roadmap, decree or contract and the actors party to it."""

    title = models.CharField(max_length=300, db_index=True)
    kind = models.CharField(max_length=20, choices=AgreementKind.choices, db_index=True)
    status = models.CharField(max_length=20, choices=AgreementStatus.choices, db_index=True)
    parties = models.ManyToManyField(
        "Actor", through="AgreementParty", related_name="agreements", blank=True
    )
    concluded, concluded_precision, concluded_qualifier = fuzzy_date_fields(
        "concluded", "When it was signed or issued: first day of the period. Empty if unknown."
    )
    in_force, in_force_precision, in_force_qualifier = fuzzy_date_fields("in force from")
    expires, expires_precision, expires_qualifier = fuzzy_date_fields("expires")
    summary = long_text(blank=True, help_text="What it provides, in our own words.")
    replaces = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,  # the lineage of agreements is part of the record
        null=True,
        blank=True,
        related_name="replaced_by",
        help_text="The earlier agreement this one replaces or is meant to replace.",
    )

    date_unknown = date_unknown_field()

    fuzzy_dates = ("concluded", "in_force", "expires")
    publication_dates = ("concluded", "in_force")
    date_ranges = (("concluded", "in_force"), ("concluded", "expires"), ("in_force", "expires"))
    disputable = ("concluded", "in_force", "expires")

    objects = TrackedManager.from_queryset(AgreementQuerySet)()

    class Meta:
        ordering = ["concluded", "concluded_precision", "slug"]
        constraints = [
            slug_constraint("agreement"),
            *publication_constraints("agreement", ("concluded", "in_force")),
            *fuzzy_date_constraints("concluded"),
            *fuzzy_date_constraints("in_force"),
            *fuzzy_date_constraints("expires"),
            date_order_constraint("concluded", "in_force"),
            date_order_constraint("concluded", "expires"),
            date_order_constraint("in_force", "expires"),
            models.CheckConstraint(
                condition=~Q(replaces=F("id")),
                name="agreement_not_replacing_itself",
                violation_error_message="An agreement cannot replace itself.",
            ),
        ]
        indexes = [
            models.Index(fields=["updated_at", "slug"], name="agreement_sync_idx"),
            precision_index("agreement", "concluded"),
            unpublished_keys_index("agreement"),
            *ordering_indexes(
                "agreement",
                ["concluded", "concluded_precision", "slug"],
                ("concluded", "title", "created_at", "updated_at"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        if self.pk is not None and self.replaces_id == self.pk:
            from django.core.exceptions import ValidationError

            raise ValidationError({"replaces": "An agreement cannot replace itself."})


class AgreementParty(models.Model):
    """One actor's part in an agreement."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="party_links")
    actor = models.ForeignKey("Actor", on_delete=models.PROTECT, related_name="agreement_parties")
    role = models.CharField(max_length=20, choices=PartyRole.choices, default=PartyRole.PARTY)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["agreement", "id"]
        verbose_name_plural = "agreement parties"
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "actor"],
                name="agreement_party_unique",
                violation_error_message="This actor is already a party to the agreement.",
            )
        ]
        indexes = [by_actor_index("agreement_party", "agreement")]

    def __str__(self) -> str:
        return f"{self.actor} ({self.get_role_display()})"

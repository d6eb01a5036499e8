"""Arms deals: single contracts and aggregate trade figures, in either direction."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from ..codes import CURRENCY_CHOICES
from ..date_ranges import span_index
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


class ArmsCategory(models.TextChoices):
    """Broad categories, close to SIPRI's weapon categories."""

    AIRCRAFT = "aircraft", "aircraft"
    AIR_DEFENCE = "air_defence", "air-defence systems"
    MISSILES = "missiles", "missiles"
    SHIPS = "ships", "ships and submarines"
    ENGINES = "engines", "engines"
    SENSORS = "sensors", "sensors and early warning"
    ARMOUR = "armour", "armoured vehicles"
    ARTILLERY = "artillery", "artillery"
    COMPONENTS = "components", "components and technology"
    SERVICES = "services", "services, licences and know-how"
    VARIOUS = "various", "various (aggregate)"
    OTHER = "other", "other"


class DealScope(models.TextChoices):
    CONTRACT = "contract", "single contract"
    AGGREGATE = "aggregate", "aggregate figure over a period"


class DealStatus(models.TextChoices):
    REPORTED = "reported", "reported"
    SIGNED = "signed", "signed"
    IN_DELIVERY = "in_delivery", "in delivery"
    DELIVERED = "delivered", "delivered"
    CANCELLED = "cancelled", "cancelled"


class ContractorRole(models.TextChoices):
    PRIME = "prime", "prime contractor"
    SUBCONTRACTOR = "subcontractor", "subcontractor"
    INTERMEDIARY = "intermediary", "intermediary or export agency"
    DEVELOPER = "developer", "developer"


class ArmsDealQuerySet(TrackedQuerySet):
    def with_links(self) -> ArmsDealQuerySet:
        """Deals with supplier, recipient, contractors and citations loaded."""
        from .sources import Citation

        return self.select_related("supplier", "recipient").prefetch_related(
            models.Prefetch("contractor_links", ArmsDealContractor.objects.select_related("actor")),
            models.Prefetch("citations", Citation.objects.select_related("source")),
            *cited_rows("reported_values", "status_updates"),
        )


class ArmsDeal(TrackedModel):
    """An arms transfer: one contract, or a trade figure aggregated over a period.

    Exact figures go in ``value_amount``/``value_currency`` (with
    ``value_is_estimate`` when the source estimates them); what the source
    says in words goes in ``value_text`` ("several billion dollars per
    year"). A share of a total is a ``percentage`` with ``percentage_of``
    saying of what.
    """

    title = models.CharField(max_length=300, db_index=True)
    supplier = models.ForeignKey(
        "Actor", on_delete=models.PROTECT, related_name="arms_supplied", null=True, blank=True
    )
    recipient = models.ForeignKey(
        "Actor", on_delete=models.PROTECT, related_name="arms_received", null=True, blank=True
    )
    item = models.CharField(
        max_length=300, blank=True, help_text="The system or goods, e.g. “Su-35 fighter jets”."
    )
    category = models.CharField(max_length=20, choices=ArmsCategory.choices, db_index=True)
    scope = models.CharField(
        max_length=20, choices=DealScope.choices, default=DealScope.CONTRACT, db_index=True
    )
    quantity = models.PositiveIntegerField(null=True, blank=True, help_text="Units, if known.")
    quantity_is_estimate = models.BooleanField(default=False)
    value_amount = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The value as a number in the currency's units: 2000000000 for “$2 billion”.",
    )
    value_currency = models.CharField(
        max_length=3,
        blank=True,
        choices=CURRENCY_CHOICES,
        help_text="ISO 4217 code: USD, RUB, CNY.",
    )
    value_is_estimate = models.BooleanField(
        default=False, help_text="The source gives the value as an estimate."
    )
    value_text = models.CharField(
        max_length=300,
        blank=True,
        help_text="The value as the source words it, e.g. “several billion dollars per year”.",
    )
    percentage = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True, help_text="A share, in per cent."
    )
    percentage_of = models.CharField(
        max_length=300, blank=True, help_text="What the percentage is a share of."
    )
    contract_date, contract_date_precision, contract_date_qualifier = fuzzy_date_fields(
        "contract date"
    )
    period_start, period_start_precision, period_start_qualifier = fuzzy_date_fields(
        "period start", "For aggregates and deliveries: first day of the period covered."
    )
    period_end, period_end_precision, period_end_qualifier = fuzzy_date_fields("period end")
    status = models.CharField(
        max_length=20, choices=DealStatus.choices, default=DealStatus.REPORTED, db_index=True
    )
    contractors = models.ManyToManyField(
        "Actor", through="ArmsDealContractor", related_name="arms_contracts", blank=True
    )
    summary = long_text(blank=True, help_text="What was traded, in our own words.")

    date_unknown = date_unknown_field()

    fuzzy_dates = ("contract_date", "period_start", "period_end")
    publication_dates = ("contract_date", "period_start")
    date_ranges = (("period_start", "period_end"),)
    disputable = ("contract_date", "period_start", "period_end", "value", "quantity")

    objects = TrackedManager.from_queryset(ArmsDealQuerySet)()

    class Meta:
        verbose_name = "arms deal"
        ordering = ["contract_date", "period_start", "slug"]
        constraints = [
            slug_constraint("arms_deal"),
            *publication_constraints("arms_deal", ("contract_date", "period_start")),
            *fuzzy_date_constraints("contract_date"),
            *fuzzy_date_constraints("period_start"),
            *fuzzy_date_constraints("period_end"),
            date_order_constraint("period_start", "period_end"),
            models.CheckConstraint(
                condition=Q(supplier__isnull=True)
                | Q(recipient__isnull=True)
                | ~Q(supplier=F("recipient")),
                name="arms_deal_supplier_not_recipient",
                violation_error_message="The supplier cannot also be the recipient.",
            ),
            models.CheckConstraint(
                condition=Q(value_amount__isnull=True) | Q(value_amount__gte=0),
                name="arms_deal_value_not_negative",
                violation_error_message="A value cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(percentage__isnull=True)
                | (Q(percentage__gte=0) & Q(percentage__lte=100)),
                name="arms_deal_percentage_range",
                violation_error_message="A percentage lies between 0 and 100.",
            ),
            models.CheckConstraint(
                condition=Q(value_amount__isnull=True) | ~Q(value_currency=""),
                name="arms_deal_value_has_currency",
                violation_error_message="A value needs its currency.",
            ),
        ]
        indexes = [
            models.Index(fields=["updated_at", "slug"], name="armsdeal_sync_idx"),
            # The timeline reads a deal at its contract date, else at its period's start,
            # each in (date, precision, slug) order; a date range probes the rest.
            models.Index(
                fields=["contract_date", "contract_date_precision", "slug"],
                name="armsdeal_contract_tl_idx",
            ),
            models.Index(
                fields=["period_start", "period_start_precision", "slug"],
                name="armsdeal_period_tl_idx",
                condition=Q(contract_date__isnull=True),
            ),
            # The admin's "value is estimate" filter: the few estimated deals in the
            # list's order (its count, page and date bar read every deal without it).
            models.Index(
                fields=["contract_date", "period_start", "slug"],
                name="armsdeal_estimate_idx",
                condition=Q(value_is_estimate=True),
            ),
            precision_index("deal", "contract_date"),
            precision_index("deal", "period_start"),
            span_index("deal", "period_start", "period_end"),
            unpublished_keys_index("armsdeal"),
            *ordering_indexes(
                "armsdeal",
                ["contract_date", "period_start", "slug"],
                ("contract_date", "period_start", "title", "created_at", "updated_at"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        if self.supplier_id is not None and self.supplier_id == self.recipient_id:
            errors.setdefault("recipient", []).append("The supplier cannot also be the recipient.")
        if self.value_amount is not None and self.value_amount < Decimal(0):
            errors.setdefault("value_amount", []).append("A value cannot be negative.")
        if self.value_amount is not None and not self.value_currency:
            errors.setdefault("value_currency", []).append("A value needs its currency.")
        if self.percentage is not None and not (0 <= self.percentage <= 100):
            errors.setdefault("percentage", []).append("A percentage lies between 0 and 100.")
        if errors:
            raise ValidationError(errors)


class ArmsDealContractor(models.Model):
    """A company or agency involved in a deal (Rosoboronexport, Vympel ...)."""

    deal = models.ForeignKey(ArmsDeal, on_delete=models.CASCADE, related_name="contractor_links")
    actor = models.ForeignKey("Actor", on_delete=models.PROTECT, related_name="deal_contracts")
    role = models.CharField(
        max_length=20, choices=ContractorRole.choices, default=ContractorRole.PRIME
    )
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["deal", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["deal", "actor"],
                name="arms_deal_contractor_unique",
                violation_error_message="This actor is already a contractor on the deal.",
            )
        ]
        indexes = [by_actor_index("arms_deal_contractor", "deal")]

    def __str__(self) -> str:
        return f"{self.actor} ({self.get_role_display()})"

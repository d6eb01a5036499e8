"""Reported values and status updates: cited rows a record keeps beside its citations.

A **reported value** (a Wikidata-style ranked claim) is one value a source
gives for one of a record's disputable facts (a date, a deal's value or
quantity), with its own citation and a rank: ``preferred`` (the value the
record shows: the write path keeps the record's own field equal to it),
``normal`` (another value a source reports) or ``deprecated`` (a value
reported but held wrong, with the reason). At most one value of a field is
preferred (a partial unique index per kind of record). A record is
*disputed* when it has a reported value that is not preferred.

A **status update** records, with its date and citation, that an agreement
or an arms deal had reached a status "as of" that date. The record's own
``status`` is its latest update's status (kept so by the write path).

Both carry their evidence themselves (source, footnote, locator: the shape
of a :class:`~tracker.models.Citation`) rather than pointing at one of the
record's citations: a citation belongs to exactly one record and is
replaced whenever the record's citation list is saved, so a foreign key to
it would either block editing the citations or be deleted with them.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from ..codes import CURRENCY_CHOICES
from ..dates import FuzzyDate, fuzzy_date_constraints, fuzzy_date_fields
from .agreements import AgreementStatus
from .arms import DealStatus

#: The records that carry reported values (Citation-style foreign keys, exactly one set).
CLAIM_TARGETS = ("agreement", "exercise", "arms_deal", "statement")
#: The records that carry status updates.
STATUS_TARGETS = ("agreement", "arms_deal")

#: Disputable fields that are not dates: a deal's money value and its quantity.
MONEY_FIELD = "value"
QUANTITY_FIELD = "quantity"


class Rank(models.TextChoices):
    """How a reported value stands against the others of the same field (Wikidata's ranks)."""

    PREFERRED = "preferred", "preferred (the value the record shows)"
    NORMAL = "normal", "normal (another reported value)"
    DEPRECATED = "deprecated", "deprecated (reported, but held wrong)"


#: The ranks that make a record disputed: a value some source reports and the record does not show.
DISPUTING_RANKS = (Rank.NORMAL, Rank.DEPRECATED)


def _exactly_one(targets: tuple[str, ...]) -> Q:
    condition = Q()
    for target in targets:
        others = {f"{o}__isnull": True for o in targets if o != target}
        condition |= Q(**{f"{target}__isnull": False}, **others)
    return condition


def _date_fields() -> list[str]:
    from .agreements import Agreement
    from .arms import ArmsDeal
    from .exercises import Exercise
    from .statements import Statement

    names: list[str] = []
    for model in (Agreement, Exercise, ArmsDeal, Statement):
        names += [name for name in model.disputable if name in model.fuzzy_dates]
    return sorted(set(names))


class EvidenceFields(models.Model):
    """Where a row's evidence is, as a citation gives it: source, footnote, page."""

    source = models.ForeignKey(
        "Source", on_delete=models.PROTECT, related_name="cited_in_%(class)s"
    )
    footnote = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Footnote number in the citing article."
    )
    locator = models.CharField(max_length=100, blank=True, help_text="Page or section, e.g. p. 13.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        self.locator = (self.locator or "").strip()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.locator = (self.locator or "").strip()

    def fuzzy(self, field: str) -> FuzzyDate:
        """The fuzzy date stored in the three columns named ``field``."""
        return FuzzyDate(
            getattr(self, field),
            getattr(self, f"{field}_precision"),
            getattr(self, f"{field}_qualifier"),
        )

    @property
    def target(self):
        """The record this row belongs to."""
        for name in self.TARGETS:
            if getattr(self, f"{name}_id") is not None:
                return getattr(self, name)
        return None


class ReportedValue(EvidenceFields):
    """One value a source reports for one of a record's disputable fields, ranked."""

    TARGETS = CLAIM_TARGETS

    agreement = models.ForeignKey(
        "Agreement", on_delete=models.CASCADE, null=True, blank=True, related_name="reported_values"
    )
    exercise = models.ForeignKey(
        "Exercise", on_delete=models.CASCADE, null=True, blank=True, related_name="reported_values"
    )
    arms_deal = models.ForeignKey(
        "ArmsDeal", on_delete=models.CASCADE, null=True, blank=True, related_name="reported_values"
    )
    statement = models.ForeignKey(
        "Statement", on_delete=models.CASCADE, null=True, blank=True, related_name="reported_values"
    )
    field = models.CharField(
        max_length=40,
        help_text="Which fact: a date of the record (start_date, concluded ...), "
        "“value” (a deal's money value) or “quantity”.",
    )
    date, date_precision, date_qualifier = fuzzy_date_fields(
        "reported date", "For a date: the date the source gives."
    )
    amount = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="For a value: the amount in the currency's units.",
    )
    currency = models.CharField(
        max_length=3, blank=True, choices=CURRENCY_CHOICES, help_text="For a value: ISO 4217."
    )
    quantity = models.PositiveIntegerField(null=True, blank=True, help_text="For a quantity.")
    value_text = models.CharField(
        max_length=300, blank=True, help_text="The value as the source words it."
    )
    rank = models.CharField(max_length=12, choices=Rank.choices, default=Rank.NORMAL)
    reason = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why the value is deprecated (required then), or why it is preferred.",
    )

    fuzzy_dates = ("date",)

    class Meta:
        ordering = ["id"]
        verbose_name = "reported value"
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one(CLAIM_TARGETS),
                name="reported_value_exactly_one_target",
                violation_error_message="A reported value belongs to exactly one record.",
            ),
            models.CheckConstraint(
                condition=~Q(rank=Rank.DEPRECATED) | ~Q(reason=""),
                name="reported_value_deprecated_has_reason",
                violation_error_message="A deprecated value needs the reason it is held wrong.",
            ),
            models.CheckConstraint(
                condition=Q(rank__in=Rank.values),
                name="reported_value_rank_known",
                violation_error_message="Unknown rank.",
            ),
            models.CheckConstraint(
                condition=Q(footnote__isnull=True) | Q(footnote__gte=1),
                name="reported_value_footnote_positive",
                violation_error_message="Footnote numbers start at 1.",
            ),
            # The value sits in the columns of its kind, and only there.
            models.CheckConstraint(
                condition=(
                    Q(field__in=_date_fields(), date__isnull=False)
                    & Q(amount__isnull=True, currency="", quantity__isnull=True)
                )
                | (
                    Q(field=MONEY_FIELD, amount__isnull=False, amount__gte=0)
                    & ~Q(currency="")
                    & Q(date__isnull=True, quantity__isnull=True)
                )
                | Q(
                    field=QUANTITY_FIELD,
                    quantity__isnull=False,
                    date__isnull=True,
                    amount__isnull=True,
                    currency="",
                ),
                name="reported_value_fits_its_field",
                violation_error_message="The value does not fit the field it reports.",
            ),
            *fuzzy_date_constraints("date"),
            # At most one preferred value per record and field.
            *[
                models.UniqueConstraint(
                    fields=[target, "field"],
                    condition=Q(**{f"{target}__isnull": False}, rank=Rank.PREFERRED),
                    name=f"reported_value_one_preferred_{target}",
                    violation_error_message="Only one value of a field can be preferred.",
                )
                for target in CLAIM_TARGETS
            ],
        ]
        # The disputed records' keys, and the sources that gate them for the public,
        # read without the rows (``?disputed=true``, counted from its keys:
        # ``tracker.link_counts``).
        indexes = [
            models.Index(
                fields=[target, "source"],
                condition=Q(**{f"{target}__isnull": False}, rank__in=DISPUTING_RANKS),
                name=f"disputing_{target}",
            )
            for target in CLAIM_TARGETS
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.shown()} ({self.rank})"

    # -- the value, whatever its kind ---------------------------------------------
    def shown(self) -> str:
        """The value as editors read it: a date in words, ``USD 2000000000.00``, ``24``."""
        if self.field == MONEY_FIELD:
            return f"{self.currency} {self.amount}" if self.amount is not None else ""
        if self.field == QUANTITY_FIELD:
            return "" if self.quantity is None else str(self.quantity)
        return FuzzyDate(self.date, self.date_precision, self.date_qualifier).display()

    def record_values(self) -> dict[str, object]:
        """The record's own columns this value sets when it is preferred."""
        if self.field == MONEY_FIELD:
            return {"value_amount": self.amount, "value_currency": self.currency}
        if self.field == QUANTITY_FIELD:
            return {"quantity": self.quantity}
        name = self.field
        return {
            name: self.date,
            f"{name}_precision": self.date_precision,
            f"{name}_qualifier": self.date_qualifier,
        }

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[str]] = {}
        record = self.target
        if record is not None and self.field not in type(record).disputable:
            allowed = ", ".join(type(record).disputable)
            errors.setdefault("field", []).append(
                f"“{self.field}” is no disputable fact of {record._meta.verbose_name_plural}: "
                f"use one of {allowed}."
            )
        elif self.field == MONEY_FIELD:
            if self.amount is None or not self.currency:
                errors.setdefault("amount", []).append(
                    "A reported value needs amount and currency."
                )
            elif self.amount < Decimal(0):
                errors.setdefault("amount", []).append("A value cannot be negative.")
        elif self.field == QUANTITY_FIELD:
            if self.quantity is None:
                errors.setdefault("quantity", []).append("A reported quantity needs its number.")
        elif self.date is None:
            errors.setdefault("date", []).append("A reported date needs the date.")
        else:
            for message in FuzzyDate(self.date, self.date_precision, self.date_qualifier).errors():
                errors.setdefault("date", []).append(message)
        if self.rank == Rank.DEPRECATED and not self.reason.strip():
            errors.setdefault("reason", []).append(
                "A deprecated value needs the reason it is held wrong."
            )
        if errors:
            raise ValidationError(errors)


class StatusUpdate(EvidenceFields):
    """An agreement's or arms deal's status as of a date, with the source reporting it.

    ``as_of`` is the day (month, year) from which the source has the record
    in that status: the date of the step where the source dates it ("signed
    in 1991"), otherwise the date of the report that first gives it.
    """

    TARGETS = STATUS_TARGETS

    agreement = models.ForeignKey(
        "Agreement", on_delete=models.CASCADE, null=True, blank=True, related_name="status_updates"
    )
    arms_deal = models.ForeignKey(
        "ArmsDeal", on_delete=models.CASCADE, null=True, blank=True, related_name="status_updates"
    )
    status = models.CharField(
        max_length=20,
        choices=list((dict(AgreementStatus.choices) | dict(DealStatus.choices)).items()),
        help_text="The status the record had reached, from its own list of statuses.",
    )
    as_of, as_of_precision, as_of_qualifier = fuzzy_date_fields(
        "as of", "Since when the source has the record in this status: first day of the period."
    )
    note = models.CharField(max_length=300, blank=True, help_text="What the source says.")

    fuzzy_dates = ("as_of",)

    class Meta:
        ordering = ["as_of", "id"]
        verbose_name = "status update"
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one(STATUS_TARGETS),
                name="status_update_exactly_one_target",
                violation_error_message="A status update belongs to exactly one record.",
            ),
            models.CheckConstraint(
                condition=Q(agreement__isnull=False, status__in=AgreementStatus.values)
                | Q(arms_deal__isnull=False, status__in=DealStatus.values),
                name="status_update_status_of_its_record",
                violation_error_message="The status is not one of the record's statuses.",
            ),
            models.CheckConstraint(
                condition=Q(as_of__isnull=False),
                name="status_update_dated",
                violation_error_message="A status update needs its date.",
            ),
            models.CheckConstraint(
                condition=Q(footnote__isnull=True) | Q(footnote__gte=1),
                name="status_update_footnote_positive",
                violation_error_message="Footnote numbers start at 1.",
            ),
            *fuzzy_date_constraints("as_of"),
        ]
        indexes = [
            models.Index(fields=["agreement", "as_of"], name="status_update_agreement_idx"),
            models.Index(fields=["arms_deal", "as_of"], name="status_update_deal_idx"),
        ]

    def __str__(self) -> str:
        when = FuzzyDate(self.as_of, self.as_of_precision, self.as_of_qualifier).display()
        return f"{self.status} as of {when}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[str]] = {}
        record = self.target
        if record is not None:
            allowed = type(record)._meta.get_field("status").choices
            if self.status not in {value for value, _ in allowed}:
                names = ", ".join(value for value, _ in allowed)
                errors.setdefault("status", []).append(
                    f"“{self.status}” is no status of {record._meta.verbose_name_plural}: "
                    f"use one of {names}."
                )
        if self.as_of is None:
            errors.setdefault("as_of", []).append("A status update needs its date.")
        else:
            for message in FuzzyDate(
                self.as_of, self.as_of_precision, self.as_of_qualifier
            ).errors():
                errors.setdefault("as_of", []).append(message)
        if errors:
            raise ValidationError(errors)

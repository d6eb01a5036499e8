"""Statements: who said what, when and where, and what it concerns."""

from __future__ import annotations

from django.db import models

from ..codes import LANGUAGE_CHOICES
from ..dates import fuzzy_date_constraints, fuzzy_date_fields, precision_index
from .base import (
    TrackedManager,
    TrackedModel,
    TrackedQuerySet,
    cited_rows,
    date_unknown_field,
    long_text,
    ordering_indexes,
    publication_constraints,
    slug_constraint,
    unpublished_keys_index,
)


class StatementKind(models.TextChoices):
    DIRECT_QUOTE = "direct_quote", "direct quote"
    PARAPHRASE = "paraphrase", "paraphrase"
    ASSESSMENT = "assessment", "expert assessment (paraphrased)"


class StatementQuerySet(TrackedQuerySet):
    def with_links(self) -> StatementQuerySet:
        """Statements with speaker, everything they concern and citations loaded."""
        from .sources import Citation

        return self.select_related("speaker").prefetch_related(
            "about_agreements",
            "about_exercises",
            "about_arms_deals",
            "about_actors",
            models.Prefetch("citations", Citation.objects.select_related("source")),
            *cited_rows("reported_values"),
        )


class Statement(TrackedModel):
    """Something an actor said or wrote.

    A direct quote's ``text`` is the quoted words exactly as the source
    gives them; a paraphrase or assessment is in our own words.
    """

    speaker = models.ForeignKey(
        "Actor",
        on_delete=models.PROTECT,
        related_name="statements_made",
        null=True,
        blank=True,
        help_text="Who said it. Empty only when the source does not say.",
    )
    speaker_role = models.CharField(
        max_length=200, blank=True, help_text="The speaker's role at the time, as the source says."
    )
    date, date_precision, date_qualifier = fuzzy_date_fields("date")
    occasion = models.CharField(
        max_length=300,
        blank=True,
        help_text="Where or how it was said: a speech, interview, paper.",
    )
    kind = models.CharField(max_length=20, choices=StatementKind.choices, db_index=True)
    text = long_text(help_text="A direct quote exactly as the source gives it.")
    language = models.CharField(
        max_length=8,
        blank=True,
        default="en",
        choices=LANGUAGE_CHOICES,
        help_text="ISO 639-1 code of the language the statement is given in.",
    )
    about_agreements = models.ManyToManyField("Agreement", related_name="statements", blank=True)
    about_exercises = models.ManyToManyField("Exercise", related_name="statements", blank=True)
    about_arms_deals = models.ManyToManyField("ArmsDeal", related_name="statements", blank=True)
    about_actors = models.ManyToManyField("Actor", related_name="statements_about", blank=True)

    date_unknown = date_unknown_field()

    fuzzy_dates = ("date",)
    disputable = ("date",)
    publication_dates = ("date",)

    objects = TrackedManager.from_queryset(StatementQuerySet)()

    class Meta:
        ordering = ["date", "date_precision", "slug"]
        constraints = [
            slug_constraint("statement"),
            *publication_constraints("statement", ("date",)),
            *fuzzy_date_constraints("date"),
            models.CheckConstraint(
                condition=~models.Q(text=""),
                name="statement_text_not_empty",
                violation_error_message="A statement needs its text.",
            ),
        ]
        indexes = [
            # A filter of the API and the admin: a language few statements are in was
            # looked for in every row (statements: 150 ms at a million).
            models.Index(fields=["language"], name="statement_language_idx"),
            models.Index(fields=["updated_at", "slug"], name="statement_sync_idx"),
            precision_index("statement", "date"),
            unpublished_keys_index("statement"),
            *ordering_indexes(
                "statement",
                ["date", "date_precision", "slug"],
                ("date", "created_at", "updated_at"),
            ),
        ]

    def __str__(self) -> str:
        who = self.speaker.name if self.speaker_id else "Unknown speaker"
        snippet = self.text if len(self.text) <= 60 else self.text[:57] + "…"
        return f"{who}: {snippet}"

"""Joint exercises and patrols, with who took part and what they brought."""

from __future__ import annotations

from django.db import models

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


class ExerciseDomain(models.TextChoices):
    LAND = "land", "land"
    NAVAL = "naval", "naval"
    AIR = "air", "air"
    COMMAND_STAFF = "command_staff", "strategic command-staff"
    COUNTER_TERRORISM = "counter_terrorism", "counter-terrorism"
    JOINT_PATROL = "joint_patrol", "joint patrol"
    COMBINED = "combined", "combined arms (several domains)"
    OTHER = "other", "other"


class ParticipantRole(models.TextChoices):
    HOST = "host", "host"
    PARTICIPANT = "participant", "participant"
    OBSERVER = "observer", "observer"


class ExerciseQuerySet(TrackedQuerySet):
    def with_participants(self) -> ExerciseQuerySet:
        """Exercises with participants (and their actors) and citations prefetched."""
        from .sources import Citation

        return self.prefetch_related(
            models.Prefetch("participations", ExerciseParticipant.objects.select_related("actor")),
            models.Prefetch("citations", Citation.objects.select_related("source")),
            *cited_rows("reported_values"),
        )


class Exercise(TrackedModel):
    """A joint military exercise or patrol."""

    name = models.CharField(max_length=200, db_index=True)
    series = models.CharField(
        max_length=100,
        blank=True,
        db_index=True,
        help_text="The recurring series it belongs to: Peace Mission, Vostok, Tsentr, Mosi ...",
    )
    domain = models.CharField(max_length=20, choices=ExerciseDomain.choices, db_index=True)
    start_date, start_date_precision, start_date_qualifier = fuzzy_date_fields("start date")
    end_date, end_date_precision, end_date_qualifier = fuzzy_date_fields("end date")
    location = models.CharField(
        max_length=300, blank=True, help_text="Where it was held, as the source says."
    )
    region = models.CharField(
        max_length=100, blank=True, db_index=True, help_text="Broad region, e.g. Central Asia."
    )
    participants = models.ManyToManyField(
        "Actor", through="ExerciseParticipant", related_name="exercises", blank=True
    )
    summary = long_text(blank=True, help_text="What happened, in our own words.")

    date_unknown = date_unknown_field()

    fuzzy_dates = ("start_date", "end_date")
    publication_dates = ("start_date",)
    date_ranges = (("start_date", "end_date"),)
    disputable = ("start_date", "end_date")
    vocabulary_fields = ("series", "region")

    objects = TrackedManager.from_queryset(ExerciseQuerySet)()

    class Meta:
        ordering = ["start_date", "start_date_precision", "slug"]
        constraints = [
            slug_constraint("exercise"),
            *publication_constraints("exercise", ("start_date",)),
            *fuzzy_date_constraints("start_date"),
            *fuzzy_date_constraints("end_date"),
            date_order_constraint("start_date", "end_date"),
        ]
        indexes = [
            models.Index(fields=["updated_at", "slug"], name="exercise_sync_idx"),
            # A date range's probes (tracker.date_ranges.earliest_start).
            precision_index("exercise", "start_date"),
            span_index("exercise", "start_date", "end_date"),
            unpublished_keys_index("exercise"),
            *ordering_indexes(
                "exercise",
                ["start_date", "start_date_precision", "slug"],
                ("start_date", "name", "created_at", "updated_at"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ExerciseParticipant(models.Model):
    """One actor's part in an exercise: its role and what it contributed."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="participations")
    actor = models.ForeignKey(
        "Actor", on_delete=models.PROTECT, related_name="exercise_participations"
    )
    role = models.CharField(
        max_length=20, choices=ParticipantRole.choices, default=ParticipantRole.PARTICIPANT
    )
    contribution = models.CharField(
        max_length=500,
        blank=True,
        help_text="What it brought, e.g. “Type 054A frigate Weifang”, “brigade-sized force”.",
    )

    class Meta:
        ordering = ["exercise", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "actor"],
                name="exercise_participant_unique",
                violation_error_message="This actor is already listed in the exercise.",
            )
        ]
        indexes = [by_actor_index("exercise_participant", "exercise")]

    def __str__(self) -> str:
        return f"{self.actor} ({self.get_role_display()})"

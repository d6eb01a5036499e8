"""Actors: everyone and everything that signs, exercises, trades or speaks."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django_countries.fields import CountryField

from ..codes import ALIASES_LENGTH, DELIMITER
from .base import (
    TrackedManager,
    TrackedModel,
    TrackedQuerySet,
    long_text,
    ordering_indexes,
    publication_constraints,
    slug_constraint,
    unpublished_keys_index,
)


class ActorKind(models.TextChoices):
    STATE = "state", "state"
    ARMED_FORCE = "armed_force", "armed force or service"
    GOVERNMENT_BODY = "government_body", "government body"
    IGO = "igo", "intergovernmental organisation"
    COMPANY = "company", "company"
    THINK_TANK = "think_tank", "think tank or research body"
    MEDIA = "media", "media outlet"
    PERSON = "person", "person"
    OTHER = "other", "other"


class ActorQuerySet(TrackedQuerySet):
    def with_parent(self) -> ActorQuerySet:
        return self.select_related("parent")


class Actor(TrackedModel):
    """A state, force, body, organisation, company, think tank, outlet or person.

    ``parent`` places an actor inside another (the PLA Navy inside China's
    armed forces); ``aliases`` keeps other names and spellings (Shoigu for
    Shoygu) so that searches find the actor whichever spelling is used.
    """

    name = models.CharField(max_length=200, db_index=True)
    kind = models.CharField(max_length=20, choices=ActorKind.choices, db_index=True)
    country = CountryField(
        blank=True, db_index=True, help_text="ISO 3166 alpha-2 country, where one applies."
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,  # deleting a state must not orphan its forces silently
        null=True,
        blank=True,
        related_name="children",
        help_text="The actor this one belongs to, e.g. the PLA Navy under China's armed forces.",
    )
    role = models.CharField(
        max_length=200,
        blank=True,
        help_text="For persons: their role at the time of the recorded facts, "
        "e.g. “Russian defence minister”.",
    )
    aliases = models.JSONField(
        default=list,
        blank=True,
        help_text='Other names and spellings, as a list: ["Shoigu", "Sergey Shoygu"].',
    )
    description = long_text(blank=True, help_text="A short description in our own words.")

    objects = TrackedManager.from_queryset(ActorQuerySet)()

    class Meta:
        ordering = ["name", "slug"]
        constraints = [slug_constraint("actor"), *publication_constraints("actor", ())]
        indexes = [
            models.Index(fields=["updated_at", "slug"], name="actor_sync_idx"),
            unpublished_keys_index("actor"),
            *ordering_indexes(
                "actor", ["name", "slug"], ("name", "kind", "country", "created_at", "updated_at")
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if not isinstance(self.aliases, list) or not all(
            isinstance(alias, str) and alias.strip() for alias in self.aliases
        ):
            errors.setdefault("aliases", []).append(
                "Give the other names as a list of non-empty strings."
            )
        elif len(set(self.aliases)) != len(self.aliases):
            errors.setdefault("aliases", []).append("A name is listed twice.")
        elif any(DELIMITER in alias for alias in self.aliases):
            # The CSV export joins aliases with it in one cell.
            errors.setdefault("aliases", []).append(
                f"A name may not contain “{DELIMITER}”: give each name as its own list item."
            )
        elif (length := sum(map(len, self.aliases))) > ALIASES_LENGTH:
            errors.setdefault("aliases", []).append(
                f"The other names come to {length:,} characters together; "
                f"at most {ALIASES_LENGTH:,} are allowed."
            )
        if self.parent_id is not None and self._parent_chain_contains_self():
            errors.setdefault("parent", []).append("An actor cannot be inside itself.")
        if errors:
            raise ValidationError(errors)

    def _parent_chain_contains_self(self) -> bool:
        seen = set()
        current = self.parent
        while current is not None and current.pk not in seen:
            if self.pk is not None and current.pk == self.pk:
                return True
            seen.add(current.pk)
            current = current.parent
        return False

"""Sources (cited works) and citations (the link from a record to a source)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from ..codes import LANGUAGE_CHOICES, WEB_URL
from ..dates import fuzzy_date_constraints, fuzzy_date_fields, precision_index
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


class SourceKind(models.TextChoices):
    NEWS = "news", "news report"
    OFFICIAL = "official", "official document or statement"
    ANALYSIS = "analysis", "analysis or commentary"
    ACADEMIC = "academic", "academic publication"
    LEGAL = "legal", "legal text"
    OTHER = "other", "other"


class Source(TrackedModel):
    """A cited work. Several footnotes citing one work point at one source."""

    title = models.CharField(max_length=500, db_index=True, help_text="As the citation gives it.")
    authors = models.CharField(max_length=300, blank=True, help_text="As written in the citation.")
    outlet = models.CharField(
        max_length=300, blank=True, help_text="Publisher, journal, newspaper or website."
    )
    details = models.CharField(
        max_length=500,
        blank=True,
        help_text="Series, issue, report number, DOI or other bibliographic detail.",
    )
    published, published_precision, published_qualifier = fuzzy_date_fields("published")
    url = models.URLField(max_length=500, blank=True, validators=[WEB_URL])
    accessed = models.DateField(null=True, blank=True, help_text="When the URL was last read.")
    language = models.CharField(
        max_length=8,
        blank=True,
        choices=LANGUAGE_CHOICES,
        help_text="ISO 639-1 code of the work's language: en, ru, zh.",
    )
    kind = models.CharField(max_length=20, choices=SourceKind.choices, db_index=True)

    fuzzy_dates = ("published",)

    objects = TrackedManager.from_queryset(TrackedQuerySet)()

    class Meta:
        ordering = ["title", "slug"]
        constraints = [
            slug_constraint("source"),
            *publication_constraints("source", ()),
            *fuzzy_date_constraints("published"),
        ]
        indexes = [
            # A filter of the API and the admin: a language few sources are in was
            # looked for in every row (statements: 150 ms at a million).
            models.Index(fields=["language"], name="source_language_idx"),
            models.Index(fields=["updated_at", "slug"], name="source_sync_idx"),
            precision_index("source", "published"),
            unpublished_keys_index("source"),
            *ordering_indexes(
                "source", ["title", "slug"], ("title", "published", "created_at", "updated_at")
            ),
        ]

    def __str__(self) -> str:
        return self.title


#: The records a citation can support; exactly one is set on each citation.
CITATION_TARGETS = ("agreement", "exercise", "arms_deal", "statement", "actor")


def normalise_locator(locator: str | None) -> str:
    """A locator as stored: no locator is ``""`` (never NULL), without surrounding spaces.

    Citations of the same source and footnote are duplicates when their
    locators are equal after this, however they were typed.
    """
    return (locator or "").strip()


def _exactly_one_target() -> Q:
    condition = Q()
    for target in CITATION_TARGETS:
        others = {f"{o}__isnull": True for o in CITATION_TARGETS if o != target}
        condition |= Q(**{f"{target}__isnull": False}, **others)
    return condition


class Citation(models.Model):
    """The evidence for one record: a source, and where in it (footnote, page).

    ``footnote`` is the footnote number of the article the record was taken
    from, when it came from one; ``locator`` is the page or section of the
    source. A cited source cannot be deleted (``PROTECT``); deleting the
    record deletes its citations.
    """

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="citations")
    # Indexed by citation_order_idx, which leads with it.
    footnote = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Footnote number in the citing article."
    )
    locator = models.CharField(max_length=100, blank=True, help_text="Page or section, e.g. p. 13.")
    excerpt = long_text(blank=True, help_text="The supporting passage, if worth keeping.")

    agreement = models.ForeignKey(
        "Agreement", on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    exercise = models.ForeignKey(
        "Exercise", on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    arms_deal = models.ForeignKey(
        "ArmsDeal", on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    statement = models.ForeignKey(
        "Statement", on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    actor = models.ForeignKey(
        "Actor", on_delete=models.CASCADE, null=True, blank=True, related_name="citations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["footnote", "id"]
        indexes = [
            # The list of all citations reads its first page in this order: with the
            # footnote's index alone every citation of the first footnote was sorted.
            # The records' keys ride along (PostgreSQL's INCLUDE; other databases
            # leave them out), so the footnote filter finds the records citing a
            # footnote from the index alone: at a million statements, the 22,700
            # citations of footnote 1 were read from 14,065 table pages (15 ms,
            # once for the count and once for the page), 1.9 ms from the index.
            # So does the source, which the public's footnote filter tests.
            models.Index(
                fields=["footnote", "id"],
                include=[*CITATION_TARGETS, "source"],
                name="citation_order_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=_exactly_one_target(),
                name="citation_exactly_one_target",
                violation_error_message="A citation supports exactly one record.",
            ),
            models.CheckConstraint(
                condition=Q(footnote__isnull=True) | Q(footnote__gte=1),
                name="citation_footnote_positive",
                violation_error_message="Footnote numbers start at 1.",
            ),
            *[
                models.UniqueConstraint(
                    fields=[target, "source", "footnote", "locator"],
                    condition=Q(**{f"{target}__isnull": False}),
                    name=f"citation_unique_{target}",
                    violation_error_message="This record already cites that source there.",
                )
                for target in CITATION_TARGETS
            ],
            # NULLs are distinct in a unique index, so citations without a
            # footnote need their own: one per source and page.
            *[
                models.UniqueConstraint(
                    fields=[target, "source", "locator"],
                    condition=Q(**{f"{target}__isnull": False, "footnote__isnull": True}),
                    name=f"citation_unique_{target}_unnumbered",
                    violation_error_message="This record already cites that source there.",
                )
                for target in CITATION_TARGETS
            ],
        ]

    def __str__(self) -> str:
        where = f"n. {self.footnote}" if self.footnote else ""
        if self.locator:
            where = f"{where}, {self.locator}" if where else self.locator
        return f"{self.source} ({where})" if where else str(self.source)

    def save(self, *args, **kwargs) -> None:
        self.locator = normalise_locator(self.locator)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        self.locator = normalise_locator(self.locator)

    @property
    def target(self):
        """The record this citation supports."""
        for name in CITATION_TARGETS:
            if getattr(self, f"{name}_id") is not None:
                return getattr(self, name)
        return None

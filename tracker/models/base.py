"""What every tracked record shares: a public identifier, timestamps, a note."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connections, models
from django.db.models import F, Max, Min
from django.db.models.functions import Lower

from ..codes import LONG_TEXT, LONG_TEXT_VALIDATOR, SLUG
from ..dates import FuzzyDate, FuzzyDateAttribute
from ..distinct import distinct_values
from ..internals import compile_values, is_filtered


class TrackedQuerySet(models.QuerySet):
    """Base queryset; subclasses add named, prefetching reads."""

    #: ``(field name, its value on every row)`` where already read: see
    #: :meth:`with_known_dates`.
    known_dates: tuple[str, list] | None = None

    def with_known_dates(self, field_name: str, values: list) -> TrackedQuerySet:
        """These rows, answering :meth:`dates` and a first/last :meth:`aggregate` of
        ``field_name`` from ``values`` (its value on every row) without a query.

        For the admin's date bar over a search, whose matches' dates were read
        with their keys while counting them: asking the database again tests the
        search on every match twice more (statements "zhurong" at a million: 10
        and 20 ms). Every other question goes to the database, and a queryset
        made from this one forgets the values.
        """
        clone = self._chain()
        clone.known_dates = (field_name, [value for value in values if value is not None])
        return clone

    def dates(self, field_name, kind, order="ASC"):
        """Distinct years by index probes on PostgreSQL; other kinds as Django does.

        ``SELECT DISTINCT date_trunc('year', ...)`` reads every row; the
        admin's date hierarchy and year filters ask for it on each changelist.
        Hopping from year to year through the date's index (a recursive query,
        one probe per year) gives the same years from a few dozen index reads.
        The year filter lists the years of the whole table, which is unfiltered.
        Dates already read (:meth:`with_known_dates`) are cut to years, months
        or days without a query.
        """
        descending = order == "DESC"
        if self.known_dates and self.known_dates[0] == field_name and kind in TRUNCATE:
            return sorted({TRUNCATE[kind](day) for day in self.known_dates[1]}, reverse=descending)
        # Filtered rows (an admin search) are better read once than probed year by
        # year: each probe would evaluate the filter again.
        if kind != "year" or is_filtered(self) or connections[self.db].vendor != "postgresql":
            return super().dates(field_name, kind, order)
        return distinct_years(self, field_name, descending=descending)

    def aggregate(self, *args, **kwargs):
        """As Django's; the first and last of dates already read without a query."""
        if self.known_dates and not args and kwargs:
            name, values = self.known_dates
            extremes = {Min: min, Max: max}
            if all(_plain_aggregate(e, name) in extremes for e in kwargs.values()):
                return {key: extremes[type(e)](values, default=None) for key, e in kwargs.items()}
        return super().aggregate(*args, **kwargs)


#: How :meth:`TrackedQuerySet.dates` cuts a date to each kind it answers itself.
TRUNCATE = {
    "year": lambda day: day.replace(month=1, day=1),
    "month": lambda day: day.replace(day=1),
    "day": lambda day: day,
}


def _plain_aggregate(expression, field_name: str) -> type | None:
    """The aggregate's class if it is that over ``field_name`` alone (no filter, no
    default, no ``distinct``), else None."""
    if not isinstance(expression, models.Aggregate):
        return None
    if expression.source_expressions != [F(field_name)]:
        return None
    if expression.filter is not None or expression.default is not None or expression.distinct:
        return None
    return type(expression)


def distinct_years(queryset: models.QuerySet, field_name: str, descending: bool) -> list:
    """First days of the years in which ``field_name`` falls, over ``queryset``'s rows (PG)."""
    compiled = compile_values(queryset.order_by().values_list(field_name))
    sql, params = compiled.sql, compiled.params
    recursive = f"""
        WITH RECURSIVE years(day) AS (
            SELECT min(q.day) FROM ({sql}) AS q(day)
            UNION ALL
            SELECT (
                SELECT min(q.day) FROM ({sql}) AS q(day)
                WHERE q.day >= (date_trunc('year', years.day) + interval '1 year')::date
            ) FROM years WHERE years.day IS NOT NULL
        )
        SELECT date_trunc('year', day)::date FROM years WHERE day IS NOT NULL
        ORDER BY 1 {"DESC" if descending else "ASC"}
    """
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(recursive, (*params, *params))
        return [row[0] for row in cursor.fetchall()]


def long_text(verbose_name: str | None = None, **kwargs) -> models.TextField:
    """A free-text field of at most ``LONG_TEXT`` characters, checked by ``full_clean``.

    Django leaves a TextField's ``max_length`` to forms; the validator makes
    every door (admin, API, import) refuse an over-long text with a message,
    and the schema states the limit.
    """
    return models.TextField(
        verbose_name, max_length=LONG_TEXT, validators=[LONG_TEXT_VALIDATOR], **kwargs
    )


def slug_constraint(prefix: str) -> models.CheckConstraint:
    """The database's side of the identifier rule: no capitals (the form checks the rest).

    A full pattern check needs regular expressions, which SQLite lacks in
    constraints; lowercase is the part both engines check the same way.
    """
    return models.CheckConstraint(
        condition=models.Q(slug=Lower("slug")),
        name=f"{prefix}_slug_lowercase",
        violation_error_message="Identifiers are lowercase.",
    )


#: The columns the default order's keys index carries besides its own (``ordering_indexes``).
KEYS_INDEX_INCLUDES = ["publication_status", "id"]
#: How that index's name ends (``statement_order_keys``).
KEYS_INDEX_SUFFIX = "_order_keys"


def keys_index_columns(model: type[models.Model]) -> set[str]:
    """The columns the model's default order keys index holds, its carried ones included
    (none for a model without one)."""
    for index in model._meta.indexes:
        if index.name.endswith(KEYS_INDEX_SUFFIX):
            names = [name.lstrip("-") for name in index.fields] + list(index.include)
            return {model._meta.get_field(name).column for name in names}
    return set()


def ordering_indexes(prefix: str, default: list[str], fields: tuple[str, ...]) -> list:
    """Indexes serving a list's default ordering and the ascending ``ordering`` the API offers.

    The API orders by ``field`` with empty values last, then by slug: each
    field gets a ``(field, slug)`` index (``updated_at``'s is the sync index),
    so a page is the first rows of an index. With the field's own index alone,
    every row sharing the first value was read and sorted by slug: arms deals
    by ``period_start`` read all 150,000 deals of a million-statement
    database (a search for "naval": 273 ms). Descending orders need ``DESC
    NULLS LAST`` indexes, which SQLite cannot create: they are made on
    PostgreSQL only, by migration 0004.

    A second index of the default order carries the publication status and
    the key (:data:`KEYS_INDEX_INCLUDES`; PostgreSQL's ``INCLUDE``, other
    databases leave them out): a deep page reads the keys of the rows before it
    from that index alone (``tracker.counting.DEEP_OFFSET``). It is not the
    order index made wider: the planner then priced walks of the order index
    higher and chose the first column's index and a sort (exercises searched in
    the admin at a million: 7.9 -> 18.8 ms a page).
    """
    indexes = [
        models.Index(fields=default, name=f"{prefix}_order_idx"),
        models.Index(
            fields=default, include=KEYS_INDEX_INCLUDES, name=f"{prefix}{KEYS_INDEX_SUFFIX}"
        ),
    ]
    for field in fields:
        if field != "updated_at" and default != [field, "slug"]:
            indexes.append(models.Index(fields=[field, "slug"], name=f"{prefix}_{field}_a"))
    return indexes


def unpublished_keys_index(prefix: str) -> models.Index:
    """The keys of the rows that are not published, a partial index: few rows.

    A list filtered by a link alone is counted from the link's keys, less those
    of rows not published (``tracker.link_counts``): checked against this
    index, no row is read. A published list's condition (``= 'published'``)
    cannot use it, so the plans of the public lists are as they were (a partial
    index of the published keys changed the searches' plans: ``docs/scale-history.md``).
    """
    return models.Index(
        fields=["id"],
        name=f"{prefix}{UNPUBLISHED_KEYS}",
        condition=~models.Q(publication_status=PublicationStatus.PUBLISHED),
    )


#: The end of the name of each record type's :func:`unpublished_keys_index`.
UNPUBLISHED_KEYS = "_unpublished"


def unpublished_keys_index_name(model: type[models.Model]) -> str | None:
    """The name of ``model``'s :func:`unpublished_keys_index`; None if it has none."""
    names = [index.name for index in model._meta.indexes if index.name.endswith(UNPUBLISHED_KEYS)]
    return names[0] if names else None


def by_actor_index(prefix: str, record: str) -> models.Index:
    """``(actor, record)`` on a link table: the records linked to some actors, read
    from the index alone.

    A search for an actor's name and the ``actor`` and ``country`` filters read
    the links of every matching actor; with only ``actor`` indexed each link
    was a visit to the table (migration 0017 measures it).
    """
    return models.Index(fields=["actor", record], name=f"{prefix}_by_actor")


def cited_rows(*related_names: str) -> list[models.Prefetch]:
    """Prefetches of a record's cited rows (``reported_values``, ``status_updates``), sources
    joined: one query per set, whatever the number of records."""
    from .claims import ReportedValue, StatusUpdate

    models_by_name = {"reported_values": ReportedValue, "status_updates": StatusUpdate}
    return [
        models.Prefetch(name, models_by_name[name].objects.select_related("source"))
        for name in related_names
    ]


class PublicationStatus(models.TextChoices):
    """Where a record is on the editors' desk; only ``published`` records leave it.

    Named ``publication_status`` everywhere (model, API, CSV) because agreements
    and arms deals already have a ``status``: their own lifecycle (signed, in
    force, delivered ...), which API consumers filter on.
    """

    DRAFT = "draft", "draft"
    IN_REVIEW = "in_review", "in review"
    PUBLISHED = "published", "published"


def date_unknown_field() -> models.BooleanField:
    """The explicit "the sources give no date" of a record that is published undated."""
    return models.BooleanField(
        "date unknown",
        default=False,
        help_text="Tick when the sources give no date: a record is published only with a date "
        "or with this ticked.",
    )


def publication_constraints(prefix: str, dates: tuple[str, ...]) -> list[models.CheckConstraint]:
    """The database's side of the publishing rules: a known status, and for records
    with ``dates`` (the fields that date it), published only dated or marked undated.

    ``clean`` checks the same with messages per field; these keep a bulk write or a
    manual SQL update from storing a record the forms would refuse.
    """
    constraints = [
        models.CheckConstraint(
            condition=models.Q(publication_status__in=PublicationStatus.values),
            name=f"{prefix}_publication_status_known",
            violation_error_message="Unknown publication status.",
        )
    ]
    if dates:
        dated = models.Q(date_unknown=True)
        for field in dates:
            dated |= models.Q(**{f"{field}__isnull": False})
        constraints.append(
            models.CheckConstraint(
                condition=~models.Q(publication_status=PublicationStatus.PUBLISHED) | dated,
                name=f"{prefix}_published_dated",
                violation_error_message="A published record has a date or is marked "
                "“date unknown”.",
            )
        )
    return constraints


class TrackedManager(models.Manager.from_queryset(TrackedQuerySet)):
    """Looks records up by slug so fixtures and exports refer to them stably."""

    def get_by_natural_key(self, slug: str):
        return self.get(slug=slug)


class TrackedModel(models.Model):
    """Abstract base of every record a consumer can address.

    ``slug`` is the public identifier: unique, never changed once saved and
    never reused after a deletion (see :class:`DeletedRecord`), so consumers'
    copies, exports and links keep pointing at the same fact.
    """

    slug = models.SlugField(
        "identifier",
        max_length=120,
        unique=True,
        validators=[SLUG],
        help_text="Stable public identifier: lowercase letters, digits and hyphens, e.g. "
        "“tsentr-2019”. Cannot change once saved.",
    )
    editorial_note = long_text(
        blank=True, help_text="For editors: doubts, sources still to check, decisions taken."
    )
    publication_status = models.CharField(
        "publication status",
        max_length=12,
        choices=PublicationStatus.choices,
        default=PublicationStatus.DRAFT,
        db_index=True,
        help_text="Only published records are shown to the public (API, exports, feeds).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    #: Fields that date a record for the publishing rule (any one known, or
    #: ``date_unknown`` ticked); empty for records published undated (actors, sources).
    publication_dates: tuple[str, ...] = ()
    #: Names of the fuzzy dates (see ``tracker.dates``) this model has.
    fuzzy_dates: tuple[str, ...] = ()
    #: (start, end) pairs of fuzzy dates where end may not precede start.
    date_ranges: tuple[tuple[str, str], ...] = ()
    #: Text fields whose values form a vocabulary (a series, a region): editors pick
    #: a value in use or add a new one, never a variant of one in use.
    vocabulary_fields: tuple[str, ...] = ()
    #: Facts sources may report differently (``tracker.models.claims.ReportedValue.field``):
    #: fuzzy dates by name, ``value`` (a deal's money value) and ``quantity``.
    disputable: tuple[str, ...] = ()

    objects = TrackedManager()

    class Meta:
        abstract = True

    def get_absolute_url(self) -> str:
        """The record's public page in the explorer (the admin's "View on site")."""
        from django.urls import reverse

        from ..registry import for_model  # the registry imports the models

        return reverse("explorer:record", args=[for_model(type(self)).resource, self.slug])

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What the database holds, so that a save knows whether it takes the
        # record out of publication (tracker.changes, tracker.services).
        instance._stored_publication_status = instance.__dict__.get("publication_status")
        return instance

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    @classmethod
    def record_type(cls) -> str:
        """The name consumers see for this kind of record (``exercise``)."""
        return cls._meta.model_name

    def clean(self) -> None:
        super().clean()
        errors: dict[str, list[str]] = {}
        for field in self.fuzzy_dates:
            for message in self.fuzzy(field).errors():
                errors.setdefault(field, []).append(message)
        for start, end in self.date_ranges:
            if start in errors or end in errors:
                continue
            first, last = self.fuzzy(start), self.fuzzy(end)
            if first.is_known and last.is_known and last.value < first.value:
                errors.setdefault(end, []).append(
                    f"Ends ({last.display()}) before it starts ({first.display()})."
                )
        self._clean_slug(errors)
        self._clean_vocabulary(errors)
        self._clean_publication(errors)
        if errors:
            raise ValidationError(errors)

    @property
    def is_published(self) -> bool:
        """Whether anonymous readers see this record."""
        return self.publication_status == PublicationStatus.PUBLISHED

    def _clean_publication(self, errors: dict[str, list[str]]) -> None:
        """A published record is dated, or says the sources give no date.

        (The citation rule is the write path's: ``tracker.services``.)
        """
        if not self.is_published or not self.publication_dates:
            return
        if getattr(self, "date_unknown", False):
            return
        if any(getattr(self, field) is not None for field in self.publication_dates):
            return
        names = " or ".join(
            str(type(self)._meta.get_field(field).verbose_name) for field in self.publication_dates
        )
        errors.setdefault("publication_status", []).append(
            f"Publishing needs a date: give the {names}, or tick “date unknown” if the "
            "sources give none."
        )

    def fuzzy(self, field: str) -> FuzzyDate:
        """The fuzzy date stored in the three columns named ``field``."""
        return FuzzyDateAttribute(field).__get__(self)

    def vocabulary(self, field: str) -> list[str]:
        """The values of ``field`` in use, sorted (what an editor picks from)."""
        return [value for value in distinct_values(type(self), field) if value != ""]

    def _clean_vocabulary(self, errors: dict[str, list[str]]) -> None:
        for field in self.vocabulary_fields:
            value = " ".join(getattr(self, field).split())
            setattr(self, field, value)
            if not value:
                continue
            variant = (
                type(self)
                ._default_manager.filter(**{f"{field}__iexact": value})
                .exclude(**{field: value})
                .values_list(field, flat=True)
                .first()
            )
            if variant is not None:
                errors.setdefault(field, []).append(
                    f"“{variant}” is already in use: write it the same way, so that lists "
                    "and filters keep them together."
                )

    def _clean_slug(self, errors: dict[str, list[str]]) -> None:
        if not self.slug:
            return
        if self.pk is not None:
            stored = type(self)._default_manager.filter(pk=self.pk).values_list("slug", flat=True)
            stored_slug = stored.first()
            if stored_slug is not None and stored_slug != self.slug:
                errors.setdefault("slug", []).append(
                    f"The identifier “{stored_slug}” is public and cannot be changed."
                )
                return
        else:
            if DeletedRecord.objects.filter(
                record_type=self.record_type(), slug=self.slug
            ).exists():
                errors.setdefault("slug", []).append(
                    f"“{self.slug}” belonged to a deleted record; identifiers are never reused."
                )


class DeletedRecord(models.Model):
    """A tombstone: which public identifier was deleted, and when.

    Consumers that mirror the database learn about deletions from these
    rows, and identifiers listed here are never handed out again.
    """

    record_type = models.CharField(max_length=40)
    slug = models.SlugField(max_length=120)
    deleted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    #: Anonymous readers knew the record: it was published when it was deleted or
    #: withdrawn. Only these reach the public deletions feed (a draft's slug never does).
    public = models.BooleanField(default=True)
    #: The record lives on, taken back from publication: a deletion for anonymous
    #: readers only (their copies must drop it); editors still see the record.
    withdrawn = models.BooleanField(default=False)

    class Meta:
        ordering = ["deleted_at", "record_type", "slug"]
        constraints = [
            models.UniqueConstraint(fields=["record_type", "slug"], name="deleted_record_unique")
        ]

    def __str__(self) -> str:
        return f"{self.record_type} {self.slug} (deleted {self.deleted_at:%Y-%m-%d})"

"""FilterSets for every list: links, countries, dates, sources, search, ordering, sync.

Conventions a consumer can rely on:

* Several values of a filter on *links* (``actor``, ``country``, ``source``,
  ``footnote``, ``speaker`` ...) mean "all of these": ``actor=a&actor=b``
  lists records in which both took part. A record has one kind, one status,
  one domain, so several values of those mean "any of these".
* Filters across to-many links are subqueries (``pk IN (...)``), never
  joins on the listed rows, so no record is listed twice.
* ``date_from``/``date_to`` keep records whose period overlaps the range at
  each date's own precision (``tracker.dates.overlap_q``).

The fields and filters that check each parameter are in
:mod:`tracker.api.filter_fields`; this module combines them per record type.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import django_filters
from django import forms
from django.db.models import Count, Q, QuerySet

from .. import claims, models, registry
from ..date_ranges import bounded_by_start
from ..dates import overlap_q
from ..key_conditions import AnyOf, field_condition, keys_linked_to_any, linked_to_any_forms
from ..public import published, sees_drafts, without_draft_ends
from ..search import contains_any, rank_by_name
from ..services import citation_target_field
from ..walked import Walkable, per_row_from
from .filter_fields import (
    COUNTRY_CHOICES,
    AllOfFilter,
    AllOfValuesFilter,
    DeclaredFilters,
    FootnoteFilter,
    PartialDateFilter,
    StableOrderingFilter,
    StrictBooleanFilter,
    UTCDateTimeFilter,
    reads_as_public,
    text_filter,
)

MAX_SEARCH_TERMS = 10


class RecordFilterForm(forms.Form):
    """Checks that concern several parameters at once."""

    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", "date_to is before date_from.")
        if data.get("updated_since") and data.get("ordering"):
            self.add_error(
                "ordering",
                "Lists filtered by updated_since are always ordered by updated_at, then slug; "
                "leave ordering out.",
            )
        return data


def _skip(queryset: QuerySet, name: str, value) -> QuerySet:
    """Placeholder method: the filter is applied in ``filter_queryset``."""
    return queryset


class RecordFilterSet(django_filters.FilterSet):
    """What every list accepts: search, updated_since and ordering."""

    search = text_filter(
        200,
        method="filter_search",
        help_text="Words to find in names and texts (case-insensitive, every word must occur). "
        "Plain text only: no regular expressions. Without `ordering`, the record named the "
        "text (or, for actors, with that alias) comes first, then names starting with it, then "
        "names with a word starting with it, then the rest.",
    )
    publication_status = django_filters.MultipleChoiceFilter(
        choices=models.PublicationStatus.choices,
        distinct=False,
        help_text="draft, in_review or published. Editors read every record and may select "
        "by status; everyone else reads published records only. Repeat for any of several.",
    )
    updated_since = UTCDateTimeFilter(
        field_name="updated_at",
        lookup_expr="gte",
        help_text="ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z (UTC if no offset). Lists "
        "records created or changed at or after it, ordered by updated_at, then slug, and paged "
        "with an opaque cursor: follow `next`.",
    )

    #: Text fields ``search`` looks in.
    search_fields: tuple[str, ...] = ()
    #: (start, end) fuzzy-date pairs ``date_from``/``date_to`` test for overlap.
    date_periods: tuple[tuple[str, str | None], ...] = ()

    class Meta:
        form = RecordFilterForm
        fields: list[str] = []

    @classmethod
    def get_filters(cls) -> DeclaredFilters:
        return DeclaredFilters(super().get_filters())

    def get_form_class(self) -> type[forms.Form]:
        """The form class, built once per filterset class (django-filter builds it for
        each request). Its fields depend on the declared filters alone; each form
        copies them when it is made."""
        built = type(self).__dict__.get("_form_class")
        if built is None:
            built = super().get_form_class()
            type(self)._form_class = built
        return built

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Every word must occur in at least one search field (icontains, no regex).

        Without an ``ordering`` (or ``updated_since``), ranked by name (``rank_by_name``).
        """
        terms = value.split()[:MAX_SEARCH_TERMS]
        # The public's search looks in the names of published linked records only.
        public = not sees_drafts(getattr(self.request, "user", None))
        for term in terms:
            queryset = queryset.filter(
                contains_any(queryset.model, self.search_fields, term, public)
            )
        data = self.form.cleaned_data
        if not data.get("ordering") and not data.get("updated_since"):
            queryset = rank_by_name(queryset, " ".join(terms))
        return queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if self.date_periods and (date_from or date_to):
            condition = Q()
            for start, end in self.date_periods:
                condition |= overlap_q(start, end, date_from, date_to)
            queryset = queryset.filter(condition)
            if date_from:
                # Changes no result; lets the date index start where matches can begin.
                queryset = bounded_by_start(queryset, self.date_periods, date_from)
        if data.get("updated_since"):
            queryset = queryset.order_by("updated_at", "slug")
        return queryset


def date_filters() -> tuple[PartialDateFilter, PartialDateFilter]:
    """The ``date_from`` and ``date_to`` pair (inclusive; a year, a month or a day)."""
    return (
        PartialDateFilter(
            method=_skip,
            help_text="YYYY, YYYY-MM or YYYY-MM-DD (years 1000–9999): records whose dates reach "
            "the first day of it or later, at each date's precision (“September 2019” reaches "
            "2019-09-30).",
        ),
        PartialDateFilter(
            method=_skip,
            last_day=True,
            help_text="YYYY, YYYY-MM or YYYY-MM-DD (years 1000–9999): records whose dates begin "
            "on the last day of it or earlier (date_to=2019 includes 31 December). Not before "
            "date_from.",
        ),
    )


def own_key(field: str) -> Callable[..., Q]:
    """Condition: rows whose foreign key ``field`` is the record (a column of their own,
    tested on each row as it is: ``per_row`` changes nothing)."""
    return lambda record, per_row=False: Q(**{field: record})


def linked_to(model, paths: tuple[str, ...]) -> Callable[..., Q]:
    """Condition: ``model`` rows linked to a value through any of ``paths``.

    Each path is a condition on the model's own columns (``tracker.search``), so
    an ``OR`` of a foreign key and a to-many link is answered from indexes
    instead of a scan of the whole table. ``per_row``: for a value after the
    first (see :class:`~.filter_fields.AllOfFilter`).
    """

    def condition(value, per_row: bool = False) -> Q:
        result = Q()
        for path in paths:
            result |= field_condition(model, path, "exact", value, per_row=per_row)
        return result

    return condition


def of_country(model, paths: tuple[str, ...]) -> Callable[[object, bool], Q]:
    """Condition: ``model`` rows linked through any of ``paths`` to an actor of a country
    (written so that the planner can tell how many match:
    :func:`tracker.key_conditions.linked_to_any`), with a form for a page read walking
    the list's order (:class:`tracker.walked.Walkable`). ``public``: a published actor
    (the public reads no link to a draft, so none makes a record match)."""

    def condition(code, public: bool) -> Q:
        actors = models.Actor.objects.filter(country=code)
        if public:
            actors = published(actors)
        forms = linked_to_any_forms(model, paths, actors, partial(per_row_from, model))
        return Q(Walkable(*forms, keys=keys_linked_to_any(model, paths, actors)))

    return condition


#: Up to this many values, :func:`citing_every` semi-joins each value's citations;
#: beyond, it counts each record's distinct values. Each semi-join is one more
#: relation to plan, and past twelve PostgreSQL plans by a genetic search: 100
#: sources at a million statements took 821 ms to plan, against 3 ms to plan and
#: 10 ms to run counted.
SEMI_JOINED_VALUES = 4


def citing_every(model, key: str) -> Callable[[list], Q]:
    """Condition: ``model`` rows with a citation whose ``key`` is each of the values.

    One set of keys, those citing every value: a set per value, each named by
    ``= ANY(ARRAY(...))``, left PostgreSQL testing each row against the second
    set one element at a time (statements citing footnotes 1 and 2 at a million,
    17,331 and 17,402 keys: 14 s). For a few values, the first value's citations
    semi-joined to each other's (38 ms); for more, the records whose citations
    hold as many distinct values (:data:`SEMI_JOINED_VALUES`; for two footnotes
    that counting took 109 ms).

    ``public``: only the citations the public reads, of a published source (the
    citations' order index carries the source, so they are still read from it alone).
    """
    target = f"{citation_target_field(model())}_id"

    def condition(values: list, public: bool = False) -> Q:
        def keys(**condition) -> QuerySet:
            # Only this type's citations: the others' hold no key of it (a footnote's
            # citations of statements were read to find the actors citing it).
            citations = models.Citation.objects.filter(**condition, **{f"{target}__isnull": False})
            if public:
                citations = without_draft_ends(citations, "source")
            return citations.values(target)

        wanted = list(dict.fromkeys(values))
        if len(wanted) > SEMI_JOINED_VALUES:
            rows = keys(**{f"{key}__in": wanted}).annotate(cited=Count(key, distinct=True))
            return Q(AnyOf("pk", rows.filter(cited=len(wanted)).values(target)))
        first, *others = wanted
        rows = keys(**{key: first})
        for value in others:
            rows = rows.filter(**{f"{target}__in": keys(**{key: value})})
        return Q(AnyOf("pk", rows))

    return condition


def actor_filters(model, paths: tuple[str, ...]) -> dict[str, django_filters.Filter]:
    """``actor`` (in any of ``paths``) and ``country`` (of such an actor)."""
    return {
        "actor": AllOfFilter(
            field_name=f"{paths[-1]}__slug",
            queryset=models.Actor.objects.all(),
            condition=linked_to(model, paths),
            help_text="Identifier of an actor in any role. Repeat for records linked to all.",
        ),
        "country": AllOfValuesFilter(
            choices=COUNTRY_CHOICES,
            condition=of_country(model, paths),
            help_text="ISO 3166 alpha-2 code (CN, RU) of an actor in any role. Repeat for "
            "records linked to actors of all of them.",
        ),
    }


def citation_filters(model) -> dict[str, django_filters.Filter]:
    """``source`` and ``footnote``: records citing all the given sources / footnotes."""
    return {
        "source": AllOfFilter(
            field_name="citations__source__slug",
            queryset=models.Source.objects.all(),
            every=citing_every(model, "source"),
            help_text="Identifier of a cited source. Repeat for records citing all of them.",
        ),
        "footnote": FootnoteFilter(
            field_name="citations__footnote",
            condition=citing_every(model, "footnote"),
            help_text="Footnote number in the citing article. Repeat for records citing all.",
        ),
    }


def about_filters() -> dict[str, AllOfFilter]:
    """``about_<type>`` for each record type statements concern: statements concerning all
    the given records of that type (registry order: actor, agreement, exercise, arms deal)."""
    filters = {}
    for rt in registry.RECORD_TYPES:
        if rt.about is None:
            continue
        noun = str(rt.model._meta.verbose_name)
        article = "an" if noun[0] in "aeiou" else "a"
        filters[f"about_{rt.key}"] = AllOfFilter(
            field_name=f"{rt.about}__slug",
            queryset=rt.model.objects.all(),
            condition=linked_to(models.Statement, (rt.about,)),
            help_text=f"Identifier of {article} {noun} the statement concerns. Repeat for "
            "statements concerning all of them.",
        )
    return filters


class DisputedFilter(StrictBooleanFilter):
    """``disputed``: records with (true) or without (false) a value some source reports
    other than the one shown (``tracker.claims``). For the public, only the values it
    reads count, as for each record's ``disputed`` flag."""

    def __init__(self, **kwargs):
        super().__init__(
            help_text="true: records some source reports another value for (a reported "
            "value ranked normal or deprecated); false: the others.",
            **kwargs,
        )

    def filter(self, queryset: QuerySet, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        public = reads_as_public(self)
        if value:
            # Named by the disputed records' keys, as a link names its rows: counted
            # from them (``tracker.link_counts``), its pages walked like a link's.
            return queryset.filter(AnyOf("pk", claims.disputed_keys(queryset.model, public)))
        return queryset.filter(~claims.disputed(queryset.model, public))


def choices_filter(choices, help_text: str) -> django_filters.MultipleChoiceFilter:
    """A record's own single-valued field: several values mean any of them."""
    return django_filters.MultipleChoiceFilter(
        choices=choices, distinct=False, help_text=f"{help_text} Repeat for any of several."
    )


def ordering_filter(*fields: str) -> StableOrderingFilter:
    """``ordering`` over ``fields`` (prefix ``-`` for descending); ties broken by slug."""
    return StableOrderingFilter(
        fields=fields,
        help_text="Comma-separated fields, “-” for descending; ties are broken by slug.",
    )


class ActorFilterSet(RecordFilterSet):
    kind = choices_filter(models.ActorKind.choices, "Kind of actor.")
    country = choices_filter(COUNTRY_CHOICES, "The actor's ISO 3166 alpha-2 country.")
    parent = AllOfFilter(
        field_name="parent__slug",
        queryset=models.Actor.objects.all(),
        condition=own_key("parent"),
        help_text="Identifier of the actor these belong to (direct children only).",
    )
    source, footnote = citation_filters(models.Actor).values()
    ordering = ordering_filter("name", "kind", "country", "created_at", "updated_at", "slug")

    search_fields = registry.ACTOR.search_fields

    class Meta(RecordFilterSet.Meta):
        model = models.Actor


class SourceFilterSet(RecordFilterSet):
    kind = choices_filter(models.SourceKind.choices, "Kind of source.")
    language = text_filter(8, "ISO 639-1 code of the work's language: en, ru, zh.")
    date_from, date_to = date_filters()
    ordering = ordering_filter("title", "published", "created_at", "updated_at", "slug")

    search_fields = registry.SOURCE.search_fields
    date_periods = (("published", None),)

    class Meta(RecordFilterSet.Meta):
        model = models.Source


class AgreementFilterSet(RecordFilterSet):
    kind = choices_filter(models.AgreementKind.choices, "Kind of agreement.")
    status = choices_filter(models.AgreementStatus.choices, "Status.")
    actor, country = actor_filters(models.Agreement, ("parties",)).values()
    disputed = DisputedFilter()
    source, footnote = citation_filters(models.Agreement).values()
    date_from, date_to = date_filters()
    ordering = ordering_filter("concluded", "title", "created_at", "updated_at", "slug")

    search_fields = registry.AGREEMENT.search_fields
    date_periods = (("concluded", None),)

    class Meta(RecordFilterSet.Meta):
        model = models.Agreement


class ExerciseFilterSet(RecordFilterSet):
    domain = choices_filter(models.ExerciseDomain.choices, "Domain.")
    series = text_filter(100, "Series, e.g. Peace Mission (any case).", lookup_expr="iexact")
    region = text_filter(100, "Broad region, e.g. Central Asia.", lookup_expr="iexact")
    actor, country = actor_filters(models.Exercise, ("participants",)).values()
    disputed = DisputedFilter()
    source, footnote = citation_filters(models.Exercise).values()
    date_from, date_to = date_filters()
    ordering = ordering_filter("start_date", "name", "created_at", "updated_at", "slug")

    search_fields = registry.EXERCISE.search_fields
    date_periods = (("start_date", "end_date"),)

    class Meta(RecordFilterSet.Meta):
        model = models.Exercise


class ArmsDealFilterSet(RecordFilterSet):
    category = choices_filter(models.ArmsCategory.choices, "Category.")
    scope = choices_filter(models.DealScope.choices, "Single contract or aggregate figure.")
    status = choices_filter(models.DealStatus.choices, "Status.")
    supplier = AllOfFilter(
        field_name="supplier__slug",
        queryset=models.Actor.objects.all(),
        condition=own_key("supplier"),
        help_text="Identifier of the supplying actor.",
    )
    recipient = AllOfFilter(
        field_name="recipient__slug",
        queryset=models.Actor.objects.all(),
        condition=own_key("recipient"),
        help_text="Identifier of the receiving actor.",
    )
    actor, country = actor_filters(
        models.ArmsDeal, ("supplier", "recipient", "contractors")
    ).values()
    disputed = DisputedFilter()
    source, footnote = citation_filters(models.ArmsDeal).values()
    date_from, date_to = date_filters()
    ordering = ordering_filter(
        "contract_date", "period_start", "title", "created_at", "updated_at", "slug"
    )

    search_fields = registry.ARMS_DEAL.search_fields
    date_periods = (("contract_date", None), ("period_start", "period_end"))

    class Meta(RecordFilterSet.Meta):
        model = models.ArmsDeal


class StatementFilterSet(RecordFilterSet):
    kind = choices_filter(models.StatementKind.choices, "Kind of statement.")
    speaker = AllOfFilter(
        field_name="speaker__slug",
        queryset=models.Actor.objects.all(),
        condition=own_key("speaker"),
        help_text="Identifier of the speaker.",
    )
    language = text_filter(8, "ISO 639-1 code: en, ru, zh.")
    actor, country = actor_filters(models.Statement, ("speaker", "about_actors")).values()
    about_actor, about_agreement, about_exercise, about_arms_deal = about_filters().values()
    disputed = DisputedFilter()
    source, footnote = citation_filters(models.Statement).values()
    date_from, date_to = date_filters()
    ordering = ordering_filter("date", "created_at", "updated_at", "slug")

    search_fields = registry.STATEMENT.search_fields
    date_periods = (("date", None),)

    class Meta(RecordFilterSet.Meta):
        model = models.Statement


class DeletedRecordFilterSet(django_filters.FilterSet):
    since = UTCDateTimeFilter(
        field_name="deleted_at",
        lookup_expr="gte",
        help_text="ISO 8601 date-time: deletions at or after it (UTC if no offset).",
    )
    resource = django_filters.MultipleChoiceFilter(
        choices=[(rt.resource, rt.resource) for rt in registry.RECORD_TYPES],
        method="filter_resource",
        help_text="The API resource the record belonged to, as in its URL (arms-deals). "
        "Repeat for any of several.",
    )
    record_type = django_filters.MultipleChoiceFilter(
        choices=[(rt.name, rt.name) for rt in registry.RECORD_TYPES],
        distinct=False,
        help_text="Deprecated: the same as `resource`, by the record's internal type name "
        "(armsdeal). Repeat for any of several.",
    )

    class Meta:
        model = models.DeletedRecord
        fields: list[str] = []

    def filter_resource(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        """Deletions of records of any of the given resources (``arms-deals``)."""
        if not value:
            return queryset
        return queryset.filter(
            record_type__in=[registry.for_resource(resource).name for resource in value]
        )

"""List filters of the editors' admin that know the tracker's data: countries by name."""

from __future__ import annotations

import unicodedata

from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Exists, OuterRef, QuerySet
from django_countries import countries

from ..distinct import distinct_values
from ..models import Actor


def _name_key(code: str) -> str:
    """Sorts country names as a reader expects: “Åland Islands” among the As."""
    name = unicodedata.normalize("NFKD", str(countries.name(code) or code))
    return "".join(c for c in name if not unicodedata.combining(c)).casefold()


def actor_countries() -> list[str]:
    """The countries some actor has, as ISO codes, read from the column's index."""
    return [code for code in distinct_values(Actor, "country") if code]


class IndexedValuesFilter(admin.AllValuesFieldListFilter):
    """A filter by each value in use of an indexed column (a series, a footnote), the
    values read from its index (:mod:`tracker.distinct`) rather than by a
    ``DISTINCT`` over every row of the table; "empty" too where some row has none."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        if field_path != field.name:
            raise ImproperlyConfigured(
                f"IndexedValuesFilter: {model.__name__}.{field_path} is not a column of its table"
            )
        choices = distinct_values(model, field.name)
        if field.null and model._default_manager.filter(**{f"{field.name}__isnull": True}).exists():
            choices.append(None)
        self.lookup_choices = choices


class _ActorLink:
    """How a record reaches actors through ``relation`` (a foreign key or a many-to-many).

    ``rows`` is the table holding one row per (record, actor): the record's own
    table for a foreign key (an arms deal's supplier), the link table for a
    many-to-many (an exercise's participants), whose ``record_column`` and
    ``actor_column`` are its foreign keys to the record and to the actor.
    """

    def __init__(self, model: type[models.Model], relation: str):
        field = model._meta.get_field(relation)
        if field.related_model is not Actor:
            raise ValueError(f"{model.__name__}.{relation} does not lead to actors")
        self.relation = relation
        self.many = field.many_to_many
        if self.many:
            self.rows = field.remote_field.through._base_manager
            self.record_column = field.m2m_field_name()
            self.actor_column = field.m2m_reverse_field_name()
        else:
            self.rows = model._base_manager
            self.actor_column = relation

    def countries(self) -> list[str]:
        """The countries of the actors that some record links to, as ISO codes.

        One probe per country, not one per actor: the actors' countries come
        from their index (a few dozen), then a single query asks of each
        whether some link row reaches an actor of it, an ``EXISTS`` that stops
        at the first (the query reads one actor row only to carry the answers).
        """
        codes = actor_countries()
        probes = {
            f"c{number}": Exists(self.rows.filter(**{f"{self.actor_column}__country": code}))
            for number, code in enumerate(codes)
        }
        if not probes:
            return []
        linked = Actor.objects.order_by().annotate(**probes).values_list(*probes)[0]
        return [code for code, found in zip(codes, linked, strict=True) if found]

    def records_in(self, queryset: QuerySet, code: str) -> QuerySet:
        """The records linked to an actor of country ``code``, each once."""
        if not self.many:
            return queryset.filter(**{f"{self.relation}__country": code})
        # A semi-join: two Russian participants must not list an exercise twice.
        linked = self.rows.filter(
            **{self.record_column: OuterRef("pk"), f"{self.actor_column}__country": code}
        )
        return queryset.filter(Exists(linked))


def country_filter(path: str, title: str) -> type[admin.SimpleListFilter]:
    """A list filter offering, by name, the countries that occur for this list's records.

    ``path`` is ``"country"`` on the actors' list, else ``"<relation>__country"``
    where the relation leads from the record to actors (``participants__country``,
    ``supplier__country``). The query parameter is ``path`` with an ISO 3166
    alpha-2 code as its value (``?participants__country=CN``), as Django's own
    field filters named it. An unknown code lists nothing and says why; it never
    reaches the database.

    The choices cost a ``DISTINCT`` over the actors' indexed ``country`` and,
    on a record's list, one query probing the link's indexed actor column once
    per country (:meth:`_ActorLink.countries`): their cost follows the number
    of countries (and the actors of a country no record reaches), not the
    number of records.
    """
    relation, _, column = path.rpartition("__")
    if column != "country" or "__" in relation:
        raise ValueError(f"{path!r}: expected 'country' or '<relation to actors>__country'")

    class CountryFilter(admin.SimpleListFilter):
        parameter_name = path

        def _link(self, model: type[models.Model]) -> _ActorLink | None:
            return _ActorLink(model, relation) if relation else None

        def lookups(self, request, model_admin):
            link = self._link(model_admin.model)
            codes = link.countries() if link else actor_countries()
            return [(code, countries.name(code) or code) for code in sorted(codes, key=_name_key)]

        def queryset(self, request, queryset):
            code = self.value()
            if not code:
                return queryset
            if code not in countries:
                shown = f"“{code[:20]}” is" if code.isprintable() else "That is"
                messages.warning(request, f"{shown} not a country code: use one such as CN or RU.")
                return queryset.none()
            link = self._link(queryset.model)
            return link.records_in(queryset, code) if link else queryset.filter(country=code)

    CountryFilter.title = title
    CountryFilter.__name__ = f"{path.title().replace('_', '')}Filter"
    return CountryFilter

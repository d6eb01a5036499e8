"""Many-valued links of a chunk of rows, read in one query per chunk and link.

A record file joins the slugs a record links to in one cell (an exercise's
``participants``, a record's cited ``sources``, what a statement is
``about_*``). Each is loaded by an *attach* function: given a chunk of plain
rows (dicts keyed by field path, see :mod:`tracker.exports.tables`) and the
run's :class:`SlugCache`, it reads the chunk's link rows in one query, by the
linked record's key, and stores the list of slugs in each row under its own
key. That is lighter than ``prefetch_related``, which builds a related
manager and a queryset per object, and lighter than joining the linked table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models

from .. import public as gate
from ..models import Citation, Statement

#: A chunk of rows as the tables read them: field path -> value.
Row = dict[str, Any]
#: Loads one link of a chunk of rows into the rows (see the module docstring).
Attach = Callable[[list[Row], "SlugCache"], None]


class SlugCache:
    """Slugs of linked records by primary key, read as an export needs them.

    Joining a chunk's 3,000 citations to a table of 100,000 sources made
    PostgreSQL hash the whole source table for every chunk (90 ms of each
    chunk's 250 ms); reading the chunk's source ids, then the slugs of the
    few not seen yet by primary key, costs a few milliseconds. One cache per
    export run: slugs never change, but a long-lived process must not keep them.

    A ``public`` cache knows only published records (:mod:`tracker.public`):
    links to the others are left out of the run's files.
    """

    #: Ids per query (SQLite allows 32,766 parameters).
    BATCH = 2_000

    def __init__(self, public: bool = False) -> None:
        self.public = public
        self.known: dict[type[models.Model], dict[Any, str]] = {}
        self.asked: dict[type[models.Model], set[Any]] = {}

    def slugs(self, model: type[models.Model], ids: Iterable[Any]) -> dict[Any, str]:
        """``{id: slug}`` for every id of ``ids`` (None ignored; in a public cache,
        ids of records that are not published are missing)."""
        known = self.known.setdefault(model, {})
        asked = self.asked.setdefault(model, set())
        missing = sorted({i for i in ids if i is not None and i not in asked})
        asked.update(missing)
        for start in range(0, len(missing), self.BATCH):
            batch = model._default_manager.filter(pk__in=missing[start : start + self.BATCH])
            if self.public:
                batch = gate.published(batch)
            known.update(batch.values_list("pk", "slug"))
        return known


def linked_values(
    key: str, model: type[models.Model], owner_field: str, value_field: str
) -> Attach:
    """An attach function: set ``row[key]`` of each row of a chunk to the list of
    ``value_field`` of the ``model`` rows whose ``owner_field`` points at it.

    One query per chunk, in the link rows' primary-key order (the order
    editors entered them). A ``value_field`` that is a linked record's slug
    (``source__slug``) is read as the key and looked up in the run's
    :class:`SlugCache` rather than joined.
    """
    link, _, rest = value_field.partition("__")
    slug_of = model._meta.get_field(link).related_model if rest == "slug" else None
    read_field = model._meta.get_field(link).attname if slug_of else value_field
    # The owner's key as the chunk's rows hold it (``id``).
    pk_name = model._meta.get_field(owner_field).related_model._meta.pk.attname

    def attach(chunk: list[Row], cache: SlugCache) -> None:
        if not chunk:
            return
        found: dict[Any, list[Any]] = {row[pk_name]: [] for row in chunk}
        low, high = min(found), max(found)
        if high - low < 2 * len(found):
            # A dense run of ids (a whole table, chunk by chunk): a range is one index
            # scan, where IN with 2,000 values costs Django more than the query.
            owners = {f"{owner_field}__gte": low, f"{owner_field}__lte": high}
        else:
            owners = {f"{owner_field}__in": list(found)}
        pairs = list(
            model._default_manager.filter(**owners)
            .order_by("pk")
            .values_list(owner_field, read_field)
        )
        if slug_of is not None:
            slugs = cache.slugs(slug_of, (value for _, value in pairs))
            pairs = [(owner, slugs.get(value)) for owner, value in pairs]
            if cache.public:
                # A link to a record the public may not see is left out.
                pairs = [(owner, slug) for owner, slug in pairs if slug is not None]
        for owner, value in pairs:
            values = found.get(owner)
            if values is not None:  # a range may hold rows outside the chunk
                values.append(value)
        for row in chunk:
            row[key] = found[row[pk_name]]

    return attach


#: Row keys of what the attach functions below load (``+`` keeps them apart
#: from field paths, which never contain it).
CITED_SOURCES = "+sources"
LINKED_ACTORS = "+actors"


def about_key(relation: str) -> str:
    """The row key of what :func:`statement_about` loads for ``relation``."""
    return f"+{relation}"


def cited_sources(owner_field: str) -> Attach:
    """The attach function loading the slugs of the sources a record cites, in
    citation order (repeats included), under ``CITED_SOURCES``."""
    return linked_values(CITED_SOURCES, Citation, owner_field, "source__slug")


def linked_actors(model: type[models.Model], owner_field: str) -> Attach:
    """The attach function loading the slugs of a record's linked actors under
    ``LINKED_ACTORS``; ``model`` is the link table, ``owner_field`` its key to the record."""
    return linked_values(LINKED_ACTORS, model, owner_field, "actor__slug")


def statement_about(relation: str) -> Attach:
    """The attach function loading the slugs of what statements concern through
    Statement's many-to-many ``relation`` (``about_exercises``), under :func:`about_key`."""
    field = Statement._meta.get_field(relation)
    return linked_values(
        about_key(relation),
        field.remote_field.through,
        field.m2m_field_name(),
        f"{field.m2m_reverse_field_name()}__slug",
    )

"""A CSV table: one file's declaration, and how its rows are read in chunks of plain rows.

Each file of an export is a :class:`Table` (declared in
:mod:`tracker.exports.files`). It reads one model's queryset in primary-key
chunks with ``values_list()`` of exactly the field paths its columns read,
turns each database row into a dict (field path -> value), lets its link
loaders add the lists of linked slugs, and formats each row with one
getter and one cell function per column. No model instance is built.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import QuerySet

from .. import public as gate
from ..internals import is_filtered, is_reshaped
from .cells import EMPTY, cell_formatter, csv_writer
from .columns import Column, ForeignKey
from .links import Attach, Row, SlugCache

#: Rows fetched per query (plus one query per link loader per chunk).
CHUNK_SIZE = 2000


@dataclass(frozen=True)
class Table:
    """One CSV file: the model it reads, its columns, keys and how its rows are made.

    A table reads one model's rows as dicts of the field paths its columns
    read (``reads``); ``expand`` turns one such row into the rows it
    contributes (one for most tables, one per link for the statement links,
    which are read from statements). Each ``attach`` function loads a chunk's
    many-valued links in one query and stores them in the rows.
    """

    name: str
    model: type[models.Model]
    title: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    attach: tuple[Attach, ...] = ()
    #: Turns a model row into the file's rows; the columns then read those, and
    #: the model row holds only ``reads`` (and the links ``attach`` loads).
    expand: Callable[[Row], Iterable[Row]] | None = None
    #: Field paths read besides the columns' own.
    reads: tuple[str, ...] = ()
    #: A main file of public records (``slug`` first), as opposed to a link file.
    is_record_file: bool = False

    def header(self) -> list[str]:
        """The stable column names, in file order."""
        return [column.name for column in self.columns]

    @functools.cached_property
    def paths(self) -> tuple[str, ...]:
        """The field paths a chunk query selects: the key first, each path once."""
        paths = [self.model._meta.pk.attname, *self.reads]
        if self.expand is None:
            paths += [path for column in self.columns for path in column.reads]
        return tuple(dict.fromkeys(paths))

    @functools.cached_property
    def gated_relations(self) -> dict[str, tuple[str, ...]]:
        """Foreign keys to records whose fields a row reads (``supplier`` ->
        ``supplier__slug``, ``supplier__name``): blanked in public rows when the
        linked record is not published."""
        relations: dict[str, list[str]] = {}
        for path in self.paths:
            name, sep, _ = path.partition("__")
            if not sep:
                continue
            field = self.model._meta.get_field(name)
            if field.is_relation and gate.is_record_model(field.related_model):
                relations.setdefault(name, []).append(path)
        return {name: tuple(paths) for name, paths in relations.items()}

    @functools.cached_property
    def _cells(self) -> tuple[tuple[Callable[[Row], Any], Callable[[Any], str]], ...]:
        # (getter, formatter) of each column, resolved once per table.
        return tuple((column.get, cell_formatter(column.type)) for column in self.columns)

    def format_row(self, row: Row) -> list[str]:
        """One row of formatted cells for ``row`` (a model row or an expanded link)."""
        return [write(get(row)) for get, write in self._cells]

    def iter_chunks(
        self, queryset: QuerySet, chunk_size: int = CHUNK_SIZE, public: bool = False
    ) -> Iterator[list[Row]]:
        """Rows of ``queryset`` in primary-key order, ``chunk_size`` at a time, links attached.

        Keyset pagination on the primary key keeps memory flat however large
        the table, and the links are loaded per chunk, so the number of
        queries is a fixed number per chunk, never one per row. The link
        loaders share one :class:`SlugCache` for the run.

        ``public``: the caller gated the rows (:func:`tracker.public.published`);
        here the fields of linked records that are not published are blanked,
        and the link loaders leave such links out.
        """
        paths = self.paths
        key = paths[0]
        gated = self.gated_relations if public else {}
        status_paths = tuple(f"{name}__publication_status" for name in gated)
        read = paths + status_paths
        # Plain rows of exactly ``paths``: whatever the caller's queryset selects,
        # joins or prefetches is not read.
        queryset = queryset.order_by("pk").prefetch_related(None)
        cache = SlugCache(public=public)
        last_key = None
        while True:
            chunk_qs = queryset if last_key is None else queryset.filter(pk__gt=last_key)
            chunk = [
                dict(zip(read, values, strict=True))
                for values in chunk_qs.values_list(*read)[:chunk_size]
            ]
            if not chunk:
                return
            for linked, status in zip(gated.values(), status_paths, strict=True):
                for row in chunk:
                    if row[status] not in (None, gate.PUBLISHED):
                        row.update(dict.fromkeys(linked))
            for attach in self.attach:
                attach(chunk, cache)
            yield chunk
            if len(chunk) < chunk_size:
                return
            last_key = chunk[-1][key]

    def iter_rows(
        self, queryset: QuerySet | None = None, chunk_size: int = CHUNK_SIZE, public: bool = False
    ) -> Iterator[list[str]]:
        """Formatted rows (lists of strings) for ``queryset`` (default: every row).

        ``queryset`` may be filtered (an admin selection, an API filter); it
        must be of this table's model. ``public``: only what anonymous readers
        may see (:mod:`tracker.public`): published records, link rows between
        published records, no field or slug of a linked draft.
        """
        if queryset is None:
            queryset = self.model._default_manager.all()
        if queryset.model is not self.model:
            raise TypeError(f"The {self.name} table reads {self.model.__name__} rows.")
        if is_filtered(queryset) or is_reshaped(queryset):
            # A filter across a link (participants__country=...) repeats rows, a slice
            # cannot be paged, an annotation may group: select the keys once, page
            # through those.
            queryset = self.model._default_manager.filter(pk__in=queryset.values("pk"))
        if public:
            queryset = gate.published(queryset)
        cells, expand = self._cells, self.expand
        for chunk in self.iter_chunks(queryset, chunk_size, public):
            if expand is None:
                for row in chunk:
                    yield [write(get(row)) for get, write in cells]
            else:
                for row in chunk:
                    for item in expand(row):
                        yield [write(get(item)) for get, write in cells]

    def schema(self) -> dict[str, Any]:
        """This table's Frictionless Table Schema."""
        schema: dict[str, Any] = {
            "fields": [column.schema() for column in self.columns],
            "primaryKey": list(self.primary_key),
            "missingValues": [EMPTY],
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [
                {
                    "fields": list(fk.fields),
                    "reference": {"resource": fk.resource, "fields": list(fk.reference_fields)},
                }
                for fk in self.foreign_keys
            ]
        return schema


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming."""

    def write(self, value: str) -> str:
        return value


def csv_lines(
    table: Table, queryset: QuerySet | None = None, *, bom: bool = False, public: bool = False
) -> Iterator[str]:
    """The CSV text of ``table`` for ``queryset``, line by line, for streaming responses.

    The same dialect as the export files: RFC 4180 (comma, ``"`` quoting,
    CRLF line ends), one header row and nothing above it; ``bom`` starts it
    with a byte-order mark for Excel.
    """
    writer = csv_writer(_Echo())
    if bom:
        yield "\ufeff"
    yield writer.writerow(table.header())
    for row in table.iter_rows(queryset, public=public):
        yield writer.writerow(row)

"""The sitemap: every published record's page, one section per record type."""

from __future__ import annotations

import math
from functools import cached_property

from django.contrib.sitemaps import Sitemap
from django.core.paginator import Page, Paginator

from tracker import registry

from . import records


class KeyRangePaginator(Paginator):
    """Sitemap pages by key range: page ``n`` holds the keys ``((n-1)*limit, n*limit]``.

    Django's paginator counts every row (``COUNT(*)``) for the number of pages
    and reads page ``n`` with ``OFFSET (n-1)*limit``, which walks all the rows
    before it: both grow with the table. Here the number of pages comes from
    the highest key (one index probe) and a page is a range of the key's
    index. A page may hold fewer than ``limit`` records (deleted or
    unpublished keys), which sitemaps allow.
    """

    @cached_property
    def num_pages(self) -> int:
        last = self.object_list.order_by("-pk").values_list("pk", flat=True).first()
        return max(1, math.ceil(last / self.per_page)) if last else 1

    def page(self, number) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = self.object_list.filter(pk__gt=bottom, pk__lte=bottom + self.per_page)
        return Page(rows.order_by("pk"), number, self)


class RecordSitemap(Sitemap):
    """Pages of one record type, read by key range in pages of :attr:`limit` (index-backed)."""

    limit = 10_000

    def __init__(self, record_type: registry.RecordType):
        self.record_type = record_type

    def items(self):
        return records.public(self.record_type.model).order_by("pk").only("slug", "updated_at")

    @property
    def paginator(self) -> KeyRangePaginator:
        return KeyRangePaginator(self.items(), self.limit)

    def lastmod(self, item):
        return item.updated_at

    def get_latest_lastmod(self):
        """The newest change of the section: one probe of the ``updated_at`` index.

        (Django's default reads every item of the section to take the latest.)
        """
        rows = self.items().order_by("-updated_at").values_list("updated_at", flat=True)
        return rows.first()

    def location(self, item):
        return item.get_absolute_url()


#: One section per record type, named by its resource (``/sitemap-exercises.xml``).
SITEMAPS = {rt.resource: RecordSitemap(rt) for rt in registry.RECORD_TYPES}

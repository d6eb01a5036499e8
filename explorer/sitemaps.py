"""The sitemap: every published record's page, one section per record type."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap

from tracker import registry

from . import records


class RecordSitemap(Sitemap):
    """Pages of one record type, read by key in pages of :attr:`limit` (index-backed)."""

    limit = 10_000

    def __init__(self, record_type: registry.RecordType):
        self.record_type = record_type

    def items(self):
        return records.public(self.record_type.model).order_by("pk").only("slug", "updated_at")

    def lastmod(self, item):
        return item.updated_at

    def location(self, item):
        return item.get_absolute_url()


#: One section per record type, named by its resource (``/sitemap-exercises.xml``).
SITEMAPS = {rt.resource: RecordSitemap(rt) for rt in registry.RECORD_TYPES}

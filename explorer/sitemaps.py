"""The sitemap: every published record's page, one section per record type.

The index is Django's view; a section's page is written here
(:func:`section_page`), in the same XML as Django's ``sitemap`` view.
"""

from __future__ import annotations

import math
import re
from functools import cached_property
from urllib.parse import quote

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import x_robots_tag
from django.contrib.sites.shortcuts import get_current_site
from django.core.paginator import InvalidPage, Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import RFC3986_SUBDELIMS, http_date

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


#: The head of a section's page, as Django's ``sitemap.xml`` template writes it.
_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
    'xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
)
_TAIL = "\n</urlset>\n"
#: What ``reverse()`` leaves unquoted in a path argument.
_SAFE = RFC3986_SUBDELIMS + "/~:@"
_MARK = "sitemap-slug-mark"
_PLAIN = re.compile(r"[-a-zA-Z0-9_]+\Z").match


@x_robots_tag
def section_page(request: HttpRequest, section: str) -> HttpResponse:
    """One page of a section: the record pages of a key range, with their last change.

    Django's ``sitemap`` view renders a template per URL and reverses each
    record's URL: about 70 µs a record, 0.7 s for a full page of 10,000. Here
    the rows are read as values and the record URL is reversed once; a slug
    goes into it as it stands (a valid slug needs no quoting), any other
    quoted as ``reverse()`` would and escaped. The XML is the same, byte
    for byte (a test compares both views), and so is the ``Last-Modified``
    header (the newest change on the page). Nothing is kept on the shared
    sitemap objects between requests, unlike Django's ``latest_lastmod``.
    """
    sitemap = SITEMAPS.get(section)
    if sitemap is None:
        raise Http404(f"No sitemap section {section!r}.")
    try:
        page = sitemap.paginator.page(request.GET.get("p", 1))
    except InvalidPage as error:
        raise Http404(f"No sitemap page {request.GET.get('p')!r}: {error}") from None
    protocol = sitemap.get_protocol(request.scheme)
    domain = sitemap.get_domain(get_current_site(request))
    path = reverse("explorer:record", args=[sitemap.record_type.resource, _MARK])
    before, after = (escape(part) for part in f"{protocol}://{domain}{path}".split(_MARK))
    zone = timezone.get_current_timezone()

    parts = [_HEAD]
    newest = None
    for slug, updated_at in page.object_list.values_list("slug", "updated_at"):
        if not _PLAIN(slug):  # stored past the model's validation
            slug = escape(quote(slug, safe=_SAFE))
        day = updated_at.astimezone(zone).date().isoformat()
        parts.append(f"<url><loc>{before}{slug}{after}</loc><lastmod>{day}</lastmod></url>")
        newest = updated_at if newest is None else max(newest, updated_at)
    parts.append(_TAIL)
    response = HttpResponse("".join(parts), content_type="application/xml")
    if newest is not None:
        response["Last-Modified"] = http_date(newest.timestamp())
    return response

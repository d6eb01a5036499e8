"""Cite this record: plain text, BibTeX and CSL-JSON, with the permanent URL and access date.

The permanent URL is the record's page: identifiers are never changed or
reused (``TrackedModel.slug``). The access date is the day of the request,
so these answers are not cached.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from tracker import registry

from . import records
from .records import record_or_404, record_type_or_404

#: The work a record is part of, as a citation names it.
PUBLISHER = "Sino-Russian Military Cooperation Tracker"


def citation_data(request, rt: registry.RecordType, record) -> dict:
    """The parts every format is made of."""
    today = timezone.localdate()
    return {
        "id": f"sinorus-{rt.key.replace('_', '-')}-{record.slug}",
        "title": records.title_of(record),
        "kind": str(rt.model._meta.verbose_name),
        "url": request.build_absolute_uri(record.get_absolute_url()),
        "accessed": today,
        "updated": timezone.localtime(record.updated_at).date(),
    }


def plain_text(data: dict) -> str:
    """``Title`` (exercise). Tracker, last updated ... URL (accessed ...)."""
    return (
        f"“{data['title']}” ({data['kind']}). {PUBLISHER}, last updated "
        f"{data['updated']:%-d %B %Y}. {data['url']} (accessed {data['accessed']:%-d %B %Y})."
    )


def _bibtex_escape(text: str) -> str:
    for char in "\\{}%&$#_":
        text = text.replace(char, "\\" + char)
    return text


def bibtex(data: dict) -> str:
    """A ``@misc`` entry with ``url`` and ``urldate`` (biblatex) and a note (BibTeX)."""
    accessed = data["accessed"].isoformat()
    return (
        f"@misc{{{data['id']},\n"
        f"  title = {{{_bibtex_escape(data['title'])}}},\n"
        f"  howpublished = {{{PUBLISHER}}},\n"
        f"  year = {{{data['updated'].year}}},\n"
        f"  url = {{{data['url']}}},\n"
        f"  urldate = {{{accessed}}},\n"
        f"  note = {{{_bibtex_escape(data['kind'].capitalize())} record; accessed {accessed}}}\n"
        "}\n"
    )


def csl_json(data: dict) -> list[dict]:
    """One CSL-JSON item (a list, as citation managers import it)."""

    def parts(day):
        return {"date-parts": [[day.year, day.month, day.day]]}

    return [
        {
            "id": data["id"],
            "type": "dataset",
            "title": data["title"],
            "genre": data["kind"],
            "publisher": PUBLISHER,
            "URL": data["url"],
            "issued": parts(data["updated"]),
            "accessed": parts(data["accessed"]),
        }
    ]


FORMATS = {
    "txt": ("text/plain; charset=utf-8", lambda d: plain_text(d) + "\n"),
    "bib": ("application/x-bibtex; charset=utf-8", bibtex),
    "json": (
        "application/vnd.citationstyles.csl+json",
        lambda d: json.dumps(csl_json(d), ensure_ascii=False, indent=2) + "\n",
    ),
}


@require_safe
def download(request, resource: str, slug: str, fmt: str):
    """The record's citation as a file to save."""
    rt = record_type_or_404(resource)
    record = record_or_404(rt, slug)
    content_type, render = FORMATS[fmt]
    response = HttpResponse(render(citation_data(request, rt, record)), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{slug}.{fmt}"'
    return response

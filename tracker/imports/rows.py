"""From an upload to its rows: the proposals of every record row, and the order of writing.

The package's link files complete the rows of their records (roles, notes,
citations' footnotes and pages); rows are written in the registry's order of
record types, and within a type after the record they link to.
"""

from __future__ import annotations

from .. import registry
from . import parsing
from .reading import Upload


def proposals(upload: Upload) -> list[parsing.Proposal]:
    """Every record row of ``upload``, parsed, with the link files' details attached."""
    found: list[parsing.Proposal] = []
    citations = upload.link_sheet("citations")
    cited = parsing.citation_rows(citations) if citations else None
    for sheet in upload.record_sheets():
        record_type = sheet.record_type
        links_sheet = upload.link_sheet(record_type.links.csv_file) if record_type.links else None
        linked = parsing.link_rows(links_sheet) if links_sheet else None
        for number, row in sheet.rows:
            if sheet.format == "json":
                proposal = parsing.parse_json_item(sheet, number, row)
            else:
                proposal = parsing.parse_csv_row(sheet, number, row)
                _attach_link_files(proposal, linked, cited, links_sheet, citations)
            found.append(proposal)
    return found


def _attach_link_files(proposal, linked, cited, links_sheet, citations_sheet) -> None:
    """The package's link files give the links' roles, notes and citations' details."""
    record_type = proposal.record_type
    if linked is not None:
        rows = linked.get(proposal.slug, [])
        given = {link["actor"] for link in proposal.links or []}
        if proposal.links is not None and given != {row["actor"] for row in rows}:
            proposal.errors.append(
                (
                    parsing.file_columns(links_sheet.table).links or "links",
                    f"the actors listed differ from those in {links_sheet.name}.",
                )
            )
        proposal.links = [{k: v for k, v in row.items() if k != "_row"} for row in rows]
    if cited is not None and record_type.cited:
        rows = cited.get((record_type.key, proposal.slug), [])
        for row in rows:
            if "_error" in row:
                proposal.errors.append(
                    (f"{citations_sheet.name} {row['_error'][0]}", row["_error"][1])
                )
        if proposal.cited_sources is not None and set(proposal.cited_sources) != {
            row["source"] for row in rows
        }:
            proposal.errors.append(
                ("sources", f"the sources listed differ from those in {citations_sheet.name}.")
            )
        proposal.citations = [
            {k: v for k, v in row.items() if not k.startswith("_")} for row in rows
        ]
        proposal.cited_sources = None


def apply_order(rows: list) -> list:
    """Rows in registry order, and within a type a record after the one it links to
    (an actor after its parent, an agreement after the one it replaces)."""
    order = {rt.key: n for n, rt in enumerate(registry.RECORD_TYPES)}
    by_type: dict[str, list] = {}
    for row in rows:
        by_type.setdefault(row.proposal.record_type.key, []).append(row)
    result: list = []
    for key in sorted(by_type, key=order.__getitem__):
        group = by_type[key]
        by_slug = {row.proposal.slug: row for row in group}
        placed: set[int] = set()
        for row in group:
            _place(row, by_slug, placed, result)
    return result


def _place(row, by_slug: dict, placed: set[int], result: list) -> None:
    """Append ``row`` to ``result`` after the rows of its type it links to."""
    if id(row) in placed:
        return
    placed.add(id(row))
    model = row.proposal.record_type.model
    for name, slug in row.proposal.fks.items():
        if model._meta.get_field(name).related_model is model and slug in by_slug:
            _place(by_slug[slug], by_slug, placed, result)
    result.append(row)

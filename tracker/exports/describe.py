"""The "Files and columns" reference of docs/exports.md, written from the file declarations.

``tests/test_export_docs.py`` keeps the document equal to this output, so the
reference users read is the declaration the export writes from. Print it with
``python manage.py describe_exports``.
"""

from __future__ import annotations

from .files import TABLES
from .tables import Table


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _keys(table: Table) -> str:
    line = f"Primary key: `{', '.join(table.primary_key)}`."
    if table.foreign_keys:
        references = "; ".join(
            f"`{', '.join(key.fields)}` → {key.resource or table.name}.csv "
            f"`{', '.join(key.reference_fields)}`"
            # An empty resource is Frictionless' reference to the same file.
            for key in table.foreign_keys
        )
        line += f" Foreign keys: {references}."
    return line


def table_markdown(table: Table) -> str:
    """One file's section: title, description, keys and a row per column."""
    rows = "\n".join(
        f"| `{column.name}` | {column.type} | {_cell(column.description)} |"
        for column in table.columns
    )
    return (
        f"### {table.name}.csv — {table.title}\n\n{table.description}\n\n{_keys(table)}\n\n"
        "| column | type | description |\n| --- | --- | --- |\n"
        f"{rows}\n"
    )


def files_markdown() -> str:
    """Every file's section, in the order the data package lists them."""
    return "\n".join(table_markdown(table) for table in TABLES.values())

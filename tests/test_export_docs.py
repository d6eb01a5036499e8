"""docs/exports.md's reference of files and columns is what the declarations say."""

from __future__ import annotations

from pathlib import Path

from tracker.exports.describe import files_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "exports.md"
START = "Types are Table Schema types.\n\n"
END = "### CHANGES.csv"


def test_the_files_and_columns_section_is_generated_from_the_declarations():
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(START) + len(START) : text.index(END)]
    assert section == files_markdown() + "\n"

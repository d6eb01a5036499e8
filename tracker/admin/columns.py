"""Changelist columns that keep a list within a laptop's screen: long text cut, whole on hover.

A cell holds at most a set width (``tracker/static/tracker/admin.css``): one
line cut with “…”, or two lines for a statement's or a title's words. The
whole text is the cell's tooltip (``title``), so nothing is lost by cutting.
"""

from __future__ import annotations

from typing import Literal

from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString

#: Widths of a cut cell, as ``admin.css`` names them.
Width = Literal["narrow", "medium", "wide"]


def clip(text: object, width: Width = "medium", lines: Literal[1, 2] = 1) -> SafeString | str:
    """``text`` in a cell of ``width``, cut after ``lines`` lines; the whole of it on hover."""
    text = "" if text is None else str(text)
    if not text:
        return ""
    classes = f"clip clip-{width} clip-{lines}"
    return format_html('<span class="{}" title="{}">{}</span>', classes, text, text)


def clipped_column(
    attribute: str,
    description: str,
    width: Width = "medium",
    lines: Literal[1, 2] = 1,
    ordering: str | None = None,
):
    """A changelist column showing ``attribute`` (a field, or a related record by its name) cut."""

    @admin.display(description=description, ordering=ordering or attribute)
    def column(self, obj):
        return clip(getattr(obj, attribute), width, lines)

    column.__name__ = f"{attribute}_clipped"
    return column

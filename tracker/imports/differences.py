"""How a row differs from the stored record, in words for the preview.

Old and new values as an editor reads them (``location: Tsugol → Donguz``,
``participants: added russia``), the date a row gives when it gives two, and
the keys that compare link rows and citations.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import models

from ..dates import FuzzyDate


def pick_date(row, name, old, words, structured) -> FuzzyDate | None:
    """The date a row gives, in words (``x_display``) or in the date columns (``x``,
    ``x_precision``, ``x_qualifier``).

    Either may be left empty (a row typed by hand gives the date in words alone);
    a date is unknown when both are empty. When both give a date and they differ,
    the one that differs from the stored date is the cell the editor changed.
    """
    if words is None or structured is None or date_key(words) == date_key(structured):
        return words or structured
    if not words.is_known or not structured.is_known:
        return words if words.is_known else structured
    if old is not None and date_key(words) == date_key(old):
        return structured
    if old is not None and date_key(structured) == date_key(old):
        return words
    row.refuse(
        f"{name}_display",
        f"“{words.display()}” and the date in {name} ({structured.display()}) disagree; "
        f"change one of them only, or both alike.",
    )
    return None


def date_key(date: FuzzyDate) -> tuple:
    if date.value is None:
        return (None, None, "")
    return (date.value, int(date.precision), date.qualifier or "")


def plain(value: Any) -> Any:
    code = getattr(value, "code", None)  # a django-countries Country
    if code is not None or type(value).__name__ == "Country":
        return code or ""
    return value


def shown(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, list):
        return "|".join(map(str, value)) or "(empty)"
    text = str(value)
    return text if len(text) <= 80 else text[:79] + "…"


def missing(model: type[models.Model], slug: Any) -> str:
    noun = model._meta.verbose_name
    if not slug:
        return f"a {noun} identifier is empty."
    return f"no {noun} has the identifier “{str(slug)[:120]}”."


def extra_field(link_model: type[models.Model]) -> str:
    names = [f.name for f in link_model._meta.concrete_fields]
    return names[-1]


def keys(rows: list[dict[str, Any]]) -> list[tuple]:
    return [tuple(sorted(row.items())) for row in rows]


def citation_key(c: dict[str, Any]) -> tuple:
    return (c.get("source"), c.get("footnote"), c.get("locator") or "")


def citation_tuple(c: dict[str, Any]) -> tuple:
    return (*citation_key(c), c.get("excerpt") or "")


def citation_label(c: dict[str, Any]) -> str:
    parts = [c.get("source") or "?"]
    if c.get("footnote"):
        parts.append(f"note {c['footnote']}")
    if c.get("locator"):
        parts.append(c["locator"])
    return " ".join(parts)


def list_changes(column, before, after, name, key=None) -> list[str]:
    """``column: added x, removed y`` and the changed details of rows kept."""
    label = key or (lambda row: row[name])
    old, new = Counter(map(label, before)), Counter(map(label, after))
    added = list((new - old).elements())
    removed = list((old - new).elements())
    changes = [added_removed(column, added, removed)] if added or removed else []
    if key is None:
        stored = {row[name]: row for row in before}
        for row in after:
            was = stored.get(row[name])
            if was is None:
                continue
            for field_name, value in row.items():
                if was.get(field_name) != value:
                    changes.append(
                        f"{column}: {row[name]} {field_name} {shown(was.get(field_name))} → "
                        f"{shown(value)}"
                    )
    elif not changes:
        changes.append(f"{column}: excerpts changed")
    return changes


def added_removed(column: str, added: list[str], removed: list[str]) -> str:
    parts = []
    if added:
        parts.append("added " + ", ".join(map(str, added)))
    if removed:
        parts.append("removed " + ", ".join(map(str, removed)))
    return f"{column}: {'; '.join(parts) or 'order changed'}"

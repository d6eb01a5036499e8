"""The preview as text lines, for the command (the admin shows the same rows as a table)."""

from __future__ import annotations

from collections.abc import Iterator

from .plan import CHANGE, CREATE, REFUSED, UNCHANGED, Plan

#: How the command names each action.
VERBS = {CREATE: "create", CHANGE: "change", UNCHANGED: "unchanged", REFUSED: "REFUSED"}


def preview_lines(plan: Plan, *, unchanged: bool = False) -> Iterator[str]:
    """One line per row (unchanged rows only if asked), details indented, the counts last."""
    for row in plan.rows:
        if row.action == UNCHANGED and not unchanged:
            continue
        p = row.proposal
        yield f"{VERBS[row.action]:<9} {p.record_type.key} {p.slug or '(no slug)'} ({p.where})"
        for detail in row.reasons if row.action == REFUSED else [*row.changes, *row.notes]:
            yield f"          {detail}"
    yield f"{plan.name}: {plan.summary()}."

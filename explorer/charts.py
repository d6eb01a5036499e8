"""Charts drawn on the server as SVG, from counts the database groups by year.

Why SVG made here rather than a charting library: the page needs no script
(nothing for the Content-Security-Policy to allow, nothing to load or fail),
nothing comes from another site, every bar is a link a keyboard reaches, and
the same numbers are printed as a table beside each chart for screen readers
and for copying. The geometry is computed here; the templates only place it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, Sum
from django.db.models.functions import ExtractYear
from django.urls import reverse

from tracker import registry
from tracker.public import published

#: Drawing units (the SVG scales to its box through its viewBox).
BAR = 12
GAP = 3
HEIGHT = 160
LEFT = 34
BOTTOM = 22
TOP = 8


@dataclass
class Bar:
    year: int
    total: int
    url: str
    label: str
    x: float = 0
    value: str = ""
    segments: list[dict] = field(default_factory=list)


@dataclass
class Chart:
    """One stacked bar chart: its bars, legend, table and notes."""

    key: str
    title: str
    categories: list[tuple[str, str]]
    bars: list[Bar]
    notes: list[str] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    width: float = 0
    height: float = HEIGHT + BOTTOM + TOP
    ticks: list[dict] = field(default_factory=list)
    year_labels: list[dict] = field(default_factory=list)


def _timeline_link(rt: registry.RecordType, year: int) -> str:
    query = urlencode(
        {"type": rt.resource, "date_from": f"{year}-01-01", "date_to": f"{year}-12-31"}
    )
    return f"{reverse('explorer:timeline')}?{query}"


def per_year(rt: registry.RecordType, category: str | None = None) -> tuple[dict, int]:
    """Counts per (year, category value) of ``rt``'s published records, and the undated count.

    One ``GROUP BY`` per date pair of the type, plus one count of the undated.
    """
    counts: dict[tuple[int, str], int] = {}
    queryset = published(rt.model._default_manager.all()).order_by()
    undated = queryset
    for start, _end in rt.timeline_dates:
        rows = undated.filter(**{f"{start}__isnull": False}).annotate(year=ExtractYear(start))
        names = ["year", category] if category else ["year"]
        for row in rows.values(*names).annotate(n=Count("pk")):
            key = (row["year"], row[category] if category else "")
            counts[key] = counts.get(key, 0) + row["n"]
        undated = undated.filter(**{f"{start}__isnull": True})
    return counts, undated.count()


def _layout(chart: Chart) -> Chart:
    """Place the bars: one slot per year from the first to the last, gaps included."""
    if not chart.bars:
        chart.width = LEFT + 10
        return chart
    first, last = chart.bars[0].year, chart.bars[-1].year
    top = max(bar.total for bar in chart.bars)
    scale = HEIGHT / top
    for bar in chart.bars:
        bar.x = LEFT + (bar.year - first) * (BAR + GAP)
        y = TOP + HEIGHT
        for segment in bar.segments:
            h = segment["count"] * scale
            y -= h
            segment.update(y=round(y, 1), height=round(h, 1))
    chart.width = LEFT + (last - first + 1) * (BAR + GAP) + 4
    step = max(1, 10 ** int(math.log10(top)) if top >= 10 else 1)
    chart.ticks = [
        {"value": v, "y": round(TOP + HEIGHT - v * scale, 1)} for v in range(0, top + 1, step)
    ][:12]
    chart.year_labels = [
        {"year": year, "x": LEFT + (year - first) * (BAR + GAP) + BAR / 2}
        for year in range(first, last + 1)
        if year % 10 == 0 or year in (first, last)
    ]
    return chart


def stacked(rt, category: str, key: str, title: str) -> Chart:
    """Records of ``rt`` per year, stacked by ``category``'s values."""
    counts, undated = per_year(rt, category)
    choices = dict(rt.model._meta.get_field(category).choices)
    used = sorted({value for _, value in counts}, key=list(choices).index)
    categories = [(value, str(choices[value])) for value in used]
    bars = []
    for year in sorted({year for year, _ in counts}):
        segments = [
            {"category": value, "label": label, "count": counts[(year, value)], "index": i}
            for i, (value, label) in enumerate(categories)
            if counts.get((year, value))
        ]
        total = sum(s["count"] for s in segments)
        parts = ", ".join(f"{s['count']} {s['label']}" for s in segments)
        noun = rt.verbose_name_plural if total != 1 else rt.verbose_name
        label = f"{year}: {total} {noun} ({parts})"
        bars.append(Bar(year, total, _timeline_link(rt, year), label, segments=segments))
    chart = Chart(key, title, categories, bars)
    if undated:
        chart.notes.append(f"{undated} {rt.verbose_name_plural} with no known date are not shown.")
    return _layout(chart)


def arms_deals() -> Chart:
    """Arms deals per year, with the values the sources give (estimates marked)."""
    rt = registry.ARMS_DEAL
    chart = stacked(rt, "scope", "arms-deals", "Arms deals per year, by scope")
    values: dict[int, list[str]] = {}
    queryset = published(rt.model._default_manager.all()).order_by()
    earlier = {}
    for start, _end in rt.timeline_dates:
        rows = (
            queryset.filter(**earlier, **{f"{start}__isnull": False, "value_amount__isnull": False})
            .annotate(year=ExtractYear(start))
            .values("year", "value_currency", "value_is_estimate")
            .annotate(total=Sum("value_amount"))
        )
        for row in rows:
            mark = " (estimate)" if row["value_is_estimate"] else ""
            values.setdefault(row["year"], []).append(
                f"{row['total']:,.0f} {row['value_currency']}{mark}"
            )
        earlier[f"{start}__isnull"] = True
    for bar in chart.bars:
        bar.value = "; ".join(values.get(bar.year, [])) or "not given"
    chart.extra_columns = ["Value given"]
    aggregate = queryset.filter(scope="aggregate").count()
    chart.notes.append(
        f"{aggregate} of the deals are aggregate figures over a period, not single contracts; "
        "a period is counted in the year it starts."
    )
    return chart


def all_charts() -> list[Chart]:
    """The explorer's charts, each read from a few grouped queries."""
    return [
        stacked(registry.EXERCISE, "domain", "exercises", "Exercises per year, by domain"),
        arms_deals(),
        stacked(registry.STATEMENT, "kind", "statements", "Statements per year, by kind"),
    ]


def network(actor, co_participants: list[dict]) -> dict:
    """A star of ``actor`` and its co-participants, line width by shared records."""
    size, centre, radius = 420, 210, 150
    top = max((c["total"] for c in co_participants), default=1)
    nodes = []
    for i, co in enumerate(co_participants):
        angle = 2 * math.pi * i / len(co_participants) - math.pi / 2
        x, y = centre + radius * math.cos(angle), centre + radius * math.sin(angle)
        name = str(co["actor"])
        nodes.append(
            {
                "actor": co["actor"],
                "total": co["total"],
                "x": round(x, 1),
                "y": round(y, 1),
                "label_y": round(y + (16 if y >= centre else -10), 1),
                "short": name if len(name) <= 18 else name[:17] + "…",
                "weight": 1 + round(3 * co["total"] / top),
            }
        )
    return {"size": size, "centre": centre, "nodes": nodes, "name": str(actor)}

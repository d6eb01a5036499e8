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
from decimal import Decimal
from urllib.parse import urlencode

from django.urls import reverse

from tracker import chart_counts, registry
from tracker.dates import Precision

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
    #: The table's row heading: the year, or the decade for dates known only to it.
    period: str = ""


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
    #: Records dated only to a decade: rows of the table, not bars of a year.
    decades: list[Bar] = field(default_factory=list)

    @property
    def rows(self) -> list[Bar]:
        """The table's rows: the years, then the decades known only as such."""
        return self.bars + self.decades


def _timeline_link(rt: registry.RecordType, first: int, last: int | None = None) -> str:
    query = urlencode(
        {
            "type": rt.resource,
            "date_from": f"{first}-01-01",
            "date_to": f"{last if last is not None else first}-12-31",
        }
    )
    return f"{reverse('explorer:timeline')}?{query}"


def grouped(rt: registry.RecordType) -> list[dict]:
    """``rt``'s published records per year, precision and the chart's category.

    Counted by the database as records are written: one row per group, not per
    record, shaped as :func:`tracker.chart_counts.grouped_counts` says
    (``chart_year`` None for the undated).
    """
    return chart_counts.grouped_counts(chart_counts.rollup_for(rt))


def period_of(row: dict) -> int | None:
    """The year a group falls in, or its decade's first year (negated) when only that is known.

    A decade is stored as its first day: counted in 1980 it would say the
    records happened in 1980. Decades are kept apart as negative keys.
    """
    if row["chart_year"] is None:
        return None
    if row["chart_precision"] == Precision.DECADE:
        return -(row["chart_year"] // 10 * 10)
    return row["chart_year"]


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


def stacked(rt, category: str, key: str, title: str, rows: list[dict] | None = None) -> Chart:
    """Records of ``rt`` per year, stacked by ``category``'s values.

    ``rows`` are :func:`grouped` rows; one query reads them when not given.
    Dates known only to a decade are rows of the table under their decade, not
    bars; the undated are counted in a note.
    """
    if rows is None:
        rows = grouped(rt)
    counts: dict[tuple[int | None, str], int] = {}
    for row in rows:
        key_ = (period_of(row), row[category])
        counts[key_] = counts.get(key_, 0) + row["n"]
    undated = sum(n for (period, _), n in counts.items() if period is None)
    choices = dict(rt.model._meta.get_field(category).choices)
    used = sorted({value for _, value in counts}, key=list(choices).index)
    categories = [(value, str(choices[value])) for value in used]
    periods = {period for period, _ in counts if period is not None}
    bars, decades = [], []
    for period in sorted(periods, key=abs):
        segments = [
            {"category": value, "label": label, "count": counts[(period, value)], "index": i}
            for i, (value, label) in enumerate(categories)
            if counts.get((period, value))
        ]
        total = sum(s["count"] for s in segments)
        parts = ", ".join(f"{s['count']} {s['label']}" for s in segments)
        noun = rt.verbose_name_plural if total != 1 else rt.verbose_name
        if period >= 0:
            label = f"{period}: {total} {noun} ({parts})"
            url = _timeline_link(rt, period)
            bars.append(Bar(period, total, url, label, segments=segments, period=str(period)))
        else:
            decade = -period
            text = f"{decade}s (decade only)"
            label = f"{text}: {total} {noun} ({parts})"
            url = _timeline_link(rt, decade, decade + 9)
            decades.append(Bar(decade, total, url, label, segments=segments, period=text))
    chart = Chart(key, title, categories, bars, decades=decades)
    if decades:
        number = sum(bar.total for bar in decades)
        noun, verb = (rt.verbose_name, "is") if number == 1 else (rt.verbose_name_plural, "are")
        chart.notes.append(
            f"{number} {noun} dated only to a decade {verb} in the table under the decade, "
            "not drawn in a year."
        )
    if undated:
        noun, verb = (rt.verbose_name, "is") if undated == 1 else (rt.verbose_name_plural, "are")
        chart.notes.append(f"{undated} {noun} with no known date {verb} not shown.")
    return _layout(chart)


def arms_deals() -> Chart:
    """Arms deals per year, with the values the sources give (estimates marked).

    One query: deals grouped by year, precision, scope, currency and whether
    the value is an estimate, with their number and the sum of their values.
    """
    rt = registry.ARMS_DEAL
    rows = grouped(rt)
    chart = stacked(rt, "scope", "arms-deals", "Arms deals per year, by scope", rows)
    values: dict[int | None, dict[tuple[str, bool], Decimal]] = {}
    for row in rows:
        if row["total"] is None:
            continue
        sums = values.setdefault(period_of(row), {})
        key = (row["value_currency"], bool(row["value_is_estimate"]))
        sums[key] = sums.get(key, 0) + row["total"]
    for bar in chart.bars:
        bar.value = _values_text(values.get(bar.year))
    for bar in chart.decades:
        bar.value = _values_text(values.get(-bar.year))
    chart.extra_columns = ["Value given"]
    aggregate = sum(row["n"] for row in rows if row["scope"] == "aggregate")
    chart.notes.append(
        f"{aggregate} of the deals are aggregate figures over a period, not single contracts; "
        "a period is counted in the year it starts."
    )
    return chart


def _values_text(sums: dict | None) -> str:
    if not sums:
        return "not given"
    return "; ".join(
        f"{total:,.0f} {currency}{' (estimate)' if estimate else ''}"
        for (currency, estimate), total in sorted(sums.items())
    )


def all_charts() -> list[Chart]:
    """The explorer's charts: one query each, of counts kept per group (not per record)."""
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

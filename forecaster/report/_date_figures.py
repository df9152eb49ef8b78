"""Figures of dates: the calendar (P(automation started) and P(explosion complete) month by
month, with a timelines stage) and a milestone ladder's (AI 2027's takeoff and a user's own):
when each milestone comes, as a density with its 10th/50th/90th percentiles marked, and how
long each phase takes, on a log axis (phases run from hours to centuries)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.ticker import FuncFormatter

from ._figures import (
    PALETTE,
    WIDTH,
    Plot,
    _float,
    _labels,
    _percent_axis,
    _strip,
    new_figure,
    plain,
)
from ._format import months_label, years_label


def milestone_densities(milestones: Mapping[str, Mapping[str, Any]]) -> Plot:
    """Density of each milestone's date (or years after the start, on a log axis, when the
    start has no date), with dashed 10/50/90% marks."""
    dated = all("date_density" in m for m in milestones.values())
    figure, ax = new_figure(3.8)
    data: dict[str, Any] = {}
    right = -math.inf
    for i, (name, entry) in enumerate(milestones.items()):
        color = PALETTE[i % len(PALETTE)]
        density = entry["date_density" if dated else "years_density"]
        edges = np.asarray(density["edges"], float)
        values = np.asarray(density["density"], float)
        quantiles = entry["date" if dated else "years_after_start"]
        data[name] = {"edges": edges.tolist(), "density": values.tolist(), **quantiles}
        if values.size:
            centres = 0.5 * (edges[:-1] + edges[1:]) if dated else np.sqrt(edges[:-1] * edges[1:])
            ax.plot(centres, values, color=color, label=plain(name))
            ax.fill_between(centres, values, color=color, alpha=0.12, linewidth=0)
        for key, style in (("q10", ":"), ("q50", "--"), ("q90", ":")):
            value = _float(quantiles.get(key), math.nan)
            if math.isfinite(value):
                ax.axvline(value, color=color, linestyle=style, linewidth=1.1)
        right = max(right, _float(quantiles.get("q90"), -math.inf))
    if dated:
        starts = [_float(m["date"].get("q05"), math.inf) for m in milestones.values()]
        left = min(starts)
        if math.isfinite(left) and math.isfinite(right):
            ax.set_xlim(math.floor(left), max(math.ceil(right), math.floor(left) + 1))
        xlabel, ylabel = "Calendar year", "Probability density (per year)"
    else:
        ax.set_xscale("log")
        xlabel, ylabel = "Years after the start", "Density (per log10 year)"
    ax.set_ylim(bottom=0)
    _labels(ax, xlabel, ylabel, "When each milestone is reached", loc="upper right")
    return Plot(
        name="report_milestones",
        title="Milestones",
        caption="Density of the date each milestone is reached; dashed lines mark the medians, "
        "dotted lines the 10th and 90th percentiles (from the run's histograms).",
        figure=figure,
        data=data,
    )


def phase_durations(milestones: Mapping[str, Mapping[str, Any]]) -> Plot:
    """Each phase's calendar years as a quantile strip (5-95%, 25-75%, median), log axis."""
    names = list(milestones)
    figure, ax = new_figure(0.9 + 0.55 * len(names))
    rows = [milestones[n]["phase_years"] for n in names]
    finite = [
        _float(r.get(k)) for r in rows for k in ("q05", "q95") if 0 < _float(r.get(k)) < math.inf
    ]
    right = max(finite) * 1.5 if finite else 10.0
    left = min(finite) / 1.5 if finite else 0.01
    data = {}
    for i, (name, row) in enumerate(zip(names, rows, strict=True)):
        shown = {k: (v if v is None or v > 0 else left) for k, v in row.items()}
        data[milestones[name]["phase"]] = _strip(ax, -i, shown, PALETTE[i % len(PALETTE)], right)
    ax.set_xscale("log")
    ax.set_xlim(left, right)
    ax.set_yticks([-i for i in range(len(names))])
    ax.set_yticklabels([plain(milestones[n]["phase"].replace("_", " ")) for n in names])
    ax.grid(axis="y", visible=False)
    ax.set(xlabel="Calendar years (log scale)", title="How long each phase takes")
    figure.set_size_inches(WIDTH, figure.get_size_inches()[1])
    return Plot(
        name="report_phases",
        title="Phase durations",
        caption="Calendar years from one milestone to the next: thin line 5-95%, thick bar "
        "25-75%, dot the median (a phase of no time at all is drawn at the left edge).",
        figure=figure,
        data=data,
    )


def calendar_chart(calendar: Mapping[str, Any]) -> Plot:
    """P(automation has started) and P(the explosion event is complete) by calendar year."""
    figure, ax = new_figure(3.8)
    event = calendar.get("explosion_event") or {}
    label = "explosion complete"
    if event:
        label = (
            f"≥ {years_label(event['years'])} of progress within "
            f"{months_label(event['window_months'])} completed"
        )
    data: dict[str, Any] = {}
    monthly = calendar.get("monthly") or {}
    series = (
        ("p_automation_by_year", "p_automation", "full automation started"),
        ("p_explosion_by_year", "p_explosion", label),
    )
    for i, (key, month_key, name) in enumerate(series):
        table = calendar.get(key) or {}
        years = np.array([float(y) for y in table], float)
        p = np.array([_float(v, math.nan) for v in table.values()], float)
        order = np.argsort(years)
        data[key] = {"years": years[order], "p": p[order]}
        months = np.asarray(monthly.get("years") or [], float)
        by_month = np.array([_float(v, math.nan) for v in monthly.get(month_key) or []], float)
        if months.size and months.size == by_month.size:  # a line through every month
            data[month_key] = {"years": months, "p": by_month}
            ax.plot(months, 100 * by_month, "-", color=PALETTE[i], label=name)
            ax.plot(years[order], 100 * p[order], "o", color=PALETTE[i], markersize=3)
        elif years.size:
            ax.plot(years[order], 100 * p[order], "o-", color=PALETTE[i], label=name, markersize=4)
    _percent_axis(ax)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}"))
    _labels(
        ax,
        "Calendar year",
        "Probability by the date",
        "When: automation and explosion by calendar year",
        loc="lower right",
    )
    return Plot(
        name="report_calendar",
        title="Probability by calendar year",
        caption="From the start-date stage (timelines): cumulative probability that full "
        "automation of AI R&D has started, and that the explosion event is complete, at the "
        "start of every month (dots: the start of each reported year).",
        figure=figure,
        data=data,
    )

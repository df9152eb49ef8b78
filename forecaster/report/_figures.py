"""The report's figures (matplotlib, Agg canvas; pyplot and its global state are not used).

Each figure function takes summary tables and returns a :class:`Plot`: the figure and the
arrays it plots (``data``), so tests can check what is drawn, not just that a file exists.
Quantile cells that are None in the tables (beyond the tracked range, never reached) become
+inf in ``data`` and are drawn clipped at the edge of the axes, with a note.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from ._document import Image
from ._format import months_label, share, tex_number, years_label
from ._load import quantile_row

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
BAND = "#0072B2"
STYLE = {
    "font.size": 10,
    "axes.titlesize": 11.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "lines.linewidth": 2.0,
    "lines.markersize": 6,
    "savefig.dpi": 130,
    "savefig.bbox": "tight",
    "savefig.facecolor": "white",
}
WIDTH = 8.0  # inches; every figure has the same width so the report reads evenly


@dataclasses.dataclass
class Plot:
    """One figure of the report: ``name`` is its file stem, ``data`` what it plots."""

    name: str
    title: str
    caption: str
    figure: Figure
    data: dict[str, Any]

    def png(self) -> bytes:
        return png_bytes(self.figure)


@contextlib.contextmanager
def style() -> Iterator[None]:
    with matplotlib.rc_context(STYLE):
        yield


def new_figure(height: float, **subplots: Any) -> tuple[Figure, Any]:
    figure = Figure(figsize=(WIDTH, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.subplots(**subplots)


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    with style():
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _float(value: Any, none: float = math.inf) -> float:
    return none if value is None else float(value)


def _log_ticks(axis: Any, values: Sequence[float]) -> None:
    """Ticks exactly at ``values`` on a log axis, labelled as plain numbers."""
    axis.set_major_locator(FixedLocator(list(values)))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_locator(NullLocator())


def _x_limits_log(ax: Any, values: Sequence[float]) -> None:
    low, high = min(values), max(values)
    if low == high:
        ax.set_xlim(low / 2, high * 2)
    else:
        pad = (high / low) ** 0.06
        ax.set_xlim(low / pad, high * pad)


def curve_series(
    probabilities: Sequence[Mapping[str, Any]], window: float
) -> dict[str, np.ndarray]:
    """P(>= Y within ``window``) against Y (rows with no estimate left out), sorted by Y."""
    rows = sorted(
        (r for r in probabilities if r["window_months"] == window and r["p"] is not None),
        key=lambda r: r["years"],
    )
    return {
        "years": np.array([r["years"] for r in rows], float),
        "p": np.array([r["p"] for r in rows], float),
        "ci_low": np.array([r["ci_low"] for r in rows], float),
        "ci_high": np.array([r["ci_high"] for r in rows], float),
    }


def _percent_axis(ax: Any) -> None:
    ax.set_ylim(-2, 102)
    ax.set_yticks([0, 20, 40, 60, 80, 100])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))


def plain(text: Any) -> str:
    """A string from a file or a user as a figure label: ``$`` is literal, never mathtext."""
    return str(text).replace("$", r"\$")


def _draw_curve(ax: Any, series: Mapping[str, np.ndarray], color: str, label: str) -> None:
    x = series["years"]
    ax.fill_between(
        x, 100 * series["ci_low"], 100 * series["ci_high"], color=color, alpha=0.2, linewidth=0
    )
    ax.plot(x, 100 * series["p"], "o-", color=color, label=label)


def _labels(ax: Any, xlabel: str, ylabel: str, heading: str, **legend: Any) -> None:
    """Axis labels, the axes' title and the legend (``legend``: arguments of ``Axes.legend``)."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(heading)
    ax.legend(**legend)


def _curve_axes(ax: Any, years: Sequence[float], ylabel: str, heading: str, **legend: Any) -> None:
    """The axes of a probability curve: Y on a log scale ticked at ``years``, percent up."""
    if years:
        ax.set_xscale("log")
        ticks = sorted(set(years))
        _log_ticks(ax.xaxis, ticks)
        _x_limits_log(ax, ticks)
    _percent_axis(ax)
    _labels(
        ax,
        "Y: years of AI progress (at the pre-automation pace), log scale",
        ylabel,
        heading,
        **legend,
    )


def _point_label(p: float) -> str:
    return share(p, 0)


def probability_curve(
    probabilities: Sequence[Mapping[str, Any]], curve: Sequence[Mapping[str, Any]] = ()
) -> Plot:
    """P(>= Y years of progress within w) against Y, one line per window, Wilson bands: the
    fine curve where the run has one (``curve``), the grid's points on it."""
    windows = sorted({r["window_months"] for r in probabilities})
    figure, ax = new_figure(4.2)
    data: dict[str, Any] = {}
    all_years: list[float] = []
    span: list[float] = []
    for i, w in enumerate(windows):
        series = curve_series(probabilities, w)
        data[f"{w:g}"] = series
        color, label = PALETTE[i % len(PALETTE)], f"within {months_label(w)}"
        fine = curve_series(curve, w) if curve else None
        if fine is not None and fine["years"].size:
            ax.fill_between(
                fine["years"], 100 * fine["ci_low"], 100 * fine["ci_high"], color=color,
                alpha=0.2, linewidth=0, step="post" if _is_step(curve) else None,
            )  # fmt: skip
            draw = ax.step if _is_step(curve) else ax.plot
            kwargs = {"where": "post"} if _is_step(curve) else {}
            draw(fine["years"], 100 * fine["p"], color=color, label=label, lw=1.4, **kwargs)
            span += [float(fine["years"][0]), float(fine["years"][-1])]
            if series["years"].size:
                ax.plot(series["years"], 100 * series["p"], "o", color=color, ms=4)
                all_years += list(series["years"])
            continue
        if series["years"].size == 0:
            continue
        all_years += list(series["years"])
        _draw_curve(ax, series, color, label)
    # Value labels: above the highest line at each Y, below the others; one grey label where
    # every line reads the same.
    for x in sorted(set(all_years)):
        points = [
            (i, float(s["p"][s["years"] == x][0]))
            for i, s in enumerate(data.values())
            if (s["years"] == x).any()
        ]
        texts = {_point_label(p) for _, p in points}
        if len(texts) == 1 and len(points) > 1:
            ax.annotate(
                texts.pop(),
                (x, 100 * points[0][1]),
                textcoords="offset points",
                xytext=(6, 6),
                fontsize=8,
                color="0.3",
            )
            continue
        highest = max(p for _, p in points)
        for i, p in points:
            offset = (6, 6) if p == highest else (6, -13)
            ax.annotate(
                _point_label(p),
                (x, 100 * p),
                textcoords="offset points",
                xytext=offset,
                fontsize=8,
                color=PALETTE[i % len(PALETTE)],
            )
    _curve_axes(
        ax,
        all_years,
        "P(≥ Y years of progress within w)",
        "Chance of compressing Y years of AI progress into a window of w months",
        loc="upper right",
    )
    if span:
        ax.set_xlim(min(span) / 1.1, max(span) * 1.1)
    fine = (
        "Lines: the probability on a fine grid of Y (curve.csv: "
        + ("every whole doubling" if _is_step(curve) else "every 0.01 in log10 Y")
        + "), points: the run's grid (probabilities.csv); "
        if curve
        else "Points: the probability estimated from all draws; "
    )
    return Plot(
        name="report_probability_curve",
        title="P(≥ Y years of progress within w) against Y",
        caption=fine + "shaded bands: 95% Wilson intervals (Monte Carlo error only; they can "
        "be thinner than the lines). Each line is one window length w.",
        figure=figure,
        data=data,
    )


def _is_step(curve: Sequence[Mapping[str, Any]]) -> bool:
    """A whole-doubling curve (a step between doublings) rather than a smooth one."""
    return bool(curve) and curve[0].get("doublings") is not None


def sweep_curves(jobs: Sequence[tuple[str, Sequence[Mapping[str, Any]]]], window: float) -> Plot:
    """P(>= Y within ``window``) against Y, one line per job of a sweep."""
    figure, ax = new_figure(4.4)
    data: dict[str, Any] = {}
    all_years: list[float] = []
    for i, (label, probabilities) in enumerate(jobs):
        series = curve_series(probabilities, window)
        data[label] = series
        if series["years"].size:
            all_years += list(series["years"])
            _draw_curve(ax, series, PALETTE[i % len(PALETTE)], plain(label))
    _curve_axes(
        ax,
        all_years,
        f"P(≥ Y years of progress within {months_label(window)})",
        f"Scenarios compared: chance of ≥ Y years of progress within {months_label(window)}",
        loc="upper right",
        title="job",
    )
    return Plot(
        name="report_comparison" if window == 12 else f"report_comparison_{window:g}m",
        title=f"P(≥ Y years within {months_label(window)}) against Y, per job",
        caption="One line per job of the sweep; shaded bands: 95% Wilson intervals.",
        figure=figure,
        data=data,
    )


FAN_KEYS = ("q05", "q25", "q50", "q75", "q95")


def fan_series(fan: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """The fan table as arrays; None (beyond the tracked range) as +inf."""
    out = {"t_years": np.array([r["t_years"] for r in fan], float)}
    for key in FAN_KEYS:
        out[key] = np.array([_float(r.get(key)) for r in fan], float)
    return out


def fan_chart(fan: Sequence[Mapping[str, Any]], top_hint: float | None = None) -> Plot:
    """Quantile bands of progress (years) against time since automation.

    ``top_hint`` (e.g. the 95% quantile of progress by the horizon) sets the top of the axes
    where some bands are beyond the tracked range, so they are drawn at a realistic height.
    """
    data = fan_series(fan)
    figure, ax = new_figure(4.4)
    t = data["t_years"]
    finite = np.concatenate([data[k][np.isfinite(data[k])] for k in FAN_KEYS])
    top = float(finite.max()) if finite.size else 1.0
    beyond = any(not np.isfinite(data[k]).all() for k in FAN_KEYS)
    if beyond and top_hint is not None and math.isfinite(top_hint):
        top = max(top, top_hint)
    top = top if top > 0 else 1.0
    ceiling = top * 1.06
    clipped = {k: np.minimum(data[k], ceiling) for k in FAN_KEYS}
    for low, high, alpha in (("q05", "q95", 0.18), ("q25", "q75", 0.38)):  # outer band first
        ax.fill_between(
            t,
            clipped[low],
            clipped[high],
            color=BAND,
            alpha=alpha,
            linewidth=0,
            label=f"{int(low[1:])}–{int(high[1:])}% of draws",
        )
    ax.plot(t, clipped["q50"], color="#0b2f52", label="median")
    if beyond:
        ax.axhline(ceiling, color="0.4", linestyle=":", linewidth=1)
        ax.text(
            t[-1] if t.size else 0,
            ceiling,
            "at this line: beyond the largest progress level tracked",
            ha="right",
            va="bottom",
            fontsize=8,
            color="0.3",
        )
    ax.set_xlim(0, float(t.max()) if t.size else 1)
    ax.set_ylim(0, ceiling * (1.08 if beyond else 1.0))
    _labels(
        ax,
        "Time since full automation of AI R&D (years)",
        "AI progress (years at the pre-automation pace)",
        "Progress after automation: fan chart of all draws",
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        borderaxespad=0,
    )
    return Plot(
        name="report_fan",
        title="Fan chart of AI progress against time since automation",
        caption="Quantile bands of cumulative AI progress, in years of progress at the "
        "pre-automation pace, at each time since automation; computed from streamed "
        "histograms of all draws (not from individual paths). A band at the dotted line "
        "continues beyond the largest progress level tracked.",
        figure=figure,
        data=data,
    )


def time_to_rows(quantiles: Sequence[Mapping[str, Any]], levels: Sequence[float] = (1, 3, 10)):
    """Quantile rows of the time to reach each progress level (those present in the table)."""
    rows = [r for r in quantiles if r["outcome"] == "time_to_progress_years"]
    chosen = [r for r in rows if r.get("years") in set(map(float, levels))]
    return chosen or rows[:3]


def _strip(ax: Any, y: float, row: Mapping[str, Any], color: str, right: float) -> dict[str, float]:
    """One quantile strip: thin 5–95%, thick 25–75%, a dot at the median."""
    q = {k: _float(row.get(k)) for k in FAN_KEYS}
    drawn = {k: min(v, right) for k, v in q.items()}
    ax.plot([drawn["q05"], drawn["q95"]], [y, y], color=color, linewidth=1.6, solid_capstyle="butt")
    ax.plot(
        [drawn["q25"], drawn["q75"]],
        [y, y],
        color=color,
        linewidth=9,
        alpha=0.55,
        solid_capstyle="butt",
    )
    if math.isfinite(q["q50"]):
        ax.plot(
            [q["q50"]],
            [y],
            "o",
            color="white",
            markeredgecolor=color,
            markeredgewidth=2,
            markersize=8,
        )
    if not math.isfinite(q["q95"]):
        ax.annotate(
            "",
            xy=(right, y),
            xytext=(right / 1.8, y),
            arrowprops={"arrowstyle": "->", "color": color, "linewidth": 1.6},
        )
    return q


def distributions(
    quantiles: Sequence[Mapping[str, Any]],
    peak_sample: np.ndarray | None,
    horizon_years: float | None,
    n_draws: int | None,
) -> Plot:
    """Peak speed-up (sample histogram and full-run quantiles) and time to Y years."""
    figure, (top, bottom) = new_figure(6.6, nrows=2, height_ratios=[1.0, 1.0])
    data: dict[str, Any] = {}
    # Peak speed-up.
    peak = quantile_row(quantiles, "peak_speedup")
    peak_q = {k: _float(peak.get(k)) for k in FAN_KEYS} if peak else {}
    data["peak_speedup"] = peak_q
    finite_q = [v for v in peak_q.values() if math.isfinite(v) and v > 0]
    sample = None
    if peak_sample is not None:
        sample = peak_sample[np.isfinite(peak_sample) & (peak_sample > 0)]
    if sample is not None and sample.size:
        low = min(sample.min(), *finite_q) if finite_q else sample.min()
        high = max(sample.max(), *finite_q) if finite_q else sample.max()
        bins = np.geomspace(low, high * 1.0001 if high > low else low * 2, 50)
        top.hist(
            sample,
            bins=bins,
            color="0.75",
            edgecolor="white",
            linewidth=0.4,
            label=f"sample of {sample.size:,} draws (draws.parquet)",
        )
        data["peak_sample_size"] = int(sample.size)
    styles = {"q05": ("--", "5%"), "q50": ("-", "median"), "q95": ("--", "95%")}
    every = f"all {n_draws:,} draws" if n_draws else "all draws"
    for key, (line, name) in styles.items():
        value = peak_q.get(key, math.inf)
        if math.isfinite(value) and value > 0:
            top.axvline(
                value,
                color=PALETTE[1],
                linestyle=line,
                linewidth=1.8,
                label=f"{name} ({every}): {tex_number(value)}×",
            )
    if finite_q or (sample is not None and sample.size):
        top.set_xscale("log")
    _labels(
        top,
        "Peak speed-up of AI progress (× the pre-automation pace), log scale",
        "draws in the sample",
        "Peak speed-up",
        loc="upper right",
    )
    # Time to reach 1, 3, 10 years of progress.
    rows = time_to_rows(quantiles)
    values = [
        _float(r.get(k)) for r in rows for k in FAN_KEYS if r.get(k) is not None and r.get(k) > 0
    ]
    horizon = horizon_years or (max(values) if values else 1.0)
    right = max(horizon, *values) * 1.6 if values else horizon * 1.6
    left = min(values) / 1.6 if values else horizon / 100
    bottom.set_xscale("log")
    data["time_to"] = {}
    labels = []
    for i, row in enumerate(rows):
        y = len(rows) - 1 - i
        q = _strip(bottom, y, row, PALETTE[i % len(PALETTE)], right)
        data["time_to"][row["series"]] = q
        never = row.get("fraction_never")
        note = (
            f"not reached within {horizon:g} y: {share(never)} of draws"
            if never
            else f"reached within {horizon:g} y by all draws"
        )
        bottom.text(left * 1.05, y + 0.32, note, fontsize=8, color="0.3", va="bottom")
        level = row.get("years")
        labels.append(years_label(level) if level is not None else plain(row["series"]))
    bottom.set_yticks(range(len(rows)), list(reversed(labels)))
    bottom.set_ylim(-0.6, len(rows) - 0.1)
    bottom.set_xlim(left, right)
    if horizon_years:
        bottom.axvline(horizon_years, color="0.4", linestyle=":", linewidth=1)
        bottom.text(horizon_years, -0.55, " horizon", fontsize=8, color="0.3", va="bottom")
    bottom.grid(axis="y", visible=False)
    bottom.set_xlabel("Time since full automation (years), log scale")
    bottom.set_ylabel("progress reached")
    bottom.set_title("Time to reach Y years of progress (all draws)")
    ticks = [t for t in (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100) if left <= t <= right]
    if ticks:
        _log_ticks(bottom.xaxis, ticks)
    return Plot(
        name="report_distributions",
        title="Distributions: peak speed-up and time to Y years of progress",
        caption="Top: histogram of the per-draw sample kept in draws.parquet (a sample, "
        "not every draw), with the 5%, 50% and 95% quantiles of all draws. Bottom: thin line "
        "5–95%, thick bar 25–75%, dot the median of the time to reach each level, from all "
        "draws; an arrow means the quantile is beyond the horizon (never reached).",
        figure=figure,
        data=data,
    )


def sensitivity_chart(
    sensitivity: Sequence[Mapping[str, Any]], events: Sequence[str]
) -> Plot | None:
    """First-order sensitivity indices for ``events``: which prior drives each probability."""
    table: dict[str, dict[str, float]] = {}
    for row in sensitivity:
        if row["event"] in events and row["first_order_index"] is not None:
            table.setdefault(row["event"], {})[row["parameter"]] = float(row["first_order_index"])
    events = [e for e in events if e in table]
    if not events:
        return None
    first = table[events[0]]
    parameters = sorted({p for e in events for p in table[e]}, key=lambda p: -first.get(p, -1))
    figure, ax = new_figure(1.2 + 0.45 * len(parameters) * max(1, len(events)) ** 0.6)
    height = 0.8 / len(events)
    for j, event in enumerate(events):
        ys = np.arange(len(parameters)) - 0.4 + height * (j + 0.5)
        values = np.array([table[event].get(p, np.nan) for p in parameters])
        ax.barh(
            ys,
            values,
            height=height * 0.92,
            color=PALETTE[j % len(PALETTE)],
            label=event.replace(">=", "≥"),
        )
    ax.set_yticks(range(len(parameters)), [plain(p) for p in parameters])
    ax.invert_yaxis()
    ax.axvline(0, color="0.3", linewidth=0.8)
    largest = np.nanmax([abs(v) for e in events for v in table[e].values()] + [0.05])
    ax.set_xlim(
        min(0.0, *[v for e in events for v in table[e].values()]) - 0.02,
        min(1.0, largest * 1.15) + 0.02,
    )
    ax.grid(axis="y", visible=False)
    _labels(
        ax,
        "First-order sensitivity index S₁ (share of the event's variance)",
        "uncertain parameter",
        "Which prior drives the probability of explosion",
        loc="lower right",
        title="event",
    )
    return Plot(
        name="report_sensitivity",
        title="First-order sensitivity indices",
        caption="S₁ = Var(E[event | parameter]) / Var(event): the share of the variance of "
        "each headline event explained by one parameter alone (bias-corrected, so small "
        "values can be slightly negative). Parameters sorted by their index for the first "
        "event.",
        figure=figure,
        data={"events": events, "parameters": parameters, "indices": table},
    )


def image(plot: Plot) -> Image:
    """The plot as a PNG block of the document (its figure is cleared)."""
    png = plot.png()
    plot.figure.clear()
    return Image(plot.name, plot.title, plot.caption, png)

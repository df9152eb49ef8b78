"""From accumulated counts to summaries: probabilities with Monte Carlo errors and Wilson
intervals, quantiles from histograms, first-order sensitivity indices, fan-chart bands.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats as st

from ._accumulate import CALENDAR, MILESTONE_WITHIN_YEARS, MILESTONES, SENSITIVITY_BINS
from ._config import ForecastPlan
from ._events import Series, event_names, grid_events
from .models import Histogram, Quantity

QUANTILE_LEVELS = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
FAN_LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
CONFIDENCE = 0.95


@functools.lru_cache(maxsize=8)
def _normal_quantile(level: float) -> float:
    """The standard normal's quantile (SciPy's ppf, ~35 us a call: a summary asks for a few
    levels hundreds of times)."""
    return float(st.norm.ppf(level))


def wilson_interval(k: np.ndarray | int, n: np.ndarray | int, confidence: float = CONFIDENCE):
    """Wilson score interval for a binomial proportion k/n."""
    k = np.asarray(k, float)
    n = np.asarray(n, float)
    z = _normal_quantile(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # At k = 0 (k = n) the lower (upper) bound is 0 (1) exactly; rounding leaves ~1e-22.
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return low, high


def proportion(k: int, n: int) -> dict[str, float | None]:
    """p, its Monte Carlo standard error sqrt(p(1-p)/n) and the 95% Wilson interval."""
    if n == 0:
        return {"p": None, "se": None, "ci_low": None, "ci_high": None}
    p = k / n
    low, high = wilson_interval(k, n)
    return {"p": p, "se": math.sqrt(p * (1 - p) / n), "ci_low": float(low), "ci_high": float(high)}


def probability_table(plan: ForecastPlan, totals: Mapping[str, np.ndarray]) -> list[dict]:
    """P(>= Y years of progress within w) over the grid, with errors and intervals."""
    if plan.model.outcomes().grid is None:
        return []
    n = int(totals["finite"][0])
    events = totals["events"]
    rows = []
    for index, event in enumerate(grid_events(plan.windows_months, plan.progress_years)):
        k = int(events[index])
        rows.append(
            {
                "years": event.years,
                "window_months": event.window_months,
                "count": k,
                "n": n,
                **proportion(k, n),
            }
        )
    return rows


# The continuous curve's grid starts here [years of progress]; whole doublings give one point
# per doubling, smooth paths one per histogram bin edge (0.01 in log10: 2.3% apart).
CURVE_LOWEST_YEARS = 0.1


def curve_table(plan: ForecastPlan, totals: Mapping[str, np.ndarray]) -> list[dict]:
    """P(>= Y years of progress within w) on a fine grid of Y, for every window, from the
    counts the engine keeps (no rerun), each with its standard error and Wilson interval.

    Whole doublings (the Davidson & Houlden stepper, a static doublings-per-year): every whole
    number of doublings k from 0.1 years on, Y = k / per-year, exact counts of "the most
    whole doublings within w is at least k" (the probability table's rule, for every k).
    Smooth paths: every bin edge of the most-progress-within-w histogram (0.01 in log10
    years) from 0.1 years to the grid's end, exact counts above the edge. Finer than that
    the data does not go: a whole-doubling path has no progress between doublings, and the
    histogram does not resolve within a bin.
    """
    n = int(totals["finite"][0])
    grid, rows = plan.model.outcomes().grid, []
    if grid is None or "hist_max_progress_years" not in totals:
        return []
    per_year = grid.doublings_per_year
    if "hist_max_doublings_in_windows" in totals:
        if per_year is None:
            return []
        counts = totals["hist_max_doublings_in_windows"]
        steps = counts.shape[1] - 3
        for w, row in zip(plan.windows_months, counts, strict=True):
            at_least = np.cumsum(row[:steps][::-1])[::-1] + row[steps + 1] + row[steps + 2]
            for k in range(1, steps):
                if k / per_year >= CURVE_LOWEST_YEARS - 1e-12:
                    rows.append(_curve_row(w, k / per_year, int(at_least[k]), n, doublings=k))
        return rows
    spec = _quantity(plan, "max_progress_years").histogram
    top = grid.top_years if grid.top_years is not None else spec.value_at(spec.bins)
    for w, row in zip(plan.windows_months, totals["hist_max_progress_years"], strict=True):
        tail = row[spec.bins + 1] + row[spec.bins + 2]  # overflow and +inf
        at_least = np.cumsum(row[: spec.bins][::-1])[::-1] + tail
        for j in range(spec.bins):
            y = spec.value_at(j)
            if CURVE_LOWEST_YEARS * (1 - 1e-9) <= y <= top * (1 + 1e-9):
                rows.append(_curve_row(w, y, int(at_least[j]), n))
    return rows


def _curve_row(window: float, years: float, k: int, n: int, doublings: int | None = None):
    return {
        "window_months": window,
        "years": years,
        "doublings": doublings,
        "count": k,
        "n": n,
        **proportion(k, n),
    }


def _as_counts(counts: np.ndarray) -> np.ndarray:
    """Integer counts as int64 (exact sums), weights as float64."""
    counts = np.asarray(counts)
    return counts.astype(np.float64 if counts.dtype.kind == "f" else np.int64)


def histogram_quantiles(
    counts: np.ndarray, spec: Histogram, levels: Sequence[float] = QUANTILE_LEVELS
) -> list[float | None]:
    """Quantiles of one histogram series, log-linear within a bin.

    The underflow cell (values <= 10^low, including 0) reads as 0; overflow and +inf cells
    read as None (beyond the range / never reached). ``counts`` may also be weights (a
    mixture's fractions).
    """
    counts = _as_counts(counts)
    total = counts.sum()
    if total == 0:
        return [None for _ in levels]
    order = np.concatenate([[counts[spec.bins]], counts[: spec.bins], counts[spec.bins + 1 :]])
    cumulative = np.cumsum(order)
    out: list[float | None] = []
    for q in levels:
        target = q * total
        cell = int(np.searchsorted(cumulative, target, side="left"))
        if cell == 0:
            out.append(0.0)
        elif cell > spec.bins:
            out.append(None)
        else:
            below = cumulative[cell - 1]
            frac = (target - below) / (order[cell] if order[cell] > 0 else 1)
            out.append(spec.value_at(cell - 1 + frac))
    return out


def _quantity(plan: ForecastPlan, name: str) -> Quantity:
    return next(q for q in plan.model.outcomes().quantities if q.name == name)


def _series(plan: ForecastPlan, quantity: Quantity) -> list[Series]:
    if quantity.series == "window":
        return [Series("window", w) for w in plan.windows_months]
    if quantity.series == "progress":
        return [Series("progress", y) for y in plan.progress_years]
    return [Series()]


def quantile_table(plan: ForecastPlan, totals: Mapping[str, np.ndarray]) -> list[dict]:
    """Quantiles of every continuous outcome the model declares for the table."""
    rows = []
    for quantity in plan.model.outcomes().quantities:
        if not quantity.quantiles:
            continue
        spec, hist = quantity.histogram, totals[f"hist_{quantity.name}"]
        for series, counts in zip(_series(plan, quantity), hist, strict=True):
            values = histogram_quantiles(counts, spec)
            n = int(counts.sum())
            never = int(counts[spec.bins + 2])
            rows.append(
                {
                    "outcome": quantity.name,
                    **series.columns(),
                    "n": n,
                    "fraction_never": never / n if n else None,
                    **{
                        f"q{round(q * 100):02d}": v
                        for q, v in zip(QUANTILE_LEVELS, values, strict=True)
                    },
                }
            )
    return rows


def duration_summary(plan: ForecastPlan, quantiles: Sequence[Mapping[str, Any]]) -> dict | None:
    """The quantities the model declares as durations, by name: their row of the quantile
    table (``n``, ``fraction_never``, ``q05``..``q95``); None for a model without any."""
    names = plan.model.outcomes().durations
    if not names:
        return None
    rows = {row["outcome"]: row for row in quantiles}
    kept = ("n", "fraction_never", *(f"q{round(q * 100):02d}" for q in QUANTILE_LEVELS))
    return {name: {k: rows[name][k] for k in kept} for name in names}


def histogram_cdf(counts: np.ndarray, spec: Histogram, value: float) -> float:
    """P(X <= value) from a histogram series (log-linear within the bin); ``counts`` may
    also be weights."""
    return float(histogram_cdfs(np.asarray(counts)[None], spec, [value])[0, 0])


def histogram_cdfs(series: np.ndarray, spec: Histogram, values: Sequence[float]) -> np.ndarray:
    """:func:`histogram_cdf` of each series [S, cells] at each value: [S, values]. The
    position of each value is computed once, and integer counts are summed once (a running
    sum, exact: the same numbers as summing each prefix); weights sum each prefix as
    :func:`histogram_cdf` always has."""
    series = _as_counts(series)
    totals = [counts.sum() for counts in series]
    running = None
    if series.dtype.kind == "i":
        running = np.zeros((series.shape[0], spec.bins + 1), np.int64)
        np.cumsum(series[:, : spec.bins], axis=1, out=running[:, 1:])
    out = np.full((series.shape[0], len(values)), np.nan)
    for j, value in enumerate(values):
        if spec.log and value <= 0:
            out[:, j] = np.where(np.asarray(totals) == 0, np.nan, 0.0)
            continue
        position = float(spec.position(np.float64(value)))
        for i, (counts, total) in enumerate(zip(series, totals, strict=True)):
            if total == 0:
                continue
            below = counts[spec.bins]  # underflow
            if position >= 0:
                whole = min(int(position), spec.bins)
                below += running[i, whole] if running is not None else counts[:whole].sum()
                if whole < spec.bins:
                    below += counts[whole] * (position - whole)
                else:
                    below += counts[spec.bins + 1]  # overflow: finite but beyond the range
            out[i, j] = below / total
    return out


FAN_EARLY_STEP_YEARS = 1 / 26  # two weeks: the fan is fine where the 4-month events happen


def fan_times(horizon: float, points: int = 41) -> np.ndarray:
    """The fan's time grid: every two weeks through the first year, then ``points`` evenly
    over the horizon (their union: 0.5, 1, 2, ... years stay on it)."""
    early = np.arange(0.0, min(1.0, horizon) + 1e-12, FAN_EARLY_STEP_YEARS)
    even = horizon * np.arange(points) / (points - 1)
    return np.unique(np.round(np.concatenate([early, even]), 12))


def fan_table(plan: ForecastPlan, totals: Mapping[str, np.ndarray], points: int = 41) -> list[dict]:
    """Quantile bands of progress (years) against time since automation (:func:`fan_times`).

    Progress at time t is at least y exactly when y was reached by t, so
    P(progress(t) >= y) = P(time to reach y <= t): read off the histograms of the times to
    reach a ladder of progress levels, then inverted in y (log-linear between levels).
    Below the lowest level a quantile reads 0; above the highest, None.
    """
    declared = plan.model.outcomes()
    if not declared.fan_levels_years:
        return []
    spec = _quantity(plan, "time_to_fan_levels_years").histogram
    hist = totals["hist_time_to_fan_levels_years"]
    levels = np.asarray(declared.fan_levels_years)
    horizon = declared.horizon_years
    rows = []
    times = [float(t) for t in fan_times(horizon, points)]
    reached = histogram_cdfs(np.asarray(hist), spec, times)  # [levels, times]
    for column, t in enumerate(times):
        # P(progress(t) < y) for each ladder level: increasing in y.
        below = 1.0 - reached[:, column]
        row: dict[str, Any] = {"t_years": t}
        for q in FAN_LEVELS:
            above = np.nonzero(below >= q)[0]
            if above.size == 0:
                value = None
            elif above[0] == 0:
                value = 0.0
            else:
                j = above[0]
                lo, hi = below[j - 1], below[j]
                frac = (q - lo) / (hi - lo) if hi > lo else 1.0
                value = float(
                    np.exp(np.log(levels[j - 1]) + frac * np.log(levels[j] / levels[j - 1]))
                )
            row[f"q{round(q * 100):02d}"] = value
        rows.append(row)
    return rows


def first_order_indices(bin_draws: np.ndarray, bin_events: np.ndarray) -> np.ndarray:
    """First-order sensitivity indices S = Var(E[Y | X_k]) / Var(Y) of binary events.

    E[Y | X_k] is estimated in equal-probability bins of X_k. The between-bin variance of bin
    means carries (B - 1) p (1 - p) / N of pure noise, which is subtracted (bias correction).
    Returns an array [parameters, events]; NaN where Var(Y) = 0.
    """
    b = SENSITIVITY_BINS
    n_b = bin_draws.reshape(-1, b).astype(float)  # [K, B]
    hits = bin_events.reshape(n_b.shape[0], b, -1).astype(float)  # [K, B, E]
    n = n_b.sum(axis=1)[:, None]  # [K, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        p = hits.sum(axis=1) / n  # [K, E]
        p_b = hits / n_b[:, :, None]
        between = np.nansum(n_b[:, :, None] * (p_b - p[:, None, :]) ** 2, axis=1)
        noise = (b - 1) * p * (1 - p)
        return (between - noise) / (n * p * (1 - p))


def sensitivity_table(plan: ForecastPlan, totals: Mapping[str, np.ndarray]) -> list[dict]:
    """First-order indices per uncertain parameter and event."""
    if "bin_draws" not in totals:
        return []
    indices = first_order_indices(totals["bin_draws"], totals["bin_events"])
    names = event_names(plan.model.outcomes(), plan.windows_months, plan.progress_years)
    rows = []
    for k, prior in enumerate(plan.priors.uncertain):
        for e, event in enumerate(names):
            value = indices[k, e]
            rows.append(
                {
                    "event": event,
                    "parameter": prior.name,
                    "first_order_index": None if not np.isfinite(value) else float(value),
                }
            )
    return rows


def condition_summary(plan: ForecastPlan, totals: Mapping[str, np.ndarray]) -> dict | None:
    """What the run is conditioned on (None: unconditioned): ``not_before`` and ``horizon``
    (each None when not a condition), the finite draws
    ``kept`` (every statistic is over them) and ``excluded``, and ``p_condition``, the
    prior probability of the condition (kept over finite draws) with its error and interval."""
    if plan.not_before is None and plan.horizon is None:
        return None
    kept, excluded = int(totals["finite"][0]), int(totals["excluded"][0])
    horizon = None
    if plan.horizon is not None:
        year, low, high = plan.horizon
        horizon = {"year": year, "low_minutes": low, "high_minutes": high}
    return {
        "not_before": plan.not_before,
        "horizon": horizon,
        "kept": kept,
        "excluded": excluded,
        "p_condition": proportion(kept, kept + excluded),
    }


def flag_probabilities(plan: ForecastPlan, totals: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """The probability of each declared flag (accelerated, reached ceiling, ...), with errors
    and intervals."""
    n = int(totals["finite"][0])
    declared = plan.model.outcomes()
    n_grid = len(plan.windows_months) * len(plan.progress_years) if declared.grid else 0
    return {
        flag.name: proportion(int(totals["events"][n_grid + i]), n)
        for i, flag in enumerate(declared.flags)
    }


def calendar_summary(plan: ForecastPlan, totals: Mapping[str, np.ndarray]) -> dict | None:
    """Calendar results of the start-date stage (None without one).

    ``p_automation_by_year``: P(automation has started by the year); ``p_explosion_by_year``:
    P(the explosion event, >= Y years of progress within w, is completed by the year);
    ``milestone_dates``: quantiles (decimal years) of reaching each progress level;
    ``monthly``: both probabilities at the start of every month over the calendar years.
    """
    timelines = plan.timelines
    if timelines is None:
        return None

    def by_year(counts: np.ndarray) -> dict[str, float]:
        return {f"{y:g}": histogram_cdf(counts, CALENDAR, y) for y in timelines.calendar_years}

    def quantiles(counts: np.ndarray) -> dict[str, float | None]:
        values = histogram_quantiles(counts, CALENDAR)
        return {f"q{round(q * 100):02d}": v for q, v in zip(QUANTILE_LEVELS, values, strict=True)}

    first, last = math.floor(timelines.calendar_years[0]), timelines.calendar_years[-1]
    months = [first + m / 12 for m in range(int(round((last - first) * 12)) + 1)]
    return {
        "timelines": timelines.name,
        "monthly": {
            "years": months,
            "p_automation": histogram_cdfs(totals["cal_start"][:1], CALENDAR, months)[0].tolist(),
            "p_explosion": histogram_cdfs(totals["cal_explosion"][:1], CALENDAR, months)[
                0
            ].tolist(),
        },
        "explosion_event": {
            "years": timelines.explosion_years,
            "window_months": timelines.explosion_window_years * 12,
        },
        "p_automation_by_year": by_year(totals["cal_start"][0]),
        "p_explosion_by_year": by_year(totals["cal_explosion"][0]),
        "automation_year": quantiles(totals["cal_start"][0]),
        "milestone_dates": {
            f"{y:g}": quantiles(counts)
            for y, counts in zip(plan.progress_years, totals["cal_milestones"], strict=True)
        },
    }


def _quantile_keys(values: Sequence[float | None]) -> dict[str, float | None]:
    return {f"q{round(q * 100):02d}": v for q, v in zip(QUANTILE_LEVELS, values, strict=True)}


def milestone_summary(plan: ForecastPlan, totals: Mapping[str, np.ndarray]) -> dict | None:
    """The model's milestones (None without any): for each milestone after the first,
    ``years_after_start`` quantiles (from a 1%-bin histogram; below 1e-4 years reads 0),
    ``p_within_years`` (exact counts: Y -> P(reached within Y years of the start)) with the
    counts and n, the phase from the milestone before (quantiles) and, when the start has a
    date, ``date`` quantiles (decimal years) and, for the model's declared calendar years,
    ``p_by_year`` (year -> P(reached by the end of that year), over all finite draws)."""
    declared = plan.model.outcomes()
    milestones = declared.milestones
    if milestones is None:
        return None
    n = int(totals["finite"][0])
    out: dict[str, Any] = {}
    for k, (name, phase) in enumerate(zip(milestones.names, milestones.phases, strict=True)):
        counts = totals["milestone_within"][k]
        entry: dict[str, Any] = {
            "years_after_start": _quantile_keys(
                histogram_quantiles(totals["hist_milestone_years"][k], MILESTONES)
            ),
            "p_within_years": {
                str(y): (int(c) / n if n else None)
                for y, c in zip(MILESTONE_WITHIN_YEARS, counts, strict=True)
            },
            "within_counts": {
                str(y): int(c) for y, c in zip(MILESTONE_WITHIN_YEARS, counts, strict=True)
            },
            "n": n,
            "phase": phase,
            "phase_years": _quantile_keys(
                histogram_quantiles(totals["hist_phase_years"][k], MILESTONES)
            ),
        }
        if "cal_milestone_dates" in totals:
            dates = totals["cal_milestone_dates"][k]
            entry["date"] = _quantile_keys(histogram_quantiles(dates, CALENDAR))
            entry["date_density"] = _density(dates, CALENDAR, 2)
            if declared.milestone_calendar_years:  # Y + 1 is a bin edge: exact counts
                entry["p_by_year"] = {
                    str(y): histogram_cdf(dates, CALENDAR, y + 1.0)
                    for y in declared.milestone_calendar_years
                }
        else:
            entry["years_density"] = _density(totals["hist_milestone_years"][k], MILESTONES, 10)
        out[name] = entry
    return out


_DENSITY_BINS = 400


def _density(counts: np.ndarray, spec: Histogram, merge: int) -> dict[str, Any]:
    """A histogram series as a density for the report: ``merge`` bins at a time, from the
    first to the last occupied one. ``edges`` are values (decimal years, or years on a log
    histogram); ``density`` is the fraction of all draws per unit of the bin's coordinate
    (per year; per log10 year on a log histogram)."""
    counts = np.asarray(counts, np.int64)
    total = int(counts.sum())
    inside = counts[: spec.bins]
    used = np.nonzero(inside)[0]
    if total == 0 or used.size == 0:
        return {"edges": [], "density": []}
    # From the first occupied bin to the one holding the 97.5th percentile, at most
    # _DENSITY_BINS merged bins (a milestone centuries away would only add a flat tail).
    cumulative = counts[spec.bins] + np.cumsum(inside)
    last = min(used[-1], int(np.searchsorted(cumulative, 0.975 * total)))
    lo = used[0] // merge * merge
    hi = min(spec.bins, (last // merge + 1) * merge, lo + _DENSITY_BINS * merge)
    merged = inside[lo:hi].reshape(-1, merge).sum(axis=1)
    width = spec.width * merge
    edges = [spec.value_at(lo + merge * i) for i in range(merged.size + 1)]
    return {"edges": edges, "density": (merged / (total * width)).tolist(), "log": spec.log}

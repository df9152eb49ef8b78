"""Streaming accumulators: per-chunk reductions (in JAX) and their exact sums (on the host).

Every accumulator is an integer count, so the totals are the same whatever the chunk size,
the number of devices or the order of shards: probabilities from threshold counts, quantiles
from fixed-bin histograms, first-order sensitivity indices from per-parameter binned counts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

SENSITIVITY_BINS = 10  # equal-probability bins of each parameter's prior


@dataclasses.dataclass(frozen=True)
class Histogram:
    """Fixed bins over [low, high] in log10 of the value (``log=True``) or in the value itself;
    three extra cells count underflow (incl. <= 0 on a log scale), overflow and +inf."""

    low: float
    high: float
    bins: int
    log: bool = True

    @property
    def width(self) -> float:
        return (self.high - self.low) / self.bins

    @property
    def cells(self) -> int:
        return self.bins + 3

    def position(self, value: Any) -> Any:
        """Where ``value`` falls, in bins from ``low`` (NumPy or JAX arrays, or floats)."""
        xp = jnp if isinstance(value, jax.Array) else np
        if self.log:
            safe = xp.where(value > 0, value, 1.0)
            return (xp.log10(safe) - self.low) / self.width
        finite = xp.where(xp.isfinite(value), value, self.low)
        return (finite - self.low) / self.width

    def value_at(self, position: float) -> float:
        """The value at a position in bins (the inverse of :meth:`position`)."""
        scaled = self.low + position * self.width
        return float(10.0**scaled) if self.log else float(scaled)

    def cell(self, value: jax.Array) -> jax.Array:
        raw = jnp.floor(self.position(value))
        index = jnp.clip(raw, -1, self.bins).astype(jnp.int32)
        index = jnp.where(index < 0, self.bins, index)  # underflow cell
        index = jnp.where(raw >= self.bins, self.bins + 1, index)  # overflow cell
        if self.log:
            index = jnp.where(value <= 0, self.bins, index)
        index = jnp.where(jnp.isneginf(value), self.bins, index)
        return jnp.where(jnp.isposinf(value), self.bins + 2, index)

    def edges(self) -> np.ndarray:
        return np.array([self.value_at(i) for i in range(self.bins + 1)])


# Ranges wide enough for every preset; values outside are counted, not lost.
HISTOGRAMS: dict[str, Histogram] = {
    "fastest_years_to_progress": Histogram(-6.0, 4.0, 1000),
    "peak_speedup": Histogram(-3.0, 30.0, 3300),
    "time_to_progress_years": Histogram(-6.0, 4.0, 1000),
    "max_progress_years": Histogram(-4.0, 4.0, 800),
    "progress_by_horizon_years": Histogram(-4.0, 4.0, 800),
    "time_to_fan_levels_years": Histogram(-6.0, 4.0, 1000),
}
# Calendar dates (decimal years), for the start-date stage.
CALENDAR = Histogram(2000.0, 2200.0, 4000, log=False)
# A ladder's years from the start to each milestone, and each phase's years: 0.004 in log10
# (1%) from 1e-4 years (53 minutes; below counts as 0) to 1e4 years.
MILESTONES = Histogram(-4.0, 4.0, 2000)
#: P(milestone within Y years of the start) is counted exactly for these Y.
MILESTONE_WITHIN_YEARS = (0.25, 0.5, 1, 2, 3, 5, 10)  # keys str(Y): 0.25, 0.5, 1, ...


def _as_series(values: jax.Array) -> jax.Array:
    return values[:, None] if values.ndim == 1 else values


def _histogram(values: jax.Array, weight: jax.Array, spec: Histogram) -> jax.Array:
    series = _as_series(values)
    n_series = series.shape[1]
    flat = spec.cell(series) + spec.cells * jnp.arange(n_series, dtype=jnp.int32)[None, :]
    counts = (
        jnp.zeros(n_series * spec.cells, jnp.int32)
        .at[flat.reshape(-1)]
        .add(jnp.broadcast_to(weight[:, None], flat.shape).reshape(-1).astype(jnp.int32))
    )
    return counts.reshape(n_series, spec.cells)


def event_matrix(outcomes: Mapping[str, jax.Array], windows_years: tuple[float, ...]) -> jax.Array:
    """Binary events per draw: the probability grid (window-major: for each window w, for
    each progress level Y, "Y years of progress within w"), accelerated, reached ceiling.

    A level is made within w when the fastest time to make it is shorter than w (strictly,
    as Davidson & Houlden count it).
    """
    fastest = outcomes["fastest_years_to_progress"]  # [n, Y]
    exceed = fastest[:, None, :] < jnp.asarray(windows_years, fastest.dtype)[None, :, None]
    n = exceed.shape[0]
    return jnp.concatenate(
        [
            exceed.reshape(n, -1),
            outcomes["accelerated"][:, None],
            outcomes["reached_ceiling"][:, None],
        ],
        axis=1,
    )


def whole_steps_histogram(max_steps: int) -> Histogram:
    """One cell per whole number of steps 0 .. ``max_steps`` (exact integer counts)."""
    return Histogram(-0.5, max_steps + 0.5, max_steps + 1, log=False)


def chunk_statistics(
    outcomes: Mapping[str, jax.Array],
    uniforms: jax.Array,
    in_range: jax.Array,
    windows_years: tuple[float, ...],
    whole_steps: int | None = None,
) -> dict[str, jax.Array]:
    """Reduce one chunk's outcomes to integer counts (inside jit).

    Draws outside the run's range (padding) are ignored; non-finite draws are counted in
    ``non_finite`` and left out of every statistic. With ``whole_steps`` (the doublings
    stepper's steps) the most whole doublings within each window get one exact cell each:
    the continuous P(>= Y years within w) curve.
    """
    finite = in_range & ~outcomes["non_finite"]
    weight = finite.astype(jnp.float32)
    events = event_matrix(outcomes, windows_years).astype(jnp.float32) * weight[:, None]
    stats = {
        "draws": jnp.sum(in_range.astype(jnp.int32), keepdims=True),
        "finite": jnp.sum(finite.astype(jnp.int32), keepdims=True),
        "non_finite": jnp.sum((in_range & ~finite).astype(jnp.int32), keepdims=True),
        "events": jnp.sum(events, axis=0).astype(jnp.int32),
    }
    for name, spec in HISTOGRAMS.items():
        stats[f"hist_{name}"] = _histogram(outcomes[name], finite, spec)
    if whole_steps is not None and "max_doublings_in_windows" in outcomes:
        stats["hist_max_doublings_in_windows"] = _histogram(
            outcomes["max_doublings_in_windows"], finite, whole_steps_histogram(whole_steps)
        )
    # Sensitivity: counts and event hits per equal-probability bin of each parameter.
    k = uniforms.shape[1]
    if k:
        cells = jnp.clip(jnp.floor(uniforms * SENSITIVITY_BINS), 0, SENSITIVITY_BINS - 1)
        onehot = jax.nn.one_hot(cells.astype(jnp.int32), SENSITIVITY_BINS, dtype=jnp.float32)
        onehot = onehot.reshape(-1, k * SENSITIVITY_BINS) * weight[:, None]
        stats["bin_draws"] = jnp.sum(onehot, axis=0).astype(jnp.int32)
        stats["bin_events"] = (onehot.T @ events).astype(jnp.int32)
    return stats


def milestone_statistics(
    outcomes: Mapping[str, jax.Array], in_range: jax.Array
) -> dict[str, jax.Array]:
    """A ladder's counts: histograms of the years to each milestone and of each phase, and
    exact counts of each milestone within every Y of :data:`MILESTONE_WITHIN_YEARS`."""
    finite = in_range & ~outcomes["non_finite"]
    years = outcomes["milestone_years"]  # [n, K]
    phases = jnp.diff(years, axis=1, prepend=jnp.zeros_like(years[:, :1]))
    within = jnp.asarray(MILESTONE_WITHIN_YEARS, years.dtype)
    hits = (years[:, :, None] <= within[None, None, :]) & finite[:, None, None]
    return {
        "hist_milestone_years": _histogram(years, finite, MILESTONES),
        "hist_phase_years": _histogram(phases, finite, MILESTONES),
        "milestone_within": jnp.sum(hits.astype(jnp.int32), axis=0),
    }


def milestone_calendar(
    start_year: jax.Array, outcomes: Mapping[str, jax.Array], in_range: jax.Array
) -> dict[str, jax.Array]:
    """Histograms of the calendar date of each milestone after the first."""
    finite = in_range & ~outcomes["non_finite"]
    dates = start_year[:, None] + outcomes["milestone_years"]
    return {"cal_ladder": _histogram(dates, finite, CALENDAR)}


def calendar_statistics(
    start_year: jax.Array, outcomes: Mapping[str, jax.Array], in_range: jax.Array
) -> dict[str, jax.Array]:
    """Histograms of calendar dates (decimal years): automation start, first completion of
    the explosion event, and each progress milestone (start + time to reach it)."""
    finite = in_range & ~outcomes["non_finite"]
    explosion = start_year + outcomes["event_completion_years"]
    milestones = start_year[:, None] + outcomes["time_to_progress_years"]
    return {
        "cal_start": _histogram(start_year, finite, CALENDAR),
        "cal_explosion": _histogram(explosion, finite, CALENDAR),
        "cal_milestones": _histogram(milestones, finite, CALENDAR),
    }


def zeros_like_stats(stats: Mapping[str, jax.Array]) -> dict[str, np.ndarray]:
    """Host accumulators (int64) shaped like one chunk's statistics."""
    return {k: np.zeros(np.shape(v), np.int64) for k, v in stats.items()}


def add_stats(total: dict[str, np.ndarray], chunk: Mapping[str, jax.Array]) -> None:
    """Fold a chunk's counts into the host totals, exactly."""
    for key, value in chunk.items():
        total[key] += np.asarray(value, dtype=np.int64)

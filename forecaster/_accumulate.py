"""Streaming accumulators: per-chunk reductions (in JAX) and their exact sums (on the host).

What is counted is what the model declares (:class:`~forecaster.models.Declared`): the
probability grid and flags, a histogram per quantity, the milestones. Every accumulator is an
integer count, so the totals are the same whatever the chunk size,
the number of devices or the order of shards: probabilities from threshold counts, quantiles
from fixed-bin histograms, first-order sensitivity indices from per-parameter binned counts.
"""

from __future__ import annotations

from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

from .models import Declared, Histogram

SENSITIVITY_BINS = 10  # equal-probability bins of each parameter's prior


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


def event_matrix(declared: Declared, outcomes: Mapping[str, jax.Array], n: int) -> jax.Array:
    """Binary events per draw [n, E]: the probability grid (window-major: for each window w,
    for each progress level Y, "Y years of progress within w"), then the declared flags.

    A level is made within w when the fastest time to make it is shorter than w (strictly,
    as Davidson & Houlden count it).
    """
    columns = []
    grid = declared.grid
    if grid is not None:
        fastest = outcomes["fastest_years_to_progress"]  # [n, Y]
        windows = jnp.asarray(grid.windows_years, fastest.dtype)
        exceed = fastest[:, None, :] < windows[None, :, None]
        columns.append(exceed.reshape(n, -1))
    columns += [outcomes[flag.name][:, None] for flag in declared.flags]
    if not columns:
        return jnp.zeros((n, 0), bool)
    return jnp.concatenate(columns, axis=1)


def whole_steps_histogram(max_steps: int) -> Histogram:
    """One cell per whole number of steps 0 .. ``max_steps`` (exact integer counts)."""
    return Histogram(-0.5, max_steps + 0.5, max_steps + 1, log=False)


def counted_draws(
    outcomes: Mapping[str, jax.Array], in_range: jax.Array, kept: jax.Array | None = None
) -> jax.Array:
    """The draws every statistic counts: in the run's range, finite and, under a condition,
    meeting it (``kept``)."""
    finite = in_range & ~outcomes["non_finite"]
    return finite if kept is None else finite & kept


def nothing_before(
    declared: Declared,
    start_year: jax.Array | None,
    outcomes: Mapping[str, jax.Array],
    dated_stage: bool,
    year: float,
) -> jax.Array:
    """Per draw, whether nothing dated happened before ``year`` (``condition.not_before``):
    not the start of automation (a start-date stage's date) nor any milestone. A milestone
    never reached (+inf years) happened at no date; NaN neither."""
    dates = []
    if start_year is not None and dated_stage:
        dates.append(start_year[:, None])
    if start_year is not None and declared.milestones is not None:
        dates.append(start_year[:, None] + outcomes["milestone_years"])
    if not dates:  # the plan refuses a condition on a run with nothing dated
        raise ValueError("a condition on the dates of a run with no dates")
    every = jnp.concatenate(dates, axis=1)
    return ~jnp.any(every < jnp.asarray(year, every.dtype), axis=1)


def horizon_within(
    declared: Declared, outcomes: Mapping[str, jax.Array], low: float, high: float
) -> jax.Array:
    """Per draw, whether its coding time horizon at the condition's year is within
    [low, high] minutes (``condition.horizon_*``). A horizon past the model's own range (the
    AI Futures Model's is undefined past its AC horizon: NaN) counts as above every bound."""
    assert declared.horizon_at is not None  # the plan refuses the condition otherwise
    minutes = outcomes[declared.horizon_at]
    minutes = jnp.where(jnp.isnan(minutes), jnp.inf, minutes)
    return (minutes >= low) & (minutes <= high)


def chunk_statistics(
    declared: Declared,
    outcomes: Mapping[str, jax.Array],
    uniforms: jax.Array,
    in_range: jax.Array,
    kept: jax.Array | None = None,
) -> dict[str, jax.Array]:
    """Reduce one chunk's outcomes to integer counts (inside jit), as the model declares them.

    Draws outside the run's range (padding) are ignored; non-finite draws are counted in
    ``non_finite`` and left out of every statistic. A grid with ``whole_steps`` (the doublings
    stepper's steps) gives the most whole doublings within each window one exact cell each:
    the continuous P(>= Y years within w) curve. Milestones add their own counts
    (:func:`milestone_statistics`).

    Under a condition (``kept``: the draws meeting it), ``finite`` counts the finite draws
    kept, ``excluded`` the finite draws not kept, and every statistic is over the kept ones:
    each probability is conditional on the condition.
    """
    finite = counted_draws(outcomes, in_range, kept)
    weight = finite.astype(jnp.float32)
    events = event_matrix(declared, outcomes, in_range.shape[0]).astype(jnp.float32)
    events = events * weight[:, None]
    stats = {
        "draws": jnp.sum(in_range.astype(jnp.int32), keepdims=True),
        "finite": jnp.sum(finite.astype(jnp.int32), keepdims=True),
        "non_finite": jnp.sum((in_range & outcomes["non_finite"]).astype(jnp.int32), keepdims=True),
        "events": jnp.sum(events, axis=0).astype(jnp.int32),
    }
    if kept is not None:
        excluded = in_range & ~outcomes["non_finite"] & ~kept
        stats["excluded"] = jnp.sum(excluded.astype(jnp.int32), keepdims=True)
    for quantity in declared.quantities:
        stats[f"hist_{quantity.name}"] = _histogram(
            outcomes[quantity.name], finite, quantity.histogram
        )
    grid = declared.grid
    if grid is not None and grid.whole_steps is not None and grid.windows_years:
        stats["hist_max_doublings_in_windows"] = _histogram(
            outcomes["max_doublings_in_windows"], finite, whole_steps_histogram(grid.whole_steps)
        )
    # Sensitivity: counts and event hits per equal-probability bin of each parameter.
    k = uniforms.shape[1]
    if k:
        cells = jnp.clip(jnp.floor(uniforms * SENSITIVITY_BINS), 0, SENSITIVITY_BINS - 1)
        onehot = jax.nn.one_hot(cells.astype(jnp.int32), SENSITIVITY_BINS, dtype=jnp.float32)
        onehot = onehot.reshape(-1, k * SENSITIVITY_BINS) * weight[:, None]
        stats["bin_draws"] = jnp.sum(onehot, axis=0).astype(jnp.int32)
        stats["bin_events"] = (onehot.T @ events).astype(jnp.int32)
    if declared.milestones is not None:
        stats |= milestone_statistics(outcomes, finite)
    return stats


def milestone_statistics(
    outcomes: Mapping[str, jax.Array], finite: jax.Array
) -> dict[str, jax.Array]:
    """Milestones' counts over the ``finite`` draws (:func:`counted_draws`): histograms of the
    years to each milestone and of each phase, and exact counts of each milestone within
    every Y of :data:`MILESTONE_WITHIN_YEARS`."""
    years = outcomes["milestone_years"]  # [n, K]
    phases = jnp.diff(years, axis=1, prepend=jnp.zeros_like(years[:, :1]))
    within = jnp.asarray(MILESTONE_WITHIN_YEARS, years.dtype)
    hits = (years[:, :, None] <= within[None, None, :]) & finite[:, None, None]
    return {
        "hist_milestone_years": _histogram(years, finite, MILESTONES),
        "hist_phase_years": _histogram(phases, finite, MILESTONES),
        "milestone_within": jnp.sum(hits.astype(jnp.int32), axis=0),
    }


def calendar_statistics(
    declared: Declared,
    start_year: jax.Array,
    outcomes: Mapping[str, jax.Array],
    finite: jax.Array,
    dated_stage: bool,
) -> dict[str, jax.Array]:
    """Histograms of calendar dates (decimal years) of the ``finite`` draws
    (:func:`counted_draws`). From a start-date stage (``dated_stage``): automation start,
    first completion of the dated event, and each progress level (start + time to reach it).
    With milestones (a stage's start or the scenario's ``start_year``): each milestone's
    date."""
    out = {}
    if dated_stage:
        out["cal_start"] = _histogram(start_year, finite, CALENDAR)
        if declared.dated_event is not None:
            explosion = start_year + outcomes[declared.dated_event]
            out["cal_explosion"] = _histogram(explosion, finite, CALENDAR)
        if declared.grid is not None:
            levels = start_year[:, None] + outcomes["time_to_progress_years"]
            out["cal_milestones"] = _histogram(levels, finite, CALENDAR)
    if declared.milestones is not None:
        dates = start_year[:, None] + outcomes["milestone_years"]
        out["cal_milestone_dates"] = _histogram(dates, finite, CALENDAR)
    return out


def zeros_like_stats(stats: Mapping[str, jax.Array]) -> dict[str, np.ndarray]:
    """Host accumulators (int64) shaped like one chunk's statistics."""
    return {k: np.zeros(np.shape(v), np.int64) for k, v in stats.items()}


def add_stats(total: dict[str, np.ndarray], chunk: Mapping[str, jax.Array | np.ndarray]) -> None:
    """Fold a chunk's counts into the host totals, exactly."""
    for key, value in chunk.items():
        total[key] += np.asarray(value, dtype=np.int64)

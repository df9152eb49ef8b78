"""Streaming accumulators: per-chunk reductions (in JAX) and their exact sums (on the host).

Every accumulator is an integer count, so the totals are the same whatever the chunk size,
the number of devices or the order of shards: probabilities from threshold counts, quantiles
from fixed-bin histograms, first-order sensitivity indices from per-parameter binned counts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import jax
import jax.numpy as jnp
import numpy as np

SENSITIVITY_BINS = 10  # equal-probability bins of each parameter's prior


@dataclasses.dataclass(frozen=True)
class Histogram:
    """Fixed log10 bins; three extra cells count underflow (incl. <= 0), overflow and +inf."""

    log10_low: float
    log10_high: float
    bins: int

    @property
    def width(self) -> float:
        return (self.log10_high - self.log10_low) / self.bins

    @property
    def cells(self) -> int:
        return self.bins + 3

    def cell(self, value: jax.Array) -> jax.Array:
        safe = jnp.where(value > 0, value, 1.0)
        raw = jnp.floor((jnp.log10(safe) - self.log10_low) / self.width)
        index = jnp.clip(raw, -1, self.bins).astype(jnp.int32)
        index = jnp.where(index < 0, self.bins, index)  # underflow cell
        index = jnp.where(raw >= self.bins, self.bins + 1, index)  # overflow cell
        index = jnp.where(value <= 0, self.bins, index)
        return jnp.where(jnp.isposinf(value), self.bins + 2, index)

    def edges(self) -> np.ndarray:
        return 10.0 ** np.linspace(self.log10_low, self.log10_high, self.bins + 1)


# Ranges wide enough for every preset; values outside are counted, not lost.
HISTOGRAMS: dict[str, Histogram] = {
    "fastest_years_to_progress": Histogram(-6.0, 4.0, 1000),
    "peak_speedup": Histogram(-3.0, 30.0, 3300),
    "time_to_progress_years": Histogram(-6.0, 4.0, 1000),
    "max_progress_years": Histogram(-4.0, 4.0, 800),
    "progress_by_horizon_years": Histogram(-4.0, 4.0, 800),
    "time_to_fan_levels_years": Histogram(-6.0, 4.0, 1000),
}


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


def chunk_statistics(
    outcomes: Mapping[str, jax.Array],
    uniforms: jax.Array,
    in_range: jax.Array,
    windows_years: tuple[float, ...],
) -> dict[str, jax.Array]:
    """Reduce one chunk's outcomes to integer counts (inside jit).

    Draws outside the run's range (padding) are ignored; non-finite draws are counted in
    ``non_finite`` and left out of every statistic.
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
    # Sensitivity: counts and event hits per equal-probability bin of each parameter.
    k = uniforms.shape[1]
    if k:
        cells = jnp.clip(jnp.floor(uniforms * SENSITIVITY_BINS), 0, SENSITIVITY_BINS - 1)
        onehot = jax.nn.one_hot(cells.astype(jnp.int32), SENSITIVITY_BINS, dtype=jnp.float32)
        onehot = onehot.reshape(-1, k * SENSITIVITY_BINS) * weight[:, None]
        stats["bin_draws"] = jnp.sum(onehot, axis=0).astype(jnp.int32)
        stats["bin_events"] = (onehot.T @ events).astype(jnp.int32)
    return stats


def zeros_like_stats(stats: Mapping[str, jax.Array]) -> dict[str, np.ndarray]:
    """Host accumulators (int64) shaped like one chunk's statistics."""
    return {k: np.zeros(np.shape(v), np.int64) for k, v in stats.items()}


def add_stats(total: dict[str, np.ndarray], chunk: Mapping[str, jax.Array]) -> None:
    """Fold a chunk's counts into the host totals, exactly."""
    for key, value in chunk.items():
        total[key] += np.asarray(value, dtype=np.int64)

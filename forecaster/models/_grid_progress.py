"""Software progress on a calendar grid, for models whose trajectories are time series (the
AI Futures Model, Epoch's FTM): the fastest time to make Y years of present-day software
progress, which answers the software-intelligence-explosion question, P(>= Y years of
progress within w) = P(fastest < w), as the progress models' paths do (docs/COMPARE.md).

A year of present-day progress is the software progress the model makes in a year at its
present rate (its software level's log growth rate at the present), so Y years is a gain
of Y times that rate in the log of the software level. The level is linear between grid
points (the models' own grid), so the shortest span that gains g is attained where its start
or its end is a grid point (the span is piecewise linear in its start, with breaks there):
both are searched, exactly.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._interface import Histogram, Quantity

#: The per-draw outcome the probability grid counts (``fastest < w``), with its quantiles:
#: 0.001 to 1,000 years, 1% bins.
FASTEST = Quantity(
    "fastest_years_to_progress",
    "fastest time to Y years of present-day software progress",
    "years",
    Histogram(-3.0, 3.0, 1200),
    series="progress",
)


def _monotone(level: Float[Array, " n"]) -> Float[Array, " n"]:
    """The level's running maximum (progress is never undone); a non-finite point (the
    trajectory stopped) holds the level reached before it."""
    finite = jnp.where(jnp.isfinite(level), level, -jnp.inf)
    return jax.lax.cummax(finite)


def fastest_gains(
    times: Float[Array, " n"], level: Float[Array, " n"], gains: Float[Array, " k"]
) -> Float[Array, " k"]:
    """The shortest time in which ``level`` (a log, linear between grid ``times``) gains each
    of ``gains`` (> 0); +inf where it never does within the grid."""
    y = _monotone(level)
    n = y.shape[0]
    span_t = jnp.diff(times)

    def at(index: Array, target: Array) -> Array:
        """The time the level reaches ``target`` in the interval ending at ``index``."""
        j = jnp.clip(index, 1, n - 1)
        y0, y1 = y[j - 1], y[j]
        rise = jnp.where(y1 > y0, y1 - y0, 1.0)
        frac = jnp.clip((target - y0) / rise, 0.0, 1.0)
        return times[j - 1] + frac * span_t[j - 1]

    def one(gain: Array) -> Array:
        # Starts at grid points: the end is the first time the level reaches y_i + g.
        targets = y + gain
        ends = jnp.searchsorted(y, targets, side="left")
        end_times = jnp.where(ends < n, at(ends, targets), jnp.inf)
        from_starts = jnp.min(jnp.where(jnp.isfinite(y), end_times - times, jnp.inf))
        # Ends at grid points: the start is the last time the level was at y_j - g.
        sources = y - gain
        last = jnp.searchsorted(y, sources, side="right") - 1
        start_times = jnp.where(
            last >= n - 1, times[n - 1], at(last + 1, sources)
        )  # the last index at or below the source, then interpolated towards the next
        ok = (last >= 0) & jnp.isfinite(y) & jnp.isfinite(sources)
        from_ends = jnp.min(jnp.where(ok, times - start_times, jnp.inf))
        return jnp.minimum(from_starts, from_ends)

    return jax.vmap(one)(gains)


def present_rate(times: Float[Array, " n"], level: Float[Array, " n"], present: Array) -> Array:
    """The level's growth rate (log units a year) at ``present``: the slope of the grid
    interval holding it."""
    n = times.shape[0]
    j = jnp.clip(jnp.searchsorted(times, present, side="right"), 1, n - 1)
    return (level[j] - level[j - 1]) / (times[j] - times[j - 1])

"""Per-draw outcomes computed from one draw's path (MODEL.md section 5).

Everything here works on a single :class:`~forecaster._integrate.Path` and is vmapped by the
kernel, so no batch ever holds more than a chunk of paths. Progress is reported in years of
pre-automation AI progress: ``doublings / ((1/Ts)/s)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ._integrate import Path

_NEWTON_ITERATIONS = 3


def _reached(path: Path, horizon_years: float) -> jax.Array:
    return path.t <= horizon_years


def doublings_at_time(path: Path, q: jax.Array, smooth: bool) -> jax.Array:
    """Doublings x reached at times ``q`` (any shape), inverting t(x) between nodes.

    With ``smooth``, t(x) is the cubic Hermite interpolant through the nodes with slopes
    dt/dx = 1/v (fourth order, matching RK4), inverted by Newton's method; otherwise linear.
    Beyond the last reached node progress stays at that node.
    """
    n = path.t.shape[0] - 1
    k = jnp.clip(jnp.searchsorted(path.t, q, side="right") - 1, 0, n - 1)
    t0, t1 = path.t[k], path.t[k + 1]
    x0, x1 = path.x[k], path.x[k + 1]
    h = x1 - x0
    finite_next = jnp.isfinite(t1) & (t1 > t0)
    span = jnp.where(finite_next, t1 - t0, 1.0)
    s = jnp.clip((q - t0) / span, 0.0, 1.0)
    if smooth:
        m0 = h / path.rate[k]
        m1 = h / path.rate[k + 1]
        for _ in range(_NEWTON_ITERATIONS):
            s2, s3 = s * s, s * s * s
            value = (
                (2 * s3 - 3 * s2 + 1) * t0
                + (s3 - 2 * s2 + s) * m0
                + (-2 * s3 + 3 * s2) * t1
                + (s3 - s2) * m1
            )
            deriv = (6 * s2 - 6 * s) * (t0 - t1) + (3 * s2 - 4 * s + 1) * m0 + (3 * s2 - 2 * s) * m1
            safe = jnp.where(finite_next & (deriv > 0), deriv, 1.0)
            s = jnp.clip(s - jnp.where(finite_next, (value - q) / safe, 0.0), 0.0, 1.0)
    inside = finite_next & (q >= t0)
    return jnp.where(inside, x0 + s * h, x0)


def time_at_doublings(path: Path, level: jax.Array, smooth: bool) -> jax.Array:
    """Time at which ``level`` doublings are reached: +inf if never.

    Nodes are equally spaced in x. With ``smooth`` the cubic Hermite interpolant gives t
    between nodes; otherwise the node at or above the level counts (whole doublings).
    """
    n = path.t.shape[0] - 1
    h = path.x[1] - path.x[0]
    pos = level / h
    if not smooth:
        j = jnp.ceil(pos).astype(jnp.int32)
        return jnp.where(j <= n, path.t[jnp.clip(j, 0, n)], jnp.inf)
    k = jnp.clip(jnp.floor(pos).astype(jnp.int32), 0, n - 1)
    s = jnp.clip(pos - k, 0.0, 1.0)
    t0, t1 = path.t[k], path.t[k + 1]
    m0, m1 = h / path.rate[k], h / path.rate[k + 1]
    s2, s3 = s * s, s * s * s
    value = (2 * s3 - 3 * s2 + 1) * t0 + (s3 - 2 * s2 + s) * m0 + (-2 * s3 + 3 * s2) * t1 + (
        s3 - s2
    ) * m1
    # At s = 0 exactly the node itself counts (t1 may be inf).
    value = jnp.where(s == 0.0, t0, value)
    return jnp.where((pos <= n) & jnp.isfinite(value), value, jnp.inf)


def max_progress_in_window(
    path: Path, window_years: float, horizon_years: float, smooth: bool
) -> jax.Array:
    """The most doublings achieved in any time window of length ``window_years``.

    Smooth: windows starting or ending at every node (and the one ending at the horizon),
    with the other end interpolated. Whole doublings (Davidson & Houlden): the largest j - i
    with t_j - t_i < w over reached nodes.
    """
    reached = _reached(path, horizon_years)
    if not smooth:
        t = jnp.where(reached, path.t, jnp.inf)
        j = jnp.searchsorted(t, t + window_years, side="left") - 1
        gain = path.x[jnp.clip(j, 0, None)] - path.x
        return jnp.max(jnp.where(reached, gain, 0.0))
    ends = jnp.minimum(path.t + window_years, horizon_years)
    gain_from_node = doublings_at_time(path, ends, smooth) - path.x
    starts = jnp.maximum(path.t - window_years, 0.0)
    gain_to_node = path.x - doublings_at_time(path, starts, smooth)
    horizon_pair = doublings_at_time(
        path, jnp.array([horizon_years, max(horizon_years - window_years, 0.0)]), smooth
    )
    gain = jnp.maximum(jnp.where(reached, gain_from_node, 0.0), jnp.where(reached, gain_to_node, 0.0))
    return jnp.maximum(jnp.max(gain), horizon_pair[0] - horizon_pair[1])


def peak_rate(path: Path, horizon_years: float, smooth: bool) -> jax.Array:
    """The highest growth rate reached [doublings/year].

    Smooth paths: the rate at every reached node. Whole doublings: the rate of every step
    taken (one whose end node was reached).
    """
    reached = _reached(path, horizon_years)
    if smooth:
        return jnp.max(jnp.where(reached, path.rate, 0.0))
    return jnp.max(jnp.where(reached[1:], path.rate[:-1], 0.0))


def has_non_finite(path: Path, horizon_years: float) -> jax.Array:
    """NaN anywhere on the path, or a reached node with a non-finite or negative rate."""
    reached = _reached(path, horizon_years)
    bad_rate = reached & ~(jnp.isfinite(path.rate) & (path.rate >= 0))
    return jnp.any(jnp.isnan(path.t)) | jnp.any(bad_rate)

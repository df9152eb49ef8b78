"""Paths on the doubling clock and the per-draw outcomes computed from one (MODEL.md section 5).

Everything here works on a single :class:`Path` and is vmapped by the
kernel, so no batch ever holds more than a chunk of paths. Nodes are equally spaced in x on
one grid shared by every draw (``spacing`` doublings apart), which turns "the fastest time to
make Y years of progress" into a shifted difference of the node times.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Path:
    """A trajectory on nodes in x (one draw: ``[nodes]``; a batch: ``[n, nodes]``).

    A node that is never reached (the run stopped: past the horizon, at the ceiling, or
    because progress stalled) has ``t = +inf``; stopping is done by masking, never by
    branching, so every draw has the same shape and the models vmap. The first node past the
    horizon stays finite so that the horizon itself can be interpolated.

    Attributes:
        x: doublings at the nodes, increasing [doublings].
        t: time at which each node is reached [years]; +inf if never.
        rate: growth rate at each node [doublings/year]; for the doublings stepper, the
            rate of the step that starts at the node.
    """

    x: Float[Array, "*batch nodes"]
    t: Float[Array, "*batch nodes"]
    rate: Float[Array, "*batch nodes"]


#: Every how many nodes the window search's coarse pass looks (see :func:`window_search`).
COARSE_STRIDE = 8


def largest_true(
    limit: int, holds: Callable[[jax.Array], jax.Array], start: jax.Array | int = 0
) -> jax.Array:
    """The largest m in [start, start + 2^bits) with ``holds(m)``, where bits =
    limit.bit_length(), for a ``holds`` true up to some m and false after (``holds(start)``
    taken as true): bisection on the bits of m - start, one probe a bit, with static shapes
    (vmaps and jits)."""
    m = jnp.asarray(start, jnp.int32)
    for bit in reversed(range(limit.bit_length())):
        probe = m + (1 << bit)
        m = jnp.where(holds(probe), probe, m)
    return m


def fastest_span(ends: jax.Array, starts: jax.Array, m: jax.Array) -> jax.Array:
    """min_i (ends[i + m] - starts[i]): the fastest time to make m steps (``ends`` padded with
    +inf past the path, so a span off its end never counts)."""
    return jnp.min(jax.lax.dynamic_slice(ends, (m,), (starts.shape[0],)) - starts)


def reached(path: Path, horizon_years: float) -> jax.Array:
    """Nodes reached within the horizon."""
    return path.t <= horizon_years


def doublings_at_time(path: Path, q: jax.Array) -> jax.Array:
    """Doublings reached at times ``q`` (any shape): t(x) inverted linearly between nodes.

    Beyond the last node reached, progress stays at that node.
    """
    n = path.t.shape[0] - 1
    # The binary search unrolled: 1.9x faster than JAX's default loop ("scan") for the last
    # window's queries, which beat "compare_all" and "sort" 3-10x (2-core CPU); the same
    # comparisons in the same order, so the same k.
    k = jnp.clip(jnp.searchsorted(path.t, q, side="right", method="scan_unrolled") - 1, 0, n - 1)
    t0, t1 = path.t[k], path.t[k + 1]
    x0, x1 = path.x[k], path.x[k + 1]
    finite_next = jnp.isfinite(t1) & (t1 > t0)
    span = jnp.where(finite_next, t1 - t0, 1.0)
    s = jnp.clip((q - t0) / span, 0.0, 1.0)
    # q at or past a last node that ties its predecessor in t (k is clipped to n - 1, as at
    # the doubling cap of a blow-up): that node is reached too.
    return jnp.where(finite_next & (q >= t0), x0 + s * (x1 - x0), jnp.where(q >= t1, x1, x0))


def _hermite(t0, t1, m0, m1, s):
    """Cubic Hermite interpolant on [0, 1] with end values t0, t1 and end slopes m0, m1.

    Clamped to [t0, t1]: t(x) is increasing, but the cubic overshoots where the slopes differ
    by orders of magnitude across a step (near the ceiling, v falls to 0), which made
    durations negative.
    """
    s2 = s * s
    s3 = s2 * s
    value = (
        (2 * s3 - 3 * s2 + 1) * t0
        + (s3 - 2 * s2 + s) * m0
        + (-2 * s3 + 3 * s2) * t1
        + (s3 - s2) * m1
    )
    return jnp.clip(value, t0, t1)


def time_at_doublings(path: Path, level: jax.Array, spacing: float, smooth: bool) -> jax.Array:
    """Time at which ``level`` doublings are reached: +inf if never.

    Smooth paths: the cubic Hermite interpolant through the nodes with slopes dt/dx = 1/v
    (fourth order, like RK4). Whole doublings: the first node at or above the level.
    """
    n = path.t.shape[0] - 1
    pos = level / spacing
    if not smooth:
        j = jnp.ceil(pos - 1e-6).astype(jnp.int32)
        return jnp.where(j <= n, path.t[jnp.clip(j, 0, n)], jnp.inf)
    k = jnp.clip(jnp.floor(pos).astype(jnp.int32), 0, n - 1)
    s = jnp.clip(pos - k, 0.0, 1.0)
    m0, m1 = spacing / path.rate[k], spacing / path.rate[k + 1]
    value = _hermite(path.t[k], path.t[k + 1], m0, m1, s)
    value = jnp.where(s == 0.0, path.t[k], value)  # at a node exactly (t[k + 1] may be inf)
    return jnp.where((pos <= n) & jnp.isfinite(value), value, jnp.inf)


def _spans(
    path: Path, gain: float | jax.Array, spacing: float, horizon_years: float, smooth: bool
) -> tuple[jax.Array, jax.Array]:
    """Start and end times of gaining ``gain`` doublings from every node (+inf if never).

    Starts are the nodes reached within the horizon. Whole doublings (Davidson & Houlden):
    the end is node i + floor(gain). Smooth paths: the end is interpolated with the cubic
    Hermite of :func:`time_at_doublings`. A Python-number ``gain`` is a static shift
    (slices, no gather); an array ``gain`` may differ per draw.
    """
    n = path.t.shape[0] - 1
    t = jnp.where(reached(path, horizon_years), path.t, jnp.inf)
    if isinstance(gain, int | float):
        pos = gain / spacing
        m = int(math.floor(pos + 1e-9))
        if m > n or (smooth and m == n and pos > n):
            never = jnp.full((1,), jnp.inf, t.dtype)
            return never, never
        if not smooth or pos - m < 1e-9:
            return t[: n + 1 - m], t[m:]
        s = pos - m
        slope = spacing / path.rate
        # The end is interpolated on the unmasked path, then must lie within the horizon: a
        # level reached just before the horizon, between a node within it and the first node
        # past it, counts (as it does for time_at_doublings).
        full = path.t
        # The Hermite weights are static: one fused multiply-add per start node.
        s2, s3 = s * s, s * s * s
        ends = (
            (2 * s3 - 3 * s2 + 1) * full[m:n]
            + (s3 - 2 * s2 + s) * slope[m:n]
            + (-2 * s3 + 3 * s2) * full[m + 1 :]
            + (s3 - s2) * slope[m + 1 :]
        )
        ends = jnp.clip(ends, full[m:n], full[m + 1 :])  # as in _hermite: no overshoot
        return t[: n - m], jnp.where(ends <= horizon_years, ends, jnp.inf)
    pos = gain / spacing
    m = jnp.floor(pos + 1e-6).astype(jnp.int32)
    i = jnp.arange(n + 1)
    j = jnp.clip(i + m, 0, n)
    ends = jnp.where(i + m <= n, t[j], jnp.inf)
    if smooth:
        s = pos - m
        j1 = jnp.clip(j + 1, 0, n)
        full = path.t  # interpolate on the unmasked path, as in the static branch above
        interpolated = _hermite(
            full[j], full[j1], spacing / path.rate[j], spacing / path.rate[j1], s
        )
        interpolated = jnp.where(interpolated <= horizon_years, interpolated, jnp.inf)
        ok = (i + m + 1 <= n) & jnp.isfinite(full[j1])
        ends = jnp.where(s < 1e-6, ends, jnp.where(ok, interpolated, jnp.inf))
    return t, ends


def fastest_time_to_gain(
    path: Path, gain: float | jax.Array, spacing: float, horizon_years: float, smooth: bool
) -> jax.Array:
    """The shortest time in which ``gain`` doublings were made (+inf if never).

    P(>= Y years of progress within w) is P(fastest time to make Y years < w).
    """
    return _min_span(*_spans(path, gain, spacing, horizon_years, smooth))


def first_completion(
    path: Path,
    gain: float | jax.Array,
    window_years: float,
    spacing: float,
    horizon_years: float,
    smooth: bool,
) -> jax.Array:
    """When ``gain`` doublings within ``window_years`` is first achieved: the earliest end of
    such a window [years since automation], +inf if never."""
    starts, ends = _spans(path, gain, spacing, horizon_years, smooth)
    ok = jnp.isfinite(starts) & jnp.isfinite(ends) & (ends - starts < window_years)
    return jnp.min(jnp.where(ok, ends, jnp.inf))


def _min_span(starts: jax.Array, ends: jax.Array) -> jax.Array:
    """min(ends - starts) over pairs with both ends reached; +inf if there is none."""
    ok = jnp.isfinite(starts) & jnp.isfinite(ends)
    return jnp.min(jnp.where(ok, ends - starts, jnp.inf))


def max_progress_in_windows(
    path: Path, windows_years: tuple[float, ...], spacing: float, horizon_years: float
) -> jax.Array:
    """The most doublings made in any window of each length in ``windows_years`` [W].

    Windows start at nodes reached within the horizon (the far end inverted linearly), plus
    the window that ends where the path ends (its last node reached, or the horizon).
    """
    return window_search(path, windows_years, spacing, horizon_years)[0]


def window_search(
    path: Path, windows_years: tuple[float, ...], spacing: float, horizon_years: float
) -> tuple[jax.Array, jax.Array]:
    """For each window length w [W]: the most doublings made in any window of length w
    (:func:`max_progress_in_windows`), and the most whole steps made in less than w (m with
    min_i (t[i + m] - t[i]) < w: the strict rule, starts and masking of
    :func:`fastest_time_to_gain`, so P(m >= k) is exactly P(fastest time to k doublings < w)
    for every k at once), from one search.

    Exact over all start nodes, without a search per start: the fastest time to make m
    whole steps, F(m) = min_i (t[i + m] - t[i]), increases with m, so the most whole steps
    within w (F(m) <= w) is found by bisection on m, each probe one shifted copy of the path;
    the last, partial step is then interpolated from every start at once. The strict count
    (F(m) < w) is the same m unless F(m) == w exactly: it steps down from there while a tie
    holds (a loop that runs no step in a batch without a tie).

    The bisection runs on every ``COARSE_STRIDE``-th node first (s = the stride): with G(q)
    the fastest q coarse steps, F(s q) <= G(q) (a coarse span is a span) and
    F(m) >= G(floor(m / s) - 1) (a span of m steps holds a coarse span of that many; t never
    decreases, and an unreached node makes both sides +inf), so the coarse q* with
    G(q*) <= w < G(q* + 1) brackets m in [s q*, s q* + 2s): log2(2s) probes of the whole
    path instead of log2(nodes). Both bounds hold for the rounded differences too (rounding
    is monotone), so m is the plain bisection's, bit for bit.
    """
    t = path.t
    if not windows_years:
        return jnp.zeros((0,), t.dtype), jnp.zeros((0,), t.dtype)
    n = t.shape[0]
    ok = reached(path, horizon_years)
    starts = jnp.where(ok, t, -jnp.inf)  # an unreached start makes every span +inf
    never = jnp.full((n + 1,), jnp.inf, t.dtype)
    ends_within = jnp.concatenate([jnp.where(ok, t, jnp.inf), never])
    ends_all = jnp.concatenate([t, never])

    stride = COARSE_STRIDE
    coarse_starts = starts[::stride]
    coarse = coarse_starts.shape[0]
    coarse_ends = jnp.concatenate([ends_within[:n:stride], never[: coarse + 1]])

    def fastest(m: jax.Array) -> jax.Array:
        return fastest_span(ends_within, starts, m)

    def one(window: float) -> tuple[jax.Array, jax.Array]:
        w = jnp.asarray(window, t.dtype)
        q = largest_true(
            coarse - 1, lambda probe: fastest_span(coarse_ends, coarse_starts, probe) <= w
        )
        m = largest_true(2 * stride - 1, lambda probe: fastest(probe) <= w, start=q * stride)
        # End nodes of m steps and the node after (unmasked: a step may cross the horizon).
        pair = jax.lax.dynamic_slice(ends_all, (m,), (n + 1,))
        end, following = pair[:-1], pair[1:]
        stepping = jnp.isfinite(following) & (following > end)
        part = (jnp.minimum(t + w, horizon_years) - end) / jnp.where(stepping, following - end, 1)
        part = jnp.where(stepping, jnp.clip(part, 0.0, 1.0), 0.0)
        within = ok & (end <= horizon_years) & (end - t <= w)
        gain = jnp.max(jnp.where(within, m.astype(t.dtype) + part, 0.0)) * spacing
        strict = jax.lax.while_loop(lambda k: (k > 0) & ~(fastest(k) < w), lambda k: k - 1, m)
        return gain, strict.astype(t.dtype)

    # A few windows, static: unrolled (faster than a loop on a CPU).
    gains, whole = zip(*(one(window) for window in windows_years), strict=True)
    most = jnp.maximum(jnp.stack(gains), last_window_progress(path, windows_years, horizon_years))
    return most, jnp.stack(whole)


def last_window_progress(
    path: Path, windows_years: tuple[float, ...], horizon_years: float
) -> jax.Array:
    """Doublings made in the window of each length that ends where the path ends (its last
    node reached, or the horizon) [W]. On a path whose rate never falls (a ladder with rising
    speed-ups) this is the most made in any window: a later window is never slower."""
    t = path.t
    ok = reached(path, horizon_years)
    w = jnp.asarray(windows_years, t.dtype)
    continuing = jnp.any(~ok & jnp.isfinite(t))  # the path runs past the horizon
    t_end = jnp.where(continuing, horizon_years, jnp.max(jnp.where(ok, t, 0.0)))
    last = doublings_at_time(path, jnp.stack([jnp.full_like(w, t_end), jnp.maximum(t_end - w, 0)]))
    return last[0] - last[1]


def peak_rate(path: Path, horizon_years: float, smooth: bool) -> jax.Array:
    """The highest growth rate reached [doublings/year].

    Smooth paths: the rate at every reached node. Whole doublings: the rate of every step
    taken (one whose end node was reached).
    """
    ok = reached(path, horizon_years)
    if smooth:
        return jnp.max(jnp.where(ok, path.rate, 0.0))
    return jnp.max(jnp.where(ok[1:], path.rate[:-1], 0.0))


def has_non_finite(path: Path, horizon_years: float) -> jax.Array:
    """NaN anywhere on the path, or a reached node with a non-finite or negative rate."""
    ok = reached(path, horizon_years)
    bad_rate = ok & ~(jnp.isfinite(path.rate) & (path.rate >= 0))
    return jnp.any(jnp.isnan(path.t)) | jnp.any(bad_rate)

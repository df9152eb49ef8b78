"""Coding labour in the AI Futures Model: the automation schedule over coding tasks and the
optimal CES allocation of humans and AI across them.

Tasks are indexed by i in [0, 1]; task i is automatable once progress (orders of magnitude
of effective compute) passes its threshold, linear in i between the schedule's two anchors
(present progress at the present automation fraction, progress at AC at full automation).
AI efficiency on an automatable task grows with effective compute E as E^theta, and
humans and compute are allocated across tasks to maximise the CES aggregate (substitution
rho < 0). Their code evaluates the solution on a grid of M = 4096 tasks (up to
1 - tail_eps, where the cap on serial coding labour puts the last task), accumulating the
integral B(i) of the AI-side weights by the trapezoid rule and interpolating linearly
between grid points. Under the linear schedule every grid value has a closed form (the
trapezoid sum of a geometric sequence), so each one is computed where it is needed: the
same numbers as their grid, without holding it.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

Scalar = Float[Array, ""]

LN10 = float(np.log(10.0))
GRID = 4096  # their optimal_ces_grid_size
ETA_INIT = 0.05  # their optimal_ces_eta_init (FTE per GPU at a task's threshold)
TAIL_BOUNDS = (1e-20, 0.1)  # their clip of the frontier's tail epsilon
CAP_BOUNDS = (1.0, 1e30)  # their clip of the frontier cap
CLIP_A = 1e-9  # their AUTOMATION_FRACTION_CLIP_MIN
SEARCH_STEPS = 12  # 2^12 = 4096: a bisection over the grid's intervals


class Frontier(NamedTuple):
    """One schedule's frontier: task i has threshold p_zero + i (p_one - p_zero) OOMs."""

    p_zero: Scalar
    p_one: Scalar
    step: Scalar  # the grid's spacing in i
    top: Scalar  # the last task of the grid, 1 - tail_eps (exactly: np.linspace's endpoint)
    rho: Scalar
    theta: Scalar
    log_f: Float[Array, " tasks"] | None = None  # ln F at every grid node, where tabulated


def tabulated(f: Frontier) -> Frontier:
    """The frontier with ln F at all its grid nodes: a trajectory inverts ln F (a
    bisection over the grid) at every evaluation of its right-hand side, and a lookup is
    far cheaper than the nodes' logarithms (the same numbers)."""
    k = jnp.arange(GRID, dtype=f.step.dtype)
    return f._replace(log_f=nodes(f, k)["log_f"])


def tail_epsilon(max_serial: Scalar, parallel_penalty: Scalar, rho: Scalar) -> Scalar:
    """Where the task grid stops short of 1: their cap (max serial multiplier^(1/penalty))
    to the power rho/(1 - rho), clipped to [1e-20, 0.1]."""
    cap = jnp.clip(max_serial ** (1.0 / parallel_penalty), *CAP_BOUNDS)
    return jnp.clip(cap ** (rho / (1.0 - rho)), *TAIL_BOUNDS)


def linear_schedule(p1: Scalar, a1: Scalar, p2: Scalar, a2: Scalar | float):
    """(intercept, slope) of the automation fraction in progress through two anchors."""
    slope = (a2 - a1) / (p2 - p1)
    return a1 - slope * p1, slope


def automation_fraction(
    progress: Array | float, p1: Scalar, a1: Scalar, p2: Scalar, a2: Scalar | float
) -> Array:
    intercept, slope = linear_schedule(p1, a1, p2, a2)
    return jnp.clip(intercept + slope * progress, 0.0, 1.0)


def frontier(p1, a1, p2, a2, rho, theta, tail_eps) -> Frontier:
    """The frontier of the linear schedule through (p1, a1) and (p2, a2) (p1 < p2)."""
    _, slope = linear_schedule(p1, a1, p2, a2)
    flat = jnp.abs(slope) < 1e-12
    inverse = 1.0 / jnp.where(flat, 1.0, slope)
    p_zero = jnp.where(flat, p1, p1 - inverse * a1)
    p_one = jnp.where(flat, p2, p2 + inverse * (1.0 - a2))
    top = jnp.maximum(1e-6, 1.0 - tail_eps)
    return Frontier(p_zero, p_one, top / (GRID - 1), top, rho, theta)


def _log_expm1_ratio(k: Array, c: Scalar) -> Array:
    """ln((e^(k c) - 1) / (e^c - 1)) for k >= 0 (ln k at c = 0)."""
    safe_c = jnp.where(c == 0, 1.0, c)
    kc = k * safe_c

    def log_abs_expm1(x: Array) -> Array:  # ln|e^x - 1|, stable for large |x|
        return jnp.where(x > 0, x + jnp.log(-jnp.expm1(-x)), jnp.log(-jnp.expm1(x)))

    general = log_abs_expm1(kc) - log_abs_expm1(safe_c)
    return jnp.where(c == 0, jnp.log(k), general)


def nodes(f: Frontier, k: Array) -> dict[str, Array]:
    """Their grid's values at task index k (integers, as floats): i, ln E_aut, ln B, ln Q,
    ln R, ln F."""
    i = jnp.where(k == GRID - 1, f.top, k * f.step)  # np.linspace: arange * step, endpoint
    log_e = (i * f.p_one + (1.0 - i) * f.p_zero) * LN10
    alpha = f.rho / (1.0 - f.rho)
    beta = alpha * f.theta
    gamma = f.theta / (1.0 - f.rho)
    log_w0 = -beta * f.p_zero * LN10
    c = -beta * (f.p_one - f.p_zero) * LN10 * f.step  # ln w grows by c a grid step
    log_b = (jnp.log(f.step) + np.log(0.5) + log_w0 + jnp.logaddexp(0.0, c)
             + _log_expm1_ratio(k, c))  # fmt: skip
    # ln(1 - i + 1e-18), written so XLA cannot fold it to ln((1 + 1e-18) - i) = ln 0 at
    # the last task (1 - tail_eps rounds to 1 when tail_eps < 1.1e-16)
    log_one_minus = jnp.logaddexp(jnp.log(1.0 - i), np.log(1e-18))
    log_q = (1.0 - f.rho) * log_one_minus
    return {
        "i": i,
        "log_e": log_e,
        "log_b": log_b,
        "log_q": log_q,
        "log_r": log_q - f.theta * log_e,
        "log_f": log_b + gamma * log_e - log_one_minus,
    }


def _cell(f: Frontier, x: Array) -> Array:
    """The grid interval holding task index x (their searchsorted(right) - 1, clipped)."""
    return jnp.clip(jnp.floor(x / f.step + 1e-7), 0, GRID - 2)


def _interp(f: Frontier, key: str, x: Array) -> Array:
    """Their ``_interp``: linear between the grid values around x."""
    j = _cell(f, x)
    lo, hi = nodes(f, j), nodes(f, j + 1)
    t = (x - lo["i"]) / (hi["i"] - lo["i"])
    return (1.0 - t) * lo[key] + t * hi[key]


def _invert_f(f: Frontier, y: Array) -> Array:
    """Their ``_invert_monotone`` on ln F: the task index where ln F reaches y."""

    def log_f(k: Array) -> Array:
        if f.log_f is None:
            return nodes(f, k)["log_f"]
        return f.log_f[k.astype(jnp.int32)]

    def halve(bounds: tuple[Array, Array], _: None) -> tuple[tuple[Array, Array], None]:
        lo, hi = bounds
        mid = jnp.floor((lo + hi) / 2)
        below = log_f(mid) < y
        moving = hi - lo > 1
        lo = jnp.where(moving & below, mid, lo)
        hi = jnp.where(moving & ~below, mid, hi)
        return (lo, hi), None

    top = jnp.asarray(GRID - 1, y.dtype)
    (lo, hi), _ = jax.lax.scan(halve, (jnp.zeros_like(y), top + jnp.zeros_like(y)), None,
                               length=SEARCH_STEPS)  # fmt: skip
    a, b = nodes(f, lo), nodes(f, hi)
    t = jnp.clip((y - a["log_f"]) / (b["log_f"] - a["log_f"]), 0.0, 1.0)
    inside = (1.0 - t) * a["i"] + t * b["i"]
    inside = jnp.where(jnp.isfinite(a["log_f"]), inside, b["i"])  # node 0 holds -inf
    last = nodes(f, top)
    return jnp.where(y >= last["log_f"], last["i"], inside)


def coding_labor(f: Frontier, humans: Array, compute: Array, log_e: Array) -> Array:
    """Coding labour (human-equivalents, before the parallel penalty) with ``humans`` and
    inference ``compute`` at effective compute ln E = ``log_e``: their
    ``coding_labor_optimal_ces``."""
    first = nodes(f, jnp.zeros_like(log_e))
    j = _cell(f, (log_e / LN10 - f.p_zero) / (f.p_one - f.p_zero))
    lo, hi = nodes(f, j), nodes(f, j + 1)
    t_e = jnp.clip((log_e - lo["log_e"]) / (hi["log_e"] - lo["log_e"]), 0.0, 1.0)
    i_e = (1.0 - t_e) * lo["i"] + t_e * hi["i"]
    log_s = jnp.log(jnp.maximum(compute / jnp.maximum(humans, 1e-18) * ETA_INIT, 1e-300))
    log_s = log_s + f.theta * log_e
    interior = log_s <= _interp(f, "log_f", i_e)
    i_c = jnp.where(interior, _invert_f(f, log_s), i_e)
    log_human = _interp(f, "log_q", i_c)
    log_comp = jnp.where(
        interior,
        log_s + _interp(f, "log_r", i_c),
        f.rho * log_s + (1.0 - f.rho) * _interp(f, "log_b", i_c),
    )
    log_labor = jnp.log(humans) + jnp.logaddexp(log_human, log_comp) / f.rho
    below_grid = log_e < first["log_e"]  # no task automatable: humans only
    return jnp.where(below_grid, humans, jnp.exp(log_labor))


def simple_coding_labor(automation: Array, compute: Array, humans: Array, rho: Scalar) -> Array:
    """Their simple CES of AI and human labour at automation fraction A (used for the
    initial research stock): (A^(1-rho) C^rho + (1-A)^(1-rho) H^rho)^(1/rho)."""
    a = jnp.clip(automation, CLIP_A, 1.0 - CLIP_A)
    total = a ** (1.0 - rho) * compute**rho + (1.0 - a) ** (1.0 - rho) * humans**rho
    return jnp.where(total > 0, total ** (1.0 / rho), jnp.minimum(compute / a, humans / (1 - a)))

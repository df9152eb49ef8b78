"""Coding labour in the AI Futures Model: the automation schedule over coding tasks and the
optimal CES allocation of humans and AI across them.

Tasks are indexed by i in [0, 1]; task i is automatable once progress (orders of magnitude
of effective compute) passes its threshold, given by the automation schedule through its two
anchors (present progress at the present automation fraction, progress at AC at full
automation): linear in i (their Monte Carlo's), or logistic (their site's default: the
automation fraction L / (1 + e^(-k (P - x0))) with its asymptote L above 1).
AI efficiency on an automatable task grows with effective compute E as E^theta, and
humans and compute are allocated across tasks to maximise the CES aggregate (substitution
rho < 0). Their code evaluates the solution on a grid of M = 4096 tasks (up to
1 - tail_eps, where the cap on serial coding labour puts the last task), accumulating the
integral B(i) of the AI-side weights by the trapezoid rule and interpolating linearly
between grid points. Under the linear schedule every grid value has a closed form (the
trapezoid sum of a geometric sequence), so each one is computed where it is needed: the
same numbers as their grid, without holding it. Under the logistic schedule the thresholds,
the trapezoid sums and ln F are tables per draw, built as their precompute builds them.
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
BLOCK = 64  # the coarse table's spacing (a power of 2)
ETA_INIT = 0.05  # their optimal_ces_eta_init (FTE per GPU at a task's threshold)
TAIL_BOUNDS = (1e-20, 0.1)  # their clip of the frontier's tail epsilon
CAP_BOUNDS = (1.0, 1e30)  # their clip of the frontier cap
CLIP_A = 1e-9  # their AUTOMATION_FRACTION_CLIP_MIN
EXPONENT_CLAMP = 100.0  # their SIGMOID_EXPONENT_CLAMP
RESOLUTION = 0.05  # the most rounding error allowed in theta ln E (see ``resolvable``)


class Frontier(NamedTuple):
    """One schedule's frontier. Linear: task i has threshold p_zero + i (p_one - p_zero)
    OOMs, every node's value a closed form. Logistic: ``log_e`` and ``log_b`` tabulate the
    thresholds and trapezoid sums at every node (p_zero and p_one then the ends', ``c`` and
    ``log_b0`` unused)."""

    p_zero: Scalar
    p_one: Scalar
    step: Scalar  # the grid's spacing in i
    top: Scalar  # the last task of the grid, 1 - tail_eps (exactly: np.linspace's endpoint)
    rho: Scalar
    theta: Scalar
    c: Scalar  # ln w grows by c a grid step
    log_b0: Scalar  # ln B(k) = log_b0 + ln|e^(k c) - 1| (+ ln k, not ln|...|, at c = 0)
    log_f: Float[Array, " tasks"] | None = None  # ln F at every grid node, where tabulated
    log_f_coarse: Float[Array, " blocks"] | None = None  # ln F at every BLOCK-th node
    row: Array | None = None  # where set, the tables are many draws' and this draw's is row
    log_e: Float[Array, " tasks"] | None = None  # ln E_aut at every node (logistic)
    log_e_coarse: Float[Array, " blocks"] | None = None  # at every BLOCK-th node
    log_b: Float[Array, " tasks"] | None = None  # ln B at every node (logistic)


#: The frontier's per-draw tables (a block's lanes leave them out and read their draw's row).
TABLES = ("log_f", "log_f_coarse", "log_e", "log_e_coarse", "log_b")


def tabulated(f: Frontier) -> Frontier:
    """The frontier with ln F at all its grid nodes: a trajectory inverts ln F (a
    bisection over the grid) at every evaluation of its right-hand side, and a lookup is
    far cheaper than the nodes' logarithms (the same numbers)."""
    k = jnp.arange(GRID, dtype=f.step.dtype)
    log_f = nodes(f, k)["log_f"]
    return f._replace(log_f=log_f, log_f_coarse=log_f[::BLOCK])


def resolvable(f: Frontier) -> Array:
    """Whether float64 resolves this frontier's coding labour: its logarithms hold terms
    theta ln E that cancel one another (ln S against ln F and ln R), each rounded to about
    eps theta |ln E|. A draw with a tiny parallel penalty has a huge theta (the efficiency
    slope to the power 0.5 / penalty: 1e15 to 1e42 at penalties under 0.03, about 1 draw in
    10,000 of their prior), and its coding labour is then rounding noise, jumping by
    factors of e^16 and more between neighbouring values of progress (their code's too: the
    same logarithms), so its trajectory chatters and often never finishes. Such a draw
    fails (it is counted, never dropped) where that rounding, at the schedule's ends,
    passes ``RESOLUTION``. Of 196,608 draws of their prior, 19 fail here; every draw whose
    labour jumped by more than 1e-4 in ln under a relative change of 1e-13 in ln E (along
    its schedule, in 2030) is among them, and none kept jumps by more than 4e-5 (their
    published draw 776, at 0.013, matches their code)."""
    eps = jnp.finfo(f.theta.dtype).eps
    ends = jnp.maximum(jnp.abs(f.p_zero), jnp.abs(f.p_one)) * LN10  # ln E is monotone in i
    return eps * jnp.abs(f.theta) * ends <= RESOLUTION


def tail_epsilon(max_serial: Scalar, parallel_penalty: Scalar, rho: Scalar) -> Scalar:
    """Where the task grid stops short of 1: their cap (max serial multiplier^(1/penalty))
    to the power rho/(1 - rho), clipped to [1e-20, 0.1]."""
    cap = jnp.clip(max_serial ** (1.0 / parallel_penalty), *CAP_BOUNDS)
    return jnp.clip(cap ** (rho / (1.0 - rho)), *TAIL_BOUNDS)


def linear_schedule(p1: Scalar, a1: Scalar, p2: Scalar, a2: Scalar | float):
    """(intercept, slope) of the automation fraction in progress through two anchors."""
    slope = (a2 - a1) / (p2 - p1)
    return a1 - slope * p1, slope


def logistic_schedule(p1: Scalar, a1: Scalar, p2: Scalar, a2: Scalar | float,
                      asymptote: Scalar) -> tuple[Array, Array, Array]:  # fmt: skip
    """(k, x0, valid) of their logistic L / (1 + e^(-k (P - x0))) through two anchors; not
    valid where their code asserts (L not above both fractions, k within 1e-12 of 0)."""
    r1, r2 = asymptote / a1 - 1.0, asymptote / a2 - 1.0
    valid = (asymptote > a1) & (asymptote > a2) & (r1 > 0) & (r2 > 0) & (p2 != p1)
    k = jnp.log(jnp.where(valid, r1 / r2, 2.0)) / jnp.where(p2 != p1, p2 - p1, 1.0)
    valid = valid & (jnp.abs(k) > 1e-12)
    safe_k = jnp.where(valid, k, 1.0)
    return safe_k, p1 + jnp.log(jnp.where(valid, r1, 1.0)) / safe_k, valid


def automation_fraction(
    progress: Array | float,
    p1: Scalar,
    a1: Scalar,
    p2: Scalar,
    a2: Scalar | float,
    asymptote: Scalar | None = None,
) -> Array:
    """The automation fraction at ``progress``: the linear schedule, or with ``asymptote``
    their logistic one (its exponent clamped to +-100, as theirs)."""
    if asymptote is None:
        intercept, slope = linear_schedule(p1, a1, p2, a2)
        return jnp.clip(intercept + slope * progress, 0.0, 1.0)
    k, x0, valid = logistic_schedule(p1, a1, p2, a2, asymptote)
    exponent = jnp.clip(-k * (progress - x0), -EXPONENT_CLAMP, EXPONENT_CLAMP)
    return jnp.where(valid, jnp.clip(asymptote / (1.0 + jnp.exp(exponent)), 0.0, 1.0), jnp.nan)


def frontier(p1, a1, p2, a2, rho, theta, tail_eps) -> Frontier:
    """The frontier of the linear schedule through (p1, a1) and (p2, a2) (p1 < p2)."""
    _, slope = linear_schedule(p1, a1, p2, a2)
    flat = jnp.abs(slope) < 1e-12
    inverse = 1.0 / jnp.where(flat, 1.0, slope)
    p_zero = jnp.where(flat, p1, p1 - inverse * a1)
    p_one = jnp.where(flat, p2, p2 + inverse * (1.0 - a2))
    top = jnp.maximum(1e-6, 1.0 - tail_eps)
    step = top / (GRID - 1)
    # The trapezoid sums of the AI-side weights w_m = w0 e^(m c) (w0 = E_aut(0)^-beta,
    # beta = theta rho / (1 - rho)): B(k) = step/2 w0 (1 + e^c) (e^(k c) - 1) / (e^c - 1).
    beta = rho / (1.0 - rho) * theta
    c = -beta * (p_one - p_zero) * LN10 * step
    safe_c = jnp.where(c == 0, 1.0, c)
    log_b0 = (jnp.log(step) + np.log(0.5) - beta * p_zero * LN10 + jnp.logaddexp(0.0, c)
              - jnp.where(c == 0, 0.0, _log_abs_expm1(safe_c)))  # fmt: skip
    return Frontier(p_zero, p_one, step, top, rho, theta, c, log_b0)


def logistic_frontier(p1, a1, p2, a2, asymptote, rho, theta, tail_eps) -> Frontier:
    """The frontier of their logistic schedule through (p1, a1) and (p2, a2): their
    ``_precompute_frontier`` on its grid of tasks (each task's threshold from the inverse
    logistic, its index clipped to [1e-9, L - 1e-9]; thresholds and ln F made monotone by a
    running maximum; B accumulated in logs, trapezoid by trapezoid). NaN where their
    schedule asserts."""
    k, x0, valid = logistic_schedule(p1, a1, p2, a2, asymptote)
    top = jnp.maximum(1e-6, 1.0 - tail_eps)
    step = top / (GRID - 1)
    nodes_i = jnp.where(jnp.arange(GRID) == GRID - 1, top, jnp.arange(GRID) * step)
    index = jnp.clip(nodes_i, 1e-9, asymptote - 1e-9)
    threshold = x0 - jnp.log(asymptote / index - 1.0) / k
    log_e = jax.lax.cummax(threshold) * LN10
    log_e = jnp.where(valid, log_e, jnp.nan)
    beta = rho / (1.0 - rho) * theta
    log_w = -beta * log_e
    increments = jnp.log(step) + np.log(0.5) + jnp.logaddexp(log_w[:-1], log_w[1:])
    neg_inf = jnp.full((1,), -jnp.inf, log_e.dtype)
    log_b = jnp.concatenate([neg_inf, cumulative_logsumexp(increments)])
    gamma = theta / (1.0 - rho)
    log_f = jax.lax.cummax(log_b + gamma * log_e - _log_one_minus(nodes_i))
    return Frontier(log_e[0] / LN10, log_e[-1] / LN10, step, top, rho, theta,
                    jnp.zeros_like(step), jnp.zeros_like(step), log_f=log_f,
                    log_f_coarse=log_f[::BLOCK], log_e=log_e, log_e_coarse=log_e[::BLOCK],
                    log_b=log_b)  # fmt: skip


def cumulative_logsumexp(x: Float[Array, " n"], width: int = 16) -> Float[Array, " n"]:
    """ln of the running sums of e^x, for a monotone x (the trapezoid increments): the
    running sums of e^(x - m) inside blocks of ``width`` (m the block's largest), carried
    across blocks in logs. It is ``jax.lax.cumlogsumexp`` to rounding wherever x moves by
    less than 700 inside a block, and 5 times faster on a CPU (whose cumlogsumexp is a
    scan of log-add-exps). Where x rises by more than 700 inside a block the smallest
    running sums there underflow to -inf, as e^x itself would beside the block's largest."""
    n = x.shape[0]
    padded = jnp.concatenate([x, jnp.full((-n % width,), -jnp.inf, x.dtype)])
    blocks = padded.reshape(-1, width)
    top = jnp.max(blocks, axis=1, keepdims=True)
    safe = jnp.where(jnp.isfinite(top), top, 0.0)
    local = safe + jnp.log(jnp.cumsum(jnp.exp(blocks - safe), axis=1))
    before = jax.lax.cumlogsumexp(local[:, -1])  # the sums up to each block's end
    carried = jnp.concatenate([jnp.full((1,), -jnp.inf, x.dtype), before[:-1]])
    return jnp.logaddexp(carried[:, None], local).reshape(-1)[:n]


def schedule_frontier(p1, a1, p2, a2, rho, theta, tail_eps, asymptote=None) -> Frontier:
    """The frontier of the linear schedule (closed forms), or with ``asymptote`` of the
    logistic one (tables)."""
    if asymptote is None:
        return frontier(p1, a1, p2, a2, rho, theta, tail_eps)
    return logistic_frontier(p1, a1, p2, a2, asymptote, rho, theta, tail_eps)


def _log_abs_expm1(x: Array) -> Array:
    """ln|e^x - 1| = max(x, 0) + ln(1 - e^-|x|), stable for large |x|."""
    return jnp.maximum(x, 0.0) + jnp.log(-jnp.expm1(-jnp.abs(x)))


def nodes(f: Frontier, k: Array) -> dict[str, Array]:
    """Their grid's values at task index k (integers, as floats): i, ln E_aut, ln B, ln Q,
    ln R, ln F."""
    i = jnp.where(k == GRID - 1, f.top, k * f.step)  # np.linspace: arange * step, endpoint
    gamma = f.theta / (1.0 - f.rho)
    if f.log_e is None or f.log_b is None:  # linear: closed forms
        log_e = (i * f.p_one + (1.0 - i) * f.p_zero) * LN10
        safe_c = jnp.where(f.c == 0, 1.0, f.c)
        log_b = f.log_b0 + jnp.where(f.c == 0, jnp.log(k), _log_abs_expm1(k * safe_c))
    else:
        log_e, log_b = _lookup(f, f.log_e, k), _lookup(f, f.log_b, k)
    log_one_minus = _log_one_minus(i)
    log_q = (1.0 - f.rho) * log_one_minus
    return {
        "i": i,
        "log_e": log_e,
        "log_b": log_b,
        "log_q": log_q,
        "log_r": log_q - f.theta * log_e,
        "log_f": log_b + gamma * log_e - log_one_minus,
    }


def _log_one_minus(i: Array) -> Array:
    """Their ln(1 - i + 1e-18), as ln u + ln(1 + 1e-18/u), u = 1 - i (at least 1e-300):
    written so XLA cannot fold it to ln((1 + 1e-18) - i) = ln 0 at the last task (1 -
    tail_eps rounds to 1 when tail_eps < 1.1e-16)."""
    u = jnp.maximum(1.0 - i, 1e-300)
    return jnp.log(u) + jnp.log1p(1e-18 / u)


def _cell(f: Frontier, log_e: Array) -> Array:
    """The grid interval holding the task whose threshold is ln E = ``log_e`` (their
    searchsorted(right) - 1 on the thresholds, clipped): from the linear schedule's inverse,
    or a search of the logistic's table."""
    if f.log_e is None:
        x = (log_e / LN10 - f.p_zero) / (f.p_one - f.p_zero)
        return jnp.clip(jnp.floor(x / f.step + 1e-7), 0, GRID - 2)
    return jnp.minimum(_table_search(f, f.log_e, f.log_e_coarse, log_e, jnp.less_equal),
                       GRID - 2)  # fmt: skip


def _log_f(f: Frontier, k: Array) -> Array:
    """ln F at grid node k: from the table where there is one."""
    if f.log_f is None:
        return nodes(f, k)["log_f"]
    return _lookup(f, f.log_f, k)


def _lookup(f: Frontier, table: Array, k: Array) -> Array:
    k = k.astype(jnp.int32)
    return table[k] if f.row is None else table[f.row, k]


def _below(f: Frontier, y: Array) -> Array:
    """The last grid node whose ln F is below y (0 where none; ln F is increasing and
    -inf at node 0): from the nodes' closed forms, or the table where there is one."""
    if f.log_f is None:
        return _search(lambda k: _log_f(f, k), None, y, jnp.less)
    return _table_search(f, f.log_f, f.log_f_coarse, y, jnp.less)


def _table_search(f: Frontier, table: Array, coarse: Array | None, y: Array, before) -> Array:
    """:func:`_search` over one of the draw's tables and its every-BLOCK-th coarse copy."""
    coarse_at = None if coarse is None else (lambda c: _lookup(f, coarse, c))
    return _search(lambda k: _lookup(f, table, k), coarse_at, y, before)


def _search(at, coarse_at, y: Array, before) -> Array:
    """The last grid node k (from 0) with ``before(at(k), y)``, ``at`` increasing in k: a
    binary search, one lookup a halving, no branches; with ``coarse_at`` (the value at every
    BLOCK-th node) first over the blocks and then inside one (the same node: a table is 32
    kB a draw, and the block's 64 neighbours share a few cache lines)."""
    k = jnp.zeros_like(y)
    half = GRID // 2
    if coarse_at is not None:
        while half >= BLOCK:
            k = jnp.where(before(coarse_at((k + half) // BLOCK), y), k + half, k)
            half //= 2
    while half:
        k = jnp.where(before(at(k + half), y), k + half, k)
        half //= 2
    return k


def _lerp(v0: Array, v1: Array, w: Array) -> Array:
    """Linear between two grid values, each end exact (an end may be -inf)."""
    return jnp.where(w <= 0, v0, jnp.where(w >= 1, v1, (1.0 - w) * v0 + w * v1))


def coding_labor(f: Frontier, humans: Array, compute: Array, log_e: Array) -> Array:
    """Coding labour (human-equivalents, before the parallel penalty) with ``humans`` and
    inference ``compute`` at effective compute ln E = ``log_e``: their
    ``coding_labor_optimal_ces``.

    Their steps: the task i_E whose threshold is E; the AI's efficiency ln S at E; tasks
    below the frontier task i_C (where ln F reaches ln S, their inversion of the grid's
    ln F; i_E where ln S is above ln F at i_E) go to AI. Every value at a task is their
    grid's, linear between its nodes; here each lookup takes the interval it falls in
    from the step that found the task, so one pair of nodes is evaluated."""
    j = _cell(f, log_e)
    lo, hi = nodes(f, j), nodes(f, j + 1)
    t_e = jnp.clip((log_e - lo["log_e"]) / (hi["log_e"] - lo["log_e"]), 0.0, 1.0)
    log_s = jnp.log(jnp.maximum(compute / jnp.maximum(humans, 1e-18) * ETA_INIT, 1e-300))
    log_s = log_s + f.theta * log_e
    interior = log_s <= _lerp(_log_f(f, j), _log_f(f, j + 1), t_e)
    # i_C: the interval of ln F holding ln S (the last, at its end, where ln S is beyond it)
    k = jnp.minimum(_below(f, log_s), GRID - 2)
    f0, f1 = _log_f(f, k), _log_f(f, k + 1)
    t_c = jnp.clip((log_s - f0) / (f1 - f0), 0.0, 1.0)
    t_c = jnp.where(jnp.isfinite(f0) & (log_s < _log_f(f, jnp.full_like(k, GRID - 1))), t_c, 1.0)
    cell = jnp.where(interior, k, j)
    w = jnp.where(interior, t_c, t_e)
    n0, n1 = nodes(f, cell), nodes(f, cell + 1)
    log_human = _lerp(n0["log_q"], n1["log_q"], w)
    log_comp = jnp.where(
        interior,
        log_s + _lerp(n0["log_r"], n1["log_r"], w),
        f.rho * log_s + (1.0 - f.rho) * _lerp(n0["log_b"], n1["log_b"], w),
    )
    log_labor = jnp.log(humans) + jnp.logaddexp(log_human, log_comp) / f.rho
    first = f.p_zero * LN10 if f.log_e is None else _lookup(f, f.log_e, jnp.zeros_like(k))
    below_grid = log_e < first  # no task automatable: humans only
    return jnp.where(below_grid, humans, jnp.exp(log_labor))


def simple_coding_labor(automation: Array, compute: Array, humans: Array, rho: Scalar) -> Array:
    """Their simple CES of AI and human labour at automation fraction A (used for the
    initial research stock): (A^(1-rho) C^rho + (1-A)^(1-rho) H^rho)^(1/rho)."""
    a = jnp.clip(automation, CLIP_A, 1.0 - CLIP_A)
    total = a ** (1.0 - rho) * compute**rho + (1.0 - a) ** (1.0 - rho) * humans**rho
    return jnp.where(total > 0, total ** (1.0 / rho), jnp.minimum(compute / a, humans / (1 - a)))

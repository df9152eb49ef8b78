"""Adaptive Dormand-Prince 5(4) steps with dense output, sampled on a fixed output grid.

The AI Futures Model's trajectory is smooth between the years of its input series (their
log-linear interpolation has a kink at each), slow for decades and then, in a takeoff, fast
by tens of orders of magnitude a month. Fixed steps pay for the takeoff everywhere; here
the step follows the local error (Hairer, Norsett & Wanner, *Solving ODEs I*, II.4-5: the
embedded fourth-order estimate, the step factor 0.9 err^(-1/5) in [0.2, 10]), never steps
over a kink (each step ends at the next one at the latest), and fills the output grid
between its ends from the method's continuous extension (fourth order), so the grid costs
no steps. Vectorised over draws by ``vmap``: fixed shapes, one ``while_loop``.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

# The Dormand-Prince (1980) tableau: nodes C, stages A, weights B (fifth order), the error
# weights E (fifth minus fourth order, seven stages with the FSAL one) and the continuous
# extension's coefficients P (Shampine 1986; y(t + s h) = y + h sum_i k_i sum_j P_ij s^(j+1)).
C = (0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0)
A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
)
B = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0])
E = np.array([-71 / 57600, 0.0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40])
P = np.array(
    [
        [1.0, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
        [0.0, 0.0, 0.0, 0.0],
        [0.0, 131558114200 / 32700410799, -68118460800 / 10900136933,
         87487479700 / 32700410799],
        [0.0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
        [0.0, 127303824393 / 49829197408, -318862633887 / 49829197408,
         701980252875 / 199316789632],
        [0.0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
        [0.0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423],
    ]
)  # fmt: skip

SAFETY, SHRINK, GROW = 0.9, 0.2, 10.0
MAX_STEP = 1.0  # years: a step covers at most 11 points of a 0.1-year grid
WINDOW = 12  # the grid points a step may cover

Rhs = Callable[[Array, Float[Array, " k"]], Float[Array, " k"]]


def _combine(weights: np.ndarray, ks: list[Array]) -> Array:
    """sum_i weights_i k_i, the weights constants (zeros skipped): elementwise, so XLA fuses
    it with the rest of the step (a small matrix product would be a call of its own)."""
    terms = [float(w) * k for w, k in zip(weights, ks, strict=True) if w != 0.0]
    return functools.reduce(operator.add, terms)


class Lane(NamedTuple):
    """The state of one integration between steps."""

    t: Array
    y: Float[Array, " k"]
    f: Float[Array, " k"]  # the right-hand side at (t, y): the next step's first stage
    h: Array  # the next step's size
    j: Array  # the first grid point after t
    steps: Array  # steps taken so far (accepted or rejected)


def _start(t0: Array, y0: Float[Array, " k"], f0: Float[Array, " k"], first_step: float) -> Lane:
    one, zero = jnp.asarray(1, jnp.int32), jnp.asarray(0, jnp.int32)
    return Lane(t0, y0, f0, jnp.asarray(first_step, y0.dtype), one, zero)


def _attempt(
    rhs: Rhs,
    s: Lane,
    times: Float[Array, " grid"],
    knots: Float[Array, " knots"],
    tolerance: float,
    time_tolerance: float | None,
) -> tuple[Lane, Float[Array, "window k"], Array]:
    """One step attempt from ``s``: the state after it (unchanged but for a smaller step
    and the count where it is rejected), and the grid values it fills (at the grid indices
    ``slots``; the grid's length where there is none)."""
    n = times.shape[0]
    t_end = times[-1]
    t, y, f, h, j = s.t, s.y, s.f, s.h, s.j
    stop = jnp.min(jnp.where(knots > t, knots, t_end))
    stop = jnp.minimum(jnp.minimum(stop, t_end), t + MAX_STEP)
    lands = h >= stop - t
    h = jnp.where(lands, stop - t, h)
    ks = [f]
    for c, row in zip(C[1:], A[1:], strict=True):
        dy = sum(a * k for a, k in zip(row, ks, strict=False))
        ks.append(rhs(t + c * h, y + h * dy))
    y_new = y + h * sum(float(w) * k for w, k in zip(B[:6], ks, strict=True))
    f_new = rhs(t + h, y_new)
    ks.append(f_new)
    err = h * _combine(E, ks)
    scale = tolerance * (1.0 + jnp.maximum(jnp.abs(y), jnp.abs(y_new)))
    if time_tolerance is None:
        norm = jnp.sqrt(jnp.mean((err / scale) ** 2))
    else:  # the error along the flow is a shift in time
        flow = f_new / scale
        shift = jnp.sum(err / scale * flow) / jnp.maximum(jnp.sum(flow * flow), 1e-300)
        across = err / scale - shift * flow
        norm = jnp.sqrt(jnp.mean(across**2) + (shift / time_tolerance) ** 2 / y.shape[0])
    ok = jnp.isfinite(norm) & jnp.all(jnp.isfinite(y_new))
    accept = ok & (norm <= 1.0)
    factor = jnp.where(norm == 0, GROW, SAFETY * norm ** (-0.2))
    factor = jnp.clip(jnp.where(ok, factor, SHRINK), SHRINK, GROW)
    factor = jnp.where(accept, factor, jnp.minimum(factor, 1.0))
    t_new = jnp.where(lands, stop, t + h)
    # the grid points this step covers (at most WINDOW from the first after t), from the
    # continuous extension
    at = jnp.minimum(j + jnp.arange(WINDOW), n - 1)
    frac = ((times[at] - t) / h)[:, None]
    q = [_combine(P[:, j], ks) for j in range(P.shape[1])]  # y(t + s h) = y + h sum q_j s^(j+1)
    dense = y + h * frac * (q[0] + frac * (q[1] + frac * (q[2] + frac * q[3])))  # [window, k]
    dense = jnp.where((times[at] == t_new)[:, None], y_new, dense)
    covered = accept & (j + jnp.arange(WINDOW) < n) & (times[at] <= t_new)
    slots = jnp.where(covered, j + jnp.arange(WINDOW), n)  # past the end: dropped
    after = Lane(
        jnp.where(accept, t_new, t),
        jnp.where(accept, y_new, y),
        jnp.where(accept, f_new, f),
        h * factor,
        j + jnp.sum(covered).astype(j.dtype),
        s.steps + 1,
    )
    return after, dense, slots


def dopri5_on_grid(
    rhs: Rhs,
    y0: Float[Array, " k"],
    times: Float[Array, " grid"],
    knots: Float[Array, " knots"],
    tolerance: float,
    first_step: float,
    max_steps: int,
    time_tolerance: float | None = None,
) -> tuple[Float[Array, "grid k"], Array, Array]:
    """y at every grid time (``times[0]`` is the start, where y = ``y0``), whether the
    integration reached ``times[-1]`` within ``max_steps`` steps, and the steps it took
    (accepted or rejected).

    ``tolerance`` is both the relative and the absolute tolerance of each step's local
    error (the root mean square over components of err / (tol + tol max(|y|, |y_new|)));
    a step never passes a time in ``knots`` (where the right-hand side has a kink).

    With ``time_tolerance`` (years), the part of the error along the flow f(t, y_new) is
    measured as the time shift it amounts to, against that tolerance, and only the rest
    against ``tolerance``: where the solution runs away (progress gaining tens of orders
    of magnitude within hours), a relative error in y, along the flow, moves the grid's
    values by a fraction of a second, and the steps need not resolve it."""
    n, t_end = times.shape[0], times[-1]
    out0 = jnp.zeros((n, y0.shape[0]), y0.dtype).at[0].set(y0)

    def more(carry: tuple[Lane, Array]) -> Array:
        s, _ = carry
        return (s.t < t_end) & (s.steps < max_steps)

    def step(carry: tuple[Lane, Array]) -> tuple[Lane, Array]:
        s, out = carry
        s, dense, slots = _attempt(rhs, s, times, knots, tolerance, time_tolerance)
        return s, out.at[slots].set(dense, mode="drop")

    start = _start(times[0], y0, rhs(times[0], y0), first_step)
    s, out = jax.lax.while_loop(more, step, (start, out0))
    return out, s.t >= t_end, s.steps


def dopri5_pool(
    rhs: Callable[[Any, Array, Float[Array, " k"]], Float[Array, " k"]],
    params: Any,
    y0: Float[Array, "draws k"],
    times: Float[Array, " grid"],
    knots: Float[Array, " knots"],
    tolerance: float,
    first_step: float,
    max_steps: int,
    time_tolerance: float | None,
    lanes: int,
    refills: int = 32,
) -> tuple[Float[Array, "draws grid k"], Array, Array]:
    """:func:`dopri5_on_grid` for many draws (``rhs(params, t, y)`` with the draw's
    parameters, every leaf of ``params`` and ``y0`` with a leading axis of draws), each
    draw's numbers the same as integrating it alone.

    Vectorised over draws, adaptive steps wait for the slowest: ``vmap`` of a
    ``while_loop`` runs every draw for as many steps as the one that needs most (a takeoff
    takes twice the mean). Here ``lanes`` integrations step side by side and a lane whose
    draw is done takes the next draw (at most ``refills`` lanes a step, gathered from the
    pool), so the work is the draws' total steps, not their maximum times their number."""
    draws, k = y0.shape
    n, t_end, dtype = times.shape[0], times[-1], y0.dtype
    lanes = min(lanes, draws)
    refills = min(refills, lanes)
    f0 = jax.vmap(rhs, in_axes=(0, None, 0))(params, times[0], y0)
    lane_params = jax.tree.map(lambda a: a[:lanes], params)
    t0 = jnp.full((lanes,), times[0], dtype)
    state = jax.vmap(_start, in_axes=(0, 0, 0, None))(t0, y0[:lanes], f0[:lanes], first_step)
    index = jnp.arange(lanes, dtype=jnp.int32)  # each lane's draw (``draws``: none)
    out = jnp.zeros((draws, n, k), dtype).at[:, 0].set(y0)
    finished = jnp.zeros(draws, bool)
    steps = jnp.zeros(draws, jnp.int32)
    next_draw = jnp.asarray(lanes, jnp.int32)
    attempt = jax.vmap(lambda p, s: _attempt(lambda t, y: rhs(p, t, y), s, times, knots,
                                             tolerance, time_tolerance))  # fmt: skip

    def more(carry) -> Array:
        return jnp.any(carry[2] < draws)

    def step(carry):
        lane_params, state, index, out, finished, steps, next_draw = carry
        state, dense, slots = attempt(lane_params, state)
        out = out.at[index[:, None], slots].set(dense, mode="drop")  # idle lanes: dropped
        done = (index < draws) & ((state.t >= t_end) | (state.steps >= max_steps))
        at = jnp.where(done, index, draws)
        finished = finished.at[at].set(state.t >= t_end, mode="drop")
        steps = steps.at[at].set(state.steps, mode="drop")
        index = jnp.where(done, draws, index)
        # the next draws into idle lanes, in order (both runs of indices are ascending, so
        # the lanes filled are a prefix of ``free``)
        free = jnp.nonzero(index >= draws, size=refills, fill_value=lanes)[0]
        new = next_draw + jnp.arange(refills, dtype=jnp.int32)
        fill = (free < lanes) & (new < draws)
        into = jnp.where(fill, free, lanes)  # past the end: dropped
        source = jnp.minimum(new, draws - 1)

        def put(lane_values: Array, values: Array) -> Array:
            return lane_values.at[into].set(values, mode="drop")

        lane_params = jax.tree.map(lambda lp, a: put(lp, a[source]), lane_params, params)
        fresh = jax.vmap(_start, in_axes=(0, 0, 0, None))(t0[:refills], y0[source], f0[source],
                                                          first_step)  # fmt: skip
        state = jax.tree.map(put, state, fresh)
        index = put(index, new)
        return (lane_params, state, index, out, finished, steps,
                next_draw + jnp.sum(fill).astype(jnp.int32))  # fmt: skip

    carry = (lane_params, state, index, out, finished, steps, next_draw)
    _, _, _, out, finished, steps, _ = jax.lax.while_loop(more, step, carry)
    return out, finished, steps

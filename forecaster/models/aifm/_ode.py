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

from collections.abc import Callable

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
    n = times.shape[0]
    t_end = times[-1]
    dtype = y0.dtype
    e, p = jnp.asarray(E, dtype), jnp.asarray(P, dtype)
    out0 = jnp.zeros((n, y0.shape[0]), dtype).at[0].set(y0)
    window = jnp.arange(WINDOW)

    def more(carry) -> Array:
        t, *_, steps = carry
        return (t < t_end) & (steps < max_steps)

    def step(carry):
        t, y, f, h, j, out, steps = carry
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
        k = jnp.stack(ks)  # [7, k]
        err = h * (e @ k)
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
        # the grid points this step covers (at most WINDOW from the first after t), from
        # the continuous extension
        at = jnp.minimum(j + window, n - 1)
        s = (times[at] - t) / h
        powers = jnp.stack([s, s * s, s**3, s**4], axis=-1)  # [window, 4]
        dense = y + h * (powers @ (k.T @ p).T)  # [window, k]
        dense = jnp.where((times[at] == t_new)[:, None], y_new, dense)
        covered = accept & (j + window < n) & (times[at] <= t_new)
        slots = jnp.where(covered, j + window, n)  # past the end: dropped
        out = out.at[slots].set(dense, mode="drop")
        return (
            jnp.where(accept, t_new, t),
            jnp.where(accept, y_new, y),
            jnp.where(accept, f_new, f),
            h * factor,
            j + jnp.sum(covered).astype(j.dtype),
            out,
            steps + 1,
        )

    h0 = jnp.asarray(first_step, dtype)
    one, zero = jnp.asarray(1, jnp.int32), jnp.asarray(0, jnp.int32)
    carry = (times[0], y0, rhs(times[0], y0), h0, one, out0, zero)
    t, *_, out, steps = jax.lax.while_loop(more, step, carry)
    return out, t >= t_end, steps

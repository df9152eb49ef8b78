"""The general law integrated by RK4 over the doubling clock x (dt/dx = 1/v), for one
parameter set, on a fixed grid of nodes in x shared by every draw."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._paths import Path
from .._rk4 import rk4_step
from ._law import Params, Returns, log_rate_function

# Steps per loop iteration (unrolling 8 or 32 steps measured no faster on a 2-core CPU).
_SCAN_UNROLL = 1


def rk4_path(
    params: Params,
    returns: Returns,
    steps: int,
    max_doublings: float,
    horizon_years: float,
    stop_doubling_years: float,
    full_automation: bool = False,
    autonomous: bool = False,
) -> Path:
    """Classical RK4 for dt/dx = 1/v(x, t) on one fixed grid: ``steps`` steps of
    ``max_doublings / steps`` doublings, the same for every draw.

    Nodes past the ceiling of a ceiling schedule (where v = 0) are never reached; without a
    ceiling ``max_doublings`` caps hyperbolic growth, which would otherwise reach infinitely
    many doublings in finite time. ``full_automation`` (phi = 1) skips the CES; ``autonomous``
    (gC = gH = 0, so v depends on x alone) makes RK4 Simpson's rule, evaluated for all steps
    at once instead of step by step: the same numbers, much faster.
    """
    dtype = params.f.dtype
    h = max_doublings / steps
    x = jnp.arange(steps + 1, dtype=dtype) * h
    log_rate = log_rate_function(params, returns, full_automation)
    if autonomous:
        zero = jnp.zeros((), dtype)
        slope = jnp.exp(-log_rate(x, zero))
        slope_mid = jnp.exp(-log_rate(x[:-1] + 0.5 * h, zero))
        increments = (h / 6.0) * (slope[:-1] + 4.0 * slope_mid + slope[1:])
        # JAX's own associative scan fixes the order of the additions; XLA's cumsum may
        # change it with the backend's configuration (and so the last bits of t).
        t = jnp.concatenate([zero[None], jax.lax.associative_scan(jnp.add, increments)])
        rate = 1.0 / slope
        return Path(x=x, t=_stop(t, rate, horizon_years, stop_doubling_years), rate=rate)

    def slope_at(xk, t):
        return jnp.exp(-log_rate(xk, t))

    def step(carry, xk):
        t, alive = carry
        t_next, (k1, k2, k3, k4) = rk4_step(slope_at, xk, t, h)
        # A node is computed only from a node reached within the horizon, with progress
        # not stalled; everything after is never reached. A NaN is kept so it gets counted.
        alive = alive & (t <= horizon_years) & (k1 <= stop_doubling_years)
        # v = 0 inside the step (the ceiling, or a rate underflowing): the next node is never
        # reached. Without this, the later stages see t = inf and 0 * inf makes a NaN.
        stalled = jnp.isposinf(k2) | jnp.isposinf(k3) | jnp.isposinf(k4)
        t_next = jnp.where(alive & ~stalled, t_next, jnp.inf)
        return (t_next, alive), (t_next, 1.0 / k1)

    zero = jnp.zeros_like(params.f)
    (t_last, _), (t_nodes, rates) = jax.lax.scan(
        step, (zero, jnp.array(True)), x[:-1], unroll=_SCAN_UNROLL
    )
    rate_last = jnp.exp(log_rate(x[-1], t_last))
    t = jnp.concatenate([zero[None], t_nodes])
    rate = jnp.concatenate([rates, rate_last[None]])
    return Path(x=x, t=t, rate=rate)


def _stop(t: jax.Array, rate: jax.Array, horizon_years: float, stop_years: float) -> jax.Array:
    """Mask a path integrated in one go as the step-by-step integrator would.

    Node k+1 is reached only if node k was reached within the horizon with a doubling time
    of at most ``stop_years``; NaNs are kept so they get counted.
    """
    ok = (t[:-1] <= horizon_years) & (1.0 / rate[:-1] <= stop_years)
    ok = jnp.cumprod(ok.astype(jnp.int32)).astype(bool)
    return jnp.concatenate([t[:1], jnp.where(ok | jnp.isnan(t[1:]), t[1:], jnp.inf)])

"""Integrators over the doubling clock x (dt/dx = 1/v), for one parameter set.

Both return a :class:`Path` on a fixed grid of nodes in x, so every draw has the same shape
and the integrators vmap. A node that is never reached (the run stopped: past the horizon,
at the ceiling, or because progress stalled) has ``t = +inf``; stopping is done by masking,
never by branching. The first node past the horizon stays finite so that the horizon itself
can be interpolated.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal, get_args

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._model import CEILING_RETURNS, Params, Returns, initial_rate, log_rate_function

DoublingsMode = Literal["monte_carlo", "single_simulation"]
DOUBLINGS_MODES: tuple[DoublingsMode, ...] = get_args(DoublingsMode)


@dataclasses.dataclass(frozen=True)
class DoublingsOptions:
    """The options of Davidson & Houlden's model (their web tool's switches), for the
    one-doubling stepper. Static (hashable): a jit cache key.

    (Their "Constant r" is a returns schedule, ``constant_to_ceiling``: r stays r0 and the
    ceiling is kept; ``scenario.constant_r`` selects it for either integrator.)

    Attributes:
        retraining_cost: the acceleration exponent x = p (1/r - 1) becomes x / |x + 1|
            (``monte_carlo``, their multiple-simulation code) or x / (|x| + 1)
            (``single_simulation``): part of each software gain goes to retraining faster.
        gradual_boost: the speed-up rises from ``boost_start`` at automation to the drawn f
            over ``boost_years`` (exponentially in time, as compute grows 4096-fold), and
            each doubling time is divided by (1 + f_new) / (1 + f_old).
        mode: ``monte_carlo`` (their multiple-simulation code, what their site publishes as
            probabilities: first doubling Ts / f, Ts / (1 + boost_start) with the gradual
            boost) or ``single_simulation`` (their single-run code: first doubling
            Ts / (1 + f0), and the other retraining formula).
        stop_after_years: a doubling starts only before this time (their 48-month loop).
        boost_start: f at automation under the gradual boost (their 0.1).
        boost_years: years for the boost to reach f (their 5, compute doubling every 5
            months up to 4096 times).
    """

    retraining_cost: bool = False
    gradual_boost: bool = False
    mode: DoublingsMode = "monte_carlo"
    stop_after_years: float = math.inf
    boost_start: float = 0.1
    boost_years: float = 5.0


# Steps per loop iteration (unrolling 8 or 32 steps measured no faster on a 2-core CPU).
_SCAN_UNROLL = 1


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Path:
    """A trajectory on nodes in x (one draw: ``[nodes]``; a batch: ``[n, nodes]``).

    Attributes:
        x: doublings at the nodes, increasing [doublings].
        t: time at which each node is reached [years]; +inf if never.
        rate: growth rate at each node [doublings/year]; for the doublings stepper, the
            rate of the step that starts at the node.
    """

    x: Float[Array, "*batch nodes"]
    t: Float[Array, "*batch nodes"]
    rate: Float[Array, "*batch nodes"]


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
        k1 = slope_at(xk, t)
        k2 = slope_at(xk + 0.5 * h, t + 0.5 * h * k1)
        k3 = slope_at(xk + 0.5 * h, t + 0.5 * h * k2)
        k4 = slope_at(xk + h, t + h * k3)
        t_next = t + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
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


def doublings_path(
    params: Params,
    returns: Returns,
    max_doublings: int,
    horizon_years: float,
    stop_doubling_years: float,
    options: DoublingsOptions = DoublingsOptions(),
) -> Path:
    """One doubling a step with the Davidson & Houlden (2025) update rule.

    The first doubling takes Ts / f. After each doubling r falls by r0 / D (D doublings to
    the ceiling, not rounded; 0 for constant returns) and, while r > 0, the next doubling
    takes the previous one's time times 2^(p (1/r - 1)). A doubling starts only while fewer
    than D are done and r > 0, so ceil(D) doublings at most; it stops too when a doubling
    would take longer than ``stop_doubling_years``, or past the horizon or
    ``options.stop_after_years``. D is not rounded: their published code's figures (MODEL.md
    section 5) come out with a continuous D, and 1.5-3.6 standard errors lower with D rounded
    down. ``options`` switches on their model options (:class:`DoublingsOptions`). Requires
    phi = 1 and fixed compute (the API checks this).
    """
    dtype = params.f.dtype
    if returns in CEILING_RETURNS:
        total = params.ceiling_doublings
        falling = returns == "linear_to_ceiling"
        decrement = params.r0 / total if falling else jnp.zeros_like(params.r0)
    else:
        total = jnp.asarray(jnp.inf, dtype)
        decrement = jnp.zeros_like(params.r0)
    f_at, dt0 = _boost(params, options)

    def step(carry, n):
        t, dt, r, alive = carry
        alive = (
            alive
            & (n < total)
            & (r > 0)
            & (dt <= stop_doubling_years)
            & (t <= horizon_years)
            & (t < options.stop_after_years)
        )
        t_next = jnp.where(alive, t + dt, jnp.inf)
        r_next = jnp.where(alive, r - decrement, r)
        positive = r_next > 0
        safe_r = jnp.where(positive, r_next, 1.0)
        exponent = _acceleration(params.p * (1.0 / safe_r - 1.0), options)
        # exp2, not 2.0 ** y: XLA on CPU vectorises exp but calls a scalar pow per element.
        factor = jnp.exp2(exponent)
        if options.gradual_boost:
            factor = factor * (1.0 + f_at(t)) / (1.0 + f_at(t + dt))
        dt_next = jnp.where(alive & positive, dt * factor, dt)
        return (t_next, dt_next, r_next, alive), (t_next, 1.0 / dt)

    zero = jnp.zeros_like(params.f)
    (_, dt_last, _, _), (t_nodes, rates) = jax.lax.scan(
        step,
        (zero, dt0, params.r0, jnp.array(True)),
        jnp.arange(max_doublings, dtype=dtype),
        unroll=_SCAN_UNROLL,
    )
    x = jnp.arange(max_doublings + 1, dtype=dtype)
    t = jnp.concatenate([zero[None], t_nodes])
    rate = jnp.concatenate([rates, (1.0 / dt_last)[None]])
    return Path(x=x, t=t, rate=rate)


def _acceleration(x: jax.Array, options: DoublingsOptions) -> jax.Array:
    """The exponent of the doubling-time factor 2^a: x, or x less the retraining cost."""
    if not options.retraining_cost:
        return x
    if options.mode == "monte_carlo":
        return x / jnp.abs(x + 1.0)
    return x / (jnp.abs(x) + 1.0)


def speedup_factor_at(t: jax.Array, params: Params, options: DoublingsOptions) -> jax.Array:
    """f at time t [years]: the drawn f, or under the gradual boost its rise from
    ``boost_start`` (exported for trajectories)."""
    f_at, _ = _boost(params, options)
    return jnp.broadcast_to(f_at(t), jnp.shape(t))


def returns_after(x: jax.Array, params: Params, returns: Returns) -> jax.Array:
    """r after x doublings of the stepper: r0 - x r0 / D, or r0 (constant returns)."""
    if returns != "linear_to_ceiling":
        return jnp.broadcast_to(params.r0, jnp.shape(x))
    return params.r0 - x * (params.r0 / params.ceiling_doublings)


def _boost(params: Params, options: DoublingsOptions):
    """(f as a function of time [years], the first doubling time [years])."""
    f_max = params.f
    if not options.gradual_boost:
        if options.mode == "monte_carlo":
            first = 1.0 / initial_rate(params)  # Ts / f
        else:
            first = params.Ts / (1.0 + f_max)
        return (lambda t: f_max), first
    f0 = jnp.full_like(f_max, options.boost_start)
    growth = jnp.log(f_max / f0) / options.boost_years

    def f_at(t: jax.Array) -> jax.Array:
        return jnp.where(t < options.boost_years, f0 * jnp.exp(t * growth), f_max)

    return f_at, params.Ts / (1.0 + f0)

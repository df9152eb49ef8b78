"""Davidson & Houlden's one-doubling stepper and its model options, for one parameter set.

It returns a :class:`~forecaster.models._paths.Path` with one node per whole doubling.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal, get_args

import jax
import jax.numpy as jnp

from .._paths import Path
from ..general_law._law import CEILING_RETURNS, Params, Returns, initial_rate

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

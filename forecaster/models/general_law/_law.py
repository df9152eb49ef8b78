"""The law of motion of software progress after automation (MODEL.md sections 2-3).

Pure JAX functions of one parameter set; the integrators vmap them over draws.

State: ``x`` doublings of software efficiency since automation (t = 0) and ``t`` in years.
The growth law, in logs for numerical stability::

    ln v = ln v0 + p (ln L - ln L0) + (lambda - p) gC t - ln2 p I(x)

with ``v0 = f / Ts``, ``lambda = p / alpha``, ``I(x) = int_0^x du / r(u)`` and ``L`` the CES
effective research labour of humans ``H = exp(gH t)`` and AIs ``A = A0 2^x exp(gC t)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Literal, get_args

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

LN2 = 0.6931471805599453

Returns = Literal["constant", "linear_to_ceiling", "constant_to_ceiling"]
RETURNS: tuple[Returns, ...] = get_args(Returns)
#: Returns schedules with a ceiling D (growth stops there): falling to 0 at D, or constant
#: r0 up to D (Davidson & Houlden's "constant r", ``scenario.constant_r``).
CEILING_RETURNS: tuple[Returns, ...] = ("linear_to_ceiling", "constant_to_ceiling")

# rho this close to 0 uses the Cobb-Douglas limit and its first-order term: the CES formula
# loses all precision there.
_RHO_COBB_DOUGLAS = 1e-4


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class Params:
    """One parameter set (or, with array leaves, a batch of them). Units in brackets.

    Every leaf has the same shape: ``()`` for one draw, ``[n]`` for a batch (``*batch``).

    Attributes:
        f: initial speed-up of software progress at automation [x].
        Ts: pre-automation software doubling time [years].
        p: progress from doubling cognitive labour at fixed compute, ``lambda * alpha`` [-].
        alpha: labour share of research input [-]; ``lambda = p / alpha``.
        r0: returns to software R&D at t = 0 [doublings per doubling of input].
        ceiling_doublings: distance to the effective limits of software, D [doublings];
            used by the ``linear_to_ceiling`` returns schedule only.
        gC: growth rate of compute [1/year] (0 = fixed compute).
        gH: growth rate of human research labour [1/year].
        phi0: share of research tasks AI does at automation [-].
        phi_inf: share of research tasks AI does eventually [-].
        x_phi: doublings over which automation approaches ``phi_inf`` [doublings].
        rho: CES substitution parameter [-]; 0 is Cobb-Douglas, -1 Amdahl's law.
        A0: AI research labour at automation in units of today's human labour [-].
        software_share: software's share of AI progress, s [-]; one year of AI progress is
            ``(1 / Ts) / s`` software doublings.
    """

    f: Float[Array, "*batch"]
    Ts: Float[Array, "*batch"]
    p: Float[Array, "*batch"]
    alpha: Float[Array, "*batch"]
    r0: Float[Array, "*batch"]
    ceiling_doublings: Float[Array, "*batch"]
    gC: Float[Array, "*batch"]
    gH: Float[Array, "*batch"]
    phi0: Float[Array, "*batch"]
    phi_inf: Float[Array, "*batch"]
    x_phi: Float[Array, "*batch"]
    rho: Float[Array, "*batch"]
    A0: Float[Array, "*batch"]
    software_share: Float[Array, "*batch"]


PARAM_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Params))


def doublings_per_year_of_progress(params: Params) -> jax.Array:
    """Software doublings that make one year of pre-automation AI progress: (1/Ts)/s."""
    return 1.0 / (params.Ts * params.software_share)


def initial_rate(params: Params) -> jax.Array:
    """v0 = f / Ts, the rate at automation [doublings/year]."""
    return params.f / params.Ts


def returns_integral(x: jax.Array, params: Params, returns: Returns) -> jax.Array:
    """I(x) = int_0^x du / r(u); +inf at and beyond the ceiling of a ceiling schedule."""
    if returns == "constant":
        return x / params.r0
    if returns == "constant_to_ceiling":
        return jnp.where(x < params.ceiling_doublings, x / params.r0, jnp.inf)
    if returns == "linear_to_ceiling":
        D = params.ceiling_doublings
        frac = x / D
        inside = frac < 1.0
        safe = jnp.where(inside, frac, 0.0)
        return jnp.where(inside, -(D / params.r0) * jnp.log1p(-safe), jnp.inf)
    raise ValueError(f"returns={returns!r} is not allowed: one of {RETURNS}")


def returns_at(x: jax.Array, params: Params, returns: Returns) -> jax.Array:
    """r(x): constant r0, r0 (1 - x/D) falling to 0 at the ceiling, or r0 up to the ceiling."""
    if returns == "constant":
        return jnp.broadcast_to(params.r0, jnp.shape(x))
    if returns == "constant_to_ceiling":
        return jnp.where(x < params.ceiling_doublings, params.r0, 0.0)
    if returns == "linear_to_ceiling":
        return params.r0 * jnp.clip(1.0 - x / params.ceiling_doublings, 0.0, None)
    raise ValueError(f"returns={returns!r} is not allowed: one of {RETURNS}")


def automation_share(x: jax.Array, params: Params) -> jax.Array:
    """phi(x) = phi_inf - (phi_inf - phi0) exp(-x / x_phi)."""
    return params.phi_inf - (params.phi_inf - params.phi0) * jnp.exp(-x / params.x_phi)


def log_automation_shares(x: jax.Array, params: Params) -> tuple[jax.Array, jax.Array]:
    """(ln phi(x), ln(1 - phi(x))) without cancellation.

    With e = exp(-x / x_phi): phi = phi_inf (1 - e) + phi0 e and 1 - phi = (1 - phi_inf)(1 - e)
    + (1 - phi0) e, sums of non-negative terms, taken in log space. ``log1p(-phi)`` of the
    rounded phi would lose 1 - phi entirely once it falls below the rounding error of phi
    (x > ~17 x_phi in float32 when phi_inf = 1), dropping the human bottleneck at once.
    """
    u = x / params.x_phi
    log_rise = jnp.log(-jnp.expm1(-u))  # ln(1 - e); -inf at x = 0
    log_phi = jnp.logaddexp(jnp.log(params.phi_inf) + log_rise, jnp.log(params.phi0) - u)
    log_rest = jnp.logaddexp(jnp.log1p(-params.phi_inf) + log_rise, jnp.log1p(-params.phi0) - u)
    return log_phi, log_rest


def log_effective_labour(
    log_h: jax.Array,
    log_a: jax.Array,
    phi: jax.Array,
    rho: jax.Array,
    log_shares: tuple[jax.Array, jax.Array] | None = None,
) -> jax.Array:
    """ln L for L = ((1 - phi) H^rho + phi A^rho)^(1/rho), in log space.

    A log-sum-exp keeps it finite for rho from about -20 to 0.9 and A up to 1e6 and beyond;
    rho -> 0 gives the Cobb-Douglas limit (1 - phi) ln H + phi ln A; for |rho| < 1e-4, where
    the CES formula loses precision, that limit plus its first-order term in rho is used.
    phi = 0 or 1 are exact. ``log_shares`` = (ln phi, ln(1 - phi)), when the caller has them
    more accurately than ``phi`` itself (see :func:`log_automation_shares`).
    """
    near_zero = jnp.abs(rho) < _RHO_COBB_DOUGLAS
    safe_rho = jnp.where(near_zero, 1.0, rho)
    if log_shares is None:
        log_shares = (jnp.log(phi), jnp.log1p(-phi))
    w_a, w_h = log_shares  # w_h = -inf when phi = 1, dropping humans exactly; w_a when phi = 0
    ces = _log_add_exp(w_h + safe_rho * log_h, w_a + safe_rho * log_a) / safe_rho
    # 0 * ln(x) terms vanish; written with where so phi in {0, 1} never makes 0 * inf.
    cobb_douglas = jnp.where(w_h > -jnp.inf, jnp.exp(w_h) * log_h, 0.0) + jnp.where(
        w_a > -jnp.inf, jnp.exp(w_a) * log_a, 0.0
    )
    # First order in rho: ln L = CD + rho/2 phi (1 - phi) (ln A - ln H)^2 + O(rho^2). Without
    # it the switch at |rho| = 1e-4 jumps by that term: up to 0.3 in ln L for A = 1e6 2^200.
    both = (w_h > -jnp.inf) & (w_a > -jnp.inf)
    spread = jnp.where(both, jnp.exp(w_h + w_a) * (log_a - log_h) ** 2, 0.0)
    return jnp.where(near_zero, cobb_douglas + 0.5 * rho * spread, ces)


def _log_add_exp(a: jax.Array, b: jax.Array) -> jax.Array:
    """ln(e^a + e^b), stable, elementwise (no reduction, so no order of summation to vary);
    -inf terms drop out exactly."""
    top = jnp.maximum(a, b)
    safe_top = jnp.where(jnp.isfinite(top), top, 0.0)
    return jnp.where(
        jnp.isneginf(top),
        -jnp.inf,
        safe_top + jnp.log(jnp.exp(a - safe_top) + jnp.exp(b - safe_top)),
    )


def log_labour_at(x: jax.Array, t: jax.Array, params: Params) -> jax.Array:
    """ln L(x, t) with H = exp(gH t), A = A0 2^x exp(gC t)."""
    log_h = params.gH * t
    log_a = jnp.log(params.A0) + LN2 * x + params.gC * t
    return log_effective_labour(
        log_h,
        log_a,
        automation_share(x, params),
        params.rho,
        log_shares=log_automation_shares(x, params),
    )


def log_growth_rate(x: jax.Array, t: jax.Array, params: Params, returns: Returns) -> jax.Array:
    """ln v(x, t), v in software doublings per year."""
    lam = params.p / params.alpha
    zero = jnp.zeros_like(x)
    log_l0 = log_labour_at(zero, zero, params)
    return (
        jnp.log(initial_rate(params))
        + params.p * (log_labour_at(x, t, params) - log_l0)
        + (lam - params.p) * params.gC * t
        - LN2 * params.p * returns_integral(x, params, returns)
    )


def log_rate_function(
    params: Params, returns: Returns, full_automation: bool
) -> Callable[[jax.Array, jax.Array], jax.Array]:
    """``(x, t) -> ln v`` with the per-draw constants computed once, for integrators.

    With ``full_automation`` (phi = 1 exactly) L = A, so ln(L/L0) = ln2 x + gC t and the CES
    is skipped; otherwise identical to :func:`log_growth_rate`.
    """
    lam = params.p / params.alpha
    log_v0 = jnp.log(initial_rate(params))
    if full_automation:

        def log_rate(x, t):
            return (
                log_v0
                + LN2 * params.p * (x - returns_integral(x, params, returns))
                + lam * params.gC * t
            )

        return log_rate
    log_l0 = log_labour_at(jnp.zeros_like(params.f), jnp.zeros_like(params.f), params)

    def log_rate_ces(x, t):
        return (
            log_v0
            + params.p * (log_labour_at(x, t, params) - log_l0)
            + (lam - params.p) * params.gC * t
            - LN2 * params.p * returns_integral(x, params, returns)
        )

    return log_rate_ces


def growth_rate(x: jax.Array, t: jax.Array, params: Params, returns: Returns) -> jax.Array:
    """v(x, t) = v0 (L/L0)^p C^(lambda - p) exp(-ln2 p I(x)) [doublings/year]."""
    return jnp.exp(log_growth_rate(x, t, params, returns))

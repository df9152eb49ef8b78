"""Device-side sampling of priors: copula uniforms keyed by (seed, draw index), then values.

Every uncertain parameter is drawn by its inverse CDF from a uniform ``u`` that depends on
(seed, draw index) alone, so a run split into chunks, devices or machines draws exactly the
same parameters. A Gaussian copula with a rank-correlation matrix correlates the ``u``.
These are pure JAX functions over a :class:`~forecaster._priors.PriorSet` (host-side specs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
from jax.scipy.special import betainc, ndtr, ndtri

from ._expressions import evaluate

if TYPE_CHECKING:
    from ._specs import Prior, PriorSet

_BISECTION_STEPS = 40  # halves [0, 1] below float64 resolution of u


def icdf(prior: Prior, u: jax.Array) -> jax.Array:
    """Quantile function of one prior: maps uniform draws to parameter values."""
    if prior.kind == "beta":
        return beta_icdf(u, float(prior.args["a"]), float(prior.args["b"]))
    return prior.distribution.icdf(u)


def beta_icdf(u: jax.Array, a: float, b: float) -> jax.Array:
    """Beta quantiles by bisection on the regularised incomplete beta function."""
    lo = jnp.zeros_like(u)
    hi = jnp.ones_like(u)

    def halve(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        below = betainc(a, b, mid) < u
        return jnp.where(below, mid, lo), jnp.where(below, hi, mid)

    lo, hi = jax.lax.fori_loop(0, _BISECTION_STEPS, halve, (lo, hi))
    return 0.5 * (lo + hi)


def draw_uniforms(
    prior_set: PriorSet, seed: int, start_hi: jax.Array, start_lo: jax.Array, n: int, dtype: Any
) -> jax.Array:
    """The copula uniforms of draws ``start .. start + n - 1``, shape [n, n_uncertain]."""
    lo = start_lo + jnp.arange(n, dtype=jnp.uint32)  # wraps modulo 2^32
    hi = start_hi + (lo < start_lo).astype(jnp.uint32)
    return uniforms_at(prior_set, seed, hi, lo, dtype)


def uniforms_at(
    prior_set: PriorSet,
    seed: int,
    index_hi: jax.Array,
    index_lo: jax.Array,
    dtype: Any,
    stream: int = 0,
    extra: int = 0,
) -> jax.Array:
    """The copula uniforms of the draws with 64-bit indices (hi, lo), shape [n, n_uncertain].

    Draw i gets key fold_in(fold_in(PRNGKey(seed), i_hi), i_lo) with i split into two 32-bit
    words, so draws are a function of (seed, i) alone for up to 2^64 draws. ``stream`` > 0
    gives an independent stream for another stage (folded in after the index). After the
    copula's columns come one independent uniform per prior mixed with a point mass (its
    coin, :attr:`PriorSet.masses`), then ``extra`` more independent uniforms.
    """
    k = len(prior_set.uncertain)
    extra = extra + len(prior_set.masses)
    base = jax.random.PRNGKey(seed)

    def one(h, l):
        key = jax.random.fold_in(jax.random.fold_in(base, h), l)
        if stream:
            key = jax.random.fold_in(key, stream)
        return jax.random.uniform(key, (k + extra,), dtype=dtype)

    u = jax.vmap(one)(index_hi, index_lo)
    if prior_set.cholesky is not None:
        # Keep u strictly inside (0, 1) so ndtri stays finite in float32.
        tiny = jnp.finfo(dtype).eps
        x = ndtri(jnp.clip(u, tiny, 1 - tiny))
        # z = x @ L.T summed term by term in a fixed order: a matmul's rounding depends on the
        # batch shape, which would make a draw depend on the chunk size (or device count).
        lower = prior_set.cholesky
        z = []
        for j in range(k):
            zj = x[:, 0] * float(lower[j, 0])
            for i in range(1, j + 1):
                zj = zj + x[:, i] * float(lower[j, i])
            z.append(zj)
        u = jnp.concatenate([ndtr(jnp.stack(z, axis=1).astype(dtype)), u[:, k:]], axis=1)
    # uniform() can return 0 and ndtr() rounds to 0 or 1 in the tails, where an open-support
    # icdf (log_normal, normal) gives 0 or +-inf: move only those values inside (0, 1).
    finfo = jnp.finfo(dtype)
    return jnp.clip(u, finfo.tiny, 1 - finfo.epsneg)


def row_pickers(prior_set: PriorSet, u: jax.Array) -> dict[str, jax.Array]:
    """The uniform that picks each joint posterior file's row, by the file's path: another
    stage drawing from the same file takes the same rows with these (see :func:`transform`)."""
    out: dict[str, jax.Array] = {}
    for column, prior in enumerate(prior_set.uncertain):
        if joint_posterior(prior):
            out.setdefault(prior.distribution.path, u[:, column])
    return out


def transform(
    prior_set: PriorSet,
    u: jax.Array,
    dtype: Any,
    pickers: Mapping[str, jax.Array] | None = None,
) -> dict[str, jax.Array]:
    """Parameter values from the uniforms of :func:`uniforms_at` ([n, n_uncertain] copula
    columns, then one coin per point mass): fixed ones broadcast, formulas evaluated last.

    ``pickers`` (path -> uniforms, :func:`row_pickers` of another stage) makes a joint
    posterior variable of a file that stage draws from take that stage's rows, so a file's
    variables stay joint across the takeoff and timelines stages."""
    n = u.shape[0]
    values: dict[str, jax.Array] = {}
    column = 0
    coin = len(prior_set.uncertain)
    pickers = pickers or {}
    rows: dict[str, int] = {}  # posterior file -> the column whose uniform picks its row
    for prior in prior_set.priors:
        if prior.fixed:
            values[prior.name] = jnp.full((n,), float(prior.args["value"]), dtype)
            continue
        if prior.derived:
            continue
        if joint_posterior(prior) and prior.distribution.path in pickers:
            picked = pickers[prior.distribution.path]
            values[prior.name] = prior.distribution.at_rows(picked).astype(dtype)
        elif joint_posterior(prior):
            picker = rows.setdefault(prior.distribution.path, column)
            values[prior.name] = prior.distribution.at_rows(u[:, picker]).astype(dtype)
        else:
            values[prior.name] = icdf(prior, u[:, column]).astype(dtype)
        if prior.p_mass > 0:
            at_mass = u[:, coin] < prior.p_mass
            values[prior.name] = jnp.where(
                at_mass, jnp.asarray(prior.mass_at, dtype), values[prior.name]
            )
            coin += 1
        column += 1
    for name in prior_set.formulas:
        values[name] = evaluate(prior_set.prior(name).distribution, values, dtype).astype(dtype)
    return values


def effective_uniforms(
    prior_set: PriorSet, u: jax.Array, values: Mapping[str, jax.Array]
) -> jax.Array:
    """The uniforms the draws' values correspond to, for sensitivity bins: ``u`` itself,
    except for a jointly drawn posterior variable that does not pick its file's row, whose
    column becomes its value's rank among the file's draws (its own uniform was not used).
    Without such a variable the copula's columns of ``u`` are returned as they are."""
    u = u[:, : len(prior_set.uncertain)]
    columns = []
    replaced = False
    rows: dict[str, int] = {}
    column = 0
    for prior in prior_set.priors:
        if not prior.drawn:
            continue
        if joint_posterior(prior) and rows.setdefault(prior.distribution.path, column) != column:
            draws = jnp.asarray(prior.distribution.sorted, u.dtype)
            rank = jnp.searchsorted(draws, values[prior.name], side="right")
            columns.append(jnp.clip((rank - 0.5) / draws.size, 0.0, 1.0).astype(u.dtype))
            replaced = True
        else:
            columns.append(u[:, column])
        column += 1
    return jnp.stack(columns, axis=1) if replaced else u


def joint_posterior(prior: Prior) -> bool:
    """A prior drawn as a whole row of its posterior file (with the file's other variables)."""
    return prior.kind == "posterior" and prior.distribution.joint

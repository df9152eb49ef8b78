"""Research taste in the AI Futures Model: the human distribution and the AI's place in it.

Human research taste is a bounded transform of a normal variable x ~ N(mu, sigma^2):
T(x) = (A^r + (1 - A^r) exp(v x)^r)^(1/r) with A = m^(1 + limit) the taste limit (m the
median-to-top multiplier, ``limit`` the limit in median-to-top gaps above the top),
A^r = (1/s - 1)^2 for the smoothing s, v = 1/(1 - A^r), and the Cobb-Douglas limit
T(x) = A^(1 - exp(-x / ln A)) at s = 1/2. (mu, sigma) are solved per draw so that the top
percentile (99.9%) is m times the median and the mean is 1, as their code does (it solves
by least squares; here a fixed number of Newton steps, which reach the same root).

The aggregate taste of a lab whose AI has taste F is E[max(T, F)], read, as theirs is, from
a grid of 200 floors between the 0.1% and 99.99% quantiles, each integrated on a fixed
grid of 2,000 standard-normal points: the same grid and rule, so the same numbers.
Pure functions of one draw (the caller vmaps).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtr, ndtri
from jaxtyping import Array, Float

from . import _interp as interp
from ._batch import while_each

Scalar = Float[Array, ""]

TOP_PERCENTILE = 0.999  # their "top" researcher
TOP_SD = 3.090232306167813  # norm.ppf(0.999): their TOP_RESEARCHER_SD
_GH_NODES, _GH_WEIGHTS = np.polynomial.hermite.hermgauss(32)
GH_X = np.sqrt(2.0) * _GH_NODES  # E[f(X)], X ~ N(0, 1) = sum(w f(x))
GH_W = _GH_WEIGHTS / np.sqrt(np.pi)
FLOOR_POINTS = 200  # their TASTE_FLOOR_GRID_POINTS
FLOOR_LOW_Q, FLOOR_HIGH_Q = 0.001, 0.9999
Z_FINE = np.linspace(-10.0, 10.0, 2000)
NEWTON_STEPS = 40
LINE_SEARCH = 12
CD_TOLERANCE = 1e-6  # |s - 1/2| below this: the Cobb-Douglas limit


class Taste(NamedTuple):
    """One draw's taste distribution (their ``TasteDistribution``)."""

    limit: Scalar  # A, the upper bound of taste
    a_pow: Scalar  # A^r = (1/s - 1)^2
    c1: Scalar  # 1 - A^r
    r: Scalar  # 2 ln(1/s - 1) / ln A (0 in the Cobb-Douglas limit)
    cobb_douglas: Array  # bool: s within 1e-6 of 1/2
    mu: Scalar
    sigma: Scalar
    mean: Scalar  # E[T] by 32-point Gauss-Hermite (~1)
    floors: Float[Array, " floors"]
    floor_means: Float[Array, " floors"]
    floor_low: Scalar
    floor_high: Scalar
    fit_residual: Scalar  # the largest |residual| of the fit (a draw that fails is flagged)


def _shape(m: Scalar, limit_gaps: Scalar, smoothing: Scalar):
    a = m ** (1.0 + limit_gaps)
    log_a = jnp.log(a)
    odds = 1.0 / smoothing - 1.0
    a_pow = odds * odds
    c1 = 1.0 - a_pow
    cobb_douglas = jnp.abs(smoothing - 0.5) < CD_TOLERANCE
    r = jnp.where(cobb_douglas, 0.0, 2.0 * jnp.log(odds) / log_a)
    return a, a_pow, c1, r, cobb_douglas


def log_transform(x: Array, a: Scalar, a_pow: Scalar, c1: Scalar, r: Scalar, cd: Array) -> Array:
    """ln T(x)."""
    log_a = jnp.log(a)
    safe_r = jnp.where(cd, 1.0, r)
    inner = a_pow + c1 * jnp.exp(jnp.clip(safe_r * x / c1, -700.0, 700.0))
    inner = jnp.where(c1 < 0, jnp.maximum(inner, 0.0), jnp.maximum(inner, 1e-300))
    positive = inner > 0  # (0 only where 1 - A^r < 0, below x_at_zero)
    general = jnp.where(positive, jnp.log(jnp.where(positive, inner, 1.0)) / safe_r, -jnp.inf)
    limit = log_a * (1.0 - jnp.exp(-jnp.clip(x / log_a, -700.0, 700.0)))
    return jnp.where(cd, limit, general)


def transform(x: Array, a: Scalar, a_pow: Scalar, c1: Scalar, r: Scalar, cd: Array) -> Array:
    """T(x): their ``_transform`` (the Cobb-Douglas limit capped at A, as theirs is)."""
    log_a = jnp.log(a)
    safe_r = jnp.where(cd, 1.0, r)
    inner = a_pow + c1 * jnp.exp(jnp.clip(safe_r * x / c1, -700.0, 700.0))
    inner = jnp.where(c1 < 0, jnp.maximum(inner, 0.0), jnp.maximum(inner, 1e-300))
    positive = inner > 0  # the double where keeps the gradient finite at T = 0
    general = jnp.where(positive, jnp.where(positive, inner, 1.0) ** (1.0 / safe_r), 0.0)
    limit = jnp.minimum(a, jnp.exp(log_a * (1.0 - jnp.exp(-jnp.clip(x / log_a, -700.0, 700.0)))))
    return jnp.where(cd, limit, general)


def _x_at_zero(a_pow: Scalar, c1: Scalar, r: Scalar, cd: Array) -> Scalar:
    """Where T reaches 0 (-inf unless 1 - A^r < 0)."""
    safe_c1 = jnp.where(c1 < 0, c1, -1.0)
    safe_r = jnp.where(cd, 1.0, r)
    finite = c1 * jnp.log(a_pow / -safe_c1) / safe_r
    return jnp.where((c1 < 0) & ~cd, finite, -jnp.inf)


def inverse(taste: Array, t: Taste) -> Array:
    """x with T(x) = taste: their ``_inverse_transform`` (``x_at_zero`` at or below 0,
    +inf at or above the limit)."""
    log_a = jnp.log(t.limit)
    mid = (taste > 0) & (taste < t.limit)
    safe = jnp.where(mid, taste, 1.0)
    safe_r = jnp.where(t.cobb_douglas, 1.0, t.r)
    ratio = jnp.maximum((safe**safe_r - t.a_pow) / t.c1, 1e-300)
    general = t.c1 * jnp.log(ratio) / safe_r
    inner = jnp.clip(1.0 - jnp.log(safe) / log_a, 1e-300, np.exp(700.0))
    limit = -log_a * jnp.log(inner)
    x = jnp.where(t.cobb_douglas, limit, general)
    x = jnp.where(taste <= 0, _x_at_zero(t.a_pow, t.c1, t.r, t.cobb_douglas), x)
    x = jnp.where(taste >= t.limit, jnp.inf, x)
    return jnp.where(jnp.isfinite(taste), x, jnp.nan)


def taste_at_sd(sd: Array, t: Taste) -> Array:
    return transform(t.mu + sd * t.sigma, t.limit, t.a_pow, t.c1, t.r, t.cobb_douglas)


def sd_of_taste(taste: Array, t: Taste) -> Array:
    """Standard deviations of ``taste`` in the underlying normal (-inf at or below 0, +inf at
    or above the limit)."""
    sd = (inverse(taste, t) - t.mu) / t.sigma
    sd = jnp.where(taste <= 0, -jnp.inf, sd)
    return jnp.where(taste >= t.limit, jnp.inf, sd)


def taste_at_quantile(q: float, t: Taste) -> Scalar:
    return taste_at_sd(ndtri(jnp.asarray(q, t.mu.dtype)), t)


def _gh_mean(mu: Scalar, sigma: Scalar, shape: tuple) -> Scalar:
    x = mu + sigma * jnp.asarray(GH_X, mu.dtype)
    return jnp.dot(jnp.asarray(GH_W, mu.dtype), transform(x, *shape))


class _Fit(NamedTuple):
    """The fit of one draw's (mu, ln sigma) between Newton steps."""

    m: Scalar
    limit_gaps: Scalar
    smoothing: Scalar
    v: Float[Array, " 2"]
    norm: Scalar  # the residuals' squared norm at v
    improving: Array  # bool: the last step lowered it
    steps: Array


def _residuals(c: _Fit, v: Array) -> Array:
    """The top percentile's ratio to the median against m, and the mean against 1 (in
    logs), at (mu, ln sigma) = v."""
    shape = _shape(c.m, c.limit_gaps, c.smoothing)
    z_p = ndtri(jnp.asarray(TOP_PERCENTILE, c.m.dtype))
    mu, sigma = v[0], jnp.exp(v[1])
    ratio = log_transform(mu + sigma * z_p, *shape) - log_transform(mu, *shape)
    return jnp.stack([ratio - jnp.log(c.m), _gh_mean(mu, sigma, shape) - 1.0])


def _fit_start(m: Scalar, limit_gaps: Scalar, smoothing: Scalar) -> _Fit:
    sigma0 = jnp.log(m) / ndtri(jnp.asarray(TOP_PERCENTILE, m.dtype))
    start = jnp.stack([-0.5 * sigma0**2, jnp.log(jnp.maximum(sigma0, 1e-12))])
    c = _Fit(m, limit_gaps, smoothing, start, jnp.asarray(0.0, m.dtype), jnp.asarray(True),
             jnp.asarray(0, jnp.int32))  # fmt: skip
    first = jnp.sum(_residuals(c, start) ** 2)
    return c._replace(norm=jnp.where(jnp.isfinite(first), first, jnp.inf))


def _newton(c: _Fit) -> _Fit:
    """A Newton step, shortened to whichever of 1, 1/2, ... 1/2^11 of it leaves the
    smallest residual (the full step overshoots where the limit is close to the top);
    none that lowers it: the fit stays where it is (and stops)."""
    fractions = jnp.asarray(0.5 ** np.arange(LINE_SEARCH), c.m.dtype)

    def residuals(v: Array) -> Array:
        return _residuals(c, v)

    step = jnp.linalg.solve(jax.jacfwd(residuals)(c.v), residuals(c.v))
    step = jnp.where(jnp.all(jnp.isfinite(step)), step, 0.0)
    trials = c.v[None, :] - fractions[:, None] * step[None, :]
    norms = jax.vmap(lambda w: jnp.sum(residuals(w) ** 2))(trials)
    norms = jnp.where(jnp.isfinite(norms), norms, jnp.inf)
    better = jnp.min(norms) < c.norm
    return c._replace(
        v=jnp.where(better, trials[jnp.argmin(norms)], c.v),
        norm=jnp.where(better, jnp.min(norms), c.norm),
        improving=better,
        steps=c.steps + 1,
    )


def _fitting(c: _Fit) -> Array:
    # Stopping where a step no longer lowers the residual gives the numbers of NEWTON_STEPS
    # steps (a step that does not lower it leaves the fit as it is) in about 6 of them.
    return c.improving & (c.steps < NEWTON_STEPS)


def _fitted(c: _Fit) -> Taste:
    shape = _shape(c.m, c.limit_gaps, c.smoothing)
    residual = jnp.max(jnp.abs(_residuals(c, c.v)))
    mu, sigma = c.v[0], jnp.exp(c.v[1])
    mean = _gh_mean(mu, sigma, shape)
    empty = jnp.zeros(FLOOR_POINTS, c.m.dtype)
    partial = Taste(*shape, mu, sigma, mean, empty, empty, mu, mu, residual)
    return _with_floor_grid(partial)


def fit(m: Scalar, limit_gaps: Scalar, smoothing: Scalar) -> Taste:
    """The distribution of one draw: median-to-top multiplier ``m``, taste limit in gaps above
    the top ``limit_gaps``, smoothing ``smoothing`` (their ``TasteDistribution``)."""
    return _fitted(jax.lax.while_loop(_fitting, _newton, _fit_start(m, limit_gaps, smoothing)))


def fit_many(m: Float[Array, " draws"], limit_gaps: Float[Array, " draws"],
             smoothing: Float[Array, " draws"]) -> Taste:  # fmt: skip
    """:func:`fit` for many draws (each draw's the same): the Newton steps for the few
    draws that take many (up to 28 where most take 6) run by themselves
    (``_batch.while_each``)."""
    start = jax.vmap(_fit_start)(m, limit_gaps, smoothing)
    return jax.vmap(_fitted)(while_each(_fitting, _newton, start))


def _with_floor_grid(t: Taste) -> Taste:
    """Their ``_precompute_floor_grid``: E[max(T, F)] at 200 floors F."""
    dtype = t.mu.dtype
    low = taste_at_quantile(FLOOR_LOW_Q, t)
    high = taste_at_quantile(FLOOR_HIGH_Q, t)
    unit = jnp.linspace(0.0, 1.0, FLOOR_POINTS, dtype=dtype)
    linear = low + unit * (high - low)
    log_low = jnp.log10(jnp.maximum(low, 1e-10))
    logarithmic = 10.0 ** (log_low + unit * (jnp.log10(high) - log_low))
    floors = jnp.where((low <= 0) | (high <= 0), linear, logarithmic)

    z = jnp.asarray(Z_FINE, dtype)
    shape = (t.limit, t.a_pow, t.c1, t.r, t.cobb_douglas)
    integrand = transform(t.mu + t.sigma * z, *shape) * jax.scipy.stats.norm.pdf(z)
    dz = z[1] - z[0]
    tail = jnp.cumsum(integrand[::-1])[::-1] * dz

    x = inverse(floors, t)
    zf = (x - t.mu) / t.sigma
    place = (zf - Z_FINE[0]) / (Z_FINE[1] - Z_FINE[0])  # evenly spaced: no search
    upper = interp.at(zf, z, interp.spaced_interval(z, zf, place), tail)
    clipped = floors * ndtr(zf) + upper
    means = jnp.where(jnp.isfinite(clipped), jnp.maximum(clipped, floors),
                      jnp.maximum(floors, 1.0))  # fmt: skip
    x_zero = _x_at_zero(t.a_pow, t.c1, t.r, t.cobb_douglas)
    unaffected = (
        (floors <= 0)
        | ~jnp.isfinite(x)
        | (jnp.isfinite(x_zero) & (x <= x_zero))
        | ~jnp.isfinite(zf)
        | (zf <= -10.0)
    )
    means = jnp.where(unaffected, t.mean, means)
    means = jnp.where((floors >= t.limit) & (floors > 0), floors, means)
    return t._replace(floors=floors, floor_means=means, floor_low=low, floor_high=high)


def mean_with_floor(floor: Array, t: Taste) -> Array:
    """E[max(T, floor)]: their ``get_mean_with_floor`` (1 for a non-finite floor)."""
    # the floors are evenly spaced in log (in x where an end is not positive): the
    # interval from the floor's place, not a search
    first, last = t.floors[0], t.floors[-1]
    logarithmic = (t.floor_low > 0) & (t.floor_high > 0)
    log_first = jnp.log10(jnp.where(logarithmic, first, 1.0))
    log_last = jnp.log10(jnp.where(logarithmic, last, 10.0))
    safe = jnp.where(floor > 0, floor, 1.0)
    place = jnp.where(logarithmic, (jnp.log10(safe) - log_first) / (log_last - log_first),
                      (floor - first) / (last - first))  # fmt: skip
    i = interp.spaced_interval(t.floors, floor, place * (FLOOR_POINTS - 1))
    inside = jnp.maximum(interp.at(floor, t.floors, i, t.floor_means), floor)
    out = jnp.where(floor > t.floor_high, floor, inside)
    out = jnp.where(floor >= t.limit, floor, out)
    out = jnp.where(floor < t.floor_low, t.mean, out)
    return jnp.where(jnp.isfinite(floor), out, 1.0)

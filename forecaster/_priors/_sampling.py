"""Device-side sampling of priors: copula uniforms keyed by (seed, draw index), then values.

Every uncertain parameter is drawn by its inverse CDF from a uniform ``u`` that depends on
(seed, draw index) alone, so a run split into chunks, devices or machines draws exactly the
same parameters. A Gaussian copula with a rank-correlation matrix correlates the ``u``.
These are pure JAX functions over a :class:`~forecaster._priors.PriorSet` (host-side specs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import betainc, ndtr, ndtri
from numpyro.distributions.util import clamp_probs
from scipy import special

from ._expressions import evaluate
from ._kinds import piecewise_log_uniform_icdf, skewed_log_uniform_icdf

if TYPE_CHECKING:
    from ._specs import Prior, PriorSet

_BISECTION_STEPS = 40  # halves [0, 1] below float64 resolution of u

#: A prior's numbers as its quantile function reads them on the device: a tuple of arrays.
Inputs = tuple[Any, ...]


def _host(value: Any, dtype: Any) -> np.ndarray:
    """A number computed on the host, as the device reads it (a constant in ``dtype``)."""
    return np.asarray(value, np.dtype(dtype))


def _uniform_inputs(prior: Prior, dtype: Any) -> Inputs:
    low, high = float(prior.args["low"]), float(prior.args["high"])
    return _host(low, dtype), _host(high - low, dtype)  # the span in float64, as NumPyro's


def _uniform(inputs: Inputs, u: jax.Array) -> jax.Array:
    low, span = inputs
    return low + u * span


def _log_uniform_inputs(prior: Prior, dtype: Any) -> Inputs:
    base = prior.distribution.base_dist  # NumPyro's logarithms of the bounds, as it took them
    return np.asarray(base.low), np.asarray(base.high)


def _log_uniform(inputs: Inputs, u: jax.Array) -> jax.Array:
    log_low, log_high = inputs
    return jnp.exp(log_low + u * (log_high - log_low))


def _normal_inputs(prior: Prior, dtype: Any) -> Inputs:
    d = prior.distribution
    base = getattr(d, "base_dist", d)  # a log-normal's normal
    return _host(float(base.loc), dtype), _host(float(base.scale), dtype)


def _normal(inputs: Inputs, u: jax.Array) -> jax.Array:
    loc, scale = inputs
    return loc + scale * ndtri(u)


def _log_normal(inputs: Inputs, u: jax.Array) -> jax.Array:
    return jnp.exp(_normal(inputs, u))


def _truncated_normal_inputs(prior: Prior, dtype: Any) -> Inputs:
    """NumPyro's two-sided truncation's numbers, its tail probabilities computed here in
    float64 (on the side of the location away from ``low``: precise where ``low`` is far out)."""
    a = prior.args
    loc, scale, low, high = (float(a[k]) for k in ("loc", "scale", "low", "high"))
    sign = 1.0 if loc >= low else -1.0

    def tail(bound: float) -> float:
        return float(special.ndtr((loc - sign * (loc - bound) - loc) / scale))

    return tuple(_host(v, dtype) for v in (loc, scale, sign, tail(low), tail(high)))


def _truncated_normal(inputs: Inputs, u: jax.Array) -> jax.Array:
    """NumPyro's ``TwoSidedTruncatedDistribution.icdf`` of a normal, from its inputs."""
    loc, scale, sign, tail_low, tail_high = inputs
    inner = loc + scale * ndtri(clamp_probs((1 - u) * tail_low + u * tail_high))
    ppf = (1 - sign) * loc + sign * inner
    return jnp.where((u < 0) | (u > 1), jnp.nan, ppf)


def _beta_inputs(prior: Prior, dtype: Any) -> Inputs:
    return _host(float(prior.args["a"]), dtype), _host(float(prior.args["b"]), dtype)


def _beta(inputs: Inputs, u: jax.Array) -> jax.Array:
    return beta_icdf(u, *inputs)


def _choice_inputs(prior: Prior, dtype: Any) -> Inputs:
    choice = prior.distribution
    return _host(choice.values, dtype), _host(choice.cumulative, dtype)


def _choice(inputs: Inputs, u: jax.Array) -> jax.Array:
    values, cumulative = jnp.asarray(inputs[0]), inputs[1]
    index = jnp.searchsorted(cumulative, u, side="left")
    return values[jnp.minimum(index, values.shape[0] - 1)]


def _skewed_inputs(prior: Prior, dtype: Any) -> Inputs:
    d = prior.distribution
    return _host(d.logs, dtype), _host(d.code, np.int32)


def _skewed(inputs: Inputs, u: jax.Array) -> jax.Array:
    return skewed_log_uniform_icdf(u, *inputs)


def _piecewise_inputs(prior: Prior, dtype: Any) -> Inputs:
    d = prior.distribution
    return _host(d.cdf, dtype), _host(d.log10_values, dtype), _host(d.floor, dtype)


def _piecewise(inputs: Inputs, u: jax.Array) -> jax.Array:
    return piecewise_log_uniform_icdf(u, *inputs)


def _fixed_inputs(prior: Prior, dtype: Any) -> Inputs:
    return (_host(float(prior.args["value"]), dtype),)


#: Each kind a forecast draws by its uniform, on the device: (the prior's numbers from its
#: spec, host-side; its quantile function of those numbers and u). Posterior files are
#: drawn from their own rows (not here); fixed values have no quantile function.
QUANTILES: dict[str, tuple[Callable[[Prior, Any], Inputs], Callable[..., jax.Array] | None]] = {
    "fixed": (_fixed_inputs, None),
    "uniform": (_uniform_inputs, _uniform),
    "log_uniform": (_log_uniform_inputs, _log_uniform),
    "normal": (_normal_inputs, _normal),
    "log_normal": (_normal_inputs, _log_normal),
    "truncated_normal": (_truncated_normal_inputs, _truncated_normal),
    "beta": (_beta_inputs, _beta),
    "choice": (_choice_inputs, _choice),
    "skewed_log_uniform": (_skewed_inputs, _skewed),
    "piecewise_log_uniform": (_piecewise_inputs, _piecewise),
}


def prior_inputs(prior_set: PriorSet, dtype: Any) -> dict[str, Any]:
    """The priors' values as the device reads them (a pytree of arrays): each prior's numbers
    (:data:`QUANTILES`), each point mass's (probability, value) and the copula's Cholesky
    factor. Passed to the compiled kernel as an argument, so a changed bound, median, fixed
    value or correlation runs the same program (:meth:`PriorSet.bind`)."""
    numbers = {
        p.name: QUANTILES[p.kind][0](p, dtype) for p in prior_set.priors if p.kind in QUANTILES
    }
    masses = {p.name: (_host(p.p_mass, dtype), _host(p.mass_at, dtype)) for p in prior_set.masses}
    lower = prior_set.cholesky
    return {
        "numbers": numbers,
        "masses": masses,
        "cholesky": None if lower is None else _host(lower, dtype),
    }


def _inputs_of(prior_set: PriorSet, dtype: Any) -> dict[str, Any]:
    """The values device code reads: those bound to the set (the kernel's argument) or,
    unbound, the specs' own as constants."""
    return prior_set.bound if prior_set.bound is not None else prior_inputs(prior_set, dtype)


def icdf(prior: Prior, u: jax.Array, inputs: Inputs | None = None) -> jax.Array:
    """Quantile function of one prior: maps uniform draws to parameter values (``inputs``:
    its numbers as the kernel was given them; by default its spec's)."""
    make, quantile = QUANTILES.get(prior.kind, (None, None))
    if make is None:
        return prior.distribution.icdf(u)  # a posterior file's draws
    numbers = make(prior, u.dtype) if inputs is None else inputs
    if quantile is None:  # fixed
        return jnp.broadcast_to(jnp.asarray(numbers[0], u.dtype), u.shape)
    return quantile(numbers, u)


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
    seed: int | jax.Array,
    index_hi: jax.Array,
    index_lo: jax.Array,
    dtype: Any,
    stream: int = 0,
    extra: int = 0,
) -> jax.Array:
    """The copula uniforms of the draws with 64-bit indices (hi, lo), shape [n, n_uncertain]:
    :func:`mix` of :func:`raw_uniforms`."""
    raw = raw_uniforms(prior_set, seed, index_hi, index_lo, dtype, stream, extra)
    return mix(prior_set, raw, dtype)


def raw_uniforms(
    prior_set: PriorSet,
    seed: int | jax.Array,
    index_hi: jax.Array,
    index_lo: jax.Array,
    dtype: Any,
    stream: int | jax.Array = 0,
    extra: int = 0,
) -> jax.Array:
    """Independent uniforms of the draws with 64-bit indices (hi, lo), [n, columns].

    Draw i gets key fold_in(fold_in(PRNGKey(seed), i_hi), i_lo) with i split into two 32-bit
    words, so draws are a function of (seed, i) alone for up to 2^64 draws (``seed`` may be
    given as its key, ``PRNGKey(seed)``, a kernel's argument). ``stream`` (not 0) gives an
    independent stream for another stage or candidate (folded in after the index). One
    column per drawn prior (the copula's), then one per prior mixed with a point mass (its
    coin, :attr:`PriorSet.masses`), then ``extra`` more."""
    k = len(prior_set.uncertain)
    extra = extra + len(prior_set.masses)
    base = jax.random.PRNGKey(seed) if np.ndim(seed) == 0 else seed  # an int, or its key
    folds = not (isinstance(stream, int) and stream == 0)

    def one(h, l):
        key = jax.random.fold_in(jax.random.fold_in(base, h), l)
        if folds:
            key = jax.random.fold_in(key, stream)
        return jax.random.uniform(key, (k + extra,), dtype=dtype)

    return jax.vmap(one)(index_hi, index_lo)


def mix(prior_set: PriorSet, u: jax.Array, dtype: Any) -> jax.Array:
    """The copula's uniforms from independent ones (:func:`raw_uniforms`): the drawn priors'
    columns correlated by the Gaussian copula, the rest as they are. A prior drawn only above
    a value (its uniform's ``floor``, :class:`~._kinds.PiecewiseLogUniform`) enters the copula
    with its restricted score; its column stays its own uniform (its quantile restricts it)."""
    k = len(prior_set.uncertain)
    inputs = _inputs_of(prior_set, dtype)
    floored = [j for j, p in enumerate(prior_set.uncertain) if "above" in p.args]
    lower = inputs["cholesky"]
    if lower is not None:
        scores = u
        for j in floored:
            floor = inputs["numbers"][prior_set.uncertain[j].name][2]
            scores = scores.at[:, j].set(floor + (1 - floor) * u[:, j])
        # Keep u strictly inside (0, 1) so ndtri stays finite in float32.
        tiny = jnp.finfo(dtype).eps
        x = ndtri(jnp.clip(scores, tiny, 1 - tiny))
        # z = x @ L.T summed term by term in a fixed order: a matmul's rounding depends on the
        # batch shape, which would make a draw depend on the chunk size (or device count).
        z = []
        for j in range(k):
            zj = x[:, 0] * lower[j, 0]
            for i in range(1, j + 1):
                zj = zj + x[:, i] * lower[j, i]
            z.append(zj)
        mixed = ndtr(jnp.stack(z, axis=1).astype(dtype))
        for j in floored:  # its own uniform: its quantile restricts it
            mixed = mixed.at[:, j].set(u[:, j])
        u = jnp.concatenate([mixed, u[:, k:]], axis=1)
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
    inputs = _inputs_of(prior_set, dtype)
    numbers, masses = inputs["numbers"], inputs["masses"]
    for prior in prior_set.priors:
        if prior.fixed:
            values[prior.name] = jnp.full((n,), numbers[prior.name][0], dtype)
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
            values[prior.name] = icdf(prior, u[:, column], numbers.get(prior.name)).astype(dtype)
        if prior.p_mass > 0:
            p_mass, mass_at = masses[prior.name]
            at_mass = u[:, coin] < p_mass
            values[prior.name] = jnp.where(at_mass, mass_at, values[prior.name])
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


#: The candidates of a resampled draw take streams from here on (the timelines stage: 1).
RESAMPLE_STREAM = 1000
#: Candidates every block tries before it tries the rest (only when one of its draws needs
#: them): Epoch's FTM accepts 81% of candidates, and a block of 256 draws has one needing more
#: than 16 about a time in four.
FIRST_CANDIDATES = 16


def resampled(
    priors: PriorSet, key: jax.Array, index_hi: jax.Array, index_lo: jax.Array, dtype: Any,
    accepts: Callable[[dict[str, jax.Array]], jax.Array],
) -> tuple[jax.Array, dict[str, jax.Array], jax.Array]:  # fmt: skip
    """A block's draws under ``priors.resample``: each draw's candidates (the first its own
    uniforms, the others from streams of their own, the kept priors' uniforms shared) drawn
    and checked by ``accepts`` (the candidates' values [candidates, draws] -> accepted: the
    model's rule); each draw keeps its first accepted candidate (its
    uniforms and values) and whether there was one. A function of (seed, draw index) alone,
    like every draw.

    The first :data:`FIRST_CANDIDATES` are tried for the whole block; the rest only when a
    draw of the block has none of those accepted (their results are added to the first
    ones', never recomputed: each candidate's numbers come from one program)."""
    spec = priors.resample
    assert spec is not None
    first = raw_uniforms(priors, key, index_hi, index_lo, dtype)
    rows = jnp.arange(first.shape[0])

    def candidates(lo: int, hi: int) -> tuple[jax.Array, dict[str, jax.Array], jax.Array]:
        """Candidates lo .. hi - 1: uniforms [c, n, columns], values [c, n], accepted [c, n]."""
        streams = RESAMPLE_STREAM + jnp.arange(lo, hi, dtype=jnp.uint32)
        raw = jax.vmap(lambda stream: raw_uniforms(priors, key, index_hi, index_lo, dtype, stream))(
            streams
        )
        raw = raw.at[:, :, : spec.keep].set(first[None, :, : spec.keep])
        if lo == 0:  # candidate 0 is the draw's own uniforms
            raw = raw.at[0].set(first)
        u = jax.vmap(lambda r: mix(priors, r, dtype))(raw)
        values = jax.vmap(lambda v: transform(priors, v, dtype))(u)
        return u, values, accepts(values)

    def pick(u: jax.Array, values: dict[str, jax.Array], ok: jax.Array) -> Any:
        index = jnp.argmax(ok, axis=0)  # the first accepted (0 when none is)
        chosen = jax.tree.map(lambda a: a[index, rows], values)
        return u[index, rows], chosen, jnp.any(ok, axis=0)

    few = min(FIRST_CANDIDATES, spec.candidates)
    head = candidates(0, few)
    if few == spec.candidates:
        return pick(*head)

    def all_of_them() -> Any:
        tail = candidates(few, spec.candidates)
        joined = jax.tree.map(lambda a, b: jnp.concatenate([a, b]), head, tail)
        return pick(*joined)

    return jax.lax.cond(jnp.all(jnp.any(head[2], axis=0)), lambda: pick(*head), all_of_them)

"""Priors over the model parameters: YAML specifications mapped to NumPyro distributions.

Every uncertain parameter is drawn by its inverse CDF from a uniform ``u`` that depends on
(seed, draw index) alone, so a run split into chunks, devices or machines draws exactly the
same parameters. A Gaussian copula with a rank-correlation matrix correlates the ``u``.

Specification forms (YAML), for a parameter of ``forecaster.PARAMETERS`` or the derived
``ceiling_years`` (distance to limits in years of progress; D = ceiling_years (1/Ts)/s)::

    8.0                                          # fixed
    {dist: fixed, value: 8.0}
    {dist: uniform, low: 6, high: 16}
    {dist: log_uniform, low: 2, high: 32}
    {dist: normal, loc: 0, scale: 1}
    {dist: log_normal, median: 1.2, sigma: 0.5}
    {dist: log_normal, low: 0.5, high: 3, coverage: 0.8}   # central 80% interval
    {dist: beta, a: 2, b: 5}
    {dist: truncated_normal, loc: 0.3, scale: 0.1, low: 0.05, high: 1}
    {dist: posterior, path: outputs/calibrate/returns/.../posterior.nc, variable: r_new}
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
from jax.scipy.special import betainc, ndtr, ndtri
from scipy import stats

from ._errors import ConfigError
from ._parameters import PARAMETERS, ParameterSpec

DERIVED: dict[str, ParameterSpec] = {
    "ceiling_years": ParameterSpec(
        11.0, 0.0, math.inf, True, True, "years of progress", "distance to the effective limits"
    ),
}
MODEL_TABLE: dict[str, ParameterSpec] = {**PARAMETERS, **DERIVED}
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "fixed": ("value",),
    "uniform": ("low", "high"),
    "log_uniform": ("low", "high"),
    "normal": ("loc", "scale"),
    "log_normal": ("median", "sigma"),  # or low, high, coverage
    "beta": ("a", "b"),
    "truncated_normal": ("loc", "scale", "low", "high"),
    "posterior": ("path", "variable"),
}
_LOG_NORMAL_INTERVAL = ("low", "high", "coverage")
_BISECTION_STEPS = 40  # halves [0, 1] below float64 resolution of u


class PosteriorSamples:
    """Draws of one variable from a saved posterior, resampled through their empirical CDF.

    Reads an ArviZ netCDF file (``posterior`` group, chains x draws flattened) or a CSV with a
    column of that name. ``icdf(u)`` returns the sorted draw at rank ``floor(u n)``, which is
    resampling with replacement and keeps rank correlations of the copula.
    """

    def __init__(self, path: str, variable: str, field: str):
        file = Path(path).expanduser()
        if not file.is_file():
            raise ConfigError(f"{field}.path", path, "an existing posterior file (.nc or .csv)")
        values = _read_posterior(file, variable, field)
        values = values[np.isfinite(values)]
        if values.size == 0:
            raise ConfigError(f"{field}.variable", variable, "a variable with finite draws")
        self.path = str(file.resolve())
        self.variable = variable
        self.sorted = np.sort(values)

    @property
    def support(self) -> tuple[float, float]:
        return float(self.sorted[0]), float(self.sorted[-1])

    def icdf(self, u: jax.Array) -> jax.Array:
        n = self.sorted.size
        rank = jnp.clip(jnp.floor(u * n).astype(jnp.int32), 0, n - 1)
        return jnp.asarray(self.sorted, u.dtype)[rank]


def _read_posterior(file: Path, variable: str, field: str) -> np.ndarray:
    if file.suffix == ".csv":
        import pandas as pd

        frame = pd.read_csv(file)
        if variable not in frame.columns:
            raise ConfigError(f"{field}.variable", variable, f"a column of {file}: {list(frame)}")
        return pd.to_numeric(frame[variable], errors="coerce").to_numpy(float)
    if file.suffix in (".nc", ".netcdf", ".h5"):
        from ._arviz import az

        try:
            idata = az.from_netcdf(file)
        except Exception as exc:  # a corrupt or foreign file is the user's to fix
            raise ConfigError(f"{field}.path", str(file), f"an ArviZ netCDF file ({exc})") from None
        posterior = idata.posterior
        if variable not in posterior.data_vars:
            allowed = sorted(posterior.data_vars)
            raise ConfigError(f"{field}.variable", variable, f"a posterior variable: {allowed}")
        return np.asarray(posterior[variable].values, dtype=float).reshape(-1)
    raise ConfigError(f"{field}.path", str(file), "a .nc (ArviZ netCDF) or .csv file")


@dataclasses.dataclass(frozen=True)
class Prior:
    """One parameter's prior: the spec as given and the distribution it maps to."""

    name: str
    kind: str
    args: Mapping[str, Any]
    distribution: Any  # a numpyro Distribution, or PosteriorSamples

    @property
    def fixed(self) -> bool:
        return self.kind == "fixed"

    def icdf(self, u: jax.Array) -> jax.Array:
        """Quantile function: maps a uniform draw to the parameter value."""
        if self.kind == "beta":
            return _beta_icdf(u, float(self.args["a"]), float(self.args["b"]))
        return self.distribution.icdf(u)

    def support(self) -> tuple[float, float]:
        if self.kind == "fixed":
            v = float(self.args["value"])
            return v, v
        if self.kind == "posterior":
            return self.distribution.support
        if self.kind in ("uniform", "log_uniform", "truncated_normal"):
            return float(self.args["low"]), float(self.args["high"])
        if self.kind == "log_normal":
            return 0.0, math.inf
        if self.kind == "beta":
            return 0.0, 1.0
        return -math.inf, math.inf

    def scipy(self) -> Any:
        """The same distribution in scipy.stats (for tests and reports); None for posteriors."""
        a = self.args
        if self.kind == "uniform":
            return stats.uniform(a["low"], a["high"] - a["low"])
        if self.kind == "log_uniform":
            return stats.loguniform(a["low"], a["high"])
        if self.kind == "normal":
            return stats.norm(a["loc"], a["scale"])
        if self.kind == "log_normal":
            median, sigma = _log_normal_median_sigma(a)
            return stats.lognorm(s=sigma, scale=median)
        if self.kind == "beta":
            return stats.beta(a["a"], a["b"])
        if self.kind == "truncated_normal":
            lo = (a["low"] - a["loc"]) / a["scale"]
            hi = (a["high"] - a["loc"]) / a["scale"]
            return stats.truncnorm(lo, hi, loc=a["loc"], scale=a["scale"])
        return None


def _beta_icdf(u: jax.Array, a: float, b: float) -> jax.Array:
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


def _log_normal_median_sigma(args: Mapping[str, Any]) -> tuple[float, float]:
    if "median" in args:
        return float(args["median"]), float(args["sigma"])
    low, high, coverage = float(args["low"]), float(args["high"]), float(args["coverage"])
    z = stats.norm.ppf(0.5 + coverage / 2)
    return math.sqrt(low * high), (math.log(high) - math.log(low)) / (2 * z)


def _number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(field, value, "a number")
    if not math.isfinite(float(value)):
        raise ConfigError(field, value, "a finite number")
    return float(value)


def _positive(field: str, value: Any) -> float:
    v = _number(field, value)
    if v <= 0:
        raise ConfigError(field, value, "a number > 0")
    return v


def _ordered(field: str, low: float, high: float) -> None:
    if not low < high:
        raise ConfigError(f"{field}.high", high, f"a number > low ({low:g})")


_COMPACT = re.compile(r"^\s*(\w+)\s*\((.*)\)\s*$")


def _parse_compact(text: str, field: str) -> dict[str, Any]:
    """``"log_uniform(low=2, high=32)"`` -> ``{dist: log_uniform, low: 2, high: 32}``.

    The compact form is what summaries print, and it replaces a preset's prior from the
    command line in one override (a mapping override would merge into the old one).
    """
    match = _COMPACT.match(text)
    if not match:
        raise ConfigError(field, text, "a number, a mapping, or 'dist(key=value, ...)'")
    spec: dict[str, Any] = {"dist": match.group(1)}
    for item in filter(None, (part.strip() for part in match.group(2).split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(
                field, text, "arguments written key=value, e.g. uniform(low=1, high=2)"
            )
        try:
            spec[key.strip()] = float(value)
        except ValueError:
            spec[key.strip()] = value.strip()
    return spec


def parse_prior(
    name: str,
    spec: Any,
    field: str | None = None,
    table: Mapping[str, ParameterSpec] | None = None,
) -> Prior:
    """Map one YAML prior specification to a :class:`Prior`, checking every value.

    Raises:
        ConfigError: naming the field, the value and what is allowed.
    """
    field = field or f"scenario.params.{name}"
    table = MODEL_TABLE if table is None else table
    if name not in table:
        allowed = list(table)
        raise ConfigError(field, name, f"a parameter name, one of {allowed}")
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        spec = {"dist": "fixed", "value": spec}
    if isinstance(spec, str):
        spec = _parse_compact(spec, field)
    if not isinstance(spec, Mapping):
        raise ConfigError(field, spec, "a number or a mapping with 'dist' (a prior spec)")
    spec = dict(spec)
    kind = spec.pop("dist", None)
    if kind not in DISTRIBUTIONS:
        raise ConfigError(f"{field}.dist", kind, f"one of {list(DISTRIBUTIONS)}")
    needed = DISTRIBUTIONS[kind]
    if kind == "log_normal" and "median" not in spec:
        needed = _LOG_NORMAL_INTERVAL
    missing = [k for k in needed if k not in spec]
    extra = [k for k in spec if k not in needed]
    if missing:
        raise ConfigError(f"{field}.{missing[0]}", None, f"required for dist={kind}: {needed}")
    if extra:
        raise ConfigError(f"{field}.{extra[0]}", spec[extra[0]], f"dist={kind} takes {needed}")

    prior = Prior(name, kind, spec, _distribution(kind, spec, field))
    _check_support(prior, field, table[name])
    return prior


def _distribution(kind: str, a: dict[str, Any], field: str) -> Any:
    if kind == "fixed":
        value = a["value"]
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
            raise ConfigError(f"{field}.value", value, "a number, finite or where allowed inf")
        return dist.Delta(float(value))  # +-inf only where the parameter's range allows it
    if kind == "uniform":
        low, high = _number(f"{field}.low", a["low"]), _number(f"{field}.high", a["high"])
        _ordered(field, low, high)
        return dist.Uniform(low, high)
    if kind == "log_uniform":
        low, high = _positive(f"{field}.low", a["low"]), _positive(f"{field}.high", a["high"])
        _ordered(field, low, high)
        return dist.LogUniform(low, high)
    if kind == "normal":
        return dist.Normal(
            _number(f"{field}.loc", a["loc"]), _positive(f"{field}.scale", a["scale"])
        )
    if kind == "log_normal":
        if "median" in a:
            _positive(f"{field}.median", a["median"])
            _positive(f"{field}.sigma", a["sigma"])
        else:
            low, high = _positive(f"{field}.low", a["low"]), _positive(f"{field}.high", a["high"])
            _ordered(field, low, high)
            coverage = _number(f"{field}.coverage", a["coverage"])
            if not 0 < coverage < 1:
                raise ConfigError(
                    f"{field}.coverage", a["coverage"], "a number in (0, 1), e.g. 0.8"
                )
        median, sigma = _log_normal_median_sigma(a)
        return dist.LogNormal(math.log(median), sigma)
    if kind == "beta":
        return dist.Beta(_positive(f"{field}.a", a["a"]), _positive(f"{field}.b", a["b"]))
    if kind == "truncated_normal":
        low, high = _number(f"{field}.low", a["low"]), _number(f"{field}.high", a["high"])
        _ordered(field, low, high)
        loc = _number(f"{field}.loc", a["loc"])
        return dist.TruncatedNormal(
            loc, _positive(f"{field}.scale", a["scale"]), low=low, high=high
        )
    if kind == "posterior":
        for key in ("path", "variable"):
            if not isinstance(a[key], str) or not a[key]:
                raise ConfigError(f"{field}.{key}", a[key], "a non-empty string")
        return PosteriorSamples(a["path"], a["variable"], field)
    raise AssertionError(kind)


# Distributions whose support is open: the endpoints of support() are never drawn, so an
# endpoint may equal the parameter's bound even where that bound is open (log_normal on r0).
_OPEN_SUPPORT = ("normal", "log_normal", "beta")


def _check_support(prior: Prior, field: str, spec: ParameterSpec) -> None:
    low, high = prior.support()
    is_open = prior.kind in _OPEN_SUPPORT
    low_ok = spec.contains(low) or (is_open and low >= spec.low)
    high_ok = spec.contains(high) or (is_open and high <= spec.high)
    if not (low_ok and high_ok):
        if prior.kind == "fixed":
            raise ConfigError(field, low, spec.describe())
        raise ConfigError(
            field,
            f"{prior.kind} with support [{low:g}, {high:g}]",
            f"a prior inside {prior.name}'s range, {spec.describe()}"
            + (" (use truncated_normal or log_normal)" if prior.kind == "normal" else ""),
        )


@dataclasses.dataclass(frozen=True)
class PriorSet:
    """All priors of a scenario, the order of the uncertain ones and their copula."""

    priors: tuple[Prior, ...]
    cholesky: np.ndarray | None  # of the Gaussian copula's correlation matrix

    @property
    def uncertain(self) -> tuple[Prior, ...]:
        return tuple(p for p in self.priors if not p.fixed)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.priors)

    def fixed_values(self) -> dict[str, float | None]:
        """Each model parameter's value when it is the same for every draw, else None."""
        out: dict[str, float | None] = {n: spec.default for n, spec in PARAMETERS.items()}
        for p in self.priors:
            out[p.name] = float(p.args["value"]) if p.fixed else None
        if "ceiling_years" in out:
            years = out.pop("ceiling_years")
            ts, share = out["Ts"], out["software_share"]
            known = None not in (years, ts, share)
            out["ceiling_doublings"] = years / (ts * share) if known else None
        return out

    def describe(self) -> dict[str, str]:
        """A readable line per parameter, for summaries and reports."""
        out = {}
        for p in self.priors:
            args = ", ".join(f"{k}={v}" for k, v in p.args.items())
            out[p.name] = f"{p.kind}({args})"
        return out


def build_prior_set(
    specs: Mapping[str, Any],
    correlations: Sequence[Mapping[str, Any]] = (),
    field: str = "scenario",
    table: Mapping[str, ParameterSpec] | None = None,
) -> PriorSet:
    """Parse all parameter specs and the optional rank correlations.

    ``correlations`` is a list of ``{params: [a, b], rank: rho_s}`` (Spearman's rho between
    two uncertain parameters). The copula's Gaussian correlation is 2 sin(pi rho_s / 6).
    """
    if "ceiling_years" in specs and "ceiling_doublings" in specs:
        raise ConfigError(
            f"{field}.params.ceiling_years",
            specs["ceiling_years"],
            "either ceiling_years or ceiling_doublings, not both",
        )
    table = MODEL_TABLE if table is None else table
    order = list(table)
    priors = tuple(
        parse_prior(name, specs[name], f"{field}.params.{name}", table)
        for name in sorted(specs, key=lambda n: order.index(n) if n in order else -1)
    )
    uncertain = [p.name for p in priors if not p.fixed]
    return PriorSet(priors, _copula_cholesky(uncertain, correlations, f"{field}.correlations"))


def _copula_cholesky(
    uncertain: list[str], correlations: Sequence[Mapping[str, Any]], field: str
) -> np.ndarray | None:
    if not correlations:
        return None
    k = len(uncertain)
    corr = np.eye(k)
    for i, entry in enumerate(correlations):
        item = f"{field}[{i}]"
        if not isinstance(entry, Mapping) or set(entry) != {"params", "rank"}:
            raise ConfigError(item, entry, "a mapping {params: [a, b], rank: r}")
        pair = list(entry["params"])
        if len(pair) != 2 or pair[0] == pair[1]:
            raise ConfigError(f"{item}.params", pair, "two different parameter names")
        for name in pair:
            if name not in uncertain:
                raise ConfigError(f"{item}.params", name, f"an uncertain parameter: {uncertain}")
        rank = _number(f"{item}.rank", entry["rank"])
        if not -1 < rank < 1:
            raise ConfigError(f"{item}.rank", rank, "a rank correlation in (-1, 1)")
        a, b = uncertain.index(pair[0]), uncertain.index(pair[1])
        corr[a, b] = corr[b, a] = 2 * math.sin(math.pi * rank / 6)
    eigenvalues = np.linalg.eigvalsh(corr)
    if eigenvalues.min() <= 1e-10:
        raise ConfigError(
            field, correlations, "rank correlations forming a positive definite matrix"
        )
    return np.linalg.cholesky(corr)


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
    gives an independent stream for another stage (folded in after the index); ``extra``
    appends that many independent uniforms (not copula-correlated) as last columns.
    """
    k = len(prior_set.uncertain)
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
        u = ndtr(jnp.stack(z, axis=1).astype(dtype))
    # uniform() can return 0 and ndtr() rounds to 0 or 1 in the tails, where an open-support
    # icdf (log_normal, normal) gives 0 or +-inf: move only those values inside (0, 1).
    finfo = jnp.finfo(dtype)
    return jnp.clip(u, finfo.tiny, 1 - finfo.epsneg)


def transform(prior_set: PriorSet, u: jax.Array, dtype: Any) -> dict[str, jax.Array]:
    """Parameter values from copula uniforms [n, n_uncertain]: fixed ones broadcast."""
    n = u.shape[0]
    values: dict[str, jax.Array] = {}
    column = 0
    for prior in prior_set.priors:
        if prior.fixed:
            values[prior.name] = jnp.full((n,), float(prior.args["value"]), dtype)
        else:
            values[prior.name] = prior.icdf(u[:, column]).astype(dtype)
            column += 1
    return values


def model_values(values: Mapping[str, jax.Array], n: int, dtype: Any) -> dict[str, jax.Array]:
    """Complete a draw's values to every model parameter: defaults and derived ones."""
    out = {
        name: values.get(name, jnp.full((n,), spec.default, dtype))
        for name, spec in PARAMETERS.items()
    }
    if "ceiling_years" in values:
        out["ceiling_doublings"] = values["ceiling_years"] / (out["Ts"] * out["software_share"])
    return out

"""The prior vocabulary: every distribution a forecast or a calibration may name, in one table.

Each kind lists its arguments, builds its NumPyro distribution after checking them, and says
where it can serve: a forecast draws a prior through its inverse CDF (``quantile``), NUTS
needs its log density (``density``). Forecast and calibration configs share the names and
argument names, and both accept the compact form ``log_normal(median=2, sigma=1)``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpyro.distributions as dist
import pandas as pd
from scipy import stats

from .. import _validate as check
from .._errors import ConfigError
from ._expressions import parse as parse_expression
from ._posterior import RESAMPLING, PosteriorSamples

Args = Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class Kind:
    """One distribution of the vocabulary.

    Attributes:
        args: its arguments, in order; ``alternative_args`` another accepted set.
        build: checks the arguments (``field`` names them in errors) and returns the
            distribution (a NumPyro Distribution, or :class:`PosteriorSamples`).
        support: the closed hull of the values it can take.
        scipy: the same distribution in scipy.stats, for tests and reports (None: none).
        quantile: has an inverse CDF, so a forecast can draw it by the copula's uniforms.
        density: has a log density, so a calibration model can use it.
        open_support: the ends of ``support`` are never drawn.
        positive: its values are >= 0 whatever the arguments (fit for a scale or a rate).
        optional_args: arguments it may be given besides ``args``.
        derived: a function of other parameters (``expr``), not drawn.
    """

    args: tuple[str, ...]
    build: Callable[[Args, str], Any]
    support: Callable[[Args], tuple[float, float]]
    scipy: Callable[[Args], Any] | None = None
    quantile: bool = True
    density: bool = True
    open_support: bool = False
    positive: bool = False
    alternative_args: tuple[str, ...] | None = None
    optional_args: tuple[str, ...] = ()
    derived: bool = False

    def needed(self, given: Args) -> tuple[str, ...]:
        """The argument set ``given`` is written in."""
        if self.alternative_args and self.args[0] not in given:
            return self.alternative_args
        return self.args


def _interval(field: str, a: Args, positive: bool = False) -> tuple[float, float]:
    take = check.positive if positive else check.finite
    low, high = take(f"{field}.low", a["low"]), take(f"{field}.high", a["high"])
    check.ordered(f"{field}.high", low, high)
    return low, high


def _fixed(a: Args, field: str) -> Any:
    value = a["value"]
    if not check.is_number(value) or math.isnan(value):
        raise ConfigError(f"{field}.value", value, "a number, finite or where allowed inf")
    return dist.Delta(float(value))  # +-inf only where the parameter's range allows it


def log_normal_median_sigma(a: Args) -> tuple[float, float]:
    """Median and sigma of a log-normal given either way (median/sigma or an interval)."""
    if "median" in a:
        return float(a["median"]), float(a["sigma"])
    low, high, coverage = float(a["low"]), float(a["high"]), float(a["coverage"])
    z = stats.norm.ppf(0.5 + coverage / 2)
    return math.sqrt(low * high), (math.log(high) - math.log(low)) / (2 * z)


def _log_normal(a: Args, field: str) -> Any:
    if "median" in a:
        check.positive(f"{field}.median", a["median"])
        check.positive(f"{field}.sigma", a["sigma"])
    else:
        _interval(field, a, positive=True)
        check.number(
            f"{field}.coverage", a["coverage"], 0.0, 1.0, allowed="a number in (0, 1), e.g. 0.8"
        )
    median, sigma = log_normal_median_sigma(a)
    return dist.LogNormal(math.log(median), sigma)


def _truncated_normal(a: Args, field: str) -> Any:
    low, high = _interval(field, a)
    loc = check.finite(f"{field}.loc", a["loc"])
    return dist.TruncatedNormal(
        loc, check.positive(f"{field}.scale", a["scale"]), low=low, high=high
    )


def _posterior(a: Args, field: str) -> Any:
    for key in ("path", "variable"):
        check.text(f"{field}.{key}", a[key])
    resample = check.choice(f"{field}.resample", a.get("resample", "joint"), RESAMPLING)
    return PosteriorSamples(a["path"], a["variable"], field, joint=resample == "joint")


def _truncnorm(a: Args) -> Any:
    lo, hi = (a["low"] - a["loc"]) / a["scale"], (a["high"] - a["loc"]) / a["scale"]
    return stats.truncnorm(lo, hi, loc=a["loc"], scale=a["scale"])


def _log_normal_scipy(a: Args) -> Any:
    median, sigma = log_normal_median_sigma(a)
    return stats.lognorm(s=sigma, scale=median)


#: Any drawn kind may be mixed with a point mass: ``p_mass`` of the draws take ``mass_at``
#: (default 0), decided by a uniform of their own (independent of the copula), the others
#: the distribution (AI 2027's "15% chance SC to SAR takes no time").
MASS_ARGS = ("p_mass", "mass_at")

_REAL_LINE = (-math.inf, math.inf)
_POSITIVE = (0.0, math.inf)


class Choice:
    """A discrete choice drawn by its uniform as a quantile: ``values[k]`` for the first k
    with u <= p_0 + ... + p_k (the AI Futures Model's sampler's rule, so a preset of theirs
    draws the same choice from the same uniform)."""

    def __init__(self, values: Sequence[float], p: Sequence[float]):
        self.values = np.asarray(values, float)
        self.cumulative = np.cumsum(np.asarray(p, float))

    @property
    def support(self) -> Any:
        return (float(self.values.min()), float(self.values.max()))

    def icdf(self, u: Any) -> Any:
        index = jnp.searchsorted(jnp.asarray(self.cumulative, u.dtype), u, side="left")
        return jnp.asarray(self.values, u.dtype)[jnp.minimum(index, self.values.size - 1)]

    def sample(self, key: Any, sample_shape: tuple[int, ...] = ()) -> Any:
        return self.icdf(jax.random.uniform(key, sample_shape))


def _choice(a: Args, field: str) -> Choice:
    values, p = a["values"], a["p"]
    if not isinstance(values, Sequence) or isinstance(values, str) or not values:
        raise ConfigError(f"{field}.values", values, "a non-empty list of numbers")
    for v in values:
        check.finite(f"{field}.values", v)
    if not isinstance(p, Sequence) or isinstance(p, str) or len(p) != len(values):
        raise ConfigError(f"{field}.p", p, f"a list of {len(values)} probabilities")
    for q in p:
        check.number(f"{field}.p", q, 0.0, 1.0, high_open=False)
    if abs(sum(float(q) for q in p) - 1.0) > 1e-9:
        raise ConfigError(f"{field}.p", p, "probabilities that sum to 1")
    return Choice([float(v) for v in values], [float(q) for q in p])


#: The transforms of :class:`SkewedLogUniform`, by name: each maps the parameter to a positive
#: number whose logarithm is uniform piece by piece.
TRANSFORMS = ("pos", "neg", "frac", "inv_frac")


class SkewedLogUniform:
    """Epoch's ``SkewedLogUniform`` (their Full Takeoff Model's marginals): a parameter whose
    transform (``pos``: itself, ``neg``: minus itself, ``frac``: x / (1 - x), ``inv_frac``:
    that of 1 / x) is log-uniform between ``low`` and ``med`` with probability 1/2 and
    between ``med`` and ``high`` with 1/2; ``low`` and ``high`` are swapped when ``high`` is
    the smaller, as theirs are. ``logs`` holds their ln of the transformed low, med, high
    (computed as they compute them, in float64)."""

    def __init__(self, low: float, med: float, high: float, transform: str):
        if high < low:
            low, high = high, low
        self.support = (low, high)
        self.code = TRANSFORMS.index(transform)
        values = np.asarray([low, med, high], float)
        if transform == "frac":
            values = values / (1.0 - values)
        elif transform == "neg":
            values = -values
        elif transform == "inv_frac":
            values = np.where(values == 1, values + 1e-8, values)  # theirs: no division by 0
            values = 1 / values
            values = values / (1.0 - values)
        self.logs = np.log(values)

    def icdf(self, u: Any) -> Any:
        return skewed_log_uniform_icdf(u, jnp.asarray(self.logs, u.dtype), self.code)

    def sample(self, key: Any, sample_shape: tuple[int, ...] = ()) -> Any:
        return self.icdf(jax.random.uniform(key, sample_shape))


def skewed_log_uniform_icdf(u: Any, logs: Any, code: Any) -> Any:
    """Their ``SkewedLogUniform._ppf``: the log of the transformed value is linear in u from
    ``logs[0]`` to ``logs[1]`` on [0, 1/2] and on to ``logs[2]`` on [1/2, 1]; then the
    transform is undone (``code``: its index in :data:`TRANSFORMS`)."""
    low, med, high = logs[0], logs[1], logs[2]
    y = jnp.where(u <= 0.5, low + 2 * u * (med - low), med + 2 * (u - 0.5) * (high - med))
    y = jnp.exp(jnp.where(u <= 0, low, jnp.where(u >= 1, high, y)))
    frac = y / (1.0 + y)
    return jnp.select([code == 1, code == 2, code == 3], [-y, frac, 1 / frac], y)


def _skewed_log_uniform(a: Args, field: str) -> SkewedLogUniform:
    transform = check.choice(f"{field}.transform", a.get("transform", "pos"), TRANSFORMS)
    low, med, high = (check.finite(f"{field}.{k}", a[k]) for k in ("low", "med", "high"))
    inside = min(low, high) <= med <= max(low, high)
    if not inside:
        raise ConfigError(
            f"{field}.med", med, f"a number between low ({low:g}) and high ({high:g})"
        )
    domain = {"pos": (0.0, math.inf), "neg": (-math.inf, 0.0), "frac": (0.0, 1.0),
              "inv_frac": (1.0, math.inf)}[transform]  # fmt: skip
    for key, value in (("low", low), ("med", med), ("high", high)):
        if not domain[0] < value < domain[1] and not (transform == "inv_frac" and value == 1):
            raise ConfigError(f"{field}.{key}", value,
                              f"a number in ({domain[0]:g}, {domain[1]:g}) for transform "
                              f"{transform}")  # fmt: skip
    return SkewedLogUniform(low, med, high, transform)


class PiecewiseLogUniform:
    """A distribution given by its CDF at knots: log-uniform between consecutive knots
    (``values`` increasing and positive, ``cdf`` non-decreasing from 0 to 1). Epoch's
    ``AjeyaDistribution`` (the training compute their Full Takeoff Model draws, Cotra's
    bio-anchors CDF): its quantile is 10 ** interp(u, cdf, log10 values).

    With ``above``, only values >= ``above`` are drawn: the prior's uniform is restricted to
    [F(above), 1] (``floor``), before a copula mixes it, so the other parameters see the
    value's own normal score (their rejection of a training requirement too low to be
    admissible; in a copula such a prior must be the first drawn, :class:`PriorSet`)."""

    def __init__(self, values: Sequence[float], cdf: Sequence[float], above: float | None):
        self.log10_values = np.log10(np.asarray(values, float))
        self.cdf = np.asarray(cdf, float)
        low = float(values[0]) if above is None else max(float(values[0]), above)
        self.floor = float(np.interp(np.log10(low), self.log10_values, self.cdf))
        self.support = (low, float(values[-1]))

    def icdf(self, u: Any) -> Any:
        return piecewise_log_uniform_icdf(u, jnp.asarray(self.cdf, u.dtype),
                                          jnp.asarray(self.log10_values, u.dtype),
                                          jnp.asarray(self.floor, u.dtype))  # fmt: skip

    def sample(self, key: Any, sample_shape: tuple[int, ...] = ()) -> Any:
        return self.icdf(jax.random.uniform(key, sample_shape))


def piecewise_log_uniform_icdf(u: Any, cdf: Any, log10_values: Any, floor: Any) -> Any:
    """The quantile of the prior's own uniform ``u`` (restricted to [floor, 1] here)."""
    return 10 ** jnp.interp(floor + (1 - floor) * u, cdf, log10_values)


_TABLE_NAME = re.compile(r"^[a-z0-9_]{1,64}$")


def _shipped_table(name: Any, field: str) -> tuple[list[float], list[float]]:
    """The knots of a CDF shipped with forecaster: ``data/<name>.csv`` with columns
    ``value,cdf`` and the row's ``source`` (a name, never a path; the file is checked like a
    config's lists)."""
    from .._paths import data_dir

    if not isinstance(name, str) or not _TABLE_NAME.match(name):
        raise ConfigError(f"{field}.table", name, "the name of a table in forecaster's data/")
    path = data_dir() / f"{name}.csv"
    try:
        frame = pd.read_csv(path, dtype={"value": float, "cdf": float})
    except (OSError, ValueError) as exc:
        allowed = f"a readable table data/{name}.csv of numbers ({exc})"
        raise ConfigError(f"{field}.table", name, allowed) from None
    if list(frame.columns)[:2] != ["value", "cdf"]:
        raise ConfigError(f"{field}.table", name,
                          f"data/{name}.csv with columns value,cdf (then source)")  # fmt: skip
    return frame["value"].tolist(), frame["cdf"].tolist()


def _piecewise_log_uniform(a: Args, field: str) -> PiecewiseLogUniform:
    if "table" in a:
        values, cdf = _shipped_table(a["table"], field)
    else:
        values, cdf = a["values"], a["cdf"]
    if not isinstance(values, Sequence) or isinstance(values, str) or len(values) < 2:
        raise ConfigError(f"{field}.values", values, "a list of at least 2 numbers > 0")
    for v in values:
        check.positive(f"{field}.values", v)
    if any(b < a_ for a_, b in zip(values, values[1:], strict=False)):
        raise ConfigError(f"{field}.values", values, "non-decreasing numbers > 0")
    if not isinstance(cdf, Sequence) or isinstance(cdf, str) or len(cdf) != len(values):
        raise ConfigError(f"{field}.cdf", cdf, f"a list of {len(values)} probabilities")
    for q in cdf:
        check.number(f"{field}.cdf", q, 0.0, 1.0, low_open=False, high_open=False)
    if any(b < a_ for a_, b in zip(cdf, cdf[1:], strict=False)) or cdf[0] != 0 or cdf[-1] != 1:
        raise ConfigError(f"{field}.cdf", cdf, "non-decreasing probabilities from 0 to 1")
    above = a.get("above")
    if above is not None:
        above = check.number(f"{field}.above", above, float(values[0]), float(values[-1]),
                             allowed=f"a number in ({values[0]:g}, {values[-1]:g})")  # fmt: skip
    return PiecewiseLogUniform([float(v) for v in values], [float(q) for q in cdf], above)


def _scale_kind(arg: str, make: Callable[[float], Any], scipy: Callable[[float], Any]) -> Kind:
    """A calibration-only kind on (0, inf) with one positive argument (a scale or a rate)."""
    return Kind(
        (arg,),
        lambda a, f: make(check.positive(f"{f}.{arg}", a[arg])),
        lambda a: _POSITIVE,
        lambda a: scipy(a[arg]),
        quantile=False,
        positive=True,
    )


KINDS: dict[str, Kind] = {
    "fixed": Kind(
        ("value",), _fixed, lambda a: (float(a["value"]), float(a["value"])), density=False
    ),
    "uniform": Kind(
        ("low", "high"),
        lambda a, f: dist.Uniform(*_interval(f, a)),
        lambda a: (float(a["low"]), float(a["high"])),
        lambda a: stats.uniform(a["low"], a["high"] - a["low"]),
        optional_args=MASS_ARGS,
    ),
    "log_uniform": Kind(
        ("low", "high"),
        lambda a, f: dist.LogUniform(*_interval(f, a, positive=True)),
        lambda a: (float(a["low"]), float(a["high"])),
        lambda a: stats.loguniform(a["low"], a["high"]),
        positive=True,
        optional_args=MASS_ARGS,
    ),
    "normal": Kind(
        ("loc", "scale"),
        lambda a, f: dist.Normal(
            check.finite(f"{f}.loc", a["loc"]), check.positive(f"{f}.scale", a["scale"])
        ),
        lambda a: _REAL_LINE,
        lambda a: stats.norm(a["loc"], a["scale"]),
        open_support=True,
        optional_args=MASS_ARGS,
    ),
    "log_normal": Kind(
        ("median", "sigma"),
        _log_normal,
        lambda a: _POSITIVE,
        _log_normal_scipy,
        open_support=True,
        alternative_args=("low", "high", "coverage"),  # a central interval and its coverage
        positive=True,
        optional_args=MASS_ARGS,
    ),
    "beta": Kind(
        ("a", "b"),
        lambda a, f: dist.Beta(check.positive(f"{f}.a", a["a"]), check.positive(f"{f}.b", a["b"])),
        lambda a: (0.0, 1.0),
        lambda a: stats.beta(a["a"], a["b"]),
        open_support=True,
        positive=True,
        optional_args=MASS_ARGS,
    ),
    "truncated_normal": Kind(
        ("loc", "scale", "low", "high"),
        _truncated_normal,
        lambda a: (float(a["low"]), float(a["high"])),
        _truncnorm,
        optional_args=MASS_ARGS,
    ),
    "choice": Kind(
        ("values", "p"),
        _choice,
        lambda a: (float(min(a["values"])), float(max(a["values"]))),
        None,
        density=False,
    ),
    "skewed_log_uniform": Kind(
        ("low", "med", "high"),
        _skewed_log_uniform,
        lambda a: (float(min(a["low"], a["high"])), float(max(a["low"], a["high"]))),
        None,
        density=False,
        optional_args=("transform",),
    ),
    "piecewise_log_uniform": Kind(
        ("values", "cdf"),
        _piecewise_log_uniform,
        lambda a: _piecewise_log_uniform(a, "").support,
        None,
        density=False,
        positive=True,
        optional_args=("above",),
        alternative_args=("table",),  # a CDF shipped in data/ by name
    ),
    "posterior": Kind(
        ("path", "variable"),
        _posterior,
        lambda a: _REAL_LINE,
        None,
        density=False,
        optional_args=("resample",),
    ),
    "derived": Kind(
        ("expr",),
        lambda a, f: parse_expression(a["expr"], f"{f}.expr"),
        lambda a: _REAL_LINE,
        None,
        quantile=False,
        density=False,
        derived=True,
    ),
    # Calibration only: no inverse CDF on the device.
    "student_t": Kind(
        ("df", "loc", "scale"),
        lambda a, f: dist.StudentT(
            check.positive(f"{f}.df", a["df"]),
            check.finite(f"{f}.loc", a["loc"]),
            check.positive(f"{f}.scale", a["scale"]),
        ),
        lambda a: _REAL_LINE,
        lambda a: stats.t(a["df"], a["loc"], a["scale"]),
        quantile=False,
    ),
    "half_normal": _scale_kind("scale", dist.HalfNormal, lambda v: stats.halfnorm(scale=v)),
    "half_cauchy": _scale_kind("scale", dist.HalfCauchy, lambda v: stats.halfcauchy(scale=v)),
    "exponential": _scale_kind("rate", dist.Exponential, lambda v: stats.expon(scale=1 / v)),
}

#: Forecast priors: drawn through their inverse CDF (name -> arguments).
FORECAST_KINDS: dict[str, tuple[str, ...]] = {
    n: k.args for n, k in KINDS.items() if k.quantile or k.derived
}
#: Calibration priors: used through their log density.
CALIBRATION_KINDS: dict[str, tuple[str, ...]] = {n: k.args for n, k in KINDS.items() if k.density}

"""The three NumPyro calibration models (MODEL.md section 6) and their data preparation.

Each model is a :class:`CalibrationModel`: a ``prepare`` function that reads and validates its
table and options into a :class:`Prepared` (arrays plus a NumPyro model function with its
static options bound), and the names of the posterior variables a forecast or a report uses.
The NumPyro functions take ``obs=None`` to simulate (prior and posterior predictive) and
store every forecast-ready quantity with ``numpyro.deterministic`` so it lands in the
``posterior`` group of ``posterior.nc``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pandas as pd

from .._errors import ConfigError
from ._data import (
    DAYS_PER_YEAR,
    check_interval,
    decimal_year,
    log_interval_sd,
    parse_date,
    read_table,
    unique_labels,
)
from ._priors import make_priors

#: Name of the observed sample site in every model.
OBS = "obs"


@dataclass(frozen=True)
class Prepared:
    """A model ready to sample: its function, data arrays and what the report needs."""

    model: Callable[..., None]
    """NumPyro model; call as ``model(**inputs, obs=obs)`` (``obs=None`` simulates)."""
    inputs: dict[str, np.ndarray]
    obs: np.ndarray
    obs_sd: np.ndarray
    """Reported measurement sd of each observation (same scale as ``obs``), for plots."""
    labels: list[str]
    dim: str
    """Dimension name of the observations (coordinate values: ``labels``)."""
    obs_label: str
    table: pd.DataFrame
    """The rows used, as read (with their sources)."""
    info: dict[str, Any] = field(default_factory=dict)
    """JSON-able facts about the fit (row selection, reference date, checks)."""
    dims: dict[str, list[str]] = field(default_factory=dict)
    """Dimensions of vector-valued sites besides ``obs``."""


@dataclass(frozen=True)
class CalibrationModel:
    """A registered calibration model."""

    name: str
    description: str
    prepare: Callable[[Mapping[str, Any], Path], Prepared]
    forecast_variable: str
    key_quantities: tuple[str, ...]
    """Posterior variables reported with quantiles (those the options leave out are skipped)."""


def _option(options: Mapping[str, Any], name: str, allowed: tuple[Any, ...] | None = None) -> Any:
    """``options[name]``, required, checked against ``allowed`` when given."""
    if name not in options:
        raise ConfigError(f"model.{name}", None, "a value (the option is missing from the config)")
    value = options[name]
    if allowed is not None and value not in allowed:
        raise ConfigError(f"model.{name}", value, f"one of {list(allowed)}")
    return value


def _number(
    options: Mapping[str, Any],
    name: str,
    low: float = -np.inf,
    high: float = np.inf,
    inclusive: bool = False,
) -> float:
    """A numeric option in the open interval (low, high), or [low, high] if ``inclusive``."""
    value = _option(options, name)
    numeric = not isinstance(value, bool) and isinstance(value, int | float)
    inside = numeric and (low <= value <= high if inclusive else low < value < high)
    if not inside:
        interval = f"[{low}, {high}]" if inclusive else f"({low}, {high})"
        raise ConfigError(f"model.{name}", value, f"a number in {interval}")
    return float(value)


# --------------------------------------------------------------------------- time horizons

TRENDS = ("linear", "quadratic", "shrinking_doubling_time")
HORIZONS = ("p50", "p80")
_SMALL = 1e-6


def _nonzero(k: jnp.ndarray) -> jnp.ndarray:
    """``k`` moved away from 0 by at most 1e-6, so expm1(k x)/k and log1p(k y)/k stay finite."""
    return jnp.where(jnp.abs(k) < _SMALL, jnp.where(k < 0, -_SMALL, _SMALL), k)


def trend_log2(
    tau: jnp.ndarray, intercept: jnp.ndarray, slope: jnp.ndarray, curvature: jnp.ndarray, trend: str
) -> jnp.ndarray:
    """log2 horizon at ``tau`` years from the centre date.

    ``linear``: a + b·tau. ``quadratic``: a + b·tau + c·tau². ``shrinking_doubling_time``: the
    doubling time is (1/b)·exp(-c·tau), shrinking by a factor e^c a year for c > 0, so
    log2 H = a + b·(exp(c·tau) - 1)/c. ``slope`` b is doublings a year at the centre date.
    """
    if trend == "linear":
        return intercept + slope * tau
    if trend == "quadratic":
        return intercept + slope * tau + curvature * tau**2
    k = _nonzero(curvature)
    return intercept + slope * jnp.expm1(k * tau) / k


def trend_slope(
    tau: jnp.ndarray, slope: jnp.ndarray, curvature: jnp.ndarray, trend: str
) -> jnp.ndarray:
    """Doublings a year of the trend at ``tau`` (the derivative of :func:`trend_log2`)."""
    if trend == "linear":
        return slope * jnp.ones_like(tau)
    if trend == "quadratic":
        return slope + 2.0 * curvature * tau
    return slope * jnp.exp(curvature * tau)


def years_to_level(
    level: float, intercept: jnp.ndarray, slope: jnp.ndarray, curvature: jnp.ndarray, trend: str
) -> jnp.ndarray:
    """tau at which the trend first reaches ``level`` going forward; +inf if it never does."""
    gap = level - intercept
    if trend == "linear":
        return jnp.where(slope > 0, gap / slope, jnp.inf)
    if trend == "quadratic":
        # Stable root of c·tau² + b·tau - gap = 0 on the rising branch; equals gap/b at c = 0.
        disc = slope**2 + 4.0 * curvature * gap
        denom = slope + jnp.sqrt(jnp.clip(disc, 0.0))
        ok = (disc >= 0) & (denom > 0)
        return jnp.where(ok, 2.0 * gap / jnp.where(ok, denom, 1.0), jnp.inf)
    k = _nonzero(curvature)
    arg = k * gap / slope
    ok = (arg > -1.0) & (slope > 0)
    return jnp.where(ok, jnp.log1p(jnp.where(ok, arg, 0.0)) / k, jnp.inf)


def time_horizons_model(
    tau: jnp.ndarray,
    sd: jnp.ndarray,
    *,
    priors: Mapping[str, Any],
    trend: str,
    extra_scatter: bool,
    center: float,
    tau_ref: float,
    log2_threshold: float,
    obs: jnp.ndarray | None = None,
) -> None:
    """log2 horizon (minutes) against release date, each point with its reported sd.

    With ``extra_scatter`` a common sd ``sigma_extra`` is added in quadrature: model-to-model
    scatter beyond the task-sampling noise METR's intervals describe.
    """
    intercept = numpyro.sample("intercept", priors["intercept"])
    slope = numpyro.sample("doublings_per_year", priors["doublings_per_year"])
    curvature = (
        jnp.zeros(()) if trend == "linear" else numpyro.sample("curvature", priors["curvature"])
    )
    scale = sd
    if extra_scatter:
        sigma = numpyro.sample("sigma_extra", priors["sigma_extra"])
        scale = jnp.sqrt(sd**2 + sigma**2)
    mean = trend_log2(tau, intercept, slope, curvature, trend)
    with numpyro.plate("observations", tau.shape[0]):
        numpyro.sample(OBS, dist.Normal(mean, scale), obs=obs)
    tau_ref = jnp.asarray(tau_ref)
    numpyro.deterministic(
        "log2_horizon_ref", trend_log2(tau_ref, intercept, slope, curvature, trend)
    )
    numpyro.deterministic(
        "doubling_time_days", DAYS_PER_YEAR / trend_slope(tau_ref, slope, curvature, trend)
    )
    numpyro.deterministic(
        "threshold_date",
        center + years_to_level(log2_threshold, intercept, slope, curvature, trend),
    )


def prepare_time_horizons(options: Mapping[str, Any], data_dir: Path) -> Prepared:
    """Select METR rows by config and build the time-horizon regression."""
    horizon = _option(options, "horizon", HORIZONS)
    trend = _option(options, "trend", TRENDS)
    extra_scatter = _option(options, "extra_scatter", (True, False))
    sota_only = _option(options, "sota_only", (True, False))
    ci_level = _number(options, "ci_level", 0.0, 1.0)
    default_sd = _number(options, "default_log2_sd", 0.0)
    threshold_hours = _number(options, "threshold_hours", 0.0)
    priors = make_priors(
        options.get("priors"),
        "model.priors",
        {"intercept": False, "doublings_per_year": False, "curvature": False, "sigma_extra": True},
    )
    value, low, high = f"{horizon}_minutes", f"{horizon}_ci_low", f"{horizon}_ci_high"
    file_name = str(_option(options, "data_file"))
    table = read_table(
        data_dir,
        file_name,
        {
            "model": "str",
            "release_date": "date",
            value: "float",
            low: "float?",
            high: "float?",
            "is_sota_p50": "bool",
            "source": "str",
        },
    )
    check_interval(table, file_name, value, low, high)

    keep = np.ones(len(table), dtype=bool)
    if sota_only:
        keep &= table["is_sota_p50"].to_numpy(dtype=bool)
    for name, compare in (("start_date", np.greater_equal), ("end_date", np.less_equal)):
        if options.get(name) is not None:
            bound = parse_date(options[name], f"model.{name}")
            keep &= compare(table["release_date"], bound).to_numpy()
    used = table[keep].reset_index(drop=True)
    n_params = 2 + (trend != "linear") + bool(extra_scatter)
    if len(used) <= n_params:
        raise ConfigError(
            "model.start_date/end_date/sota_only",
            (options.get("start_date"), options.get("end_date"), sota_only),
            f"a selection of more than {n_params} rows of {file_name} (got {len(used)})",
        )

    years = decimal_year(used["release_date"])
    center = float(years.mean())
    ref = options.get("reference_date")
    ref_date = (
        used["release_date"].max() if ref is None else parse_date(ref, "model.reference_date")
    )
    ref_year = float(decimal_year(ref_date))
    tau = years - center
    obs = np.log2(used[value].to_numpy(dtype=float))
    sd = log_interval_sd(used[low], used[high], ci_level, default_sd, base=2.0)
    log2_threshold = float(np.log2(threshold_hours * 60.0))

    slope_ols = float(np.polyfit(years, obs, 1)[0])
    info = {
        "horizon": horizon,
        "trend": trend,
        "rows": used["model"].tolist(),
        "rows_excluded": int((~keep).sum()),
        "center_decimal_year": center,
        "reference_date": ref_date.date().isoformat(),
        "reference_decimal_year": ref_year,
        "threshold_hours": threshold_hours,
        "ols_doubling_time_days": DAYS_PER_YEAR / slope_ols,
    }
    model = functools.partial(
        time_horizons_model,
        priors=priors,
        trend=trend,
        extra_scatter=bool(extra_scatter),
        center=center,
        tau_ref=ref_year - center,
        log2_threshold=log2_threshold,
    )
    return Prepared(
        model=model,
        inputs={"tau": tau.astype(np.float32), "sd": sd.astype(np.float32)},
        obs=obs,
        obs_sd=sd,
        labels=unique_labels(used["model"].tolist()),
        dim="model_name",
        obs_label=f"log2 {horizon} time horizon (minutes)",
        table=used,
        info=info,
    )


# --------------------------------------------------------------------------- returns


def returns_model(
    sd: jnp.ndarray, *, priors: Mapping[str, Any], obs: jnp.ndarray | None = None
) -> None:
    """Hierarchical returns: log r_d ~ Normal(mu, tau), observed as Normal(log r_d, sd_d).

    Non-centred (log r_d = mu + tau·z_d) so NUTS does not meet the funnel of small tau.
    ``r_new`` is the posterior predictive r of a domain not in the data.
    """
    mu = numpyro.sample("mu", priors["mu"])
    tau = numpyro.sample("tau", priors["tau"])
    with numpyro.plate("domains", sd.shape[0]):
        z = numpyro.sample("z", dist.Normal(0.0, 1.0))
        log_r = mu + tau * z
        numpyro.deterministic("r_domain", jnp.exp(log_r))
        numpyro.sample(OBS, dist.Normal(log_r, sd), obs=obs)
    z_new = numpyro.sample("z_new", dist.Normal(0.0, 1.0))
    numpyro.deterministic("r_new", jnp.exp(mu + tau * z_new))


def prepare_returns(options: Mapping[str, Any], data_dir: Path) -> Prepared:
    """Domain estimates of r with their intervals (log scale)."""
    default_level = _number(options, "default_ci_level", 0.0, 1.0)
    default_sd = _number(options, "default_log_sd", 0.0)
    exclude = list(options.get("exclude_domains") or [])
    priors = make_priors(options.get("priors"), "model.priors", {"mu": False, "tau": True})
    file_name = str(_option(options, "data_file"))
    table = read_table(
        data_dir,
        file_name,
        {
            "domain": "str",
            "r_median": "float",
            "ci_low": "float?",
            "ci_high": "float?",
            "ci_level": "float?",
            "source": "str",
        },
    )
    check_interval(table, file_name, "r_median", "ci_low", "ci_high", "ci_level")
    unknown = sorted(set(exclude) - set(table["domain"]))
    if unknown:
        raise ConfigError(
            "model.exclude_domains", unknown, f"domains of {file_name}: {table['domain'].tolist()}"
        )
    used = table[~table["domain"].isin(exclude)].reset_index(drop=True)
    if len(used) < 2:
        raise ConfigError("model.exclude_domains", exclude, "leaving at least two domains")
    level = used["ci_level"].fillna(default_level)
    sd = log_interval_sd(used["ci_low"], used["ci_high"], level, default_sd)
    labels = unique_labels(used["domain"].tolist())
    info = {
        "rows": labels,
        "rows_excluded": len(table) - len(used),
        "rows_with_default_sd": int(used["ci_low"].isna().sum()),
    }
    return Prepared(
        model=functools.partial(returns_model, priors=priors),
        inputs={"sd": sd.astype(np.float32)},
        obs=np.log(used["r_median"].to_numpy(float)),
        obs_sd=sd,
        labels=labels,
        dim="domain",
        obs_label="log r (returns to software R&D)",
        table=used,
        info=info,
        dims={"z": ["domain"], "r_domain": ["domain"]},
    )


# --------------------------------------------------------------------------- doubling times

ROLES = ("software", "labour", "compute")
ROLE_VALUES = (*ROLES, "context")
_YEARS_PER_UNIT = {
    "days": 1 / DAYS_PER_YEAR,
    "weeks": 7 / DAYS_PER_YEAR,
    "months": 1 / 12,
    "years": 1.0,
}


def _from_doubling_time(years_per_unit: float) -> Callable[[np.ndarray], np.ndarray]:
    """Doubling time in a unit -> doublings a year."""
    return lambda value: 1.0 / (value * years_per_unit)


#: statistic -> allowed units -> function(value array) -> doublings a year
_TO_DOUBLINGS: dict[str, dict[str, Callable[[np.ndarray], np.ndarray]]] = {
    "doubling_time": {u: _from_doubling_time(y) for u, y in _YEARS_PER_UNIT.items()},
    "growth_factor_per_year": {"x/year": np.log2},
    "growth_rate_per_year": {"1/year": lambda x: x / np.log(2.0)},
}


def doublings_per_year(value: np.ndarray, statistic: str, unit: str, field: str) -> np.ndarray:
    """A reported doubling time, growth factor or exponential rate as doublings a year."""
    if statistic not in _TO_DOUBLINGS:
        raise ConfigError(f"{field} column statistic", statistic, f"one of {list(_TO_DOUBLINGS)}")
    units = _TO_DOUBLINGS[statistic]
    if unit not in units:
        raise ConfigError(f"{field} column unit", unit, f"for {statistic}: one of {list(units)}")
    with np.errstate(divide="ignore", invalid="ignore"):
        return units[unit](np.asarray(value, dtype=float))


def doubling_times_model(
    role: jnp.ndarray,
    sd: jnp.ndarray,
    *,
    priors: Mapping[str, Any],
    labour_share: float,
    obs: jnp.ndarray | None = None,
) -> None:
    """Growth of software efficiency and of research inputs, and r = g_software / g_inputs.

    Each role (software, labour, compute) has one latent growth rate g (doublings a year);
    every row of that role measures log g with the sd of its reported interval (or the
    default sd). Research input grows as the Cobb-Douglas index α·g_labour + (1-α)·g_compute,
    α = ``labour_share``. (No between-estimate scatter term: with one precise row per input
    role it is not identified and makes a funnel NUTS diverges in; widen ``default_log_sd``
    to be more cautious.)
    """
    log_g = [numpyro.sample(f"log_g_{name}", priors[f"log_g_{name}"]) for name in ROLES]
    # sum of selections rather than indexing a stacked array: broadcasts under outer plates
    mean = sum(jnp.where(role == i, value, 0.0) for i, value in enumerate(log_g))
    with numpyro.plate("observations", role.shape[0]):
        numpyro.sample(OBS, dist.Normal(mean, sd), obs=obs)
    g = {
        name: numpyro.deterministic(f"g_{name}", jnp.exp(value))
        for name, value in zip(ROLES, log_g, strict=True)
    }
    g_inputs = numpyro.deterministic(
        "g_inputs", labour_share * g["labour"] + (1.0 - labour_share) * g["compute"]
    )
    numpyro.deterministic("r", g["software"] / g_inputs)
    numpyro.deterministic("software_doubling_time_days", DAYS_PER_YEAR / g["software"])


def prepare_doubling_times(options: Mapping[str, Any], data_dir: Path) -> Prepared:
    """Rows of ``observed_growth.csv`` with a role, as log doublings a year."""
    labour_share = _number(options, "labour_share", 0.0, 1.0, inclusive=True)
    default_level = _number(options, "default_ci_level", 0.0, 1.0)
    default_sd = _number(options, "default_log_sd", 0.0)
    exclude = list(options.get("exclude_quantities") or [])
    priors = make_priors(
        options.get("priors"), "model.priors", {f"log_g_{r}": False for r in ROLES}
    )
    file_name = str(_option(options, "data_file"))
    table = read_table(
        data_dir,
        file_name,
        {
            "quantity": "str",
            "statistic": "str",
            "value": "float",
            "unit": "str",
            "ci_low": "float?",
            "ci_high": "float?",
            "ci_level": "float?",
            "period": "str?",
            "source": "str",
            "role": "str",
        },
    )
    for i, role in enumerate(table["role"]):
        if role not in ROLE_VALUES:
            raise ConfigError(
                f"{file_name} line {i + 2} column role", role, f"one of {list(ROLE_VALUES)}"
            )
    check_interval(table, file_name, "value", "ci_low", "ci_high", "ci_level")
    unknown = sorted(set(exclude) - set(table["quantity"]))
    if unknown:
        raise ConfigError(
            "model.exclude_quantities",
            unknown,
            f"quantities of {file_name}: {sorted(set(table['quantity']))}",
        )
    keep = table["role"].isin(ROLES) & ~table["quantity"].isin(exclude)
    used = table[keep].reset_index(drop=True)
    if not (used["role"] == "software").any():
        raise ConfigError(
            f"{file_name} column role",
            sorted(set(used["role"])),
            "at least one row with role=software",
        )

    rates = []
    lines = np.flatnonzero(keep) + 2
    for line_no, row in zip(lines, used.itertuples(index=False), strict=True):
        line = f"{file_name} line {line_no}"
        g = doublings_per_year([row.value, row.ci_low, row.ci_high], row.statistic, row.unit, line)
        if not np.all(g[np.isfinite(g)] > 0) or not np.isfinite(g[0]):
            raise ConfigError(
                f"{line} column value",
                row.value,
                "a positive growth (doubling time > 0, growth factor > 1, rate > 0)",
            )
        rates.append(g)
    rates = np.array(rates)
    low, high = np.fmin(rates[:, 1], rates[:, 2]), np.fmax(rates[:, 1], rates[:, 2])
    level = used["ci_level"].fillna(default_level)
    sd = log_interval_sd(low, high, level, default_sd)
    role_index = np.array([ROLES.index(r) for r in used["role"]], dtype=np.int32)
    labels = unique_labels(used["quantity"].tolist())
    info = {
        "rows": labels,
        "roles": used["role"].tolist(),
        "labour_share": labour_share,
        "rows_excluded": len(table) - len(used),
        "rows_with_default_sd": int(used["ci_low"].isna().sum()),
    }
    return Prepared(
        model=functools.partial(doubling_times_model, priors=priors, labour_share=labour_share),
        inputs={"role": role_index, "sd": sd.astype(np.float32)},
        obs=np.log(rates[:, 0]),
        obs_sd=sd,
        labels=labels,
        dim="observation",
        obs_label="log growth (doublings a year)",
        table=used,
        info=info,
    )


MODELS: dict[str, CalibrationModel] = {
    m.name: m
    for m in (
        CalibrationModel(
            "time_horizons",
            "log2 METR time horizon against release date",
            prepare_time_horizons,
            "doubling_time_days",
            (
                "doubling_time_days",
                "threshold_date",
                "log2_horizon_ref",
                "doublings_per_year",
                "intercept",
                "curvature",
                "sigma_extra",
            ),
        ),
        CalibrationModel(
            "returns",
            "hierarchical returns to software R&D across domains",
            prepare_returns,
            "r_new",
            ("r_new", "mu", "tau", "r_domain"),
        ),
        CalibrationModel(
            "doubling_times",
            "r from software-efficiency and research-input growth",
            prepare_doubling_times,
            "r",
            ("r", "g_software", "g_labour", "g_compute", "g_inputs", "software_doubling_time_days"),
        ),
    )
}

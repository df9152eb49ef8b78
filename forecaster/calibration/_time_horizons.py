"""The time-horizons model: log2 METR time horizon against release date (MODEL.md section 6).

A linear, quadratic or shrinking-doubling-time trend of log2 horizon (minutes) over the
selected METR rows, each point with the sd of its reported interval; the posterior holds the
doubling time at a reference date and the date a threshold horizon is reached.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist

from .._errors import ConfigError
from .._validate import boolean, choice, number, positive
from ._common import OBS, CalibrationModel, Prepared, data_table, option
from ._data import (
    DAYS_PER_YEAR,
    check_interval,
    decimal_year,
    log_interval_sd,
    parse_date,
    unique_labels,
)
from ._priors import make_priors

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
    horizon = option(options, "horizon", choice, HORIZONS)
    trend = option(options, "trend", choice, TRENDS)
    extra_scatter = option(options, "extra_scatter", boolean)
    sota_only = option(options, "sota_only", boolean)
    ci_level = option(options, "ci_level", number, 0.0, 1.0)
    default_sd = option(options, "default_log2_sd", positive)
    threshold_hours = option(options, "threshold_hours", positive)
    priors = make_priors(
        options.get("priors"),
        "model.priors",
        {"intercept": False, "doublings_per_year": False, "curvature": False, "sigma_extra": True},
    )
    value, low, high = f"{horizon}_minutes", f"{horizon}_ci_low", f"{horizon}_ci_high"
    file_name, table = data_table(
        options,
        data_dir,
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


TIME_HORIZONS = CalibrationModel(
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
)

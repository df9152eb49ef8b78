"""The notebook API: one parameter set in, a trajectory or its outcomes out."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._errors import ConfigError
from ._kernel import INTEGRATORS, KernelSettings, draw_outcomes, static_features, trajectory
from ._model import RETURNS, doublings_per_year_of_progress
from ._parameters import PARAMETERS, resolve, to_params

PRECISIONS: tuple[str, ...] = ("float32", "float64")


def dtype_for(precision: str) -> Any:
    """The JAX dtype for ``precision``, enabling 64-bit mode when it is asked for."""
    if precision not in PRECISIONS:
        raise ConfigError("precision", precision, f"one of {PRECISIONS}")
    if precision == "float64":
        jax.config.update("jax_enable_x64", True)
        return jnp.float64
    return jnp.float32


def check_settings(settings: KernelSettings, values: dict[str, float] | None = None) -> None:
    """Check static settings (and, for the doublings stepper, that the model allows it)."""
    if settings.integrator not in INTEGRATORS:
        raise ConfigError("integrator", settings.integrator, f"one of {INTEGRATORS}")
    if settings.returns not in RETURNS:
        raise ConfigError("returns", settings.returns, f"one of {RETURNS}")
    if not isinstance(settings.steps, int) or not 4 <= settings.steps <= 100_000:
        raise ConfigError("steps", settings.steps, "an integer in [4, 100000]")
    if not 0 < settings.max_doublings <= 100_000:
        raise ConfigError("max_doublings", settings.max_doublings, "a number in (0, 100000]")
    if not 0 < settings.horizon_years <= 1e4:
        raise ConfigError("horizon_years", settings.horizon_years, "a number in (0, 10000]")
    for w in settings.windows_years:
        if not 0 < w <= settings.horizon_years:
            raise ConfigError("windows", w, "window lengths in (0, horizon]")
    for level in settings.progress_levels_years:
        if not level > 0:
            raise ConfigError("progress_years", level, "positive progress levels")
    if not settings.stop_doubling_years > 0:
        raise ConfigError("stop_doubling_years", settings.stop_doubling_years, "a number > 0")
    if values is not None and settings.integrator == "doublings":
        for name, needed in (("phi0", 1.0), ("phi_inf", 1.0), ("gC", 0.0)):
            if values[name] != needed:
                raise ConfigError(
                    name,
                    values[name],
                    f"{needed:g} with integrator='doublings' (Davidson & Houlden's rule assumes "
                    "full automation and fixed compute); use integrator='rk4'",
                )


def _settings(options: dict[str, Any], values: dict[str, float]) -> KernelSettings:
    allowed = {
        "horizon_years": 20.0,
        "max_doublings": None,  # the ceiling D with linear_to_ceiling, else 200
        "steps": 256,
        "integrator": "rk4",
        "returns": "linear_to_ceiling",
        "windows_months": (4.0, 12.0),
        "progress_years": (1.0, 3.0, 10.0),
        "stop_doubling_years": math.inf,
    }
    for name in options:
        if name not in allowed:
            raise ConfigError(name, options[name], f"an option, one of {list(allowed)}")
    merged = {**allowed, **options}
    if merged["max_doublings"] is None:
        ceiling = values["ceiling_doublings"]
        merged["max_doublings"] = ceiling if merged["returns"] == "linear_to_ceiling" else 200.0
    return KernelSettings(
        integrator=merged["integrator"],
        returns=merged["returns"],
        steps=merged["steps"],
        max_doublings=float(merged["max_doublings"]),
        horizon_years=float(merged["horizon_years"]),
        windows_years=tuple(float(m) / 12.0 for m in merged["windows_months"]),
        progress_levels_years=tuple(float(y) for y in merged["progress_years"]),
        stop_doubling_years=float(merged["stop_doubling_years"]),
    )


def _split(kwargs: dict[str, Any]) -> tuple[dict[str, float], KernelSettings, Any]:
    precision = kwargs.pop("precision", "float32")
    params = {k: v for k, v in kwargs.items() if k in PARAMETERS}
    options = {k: v for k, v in kwargs.items() if k not in PARAMETERS}
    values = resolve(params)
    settings = dataclasses.replace(_settings(options, values), **static_features(values))
    check_settings(settings, values)
    return values, settings, dtype_for(precision)


def simulate(**kwargs: Any) -> pd.DataFrame:
    """Integrate one parameter set and return its trajectory.

    Keyword arguments are model parameters (``f``, ``Ts``, ``p``, ``alpha``, ``r0``,
    ``ceiling_doublings``, ``gC``, ``gH``, ``phi0``, ``phi_inf``, ``x_phi``, ``rho``, ``A0``,
    ``software_share``; defaults in ``forecaster.PARAMETERS``) and options ``returns``
    ("constant" | "linear_to_ceiling"), ``horizon_years``, ``max_doublings``, ``steps``,
    ``integrator`` ("rk4" | "doublings"), ``stop_doubling_years``, ``precision``.

    Returns:
        One row per reached node: ``t_years``, ``doublings``, ``progress_years`` (years of
        pre-automation AI progress) and ``speedup`` (rate over the pre-automation rate 1/Ts).

    Raises:
        ValueError: an unknown name or a value out of range, naming it and what is allowed.
    """
    values, settings, dtype = _split(dict(kwargs))
    params = to_params(values, dtype)
    path = jax.jit(trajectory, static_argnums=1)(params, settings)
    t = np.asarray(path.t, dtype=float)
    keep = t <= settings.horizon_years
    per_year = float(doublings_per_year_of_progress(params))
    x = np.asarray(path.x, dtype=float)[keep]
    return pd.DataFrame(
        {
            "t_years": t[keep],
            "doublings": x,
            "progress_years": x / per_year,
            "speedup": np.asarray(path.rate, dtype=float)[keep] * values["Ts"],
        }
    )


def outcomes(**kwargs: Any) -> dict[str, Any]:
    """The per-draw outcomes of one parameter set (as the forecast computes them).

    Takes the same arguments as :func:`simulate`, plus ``windows_months`` and
    ``progress_years``. Returns plain Python numbers and lists.
    """
    values, settings, dtype = _split(dict(kwargs))
    out = jax.jit(draw_outcomes, static_argnums=1)(to_params(values, dtype), settings)
    return {k: np.asarray(v).tolist() for k, v in out.items()}

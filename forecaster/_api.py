"""The notebook API: one parameter set in, a trajectory or its outcomes out."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._integrate import returns_after, speedup_factor_at
from ._kernel import KernelSettings, draw_outcomes, static_features, trajectory
from ._model import doublings_per_year_of_progress, returns_at
from ._parameters import PARAMETERS, resolve, to_params
from ._settings import Precision, api_settings, check_precision, check_settings, precision_scope


def _split(kwargs: dict[str, Any]) -> tuple[dict[str, float], KernelSettings, Precision]:
    precision = check_precision(kwargs.pop("precision", "float32"))
    params = {k: v for k, v in kwargs.items() if k in PARAMETERS}
    options = {k: v for k, v in kwargs.items() if k not in PARAMETERS}
    values = resolve(params)
    settings = dataclasses.replace(api_settings(options, values), **static_features(values))
    check_settings(settings, values)
    return values, settings, precision


def simulate(**kwargs: Any) -> pd.DataFrame:
    """Integrate one parameter set and return its trajectory.

    Keyword arguments are model parameters (``f``, ``Ts``, ``p``, ``alpha``, ``r0``,
    ``ceiling_doublings``, ``gC``, ``gH``, ``phi0``, ``phi_inf``, ``x_phi``, ``rho``, ``A0``,
    ``software_share``; defaults in ``forecaster.PARAMETERS``) and options ``returns``
    ("constant" | "linear_to_ceiling" | "constant_to_ceiling"), ``constant_r`` (Davidson &
    Houlden's "constant r": ``linear_to_ceiling`` becomes ``constant_to_ceiling``),
    ``horizon_years``, ``max_doublings``, ``steps``,
    ``integrator`` ("rk4" | "doublings"), ``stop_doubling_years``, ``precision``, and with
    ``integrator="doublings"`` Davidson & Houlden's options ``retraining_cost``,
    ``gradual_boost``, ``dh_mode``, ``stop_after_years``.

    Returns:
        One row per reached node: ``t_years``, ``doublings``, ``progress_years`` (years of
        pre-automation AI progress), ``speedup`` (rate over the pre-automation rate 1/Ts),
        ``r`` (the returns to software R&D there), ``f`` (AI's research speed-up there: the
        drawn f, or its rise under the gradual boost) and ``growth_rate`` (software's
        annualised continuous growth rate, ln 2 x doublings per year; 2.77/yr before
        automation at Ts = 0.25).

    Raises:
        ValueError: an unknown name or a value out of range, naming it and what is allowed.
    """
    values, settings, precision = _split(dict(kwargs))
    with precision_scope(precision) as dtype:
        params = to_params(values, dtype)
        path = jax.jit(trajectory, static_argnums=1)(params, settings)
        return path_frame(path, params, settings, values)


def path_frame(path, params, settings: KernelSettings, values: dict[str, float]) -> pd.DataFrame:
    """A path's reached nodes as :func:`simulate`'s table (call inside its precision)."""
    t = np.asarray(path.t, dtype=float)
    x = np.asarray(path.x, dtype=float)
    rate = np.asarray(path.rate, dtype=float)
    per_year = float(doublings_per_year_of_progress(params))
    r, f = _returns_and_speedup(path, params, settings)
    keep = t <= settings.horizon_years
    return pd.DataFrame(
        {
            "t_years": t[keep],
            "doublings": x[keep],
            "progress_years": x[keep] / per_year,
            "speedup": rate[keep] * values["Ts"],
            "r": r[keep],
            "f": f[keep],
            "growth_rate": np.log(2.0) * rate[keep],
        }
    )


def _returns_and_speedup(path, params, settings: KernelSettings) -> tuple[np.ndarray, ...]:
    """r and f at the nodes: the stepper's own rules, or the general law's r(x)."""
    if settings.ladder is not None:  # no returns in a ladder; its speed-up is the rate
        return np.full(path.x.shape, np.nan), np.asarray(path.rate, dtype=float)
    if settings.integrator == "doublings":
        r = returns_after(path.x, params, settings.returns)
        f = speedup_factor_at(path.t, params, settings.doublings)
    else:
        r = returns_at(path.x, params, settings.returns)
        f = jnp.broadcast_to(params.f, path.x.shape)
    return np.asarray(r, dtype=float), np.asarray(f, dtype=float)


def outcomes(**kwargs: Any) -> dict[str, Any]:
    """The per-draw outcomes of one parameter set (as the forecast computes them).

    Takes the same arguments as :func:`simulate`, plus ``windows_months`` and
    ``progress_years``. Returns plain Python numbers; an outcome per progress level or window
    is a mapping labelled by it (``{"3y": ...}``, ``{"12m": ...}``); the fan-chart levels stay
    a list.
    """
    values, settings, precision = _split(dict(kwargs))
    with precision_scope(precision) as dtype:
        out = jax.jit(draw_outcomes, static_argnums=1)(to_params(values, dtype), settings)
        plain = {k: np.asarray(v).tolist() for k, v in out.items()}
    levels = [f"{y:g}y" for y in settings.progress_levels_years]
    windows = [f"{12 * w:g}m" for w in settings.windows_years]
    labels = {
        "fastest_years_to_progress": levels,
        "time_to_progress_years": levels,
        "max_progress_years": windows,
        "max_doublings_in_windows": windows,
    }
    for key, names in labels.items():
        if key in plain:
            plain[key] = dict(zip(names, plain[key], strict=True))
    return plain

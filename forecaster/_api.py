"""The notebook API: one parameter set in, a trajectory or its outcomes out."""

from __future__ import annotations

from typing import Any

import jax
import numpy as np
import pandas as pd

from ._kernel import draw_outcomes
from ._settings import Precision, check_precision, precision_scope
from .models.general_law._model import api_model
from .models.general_law._parameters import PARAMETERS, resolve


def _split(kwargs: dict[str, Any]) -> tuple[dict[str, float], Any, Precision]:
    precision = check_precision(kwargs.pop("precision", "float32"))
    params = {k: v for k, v in kwargs.items() if k in PARAMETERS}
    options = {k: v for k, v in kwargs.items() if k not in PARAMETERS}
    values = resolve(params)
    return values, api_model(values, options), precision


def simulate(**kwargs: Any) -> pd.DataFrame:
    """Integrate one parameter set of the general law and return its trajectory.

    Keyword arguments are model parameters (``f``, ``Ts``, ``p``, ``alpha``, ``r0``,
    ``ceiling_doublings``, ``gC``, ``gH``, ``phi0``, ``phi_inf``, ``x_phi``, ``rho``, ``A0``,
    ``software_share``; defaults in ``forecaster.PARAMETERS``) and options ``returns``
    ("constant" | "linear_to_ceiling" | "constant_to_ceiling"), ``constant_r`` (Davidson &
    Houlden's "constant r": ``linear_to_ceiling`` becomes ``constant_to_ceiling``),
    ``horizon_years``, ``max_doublings``, ``steps``,
    ``integrator`` ("rk4" | "doublings": Davidson & Houlden's stepper),
    ``stop_doubling_years``, ``precision``, and with ``integrator="doublings"`` Davidson &
    Houlden's options ``retraining_cost``, ``gradual_boost``, ``dh_mode``,
    ``stop_after_years``.

    Returns:
        One row per reached node: ``t_years``, ``doublings``, ``progress_years`` (years of
        pre-automation AI progress), ``speedup`` (rate over the pre-automation rate 1/Ts),
        ``r`` (the returns to software R&D there), ``f`` (AI's research speed-up there: the
        drawn f, or its rise under the gradual boost) and ``growth_rate`` (software's
        annualised continuous growth rate, ln 2 x doublings per year; 2.77/yr before
        automation at Ts = 0.25).

    Raises:
        ConfigError: an unknown name or a value out of range, naming it and what is allowed.
    """
    values, model, precision = _split(dict(kwargs))
    with precision_scope(precision) as dtype:
        params = model.prepare(values, dtype)
        path = jax.jit(model.solve)(params)
        return pd.DataFrame(model.trajectory(params, path))


def outcomes(**kwargs: Any) -> dict[str, Any]:
    """The per-draw outcomes of one parameter set (as the forecast computes them).

    Takes the same arguments as :func:`simulate`, plus ``windows_months`` and
    ``progress_years``. Returns plain Python numbers; an outcome per progress level or window
    is a mapping labelled by it (``{"3y": ...}``, ``{"12m": ...}``); the fan-chart levels stay
    a list.
    """
    values, model, precision = _split(dict(kwargs))
    with precision_scope(precision) as dtype:
        out = jax.jit(draw_outcomes, static_argnums=(0, 2))(model, values, dtype)
        plain = {k: np.asarray(v).tolist() for k, v in out.items()}
    labels = {
        "progress": [f"{y:g}y" for y in model.progress_levels_years],
        "window": [f"{12 * w:g}m" for w in model.windows_years],
    }
    for key, kind in model.outcomes().series_kinds().items():
        if key in plain and kind in labels:
            plain[key] = dict(zip(labels[kind], plain[key], strict=True))
    return plain

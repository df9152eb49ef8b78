"""Names, defaults and allowed ranges of the model parameters: one table, used everywhere.

The API, the prior validation and the docs all read :data:`PARAMETERS`, so a range is stated
once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import jax.numpy as jnp
import numpy as np

from ..._errors import ConfigError
from ..._table import ParameterSpec, ParameterTable
from ._law import PARAM_NAMES, Params

_INF = math.inf

# Defaults: a central case (decaying returns, compute fixed, full automation), from
# Davidson & Houlden (2025) medians: f ~ 8, r0 ~ 1.2, limits ~ 11 years, p ~ 0.3.
PARAMETERS: dict[str, ParameterSpec] = {
    "f": ParameterSpec(8.0, 0.0, _INF, True, True, "x", "initial speed-up of software progress"),
    "Ts": ParameterSpec(
        0.25, 0.0, _INF, True, True, "years", "pre-automation software doubling time"
    ),
    "p": ParameterSpec(
        0.3, 0.0, 5.0, True, False, "-", "returns to doubling cognitive labour, lambda*alpha"
    ),
    "alpha": ParameterSpec(0.5, 0.0, 1.0, True, False, "-", "labour share of research input"),
    "r0": ParameterSpec(1.2, 0.0, _INF, True, True, "-", "returns to software R&D at t = 0"),
    "ceiling_doublings": ParameterSpec(
        88.0, 0.0, _INF, True, True, "doublings", "distance to the effective limits, D"
    ),
    "gC": ParameterSpec(0.0, -5.0, 5.0, False, False, "1/year", "growth rate of compute"),
    "gH": ParameterSpec(0.0, -5.0, 5.0, False, False, "1/year", "growth rate of human labour"),
    "phi0": ParameterSpec(1.0, 0.0, 1.0, False, False, "-", "AI share of research tasks at t = 0"),
    "phi_inf": ParameterSpec(
        1.0, 0.0, 1.0, False, False, "-", "AI share of research tasks eventually"
    ),
    "x_phi": ParameterSpec(
        10.0,
        0.0,
        _INF,
        True,
        False,
        "doublings",
        "doublings over which automation spreads (inf: the share stays at phi0)",
    ),
    "rho": ParameterSpec(
        0.0, -20.0, 0.9, False, False, "-", "CES substitution (0 Cobb-Douglas, -1 Amdahl)"
    ),
    "A0": ParameterSpec(
        100.0, 0.0, 1e6, True, False, "human-labour units", "AI research labour at t = 0"
    ),
    "software_share": ParameterSpec(
        0.5, 0.0, 1.0, True, False, "-", "software's share of AI progress, s"
    ),
}
assert tuple(PARAMETERS) == PARAM_NAMES

#: Parameters a prior may set that are not in :class:`Params`: prepared into one that is.
DERIVED: dict[str, ParameterSpec] = {
    "ceiling_years": ParameterSpec(
        11.0, 0.0, math.inf, True, True, "years of progress", "distance to the effective limits"
    ),
}
#: The general law's parameter table: what its priors may set.
TABLE: ParameterTable = {**PARAMETERS, **DERIVED}


def check_value(
    name: str, value: Any, field: str | None = None, table: ParameterTable = PARAMETERS
) -> float:
    """Return ``value`` as a float, or raise ConfigError naming the field and allowed range."""
    field = field or name
    if name not in table:
        raise ConfigError(field, name, f"a parameter name, one of {', '.join(table)}")
    spec = table[name]
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ConfigError(field, value, spec.describe())
    if not spec.contains(float(value)):
        raise ConfigError(field, value, spec.describe())
    return float(value)


def resolve(values: Mapping[str, Any]) -> dict[str, float]:
    """Fill defaults and check every value; unknown names raise ConfigError."""
    unknown = sorted(set(values) - set(PARAMETERS))
    if unknown:
        raise ConfigError(unknown[0], values[unknown[0]], f"a parameter, one of {list(PARAMETERS)}")
    out = {name: spec.default for name, spec in PARAMETERS.items()}
    for name, value in values.items():
        out[name] = check_value(name, value)
    return out


def to_params(values: Mapping[str, Any], dtype: Any = jnp.float32) -> Params:
    """Build a :class:`Params` from a mapping of scalars or arrays (no checking)."""
    return Params(**{name: jnp.asarray(values[name], dtype) for name in PARAM_NAMES})

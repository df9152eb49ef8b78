"""The doubling-times model: r from software-efficiency and research-input growth.

Rows of ``observed_growth.csv`` with a role (software, labour, compute) measure one latent
growth rate per role; r = g_software / g_inputs with a Cobb-Douglas research input
(MODEL.md section 6).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pandas as pd

from .._errors import ConfigError
from .._validate import choice, number
from ._common import (
    INTERVAL_COLUMNS,
    OBS,
    CalibrationModel,
    Estimates,
    Prepared,
    check_known,
    data_table,
    option,
)
from ._data import DAYS_PER_YEAR, check_interval, unique_labels
from ._priors import make_priors

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
    units = _TO_DOUBLINGS[choice(f"{field} column statistic", statistic, list(_TO_DOUBLINGS))]
    unit = choice(f"{field} column unit", unit, list(units))
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


@dataclasses.dataclass(frozen=True)
class GrowthEstimates:
    """The growth rows kept: log doublings a year, sd, role index, labels, facts."""

    used: pd.DataFrame
    log_g: np.ndarray
    sd: np.ndarray
    role: np.ndarray
    labels: list[str]
    info: dict[str, Any]
    labour_share: float


def read_growth(options: Mapping[str, Any], data_dir: Path) -> GrowthEstimates:
    """Rows of ``observed_growth.csv`` with a role, as log doublings a year, checked;
    ``options`` has ``data_file``, ``labour_share``, ``default_ci_level``,
    ``default_log_sd`` and ``exclude_quantities``."""
    labour_share = option(
        options, "labour_share", number, 0.0, 1.0, low_open=False, high_open=False
    )
    estimates = Estimates.from_options(options)
    exclude = list(options.get("exclude_quantities") or [])
    file_name, table = data_table(
        options,
        data_dir,
        {
            "quantity": "str",
            "statistic": "str",
            "value": "float",
            "unit": "str",
            **INTERVAL_COLUMNS,
            "period": "str?",
            "source": "str",
            "role": "str",
        },
    )
    for i, role in enumerate(table["role"]):
        choice(f"{file_name} line {i + 2} column role", role, ROLE_VALUES)
    check_interval(table, file_name, "value", "ci_low", "ci_high", "ci_level")
    quantities = sorted(set(table["quantity"]))
    check_known(
        "model.exclude_quantities", exclude, quantities, f"quantities of {file_name}: {quantities}"
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
    sd = estimates.log_sd(low, high, used["ci_level"])
    role_index = np.array([ROLES.index(r) for r in used["role"]], dtype=np.int32)
    labels = unique_labels(used["quantity"].tolist())
    info = Estimates.info(
        table, used, labels, roles=used["role"].tolist(), labour_share=labour_share
    )
    return GrowthEstimates(used, np.log(rates[:, 0]), sd, role_index, labels, info, labour_share)


def prepare_doubling_times(options: Mapping[str, Any], data_dir: Path) -> Prepared:
    """Rows of ``observed_growth.csv`` with a role, as log doublings a year."""
    priors = make_priors(
        options.get("priors"), "model.priors", {f"log_g_{r}": False for r in ROLES}
    )
    growth = read_growth(options, data_dir)
    return Prepared(
        model=functools.partial(
            doubling_times_model, priors=priors, labour_share=growth.labour_share
        ),
        inputs={"role": growth.role, "sd": growth.sd.astype(np.float32)},
        obs=growth.log_g,
        obs_sd=growth.sd,
        labels=growth.labels,
        dim="observation",
        obs_label="log growth (doublings a year)",
        table=growth.used,
        info=growth.info,
    )


DOUBLING_TIMES = CalibrationModel(
    "doubling_times",
    "r from software-efficiency and research-input growth",
    prepare_doubling_times,
    "r",
    ("r", "g_software", "g_labour", "g_compute", "g_inputs", "software_doubling_time_days"),
)

"""What the three calibration models share: their prepared form, registration and options.

Each model (``_time_horizons``, ``_returns``, ``_doubling_times``) is a
:class:`CalibrationModel`: a ``prepare`` function that reads and validates its table and
options into a :class:`Prepared` (arrays plus a NumPyro model function with its static
options bound), and the names of the posterior variables a forecast or a report uses. The
NumPyro functions take ``obs=None`` to simulate (prior and posterior predictive) and store
every forecast-ready quantity with ``numpyro.deterministic`` so it lands in the
``posterior`` group of ``posterior.nc``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._errors import ConfigError
from .._validate import number, positive
from ._data import log_interval_sd, read_table

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
    coords: dict[str, list[str]] = field(default_factory=dict)
    """Coordinates of those dimensions, where they are not ``dim`` (``labels``)."""


@dataclass(frozen=True)
class CalibrationModel:
    """A registered calibration model."""

    name: str
    description: str
    prepare: Callable[[Mapping[str, Any], Path], Prepared]
    forecast_variable: str
    key_quantities: tuple[str, ...]
    """Posterior variables reported with quantiles (those the options leave out are skipped)."""


def option(
    options: Mapping[str, Any],
    name: str,
    check: Callable[..., Any] | None = None,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """``options[name]``, required; checked by ``check(field, value, *args, **kwargs)``.

    ``check`` is one of :mod:`forecaster._validate`'s checks (``choice``, ``number``,
    ``boolean``…); errors name the field ``model.<name>``.
    """
    field_name = f"model.{name}"
    if name not in options:
        raise ConfigError(field_name, None, "a value (the option is missing from the config)")
    value = options[name]
    return value if check is None else check(field_name, value, *args, **kwargs)


def data_table(
    options: Mapping[str, Any], data_dir: Path, schema: Mapping[str, str]
) -> tuple[str, pd.DataFrame]:
    """The option ``data_file`` and its table read from ``data_dir`` by ``schema``."""
    file_name = str(option(options, "data_file"))
    return file_name, read_table(data_dir, file_name, schema)


#: The interval columns of a table of reported estimates (returns, doubling times).
INTERVAL_COLUMNS = {"ci_low": "float?", "ci_high": "float?", "ci_level": "float?"}


@dataclass(frozen=True)
class Estimates:
    """How a table of reported estimates with optional intervals (:data:`INTERVAL_COLUMNS`)
    becomes log-scale sds: the options ``default_ci_level`` and ``default_log_sd``."""

    default_level: float
    """Level of an interval whose ``ci_level`` cell is empty."""
    default_sd: float
    """Log-scale sd of a row without an interval."""

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Estimates:
        return cls(
            default_level=option(options, "default_ci_level", number, 0.0, 1.0),
            default_sd=option(options, "default_log_sd", positive),
        )

    def log_sd(self, low: Any, high: Any, level: pd.Series) -> np.ndarray:
        """Log-scale sd of each row from its interval (low, high) at ``level`` (NaN: default)."""
        return log_interval_sd(low, high, level.fillna(self.default_level), self.default_sd)

    @staticmethod
    def info(
        table: pd.DataFrame, used: pd.DataFrame, labels: list[str], **facts: Any
    ) -> dict[str, Any]:
        """The facts about the rows kept (``used`` of ``table``), the model's own ``facts``
        after the row labels."""
        return {
            "rows": labels,
            **facts,
            "rows_excluded": len(table) - len(used),
            "rows_with_default_sd": int(used["ci_low"].isna().sum()),
        }


def check_known(field_name: str, requested: Sequence[Any], known: Any, allowed: str) -> None:
    """Every name in ``requested`` is among ``known``; else a ConfigError listing them."""
    unknown = sorted(set(requested) - set(known))
    if unknown:
        raise ConfigError(field_name, unknown, allowed)

"""Calibration of the forecaster's priors against observed data (MODEL.md section 6).

``run_calibration(cfg, run_dir)`` fits one of :data:`MODELS` with NumPyro NUTS and writes into
``run_dir``: ``posterior.nc`` (ArviZ InferenceData: posterior, prior, prior_predictive,
posterior_predictive, observed_data, log_likelihood, sample_stats), ``posterior_summary.csv``
(``az.summary``), ``data_used.csv`` (the rows fitted), ``calibration.json``,
``calibration.md`` and PNG plots. A forecast prior
``{dist: posterior, path: <run_dir>/posterior.nc, variable: <name>}`` reads the forecast-ready
variable (``r_new``, ``r`` or ``doubling_time_days``) from the posterior group.
"""

from __future__ import annotations

import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from .._errors import ConfigError
from .._files import write_atomic, write_atomic_via_path
from .._validate import choice
from ._combined import COMBINED
from ._common import CalibrationModel
from ._data import resolve_data_dir
from ._doubling_times import DOUBLING_TIMES
from ._inference import Settings, diagnose, free_parameters, leave_one_out, sample, summarize
from ._report import console_summary, quantiles, write_json, write_markdown
from ._returns import RETURNS
from ._time_horizons import TIME_HORIZONS

__all__ = ["MODELS", "CalibrationModel", "run_calibration"]

#: The calibration models by name (MODEL.md section 6).
MODELS: dict[str, CalibrationModel] = {
    m.name: m for m in (TIME_HORIZONS, RETURNS, DOUBLING_TIMES, COMBINED)
}


def _as_dict(cfg: DictConfig | dict[str, Any]) -> dict[str, Any]:
    """The composed config as plain containers (interpolations resolved)."""
    if isinstance(cfg, DictConfig):
        return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
    return dict(cfg)


def _section(cfg: dict[str, Any], name: str) -> dict[str, Any]:
    """A required mapping section of the config."""
    section = cfg.get(name)
    if not isinstance(section, dict):
        raise ConfigError(name, section, "a mapping (see conf/calibrate.yaml)")
    return section


def run_calibration(cfg: DictConfig | dict[str, Any], run_dir: Path) -> dict[str, Any]:
    """Fit the configured calibration model and write its results into ``run_dir``.

    ``cfg`` is the composed ``conf/calibrate.yaml`` (``model``, ``inference``, ``thresholds``,
    ``data_dir``, ``plots``). Prints a short summary; if the diagnostics miss a threshold it
    also prints a WARNING line on stderr and records ``"converged": false``. Returns the
    content of ``calibration.json``. Raises :class:`ConfigError` for a user mistake.
    """
    started = time.perf_counter()
    config = _as_dict(cfg)
    model_cfg = _section(config, "model")
    name = choice("model.name", model_cfg.get("name"), sorted(MODELS))
    spec = MODELS[name]
    settings = Settings.from_config(_section(config, "inference"), _section(config, "thresholds"))
    data_dir = resolve_data_dir(config.get("data_dir"))
    prepared = spec.prepare(model_cfg, data_dir)

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    idata = sample(prepared, settings)
    params = free_parameters(prepared)
    diagnostics = diagnose(idata, params, settings)
    posterior_path = run_dir / "posterior.nc"
    write_atomic_via_path(posterior_path, lambda tmp: idata.to_netcdf(str(tmp)))
    write_atomic(run_dir / "posterior_summary.csv", summarize(idata, settings.hdi_prob).to_csv())
    # the rows fitted, with sources
    write_atomic(run_dir / "data_used.csv", prepared.table.to_csv(index=False))

    result: dict[str, Any] = {
        "model": name,
        "description": spec.description,
        "n_observations": len(prepared.obs),
        "converged": diagnostics["converged"],
        "forecast_variable": spec.forecast_variable,
        "posterior_path": str(posterior_path),
        "diagnostics": diagnostics,
        "loo": leave_one_out(idata, prepared.labels),
        "quantiles": quantiles(
            idata.posterior, [q for q in spec.key_quantities if q in idata.posterior]
        ),
        "data": {
            "data_dir": str(data_dir),
            "data_file": model_cfg.get("data_file"),
            **prepared.info,
        },
        "config": config,
        "versions": {m: version(m) for m in ("jax", "numpyro", "arviz")},
    }
    plots: dict[str, str] = {}
    if config.get("plots", True):
        from ._plots import write_plots  # matplotlib only when plotting

        plots = write_plots(
            idata, prepared, name, params, list(spec.key_quantities), run_dir,
            spec.forecast_variable,
        )  # fmt: skip
    result["plots"] = list(plots.values())
    result["seconds"] = round(time.perf_counter() - started, 2)
    write_json(result, run_dir / "calibration.json")
    write_markdown(result, plots, run_dir / "calibration.md")

    print(console_summary(result))
    if not result["converged"]:
        print(
            f"WARNING: calibration '{name}' did not converge: "
            + "; ".join(diagnostics["failures"])
            + f" (results in {run_dir} are unreliable)",
            file=sys.stderr,
        )
    return result

"""Forecasts from Python: ``forecaster.forecast``, ``load``, ``sweep``, ``prior`` and
``scenario_priors``.

The same composition, validation and engine as ``forecaster forecast``: for the same
settings the numbers are bit-identical to the command line's. A forecast runs in memory (its
checkpoints in a temporary directory) unless ``run_dir`` is given, where it writes exactly
the files the command line writes.
"""

from __future__ import annotations

import dataclasses
import itertools
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import OmegaConf

from ._config import compose_forecast, plan_forecast
from ._engine import ForecastResult, run_forecast
from ._errors import ConfigError
from ._outputs import build_summary, sample_frame
from .models import DEFAULT_MODEL, get_model

_PROBABILITY_COLUMNS = ["years", "window_months", "p", "se", "ci_low", "ci_high", "count", "n"]


@dataclasses.dataclass
class Forecast:
    """A finished forecast: its summary (the content of summary.json) as tables.

    Attributes:
        summary: every number of the run, as summary.json holds it.
        draws: the capped per-draw sample (draws.parquet), or None.
        config: the validated config the run was made with (plain data).
        run_dir: where its files are, or None for a forecast held in memory.
    """

    summary: dict[str, Any]
    draws: pd.DataFrame | None
    config: dict[str, Any]
    run_dir: Path | None = None
    _result: ForecastResult | None = dataclasses.field(default=None, repr=False)

    @property
    def probabilities(self) -> pd.DataFrame:
        """P(>= Y years within w) on the grid: years, window_months, p, se, Wilson interval,
        count, n."""
        return pd.DataFrame(self.summary["probabilities"]).reindex(columns=_PROBABILITY_COLUMNS)

    @property
    def quantiles(self) -> pd.DataFrame:
        return pd.DataFrame(self.summary.get("quantiles", []))

    @property
    def sensitivity(self) -> pd.DataFrame:
        return pd.DataFrame(self.summary.get("sensitivity", []))

    @property
    def fan(self) -> pd.DataFrame:
        return pd.DataFrame(self.summary.get("fan", []))

    @property
    def curve(self) -> pd.DataFrame:
        """P(>= Y years within w) on the fine grid of Y (curve.csv)."""
        return pd.DataFrame(self.summary.get("curve", []))

    @property
    def calendar(self) -> dict[str, Any] | None:
        return self.summary.get("calendar")

    @property
    def milestones(self) -> pd.DataFrame:
        """A ladder's milestones, one row each (empty without a ladder): ``milestone``,
        ``phase``, the quantiles of the years after the start (``q05`` ... ``q95``),
        ``p_within_<Y>`` (exact) and, when dated, ``date_q10`` / ``date_q50`` / ``date_q90``."""
        rows = []
        for name, entry in (self.summary.get("milestones") or {}).items():
            row = {"milestone": name, "phase": entry["phase"], **entry["years_after_start"]}
            row |= {f"p_within_{y}": p for y, p in entry["p_within_years"].items()}
            if "date" in entry:
                row |= {f"date_{key}": entry["date"][key] for key in ("q10", "q50", "q90")}
            rows.append(row)
        return pd.DataFrame(rows)

    def probability(self, years: float, window_months: float) -> float | None:
        """P(>= ``years`` years of progress within ``window_months``), from the grid."""
        rows = self.probabilities
        hit = rows[(rows.years == years) & (rows.window_months == window_months)]
        if hit.empty:
            raise ConfigError(
                "years, window_months", (years, window_months), "a cell of the run's grid"
            )
        return hit.p.iloc[0]

    def to_xarray(self) -> Any:
        """The probability grid as an xarray Dataset over (window_months, years): p, se,
        ci_low, ci_high, count."""
        frame = self.probabilities.set_index(["window_months", "years"])
        return frame[["p", "se", "ci_low", "ci_high", "count"]].to_xarray()

    def report(self, path: str | Path | None = None) -> Path:
        """Write report.html and report.md (into the run directory, or ``path`` for a
        forecast held in memory, with the run's files); returns report.html's path."""
        from ._outputs import write_outputs
        from ._rundir import run_lock, save_config
        from .report import write_report

        target = Path(path) if path is not None else self.run_dir
        if target is None:
            raise ConfigError("path", None, "a directory for the report of an in-memory forecast")
        if not (target / "summary.json").is_file():
            if self._result is None:
                raise ConfigError("path", str(target), "the run directory of this forecast")
            target.mkdir(parents=True, exist_ok=True)
            with run_lock(target):
                save_config(self.config, target)
                write_outputs(self._result, target)
        return write_report(target)


def _overrides(scenario: str | None, n_draws: int | None, seed: int | None, more: Sequence[str]):
    items = [] if scenario is None else [f"scenario={scenario}"]
    items += [] if n_draws is None else [f"n_draws={n_draws}"]
    items += [] if seed is None else [f"seed={seed}"]
    return [*items, *more]


def forecast(
    scenario: str | None = None,
    n_draws: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    run_dir: str | Path | None = None,
    progress: bool = True,
) -> Forecast:
    """Run a forecast: ``forecaster forecast scenario=... n_draws=... seed=... <overrides>``.

    Args:
        scenario: a preset (default: the config's, ``decaying``).
        n_draws, seed: as on the command line (default: the config's).
        overrides: further Hydra overrides, e.g. ``["scenario.params.p.high=0.4"]``.
        run_dir: write the run's files there (and lock it), as the command line does; None
            keeps the forecast in memory.
        progress: show a progress bar.

    Raises:
        ConfigError: a value that is not allowed, naming it.
    """
    cfg = compose_forecast(
        [*_overrides(scenario, n_draws, seed, overrides), f"output.progress_bar={progress}"]
    )
    plan = plan_forecast(cfg)
    config = OmegaConf.to_container(cfg, resolve=True)
    if run_dir is not None:
        from ._forecast import run_into

        run_dir = Path(run_dir)
        summary, result = run_into(cfg, plan, run_dir, "run_dir")
        return Forecast(summary, sample_frame(result), config, run_dir, result)
    with tempfile.TemporaryDirectory(prefix="forecaster-") as tmp:
        result = run_forecast(plan, Path(tmp), progress_bar=progress)
    return Forecast(build_summary(result), sample_frame(result), config, None, result)


def load(run_dir: str | Path) -> Forecast:
    """A finished run read back from its directory (summary.json checked, draws.parquet and
    config.yaml if present).

    Raises:
        ConfigError: not a finished run directory, or a malformed summary.json.
    """
    from ._rundir import load_saved_config
    from .report._load import load_run

    path = Path(run_dir).expanduser()
    run = load_run(path)
    draws = path / "draws.parquet"
    try:
        config = OmegaConf.to_container(load_saved_config(path, field="run_dir"))
    except ConfigError:
        config = {}
    frame = pd.read_parquet(draws) if draws.is_file() else None
    return Forecast(run.summary, frame, config, path)


def sweep(
    grid: Mapping[str, Sequence[Any]],
    scenario: str | None = None,
    n_draws: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    progress: bool = False,
) -> pd.DataFrame:
    """Every combination of ``grid`` (key -> values, Hydra override keys) as one forecast
    each, in this process; one long table: a row per job and grid cell with the job's label
    (its overrides), each swept key's value, and years, window_months, p, se, Wilson
    interval, count, n."""
    keys = list(grid)
    rows = []
    for values in itertools.product(*(grid[k] for k in keys)):
        swept = [f"{k}={v}" for k, v in zip(keys, values, strict=True)]
        result = forecast(scenario, n_draws, seed, [*overrides, *swept], progress=progress)
        table = result.probabilities
        table.insert(0, "job", " ".join(swept))
        for k, v in zip(reversed(keys), reversed(values), strict=True):
            table.insert(1, k, v)
        rows.append(table)
    return pd.concat(rows, ignore_index=True)


def prior(spec: Any, parameter: str | None = None, model: str = DEFAULT_MODEL) -> Any:
    """A prior spec (a number, a mapping or the compact form ``"log_uniform(low=2, high=32)"``)
    as a NumPyro distribution; a posterior-file prior as a distribution with ``sample`` and
    ``log_prob``. With ``parameter``, the spec is checked against that parameter's range in
    ``model``'s parameter table (a registered model's name).

    Raises:
        ConfigError: a spec that is not allowed, naming the field.
    """
    from ._priors._specs import DISTRIBUTIONS, build_distribution, parse_prior, spec_mapping

    if parameter is not None:
        table = get_model(model, "model")().parameters()
        return parse_prior(parameter, spec, parameter, table).distribution
    _, _, distribution = build_distribution(spec_mapping(spec, "prior"), "prior", DISTRIBUTIONS)
    return distribution


def scenario_priors(scenario: str | None = None, overrides: Sequence[str] = ()) -> dict:
    """A scenario's priors as the forecast reads them: parameter -> distribution."""
    plan = plan_forecast(compose_forecast(_overrides(scenario, None, None, overrides)))
    return {p.name: p.distribution for p in plan.priors.priors}

"""``objective=...``: the number a forecast returns to a Hydra sweeper, and an Optuna sweep
over a prior bound driven by it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml

from forecaster import ConfigError
from forecaster._config import plan_forecast
from forecaster._objective import check_objective, objective_value

SUMMARY = {
    "probabilities": [
        {"years": 3.0, "window_months": 12.0, "p": 0.56},
        {"years": 10.0, "window_months": 4.0, "p": 0.12},
    ],
    "flags": {"accelerated": {"p": 0.4}},
    "headline": {"median_peak_speedup": 19.5, "median_years_to_10_years_of_progress": None},
}


@pytest.mark.parametrize(
    ("objective", "value"),
    [
        ("P(>=3y in 12m)", 0.56),
        ("P(>=10y in 4m)", 0.12),
        ("accelerated", 0.4),
        ("headline.median_peak_speedup", 19.5),
    ],
)
def test_an_objective_names_one_number(objective, value):
    assert objective_value(SUMMARY, objective) == value


@pytest.mark.parametrize(
    "objective", ["headline.nope", "headline.median_years_to_10_years_of_progress", "flags"]
)
def test_an_objective_that_is_not_a_number_is_one_line(objective):
    with pytest.raises(ConfigError) as err:
        objective_value(SUMMARY, objective)
    assert err.value.field == "objective"


def test_an_event_off_the_grid_is_refused_before_any_work(compose_forecast):
    plan = plan_forecast(compose_forecast())
    assert check_objective("P(>=3y in 12m)", plan) == "P(>=3y in 12m)"
    with pytest.raises(ConfigError, match="grid"):
        check_objective("P(>=3y in 5m)", plan)


@pytest.mark.slow
def test_an_optuna_sweep_searches_a_prior_bound(tmp_path):
    proc = subprocess.run(
        [
            sys.executable, "-m", "forecaster", "forecast", "-m", "hydra/sweeper=optuna",
            "hydra.sweeper.n_trials=3", "hydra.sweeper.direction=maximize",
            "scenario.params.p.high=interval(0.3,0.6)", "objective='P(>=3y in 12m)'",
            "n_draws=4096", "output.report=false", "output.progress_bar=false",
            f"hydra.sweep.dir={tmp_path}",
        ],
        capture_output=True, text=True, timeout=900,
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = yaml.safe_load((tmp_path / "optimization_results.yaml").read_text())
    assert 0.3 <= results["best_params"]["scenario.params.p.high"] <= 0.6
    assert 0.0 < results["best_value"] < 1.0
    assert len(list(tmp_path.glob("*/summary.json"))) == 3

"""The worked example of docs/MODELS.md end to end: a model added from outside the package
(tests/plugin_model: its folder and its preset, nothing else) runs from the command line and
the Python API, sweeps, resumes, shards and merges, reports and serves, and its numbers are
its closed form's."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest

import forecaster
import tests.plugin_model  # noqa: F401  (registers the model and its config directory)
from forecaster._kernel import draw_outcomes
from forecaster._priors import PriorSet
from tests.plugin_model._model import ExponentialCeiling

ROOT = Path(__file__).resolve().parent.parent
ENV = {
    **os.environ,
    "JAX_PLATFORMS": "cpu",
    "FORECASTER_MODELS": "tests.plugin_model",
    "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
}
COMMON = ("scenario=exponential_ceiling", "output.progress_bar=false", "seed=2")


def cli(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "forecaster", *args],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


@pytest.mark.slow
def test_its_outcomes_are_its_closed_form():
    """t(x) = ln(1 + g Ts x / f) / g, so the time to Y years of progress (8 Y doublings at
    Ts = 0.25, s = 0.5) is that at x = 8 Y; the most progress in the first window of w is
    x(w) = f (e^(g w) - 1) / (g Ts) doublings: the fastest window is the last one."""
    model = ExponentialCeiling(
        steps=128,
        max_doublings=128.0,  # one node a doubling: the ceiling (96) is a node
        windows_years=(1.0,),
        progress_levels_years=(1.0, 3.0),
        doublings_per_year=8.0,
    )
    values = {"f": 4.0, "g": 0.8, "ceiling_years": 12.0, "Ts": 0.25}
    out = draw_outcomes(model, values, jnp.float32)
    v0 = 4.0 / 0.25
    for k, years in enumerate((1.0, 3.0)):
        exact = math.log1p(0.8 * 8 * years / v0) / 0.8
        assert float(out["time_to_progress_years"][k]) == pytest.approx(exact, rel=1e-5)
    # Growth accelerates: the window ending at the horizon holds the most progress.
    horizon = model.horizon_years
    x_end = min(v0 * (math.exp(0.8 * horizon) - 1) / 0.8, 12.0 * 8)
    assert float(out["progress_by_horizon_years"]) == pytest.approx(x_end / 8, rel=1e-5)
    assert bool(out["reached_ceiling"])


def test_the_api_and_the_explorer_run_it():
    f = forecaster.forecast("exponential_ceiling", n_draws=4096, seed=2, progress=False)
    assert f.summary["model"]["name"] == "exponential_ceiling"
    assert f.summary["headline"]["kind"] == "progress"
    assert 0 < f.probability(3.0, 12.0) < 1
    from forecaster._serve._app import parameter_table
    from forecaster._serve._state import parse_state, presets

    assert "exponential_ceiling" in presets("scenario")
    table = parameter_table(parse_state({"scenario": "exponential_ceiling"}))
    assert table["model"]["title"] == ExponentialCeiling.title
    assert {row["name"] for row in table["parameters"]} == {"f", "g", "ceiling_years", "Ts"}
    prior = forecaster.prior("log_uniform(low=0.1, high=3)", "g", model="exponential_ceiling")
    assert float(prior.icdf(jnp.asarray(0.5))) == pytest.approx(math.sqrt(0.3), rel=1e-5)
    assert isinstance(forecaster.scenario_priors("exponential_ceiling"), dict)
    assert PriorSet  # the priors are the package's own


@pytest.mark.slow
def test_cli_sweep_resume_merge_and_report(tmp_path):
    args = (*COMMON, "n_draws=12001", "chunk_size=4096")
    single = tmp_path / "single"
    done = cli("forecast", *args, f"hydra.run.dir={single}")
    assert "Scenario exponential_ceiling" in done.stdout
    whole = summary(single)
    assert (single / "report.html").is_file()

    # Shards in separate processes merge to the single run.
    shards = [tmp_path / f"shard{i}" for i in range(2)]
    for i, shard in enumerate(shards):
        cli("forecast", *args, "num_shards=2", f"shard_index={i}", f"hydra.run.dir={shard}")
    cli("merge", *map(str, shards), "--out", str(tmp_path / "merged"))
    merged = summary(tmp_path / "merged")
    for key in ("probabilities", "quantiles", "sensitivity", "fan", "non_finite"):
        assert merged[key] == whole[key], key

    # A run stopped after its first chunk resumes to the same numbers.
    from forecaster._config import compose_forecast, plan_forecast
    from forecaster._engine import run_forecast
    from forecaster._rundir import save_config

    cfg = compose_forecast(list(args))
    stopped = tmp_path / "stopped"
    stopped.mkdir()
    save_config(cfg, stopped)

    def stop(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_forecast(plan_forecast(cfg), stopped, progress_bar=False, on_chunk=stop)
    assert not (stopped / "summary.json").exists()
    cli("forecast", f"resume={stopped}")
    resumed = summary(stopped)
    for key in ("probabilities", "quantiles", "sensitivity"):
        assert resumed[key] == whole[key], key

    # A sweep over one of its priors, with the comparison table.
    sweep = tmp_path / "sweep"
    cli(
        "forecast",
        "-m",
        *COMMON,
        "n_draws=4096",
        "scenario.params.g=0.2,2.0",
        f"hydra.sweep.dir={sweep}",
        "output.report=false",
    )
    table = (sweep / "comparison.csv").read_text()
    assert table.count("\n") >= 3

    # The report of a run directory, re-rendered.
    (single / "report.html").unlink()
    cli("report", str(single))
    html = (single / "report.html").read_text()
    assert "exponential_ceiling" in html
    # The model's own section, its text escaped (never markup).
    assert "The law of this model" in html and "for x &lt; D" in html
    p = np.array([r["p"] for r in whole["probabilities"]], dtype=float)
    assert np.all((p >= 0) & (p <= 1))

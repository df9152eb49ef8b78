"""forecaster from Python: forecast, load, sweep, prior, scenario_priors: the command line's
numbers, bit for bit, and files it can read back."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

import forecaster as fc

pytestmark = pytest.mark.slow
ARGS = ("scenario=davidson_houlden_2025", "n_draws=8192", "seed=3")


def _cli(run_dir: Path, *args: str) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "forecaster", "forecast", *args, "output.report=false",
         "output.progress_bar=false", f"hydra.run.dir={run_dir}"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "JAX_PLATFORMS": "cpu"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((run_dir / "summary.json").read_text())


def test_the_api_gives_the_command_lines_numbers_bit_for_bit(tmp_path):
    cli = _cli(tmp_path / "cli", *ARGS)
    api = fc.forecast("davidson_houlden_2025", n_draws=8192, seed=3, progress=False)
    for key in ("probabilities", "quantiles", "sensitivity", "fan", "curve", "flags"):
        assert api.summary[key] == cli[key], key
    row = api.probabilities.iloc[0]
    assert list(api.probabilities.columns) == [
        "years", "window_months", "p", "se", "ci_low", "ci_high", "count", "n",
    ]  # fmt: skip
    assert api.probability(row.years, row.window_months) == row.p
    assert api.to_xarray().p.shape == (2, 4)


def test_a_forecast_into_a_directory_loads_back(tmp_path):
    run = tmp_path / "run"
    made = fc.forecast(
        "davidson_houlden_2025", n_draws=4096, overrides=["output.sample_size=100"],
        run_dir=run, progress=False,
    )  # fmt: skip
    back = fc.load(run)
    assert back.summary == json.loads((run / "summary.json").read_text()) == made.summary
    assert back.draws.shape == made.draws.shape == (100, made.draws.shape[1])
    assert back.config["scenario"]["name"] == "davidson_houlden_2025"
    assert back.report().name == "report.html" and (run / "report.md").is_file()


def test_an_in_memory_forecast_writes_its_report_where_asked(tmp_path):
    made = fc.forecast("davidson_houlden_2025", n_draws=4096, progress=False)
    html = made.report(tmp_path / "report_here")
    assert html.is_file() and (tmp_path / "report_here" / "summary.json").is_file()


def test_a_sweep_labels_every_job_by_what_it_swept():
    table = fc.sweep(
        {"scenario.params.p.high": [0.4, 0.6]}, scenario="davidson_houlden_2025", n_draws=4096
    )
    assert set(table.job) == {"scenario.params.p.high=0.4", "scenario.params.p.high=0.6"}
    assert set(table["scenario.params.p.high"]) == {0.4, 0.6}
    assert {"years", "window_months", "p", "se", "ci_low", "ci_high"} <= set(table.columns)
    one = fc.forecast(
        "davidson_houlden_2025", n_draws=4096, overrides=["scenario.params.p.high=0.4"],
        progress=False,
    )  # fmt: skip
    mine = table[table.job == "scenario.params.p.high=0.4"].reset_index(drop=True)
    assert list(mine.p) == list(one.probabilities.p)


def test_priors_from_python_are_numpyro_distributions(tmp_path):
    d = fc.prior("log_uniform(low=2, high=32)")
    x = d.sample(jax.random.PRNGKey(0), (2000,))
    assert 2 <= float(x.min()) and float(x.max()) <= 32
    assert float(d.log_prob(8.0)) == pytest.approx(-math.log(8.0 * math.log(16.0)))
    with pytest.raises(fc.ConfigError):
        fc.prior("uniform(low=2, low=3)")
    with pytest.raises(fc.ConfigError):
        fc.prior(1.5, parameter="phi0")  # outside phi0's range
    draws = np.random.default_rng(0).normal(1.0, 0.2, 4000)
    (tmp_path / "posterior.csv").write_text("r_new\n" + "\n".join(map(str, draws)))
    post = fc.prior({"dist": "posterior", "path": str(tmp_path / "posterior.csv"),
                     "variable": "r_new"})  # fmt: skip
    sample = np.asarray(post.sample(jax.random.PRNGKey(1), (4000,)))
    assert abs(sample.mean() - 1.0) < 0.02
    assert post.log_prob(1.0) == pytest.approx(
        math.log(1 / (0.2 * math.sqrt(2 * math.pi))), abs=0.1
    )
    priors = fc.scenario_priors("davidson_houlden_2025")
    assert {"f", "r0", "p", "ceiling_years"} <= set(priors)


def test_the_readmes_python_blocks_run_as_written():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})  # noqa: S102

"""Epoch's Full Takeoff Model reproduces its authors' code (issue 26).

``benchmarks/results/peers/ftm_presets.json`` holds what their published code (github.com/
epoch-research/ftm, the commit in the file) gives for their six published parameter sets,
and ``ftm_trajectories.csv.gz`` its state step by step (``python -m benchmarks.peers.ftm``).
The presets ``conf/scenario/epoch_ftm_2023_*.yaml`` must hold those parameter sets, and
forecaster's run of each must give every date and duration their code gives (the same
undefined ones), step for step: the same thresholds crossed at the same 0.1-year step, so
the dates agree to rounding (1e-9 years), and the series agree to the 12 significant digits
the table keeps. The three timelines presets ran in their Python with ``dynamic_t_end``;
their metrics run to 2100 (``fixed_horizon_2100``, the site's horizon, what the presets do)
are compared, and the file shows both agree but for one more GWP doubling time.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest
import yaml

from forecaster._outputs import build_summary
from forecaster._settings import precision_scope
from forecaster.models.epoch_ftm import _dynamics as dyn
from forecaster.models.epoch_ftm import _metrics as met
from forecaster.models.epoch_ftm._model import START, T_STEP, EpochFTM
from forecaster.models.epoch_ftm._table import TABLE

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / "benchmarks" / "results" / "peers"
PRESETS = ("best_guess", "conservative", "aggressive", "short_timelines", "med_timelines",
           "long_timelines")  # fmt: skip
#: Their state series and what forecaster's run calls them.
SERIES = {
    "gwp": lambda r: r.steps.produced.gwp,
    "hardware_performance": lambda r: r.steps.hardware_performance,
    "software": lambda r: r.steps.software,
    "compute": lambda r: r.steps.compute,
    "hardware": lambda r: r.steps.hardware,
    "biggest_training_run": lambda r: r.steps.produced.biggest_training_run,
    "frac_gwp_compute": lambda r: r.steps.fractions[:, 0],
    "frac_compute_training": lambda r: r.steps.fractions[:, 6],
    "frac_tasks_automated_goods": lambda r: r.steps.produced.frac_automated_goods,
    "frac_tasks_automated_rnd": lambda r: r.steps.produced.frac_automated_rnd,
    "automation_multiplier_goods": lambda r: r.steps.produced.automation_multiplier_goods,
    "automation_multiplier_rnd": lambda r: r.steps.produced.automation_multiplier_rnd,
    "rnd_input_hardware": lambda r: r.steps.produced.rnd_input_hardware,
    "rnd_input_software": lambda r: r.steps.produced.rnd_input_software,
    "rampup": lambda r: r.steps.rampup,
}


@pytest.fixture(scope="module")
def theirs() -> dict:
    return json.loads((PEERS / "ftm_presets.json").read_text())


@pytest.fixture(scope="module")
def trajectories() -> pd.DataFrame:
    return pd.read_csv(PEERS / "ftm_trajectories.csv.gz")


def _preset_params(name: str) -> dict[str, float]:
    text = (ROOT / "conf" / "scenario" / f"epoch_ftm_2023_{name}.yaml").read_text()
    return {k: float(v) for k, v in yaml.safe_load(text)["params"].items()}


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[dyn.Run, met.Metrics]]:
    """Each preset's run, as the model runs it (float64)."""
    model = EpochFTM()
    out = {}
    with precision_scope("float64"):
        run = jax.jit(lambda p: model._run(p)[0])
        for name in PRESETS:
            params = model.prepare(_preset_params(name), jnp.float64)
            r = run(params)
            m = met.metrics(r, jnp.asarray(model.times()), START, T_STEP)
            out[name] = jax.tree.map(np.asarray, (r, m))
    return out


def _close(ours: float, their: float | None) -> bool:
    if their is None:  # undefined in their code (NaN)
        return math.isnan(ours)
    return abs(ours - their) <= 1e-9


@pytest.mark.parametrize("name", PRESETS)
def test_preset_holds_their_parameter_set(name, theirs):
    passed = dict(theirs["presets"][name]["parameters"])
    passed.pop("dynamic_t_end", None)  # a setting of their run, not a parameter
    assert _preset_params(name) == {k: float(v) for k, v in passed.items()}


def test_defaults_are_their_best_guess(theirs):
    best = theirs["presets"]["best_guess"]["parameters"]
    assert set(TABLE) == set(dyn.Params._fields) == set(best)
    assert {n: s.default for n, s in TABLE.items()} == {n: float(v) for n, v in best.items()}


@pytest.mark.parametrize("name", PRESETS)
def test_every_metric_as_their_code(name, theirs, runs):
    entry = theirs["presets"][name]
    entry = entry.get("fixed_horizon_2100", entry)
    r, m = runs[name]
    assert bool(r.valid)
    for k, metric in enumerate(met.TIMELINE):
        assert _close(float(m.timeline[k]), entry["timeline_metrics"][metric]), metric
    for k, metric in enumerate(met.TAKEOFF):
        assert _close(float(m.takeoff[k]), entry["takeoff_metrics"][metric]), metric
    doublings = [round(float(v), 2) for v in m.doubling_times if not np.isnan(v)]
    assert doublings == entry["doubling_times"]  # they round to 0.01


@pytest.mark.parametrize("name", PRESETS)
def test_every_step_as_their_code(name, trajectories, runs):
    """Every step of their run, for as long as it ran (a timelines preset stopped early)."""
    frame = trajectories[trajectories.preset == name]
    r, _ = runs[name]
    n = len(frame)
    assert np.allclose(frame.timesteps.to_numpy(), EpochFTM().times()[:n], rtol=0, atol=1e-9)
    for column, ours in SERIES.items():
        mine = np.asarray(ours(r), np.float64)[:n]
        their = frame[column].to_numpy(np.float64)
        assert np.allclose(mine, their, rtol=2e-11, atol=0), column


def test_a_changed_parameter_changes_the_run(runs):
    """The comparison can fail: best guess with the conservative training requirements is
    another run."""
    model = EpochFTM()
    params = _preset_params("best_guess")
    params["full_automation_requirements_training"] = 1e40
    with precision_scope("float64"):
        r, _ = model._run(model.prepare(params, jnp.float64))
        m = met.metrics(r, jnp.asarray(model.times()), START, T_STEP)
    best = runs["best_guess"][1]
    assert float(m.timeline[met.TIMELINE.index("agi_year")]) > float(best.timeline[1]) + 5


@pytest.mark.parametrize("name", ("best_guess", "conservative"))
def test_forecast_summary_as_their_code(name, theirs, run_plan, tmp_path):
    """A forecast of the preset (the engine, counts and summaries) gives their dates within
    one step (the calendar's bins are 0.05 years) and the same undefined ones, their
    durations within one step, and P(full automation by 2100) of 1 or 0."""
    result = run_plan(tmp_path, f"scenario=epoch_ftm_2023_{name}", "n_draws=256")
    summary = json.loads(json.dumps(build_summary(result)))  # as summary.json holds it
    entry = theirs["presets"][name]
    for metric, their in entry["timeline_metrics"].items():
        date = summary["milestones"][metric]["date"]["q50"]
        assert (date is None) if their is None else abs(date - their) <= T_STEP, metric
    for metric, their in entry["takeoff_metrics"].items():
        row = summary["durations"][metric]
        if their is None:
            assert row["fraction_never"] == 1.0 and row["q50"] is None, metric
        else:
            assert row["fraction_never"] == 0.0 and abs(row["q50"] - their) <= T_STEP, metric
    automated = entry["timeline_metrics"]["automation_gns_100%"] is not None
    assert summary["flags"]["full_automation"]["p"] == float(automated)
    assert summary["non_finite"] == 0
    (section,) = EpochFTM.report_sections(summary)  # the report's table of their metrics
    assert len(section.rows) == 10 and section.rows[0][0].startswith("20% to 100% of goods")


def test_the_trajectory_command_draws_their_panels(tmp_path, capsys, trajectories, theirs):
    """``forecaster trajectory`` of the best guess: the path's columns step by step as their
    code's (the automated fractions, GWP), its milestones their dates, and the figure."""
    from forecaster.cli import main

    run = tmp_path / "run"
    assert main(["trajectory", "scenario=epoch_ftm_2023_best_guess", f"hydra.run.dir={run}"]) == 0
    frame = pd.read_csv(run / "trajectory.csv")
    assert (run / "trajectory.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    their = trajectories[trajectories.preset == "best_guess"]
    assert len(frame) == len(their) == 780
    np.testing.assert_allclose(frame.year, their.timesteps, atol=1e-9)
    np.testing.assert_allclose(frame.automated_goods, their.frac_tasks_automated_goods)
    np.testing.assert_allclose(frame.gwp, their.gwp, rtol=2e-11)
    growth = np.log(their.gwp.to_numpy()[10:] / their.gwp.to_numpy()[:-10])
    np.testing.assert_allclose(frame.gwp_growth.to_numpy()[10:], growth, rtol=1e-9)
    printed = capsys.readouterr().out
    assert "automation_gns_100%" in printed and "2040" in printed

"""The hand-off from a calibration to a forecast: the printed "use it in a forecast" command
runs as printed, for every calibration model.

The command is built in one place (``forecaster.calibration._report.forecast_command`` from
``FORECAST_USE``); a hint that leaves out a preset its setting needs
(``timelines=metr_trend`` for the time-horizon doubling time) fails in Hydra with "Could not
override", so each test pastes the command, split as a shell splits it, into the forecast
command line and requires exit 0 and that the forecast read the posterior file.

The fast tests write a small posterior file of the forecast variable by hand (what a
calibration saves, in the same ArviZ format); the slow one runs each calibration (a few NUTS
draws) and its printed line, end to end in processes.
"""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

import numpy as np
import pytest
from omegaconf import OmegaConf

from forecaster._arviz import az
from forecaster.calibration import MODELS
from forecaster.calibration._report import FORECAST_USE, forecast_command
from forecaster.cli import main

# A small forecast: the command's own overrides come first, these after.
TINY = ("n_draws=512", "output.report=false", "output.progress_bar=false")

# Plausible posterior draws of each forecast variable (positive; r near 1, METR's ~130 days).
DRAWS = {
    "r_new": lambda rng: rng.lognormal(0.0, 0.5, 200),
    "r": lambda rng: rng.lognormal(0.0, 0.3, 200),
    "r_software": lambda rng: rng.lognormal(0.0, 0.2, 200),
    "doubling_time_days": lambda rng: rng.lognormal(np.log(130.0), 0.1, 200),
}


def pasted(command: str) -> list[str]:
    """The arguments after ``forecaster forecast`` of a printed command, as a shell splits
    them."""
    words = shlex.split(command)
    assert words[:2] == ["forecaster", "forecast"], command
    return words[2:]


def handmade_result(model: str, directory: Path) -> dict:
    """The part of calibration.json the hint reads, with a posterior.nc written by hand."""
    variable = MODELS[model].forecast_variable
    path = directory / "posterior.nc"
    draws = DRAWS[variable](np.random.default_rng(0)).reshape(2, -1)
    az.from_dict(posterior={variable: draws}).to_netcdf(str(path))
    return {"model": model, "forecast_variable": variable, "posterior_path": str(path)}


def run_cli(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys) -> tuple[int, str]:
    """``forecaster <args>`` in this process: its exit code and stderr."""
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", "")
    monkeypatch.delenv("FORECASTER_DEBUG", raising=False)
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    capsys.readouterr()
    try:
        code = main(args)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    return code, capsys.readouterr().err


def used_posterior(run_dir: Path, result: dict, cwd: Path | None = None) -> bool:
    """Whether the forecast in ``run_dir`` (run from ``cwd``) took its setting from the
    posterior file of ``result`` (a missing or unreadable file would have failed the run: the
    prior reads it)."""
    config = OmegaConf.load(run_dir / "config.yaml")
    setting = FORECAST_USE[result["forecast_variable"]].setting
    value = str(OmegaConf.select(config, setting))
    match = re.fullmatch(r"posterior\(path=(.*), variable=(\w+)\)", value)
    if match is None or match[2] != result["forecast_variable"]:
        return False
    return (cwd or Path.cwd()).joinpath(match[1]).resolve() == Path(
        result["posterior_path"]
    ).resolve()


def test_every_calibration_model_has_a_forecast_use() -> None:
    """No model's hint falls back to the placeholder ``scenario.params.<parameter>``."""
    for name, spec in MODELS.items():
        assert spec.forecast_variable in FORECAST_USE, name
        result = {"forecast_variable": spec.forecast_variable, "posterior_path": "p.nc"}
        command = forecast_command(result)
        assert "<" not in command and command.startswith("forecaster forecast "), command


def test_the_hint_quotes_a_path_with_spaces() -> None:
    """The command survives the shell whatever the run directory is called."""
    result = {"forecast_variable": "r_new", "posterior_path": "/tmp/my runs/it's/posterior.nc"}
    words = pasted(forecast_command(result))
    assert words == [
        'scenario.params.r0="posterior(path=/tmp/my runs/it\'s/posterior.nc, variable=r_new)"'
    ]


def test_the_time_horizons_hint_runs_as_printed(tmp_path, monkeypatch, capsys) -> None:
    """The case the issue reported: the hint names ``timelines=metr_trend`` so that
    ``timelines.params.doubling_time_days`` exists, and the forecast reads the file."""
    result = handmade_result("time_horizons", tmp_path)
    command = forecast_command(result)
    assert "timelines=metr_trend" in pasted(command)
    run = tmp_path / "forecast"
    code, err = run_cli(
        ["forecast", *pasted(command), *TINY, f"hydra.run.dir={run}"], monkeypatch, capsys
    )
    assert code == 0, err[-3000:]
    assert used_posterior(run, result)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["returns", "doubling_times", "combined_r"])
def test_each_r_hint_runs_as_printed(model, tmp_path, monkeypatch, capsys) -> None:
    """The r models' hints (``scenario.params.r0``) run as printed, in the default scenario."""
    result = handmade_result(model, tmp_path)
    run = tmp_path / "forecast"
    code, err = run_cli(
        ["forecast", *pasted(forecast_command(result)), *TINY, f"hydra.run.dir={run}"],
        monkeypatch,
        capsys,
    )
    assert code == 0, err[-3000:]
    assert used_posterior(run, result)


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(MODELS))
def test_the_printed_line_of_a_real_calibration_runs(
    model: str, tmp_path: Path, forecaster_process
) -> None:
    """End to end: ``forecaster calibrate`` (a few NUTS draws), the line it prints taken from
    its stdout, pasted into ``forecaster forecast``; both exit 0 (from the same directory, as
    a user would)."""
    calibrate = forecaster_process(
        "calibrate", f"model={model}", "plots=false", "inference.num_warmup=20",
        "inference.num_samples=20", "inference.num_chains=1", "inference.num_prior_samples=20",
        "hydra.run.dir=calibration", cwd=tmp_path,
    )  # fmt: skip
    assert calibrate.returncode == 0, calibrate.stderr[-3000:]
    prefix = "use it in a forecast: "
    lines = [ln for ln in calibrate.stdout.splitlines() if ln.startswith(prefix)]
    assert len(lines) == 1, calibrate.stdout[-3000:]
    forecast = forecaster_process(
        "forecast", *pasted(lines[0][len(prefix) :]), *TINY, "hydra.run.dir=forecast",
        cwd=tmp_path,
    )  # fmt: skip
    assert forecast.returncode == 0, forecast.stderr[-3000:]
    variable = MODELS[model].forecast_variable
    result = {
        "forecast_variable": variable,
        "posterior_path": tmp_path / "calibration/posterior.nc",
    }
    assert used_posterior(tmp_path / "forecast", result, cwd=tmp_path)

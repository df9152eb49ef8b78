"""Faults in sweeps (``forecaster forecast -m``): one failing job does not stop the others;
the comparison is written for the jobs that finished and names the failed ones; the exit code
says that some failed (2 if every failure was the user's, 1 if any was the environment's);
Ctrl-C stops the whole sweep (130)."""

from __future__ import annotations

import errno
import json

import pandas as pd
import pytest

import forecaster._forecast as forecast_module

from .conftest import snapshot

SMALL = ("n_draws=2000", "output.progress_bar=false", "output.report=false")


def _sweep(cli, tmp_path, *args):
    sweep = tmp_path / "sweep"
    outside = tmp_path / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "keep.txt").write_text("untouched")
    before = snapshot(outside)
    outcome = cli("forecast", "-m", *args, *SMALL, f"hydra.sweep.dir={sweep}")
    assert snapshot(outside) == before
    lines = [x for x in outcome.stderr.splitlines() if x.startswith("forecaster: error:")]
    assert "Traceback" not in outcome.stderr
    return outcome, sweep, lines


def _fail_for_seed(monkeypatch, seed: int, error: BaseException) -> None:
    real = forecast_module.run_forecast_job

    def job(cfg, run_dir):
        if cfg.seed == seed:
            raise error
        return real(cfg, run_dir)

    monkeypatch.setattr(forecast_module, "run_forecast_job", job)


def test_a_failing_job_leaves_the_others_and_the_sweep_exits_2(cli, tmp_path):
    outcome, sweep, lines = _sweep(cli, tmp_path, "scenario.params.phi0=1.5,0.5,2")
    assert outcome.code == 2
    assert len(lines) == 3 and "phi0=1.5" in lines[0] and "phi0=2.0" in lines[1]
    assert "2 sweep job(s) failed: 0_decaying, 2_decaying" in lines[2]
    assert "the comparison holds the 1 that finished" in lines[2]
    table = pd.read_csv(sweep / "comparison.csv")
    assert set(table.directory) == {"1_decaying"}
    md = (sweep / "comparison.md").read_text()
    assert "Failed jobs" in md and "0_decaying: scenario.params.phi0=1.5" in md
    record = json.loads((sweep / "0_decaying" / "failed.json").read_text())
    assert record["code"] == 2 and "phi0" in record["error"]
    assert (sweep / "1_decaying" / "summary.json").exists()


def test_a_sweep_where_every_job_fails_writes_no_table_and_says_so(cli, tmp_path):
    outcome, sweep, lines = _sweep(cli, tmp_path, "scenario.params.phi0=1.5,3")
    assert outcome.code == 2 and "none finished" in lines[-1]
    assert not (sweep / "comparison.csv").exists()
    assert "1_decaying: scenario.params.phi0=3.0" in (sweep / "comparison.md").read_text()


def test_an_environment_fault_in_one_job_is_exit_1_and_the_rest_finish(cli, tmp_path, monkeypatch):
    _fail_for_seed(monkeypatch, 1, OSError(errno.ENOSPC, "No space left on device"))
    outcome, sweep, lines = _sweep(cli, tmp_path, "seed=0,1,2")
    assert outcome.code == 1
    assert "No space left" in lines[0] and "1 sweep job(s) failed: 1_decaying" in lines[-1]
    assert set(pd.read_csv(sweep / "comparison.csv").directory) == {"0_decaying", "2_decaying"}


def test_a_bug_in_one_job_is_exit_1_and_named(cli, tmp_path, monkeypatch):
    _fail_for_seed(monkeypatch, 0, RuntimeError("boom"))
    outcome, _, lines = _sweep(cli, tmp_path, "seed=0,1")
    assert outcome.code == 1 and "internal error RuntimeError: boom" in lines[0]
    assert "1 sweep job(s) failed: 0_decaying" in lines[-1]


def test_ctrl_c_stops_the_whole_sweep(cli, tmp_path, monkeypatch):
    _fail_for_seed(monkeypatch, 0, KeyboardInterrupt())
    outcome, sweep, lines = _sweep(cli, tmp_path, "seed=0,1")
    assert outcome.code == 130 and len(lines) == 1 and "interrupted" in lines[0]
    assert not (sweep / "1_decaying").exists() and not (sweep / "comparison.csv").exists()


def test_a_sweep_that_succeeds_exits_0_with_no_failure_records(cli, tmp_path):
    outcome, sweep, lines = _sweep(cli, tmp_path, "seed=0,1")
    assert outcome.code == 0 and lines == []
    assert not list(sweep.glob("*/failed.json"))
    assert "Failed" not in (sweep / "comparison.md").read_text()


@pytest.mark.parametrize(
    "record", ['{"code": "x"}', "[1, 2]", '{"code": 2, "error": ' * 5000 + "1"]
)
def test_a_malformed_failure_record_is_read_as_a_failure(tmp_path, record):
    from forecaster._errors import ConfigError
    from forecaster._sweep import failed_jobs

    (tmp_path / "0_x").mkdir()
    (tmp_path / "0_x" / "failed.json").write_text(record)
    try:
        jobs = failed_jobs(tmp_path)
    except ConfigError as err:  # deep nesting or unreadable JSON: one line naming the file
        assert "failed.json" in str(err)
    else:
        assert jobs == [("0_x", 1, "its failure record is malformed")]

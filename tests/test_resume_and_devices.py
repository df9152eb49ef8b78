"""Runs as a user starts them: killed and resumed, on 1 and 4 devices, swept, sharded."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from forecaster._checkpoint import CHECKPOINT, load_checkpoint

pytestmark = pytest.mark.slow  # every test starts forecaster processes


def forecaster(*args: str, env: dict | None = None, cwd: Path | None = None):
    full_env = {**os.environ, "JAX_PLATFORMS": "cpu", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "forecaster", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=600,
    )


def run_concurrently(argument_lists: list[list[str]]) -> None:
    """Run several ``forecaster`` processes at once and require that each succeeds."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "forecaster", *arguments],
            env={**os.environ, "JAX_PLATFORMS": "cpu"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for arguments in argument_lists
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-2000:]


def summary(run_dir: Path) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


COMMON = ("scenario=expanding_pie", "output.report=false", "output.progress_bar=false")


def test_killed_run_resumes_to_the_same_numbers(tmp_path):
    n = 240_000
    args = (*COMMON, f"n_draws={n}", "chunk_size=2048")
    killed = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "forecaster", "forecast", *args, f"hydra.run.dir={killed}"],
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    checkpoint = killed / CHECKPOINT
    deadline = time.time() + 300
    progress = 0
    while time.time() < deadline and proc.poll() is None:
        if checkpoint.exists():
            try:
                progress = load_checkpoint(checkpoint)["next_draw"]
            except Exception:  # caught mid-replace: try again
                progress = 0
            if 0 < progress < n // 2:
                break
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "summary.json").exists()
    assert 0 < load_checkpoint(checkpoint)["next_draw"] < n

    resumed = forecaster("forecast", f"resume={killed}")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    whole = tmp_path / "whole"
    done = forecaster("forecast", *args, f"hydra.run.dir={whole}")
    assert done.returncode == 0, done.stderr[-2000:]
    a, b = summary(killed), summary(whole)
    assert a["probabilities"] == b["probabilities"]
    assert a["quantiles"] == b["quantiles"]
    assert a["sensitivity"] == b["sensitivity"]


def test_resume_refuses_a_different_configuration(tmp_path):
    run = tmp_path / "run"
    first = forecaster("forecast", *COMMON, "n_draws=2000", f"hydra.run.dir={run}")
    assert first.returncode == 0, first.stderr[-2000:]
    again = forecaster("forecast", f"resume={run}", "seed=7")
    assert again.returncode == 2
    assert "resume" in again.stderr and "Traceback" not in again.stderr


def test_one_and_four_devices_give_the_same_numbers(tmp_path):
    args = (*COMMON, "n_draws=20000", "chunk_size=4096")
    one = forecaster("forecast", *args, "devices=1", f"hydra.run.dir={tmp_path / 'one'}")
    assert one.returncode == 0, one.stderr[-2000:]
    four = forecaster(
        "forecast",
        *args,
        f"hydra.run.dir={tmp_path / 'four'}",
        env={"XLA_FLAGS": "--xla_force_host_platform_device_count=4"},
    )
    assert four.returncode == 0, four.stderr[-2000:]
    a, b = summary(tmp_path / "one"), summary(tmp_path / "four")
    assert b["device"]["count"] == 4 and a["device"]["count"] == 1
    assert a["probabilities"] == b["probabilities"]
    ta = load_checkpoint(tmp_path / "one" / CHECKPOINT)["totals"]
    tb = load_checkpoint(tmp_path / "four" / CHECKPOINT)["totals"]
    for key in ta:
        np.testing.assert_array_equal(ta[key], tb[key], err_msg=key)


def test_four_shards_in_separate_processes_merge_to_the_single_run(tmp_path):
    args = (*COMMON, "n_draws=12001", "chunk_size=1024", "seed=3")
    run_concurrently(
        [
            [
                "forecast",
                *args,
                "num_shards=4",
                f"shard_index={i}",
                f"hydra.run.dir={tmp_path / f'shard{i}'}",
            ]
            for i in range(4)
        ]
    )
    shards = [str(tmp_path / f"shard{i}") for i in range(4)]
    merged = forecaster("merge", *shards, "--out", str(tmp_path / "merged"))
    assert merged.returncode == 0, merged.stderr[-2000:]
    single = forecaster("forecast", *args, f"hydra.run.dir={tmp_path / 'single'}")
    assert single.returncode == 0, single.stderr[-2000:]
    a, b = summary(tmp_path / "merged"), summary(tmp_path / "single")
    for key in ("probabilities", "quantiles", "sensitivity", "fan", "non_finite"):
        assert a[key] == b[key], key

    missing = forecaster("merge", *shards[:3], "--out", str(tmp_path / "partial"))
    assert missing.returncode == 2 and "missing" in missing.stderr
    assert not (tmp_path / "partial" / "summary.json").exists()
    other = tmp_path / "other"
    forecaster(
        "forecast", *args, "seed=4", "num_shards=4", "shard_index=3", f"hydra.run.dir={other}"
    )
    mixed = forecaster("merge", *shards[:3], str(other), "--out", str(tmp_path / "mixed"))
    assert mixed.returncode == 2 and "same configuration" in mixed.stderr


def test_sweep_writes_a_comparison_table(tmp_path):
    sweep = tmp_path / "sweep"
    result = forecaster(
        "forecast",
        "-m",
        "scenario=explosive,amdahl",
        "n_draws=2000",
        "chunk_size=1024",
        "output.report=false",
        "output.progress_bar=false",
        f"hydra.sweep.dir={sweep}",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    import pandas as pd

    table = pd.read_csv(sweep / "comparison.csv")  # long form: a row per job and event
    assert sorted(set(table["scenario"])) == ["amdahl", "explosive"]
    assert set(table["job"]) == {"scenario=explosive", "scenario=amdahl"}  # what each swept
    assert "P(>=3y in 12m)" in set(table["event"])
    assert {"p", "se", "ci_low", "ci_high", "count", "n"} <= set(table.columns)
    md = (sweep / "comparison.md").read_text()
    assert "scenario=amdahl" in md and "P(>=3y in 12m)" in md


def test_a_sweep_over_a_prior_and_seeds_compiles_once(tmp_path):
    """Hydra runs a sweep's jobs in one process: the priors' values and the seed are inputs
    of the compiled kernel, so only the first job compiles."""
    sweep = tmp_path / "sweep"
    result = forecaster(
        "forecast",
        "-m",
        "scenario=davidson_houlden_2025",
        "scenario.params.f.high=16,48",
        "seed=0,1",
        "n_draws=2000",
        "output.report=false",
        "output.progress_bar=false",
        f"hydra.sweep.dir={sweep}",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    jobs = sorted(sweep.glob("*/summary.json"), key=lambda p: int(p.parent.name.split("_")[0]))
    compiles = [json.loads(p.read_text())["timing"]["compile_seconds"] for p in jobs]
    assert len(compiles) == 4
    assert compiles[0] > 0 and compiles[1:] == [0.0, 0.0, 0.0], compiles  # 0: kept warm


def test_one_jax_multiprocess_job_merges_to_the_single_run(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("localhost", 0))
        port = s.getsockname()[1]
    args = ("n_draws=10000", "chunk_size=4096", "output.report=false", "output.progress_bar=false")
    run = tmp_path / "run"
    run_concurrently(
        [
            [
                "forecast",
                *args,
                "distributed.enabled=true",
                f"distributed.coordinator_address=localhost:{port}",
                "distributed.num_processes=2",
                f"distributed.process_id={i}",
                f"hydra.run.dir={run}",
            ]
            for i in range(2)
        ]
    )
    single = forecaster("forecast", *args, f"hydra.run.dir={tmp_path / 'single'}")
    assert single.returncode == 0, single.stderr[-2000:]
    a, b = summary(run), summary(tmp_path / "single")
    assert a["merged_from"] and a["probabilities"] == b["probabilities"]

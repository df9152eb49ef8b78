"""``forecaster trajectory``: one path at the scenario's prior medians, as CSV and PNG, the
same path :func:`forecaster.simulate` gives for those values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import forecaster
from forecaster.cli import main

pytestmark = pytest.mark.slow


def test_trajectory_writes_the_median_path(tmp_path, monkeypatch):
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", "")
    run = tmp_path / "run"
    code = main(
        [
            "trajectory",
            "scenario=davidson_houlden_2025",
            "scenario.gradual_boost=true",
            "scenario.params.f=8",
            f"hydra.run.dir={run}",
        ]
    )
    assert code == 0
    frame = pd.read_csv(run / "trajectory.csv")
    assert (run / "trajectory.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The medians of the preset's other priors: r0 log-uniform 0.4-3.6, ceiling 6-16 years,
    # p log-uniform 0.15-0.6.
    expected = forecaster.simulate(
        integrator="doublings",
        f=8.0,
        r0=math.sqrt(0.4 * 3.6),
        ceiling_doublings=11.0 * 8,
        p=math.sqrt(0.15 * 0.6),
        gradual_boost=True,
        stop_after_years=4.0,
        max_doublings=128,
    )
    assert list(frame.columns) == list(expected.columns)
    np.testing.assert_allclose(frame.to_numpy(), expected.to_numpy(), rtol=2e-5)


def test_a_forecast_saves_whole_paths_of_its_first_draws(run_plan, tmp_path):
    from forecaster._outputs import path_frame, sample_frame

    args = ("scenario=davidson_houlden_2025", "n_draws=8192", "output.path_sample=12")
    small = run_plan(tmp_path / "a", *args, "chunk_size=4096")
    large = run_plan(tmp_path / "b", *args, "chunk_size=8192")
    paths = path_frame(small)
    assert paths.draw.nunique() == 12
    assert paths.equals(path_frame(large))  # whatever the chunk size
    # Draw 3's path is simulate's for draw 3's parameters (float32, the same stepper).
    draw = sample_frame(small).iloc[3]
    expected = forecaster.simulate(
        integrator="doublings",
        **{k: float(draw[k]) for k in ("f", "r0", "p", "Ts", "software_share")},
        ceiling_doublings=float(draw["ceiling_doublings"]),
        stop_after_years=4.0,
        max_doublings=128,
    )
    got = paths[paths.draw == 3]
    np.testing.assert_allclose(got.t_years, expected.t_years, rtol=1e-6)
    np.testing.assert_allclose(got.speedup, expected.speedup, rtol=1e-6)

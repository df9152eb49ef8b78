"""The fastest time to make Y years of present-day software progress on a calendar grid (the
AI Futures Model's and Epoch's FTM's answer to the software-intelligence-explosion question):
against an independent exact reference (NumPy's interpolation over every breakpoint of the
span), and, for the FTM, read off their own code's software series (their six parameter
sets, run by benchmarks/peers/ftm.py)."""

from __future__ import annotations

import math
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from forecaster._settings import precision_scope
from forecaster.models._grid_progress import fastest_gains

PEERS = Path(__file__).resolve().parents[1] / "benchmarks" / "results" / "peers"


def reference(t: np.ndarray, y: np.ndarray, gain: float) -> float:
    """The shortest span gaining ``gain`` of a strictly increasing piecewise-linear ``y``:
    the span is piecewise linear in its start, so its minimum is at a start that is a grid
    time or that ends on one; each span from np.interp's inverse."""
    starts = np.concatenate([t, np.interp(y - gain, y, t, left=np.nan)])
    starts = starts[np.isfinite(starts)]
    levels = np.interp(starts, t, y) + gain
    ok = levels <= y[-1] + 1e-12 * (1 + abs(y[-1]))  # a span ending at the last point, rounded
    if not ok.any():
        return math.inf
    ends = np.interp(levels[ok], y, t)
    return float(np.min(ends - starts[ok]))


def test_against_an_exact_reference():
    rng = np.random.default_rng(7)
    with precision_scope("float64"):
        fast = jax.jit(fastest_gains)
        for _ in range(300):
            n = int(rng.integers(2, 60))
            t = np.cumsum(rng.uniform(0.05, 1.0, n))
            y = np.concatenate([[0.0], np.cumsum(rng.exponential(1.0, n - 1))])
            gains = rng.uniform(1e-3, 1.3 * y[-1], 6)
            got = np.asarray(fast(jnp.asarray(t), jnp.asarray(y), jnp.asarray(gains)))
            want = np.array([reference(t, y, g) for g in gains])
            assert np.array_equal(np.isinf(got), np.isinf(want))
            finite = np.isfinite(want)
            np.testing.assert_allclose(got[finite], want[finite], rtol=1e-12, atol=1e-12)


def test_plateaus_stops_and_a_level_never_reached():
    """A flat stretch takes time and gains nothing; a non-finite tail (the trajectory
    stopped) holds the level; a gain beyond the whole rise is never made."""
    with precision_scope("float64"):
        t = jnp.arange(6.0)
        y = jnp.array([0.0, 1.0, 1.0, 1.0, 3.0, jnp.nan])
        got = np.asarray(fastest_gains(t, y, jnp.array([0.5, 1.0, 2.0, 2.5, 3.5])))
    # 0.5: inside the steep step from 3 to 4 (slope 2): 0.25 years; 1.0 likewise 0.5;
    # 2.0: the whole step, 1 year; 2.5: from 0.5 (level 0.5) to 4: 3.5 years; 3.5: never.
    np.testing.assert_allclose(got[:4], [0.25, 0.5, 1.0, 3.5])
    assert math.isinf(got[4])


@pytest.mark.parametrize("preset", ["best_guess", "aggressive", "conservative"])
def test_ftm_answers_from_their_software_series(preset):
    """The FTM's fastest times to Y years of 2022's software progress are those read off
    their code's own software series (one of their parameter sets), by the reference."""
    import yaml

    from forecaster.models.epoch_ftm._model import T_STEP, EpochFTM

    frame = pd.read_csv(PEERS / "ftm_trajectories.csv.gz")
    frame = frame[frame.preset == preset]
    root = Path(__file__).resolve().parents[1]
    text = (root / "conf" / "scenario" / f"epoch_ftm_2023_{preset}.yaml").read_text()
    values = {k: float(v) for k, v in yaml.safe_load(text)["params"].items()}
    model = EpochFTM(progress_years=(0.5, 1.0, 3.0, 10.0))
    with precision_scope("float64"):
        params = model.prepare(values, jnp.float64)
        r, times = model._run(params)
        ours = np.asarray(model._fastest(r, times))
    t = frame.timesteps.to_numpy(float)
    level = np.log(frame.software.to_numpy(float))
    rate = (level[1] - level[0]) / T_STEP
    assert rate > 0
    for years, mine in zip(model.progress_years, ours, strict=True):
        # Their software series is strictly increasing until its ceiling; compare where the
        # reference's inverse interpolation is defined (before any flat top).
        rising = np.concatenate([[True], np.diff(level) > 0])
        top = int(np.argmin(rising)) if not rising.all() else len(level)
        want = reference(t[:top], level[:top], years * rate)
        if math.isinf(want):
            assert mine >= t[top - 1] - t[0] - 1e-9 or math.isinf(mine)
        else:
            assert mine == pytest.approx(want, rel=1e-9, abs=1e-9), (years, mine, want)

"""The streaming engine end to end: published figures, determinism, outputs, summaries."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from forecaster._accumulate import chunk_statistics
from forecaster._forecast import run_forecast_job
from forecaster._summaries import proportion, wilson_interval
from forecaster.models import GeneralLaw

# Davidson & Houlden's published code at 500,000 draws (MODEL.md section 5).
DH_PUBLISHED = {(3.0, 12.0): 0.566, (3.0, 4.0): 0.424, (10.0, 12.0): 0.166, (10.0, 4.0): 0.124}
DH_PUBLISHED_DRAWS = 500_000


@pytest.mark.slow
def test_reproduces_davidson_houlden_published_figures(tmp_path, compose_forecast):
    n = 200_000
    cfg = compose_forecast("scenario=davidson_houlden_2025", f"n_draws={n}", "output.report=false")
    summary = run_forecast_job(cfg, tmp_path)
    table = {(r["years"], r["window_months"]): r for r in summary["probabilities"]}
    for key, published in DH_PUBLISHED.items():
        row = table[key]
        # The published figure is itself a Monte Carlo estimate (500k draws): compare within
        # 3 standard errors of the difference of the two estimates.
        se_ref = math.sqrt(published * (1 - published) / DH_PUBLISHED_DRAWS)
        se = math.hypot(row["se"], se_ref)
        assert abs(row["p"] - published) < 3 * se, (key, row["p"], published, se)


@pytest.mark.slow
def test_same_numbers_for_any_chunk_size(tmp_path, run_plan):
    overrides = ("scenario=expanding_pie", "n_draws=9000", "output.sample_size=100")
    small = run_plan(tmp_path / "a", *overrides, "chunk_size=1000")
    large = run_plan(tmp_path / "b", *overrides, "chunk_size=4096")
    assert small.totals.keys() == large.totals.keys()
    for key in small.totals:
        np.testing.assert_array_equal(small.totals[key], large.totals[key], err_msg=key)
    for key in small.sample:
        np.testing.assert_array_equal(small.sample[key], large.sample[key], err_msg=key)


@pytest.mark.slow
def test_same_numbers_for_the_rk4_and_stepper_presets_at_chunk_sizes(tmp_path, run_plan):
    for scenario in ("decaying", "davidson_houlden_2025"):
        a = run_plan(
            tmp_path / f"{scenario}a", f"scenario={scenario}", "n_draws=5000", "chunk_size=4096"
        )
        b = run_plan(
            tmp_path / f"{scenario}b", f"scenario={scenario}", "n_draws=5000", "chunk_size=1024"
        )
        np.testing.assert_array_equal(a.totals["events"], b.totals["events"])


def test_outputs_are_complete(tmp_path, compose_forecast):
    cfg = compose_forecast("n_draws=3000", "chunk_size=1024", "output.report=false")
    summary = run_forecast_job(cfg, tmp_path)
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk == summary
    for key in (
        "scenario",
        "n_draws",
        "seed",
        "non_finite",
        "probabilities",
        "quantiles",
        "sensitivity",
        "timing",
        "device",
        "versions",
    ):
        assert key in summary
    assert {"jax", "numpyro", "forecaster"} <= set(summary["versions"])
    assert {"draws_per_second", "compile_seconds"} <= set(summary["timing"])
    grid = {(r["years"], r["window_months"]) for r in summary["probabilities"]}
    assert {(y, w) for y in (1.0, 3.0, 10.0, 30.0) for w in (4.0, 12.0)} <= grid
    for row in summary["probabilities"]:
        assert {"years", "window_months", "p", "se", "ci_low", "ci_high"} <= set(row)
        assert row["ci_low"] <= row["p"] <= row["ci_high"]
    for name in ("probabilities.csv", "quantiles.csv", "sensitivity.csv", "fan.csv"):
        assert not pd.read_csv(tmp_path / name).empty
    draws = pd.read_parquet(tmp_path / "draws.parquet")
    assert len(draws) == 3000 and {"f", "r0", "p", "peak_speedup"} <= set(draws.columns)
    assert summary["n_draws"] == 3000 and summary["finite_draws"] + summary["non_finite"] == 3000


@pytest.mark.slow
def test_probabilities_fall_with_more_progress_and_rise_with_longer_windows(tmp_path, run_plan):
    result = run_plan(tmp_path, "n_draws=4000", "chunk_size=4096")
    events = result.totals["events"][:8].reshape(2, 4)  # windows 4, 12 months x years 1..30
    assert np.all(np.diff(events, axis=1) <= 0)
    assert np.all(events[1] >= events[0])


@pytest.mark.slow
def test_sample_matches_the_accumulated_counts(tmp_path, run_plan):
    """The per-draw sample and the streamed counts describe the same draws."""
    result = run_plan(tmp_path, "n_draws=3000", "chunk_size=1024", "output.sample_size=3000")
    fastest = result.sample["out_fastest_years_to_progress"]
    finite = ~result.sample["out_non_finite"]
    for w_index, w in enumerate((4.0, 12.0)):
        for y_index in range(4):
            expected = int(np.sum(finite & (fastest[:, y_index] < w / 12)))
            assert result.totals["events"][w_index * 4 + y_index] == expected


@pytest.mark.slow
def test_non_finite_draws_are_counted_and_left_out():
    n = 6
    outcomes = {
        "fastest_years_to_progress": np.full((n, 2), 0.1, np.float32),
        "accelerated": np.ones(n, bool),
        "reached_ceiling": np.zeros(n, bool),
        "non_finite": np.array([False, True, False, True, False, False]),
        "max_progress_years": np.ones((n, 1), np.float32),
        "peak_speedup": np.ones(n, np.float32),
        "time_to_progress_years": np.ones((n, 2), np.float32),
        "progress_by_horizon_years": np.ones(n, np.float32),
        "time_to_fan_levels_years": np.ones((n, 3), np.float32),
    }
    in_range = np.array([True] * 5 + [False])
    declared = GeneralLaw(windows_years=(1.0,), progress_levels_years=(1.0, 3.0)).outcomes()
    stats_ = chunk_statistics(declared, outcomes, np.zeros((n, 0), np.float32), in_range)
    assert int(stats_["draws"][0]) == 5
    assert int(stats_["non_finite"][0]) == 2
    assert int(stats_["finite"][0]) == 3
    assert stats_["events"].tolist()[:2] == [3, 3]


@pytest.mark.parametrize("k, n", [(0, 10), (3, 10), (57, 100), (100, 100), (1234, 5000)])
def test_wilson_interval_matches_scipy(k, n):
    low, high = wilson_interval(k, n)
    ref = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert low == pytest.approx(ref.low, abs=1e-12)
    assert high == pytest.approx(ref.high, abs=1e-12)
    row = proportion(k, n)
    assert row["se"] == pytest.approx(math.sqrt(k / n * (1 - k / n) / n))


def test_wilson_interval_covers_a_known_p():
    rng = np.random.default_rng(0)
    p, n, repeats = 0.3, 400, 4000
    k = rng.binomial(n, p, repeats)
    low, high = wilson_interval(k, np.full(repeats, n))
    covered = np.mean((low <= p) & (p <= high))
    # Coverage is ~0.95; over 4000 repeats its sampling sd is 0.0034: accept 0.95 +- 0.015
    # (4.4 sd, and the Wilson interval's own coverage error at n = 400 is < 0.005).
    assert abs(covered - 0.95) < 0.015
    # The standard error sqrt(p(1-p)/n) matches the spread of the estimates within 5%.
    assert np.std(k / n) == pytest.approx(math.sqrt(p * (1 - p) / n), rel=0.05)


@pytest.mark.slow
def test_sensitivity_indices_rank_the_drivers(tmp_path, run_plan):
    result = run_plan(tmp_path, "scenario=davidson_houlden_2025", "n_draws=20000")
    from forecaster._summaries import sensitivity_table

    rows = [
        r for r in sensitivity_table(result.plan, result.totals) if r["event"] == "P(>=3y in 12m)"
    ]
    by_name = {r["parameter"]: r["first_order_index"] for r in rows}
    # r0 decides whether progress accelerates: it drives the event far more than p does.
    assert by_name["r0"] > by_name["p"]
    assert sum(v for v in by_name.values()) <= 1.05


@pytest.mark.slow
def test_forecast_draws_a_parameter_from_a_saved_posterior(tmp_path, compose_forecast):
    from forecaster._arviz import az

    draws = np.random.default_rng(1).lognormal(np.log(1.3), 0.3, size=(2, 400))
    posterior = tmp_path / "posterior.nc"
    az.from_dict(posterior={"r_new": draws}).to_netcdf(str(posterior))
    cfg = compose_forecast(
        "n_draws=4000",
        "output.report=false",
        "output.sample_size=4000",
        f'scenario.params.r0="posterior(path={posterior}, variable=r_new)"',
    )
    summary = run_forecast_job(cfg, tmp_path / "run")
    assert summary["posterior_files"] == [
        {"parameter": "r0", "path": str(posterior.resolve()), "variable": "r_new", "draws": 800}
    ]
    sampled = pd.read_parquet(tmp_path / "run" / "draws.parquet")["r0"]
    assert set(np.round(sampled, 4)) <= set(np.round(draws.ravel().astype(np.float32), 4))
    # Resampling keeps the posterior's distribution (2-sample KS at a fixed seed).
    assert stats.ks_2samp(sampled, draws.ravel()).pvalue > 1e-3

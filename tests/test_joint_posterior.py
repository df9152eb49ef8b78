"""Parameters drawn from one posterior file keep the file's joint distribution: each draw
takes one whole row (chosen by the draw's own uniform), so correlations survive into the
forecast, and the draws are the same whatever the chunk size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from forecaster import ConfigError


@pytest.fixture
def correlated_posterior(tmp_path):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((8000, 2)) @ np.linalg.cholesky([[1, 0.905], [0.905, 1]]).T
    frame = pd.DataFrame({"r": np.exp(0.3 * z[:, 0]), "lam": 0.3 * np.exp(0.25 * z[:, 1])})
    path = tmp_path / "posterior.csv"
    frame.to_csv(path, index=False)
    return path, spearmanr(frame.r, frame.lam).statistic


def _args(path, resample=None):
    extra = "" if resample is None else f", resample: {resample}"
    return (
        "scenario=davidson_houlden_2025",
        "~scenario.params.r0",
        "~scenario.params.p",
        f"+scenario.params.r0={{dist: posterior, path: {path}, variable: r{extra}}}",
        f"+scenario.params.p={{dist: posterior, path: {path}, variable: lam{extra}}}",
        "n_draws=12288",
    )


@pytest.mark.slow
def test_joint_draws_keep_the_files_rank_correlation(run_plan, tmp_path, correlated_posterior):
    path, rho = correlated_posterior
    assert rho == pytest.approx(0.9, abs=0.01)
    small = run_plan(tmp_path / "a", *_args(path), "chunk_size=4096")
    sample = small.sample
    got = spearmanr(sample["r0"], sample["p"]).statistic
    assert abs(got - rho) < 0.02
    large = run_plan(tmp_path / "b", *_args(path), "chunk_size=12288")
    np.testing.assert_array_equal(sample["r0"], large.sample["r0"])
    np.testing.assert_array_equal(sample["p"], large.sample["p"])
    # Marginal resampling, when asked, draws each by its own rank: the correlation is gone.
    marginal = run_plan(tmp_path / "c", *_args(path, "marginal")).sample
    assert abs(spearmanr(marginal["r0"], marginal["p"]).statistic) < 0.05


def test_a_rank_correlation_on_joint_draws_is_refused(compose_forecast, correlated_posterior):
    from forecaster._config import plan_forecast

    path, _ = correlated_posterior
    cfg = compose_forecast(*_args(path), "+scenario.correlations=[{params: [r0, p], rank: 0.5}]")
    with pytest.raises(ConfigError, match="drawn jointly"):
        plan_forecast(cfg)


def test_an_unknown_resampling_is_refused(compose_forecast, correlated_posterior):
    from forecaster._config import plan_forecast

    path, _ = correlated_posterior
    with pytest.raises(ConfigError, match="resample"):
        plan_forecast(compose_forecast(*_args(path, "shuffled")))


@pytest.mark.slow
def test_joint_rows_hold_across_the_takeoff_and_timelines_stages(
    run_plan, tmp_path, correlated_posterior
):
    """r0 (takeoff) and the horizon doubling time (timelines) from one file take the same
    rows: the start year, increasing in the doubling time, keeps the file's correlation."""
    path, rho = correlated_posterior
    args = (
        *_args(path)[:2],
        f"+scenario.params.r0={{dist: posterior, path: {path}, variable: r}}",
        "timelines=metr_trend",
        "timelines.params.threshold_horizon_hours=167",
        "~timelines.params.doubling_time_days",
        f"+timelines.params.doubling_time_days={{dist: posterior, path: {path}, variable: lam}}",
        "n_draws=8192",
    )
    sample = run_plan(tmp_path / "a", *args).sample
    assert abs(spearmanr(sample["r0"], sample["start_year"]).statistic - rho) < 0.02
    again = run_plan(tmp_path / "b", *args, "chunk_size=4096").sample
    np.testing.assert_array_equal(sample["start_year"], again["start_year"])

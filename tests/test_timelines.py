"""The start-date stage: closed forms, and calendar outputs of a forecast."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from forecaster.models.timelines._stages import DAYS_PER_YEAR, plan_timelines, start_years


def timeline(**overrides):
    cfg = {
        "name": "metr_trend",
        "reference_year": 2026.0,
        "params": {
            "current_horizon_hours": 1.0,
            "doubling_time_days": 100.0,
            "threshold_horizon_hours": 2.0**10,
        },
        "p_superexponential": 0.0,
        "p_subexponential": 0.0,
        "doubling_change": 0.1,
        "explosion_years": 3.0,
        "explosion_window_months": 12.0,
        "calendar_years": [2027.0, 2030.0],
    }
    cfg.update(overrides)
    return plan_timelines(cfg)


def starts(plan, n=2000, seed=0):
    rng = np.random.default_rng(seed)
    k = len(plan.priors.uncertain) + 1
    u = jnp.asarray(rng.uniform(size=(n, k)), jnp.float32)
    return np.asarray(start_years(plan, u, jnp.float32), float)


# float32 decimal years near 2030 have a resolution of 1.2e-4 years (ulp): allow 1e-3.
YEAR_TOLERANCE = 1e-3


def test_degenerate_prior_gives_the_closed_form_start():
    plan = timeline()
    expected = 2026.0 + 10 * 100.0 / DAYS_PER_YEAR  # 10 doublings of 100 days
    np.testing.assert_allclose(starts(plan), expected, atol=YEAR_TOLERANCE)


def test_threshold_already_reached_starts_at_the_reference_year():
    plan = timeline(
        params={
            "current_horizon_hours": 50.0,
            "doubling_time_days": 100.0,
            "threshold_horizon_hours": 10.0,
        }
    )
    np.testing.assert_allclose(starts(plan), 2026.0, atol=YEAR_TOLERANCE)


@pytest.mark.parametrize("kind, factor", [("p_superexponential", 0.9), ("p_subexponential", 1.1)])
def test_super_and_subexponential_match_the_geometric_series(kind, factor):
    plan = timeline(**{kind: 1.0})
    d = 100.0 / DAYS_PER_YEAR
    series = sum(d * factor**k for k in range(10))  # each doubling 10% faster / slower
    np.testing.assert_allclose(starts(plan), 2026.0 + series, atol=YEAR_TOLERANCE)


def test_growth_kinds_are_drawn_with_their_probabilities():
    plan = timeline(p_superexponential=0.45, p_subexponential=0.10)
    d = 100.0 / DAYS_PER_YEAR
    values = starts(plan, n=20000)
    exponential = 2026.0 + 10 * d
    faster = 2026.0 + sum(d * 0.9**k for k in range(10))
    slower = 2026.0 + sum(d * 1.1**k for k in range(10))
    shares = [np.mean(np.abs(values - v) < YEAR_TOLERANCE) for v in (faster, slower, exponential)]
    # Binomial sd at n = 20000 is at most 0.0035: 0.015 is over 4 sd.
    np.testing.assert_allclose(shares, [0.45, 0.10, 0.45], atol=0.015)


def test_bad_timeline_configs_are_refused():
    from forecaster import ConfigError

    with pytest.raises(ConfigError, match="timelines.p_subexponential"):
        timeline(p_superexponential=0.8, p_subexponential=0.3)
    with pytest.raises(ConfigError, match="timelines.doubling_change"):
        timeline(doubling_change=1.5)
    with pytest.raises(ConfigError, match="timelines.params"):
        timeline(params={"doubling_time_days": 100.0, "threshold_horizon_hours": 10.0})


@pytest.mark.slow
def test_forecast_reports_calendar_dates(tmp_path, run_plan):
    result = run_plan(
        tmp_path / "a",
        "timelines=metr_trend",
        "n_draws=6000",
        "chunk_size=4096",
        "output.sample_size=6000",
    )
    from forecaster._outputs import build_summary

    calendar = build_summary(result)["calendar"]
    automation = list(calendar["p_automation_by_year"].values())
    explosion = list(calendar["p_explosion_by_year"].values())
    assert automation == sorted(automation) and explosion == sorted(explosion)
    assert all(e <= a + 1e-12 for a, e in zip(automation, explosion, strict=True))
    assert set(calendar["milestone_dates"]) == {"1", "3", "10", "30"}
    # The histogram's CDF agrees with the per-draw sample (bins are 0.05 years wide).
    sample_start = result.sample["start_year"]
    for year, p in calendar["p_automation_by_year"].items():
        lo = np.mean(sample_start <= float(year) - 0.05)
        hi = np.mean(sample_start <= float(year) + 0.05)
        assert lo - 1e-9 <= p <= hi + 1e-9
    other = run_plan(
        tmp_path / "b",
        "timelines=metr_trend",
        "n_draws=6000",
        "chunk_size=8192",
        "output.sample_size=10",
    )
    assert build_summary(other)["calendar"] == calendar


def test_no_timelines_means_no_calendar(compose_forecast):
    from forecaster._config import plan_forecast

    assert plan_forecast(compose_forecast("n_draws=10")).timelines is None

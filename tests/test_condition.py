"""Forecasts conditioned on the present (``condition.not_before``): the draws kept are exactly
those with nothing dated before the year, every statistic is over them, and a conditioned
probability is the unconditioned one renormalised (issue 28's acceptance, both ways: the
same seed count for count, another seed within Monte Carlo error)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forecaster import ConfigError
from forecaster._accumulate import CALENDAR
from forecaster._summaries import histogram_cdf

YEAR = 2027.0
# AI 2027's takeoff ladder dated by their April 2025 timelines: the superhuman coder (the
# start) comes before 2027 in a sizeable share of draws, the case the issue names.
LADDER = ("scenario=ai2027_takeoff", "timelines=ai2027", "n_draws=8192", "output.sample_size=0")


def _start_counts(result) -> np.ndarray:
    return np.asarray(result.totals["cal_start"][0], np.int64)


@pytest.fixture(scope="module")
def unconditioned(tmp_path_factory, compose_forecast):
    from forecaster._config import plan_forecast
    from forecaster._engine import run_forecast

    plan = plan_forecast(compose_forecast(*LADDER))
    return run_forecast(plan, tmp_path_factory.mktemp("u"), progress_bar=False)


def _conditioned(run_plan, tmp_path, *more: str):
    return run_plan(tmp_path, *LADDER, f"condition.not_before={YEAR}", *more)


def test_same_seed_keeps_exactly_the_draws_with_nothing_before(unconditioned, run_plan, tmp_path):
    """Seed for seed, the conditioned run's dates are the unconditioned run's from the year
    on, count for count, and its excluded draws are those before it (2027 is a bin edge of
    the calendar histogram, so the counts split there exactly)."""
    cond = _conditioned(run_plan, tmp_path)
    before = _start_counts(unconditioned)
    after = _start_counts(cond)
    edge = round((YEAR - CALENDAR.low) / CALENDAR.width)
    assert np.all(after[:edge] == 0)
    np.testing.assert_array_equal(after[edge:], before[edge:])
    excluded = int(before[:edge].sum())
    assert 0 < excluded < int(unconditioned.totals["finite"][0])  # a real condition
    assert int(cond.totals["excluded"][0]) == excluded
    assert int(cond.totals["finite"][0]) == int(unconditioned.totals["finite"][0]) - excluded
    assert int(cond.totals["draws"][0]) == int(unconditioned.totals["draws"][0])
    # Every milestone comes after the start, so its dates are the same draws' too.
    dates_u = unconditioned.totals["cal_milestone_dates"]
    dates_c = cond.totals["cal_milestone_dates"]
    assert np.all(dates_c.sum(axis=1) == int(cond.totals["finite"][0]))
    assert np.all(dates_c <= dates_u)


@pytest.mark.slow
def test_another_seed_gives_the_renormalised_probability(unconditioned, run_plan, tmp_path):
    """P(start by Y | nothing before 2027) = (P(by Y) - P(by 2027)) / (1 - P(by 2027)) of the
    unconditioned run, within 4 combined standard errors for every Y (independent seeds)."""
    cond = _conditioned(run_plan, tmp_path, "seed=1")
    u, c = _start_counts(unconditioned), _start_counts(cond)
    n_u, n_c = int(u.sum()), int(c.sum())
    p0 = histogram_cdf(u, CALENDAR, YEAR)
    for year in range(2028, 2041):
        p_u = histogram_cdf(u, CALENDAR, float(year))
        expected = (p_u - p0) / (1 - p0)
        got = histogram_cdf(c, CALENDAR, float(year))
        # The expected value's error by the delta method; the conditioned one's binomial.
        se_expected = math.sqrt(expected * (1 - expected) / (n_u * (1 - p0)))
        se_got = math.sqrt(got * (1 - got) / n_c)
        tolerance = 4 * math.hypot(se_expected, se_got) + 1e-12
        assert abs(got - expected) <= tolerance, (year, got, expected)


def test_summary_and_report_say_it(run_plan, tmp_path):
    """summary.json's ``condition``: the year, the draws kept and excluded and the prior
    probability; the report's facts and headline say the run is conditioned."""
    from forecaster._outputs import build_summary
    from forecaster.report._format import condition_line

    cond = _conditioned(run_plan, tmp_path, "output.sample_size=100")
    summary = build_summary(cond)
    assert cond.sample["condition_met"].shape == (100,)  # the sample says which draws met it
    c = summary["condition"]
    assert c["not_before"] == YEAR
    assert c["kept"] == summary["finite_draws"] and c["kept"] + c["excluded"] == 8192
    assert c["p_condition"]["p"] == pytest.approx(c["kept"] / 8192)
    assert "Conditioned on nothing dated before 2027" in condition_line(c)


def test_unconditioned_by_default(unconditioned):
    from forecaster._outputs import build_summary

    assert "excluded" not in unconditioned.totals
    assert build_summary(unconditioned)["condition"] is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (("scenario=decaying", "condition.not_before=2027"), "condition.not_before"),
        (("scenario=ai2027_takeoff", "condition.not_before=soon"), "condition.not_before"),
        (("scenario=ai2027_takeoff", "condition.not_before=1066"), "condition.not_before"),
    ],
)
def test_refused_in_one_line(compose_forecast, overrides, field):
    """As the command line composes and plans it: one line naming the field."""
    from forecaster._config import hydra_error, plan_forecast

    try:
        plan_forecast(compose_forecast(*overrides, "n_draws=10"))
    except Exception as raised:  # noqa: BLE001 - Hydra's own errors are mapped as the CLI does
        err = hydra_error(raised, overrides)
    else:
        pytest.fail("not refused")
    assert isinstance(err, ConfigError)
    assert field in str(err)  # a typed value Hydra refuses names its override
    assert "\n" not in str(err)


def test_a_conditioned_checkpoint_reads_back(run_plan, tmp_path):
    """Resuming a finished conditioned run reads its counts back (finite, non-finite and
    excluded sum to the draws) and adds nothing."""
    first = _conditioned(run_plan, tmp_path)
    again = _conditioned(run_plan, tmp_path)  # the same directory: resumed, nothing to do
    for key, value in first.totals.items():
        np.testing.assert_array_equal(again.totals[key], value)

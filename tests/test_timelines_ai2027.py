"""AI 2027's timelines methods: the closed-form base time, and the SC date against a
day-by-day Euler integration of the same equations (an independent reference, written from
the equations in forecaster.models.timelines._ai2027's docstring)."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from forecaster import ConfigError
from forecaster._config import plan_forecast
from forecaster._priors import transform, uniforms_at
from forecaster.models.timelines._ai2027 import base_months, sc_years


def draws(compose_forecast, preset: str, n: int, seed: int = 1):
    plan = plan_forecast(compose_forecast(f"timelines={preset}")).timelines
    u = uniforms_at(plan.priors, seed, jnp.zeros(n, jnp.uint32), jnp.arange(n, dtype=jnp.uint32),
                    jnp.float64, stream=1, extra=1)  # fmt: skip
    return plan, transform(plan.priors, u[:, :-1], jnp.float64)


def step_function(t: float, schedule, before: float) -> float:
    value = before
    for year, rate in schedule:
        if t >= year:
            value = rate
    return value


def euler_sc_year(settings, v: dict, i: int, base: float, substeps: int = 1) -> float:
    """One draw, one day a step (1/30.5 months, 1/366 years; ``substeps`` splits each day),
    every rate taken at the step's start, as their code steps."""
    a = 1 + v["present_prog_multiplier"][i]
    b = 1 + v["SC_prog_multiplier"][i]
    t = settings.now - v["announcement_delay_months"][i] / 12
    day = 1 / substeps
    progress, labour, stock, baseline = 0.0, settings.labor_pool, settings.research_stock, None
    while progress < base and t < settings.max_year:
        m = a * (b / a) ** (progress / base)
        c = step_function(t, settings.compute_schedule, 1.0)
        if settings.method == "ai2027_april2025":
            if t >= settings.human_slowdown_year:
                m = math.sqrt(0.5 * m * (m - 0.5))
            rate = (m + c) / 2
        else:
            g = step_function(t, settings.labor_growth_schedule, 0.5)
            labour *= (1 + g) ** (day / 250)
            new_stock = stock + ((labour + 1) ** settings.labor_power - 1) * m * day / 250
            growth = math.log(new_stock / stock)
            baseline = growth if baseline is None else baseline
            share = v["initial_software_progress_share"][i]
            rate = share * growth / baseline + (1 - share) * c
            stock = new_stock
        progress += rate * day / 30.5
        t += day / 366
    return min(t, settings.max_year)


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["ai2027", "ai2027_may2025"])
def test_sc_dates_match_a_day_by_day_integration(preset, compose_forecast, x64):
    plan, v = draws(compose_forecast, preset, 200)
    settings = plan.ai2027
    base = np.asarray(base_months(settings, v), float)
    ours = np.asarray(sc_years(settings, v), float)
    values = {k: np.asarray(x, float) for k, x in v.items()}
    # Draws reaching SC within 15 years (the day-by-day loop is slow in Python).
    chosen = [i for i in range(200) if ours[i] < settings.now + 15][:60]
    assert len(chosen) >= 30
    reference = np.array([euler_sc_year(settings, values, i, base[i]) for i in chosen])
    # Their scheme is Euler with daily steps, first order in the step: the last step overshoots
    # by up to a day, and the rate lags where the multiplier climbs steeply near SC (April:
    # measured up to 0.007 years). May steps a stock and a labour pool too: its dates move by
    # up to 0.006 years when the day is split in 8, and lie up to 0.015 years (5 days) from
    # the continuous solution a decade out. Tolerances: 0.01 years (April), 0.025 (May).
    tolerance = 0.01 if settings.method == "ai2027_april2025" else 0.025
    np.testing.assert_allclose(ours[chosen], reference, atol=tolerance)


def test_base_time_closed_forms(compose_forecast, x64):
    plan, v = draws(compose_forecast, "ai2027", 4)
    settings = plan.ai2027
    h0 = 0.25 / 167  # 15 minutes in work-months
    fixed = {k: jnp.full((3,), float(np.asarray(x)[0])) for k, x in v.items()}
    fixed["h_SC_months"] = jnp.full((3,), h0 * 2**10)  # 10 doublings
    fixed["doubling_time_months"] = jnp.full((3,), 4.0)
    fixed["cost_speed_months"] = jnp.full((3,), 2.0)
    fixed["growth_pick"] = jnp.asarray([0.1, 0.5, 0.9])  # super, sub, exponential
    got = np.asarray(base_months(settings, fixed), float)
    want = [4 * (1 - 0.9**10) / 0.1 + 2, 4 * (1.1**10 - 1) / 0.1 + 2, 40 + 2]
    np.testing.assert_allclose(got, want, rtol=1e-9)


@pytest.mark.slow
def test_may_superexponential_schedule(compose_forecast, x64):
    plan, v = draws(compose_forecast, "ai2027_may2025", 4)
    settings = plan.ai2027
    h0 = 0.25 / 167
    fixed = {k: jnp.full((4,), float(np.asarray(x)[0])) for k, x in v.items()}
    fixed["h_SC_months"] = jnp.full((4,), 1000.0)
    fixed["doubling_time_months"] = jnp.full((4,), 4.0)
    fixed["cost_speed_months"] = jnp.full((4,), 0.0)
    fixed["se_doubling_decay_fraction"] = jnp.full((4,), 0.2)
    fixed["growth_pick"] = jnp.asarray([0.5, 0.7, 0.87, 0.95])  # from 1 month, 120, never, sub
    got = np.asarray(base_months(settings, fixed), float)
    n = math.log2(1000 / h0)

    def mixed(start):
        before = math.log2(start / h0)
        return before * 4 + 4 * (1 - 0.8 ** (n - before)) / 0.2

    want = [mixed(1.0), mixed(120.0), n * 4, 4 * (1.1**n - 1) / 0.1]
    np.testing.assert_allclose(got, want, rtol=1e-9)


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ("timelines.method=nope", "timelines.method"),
        ("timelines.max_year=null", "timelines.max_year"),
        ("timelines.compute_schedule=[[2029, 0.5], [2028, 0.9]]", "timelines.compute_schedule"),
        ("~timelines.params.growth_pick", "timelines.params.growth_pick"),
    ],
)
def test_bad_ai2027_settings_name_the_field(override, field, compose_forecast):
    with pytest.raises(ConfigError) as err:
        plan_forecast(compose_forecast("timelines=ai2027", override))
    assert err.value.field == field


def test_a_nan_start_date_is_counted_non_finite(run_plan, tmp_path):
    """A timelines formula that is NaN for some draws: those draws are counted non-finite and
    left out of every statistic, calendar histograms included (never silently binned)."""
    result = run_plan(
        tmp_path,
        "timelines=metr_trend",
        "~timelines.params.doubling_time_days",
        '+timelines.params.doubling_time_days={dist: derived, expr: "sqrt(x - 50) + 100"}',
        "+timelines.latent.x={dist: uniform, low: 0, high: 100}",
        "n_draws=8192",
    )
    totals = result.totals
    bad, finite = int(totals["non_finite"][0]), int(totals["finite"][0])
    assert abs(bad / 8192 - 0.5) < 4 * (0.25 / 8192) ** 0.5  # x < 50 half the time
    assert bad + finite == 8192
    assert int(totals["cal_start"].sum()) == finite

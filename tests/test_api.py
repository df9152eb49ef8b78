"""The notebook API (forecaster.simulate, forecaster.outcomes): results, and clear errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from reference_dh import dh_times
from test_outcomes import OUTCOME_NAMES, S_CONST, S_LIN, run

import forecaster
from forecaster import PARAMETERS, ConfigError, outcomes, simulate
from forecaster.models.general_law._law import PARAM_NAMES

COLUMNS = ["t_years", "doublings", "progress_years", "speedup", "r", "f", "growth_rate"]


# ---------------------------------------------------------------------------------------------
# simulate
# ---------------------------------------------------------------------------------------------


def test_simulate_columns_and_units():
    df = simulate()
    assert list(df.columns) == COLUMNS
    assert all(df[c].dtype == np.float64 for c in COLUMNS)
    assert len(df) > 10 and not df.isna().any().any()
    first = df.iloc[0]
    assert first.t_years == 0.0 and first.doublings == 0.0
    # speedup is the rate over the pre-automation rate 1/Ts: f at t = 0 (float32 rounding).
    assert first.speedup == pytest.approx(PARAMETERS["f"].default, rel=1e-6)
    # One year of progress = (1/Ts)/s = 8 doublings with the defaults.
    np.testing.assert_allclose(df.progress_years, df.doublings / 8.0)
    assert np.all(np.diff(df.t_years) > 0) and np.all(np.diff(df.doublings) > 0)
    assert df.t_years.max() <= 20.0  # only nodes reached within the horizon


# simulate() compiles once per model; the tests below share returns="constant" with the
# other options at their defaults (200 doublings, 256 steps, 20 years).


def test_simulate_three_point_six_five_days():
    """f = 100, Ts = 1 year, r = 1: a doubling every 3.65 days, 100 doublings a year."""
    df = simulate(f=100.0, Ts=1.0, r0=1.0, returns="constant")
    assert df.doublings.max() == 200.0  # the cap, at 2 years
    days_per_doubling = np.diff(df.t_years) / np.diff(df.doublings) * 365.0
    # float32 times up to 2 years: rounding 1e-7 on gaps of 0.0078 years.
    np.testing.assert_allclose(days_per_doubling, 3.65, rtol=1e-4)
    np.testing.assert_allclose(df.speedup, 100.0, rtol=1e-6)


def test_simulate_stops_at_the_horizon_and_the_doubling_cap():
    slow = simulate(r0=0.5, returns="constant")  # c < 0: never stops, slows
    assert slow.t_years.max() <= 20.0 and slow.doublings.max() < 200.0
    fast = simulate(r0=3.0, p=0.6, returns="constant")  # c > 0: blow-up at t* = 0.11 years
    assert fast.doublings.max() == 200.0 and fast.t_years.max() < 0.2


def test_simulate_precision_float64():
    df64 = simulate(precision="float64")
    df32 = simulate()
    assert len(df64) == len(df32)
    # float32 vs float64 through RK4: measured 2e-6 relative at most.
    np.testing.assert_allclose(df32.t_years, df64.t_years, rtol=1e-4, atol=1e-7)


def test_simulate_doublings_reproduces_davidson_houlden():
    """The API's D&H stepper, float64, against the plain-Python recursion."""
    kw = dict(f=5.0, r0=1.7, ceiling_doublings=92.5, p=0.35)
    df = simulate(
        **kw,
        integrator="doublings",
        max_doublings=130,
        stop_doubling_years=0.5,
        horizon_years=100.0,
        precision="float64",
    )
    ref = dh_times(kw["f"], kw["r0"], kw["ceiling_doublings"], kw["p"])
    assert len(df) == len(ref)
    np.testing.assert_allclose(df.t_years, ref, rtol=1e-13)  # same operations: rounding only
    np.testing.assert_array_equal(df.doublings, np.arange(len(ref)))


# ---------------------------------------------------------------------------------------------
# outcomes
# ---------------------------------------------------------------------------------------------


def test_outcomes_plain_python():
    out = outcomes(returns="constant")
    assert set(out) == set(OUTCOME_NAMES)
    assert isinstance(out["peak_speedup"], float) and isinstance(out["non_finite"], bool)
    assert list(out["max_progress_years"]) == ["4m", "12m"]
    assert list(out["time_to_progress_years"]) == ["1y", "3y", "10y"] and not out["non_finite"]


def test_outcomes_whole_doublings_window():
    """Stepper, r = 1: a doubling every Ts/f = 1/32 year, 100 doublings at most."""
    out = outcomes(
        r0=1.0,
        returns="constant",
        integrator="doublings",
        max_doublings=100,
        horizon_years=5.0,
        windows_months=(4, 12),
        progress_years=(1, 3, 5, 30),
    )
    # x(t) is linear between the nodes, here exactly 32 doublings a year (float32 rounding).
    windows = out["max_progress_years"]
    np.testing.assert_allclose([windows["4m"], windows["12m"]], [32 / 3 / 8, 32 / 8], rtol=1e-6)
    assert out["max_doublings_in_windows"] == {"4m": 10.0, "12m": 31.0}  # strictly within w
    # Y years = 8Y whole doublings, 8Y/32 years; 30 years = 240 doublings: beyond the cap.
    expected = [0.25, 0.75, 1.25, math.inf]
    np.testing.assert_allclose(list(out["fastest_years_to_progress"].values()), expected, rtol=1e-6)
    np.testing.assert_allclose(list(out["time_to_progress_years"].values()), expected, rtol=1e-6)
    np.testing.assert_allclose(out["progress_by_horizon_years"], 100 / 8, rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, field, allowed",
    [
        (dict(f=-1), "f", "(0, inf)"),
        (dict(f=0.0), "f", "(0, inf)"),
        (dict(f=float("nan")), "f", "(0, inf)"),
        (dict(f=math.inf), "f", "(0, inf)"),
        (dict(f="8"), "f", "(0, inf)"),
        (dict(rho=1.0), "rho", "[-20, 0.9]"),
        (dict(phi0=1.5), "phi0", "[0, 1]"),
        (dict(A0=2e6), "A0", "(0, 1e+06]"),
        (dict(p=True), "p", "(0, 5]"),
        (dict(returns="bogus"), "returns", "linear_to_ceiling"),
        (dict(integrator="euler"), "integrator", "doublings"),
        (dict(precision="float16"), "precision", "float64"),
        (dict(steps=2), "steps", "[4, 100000]"),
        (dict(horizon_years=-1.0), "horizon_years", "(0, 10000]"),
        (dict(windows_months=(400,)), "windows", "horizon"),
        (dict(progress_years=(0,)), "progress_years", "positive"),
        (dict(stop_doubling_years=0.0), "stop_doubling_years", "> 0"),
        (dict(integrator="doublings", phi0=0.5), "phi0", "integrator='rk4'"),
        (dict(integrator="doublings", phi_inf=0.9), "phi_inf", "integrator='rk4'"),
        (dict(integrator="doublings", gC=0.5), "gC", "integrator='rk4'"),
    ],
)
def test_bad_values_raise_a_clear_message(kwargs, field, allowed):
    for call in (simulate, outcomes):
        with pytest.raises(ValueError) as info:
            call(**kwargs)
        message = str(info.value)
        assert isinstance(info.value, ConfigError)
        assert message.startswith(f"{field}="), message
        assert allowed in message, message


@pytest.mark.parametrize("name", ["bogus", "F", "lambda"])
def test_unknown_names_raise(name):
    with pytest.raises(ValueError, match=f"^{name}=.*not allowed.*one of"):
        simulate(**{name: 1.0})


def test_parameter_table_is_consistent():
    assert tuple(PARAMETERS) == PARAM_NAMES
    for name, spec in PARAMETERS.items():
        assert spec.contains(spec.default), name
        assert spec.unit and spec.meaning, name
        assert spec.describe().startswith("a number in "), name
    assert forecaster.PARAMETERS is PARAMETERS


# ---------------------------------------------------------------------------------------------
# Never a NaN presented as an answer
# ---------------------------------------------------------------------------------------------


def _corner(spec, high):
    if high:
        value = spec.high if math.isfinite(spec.high) else 1e4
        return value * (1 - 1e-6) if spec.high_open else value
    if spec.low_open:
        return spec.low + 1e-6 if spec.low == 0 else spec.low * (1 + 1e-6)
    return spec.low


@pytest.mark.slow
@pytest.mark.parametrize("settings", [S_CONST, S_LIN], ids=["constant", "linear_to_ceiling"])
def test_no_nan_at_the_edges_of_the_parameter_ranges(settings):
    """Each parameter at either end of its range (inf -> 1e4), the others at their defaults
    (with phi < 1 so that the CES matters): a non-finite answer is always flagged.

    All corners go through the kernel in one batch (test_outcomes' settings and chunk shape,
    compiled once); an extreme case also through the API.
    """
    rows = []
    for name, spec in PARAMETERS.items():
        for high in (False, True):
            row = {n: s.default for n, s in PARAMETERS.items()}
            row.update(phi0=0.5, phi_inf=0.9)
            row[name] = _corner(spec, high)
            rows.append(row)
    out = run(settings, **{n: np.array([r[n] for r in rows]) for n in PARAMETERS})
    flagged = out["non_finite"]
    for name, value in out.items():
        value = np.asarray(value, dtype=float).reshape(len(rows), -1)
        assert np.all(flagged | ~np.isnan(value).any(axis=1)), name
    # Only the rate overflowing float32 (p = 5 with r > 1 and no ceiling) is flagged here.
    assert flagged.sum() <= (1 if settings.returns == "constant" else 0)
    if settings.returns == "constant":
        result = outcomes(returns="constant", p=5.0)
        assert result["non_finite"] and result["peak_speedup"] == math.inf
        flat = [v for x in result.values() for v in (x.values() if isinstance(x, dict) else [x])]
        assert not any(np.isnan(np.asarray(v, dtype=float)).any() for v in flat)
        df = simulate(returns="constant", p=5.0)
        assert not df.isna().any().any()

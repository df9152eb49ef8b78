"""The growth law (forecaster/models/general_law/_law.py) against its closed forms (MODEL.md
sections 2 and 4)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import integrate

from forecaster.models.general_law import _law as _model
from forecaster.models.general_law._law import LN2, returns_at, returns_integral

RHOS = (-20.0, -1.0, -1e-6, 0.0, 0.5, 0.9)

# Jitted once per shape and dtype: op-by-op dispatch would compile every primitive separately.
growth_rate = jax.jit(_model.growth_rate, static_argnums=3)
log_growth_rate = jax.jit(_model.log_growth_rate, static_argnums=3)
log_labour_at = jax.jit(_model.log_labour_at)
log_effective_labour = jax.jit(_model.log_effective_labour)
log_automation_shares = jax.jit(_model.log_automation_shares)
automation_share = jax.jit(_model.automation_share)


def _np(a):
    return np.asarray(a, dtype=float)


# ---------------------------------------------------------------------------------------------
# Returns schedules
# ---------------------------------------------------------------------------------------------


def test_returns_schedules_and_integral(x64, make_params):
    params = make_params(x64, r0=1.7, ceiling_doublings=40.0)
    x = jnp.linspace(0.0, 39.0, 14)
    np.testing.assert_allclose(_np(returns_at(x, params, "constant")), 1.7)
    np.testing.assert_allclose(_np(returns_at(x, params, "linear_to_ceiling")), 1.7 * (1 - x / 40))
    np.testing.assert_allclose(_np(returns_integral(x, params, "constant")), _np(x) / 1.7)
    quad = [integrate.quad(lambda u: 1 / (1.7 * (1 - u / 40)), 0, xi)[0] for xi in _np(x)]
    # quad is accurate to ~1e-12 here; the closed form in log1p is exact to rounding.
    np.testing.assert_allclose(_np(returns_integral(x, params, "linear_to_ceiling")), quad, 1e-10)
    # At and beyond the ceiling: r = 0 and I = +inf (progress stops there).
    beyond = jnp.array([40.0, 41.0, 1e4])
    assert np.all(_np(returns_at(beyond, params, "linear_to_ceiling")) == 0.0)
    assert np.all(np.isposinf(_np(returns_integral(beyond, params, "linear_to_ceiling"))))


def test_unknown_returns_schedule_raises(make_params):
    with pytest.raises(ValueError, match="returns='bogus'.*constant.*linear_to_ceiling"):
        returns_integral(jnp.zeros(()), make_params(), "bogus")


# ---------------------------------------------------------------------------------------------
# Closed forms of the growth rate
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("r0", [0.5, 1.0, 2.5])
def test_constant_returns_rate_is_exponential_in_x(x64, make_params, r0):
    """phi = 1, C fixed: v = v0 2^(c x), c = p (1 - 1/r), whatever rho, A0, gH or t."""
    params = make_params(x64, f=6.0, Ts=0.5, p=0.4, r0=r0, rho=-3.0, A0=77.0, gH=0.2)
    x = jnp.linspace(0.0, 50.0, 11)
    c = 0.4 * (1 - 1 / r0)
    expected = 12.0 * 2.0 ** (c * _np(x))
    for t in (0.0, 3.0):
        # float64 rounding only: a few ulps of ln v (|ln v| < 30).
        np.testing.assert_allclose(_np(growth_rate(x, t, params, "constant")), expected, 1e-12)


def test_linear_to_ceiling_rate_closed_form(x64, make_params):
    """v(x) = v0 2^(p x) (1 - x/D)^(p D ln2 / r0), and 0 from the ceiling on."""
    f, Ts, p, r0, D = 8.0, 0.25, 0.35, 1.6, 60.0
    params = make_params(x64, f=f, Ts=Ts, p=p, r0=r0, ceiling_doublings=D)
    x = _np(jnp.linspace(0.0, 59.5, 120))
    expected = (f / Ts) * 2.0 ** (p * x) * (1 - x / D) ** (p * D * LN2 / r0)
    got = _np(growth_rate(jnp.asarray(x), 0.0, params, "linear_to_ceiling"))
    # float64 rounding only (the exponent p D ln2 / r0 ~ 9 amplifies it a little).
    np.testing.assert_allclose(got, expected, 1e-11)
    at_ceiling = growth_rate(jnp.array([D, D + 1.0]), 0.0, params, "linear_to_ceiling")
    assert np.all(_np(at_ceiling) == 0.0)


@pytest.mark.parametrize("returns", ["constant", "linear_to_ceiling"])
def test_davidson_houlden_log_derivative(x64, make_params, returns):
    """phi = 1, C fixed: d ln v / dx = ln2 p (1 - 1/r(x)), the continuous D&H recursion."""
    params = make_params(x64, p=0.45, r0=1.3, ceiling_doublings=50.0)
    x = jnp.linspace(0.5, 45.0, 10)
    eps = 1e-5
    up = log_growth_rate(x + eps, 0.0, params, returns)
    down = log_growth_rate(x - eps, 0.0, params, returns)
    dlogv = (up - down) / (2 * eps)
    expected = LN2 * 0.45 * (1 - 1 / _np(returns_at(x, params, returns)))
    # Centred difference: O(eps^2) truncation plus ~1e-16 |ln v| / eps rounding, < 1e-8.
    np.testing.assert_allclose(_np(dlogv), expected, rtol=1e-7, atol=1e-8)


def test_compute_and_human_growth_terms(x64, make_params):
    """At x = 0: v(t)/v0 = C^lambda with phi = 1 (A grows with C), H^p C^(lambda-p) with phi = 0."""
    t = jnp.array([0.0, 0.5, 2.0])
    gC, gH, p, alpha = 0.9, 0.2, 0.3, 0.6
    lam = p / alpha
    common = dict(gC=gC, gH=gH, p=p, alpha=alpha, rho=-0.7, A0=30.0)
    ai_only = make_params(x64, phi0=1.0, phi_inf=1.0, **common)
    got = _np(log_growth_rate(jnp.zeros(3), t, ai_only, "constant") - math.log(32.0))
    np.testing.assert_allclose(got, lam * gC * _np(t), atol=1e-12)  # rounding only
    humans_only = make_params(x64, phi0=0.0, phi_inf=0.0, **common)
    got = _np(log_growth_rate(jnp.zeros(3), t, humans_only, "constant") - math.log(32.0))
    np.testing.assert_allclose(got, (p * gH + (lam - p) * gC) * _np(t), atol=1e-12)


def test_three_point_six_five_days_example(make_params):
    """f = 100, Ts = 1 year, r = 1: v = 100 doublings a year, one every 3.65 days, for ever."""
    params = make_params(f=100.0, Ts=1.0, r0=1.0)
    v = _np(growth_rate(jnp.array([0.0, 10.0, 150.0]), 0.0, params, "constant"))
    # float32: a few ulps of ln v.
    np.testing.assert_allclose(365.0 / v, 3.65, rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# Automation schedule
# ---------------------------------------------------------------------------------------------


def test_automation_schedule(x64, make_params):
    params = make_params(x64, phi0=0.2, phi_inf=0.9, x_phi=5.0)
    x = jnp.array([0.0, 1.0, 5.0, 30.0, 500.0])
    expected = 0.9 - 0.7 * np.exp(-_np(x) / 5.0)
    np.testing.assert_allclose(_np(automation_share(x, params)), expected, 1e-14)  # rounding
    log_phi, log_rest = log_automation_shares(x, params)
    np.testing.assert_allclose(_np(jnp.exp(log_phi)), expected, 1e-13)  # rounding
    np.testing.assert_allclose(_np(jnp.exp(log_rest)), 1 - expected, 1e-13)  # rounding


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_human_share_keeps_precision_when_automation_approaches_one(make_params, dtype):
    """phi_inf = 1: ln(1 - phi) = ln(1 - phi0) - x/x_phi exactly, however small 1 - phi gets.

    Regression: computing log1p(-phi) from the rounded phi dropped the human bottleneck at once
    when 1 - phi fell below phi's rounding error (x > ~17 x_phi in float32), so the rate jumped by
    orders of magnitude mid-path and float32 and float64 forecasts disagreed.
    """
    if dtype == jnp.float64:
        jax.config.update("jax_enable_x64", True)
    params = make_params(dtype, phi0=0.4, phi_inf=1.0, x_phi=2.0)
    x = jnp.asarray([0.0, 10.0, 40.0, 100.0, 400.0], dtype)
    _, log_rest = log_automation_shares(x, params)
    expected = math.log(0.6) - _np(x) / 2.0
    # float32 rounding of exp/log1p/logaddexp at |values| up to 200.
    np.testing.assert_allclose(_np(log_rest), expected, rtol=1e-6, atol=1e-6)
    # And the labour, hence the rate, is smooth in x: no jump where phi rounds to 1.
    xs = jnp.linspace(0.0, 80.0, 801, dtype=dtype)
    log_l = _np(
        log_labour_at(
            xs, jnp.zeros_like(xs), make_params(dtype, phi0=0.4, rho=-1.5, x_phi=2.0, A0=20.0)
        )
    )
    # ln L grows at most ln2 per doubling (A's own rate): 0.1-doubling steps move it < 0.07.
    assert np.all(np.isfinite(log_l)) and np.max(np.abs(np.diff(log_l))) < 0.1 * LN2 + 1e-4


# ---------------------------------------------------------------------------------------------
# CES effective labour
# ---------------------------------------------------------------------------------------------


def test_ces_matches_direct_formula(x64):
    rho = np.array([-20.0, -1.0, -0.5, -1e-3, 1e-3, 0.5, 0.9])
    phi = np.array([0.1, 0.5, 0.9])
    H = np.array([0.5, 1.0, 3.0])
    A = np.array([0.7, 10.0, 1e3])
    R, P, HH, AA = (a.ravel() for a in np.meshgrid(rho, phi, H, A, indexing="ij"))
    direct = np.log(((1 - P) * HH**R + P * AA**R) ** (1 / R))
    got = log_effective_labour(jnp.log(HH), jnp.log(AA), jnp.asarray(P), jnp.asarray(R))
    # The direct formula itself loses ~1e-13/|rho| of relative precision at |rho| = 1e-3.
    np.testing.assert_allclose(_np(got), direct, rtol=1e-9, atol=1e-9)


def test_ces_amdahl_and_cobb_douglas(x64):
    log_h, log_a = jnp.log(2.0), jnp.log(50.0)
    amdahl = log_effective_labour(log_h, log_a, 0.8, -1.0)
    # rho = -1 is Amdahl's law exactly: 1/L = (1-phi)/H + phi/A.  Rounding only.
    np.testing.assert_allclose(float(amdahl), -math.log(0.2 / 2 + 0.8 / 50), rtol=1e-14)
    cd = 0.2 * math.log(2.0) + 0.8 * math.log(50.0)
    spread = 0.2 * 0.8 * math.log(25.0) ** 2
    np.testing.assert_allclose(float(log_effective_labour(log_h, log_a, 0.8, 0.0)), cd, 1e-14)
    for rho in (1e-6, -1e-6, 9e-5, -9e-5):
        # Within the switch (|rho| < 1e-4): the limit plus its first-order term; the next term
        # is rho^2 phi (1-phi) |1-2phi| (lnA - lnH)^3 / 6 < 1e-8.
        got = float(log_effective_labour(log_h, log_a, 0.8, rho))
        assert got == pytest.approx(cd + 0.5 * rho * spread, abs=1e-8)
    # phi = 0 and 1 are exact, for every rho: only humans, only AIs.
    for rho in RHOS:
        assert float(log_effective_labour(log_h, log_a, 0.0, rho)) == pytest.approx(
            math.log(2.0), rel=1e-14
        )
        assert float(log_effective_labour(log_h, log_a, 1.0, rho)) == pytest.approx(
            math.log(50.0), rel=1e-14
        )


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("log_a", [math.log(1e3), math.log(1e6 * 2.0**200)])
def test_ces_continuous_across_rho_zero(dtype, log_a):
    """ln L(rho) = CD + rho/2 phi(1-phi)(lnA - lnH)^2 + O(rho^2) on both sides of 0 and on
    both sides of the switch to the series at |rho| = 1e-4: no jump beyond rounding."""
    if dtype == jnp.float64:
        jax.config.update("jax_enable_x64", True)
    log_h, phi = 0.3, 0.6
    d = log_a - log_h
    cd = (1 - phi) * log_h + phi * log_a
    for rho in (-1e-2, -1e-3, -1.01e-4, -0.99e-4, -1e-6, 1e-6, 0.99e-4, 1.01e-4, 1e-3, 1e-2):
        got = float(
            log_effective_labour(
                jnp.asarray(log_h, dtype),
                jnp.asarray(log_a, dtype),
                jnp.asarray(phi, dtype),
                jnp.asarray(rho, dtype),
            )
        )
        series = cd + 0.5 * rho * phi * (1 - phi) * d**2
        # Next term: rho^2 phi(1-phi)|1-2phi| |d|^3 / 6 (x2 for the rest of the series).
        second = rho**2 * phi * (1 - phi) * abs(1 - 2 * phi) * abs(d) ** 3 / 3
        # Rounding: the log-sum-exp's ~eps |ln w + rho ln A| divided by rho above the switch;
        # eps |CD| below it.
        eps = 1.2e-7 if dtype == jnp.float32 else 2.3e-16
        noise = eps * (3 + abs(rho) * abs(log_a)) / abs(rho) if abs(rho) >= 1e-4 else eps * abs(cd)
        if abs(rho * d) < 0.1:  # the series converges fast enough to bound it
            assert abs(got - series) <= second + 4 * noise, (rho, got, series)
    # And the jump across the switch itself is far below the first-order term it used to be.
    above = float(
        log_effective_labour(
            jnp.asarray(log_h, dtype),
            jnp.asarray(log_a, dtype),
            jnp.asarray(phi, dtype),
            jnp.asarray(1.0001e-4, dtype),
        )
    )
    below = float(
        log_effective_labour(
            jnp.asarray(log_h, dtype),
            jnp.asarray(log_a, dtype),
            jnp.asarray(phi, dtype),
            jnp.asarray(0.9999e-4, dtype),
        )
    )
    switch_noise = eps * (3 + 1e-4 * abs(log_a)) / 1e-4
    assert abs(above - below) < 0.05 * 0.5e-4 * phi * (1 - phi) * d**2 + 4 * switch_noise


@pytest.mark.parametrize("rho", RHOS)
def test_ces_is_finite_and_a_mean_for_extreme_inputs(rho):
    """float32, A up to 1e6 * 2^200: ln L finite and between ln H and ln A (a power mean)."""
    log_h = jnp.array([0.0, 0.0, 2.0, 5.0])
    log_a = jnp.log(jnp.array([1e6, 1.0, 1e-3, 1e6])) + LN2 * jnp.array([200.0, 0.0, 0.0, 60.0])
    for phi in (1e-6, 0.3, 0.999999):
        got = _np(log_effective_labour(log_h, log_a, phi, rho))
        lo, hi = np.minimum(_np(log_h), _np(log_a)), np.maximum(_np(log_h), _np(log_a))
        assert np.all(np.isfinite(got))
        # float32 rounding of values up to ~150.
        assert np.all((got >= lo - 1e-4 * (1 + np.abs(lo))) & (got <= hi + 1e-4 * (1 + np.abs(hi))))


@pytest.mark.parametrize("rho", RHOS)
@pytest.mark.parametrize("A0", [1.0, 1e3, 1e6])
def test_growth_rate_finite_over_rho_and_A0(make_params, rho, A0):
    params = make_params(rho=rho, A0=A0, phi0=0.5, phi_inf=0.95, gC=0.5, gH=0.2)
    x = jnp.linspace(0.0, 80.0, 9)
    v = _np(growth_rate(x, jnp.linspace(0.0, 5.0, 9), params, "linear_to_ceiling"))
    assert np.all(np.isfinite(v)) and np.all(v > 0)


# ---------------------------------------------------------------------------------------------
# Amdahl bound
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [-1.0, -0.5, -3.0])
def test_amdahl_bound_on_labour(x64, make_params, rho):
    """phi constant < 1, rho < 0, C and H fixed: L/L0 rises to (1-phi)^(1/rho) / L0."""
    phi, A0 = 0.9, 20.0
    params = make_params(x64, phi0=phi, phi_inf=phi, rho=rho, A0=A0)
    x = jnp.array([0.0, 5.0, 20.0, 60.0, 200.0, 1000.0])
    ratio = _np(jnp.exp(log_labour_at(x, 0.0, params) - log_labour_at(0.0, 0.0, params)))
    L0 = ((1 - phi) + phi * A0**rho) ** (1 / rho)
    bound = (1 - phi) ** (1 / rho) / L0
    assert np.all(np.diff(ratio) >= 0) and np.all(ratio <= bound * (1 + 1e-14))
    # At x = 200, phi A^rho ~ 2^(200 rho) ~ 1e-30 of the human term: the limit to rounding.
    np.testing.assert_allclose(ratio[-2:], bound, rtol=1e-12)

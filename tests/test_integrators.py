"""The integrators (forecaster/models/general_law/_integrate.py: RK4 on the doubling clock;
forecaster/models/davidson_houlden/_stepper.py: the D&H stepper).

RK4 is checked against the closed forms of MODEL.md section 4 and for its order of
convergence; the doublings stepper against an independent re-implementation of Davidson &
Houlden's recursion (tests/reference_dh.py).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from reference_dh import dh_fastest_years, dh_max_doublings_within, dh_progress_within, dh_times
from scipy import integrate

from forecaster import PARAMETERS
from forecaster.models import DavidsonHoulden
from forecaster.models.davidson_houlden._stepper import doublings_path
from forecaster.models.general_law._integrate import rk4_path
from forecaster.models.general_law._law import LN2, log_growth_rate

# Only the returns schedule and the number of steps are static: one compilation (~1 s on
# CPU) per (returns, steps, dtype), so the tests below share STEPS wherever they can.
# rk4(params, returns, steps, max_doublings, horizon_years, stop_doubling_years)
rk4 = jax.jit(rk4_path, static_argnames=("returns", "steps", "full_automation", "autonomous"))
# stepper(params, returns, max_doublings, horizon_years, stop_doubling_years)
stepper = jax.jit(doublings_path, static_argnums=(1, 2))
STEPS = 128

INF = math.inf


def _np(a):
    return np.asarray(a, dtype=float)


def _constant_r_times(x, v0, p, r):
    """t(x) for constant r, phi = 1, C fixed (MODEL.md section 4)."""
    c = p * (1 - 1 / r)
    if c == 0:
        return x / v0
    return (1 - 2.0 ** (-c * x)) / (v0 * c * LN2)


# ---------------------------------------------------------------------------------------------
# RK4 against the closed forms
# ---------------------------------------------------------------------------------------------


def test_rk4_constant_returns_explosive_with_blowup_time(x64, make_params):
    """c = p (1 - 1/r) > 0: hyperbolic growth; 200 doublings come just before t* = 1/(v0 c ln2)."""
    f, Ts, p, r = 8.0, 0.25, 0.3, 2.0
    path = rk4(make_params(x64, f=f, Ts=Ts, p=p, r0=r), "constant", STEPS, 100.0, 100.0, INF)
    x, t = _np(path.x), _np(path.t)
    v0, c = f / Ts, p * (1 - 1 / r)
    t_star = 1 / (v0 * c * LN2)
    assert x[-1] == 100.0 and np.all(np.isfinite(t))
    # RK4 with h = 0.78 doublings: measured error 1.5e-8 t*; 1e-6 t* leaves a wide margin.
    np.testing.assert_allclose(t, _constant_r_times(x, v0, p, r), rtol=0, atol=1e-6 * t_star)
    # 2^(-c 100) = 3e-5: the cap comes just before the blow-up time t*.
    assert t[-1] == pytest.approx(t_star * (1 - 2.0 ** (-c * 100)), rel=1e-6)
    # The rate at the nodes is v0 2^(c x): the law itself, rounding only.
    np.testing.assert_allclose(_np(path.rate), v0 * 2.0 ** (c * x), rtol=1e-12)


def test_rk4_constant_returns_decaying(x64, make_params):
    """c < 0: progress never stops but slows; t(x) = (2^(|c| x) - 1)/(v0 |c| ln2)."""
    f, Ts, p, r = 8.0, 0.25, 0.3, 0.5
    path = rk4(make_params(x64, f=f, Ts=Ts, p=p, r0=r), "constant", STEPS, 30.0, 1000.0, INF)
    x, t = _np(path.x), _np(path.t)
    # h = 0.23: measured relative error < 1e-9; rtol 1e-7 for margin.
    np.testing.assert_allclose(t, _constant_r_times(x, f / Ts, p, r), rtol=1e-7)
    assert np.all(np.diff(np.diff(t)) > 0)  # each doubling slower than the last


def test_rk4_r_equal_one_and_the_365_day_example(x64, make_params):
    """c = 0 (r = 1): t = x / v0. f = 100, Ts = 1 year: one doubling every 3.65 days.

    Also the horizon stop: nodes up to the horizon are reached, the first one past it is still
    computed (so the horizon can be interpolated), every later one is never reached (+inf).
    """
    params = make_params(x64, f=100.0, Ts=1.0, r0=1.0)
    path = rk4(params, "constant", STEPS, float(STEPS), 1.005, INF)  # one doubling a step
    x, t = _np(path.x), _np(path.t)
    reached = t <= 1.005
    assert reached.sum() == 101 and np.isfinite(t[101]) and t[101] > 1.005
    assert np.all(np.isposinf(t[102:]))
    # Constant slope: RK4 is exact up to ~100 roundings.
    np.testing.assert_allclose(t[:102], x[:102] / 100.0, rtol=1e-13)
    np.testing.assert_allclose(np.diff(t[:102]) * 365.0, 3.65, rtol=1e-12)


def test_rk4_linear_to_ceiling_rates_and_times_by_quadrature(x64, make_params):
    """v(x) = v0 2^(p x) (1 - x/D)^(p D ln2 / r0): rates at the nodes and t(x) = int dx / v."""
    f, Ts, p, r0, D = 8.0, 0.25, 0.3, 2.0, 40.0
    params = make_params(x64, f=f, Ts=Ts, p=p, r0=r0, ceiling_doublings=D)
    path = rk4(params, "linear_to_ceiling", STEPS, D, 1e4, INF)  # as the API: the grid ends at D
    x, t, rate = _np(path.x), _np(path.t), _np(path.rate)
    assert x[-1] == D
    a = p * D * LN2 / r0

    def v(u):
        return (f / Ts) * 2.0 ** (p * u) * (1 - u / D) ** a

    np.testing.assert_allclose(rate[:-1], v(x[:-1]), rtol=1e-11)  # the law itself: rounding only
    # a = 4.2 > 1: 1/v is not integrable up to D, so the ceiling node itself is never reached.
    assert np.isposinf(t[-1]) and np.all(np.isfinite(t[:-1]))
    inner = x <= 0.9 * D
    quad = np.array(
        [integrate.quad(lambda u: 1 / v(u), 0, xi, epsabs=0, epsrel=1e-12)[0] for xi in x[inner]]
    )
    # 1/v varies on the scale (D - x)/a, so the uniform grid (h = 0.31) is least accurate near
    # the ceiling. Measured relative error: 3e-8 up to 0.8 D, 2e-6 at 0.9 D (6e-5 at 0.95 D).
    far = x[inner] <= 0.8 * D
    np.testing.assert_allclose(t[inner][far], quad[far], rtol=2e-7, atol=1e-12)
    np.testing.assert_allclose(t[inner], quad, rtol=1e-5, atol=1e-12)


def test_rk4_nodes_past_the_ceiling_are_never_reached(x64, make_params):
    """One grid for every draw (0 .. max_doublings): nodes at or past D have t = +inf."""
    params = make_params(x64, f=16.0, r0=3.0, ceiling_doublings=40.0)
    path = rk4(params, "linear_to_ceiling", STEPS, 100.0, 1e30, INF)
    x, t = _np(path.x), _np(path.t)
    assert x[-1] == 100.0 and np.all(np.isposinf(t[x >= 40.0])) and np.all(np.isfinite(t[x < 40.0]))


def test_rk4_stops_when_a_doubling_gets_too_slow(x64, make_params):
    """Node k+1 is computed only while 1/v at node k <= stop_doubling_years."""
    params = make_params(x64, p=0.3, r0=0.5)  # c < 0: the doubling time grows without end
    stop = 0.05
    path = rk4(params, "constant", STEPS, 50.0, 1000.0, stop)
    t, doubling_time = _np(path.t), 1 / _np(path.rate)
    last = int(np.max(np.nonzero(np.isfinite(t))))
    assert 0 < last < 200 and np.all(np.isposinf(t[last + 1 :]))
    assert np.all(doubling_time[:last] <= stop) and doubling_time[last] > stop


@pytest.mark.parametrize(
    "returns, full_automation, autonomous",
    [("constant", True, False), ("constant", False, True), ("linear_to_ceiling", True, True)],
)
def test_rk4_fast_paths_give_the_same_numbers(
    x64, make_params, returns, full_automation, autonomous
):
    """phi = 1 skips the CES; gC = gH = 0 turns the RK4 scan into Simpson's rule in one go.
    On draws where they apply they must reproduce the general integrator, stops included."""
    cases = [
        dict(r0=2.0),
        dict(r0=0.6, p=0.5),
        dict(r0=1.3, ceiling_doublings=60.0, f=30.0),
        dict(r0=0.5, f=2.0),
    ]
    for case in cases:
        if not full_automation:
            case = {**case, "phi0": 0.6, "phi_inf": 0.95, "rho": -0.8}
        params = make_params(x64, **case)
        for horizon, stop in ((1e4, INF), (2.0, INF), (1e4, 0.05)):
            general = rk4(params, returns, STEPS, 100.0, horizon, stop)
            fast = rk4(
                params,
                returns,
                STEPS,
                100.0,
                horizon,
                stop,
                full_automation=full_automation,
                autonomous=autonomous,
            )
            t_general, t_fast = _np(general.t), _np(fast.t)
            np.testing.assert_array_equal(np.isfinite(t_fast), np.isfinite(t_general))
            reached = np.isfinite(t_general)
            # Same formula, summed in another order (cumsum vs scan): rounding only.
            np.testing.assert_allclose(t_fast[reached], t_general[reached], rtol=1e-12)
            np.testing.assert_allclose(
                _np(fast.rate)[reached], _np(general.rate)[reached], rtol=1e-12
            )


# ---------------------------------------------------------------------------------------------
# RK4 order of convergence
# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_rk4_fourth_order_with_compute_and_human_growth(x64, make_params):
    """gC > 0, gH > 0, phi rising to < 1, rho < 0: the error at the grid end falls as h^4."""
    params = make_params(
        x64,
        r0=0.8,
        p=0.4,
        alpha=0.6,
        gC=0.5,
        gH=0.2,
        phi0=0.5,
        phi_inf=0.9,
        x_phi=5.0,
        rho=-0.5,
        A0=10.0,
    )
    x_end = 20.0
    # Reference: an independent adaptive 8th-order integrator at rtol 1e-13 (agrees with RK4
    # at 2048 steps to 5e-14 relative), on the same law of motion dt/dx = 1/v(x, t).
    slope = jax.jit(lambda x, t: jnp.exp(-log_growth_rate(x, t, params, "constant")))
    reference = integrate.solve_ivp(
        lambda x, y: [float(slope(x, y[0]))],
        (0.0, x_end),
        [0.0],
        method="DOP853",
        rtol=1e-13,
        atol=1e-14,
    ).y[0, -1]
    steps = np.array([16, 32, 64, STEPS])
    errors = np.array(
        [
            abs(float(rk4(params, "constant", int(n), x_end, 1e4, INF).t[-1]) - reference)
            for n in steps
        ]
    )
    order = np.polyfit(np.log(x_end / steps), np.log(errors), 1)[0]
    # Measured 4.09 (errors 1.8e-4 ... 3.6e-8 years, t = 8.36 years; reference error ~1e-12).
    assert 3.5 <= order <= 4.5, (order, errors)


# ---------------------------------------------------------------------------------------------
# The doublings stepper
# ---------------------------------------------------------------------------------------------


def test_stepper_constant_returns(x64, make_params):
    """Constant r: each doubling takes the previous one's time times 2^(p (1/r - 1))."""
    f, Ts, p = 8.0, 0.25, 0.3
    n = 40
    for r in (1.0, 2.0, 0.7):
        path = stepper(make_params(x64, f=f, Ts=Ts, p=p, r0=r), "constant", n, 1e3, INF)
        gaps = np.diff(_np(path.t))
        expected = (Ts / f) * 2.0 ** (p * (1 / r - 1) * np.arange(n))
        np.testing.assert_allclose(gaps, expected, rtol=1e-13)  # n products: rounding only
        np.testing.assert_allclose(
            _np(path.rate),
            1 / np.append(expected, expected[-1] * 2.0 ** (p * (1 / r - 1))),
            rtol=1e-13,
        )  # rate of the step starting at each node


def test_stepper_horizon_and_stop(x64, make_params):
    params = make_params(x64, f=4.0, r0=1.0)  # 1/16 year a doubling, exactly
    t = _np(stepper(params, "constant", 40, 1.0, INF).t)
    # Nodes 0..16 are within the horizon (t_16 = 1.0 exactly); node 17 is computed, then +inf.
    assert np.sum(t <= 1.0) == 17 and t[17] == 17 / 16 and np.all(np.isposinf(t[18:]))
    # A doubling longer than stop_doubling_years is never taken.
    assert np.all(np.isposinf(_np(stepper(params, "constant", 40, 1.0, 0.06).t[1:])))


DH_WINDOWS = (4 / 12, 1.0)
DH_LEVELS = (1.0, 3.0, 5.0, 10.0)
DH_MODEL = DavidsonHoulden(
    integrator="doublings",
    returns="linear_to_ceiling",
    max_doublings=130.0,
    stop_doubling_years=0.5,
    horizon_years=100.0,
    windows_years=DH_WINDOWS,
    progress_levels_years=DH_LEVELS,
)


def _dh_draws(n, seed):
    """Davidson & Houlden's priors (MODEL.md section 5), D in doublings = years * 8."""
    rng = np.random.default_rng(seed)

    def log_uniform(lo, hi):
        return np.exp(rng.uniform(math.log(lo), math.log(hi), n))

    values = {name: np.full(n, spec.default) for name, spec in PARAMETERS.items()}
    values.update(
        f=log_uniform(2, 32),
        r0=log_uniform(0.4, 3.6),
        ceiling_doublings=rng.uniform(6, 16, n) * 8,
        p=log_uniform(0.15, 0.6),
        Ts=np.full(n, 0.25),
        software_share=np.full(n, 0.5),
    )
    return values


@pytest.fixture(scope="module")
def dh_case():
    """300 draws through the stepper in float64, and the reference's node times."""
    values = _dh_draws(300, seed=20250)

    # Node times and outcomes from one compilation (vmap of solve and summarise is what
    # batched_outcomes compiles; test_outcomes checks that equivalence).
    def one(q):
        path = DH_MODEL.solve(q)
        return path.t, DH_MODEL.summarise(q, path)

    run = jax.jit(jax.vmap(one))
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        t, out = run(DH_MODEL.prepare(values, jnp.float64))
        results = {"float64": (_np(t), {k: np.asarray(v) for k, v in out.items()})}
    finally:
        jax.config.update("jax_enable_x64", before)
    reference = [
        dh_times(
            float(values["f"][i]),
            float(values["r0"][i]),
            float(values["ceiling_doublings"][i]),
            float(values["p"][i]),
        )
        for i in range(300)
    ]
    return values, results, reference


def test_stepper_node_times_match_davidson_houlden(dh_case):
    _, results, reference = dh_case
    t, _ = results["float64"]
    worst = 0.0
    for i, ref in enumerate(reference):
        k = len(ref)
        assert np.all(np.isposinf(t[i, k:])), f"draw {i}: stepper went past the reference's stop"
        worst = max(worst, float(np.max(np.abs(t[i, :k] - ref) / np.maximum(ref, 1e-300))))
    # Same operations in the same order in float64: measured 5.6e-16 (one ulp or so).
    assert worst < 1e-13


@pytest.mark.parametrize("years", [1.0, 3.0, 5.0, 10.0])
def test_stepper_window_outcomes_match_davidson_houlden(dh_case, years):
    """float64: the fastest time to Y years is D&H's min_i t[i + 8Y] - t[i] (to rounding), and
    '>= Y years of progress within w' (fastest < w) agrees exactly for every draw and window
    (a flip would need a tie with w to ~1e-16; none in these 300 draws)."""
    _, results, reference = dh_case
    _, out = results["float64"]
    k = DH_LEVELS.index(years)
    fastest = out["fastest_years_to_progress"][:, k]
    expected = np.array([dh_fastest_years(ref, years) for ref in reference])
    # Node times agree to an ulp or two (XLA's pow vs Python's): measured 4.4e-16 absolute.
    np.testing.assert_allclose(fastest, expected, rtol=1e-13)
    for w in DH_WINDOWS:
        theirs = np.array([dh_progress_within(ref, years, w) for ref in reference])
        np.testing.assert_array_equal(fastest < w, theirs)
    assert not out["non_finite"].any()


def test_stepper_max_progress_in_window(dh_case):
    """The most progress in a window, with x(t) linear between whole-doubling nodes, lies in
    [m, m + 1) doublings for D&H's m = max j - i with t_j - t_i < w."""
    _, results, reference = dh_case
    _, out = results["float64"]
    for wi, w in enumerate(DH_WINDOWS):
        most = np.array([dh_max_doublings_within(ref, w) for ref in reference])
        ours = out["max_progress_years"][:, wi] * 8.0
        # 1e-9 doublings: float64 rounding of the interpolation.
        assert np.all(ours >= most - 1e-9) and np.all(ours < most + 1 + 1e-9)

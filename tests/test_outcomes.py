"""Per-draw outcomes (forecaster/models/_paths.py, models/_progress.py, forecaster/_kernel.py),
batching and compilation.

Every batch is padded to one chunk shape, as the engine does, so each model and
dtype compiles once for the whole module.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import forecaster._kernel as kernel
from forecaster import PARAMETERS, batched_outcomes, draw_outcomes
from forecaster.models import GeneralLaw
from forecaster.models.general_law._law import LN2

CHUNK = 256
#: The outcomes every path model returns (an event and a ladder's milestones add theirs).
OUTCOME_NAMES: tuple[str, ...] = (
    "fastest_years_to_progress",
    "max_progress_years",
    "peak_speedup",
    "time_to_progress_years",
    "progress_by_horizon_years",
    "reached_ceiling",
    "accelerated",
    "non_finite",
    "time_to_fan_levels_years",
)
# Constant returns; 200 doublings (25 years of progress at 8 doublings a year) at most.
S_CONST = GeneralLaw(
    returns="constant",
    steps=128,
    max_doublings=200.0,
    horizon_years=20.0,
    windows_years=(4 / 12, 1.0),
    progress_levels_years=(1.0, 3.0, 10.0, 30.0),
    fan_levels_years=(2.0, 4.0),
    event=(1.0, 1.0),  # when 1 year of progress within 1 year is first completed
)
# Decaying returns: 130 doublings (16.25 years) covers ceilings up to 16 years, as the
# `decaying` scenario does.
S_LIN = dataclasses.replace(S_CONST, returns="linear_to_ceiling", max_doublings=130.0, event=None)
BOOLEANS = ("reached_ceiling", "accelerated", "non_finite")


def run(model, dtype=jnp.float32, **columns):
    """Outcomes of len(columns) draws (other parameters at their defaults), padded to CHUNK."""
    n = len(next(iter(columns.values())))
    values = {name: np.full(CHUNK, spec.default) for name, spec in PARAMETERS.items()}
    for name, column in columns.items():
        values[name][:n] = column
    out = batched_outcomes(model, dtype)(values)
    return {k: np.asarray(v)[:n] for k, v in out.items()}


def general_draws(n, seed):
    """Random draws over the whole law: compute and human growth, partial automation, CES."""
    rng = np.random.default_rng(seed)

    def log_uniform(lo, hi):
        return np.exp(rng.uniform(math.log(lo), math.log(hi), n))

    phi0 = rng.uniform(0.3, 1.0, n)
    return dict(
        f=log_uniform(2, 32),
        r0=log_uniform(0.4, 3.6),
        ceiling_doublings=rng.uniform(6, 16, n) * 8,
        p=log_uniform(0.15, 0.6),
        gC=rng.choice([0.0, math.log(4)], n),
        gH=rng.uniform(0, 0.3, n),
        phi0=phi0,
        phi_inf=np.minimum(1.0, phi0 + rng.uniform(0, 0.5, n)),
        x_phi=log_uniform(2, 20),
        rho=rng.uniform(-2, 0, n),
        A0=log_uniform(10, 1000),
    )


# ---------------------------------------------------------------------------------------------
# Semantics on paths with known answers
# ---------------------------------------------------------------------------------------------


def test_outcome_names():
    declared = S_CONST.outcomes()
    names = {q.name for q in declared.quantities} | {f.name for f in declared.flags}
    assert names | {"non_finite"} == set(OUTCOME_NAMES)  # what the model declares
    assert declared.dated_event == "event_completion_years"
    assert S_LIN.outcomes().dated_event is None
    out = run(S_CONST, f=[8.0])
    assert set(out) == set(OUTCOME_NAMES) | {"event_completion_years"}
    assert set(run(S_LIN, f=[8.0])) == set(OUTCOME_NAMES)  # no event asked for
    assert out["max_progress_years"].shape == (1, 2)
    assert out["time_to_progress_years"].shape == (1, 4)
    assert out["fastest_years_to_progress"].shape == (1, 4)
    assert out["time_to_fan_levels_years"].shape == (1, 2)


def test_constant_rate_paths():
    """r = 1, phi = 1, C fixed: v = v0 = f/Ts for ever; 1 year of progress = 8 doublings.

    f = 8: 4 years of progress a year, until the 200-doubling cap (25 years) at 6.25 years.
    f = 1.2: 0.6 a year, stopped by the 20-year horizon at 12 years of progress.
    f = 0.5: 0.25 a year; 10 and 30 years of progress are never reached within the horizon.
    """
    f = np.array([8.0, 1.2, 0.5])
    out = run(S_CONST, f=f, r0=np.ones(3))
    per_year = f * 4 / 8  # years of progress per year
    # Interpolation is exact on t(x) linear; float32 rounding of times up to 20 years.
    rtol = 1e-5
    for wi, w in enumerate((4 / 12, 1.0)):
        np.testing.assert_allclose(out["max_progress_years"][:, wi], per_year * w, rtol=rtol)
    np.testing.assert_allclose(out["progress_by_horizon_years"], [25.0, 12.0, 5.0], rtol=rtol)
    levels = np.array([[1.0, 3.0, 10.0, 30.0]])
    expected = levels / per_year[:, None]
    expected[expected > 20.0] = np.inf  # not within the horizon
    expected[0, 3] = np.inf  # 30 years = 240 doublings: beyond the cap
    np.testing.assert_allclose(out["time_to_progress_years"], expected, rtol=rtol)
    # At a constant rate the fastest stretch of Y years is any stretch: the same times.
    np.testing.assert_allclose(out["fastest_years_to_progress"], expected, rtol=rtol)
    np.testing.assert_allclose(
        out["time_to_fan_levels_years"], np.array([[2.0, 4.0]]) / per_year[:, None], rtol=rtol
    )
    np.testing.assert_allclose(out["peak_speedup"], f, rtol=rtol)  # rate / (1/Ts) = f
    # 1 year of progress within 1 year: first done at 0.25 years for f = 8; never for 1.2
    # (1.67 years per year of progress) or 0.5.
    np.testing.assert_allclose(out["event_completion_years"], [0.25, np.inf, np.inf], rtol=rtol)
    assert not out["accelerated"].any() and not out["reached_ceiling"].any()
    assert not out["non_finite"].any()


def test_explosive_path_hits_the_doubling_cap():
    """Constant r > 1: hyperbolic growth reaches the 200-doubling cap before t* and stops there."""
    f, p, r = 8.0, 0.3, 2.0
    out = run(S_CONST, f=[f], p=[p], r0=[r])
    t_star = 1 / (32.0 * p * (1 - 1 / r) * LN2)  # 0.30 years, under the 4-month window
    # float32 rounding at the cap; the cap is whole doublings, so this is exact up to rounding.
    np.testing.assert_allclose(out["progress_by_horizon_years"], 25.0, rtol=1e-6)
    np.testing.assert_allclose(out["max_progress_years"], [[25.0, 25.0]], rtol=1e-6)
    times = out["time_to_progress_years"][0]
    assert np.all(np.diff(times[:3]) > 0) and np.all(times[:3] < t_star)
    assert np.isposinf(times[3])  # 30 years is beyond the cap
    fastest = out["fastest_years_to_progress"][0]
    # Near the blow-up 1 year of progress takes ~t* 2^(-c x): 0 in float32, never negative.
    assert np.all(fastest[:3] >= 0) and np.all(fastest[:3] <= times[:3]) and np.isinf(fastest[3])
    assert 0 < out["event_completion_years"][0] <= times[0]
    assert out["accelerated"][0] and out["peak_speedup"][0] > 1e6 and not out["non_finite"][0]


def test_decaying_path_never_accelerates():
    out = run(S_CONST, r0=[0.5])  # c < 0: each doubling slower than the last
    assert not out["accelerated"][0]
    np.testing.assert_allclose(out["peak_speedup"], 8.0, rtol=1e-6)  # the rate at t = 0
    assert np.isposinf(out["time_to_progress_years"][0, 2:]).all()


def test_linear_to_ceiling_peak_speedup_and_ceiling_flag():
    """Peak of v0 2^(p x) (1 - x/D)^a is where r(x) = 1: x* = D (1 - 1/r0).

    The ceiling flag is progress by the horizon >= (1 - 2%) D; the node at D itself is never
    reached (v = 0 there), so reaching means getting within the tolerance.
    """
    f = np.array([8.0, 8.0, 16.0, 32.0, 8.0, 8.0])
    r0 = np.array([2.0, 2.5, 3.0, 3.6, 1.2, 0.8])
    D = np.array([40.0, 40.0, 40.0, 48.0, 88.0, 88.0])
    out = run(S_LIN, f=f, r0=r0, ceiling_doublings=D)
    p, Ts = 0.3, 0.25
    a = p * D * LN2 / r0
    x_star = np.maximum(D * (1 - 1 / r0), 0.0)
    peak = (f / Ts) * 2.0 ** (p * x_star) * (1 - x_star / D) ** a * Ts
    # The peak over nodes is below the true one by at most (h/2)^2/2 |d2 ln v/dx2| at x*,
    # = h^2/8 p ln2 r0 / D (h = 130/128): up to 2e-3 here. Allow twice that, plus rounding.
    h = S_LIN.max_doublings / S_LIN.steps
    bound = 2 * h**2 / 8 * p * LN2 * r0 / D + 1e-5
    assert np.all(out["peak_speedup"] <= peak * (1 + 1e-5))
    assert np.all(out["peak_speedup"] >= peak * (1 - bound))
    np.testing.assert_array_equal(out["accelerated"], peak >= 2 * f)
    # 16/3/40 and 32/3.6/48 pass 0.98 D within 0.3 years (quadrature); 8/1.2/88 needs 1e15.
    np.testing.assert_array_equal(out["reached_ceiling"][2:5], [True, True, False])
    by_horizon = out["progress_by_horizon_years"] * 8
    np.testing.assert_array_equal(out["reached_ceiling"], by_horizon >= 0.98 * D)
    assert np.all(by_horizon < D)


def test_non_finite_flag():
    """A NaN anywhere is flagged, never returned as an answer; so is a rate overflowing float32."""
    out = run(S_CONST, f=[np.nan, 8.0, 8.0], p=[0.3, 5.0, 0.3])
    assert out["non_finite"][0]
    assert out["non_finite"][1] and np.isposinf(out["peak_speedup"][1])  # v > 3.4e38
    assert not out["non_finite"][2]


@pytest.mark.parametrize("settings", [S_CONST, S_LIN], ids=["constant", "linear_to_ceiling"])
def test_ces_paths_stable_and_continuous_in_rho(settings):
    """rho in {-20, -1, -1e-6, 0, 0.5, 0.9} and A0 up to 1e6: finite outcomes, no flag; and
    the outcomes converge as rho -> 0 from either side, across the switch to the series."""
    rhos = np.array(
        [-20.0, -1.0, -1e-6, 0.0, 0.5, 0.9, 1e-6, -1e-3, 1e-3, -0.99e-4, -1.01e-4, 0.99e-4, 1.01e-4]
    )
    A0s = np.array([1.0, 1e3, 1e6])
    rho, A0 = (a.ravel() for a in np.meshgrid(rhos, A0s, indexing="ij"))
    n = rho.size
    out = run(
        settings,
        rho=rho,
        A0=A0,
        phi0=np.full(n, 0.5),
        phi_inf=np.full(n, 0.9),
        gH=np.full(n, 0.1),
        gC=np.full(n, 0.5),
    )
    assert not out["non_finite"].any()
    at = {r: i for i, r in enumerate(rhos)}
    for name in (
        "max_progress_years",
        "peak_speedup",
        "progress_by_horizon_years",
        "time_to_progress_years",
    ):
        value = out[name].reshape(len(rhos), len(A0s), -1).astype(float)
        if name != "time_to_progress_years":
            assert np.all(np.isfinite(value)), name
        zero = value[at[0.0]]
        ok = np.isfinite(zero)

        def change(r, ok=ok, zero=zero, value=value):
            return np.abs(value[at[r]][ok] / zero[ok] - 1)

        for sign in (-1, 1):
            # Linear in rho near 0: 1000x closer to 0, the change is 1000x smaller; 1e-5 is
            # float32 noise along a path.
            assert np.all(change(sign * 1e-6) <= change(sign * 1e-3) / 100 + 1e-5), name
            # Across the switch (|rho| = 1e-4, series below, exact CES above) the step from
            # 0.99e-4 to 1.01e-4 is 1/50 of that from 0 to 1e-3 (+ float32 CES rounding,
            # 1e-7 |ln w| / 1e-4 ~ 3e-3 in ln L, times p = 0.3).
            step = np.abs(value[at[sign * 1.01e-4]][ok] / value[at[sign * 0.99e-4]][ok] - 1)
            assert np.all(step <= change(sign * 1e-3) / 50 + 1e-3), name


@pytest.fixture(scope="module")
def general_paths():
    """256 general draws through S_LIN in float32: node times, doublings and outcomes."""
    values = general_draws(CHUNK, seed=5)
    full = {name: np.full(CHUNK, spec.default) for name, spec in PARAMETERS.items()}
    full.update(values)
    path = jax.jit(jax.vmap(S_LIN.solve))(S_LIN.prepare(full, jnp.float32))
    return np.asarray(path.t, float), np.asarray(path.x, float), run(S_LIN, **values)


def _max_window_reference(t, x, w, horizon):
    """Plain numpy: windows starting at every node reached, x(t) linear between nodes and
    constant after the last one, plus the window ending where the path ends."""
    finite = np.isfinite(t)
    tt, xx = t[finite], x[finite]
    ok = t <= horizon
    gains = np.interp(np.minimum(t[ok] + w, horizon), tt, xx) - x[ok]
    t_end = horizon if np.any(finite & ~ok) else t[ok].max()
    last = np.interp(t_end, tt, xx) - np.interp(max(t_end - w, 0.0), tt, xx)
    return max(gains.max(), last)


def test_max_progress_in_window_against_exhaustive_search(general_paths):
    """The kernel bisects on whole steps, then interpolates the last one from every start: it
    must find the true maximum over start nodes."""
    t, x, out = general_paths
    for wi, w in enumerate(S_LIN.windows_years):
        expected = np.array([_max_window_reference(t[i], x[i], w, 20.0) for i in range(CHUNK)])
        # float32 rounding of doublings up to 130 (plus the interpolation): 1e-4 doublings.
        np.testing.assert_allclose(out["max_progress_years"][:, wi] * 8, expected, atol=1e-4)


def _whole_steps_reference(t, w, horizon):
    """Plain numpy: the most whole steps m with t[i + m] - t[i] < w from a node i reached."""
    best = 0
    for i in np.nonzero(t <= horizon)[0]:
        for j in range(i, t.size):
            if t[j] <= horizon and t[j] - t[i] < w:
                best = max(best, j - i)
    return best


def test_whole_steps_in_windows_against_exhaustive_search_with_ties():
    """The strict count (< w) comes from the bisection for <= w, stepping down on a tie: paths
    whose spans equal a window exactly (times in quarters, windows 1 and 0.75), a stalled one
    and a random one, against an exhaustive search."""
    from forecaster.models._paths import Path, window_search

    rng = np.random.default_rng(3)
    quarters = np.arange(40) * 0.25
    stalled = np.concatenate([np.arange(10) * 0.25, np.full(30, np.inf)])
    random = np.cumsum(rng.uniform(0.01, 0.5, 40))
    speeding = np.cumsum(np.repeat([0.5, 0.25, 0.125, 0.25], 10))
    t = np.stack([quarters, stalled, random, speeding]).astype(np.float32)
    windows, horizon = (1.0, 0.75, 3.0), 7.0
    path = Path(
        jnp.broadcast_to(jnp.arange(40, dtype=jnp.float32), t.shape),
        jnp.asarray(t),
        jnp.ones(t.shape, jnp.float32),
    )
    _, whole = jax.jit(jax.vmap(lambda p: window_search(p, windows, 1.0, horizon)))(path)
    for row in range(t.shape[0]):
        expected = [_whole_steps_reference(t[row], w, horizon) for w in windows]
        np.testing.assert_array_equal(np.asarray(whole[row]), expected, err_msg=str(row))
    assert whole[0, 0] == 3  # 4 quarters take exactly 1 year: not within it


def test_coarse_bracketed_window_search_against_exhaustive_search():
    """The window search bisects on every COARSE_STRIDE-th node before the whole path: over
    random paths whose answers cross the coarse nodes (bursts of fast steps, exact ties, a
    stall, the horizon cutting in), the strict whole steps equal an exhaustive search and the
    most progress the linear-inversion reference, for windows from a fraction of a step to
    most of the path."""
    from forecaster.models._paths import COARSE_STRIDE, Path, window_search

    assert COARSE_STRIDE > 1  # else this tests the plain bisection only
    rng = np.random.default_rng(11)
    rows, nodes, horizon = 96, 129, 30.0
    steps = rng.choice([0.0, 0.05, 0.25, 0.5, 1.0], size=(rows, nodes - 1))
    steps *= rng.uniform(0.5, 2.0, size=(rows, 1))
    steps[::7, 10:20] = 0.25  # exact ties with a window of 1 (4 quarters)
    t = np.concatenate([np.zeros((rows, 1)), np.cumsum(steps, axis=1)], axis=1)
    t[::5, rng.integers(20, 120) :] = np.inf  # stalls
    t = t.astype(np.float32)
    windows = (0.01, 1.0, 2.5, 7.0, 24.0)
    path = Path(
        jnp.broadcast_to(jnp.arange(nodes, dtype=jnp.float32), t.shape),
        jnp.asarray(t),
        jnp.ones(t.shape, jnp.float32),
    )
    most, whole = jax.jit(jax.vmap(lambda p: window_search(p, windows, 1.0, horizon)))(path)
    x = np.arange(nodes, dtype=np.float64)
    for row in range(rows):
        expected = [_whole_steps_reference(t[row], w, horizon) for w in windows]
        np.testing.assert_array_equal(np.asarray(whole[row]), expected, err_msg=str(row))
        reference = [_max_window_reference(t[row].astype(float), x, w, horizon) for w in windows]
        np.testing.assert_allclose(np.asarray(most[row]), reference, atol=1e-4, err_msg=str(row))
    assert len(set(np.asarray(whole[:, 2]).tolist())) > 10  # answers of many sizes


def test_fastest_progress_is_consistent_with_windows_and_times(general_paths):
    """fastest[Y] <= time to Y; and 'fastest[Y] <= w' iff 'max progress in w >= Y', except at
    near-ties, where the two interpolants (cubic Hermite / linear) may differ slightly."""
    _, _, out = general_paths
    fastest, times = out["fastest_years_to_progress"], out["time_to_progress_years"]
    # float32: the two interpolate at s computed in float32 vs float64: ~1e-5 relative.
    assert np.all(fastest <= times * (1 + 1e-5))
    np.testing.assert_array_equal(np.isfinite(fastest), np.isfinite(times))
    assert np.all(fastest >= 0)
    levels = np.asarray(S_LIN.progress_levels_years)
    for wi, w in enumerate(S_LIN.windows_years):
        progress = out["max_progress_years"][:, wi]
        a = fastest <= w
        b = progress[:, None] >= levels[None, :]
        # Interpolation differences are O(h^2) relative, h = 1 grid step: 1% is a near-tie.
        near = (np.abs(fastest / w - 1) < 1e-2) | (np.abs(progress[:, None] / levels - 1) < 1e-2)
        assert np.all((a == b) | near)


@pytest.mark.slow
def test_static_fast_paths_give_the_same_outcomes():
    """The engine's specialisations (phi = 1, gC = gH = 0, fixed (1/Ts)/s) change no outcome."""
    values = general_draws(CHUNK, seed=9)
    values.update(
        phi0=np.ones(CHUNK), phi_inf=np.ones(CHUNK), gC=np.zeros(CHUNK), gH=np.zeros(CHUNK)
    )
    fast_model = S_LIN.specialise(
        {
            **{k: s.default for k, s in PARAMETERS.items()},
            "phi0": 1.0,
            "phi_inf": 1.0,
            "gC": 0.0,
            "gH": 0.0,
        }
    )
    features = {"full_automation": True, "autonomous": True, "doublings_per_year": 8.0}
    assert fast_model == dataclasses.replace(S_LIN, **features)
    assert not S_LIN.full_automation and not S_LIN.autonomous and S_LIN.doublings_per_year is None
    general = run(S_LIN, **values)
    fast = run(fast_model, **values)
    for out in (general, fast):  # per-draw and static progress levels
        fastest, times = out["fastest_years_to_progress"], out["time_to_progress_years"]
        # Never negative (the Hermite end is clamped to its bracketing nodes), never later
        # than the first time to the level (float32 rounding), finite exactly when it is.
        assert np.all(fastest >= 0) and np.all(fastest <= times * (1 + 1e-5))
        np.testing.assert_array_equal(np.isfinite(fastest), np.isfinite(times))
    for name in OUTCOME_NAMES:
        a, b = general[name].astype(float), fast[name].astype(float)
        np.testing.assert_array_equal(np.isfinite(a), np.isfinite(b), err_msg=name)
        # Simpson's rule in one cumsum vs RK4 step by step: float32 summation order only.
        np.testing.assert_allclose(
            b[np.isfinite(a)], a[np.isfinite(a)], rtol=1e-5, atol=1e-6, err_msg=name
        )


# ---------------------------------------------------------------------------------------------
# Batching, compilation, precision
# ---------------------------------------------------------------------------------------------


def test_batched_equals_one_at_a_time():
    values = general_draws(6, seed=7)
    batched = run(S_LIN, **values)
    single = jax.jit(draw_outcomes, static_argnums=(0, 2))
    defaults = {name: spec.default for name, spec in PARAMETERS.items()}
    for i in range(6):
        draw = {**defaults, **{k: v[i] for k, v in values.items()}}
        one = single(S_LIN, draw, jnp.float32)
        for name in OUTCOME_NAMES:
            # Same float32 operations; vmap may only fuse them differently: a few ulps.
            np.testing.assert_allclose(
                np.asarray(one[name], dtype=float),
                batched[name][i].astype(float),
                rtol=1e-6,
                atol=0,
                err_msg=name,
            )


@pytest.mark.slow
def test_one_compilation_per_chunk_shape(monkeypatch):
    """The same model and shape compile once, whatever the values; a new shape compiles again."""
    traces = []
    original_solve, original_summarise = kernel.solve_batch, kernel.summarise_batch

    def counting_solve(model, values, dtype):
        traces.append(("paths", jnp.shape(values["f"])))
        return original_solve(model, values, dtype)

    def counting_summarise(model, params, solutions):
        traces.append(("outcomes", jnp.shape(params.f)))
        return original_summarise(model, params, solutions)

    monkeypatch.setattr(kernel, "solve_batch", counting_solve)
    monkeypatch.setattr(kernel, "summarise_batch", counting_summarise)
    # A model no other test uses, so batched_outcomes' cache builds a fresh jitted function;
    # a small kernel, to compile fast.
    model = GeneralLaw(
        returns="constant",
        steps=16,
        max_doublings=50.0,
        windows_years=(),
        progress_levels_years=(1.0,),
        accelerate_factor=2.5,
    )
    fn = batched_outcomes(model, jnp.float32)
    assert batched_outcomes(model, jnp.float32) is fn  # cached per model and dtype

    def values(n, f):
        v = {name: np.full(n, spec.default) for name, spec in PARAMETERS.items()}
        v["f"] = np.full(n, f)
        return v

    first = fn(values(8, 4.0))
    second = fn(values(8, 16.0))
    assert len(traces) == 2  # the paths program and the outcomes program, traced once each
    assert not np.allclose(first["peak_speedup"], second["peak_speedup"])  # values did change
    fn(values(5, 4.0))
    assert len(traces) == 4
    fn(values(5, 9.0))
    fn(values(8, 9.0))
    assert len(traces) == 4


def _relative(a, b, floor):
    return np.abs(a - b) / np.maximum(np.abs(a), floor)


@pytest.mark.slow
@pytest.mark.parametrize("settings", [S_CONST, S_LIN], ids=["constant", "linear_to_ceiling"])
def test_float32_agrees_with_float64(settings):
    """256 general draws; every outcome within 3e-4 relative, every flag the same."""
    values = general_draws(CHUNK, seed=11)
    o32 = run(settings, jnp.float32, **values)
    jax.config.update("jax_enable_x64", True)
    o64 = run(settings, jnp.float64, **values)
    for name in o64:  # every outcome, the optional event included
        a, b = o64[name].astype(float), o32[name].astype(float)
        if name in BOOLEANS:
            continue
        np.testing.assert_array_equal(np.isfinite(a), np.isfinite(b), err_msg=name)
        both = np.isfinite(a)
        # float32 has eps 6e-8; RK4's running sum and the interpolation amplify it ~1000-fold
        # at worst (measured max 1.3e-4 relative over 4,000 draws, 1e-5 at the 99.9th
        # percentile; docs/MODEL.md); 3e-4 leaves a margin. Floors: durations are differences
        # of path times, so their error is relative to those times (0.01 years at least
        # here), not to the duration; progress is floored at 1e-3 years.
        floor = 1e-2 if name == "fastest_years_to_progress" else 1e-3
        assert np.all(_relative(a[both], b[both], floor) < 3e-4), name
    # Booleans agree except at near-ties of the quantity they threshold (none measured).
    v0 = values["f"] / 0.25
    near = np.abs(o64["peak_speedup"] * 4.0 / (settings.accelerate_factor * v0) - 1) < 1e-4
    assert np.all((o64["accelerated"] == o32["accelerated"]) | near)
    if settings.returns == "linear_to_ceiling":
        limit = (1 - settings.ceiling_tolerance) * values["ceiling_doublings"]
        near = np.abs(o64["progress_by_horizon_years"] * 8 / limit - 1) < 1e-4
        assert np.all((o64["reached_ceiling"] == o32["reached_ceiling"]) | near)
    assert not o64["non_finite"].any() and not o32["non_finite"].any()

"""The milestone ladder: closed forms against numerical integration, its outcomes, its config."""

from __future__ import annotations

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import quad, solve_ivp

from forecaster import ConfigError
from forecaster._config import plan_forecast
from forecaster._engine import run_forecast
from forecaster._outputs import write_outputs
from forecaster.models import MilestoneLadder, Path
from forecaster.models._paths import last_window_progress, max_progress_in_windows
from forecaster.models.milestone_ladder._ladder import (
    Ladder,
    ladder_path,
    milestone_years,
    phase_years,
)

AI2027 = Ladder(("SC", "SAR", "SIAR", "ASI"), (5.0, 25.0, 250.0, 2000.0))


def speedup(P: float, ladder: Ladder, gaps: np.ndarray) -> float:
    """v(P) written out directly: the phase holding P, exponential in progress through it."""
    start = 0.0
    for k, g in enumerate(gaps):
        if P <= start + g or k == len(gaps) - 1:
            s0, s1 = ladder.speedups[k], ladder.speedups[k + 1]
            frac = 0.0 if g == 0 else min(max((P - start) / g, 0.0), 1.0)
            return s0 * (s1 / s0) ** frac
        start += g
    raise AssertionError


@pytest.mark.parametrize(
    ("g", "s0", "s1"), [(3.0, 5.0, 25.0), (18.0, 25.0, 250.0), (2.0, 4.0, 4.0)]
)
def test_phase_years_is_the_integral_of_one_over_the_speedup(g, s0, s1, x64):
    exact, _ = quad(lambda u: 1.0 / (s0 * (s1 / s0) ** (u / g)), 0.0, g, epsabs=1e-13)
    assert float(phase_years(jnp.float64(g), s0, s1)) == pytest.approx(exact, rel=1e-12)


def test_path_matches_an_ode_solver_at_every_node(x64):
    gaps = np.array([3.2, 18.5, 96.9])
    x = jnp.linspace(0.0, 130.0, 261)
    path = ladder_path(AI2027, jnp.asarray(gaps), x)
    ends = np.cumsum(gaps)
    # dt/dP = 1 / v(P), integrated by an adaptive solver (an independent reference).
    solution = solve_ivp(
        lambda P, t: [1.0 / speedup(P, AI2027, gaps)],
        (0.0, ends[-1]),
        [0.0],
        dense_output=True,
        rtol=1e-11,
        atol=1e-13,
        max_step=0.25,
    )
    inside = np.asarray(x) <= ends[-1]
    reference = solution.sol(np.asarray(x)[inside])[0]
    np.testing.assert_allclose(np.asarray(path.t)[inside], reference, rtol=1e-8, atol=1e-10)
    assert np.all(np.isinf(np.asarray(path.t)[~inside]))  # nothing past the last milestone
    rates = [speedup(p, AI2027, gaps) for p in np.asarray(x)[inside]]
    np.testing.assert_allclose(np.asarray(path.rate)[inside], rates, rtol=1e-10)
    # The milestones lie on the path: t at the cumulative gaps.
    milestones = np.asarray(milestone_years(AI2027, jnp.asarray(gaps)))
    np.testing.assert_allclose(milestones, solution.sol(ends)[0], rtol=1e-8)


def test_zero_infinite_and_negative_gaps(x64):
    x = jnp.linspace(0.0, 40.0, 81)
    zero = np.asarray(milestone_years(AI2027, jnp.asarray([0.0, 2.0, 3.0])))
    assert zero[0] == 0.0 and zero[1] > 0.0  # SC to SAR at once, then on from 25x
    assert float(zero[1]) == pytest.approx(float(phase_years(jnp.float64(2.0), 25.0, 250.0)))
    infinite = ladder_path(AI2027, jnp.asarray([1.0, 2.0, jnp.inf]), x)
    assert not np.any(np.isnan(np.asarray(infinite.t)))  # a formula overflowing: never, not NaN
    assert np.all(np.isfinite(np.asarray(infinite.t)))  # the last phase lasts for ever at 250x
    years = np.asarray(milestone_years(AI2027, jnp.asarray([1.0, 2.0, jnp.inf])))
    assert np.isfinite(years[:2]).all() and np.isposinf(years[2])
    negative = ladder_path(AI2027, jnp.asarray([1.0, -2.0, 3.0]), x)
    assert np.all(np.isnan(np.asarray(negative.t)))  # counted as non-finite, never dropped


@pytest.mark.slow
def test_rising_ladder_best_window_is_the_last(x64):
    """The ladder's shortcut (the last window) equals the exact search over all windows."""
    rng = np.random.default_rng(3)
    windows = (1 / 3, 1.0, 2.5)
    x = jnp.arange(257.0)
    for _ in range(20):
        gaps = jnp.asarray(rng.lognormal(1.5, 1.2, size=3))
        path = ladder_path(AI2027, gaps, x)
        for horizon in (0.7, 5.0, 20.0):
            fast = last_window_progress(path, windows, horizon)
            exact = max_progress_in_windows(path, windows, 1.0, horizon)
            np.testing.assert_allclose(np.asarray(fast), np.asarray(exact), rtol=1e-9, atol=1e-9)


def test_phase_cap_and_overflow_change_milestone_times_only(x64):
    gaps = jnp.asarray([1.0, 5.0, 1e6])  # SIAR to ASI: 1e6 years at >= 250x, ~ thousands of years
    exact = np.asarray(milestone_years(AI2027, gaps))
    capped = np.asarray(milestone_years(Ladder(AI2027.names, AI2027.speedups, 1000.0), gaps))
    np.testing.assert_allclose(capped[:2], exact[:2])
    assert capped[2] == pytest.approx(exact[1] + 1000.0)
    sent = Ladder(AI2027.names, AI2027.speedups, None, (292.471, 7972.75))
    overflowed = np.asarray(milestone_years(sent, gaps))
    np.testing.assert_allclose(overflowed, [exact[0], exact[1], 7972.75])


@pytest.mark.slow
def test_outcomes_of_a_ladder_draw(x64, compose_forecast):
    plan = plan_forecast(compose_forecast("scenario=ai2027_takeoff"))
    model = plan.model
    assert isinstance(model, MilestoneLadder)
    gaps = jnp.asarray([2.0, 10.0, 50.0])
    values = dict(zip(model.ladder.gaps, gaps, strict=True))
    params = model.prepare({**values, "f": 5.0, "Ts": 1.0, "software_share": 1.0}, jnp.float64)
    x = jnp.arange(model.steps + 1, dtype=jnp.float64) * model.spacing
    path = ladder_path(model.ladder, gaps, x)
    solved = model.solve(params)  # the model's own path is the ladder's
    np.testing.assert_array_equal(np.asarray(solved.t), np.asarray(path.t))
    np.testing.assert_array_equal(np.asarray(solved.rate), np.asarray(path.rate))
    out = model.summarise(params, path)
    years = np.asarray(milestone_years(model.ladder, gaps))
    np.testing.assert_allclose(np.asarray(out["milestone_years"]), years)
    assert bool(out["reached_ceiling"]) == (years[-1] <= model.horizon_years)
    # Peak speed-up: the last milestone's 2000x once it is reached within the horizon.
    assert float(out["peak_speedup"]) == pytest.approx(2000.0, rel=1e-9)
    assert not bool(out["non_finite"])


@pytest.fixture(scope="module")
def takeoff_run(tmp_path_factory, compose_forecast):
    run_dir = tmp_path_factory.mktemp("takeoff")
    cfg = compose_forecast(
        "scenario=ai2027_takeoff", "timelines=ai2027", "n_draws=20000", "chunk_size=8192",
        "output.sample_size=20000",
    )  # fmt: skip
    plan = plan_forecast(cfg)
    result = run_forecast(plan, run_dir, progress_bar=False)
    write_outputs(result, run_dir)
    return plan, result, json.loads((run_dir / "summary.json").read_text())


@pytest.mark.slow
def test_summary_milestones(takeoff_run):
    plan, result, summary = takeoff_run
    milestones = summary["milestones"]
    assert list(milestones) == ["SAR", "SIAR", "ASI"]
    years = np.asarray(result.sample["out_milestone_years"], float)
    for k, entry in enumerate(milestones.values()):
        assert set(entry["years_after_start"]) == {
            "q05", "q10", "q25", "q50", "q75", "q90", "q95"
        }  # fmt: skip
        for y in ("0.25", "0.5", "1", "2", "5"):
            # Exact counts: the per-draw sample holds every draw of this run.
            assert entry["p_within_years"][y] == pytest.approx(np.mean(years[:, k] <= float(y)))
        # Quantiles from 1% bins of the histogram against the draws themselves.
        for key, q in (("q50", 0.5), ("q90", 0.9)):
            exact = np.quantile(years[:, k], q)
            assert entry["years_after_start"][key] == pytest.approx(exact, rel=0.02, abs=1e-4)
        assert "date" in entry  # a timelines stage is on: calendar dates
        start = np.asarray(result.sample["start_year"], float)
        assert entry["date"]["q50"] == pytest.approx(np.median(start + years[:, k]), abs=0.06)


@pytest.mark.slow
def test_takeoff_is_the_same_whatever_the_chunk_size(tmp_path, compose_forecast):
    totals = []
    for chunk in (4096, 12288):
        cfg = compose_forecast("scenario=ai2027_takeoff", "n_draws=12288", f"chunk_size={chunk}")
        result = run_forecast(plan_forecast(cfg), tmp_path / str(chunk), progress_bar=False)
        totals.append(result.totals)
    for key in totals[0]:
        np.testing.assert_array_equal(totals[0][key], totals[1][key], err_msg=key)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (["~scenario.params.gap_SIAR"], "scenario.params.gap_SIAR"),
        (["+scenario.params.f=3"], "scenario.params.f"),
        (["+scenario.params.r0=1"], "scenario.params.r0"),
        (["scenario.milestones=[{name: SC, speedup: 5}]"], "scenario.milestones"),
        (
            ["scenario.milestones=[{name: SC, speedup: 5}, {name: SC, speedup: 9}]"],
            "scenario.milestones[1].name",
        ),
        (["scenario.milestones.1.speedup=-2"], "scenario.milestones[1].speedup"),
        (["scenario.phase_cap_years=0"], "scenario.phase_cap_years"),
        (["scenario.phase_overflow_years=100"], "scenario.phase_overflow_years"),
    ],
)
def test_bad_ladder_settings_name_the_field(overrides, field, compose_forecast):
    with pytest.raises(ConfigError) as err:
        plan_forecast(compose_forecast("scenario=ai2027_takeoff", *overrides))
    assert err.value.field == field


def test_milestones_off_a_ladder_are_refused(compose_forecast):
    from hydra.errors import ConfigCompositionException

    # The general law's scenario schema has no milestones: Hydra refuses the override...
    with pytest.raises(ConfigCompositionException):
        compose_forecast("scenario=decaying", "scenario.milestones=[{name: A, speedup: 1}]")
    # ...and the plan refuses them when added anyway, naming the field.
    cfg = compose_forecast("scenario=decaying", "+scenario.milestones=[{name: A, speedup: 1}]")
    with pytest.raises(ConfigError) as err:
        plan_forecast(cfg)
    assert err.value.field == "scenario.milestones"


def test_ladder_path_vmaps_and_jits():
    gaps = jnp.asarray(np.random.default_rng(0).lognormal(1.0, 1.0, size=(64, 3)), jnp.float32)
    x = jnp.arange(33.0, dtype=jnp.float32)
    paths = jax.jit(jax.vmap(lambda g: ladder_path(AI2027, g, x)))(gaps)
    assert isinstance(paths, Path) and paths.t.shape == (64, 33)
    assert math.isclose(float(paths.t[0, 0]), 0.0)


@pytest.mark.slow
def test_notebook_api_gives_the_milestones():
    import forecaster

    fc = forecaster.forecast("ai2027_takeoff", n_draws=8192, seed=2, progress=False)
    table = fc.milestones
    assert list(table.milestone) == ["SAR", "SIAR", "ASI"]
    assert list(table.phase) == ["SC_to_SAR", "SAR_to_SIAR", "SIAR_to_ASI"]
    years = fc.draws[["milestone_years_SAR", "milestone_years_SIAR", "milestone_years_ASI"]]
    assert np.all(np.diff(years.to_numpy(), axis=1) >= 0)  # milestones in order, every draw
    assert table.p_within_1.iloc[0] == pytest.approx(np.mean(years.milestone_years_SAR <= 1))
    assert table.date_q50.iloc[0] == pytest.approx(2027.2438 + table.q50.iloc[0], abs=0.06)


def test_the_api_refuses_a_ladder_without_milestones():
    import forecaster

    with pytest.raises(ConfigError) as err:
        forecaster.simulate(integrator="ladder")
    assert err.value.field == "integrator" and "milestones" in err.value.allowed

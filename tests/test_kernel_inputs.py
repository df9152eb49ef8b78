"""The seed and the priors' values are inputs of the compiled kernel, not constants of it: a
changed prior or seed runs the program compiled before (no recompile: the explorer, a sweep),
with exactly the numbers of a program compiled for it alone."""

from __future__ import annotations

import numpy as np
import pytest

from forecaster import _engine
from forecaster._config import plan_forecast


@pytest.fixture
def counted_compiles(monkeypatch):
    """The engine's kept programs emptied, and a list that grows with each compile."""
    monkeypatch.setattr(_engine, "_PROGRAMS", type(_engine._PROGRAMS)())
    compiles: list[str] = []
    compile_ = _engine._compile

    def counting(plan, *args):
        compiles.append(plan.scenario)
        return compile_(plan, *args)

    monkeypatch.setattr(_engine, "_compile", counting)
    return compiles


def _run(compose_forecast, run_dir, *overrides):
    plan = plan_forecast(compose_forecast(*overrides, "output.sample_size=50"))
    return _engine.run_forecast(plan, run_dir, progress_bar=False)


def _assert_same(a, b):
    assert a.totals.keys() == b.totals.keys()
    for key in a.totals:
        np.testing.assert_array_equal(a.totals[key], b.totals[key], err_msg=key)
    for key in a.sample:
        np.testing.assert_array_equal(a.sample[key], b.sample[key], err_msg=key)


def _check_changes(compose_forecast, tmp_path, compiles, base, changes):
    """Each change after ``base`` runs without compiling, and gives what a fresh compile of it
    gives."""
    _run(compose_forecast, tmp_path / "base", *base)
    assert len(compiles) == 1
    warm = [
        _run(compose_forecast, tmp_path / f"warm{i}", *base, *change)
        for i, change in enumerate(changes)
    ]
    assert len(compiles) == 1, "a changed prior value or seed compiled the kernel again"
    for i, change in enumerate(changes):
        _engine._PROGRAMS.clear()
        fresh = _run(compose_forecast, tmp_path / f"fresh{i}", *base, *change)
        _assert_same(warm[i], fresh)
    assert len(compiles) == 1 + len(changes)


def test_a_changed_prior_or_seed_reuses_the_compiled_kernel(
    tmp_path, compose_forecast, counted_compiles
):
    base = ("scenario=davidson_houlden_2025", "n_draws=3000")
    changes = [
        ("scenario.params.f.high=48", "seed=7"),
        ("scenario.params.ceiling_years.low=7",),  # a uniform's bound (within the grid)
    ]
    _check_changes(compose_forecast, tmp_path, counted_compiles, base, changes)


@pytest.mark.slow
def test_correlations_point_masses_fixed_values_and_stages_are_inputs_too(
    tmp_path, compose_forecast, counted_compiles
):
    base = ("scenario=ai2027_takeoff", "timelines=ai2027", "n_draws=3000")
    changes = [
        ("scenario.correlations.0.rank=0.3",),  # the copula
        ("scenario.params.gap_SAR.p_mass=0.4",),  # a point mass's probability
        ("timelines.params.current_horizon_hours=0.5",),  # a fixed value of the stage
        ("timelines.params.doubling_time_months.high=12",),  # the stage's prior
    ]
    _check_changes(compose_forecast, tmp_path, counted_compiles, base, changes)


def test_a_changed_structure_compiles_anew(tmp_path, compose_forecast, counted_compiles):
    base = ("scenario=davidson_houlden_2025", "n_draws=1000")
    _run(compose_forecast, tmp_path / "a", *base)
    _run(compose_forecast, tmp_path / "b", *base, "scenario.params.f=8")  # drawn -> fixed
    assert len(counted_compiles) == 2


def test_the_order_of_the_priors_is_part_of_the_structure(compose_forecast):
    """The order of the drawn priors assigns the copula's columns: two sets that differ only
    in it compile apart (a program of one would draw the other's columns in its order)."""
    from forecaster._priors import build_prior_set

    plan = plan_forecast(compose_forecast("scenario=decaying", "n_draws=1000"))
    table = plan.model.parameters()
    a = {"dist": "uniform", "low": 1, "high": 2}
    b = {"dist": "log_uniform", "low": 3, "high": 30}
    params = {"software_share": {"dist": "derived", "expr": "a / (a + b)"}}
    first = build_prior_set(params, table=table, latent={"a": a, "b": b})
    second = build_prior_set(params, table=table, latent={"b": b, "a": a})
    assert [p.name for p in first.uncertain] != [p.name for p in second.uncertain]
    assert first.structure() != second.structure()


def test_a_choice_draws_the_same_bound_or_not():
    """A discrete choice's quantile: the kernel's (its numbers an input) and the one any other
    caller jit-compiles with the numbers as constants."""
    import jax
    import jax.numpy as jnp

    from forecaster._priors import KINDS, Prior, icdf
    from forecaster._priors._sampling import QUANTILES

    args = {"values": [1.0, 2.5, 7.0], "p": [0.2, 0.3, 0.5]}
    prior = Prior("x", "choice", args, KINDS["choice"].build(args, "x"))
    u = jnp.linspace(0.01, 0.99, 99, dtype=jnp.float32)
    constant = jax.jit(lambda u: icdf(prior, u))(u)
    numbers = QUANTILES["choice"][0](prior, jnp.float32)
    bound = jax.jit(lambda u, numbers: icdf(prior, u, numbers))(u, numbers)
    np.testing.assert_array_equal(constant, bound)
    np.testing.assert_array_equal(constant, prior.distribution.icdf(u))

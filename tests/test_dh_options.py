"""Davidson & Houlden's model options in the stepper, path by path, against a plain-Python
loop written as their Monte Carlo code reads (multiple_sims.dynamic_system_with_lambda, in
years), and the trajectory columns (r, f, growth rate) against the stepper's nodes."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import forecaster
from forecaster import ConfigError

OPTIONS = ("constant_r", "retraining_cost", "gradual_boost")
COMBINATIONS = [
    dict(zip(OPTIONS, flags, strict=True)) for flags in itertools.product((0, 1), repeat=3)
]


def their_loop(f, r0, D, p, constant_r, retraining_cost, gradual_boost, mode="monte_carlo",
               Ts=0.25, stop_after=4.0):  # fmt: skip
    """Node times [years] of one path, written from their code (plain floats)."""
    f0, f_max = (0.1, f) if gradual_boost else (f, f)
    if mode == "monte_carlo":
        dt = Ts / (1 + f0) if gradual_boost else Ts / f
    else:
        dt = Ts / (1 + f0)
    k = 0.0 if constant_r else r0 / D
    r, fv, t, n, times = r0, f0, 0.0, 0, [0.0]
    while t < stop_after and n < D and r > 0:
        f_old = fv
        t += dt
        n += 1
        fv = f0 * math.exp(t * math.log(f_max / f0) / 5) if t < 5 else f_max
        r -= k
        times.append(t)
        if r > 0:
            x = p * (1 / r - 1)
            if retraining_cost:
                x = x / abs(x + 1) if mode == "monte_carlo" else x / (abs(x) + 1)
            dt *= 2**x / ((1 + fv) / (1 + f_old))
    return times


DRAWS = [
    (8.0, 2.0, 80.3, 0.3),
    (3.0, 0.7, 52.0, 0.5),
    (25.0, 3.2, 120.6, 0.17),
    (2.5, 1.1, 60, 0.6),
]


def _name(options: dict) -> str:
    return "+".join(k for k in options if options[k]) or "base"


#: The fast loop (-m "not slow") follows their loop with no option and with all three.
LOOP_CASES = [
    pytest.param(o, id=_name(o), marks=() if len(set(o.values())) == 1 else pytest.mark.slow)
    for o in COMBINATIONS
]


@pytest.mark.parametrize("options", LOOP_CASES)
@pytest.mark.parametrize("mode", ["monte_carlo", "single_simulation"])
def test_the_stepper_follows_their_loop(options, mode):
    for f, r0, D, p in DRAWS:
        expected = their_loop(f, r0, D, p, **options, mode=mode)
        path = forecaster.simulate(
            integrator="doublings", f=f, r0=r0, ceiling_doublings=D, p=p, Ts=0.25,
            stop_after_years=4.0, horizon_years=1e4, dh_mode=mode, precision="float64",
            **{k: bool(v) for k, v in options.items()},
        )  # fmt: skip
        got = path.t_years.to_numpy()
        assert len(got) == len(expected), (f, r0, D, p)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "options", COMBINATIONS, ids=lambda o: "+".join(k for k in o if o[k]) or "base"
)
def test_trajectory_columns_are_the_steppers(options):
    f, r0, D, p = DRAWS[0]
    path = forecaster.simulate(
        integrator="doublings", f=f, r0=r0, ceiling_doublings=D, p=p, horizon_years=1e4,
        precision="float64", **{k: bool(v) for k, v in options.items()},
    )  # fmt: skip
    t, n = path.t_years.to_numpy(), path.doublings.to_numpy()
    # Growth rate: ln 2 over the time of the doubling that starts at the node.
    np.testing.assert_allclose(
        path.growth_rate.to_numpy()[:-1], math.log(2) / np.diff(t), rtol=1e-9
    )
    expected_r = np.full_like(n, r0) if options["constant_r"] else r0 - n * r0 / D
    np.testing.assert_allclose(path.r.to_numpy(), expected_r, rtol=1e-12)
    if options["gradual_boost"]:
        rise = np.where(t < 5, 0.1 * np.exp(t * math.log(f / 0.1) / 5), f)
        np.testing.assert_allclose(path.f.to_numpy(), rise, rtol=1e-12)
    else:
        assert (path.f == f).all()


def test_options_off_their_stepper_are_refused():
    with pytest.raises(ConfigError, match="integrator=doublings"):
        forecaster.simulate(retraining_cost=True)
    with pytest.raises(ConfigError, match="constant_r"):
        forecaster.simulate(integrator="doublings", returns="constant", constant_r=True)


def test_constant_r_keeps_the_ceiling_where_constant_returns_drop_it():
    kept = forecaster.simulate(
        integrator="doublings", f=8, r0=1.5, ceiling_doublings=40, p=0.3, constant_r=True,
        horizon_years=1e4,
    )  # fmt: skip
    assert kept.doublings.max() == 40
    dropped = forecaster.simulate(
        integrator="doublings", f=8, r0=1.5, ceiling_doublings=40, p=0.3, returns="constant",
        horizon_years=1e4, max_doublings=100,
    )  # fmt: skip
    assert dropped.doublings.max() == 100


def test_constant_r_in_the_general_law_is_constant_returns_up_to_the_ceiling():
    common = {"f": 8.0, "r0": 1.5, "p": 0.3, "ceiling_doublings": 40.0, "precision": "float64"}
    capped = forecaster.simulate(constant_r=True, max_doublings=64, steps=256, **common)
    free = forecaster.simulate(returns="constant", max_doublings=64, steps=256, **common)
    inside = free[free.doublings < 40.0 - 64 / 256]  # nodes whose step ends before D
    assert capped.doublings.max() < 40.0 <= capped.doublings.max() + 64 / 256
    np.testing.assert_allclose(capped.t_years[: len(inside)], inside.t_years, rtol=1e-12)
    assert (capped.r == 1.5).all()

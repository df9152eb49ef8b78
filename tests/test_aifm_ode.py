"""The AI Futures Model's adaptive integrator (``forecaster/models/aifm/_ode.py``) against
closed forms: a smooth solution, a solution with a kink at a knot, and a runaway (a sigmoid
rising by 100 within a thousandth of a year) with and without the error along the flow
measured as a time shift."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from forecaster._settings import precision_scope
from forecaster.models.aifm._ode import dopri5_on_grid, dopri5_pool


@pytest.fixture
def f64():
    with precision_scope("float64") as dtype:
        yield dtype


def _grid(dtype, end: float = 1.0) -> jnp.ndarray:
    return jnp.asarray(np.linspace(0.0, end, int(round(end / 0.1)) + 1), dtype)


def test_exponential_on_the_grid(f64):
    times = _grid(f64, 3.0)
    knots = jnp.asarray([1.0, 2.0, 3.0], f64)
    out, done, _ = dopri5_on_grid(lambda t, y: y, jnp.ones(1, f64), times, knots, 1e-10, 0.01, 1000)
    exact = np.exp(np.asarray(times))
    assert bool(done)
    np.testing.assert_allclose(np.asarray(out[:, 0]), exact, rtol=2e-9)


def test_a_kink_at_a_knot_is_never_stepped_over(f64):
    """y' = |t - 0.35|: y = (t - 0.35)|t - 0.35| / 2 + 0.35^2 / 2. With the kink a knot, the
    steps on each side are polynomials DP5 integrates exactly; across it they are not."""
    times = _grid(f64)

    def rhs(t, y):
        return jnp.abs(t - 0.35) * jnp.ones_like(y)

    exact = (np.asarray(times) - 0.35) * np.abs(np.asarray(times) - 0.35) / 2 + 0.35**2 / 2
    y0 = jnp.asarray(exact[:1], f64)
    knots = jnp.asarray([0.35], f64)
    out, *_ = dopri5_on_grid(rhs, y0, times, knots, 1e-6, 0.5, 1000)
    np.testing.assert_allclose(np.asarray(out[:, 0]), exact, rtol=0, atol=1e-14)


# P' = r e^P / (1 + e^(P - M)): e^P runs away towards t* = 1/r (about 0.952) and levels off
# at the rate r e^M (1e13 a year), never stiff. t(P) = (1 - e^-P + P e^-M) / r from P(0) = 0.
R, M = 1.05, 30.0


def _runaway(t, y):
    return R * jnp.exp(y - jnp.logaddexp(0.0, y - M))


def _time_of(p: np.ndarray) -> np.ndarray:
    return (-np.expm1(-p) + p * np.exp(-M)) / R


@pytest.mark.parametrize("time_tolerance", [None, 1e-9])
def test_a_runaway_reaches_each_level_at_its_time(f64, time_tolerance):
    """The grid's values are where the exact solution is at the grid times (within 1e-8
    years; with a time tolerance, the shifts of the steps through the runaway add up: within
    50 of them), through a runaway that gains 30 e-folds within a month of 0.952 and then
    1e12 in each 0.1-year interval."""
    times = _grid(f64, 2.0)
    out, done, _ = dopri5_on_grid(_runaway, jnp.zeros(1, f64), times, times[-1:], 1e-10, 0.01,
                                  20_000, time_tolerance)  # fmt: skip
    assert bool(done)
    p = np.asarray(out[:, 0])
    assert p[-1] > 1e12 and p[9] < 5 and p[10] > 1e11  # the runaway between 0.9 and 1.0
    within = 1e-8 if time_tolerance is None else 50 * time_tolerance
    np.testing.assert_allclose(_time_of(p), np.asarray(times), rtol=0, atol=within)


def test_the_time_tolerance_takes_fewer_steps_through_a_runaway(f64):
    """Through the runaway, the error along the flow (a shift by a fraction of a second)
    no longer sets the steps."""
    times = _grid(f64, 2.0)

    def steps(time_tolerance) -> int:
        return int(dopri5_on_grid(_runaway, jnp.zeros(1, f64), times, times[-1:], 1e-10, 0.01,
                                  20_000, time_tolerance)[2])  # fmt: skip

    plain, shifted = steps(None), steps(1e-9)
    assert shifted < 0.5 * plain, (shifted, plain)


def test_the_pool_gives_each_draw_what_integrating_it_alone_gives(f64):
    """``dopri5_pool`` with fewer lanes than draws (a lane takes the next draw when its own
    is done, at most two a step here): each draw's grid values, finish flag and step count
    are those of integrating it alone, for draws of very different work (runaways at
    different times, some beyond the grid) and one that runs out of steps."""
    times = _grid(f64, 2.0)
    speeds = jnp.asarray(np.linspace(0.3, 1.6, 11), f64)  # the runaway at 1/speed

    def rhs(speed, t, y):
        return speed * jnp.exp(y - jnp.logaddexp(0.0, y - M))

    def alone(speed, max_steps):
        return dopri5_on_grid(lambda t, y: rhs(speed, t, y), jnp.zeros(1, f64), times,
                              times[-1:], 1e-10, 0.01, max_steps, 1e-9)  # fmt: skip

    counts = np.asarray(jax.vmap(lambda s: alone(s, 20_000)[2])(speeds))
    limit = int(np.sort(counts)[-2]) - 1  # the two slowest draws run out of steps
    out, done, steps = jax.vmap(lambda s: alone(s, limit))(speeds)
    pooled = dopri5_pool(rhs, speeds, jnp.zeros((11, 1), f64), times, times[-1:], 1e-10, 0.01,
                         limit, 1e-9, lanes=3, refills=2)  # fmt: skip
    assert counts.max() > 2 * counts.min()
    np.testing.assert_array_equal(np.asarray(pooled[1]), np.asarray(done))
    assert (~np.asarray(done)).sum() == 2
    np.testing.assert_array_equal(np.asarray(pooled[2]), np.asarray(steps))
    np.testing.assert_allclose(np.asarray(pooled[0]), np.asarray(out), rtol=1e-13, atol=0)

"""The AI Futures Model's coding-labour tables: the running log-sum-exp that accumulates
their trapezoid sums under the logistic schedule (``_coding.cumulative_logsumexp``)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from forecaster.models.aifm import _coding as coding


@pytest.mark.parametrize("c", [-3.0, -1e-3, 0.0, 2e-3, 0.4, 5.0])
def test_the_running_log_sum_exp_of_a_geometric_sequence_is_its_closed_form(x64, c):
    """x_k = k c: ln sum_{j <= k} e^(j c) = ln((e^((k + 1) c) - 1) / (e^c - 1)) (k + 1 at
    c = 0), across blocks, a length no block width divides, and sums spanning e^20,000."""
    n = 4095
    k = np.arange(n, dtype=np.float64)
    got = np.asarray(coding.cumulative_logsumexp(jnp.asarray(k * c)))
    if c == 0.0:
        expected = np.log(k + 1.0)
    elif c > 0:  # ln(e^((k+1)c) - 1) - ln(e^c - 1), stable
        expected = (k + 1) * c + np.log(-np.expm1(-(k + 1) * c)) - c - np.log(-np.expm1(-c))
    else:
        expected = np.log(-np.expm1((k + 1) * c)) - np.log(-np.expm1(c))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_it_is_jax_cumlogsumexp_on_monotone_sequences(x64):
    rng = np.random.default_rng(3)
    for scale in (1e-3, 1.0, 30.0):
        for sign in (1.0, -1.0):
            x = jnp.asarray(sign * np.sort(rng.normal(size=(8, 1000)) * scale, axis=1))
            got = jax.vmap(coding.cumulative_logsumexp)(x)
            np.testing.assert_allclose(got, jax.lax.cumlogsumexp(x, axis=1), rtol=1e-13)


def test_minus_infinity_adds_nothing(x64):
    x = jnp.asarray([-jnp.inf, -jnp.inf, 0.0, 1.0, 2.0])
    got = np.asarray(coding.cumulative_logsumexp(x, width=2))
    assert got[0] == got[1] == -np.inf
    np.testing.assert_allclose(got[2:], np.log(np.cumsum(np.exp([0.0, 1.0, 2.0]))), atol=1e-15)


@pytest.mark.parametrize("asymptote", [1.05, 1.5])
def test_the_logistic_schedule_passes_through_its_anchors(x64, asymptote):
    p1, a1, p2, a2 = 3.0, 0.07, 9.5, 1.0 - 1e-9
    at = [float(coding.automation_fraction(jnp.asarray(p), jnp.asarray(p1), jnp.asarray(a1),
                                           jnp.asarray(p2), a2, jnp.asarray(asymptote)))
          for p in (p1, p2, -50.0, 60.0)]  # fmt: skip
    np.testing.assert_allclose(at[:2], [a1, a2], rtol=1e-12)
    assert at[2] == pytest.approx(0.0, abs=1e-12) and at[3] == 1.0  # clipped to 1 above


def test_the_logistic_frontier_is_their_precompute(x64):
    """The tables against the same steps in NumPy (np.logaddexp.accumulate for the running
    trapezoid sums): thresholds from the inverse logistic at each task (index clipped to
    [1e-9, L - 1e-9]) made monotone, ln B, and ln F made monotone."""
    p1, a1, p2, a2, asymptote, rho, theta, tail = 3.0, 0.07, 9.5, 1.0 - 1e-9, 1.05, -2.0, 0.4, 1e-9
    f = coding.logistic_frontier(*(jnp.asarray(v) for v in (p1, a1, p2, a2, asymptote, rho,
                                                            theta, tail)))  # fmt: skip
    r1, r2 = asymptote / a1 - 1.0, asymptote / a2 - 1.0
    k = np.log(r1 / r2) / (p2 - p1)
    x0 = p1 + np.log(r1) / k
    top = 1.0 - tail
    i = np.linspace(0.0, top, coding.GRID)
    index = np.clip(i, 1e-9, asymptote - 1e-9)
    log_e = np.maximum.accumulate(x0 - np.log(asymptote / index - 1.0) / k) * np.log(10.0)
    log_w = -rho / (1.0 - rho) * theta * log_e
    increments = np.log(i[1] - i[0]) + np.log(0.5) + np.logaddexp(log_w[:-1], log_w[1:])
    log_b = np.concatenate([[-np.inf], np.logaddexp.accumulate(increments)])
    log_f = log_b + theta / (1.0 - rho) * log_e - np.log(1.0 - i + 1e-18)
    log_f = np.maximum.accumulate(log_f)
    np.testing.assert_allclose(np.asarray(f.log_e), log_e, rtol=1e-13)
    np.testing.assert_allclose(np.asarray(f.log_b)[1:], log_b[1:], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(f.log_f)[1:], log_f[1:], rtol=1e-12, atol=1e-12)

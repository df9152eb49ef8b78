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

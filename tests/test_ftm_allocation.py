"""The FTM's task allocation in closed form against their ``solve_allocation`` as written.

``_their_allocation`` is their loop over critical indices (``ftm/core/model.py`` of
github.com/epoch-research/ftm, MIT license) in plain NumPy, with its three cases and its
rounding fix. forecaster's :func:`~forecaster.models.epoch_ftm._tasks.allocate` tries every
critical index at once, uses closed forms for the prefix sums and returns each task's input
in logs and the automated count; the no-automation output has its own closed form. Both
must give their numbers: the inputs to 1e-12 relative, the count exactly, over random
draws that reach every case (found, found with negative compute, none found, none found with
every task automatable: the rounding fix).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from forecaster._settings import precision_scope
from forecaster.models.epoch_ftm import _tasks as tk

N = tk.N_TASKS + 1


def _their_allocation(L, C, beta, rho, eta, AT):  # noqa: N803
    """Their solve_allocation, line for line (returns labour, compute and the case)."""
    sigma = 1.0 / (1.0 - rho)
    n = len(beta)
    sums_b = np.zeros(n + 1)
    sums_b[:-1] = np.cumsum(beta[::-1] ** sigma)[::-1]
    sums_be = np.zeros(n + 1)
    sums_be[1:] = np.cumsum(beta**sigma * eta ** (sigma - 1))
    case = "none"
    for i in range(AT):
        lab, comp = np.zeros(n), np.zeros(n)
        a = eta[i] ** sigma * sums_b[i]
        b = sums_be[i]
        comp[i] = (C * a - L * b) / (a + eta[i] * b)
        lab[i] = (L + eta[i] * comp[i]) * (beta[i] ** sigma / sums_b[i]) - eta[i] * comp[i]
        if lab[i] >= 0:
            case = "found"
            lab[i + 1 :] = (L + eta[i] * comp[i]) * (beta[i + 1 :] ** sigma / sums_b[i])
            comp[:i] = (C + lab[i] / eta[i]) * beta[:i] ** sigma * eta[:i] ** (sigma - 1)
            comp[:i] /= sums_be[i + 1]
            if i > 0 and comp[i] < 0:
                case = "negative"
                comp[i:] = 0
                comp[:i] = C * beta[:i] ** sigma * eta[:i] ** (sigma - 1) / sums_be[i]
                lab[:i] = 0
                lab[i:] = L * (beta[i:] ** sigma / sums_b[i])
            break
    else:
        i = AT - 1
        lab, comp = np.zeros(n), np.zeros(n)
        comp[: i + 1] = C * beta[: i + 1] ** sigma * eta[: i + 1] ** (sigma - 1) / sums_be[i + 1]
        lab[i] = 0
        lab[i + 1 :] = L * (beta[i + 1 :] ** sigma / sums_b[i + 1])
    if np.all(lab == 0):
        lab[-1] = L
        case += "+fix"
    return lab, comp, case


def _draw(rng: np.random.Generator) -> tuple:
    rho = -rng.uniform(0.05, 3.0)
    beta1 = rng.uniform(0.001, 0.02)
    beta = np.full(N, beta1)
    beta[0] = rng.uniform(0.01, 0.9)
    # eta decreasing from 1 (the compute task) over many orders of magnitude
    eta = np.concatenate([[1.0], np.sort(10 ** -rng.uniform(0, 30, N - 1))[::-1]])
    labour, compute = 10 ** rng.uniform(6, 10), 10 ** rng.uniform(15, 45)
    automatable = int(rng.choice([1, N, rng.integers(1, N + 1)]))
    if rng.uniform() < 0.2:  # full automation: labour lost in compute's rounding (the fix)
        eta[1:] = 10 ** -rng.uniform(0, 2)
        labour, compute, automatable = 10 ** rng.uniform(0, 3), 10 ** rng.uniform(30, 45), N
    return labour, compute, beta, rho, eta, automatable


def test_allocation_is_their_solve_allocation():
    rng = np.random.default_rng(7)
    cases: dict[str, int] = {}
    with precision_scope("float64"):
        for _ in range(600):
            labour, compute, beta, rho, eta, at = _draw(rng)
            lab, comp, case = _their_allocation(labour, compute, beta, rho, eta, at)
            cases[case] = cases.get(case, 0) + 1
            sigma = 1.0 / (1.0 - rho)
            r = tk.ratios(jnp.log(jnp.asarray(eta)), jnp.asarray(sigma))
            got = tk.allocate(jnp.asarray(labour), jnp.asarray(compute),
                              jnp.asarray(beta[0] ** sigma), jnp.asarray(beta[1] ** sigma),
                              jnp.asarray(sigma), r, jnp.asarray(at))  # fmt: skip
            work = lab + eta * comp
            np.testing.assert_allclose(np.exp(np.asarray(got.log_input)), work, rtol=1e-11)
            assert int(got.automated) == int(np.sum(eta * comp > 10 * lab)), case
            plain = tk.without_automation(jnp.asarray(labour), jnp.asarray(compute),
                                          jnp.asarray(beta), jnp.asarray(beta[0] ** sigma),
                                          jnp.asarray(beta[1] ** sigma), jnp.asarray(eta[0]),
                                          jnp.asarray(rho))  # fmt: skip
            lab1, comp1, _ = _their_allocation(labour, compute, beta, rho, eta, 1)
            inputs1 = lab1 + eta * comp1
            theirs = np.sum(beta * inputs1**rho / beta.sum()) ** (1 / rho)
            assert float(plain) == pytest.approx(theirs, rel=1e-12)
    # every case of their code was reached
    assert {"found", "negative", "none", "found+fix"} <= set(cases), cases

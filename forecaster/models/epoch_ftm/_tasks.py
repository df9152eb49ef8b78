"""The FTM's tasks: each one's training and runtime FLOP requirements, and the closed-form
optimal allocation of labour and compute across tasks (their ``solve_allocation``).

Everything here is one draw's arithmetic in float64, elementwise as their NumPy code does it
(the same operations in the same order, so a threshold crossed in their code is crossed
here at the same step); the allocation is vectorised over the critical index instead of
their loop with an early ``break``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
from jaxtyping import Array, Bool, Float, Int

SECONDS_PER_YEAR = 60 * 60 * 24 * 365
N_TASKS = 100  # their n_labour_tasks; task 0 (compute only) comes on top
#: Their ``quantiles_from_gap``: (quantile, OOMs of ``gap ** (1/7)`` below the top), in
#: ascending order of requirement.
_GAP_QUANTILES = ((0.0, 10.5), (0.05, 9.5), (0.1, 8.5), (0.2, 7.0), (0.5, 4.0), (1.0, 0.0))

Tasks = Float[Array, " tasks"]  # tasks = N_TASKS + 1: the compute task 0, then labour tasks


def requirements(
    top: Float[Array, ""], gap: Float[Array, ""], steepness: Float[Array, ""]
) -> Tasks:
    """Requirements [FLOP] of the compute task (1.0) and the N labour tasks, from the
    requirement of the hardest (``top``) and the FLOP ``gap`` to the 20% task: their
    ``quantiles_from_gap``, ``process_quantiles`` (log-linear interpolation at
    ``linspace(0, 1, N)``), ``add_steepness`` (steps ``steepness`` OOMs apart; 0: none) and
    the leading 1.0."""
    unit = gap ** (1 / 7)
    keys = jnp.asarray([q for q, _ in _GAP_QUANTILES], top.dtype)
    values = jnp.stack([top / unit**k if k else top for _, k in _GAP_QUANTILES])
    grid = jnp.linspace(0.0, 1.0, N_TASKS, dtype=top.dtype)
    tasks = 10 ** jnp.interp(grid, keys, jnp.log10(values))
    low = top / gap
    step = jnp.where(steepness == 0, 1.0, steepness)
    stepped = 10 ** (jnp.log10(low) + jnp.ceil((jnp.log10(tasks) - jnp.log10(low)) / step) * step)
    stepped = jnp.where(stepped > top, top, stepped)
    tasks = jnp.where(steepness == 0, tasks, stepped)
    return jnp.concatenate([jnp.ones((1,), top.dtype), tasks])


def increasing(tasks: Tasks) -> Bool[Array, ""]:
    """Their check: requirements never decrease along the tasks (else their code raises)."""
    return jnp.all(jnp.diff(tasks) >= 0.0)


def compute_to_labour(
    training: Tasks, runtime: Tasks, biggest_run: Float[Array, ""], tradeoff: Float[Array, ""]
) -> Tasks:
    """Each task's compute-to-labour ratio (1 / its runtime FLOP per year of a worker) with
    the largest training run so far: their ``compute_runtime_requirements`` (a bigger run
    than a task needs cuts its runtime by ``(training / run) ** tradeoff``; ``tradeoff``
    <= 0 or NaN: no trade-off), never below 1 FLOP."""
    on = tradeoff > 0  # NaN compares False: off, as their `<= 0 or isnan`
    scaled = runtime * (training / biggest_run) ** jnp.where(on, tradeoff, 1.0)
    return 1.0 / jnp.maximum(1.0, jnp.where(on, scaled, runtime))


def automatable(
    training: Tasks, biggest_run: Float[Array, ""], factor: Float[Array, ""]
) -> Int[Array, ""]:
    """Tasks (the compute task included) whose training requirement is below the run
    times ``factor`` (their max trade-off, 1 without one)."""
    return jnp.sum(training < biggest_run * factor)


class Allocation(NamedTuple):
    labour: Tasks
    compute: Tasks


def allocate(
    labour: Float[Array, ""],
    compute: Float[Array, ""],
    beta_sigma: Tasks,
    sigma: Float[Array, ""],
    eta: Tasks,
    eta_sigma: Tasks,
    eta_sigma_1: Tasks,
    automatable_tasks: Int[Array, ""],
) -> Allocation:
    """Their ``solve_allocation``: the labour and compute on each task maximising the inner
    CES, with compute allowed on the first ``automatable_tasks`` only (the compute task 0 is
    always among them). ``beta_sigma`` is the task weights ** sigma, ``eta_sigma`` and
    ``eta_sigma_1`` the ratios ** sigma and ** (sigma - 1), precomputed by the caller.

    Their loop tries each critical index I < ``automatable_tasks`` in turn and keeps the
    first whose labour on task I is >= 0; here every I is tried at once and the first kept,
    which is the same choice."""
    n = beta_sigma.shape[0]
    index = jnp.arange(n)
    w = beta_sigma * eta_sigma_1
    # sums_beta[I] = sum(beta[I:] ** sigma); sums_beta_eta[I] = sum(w[:I]); both [n + 1]
    sums_beta = jnp.concatenate([jnp.cumsum(beta_sigma[::-1])[::-1], jnp.zeros((1,), w.dtype)])
    sums_beta_eta = jnp.concatenate([jnp.zeros((1,), w.dtype), jnp.cumsum(w)])
    a = eta_sigma * sums_beta[:n]
    b = sums_beta_eta[:n]
    c_crit = (compute * a - labour * b) / (a + eta * b)  # their equation 20
    l_crit = (labour + eta * c_crit) * (beta_sigma / sums_beta[:n]) - eta * c_crit  # eq. 18
    kept = (l_crit >= 0) & (index < automatable_tasks)
    found = jnp.any(kept)
    first = jnp.argmax(kept)
    last = automatable_tasks - 1
    crit = jnp.where(found, first, last)
    c_i, l_i, eta_i = c_crit[crit], l_crit[crit], eta[crit]
    before, at, after = index < crit, index == crit, index > crit

    # Found, the usual case: equations 17 and 14.
    labour_found = jnp.where(
        after, (labour + eta_i * c_i) * (beta_sigma / sums_beta[crit]), jnp.where(at, l_i, 0.0)
    )
    compute_found = jnp.where(
        before,
        (compute + l_i / eta_i) * w / sums_beta_eta[crit + 1],
        jnp.where(at, c_i, 0.0),
    )
    # Found with negative compute on task I (I > 0): compute on the tasks before I only.
    negative = (crit > 0) & (c_i < 0)
    compute_negative = jnp.where(before, compute * w / sums_beta_eta[crit], 0.0)
    labour_negative = jnp.where(before, 0.0, labour * (beta_sigma / sums_beta[crit]))
    # None found: I is the last automatable task, no labour on it (equations 14, 15, 22).
    compute_none = jnp.where(before | at, compute * w / sums_beta_eta[crit + 1], 0.0)
    labour_none = jnp.where(after, labour * (beta_sigma / sums_beta[crit + 1]), 0.0)

    labour_out = jnp.where(found, jnp.where(negative, labour_negative, labour_found), labour_none)
    compute_out = jnp.where(
        found, jnp.where(negative, compute_negative, compute_found), compute_none
    )
    # Their fix of a rounding error: no labour anywhere puts it all on the last task.
    none = jnp.all(labour_out == 0)
    labour_out = jnp.where(none & (index == n - 1), labour, labour_out)
    return Allocation(labour_out, compute_out)


def ces(
    inputs: Float[Array, " k"], weights: Float[Array, " k"], rho: Float[Array, ""]
) -> Float[Array, ""]:
    """Their ``ces_production_function`` (tfp 1): ``sum(w * x ** rho / sum(w)) ** (1/rho)``."""
    return jnp.sum(weights * inputs**rho / jnp.sum(weights)) ** (1.0 / rho)


def odds_to_probs(odds: Float[Array, ""]) -> tuple[Float[Array, ""], Float[Array, ""]]:
    """Their ``odds_to_probs``: (p, 1 - p) with p / (1 - p) = ``odds``, by their three
    branches."""
    small, large = odds < 1e-10, odds > 1e10
    p = jnp.where(small, odds, jnp.where(large, 1 - 1 / odds, 1 / (1 + 1 / odds)))
    p_not = jnp.where(large, 1 / odds, 1.0 - p)
    return p, p_not


class Weights(NamedTuple):
    """One sector's CES weights, calibrated at the start (their ``adjust_task_weights``)."""

    outer: Float[Array, " 2"]  # capital (or experiments), cognitive
    inner: Tasks  # the compute task, then the labour tasks


def calibrate(
    capital: Float[Array, ""],
    labour: Float[Array, ""],
    compute: Float[Array, ""],
    eta: Tasks,
    outer_rho: Float[Array, ""],
    inner_rho: Float[Array, ""],
    capital_to_cognitive: Float[Array, ""],
    compute_to_labour: Float[Array, ""],
) -> Weights:
    """Their ``adjust_task_weights`` with the inputs before any automation (labour spread
    evenly over the labour tasks, all compute on task 0): the weights that give the
    starting economy's capital-to-cognitive and compute-to-labour share ratios."""
    n = eta.shape[0]
    first = jnp.arange(n) == 0
    labour_in = jnp.where(first, 0.0, labour / (n - 1))
    compute_in = jnp.where(first, compute, 0.0)
    task_input = labour_in + eta * compute_in
    labour_share = jnp.sum(labour_in * task_input ** (inner_rho - 1))
    compute_share = jnp.sum(eta * compute_in * task_input ** (inner_rho - 1))
    compute_w, labour_w = odds_to_probs(compute_to_labour * labour_share / compute_share)
    inner = jnp.where(first, compute_w, labour_w)
    cognitive = ces(task_input, inner, inner_rho)
    capital_share, cognitive_share = capital**outer_rho, cognitive**outer_rho
    capital_w, cognitive_w = odds_to_probs(capital_to_cognitive * cognitive_share / capital_share)
    return Weights(jnp.stack([capital_w, cognitive_w]), inner)

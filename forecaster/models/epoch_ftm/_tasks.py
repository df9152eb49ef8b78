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
import numpy as np
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
    tasks = labour_requirements(top, gap, steepness, LABOUR_GRID)
    return jnp.concatenate([jnp.ones((1,), top.dtype), tasks])


#: The quantiles of the N labour tasks (their ``np.linspace(0, 1, N)``).
LABOUR_GRID = np.linspace(0.0, 1.0, N_TASKS)


def labour_requirements(
    top: Float[Array, ""], gap: Float[Array, ""], steepness: Float[Array, ""], grid: np.ndarray
) -> Float[Array, " k"]:
    """:func:`requirements` of the labour tasks at quantiles ``grid`` only (entries of
    :data:`LABOUR_GRID`: task j is at ``LABOUR_GRID[j - 1]``)."""
    unit = gap ** (1 / 7)
    keys = jnp.asarray([q for q, _ in _GAP_QUANTILES], top.dtype)
    values = jnp.stack([top / unit**k if k else top for _, k in _GAP_QUANTILES])
    tasks = 10 ** jnp.interp(jnp.asarray(grid, top.dtype), keys, jnp.log10(values))
    low = top / gap
    step = jnp.where(steepness == 0, 1.0, steepness)
    stepped = 10 ** (jnp.log10(low) + jnp.ceil((jnp.log10(tasks) - jnp.log10(low)) / step) * step)
    stepped = jnp.where(stepped > top, top, stepped)
    return jnp.where(steepness == 0, tasks, stepped)


def increasing(tasks: Tasks) -> Bool[Array, ""]:
    """Their check: requirements never decrease along the tasks (else their code raises)."""
    return jnp.all(jnp.diff(tasks) >= 0.0)


def log_compute_to_labour(
    log_training: Tasks, log_runtime: Tasks, log_run: Float[Array, ""], tradeoff: Float[Array, ""]
) -> Tasks:
    """ln of each task's compute-to-labour ratio (1 / its runtime FLOP per year of a worker)
    with the largest training run so far: their ``compute_runtime_requirements`` in logs (a
    bigger run than a task needs cuts its runtime by ``(training / run) ** tradeoff``;
    ``tradeoff`` <= 0 or NaN: no trade-off; never below 1 FLOP). In logs the ratio and its
    powers are one ``exp`` each (:func:`ratios`) instead of a power each."""
    on = tradeoff > 0  # NaN compares False: off, as their `<= 0 or isnan`
    return -jnp.maximum(0.0, log_runtime + jnp.where(on, tradeoff, 0.0) * (log_training - log_run))


def automatable(
    training: Tasks, biggest_run: Float[Array, ""], factor: Float[Array, ""]
) -> Int[Array, ""]:
    """Tasks (the compute task included) whose training requirement is below the run
    times ``factor`` (their max trade-off, 1 without one)."""
    return jnp.sum(training < biggest_run * factor)


class Ratios(NamedTuple):
    """A family of tasks' compute-to-labour ratios eta at a step, with what every sector
    using them needs: ln eta, eta ** (sigma - 1), eta ** sigma, and ``cum[I]`` the sum of
    eta ** (sigma - 1) over the labour tasks before I ([tasks + 1]); hardware and software
    R&D share one."""

    log_eta: Tasks
    eta: Tasks
    eta_sigma: Tasks
    eta_sigma_1: Tasks
    cum: Float[Array, " tasks1"]


def ratios(log_eta: Tasks, sigma: Float[Array, ""]) -> Ratios:
    eta = jnp.exp(log_eta)
    eta_sigma_1 = jnp.exp((sigma - 1) * log_eta)
    labour_tasks = jnp.where(jnp.arange(log_eta.shape[0]) >= 1, eta_sigma_1, 0.0)
    cum = jnp.concatenate([jnp.zeros((1,), log_eta.dtype), jnp.cumsum(labour_tasks)])
    return Ratios(log_eta, eta, eta * eta_sigma_1, eta_sigma_1, cum)


class Allocated(NamedTuple):
    """The optimal allocation as production reads it: ln of each task's input (labour plus
    eta times compute), and how many tasks (the compute task included) get more than 10x as
    much work from compute as from labour (their frac_tasks_automated count)."""

    log_input: Tasks
    automated: Int[Array, ""]


def allocate(
    labour: Float[Array, ""],
    compute: Float[Array, ""],
    b0: Float[Array, ""],
    b1: Float[Array, ""],
    sigma: Float[Array, ""],
    r: Ratios,
    automatable_tasks: Int[Array, ""],
) -> Allocated:
    """Their ``solve_allocation``: the labour and compute on each task maximising the inner
    CES, with compute allowed on the first ``automatable_tasks`` only (the compute task 0 is
    always among them). ``b0`` and ``b1`` are the compute task's weight and every labour
    task's (their weights are equal) to the power ``sigma``.

    Their loop tries each critical index I < ``automatable_tasks`` in turn and keeps the
    first whose labour on task I is >= 0; here every I is tried at once and the first kept,
    which is the same choice. Their prefix sums of the weights are closed forms (the labour
    tasks' weights are equal), those of the weighted ratios come from ``r``. Every task but
    at most one gets compute only (a constant times beta ** sigma * eta ** (sigma - 1)) or
    labour only (a constant times beta ** sigma), so each task's input is known in logs
    without forming the allocation: one ``exp`` a task in the CES instead of a power."""
    n = r.eta.shape[0]
    index = jnp.arange(n)
    edges = jnp.arange(n + 1)
    beta_sigma = jnp.where(index == 0, b0, b1)
    eta = r.eta
    # sums_beta[I] = sum(beta[I:] ** sigma); sums_beta_eta[I] = sum(w[:I]); both [n + 1]
    sums_beta = jnp.where(edges == 0, b0 + (n - 1) * b1, (n - edges) * b1)
    sums_beta_eta = jnp.where(edges == 0, 0.0, b0 * r.eta_sigma_1[0] + b1 * r.cum)
    a = r.eta_sigma * sums_beta[:n]
    b = sums_beta_eta[:n]
    c_crit = (compute * a - labour * b) / (a + eta * b)  # their equation 20
    l_crit = (labour + eta * c_crit) * (beta_sigma / sums_beta[:n]) - eta * c_crit  # eq. 18
    kept = (l_crit >= 0) & (index < automatable_tasks)
    found = jnp.any(kept)
    crit = jnp.where(found, jnp.argmax(kept), automatable_tasks - 1)
    c_i, l_i, eta_i = c_crit[crit], l_crit[crit], eta[crit]
    # The three cases of their code: found (equations 17 and 14), found with negative compute
    # on task I > 0 (compute on the tasks before I only), none found (I the last automatable
    # task, no labour on it: equations 14, 15, 22). Each: the tasks with compute only (those
    # before `split`), the compute constant, the labour constant, and task I mixed or not.
    negative = found & (crit > 0) & (c_i < 0)
    mixed = found & ~negative
    split = jnp.where(found, crit, crit + 1)
    per_compute = jnp.where(
        mixed,
        (compute + l_i / eta_i) / sums_beta_eta[crit + 1],
        compute / sums_beta_eta[split],
    )
    per_labour = jnp.where(
        mixed, (labour + eta_i * c_i) / sums_beta[crit], labour / sums_beta[split]
    )
    log_beta_sigma = jnp.where(index == 0, jnp.log(b0), jnp.log(b1))  # two logs, not n
    log_compute_only = jnp.log(per_compute) + log_beta_sigma + sigma * r.log_eta
    log_labour_only = jnp.log(per_labour) + log_beta_sigma
    # Their fix of a rounding error: no labour anywhere puts it all on the last task (none
    # found with every task automatable, or task I the last with exactly no labour).
    last = n - 1
    no_labour = (crit == last) & jnp.where(mixed, l_i == 0, ~negative)
    mixed_at = jnp.where(no_labour, last, crit)
    mixed_labour = jnp.where(no_labour, labour, l_i)
    mixed_compute = jnp.where(mixed, c_i, per_compute * beta_sigma[last] * r.eta_sigma_1[last])
    has_mixed = mixed | no_labour
    mixed_work = eta[mixed_at] * mixed_compute
    log_input = jnp.where(index < split, log_compute_only, log_labour_only)
    log_input = jnp.where(
        has_mixed & (index == mixed_at), jnp.log(mixed_labour + mixed_work), log_input
    )
    compute_only = jnp.where(has_mixed, mixed_at, split)
    automated = compute_only + (has_mixed & (mixed_work > 10 * mixed_labour))
    return Allocated(log_input, automated)


def without_automation(
    labour: Float[Array, ""],
    compute: Float[Array, ""],
    weights: Float[Array, " tasks"],
    b0: Float[Array, ""],
    b1: Float[Array, ""],
    eta0: Float[Array, ""],
    rho: Float[Array, ""],
) -> Float[Array, ""]:
    """The inner CES output with compute on the compute task only: their
    ``solve_allocation(..., AT=1)`` and ``ces_production_function`` in closed form (the
    labour tasks are alike: one gets what each gets)."""
    n = weights.shape[0] - 1  # labour tasks
    total = b0 + n * b1
    l0 = (labour + eta0 * compute) * (b0 / total) - eta0 * compute  # their I = 0
    found = l0 >= 0
    each = jnp.where(found, (labour + eta0 * compute) * (b1 / total), labour * (b1 / (n * b1)))
    first = jnp.where(found, l0, 0.0) + eta0 * compute
    beta0, beta1 = weights[0], weights[1]
    mean = (beta0 * first**rho + n * beta1 * each**rho) / (beta0 + n * beta1)
    return mean ** (1.0 / rho)


def ces(
    inputs: Float[Array, " k"], weights: Float[Array, " k"], rho: Float[Array, ""]
) -> Float[Array, ""]:
    """Their ``ces_production_function`` (tfp 1): ``sum(w * x ** rho / sum(w)) ** (1/rho)``."""
    return jnp.sum(weights * inputs**rho / jnp.sum(weights)) ** (1.0 / rho)


def ces_of_logs(
    log_inputs: Float[Array, " k"], weights: Float[Array, " k"], rho: Float[Array, ""]
) -> Float[Array, ""]:
    """:func:`ces` of inputs given by their logs."""
    return jnp.sum(weights * jnp.exp(rho * log_inputs) / jnp.sum(weights)) ** (1.0 / rho)


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

"""One draw of Epoch's Full Takeoff Model: their ``SimulateTakeOff.run_simulation``, step by
step on their 0.1-year grid, in float64.

Each step (t >= 1) reinvests the last step's output (hardware and software R&D with their
ceilings, the fractional inputs with the wake-up switch, ceilings and the training-spend
cap, capital, labour, TFP and compute with the hardware delay), then finds the automatable
tasks from the largest training run and produces goods, hardware R&D and software R&D with
the optimal allocation of labour and compute across tasks. Step 0 calibrates the CES weights
and the output scale factors to the starting economy. The step's own series are returned for
the metrics (:mod:`._metrics`) and for ``forecaster trajectory``.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from . import _tasks as tk

INVESTMENT_RATE = 0.2  # their investment_rate: the share of GWP added to capital
GWP_SHARE_HARDWARE_RND = 0.2e-2  # their frac_gwp_hardware_rnd_2020
GWP_SHARE_SOFTWARE_RND = 0.02e-2  # their frac_gwp_software_rnd_2020

Scalar = Float[Array, ""]


class Params(NamedTuple):
    """Their constructor's parameters, by their names (one draw: scalars)."""

    full_automation_requirements_training: Scalar
    flop_gap_training: Scalar
    goods_vs_rnd_requirements_training: Scalar
    full_automation_requirements_runtime: Scalar
    flop_gap_runtime: Scalar
    goods_vs_rnd_requirements_runtime: Scalar
    runtime_training_tradeoff: Scalar
    runtime_training_max_tradeoff: Scalar
    labour_substitution_goods: Scalar
    labour_substitution_rnd: Scalar
    capital_substitution_goods: Scalar
    capital_substitution_rnd: Scalar
    research_experiments_substitution_software: Scalar
    compute_software_rnd_experiments_efficiency: Scalar
    hardware_returns: Scalar
    software_returns: Scalar
    hardware_performance_ceiling: Scalar
    software_ceiling: Scalar
    rnd_parallelization_penalty: Scalar
    hardware_delay: Scalar
    frac_capital_hardware_rnd_growth: Scalar
    frac_labour_hardware_rnd_growth: Scalar
    frac_compute_hardware_rnd_growth: Scalar
    frac_labour_software_rnd_growth: Scalar
    frac_compute_software_rnd_growth: Scalar
    frac_gwp_compute_growth: Scalar
    frac_compute_training_growth: Scalar
    frac_capital_hardware_rnd_growth_rampup: Scalar
    frac_labour_hardware_rnd_growth_rampup: Scalar
    frac_compute_hardware_rnd_growth_rampup: Scalar
    frac_labour_software_rnd_growth_rampup: Scalar
    frac_compute_software_rnd_growth_rampup: Scalar
    frac_gwp_compute_growth_rampup: Scalar
    frac_compute_training_growth_rampup: Scalar
    frac_capital_hardware_rnd_ceiling: Scalar
    frac_labour_hardware_rnd_ceiling: Scalar
    frac_compute_hardware_rnd_ceiling: Scalar
    frac_labour_software_rnd_ceiling: Scalar
    frac_compute_software_rnd_ceiling: Scalar
    frac_gwp_compute_ceiling: Scalar
    frac_compute_training_ceiling: Scalar
    initial_frac_capital_hardware_rnd: Scalar
    initial_frac_labour_hardware_rnd: Scalar
    initial_frac_compute_hardware_rnd: Scalar
    initial_frac_labour_software_rnd: Scalar
    initial_frac_compute_software_rnd: Scalar
    initial_biggest_training_run: Scalar
    ratio_initial_to_cumulative_input_hardware_rnd: Scalar
    ratio_initial_to_cumulative_input_software_rnd: Scalar
    initial_hardware_production: Scalar
    ratio_hardware_to_initial_hardware_production: Scalar
    initial_buyable_hardware_performance: Scalar
    initial_gwp: Scalar
    initial_population: Scalar
    initial_cognitive_share_goods: Scalar
    initial_cognitive_share_hardware_rnd: Scalar
    initial_compute_share_goods: Scalar
    initial_compute_share_rnd: Scalar
    initial_experiment_share_software_rnd: Scalar
    rampup_trigger: Scalar
    initial_capital_growth: Scalar
    labour_growth: Scalar
    tfp_growth: Scalar
    compute_depreciation: Scalar
    money_cap_training_before_wakeup: Scalar
    training_requirements_steepness: Scalar
    runtime_requirements_steepness: Scalar


#: The seven fractional inputs their ``allocate_fractional_inputs`` grows, in their order.
FRACTIONS = (
    "frac_gwp_compute",
    "frac_capital_hardware_rnd",
    "frac_labour_hardware_rnd",
    "frac_compute_hardware_rnd",
    "frac_labour_software_rnd",
    "frac_compute_software_rnd",
    "frac_compute_training",
)


class Sector(NamedTuple):
    """A sector's per-draw constants: the calibrated weights, the compute task's and each
    labour task's weight ** sigma, and sigma."""

    weights: tk.Weights
    b0: Scalar
    b1: Scalar
    sigma: Scalar


class Setup(NamedTuple):
    """What a draw fixes before its first step (their ``process_input_parameters``)."""

    training_goods: tk.Tasks
    training_rnd: tk.Tasks
    log_training_goods: tk.Tasks  # natural logs, for the compute-to-labour ratios
    log_runtime_goods: tk.Tasks
    log_training_rnd: tk.Tasks
    log_runtime_rnd: tk.Tasks
    hardware_returns: Scalar  # over the parallelisation penalty
    software_returns: Scalar
    capital_substitution_rnd: Scalar  # times the penalty
    delay_steps: Array  # int: their hardware_delay_idx
    tradeoff: Scalar  # NaN: no runtime-training trade-off
    max_tradeoff: Scalar  # 1 without a trade-off
    valid: Bool[Array, ""]  # what their constructor checks (monotone requirements, ...)


def setup_checks(p: Params) -> Bool[Array, ""]:
    """Their ``check_input_validity`` (but the step's): gaps of at least 1, no negative delay,
    ceilings of labour and compute fractions summing below 1."""
    return (
        (p.flop_gap_training >= 1)
        & (p.flop_gap_runtime >= 1)
        & (p.hardware_delay >= 0)
        & (p.frac_labour_hardware_rnd_ceiling + p.frac_labour_software_rnd_ceiling < 1)
        & (p.frac_compute_hardware_rnd_ceiling + p.frac_compute_software_rnd_ceiling
           + p.frac_compute_training_ceiling < 1)
    )  # fmt: skip


def setup(p: Params, t_step: float) -> Setup:
    """Their ``check_input_validity``, ``process_input_parameters`` and
    ``process_automation_costs`` for one draw."""
    top_goods = p.full_automation_requirements_training
    runtime_goods = p.full_automation_requirements_runtime * SECONDS_PER_YEAR_F
    training_goods = tk.requirements(top_goods, p.flop_gap_training,
                                     p.training_requirements_steepness)  # fmt: skip
    runtime_goods_tasks = tk.requirements(runtime_goods, p.flop_gap_runtime,
                                          p.runtime_requirements_steepness)  # fmt: skip
    training_rnd = tk.requirements(
        top_goods / p.goods_vs_rnd_requirements_training,
        p.flop_gap_training,
        p.training_requirements_steepness,
    )
    runtime_rnd = tk.requirements(
        runtime_goods / p.goods_vs_rnd_requirements_runtime,
        p.flop_gap_runtime,
        p.runtime_requirements_steepness,
    )
    penalty = p.rnd_parallelization_penalty
    on = p.runtime_training_tradeoff > 0  # NaN: off
    valid = (
        tk.increasing(training_goods)
        & tk.increasing(runtime_goods_tasks)
        & tk.increasing(training_rnd)
        & tk.increasing(runtime_rnd)
        & setup_checks(p)
    )
    return Setup(
        training_goods=training_goods,
        training_rnd=training_rnd,
        log_training_goods=jnp.log(training_goods),
        log_runtime_goods=jnp.log(runtime_goods_tasks),
        log_training_rnd=jnp.log(training_rnd),
        log_runtime_rnd=jnp.log(runtime_rnd),
        hardware_returns=p.hardware_returns / penalty,
        software_returns=p.software_returns / penalty,
        capital_substitution_rnd=p.capital_substitution_rnd * penalty,
        delay_steps=jnp.round(p.hardware_delay / t_step).astype(jnp.int32),
        tradeoff=jnp.where(on, p.runtime_training_tradeoff, jnp.nan),
        max_tradeoff=jnp.where(on, p.runtime_training_max_tradeoff, 1.0),
        valid=valid,
    )


SECONDS_PER_YEAR_F = float(tk.SECONDS_PER_YEAR)


class Inputs(NamedTuple):
    """A step's total inputs and fractional inputs (their state at index t)."""

    capital: Scalar
    labour: Scalar
    hardware: Scalar
    software: Scalar
    compute: Scalar
    tfp_goods: Scalar
    tfp_rnd: Scalar
    fractions: Float[Array, " 7"]  # FRACTIONS


class Produced(NamedTuple):
    """A step's production and what the metrics read."""

    gwp: Scalar
    rnd_input_hardware: Scalar
    rnd_input_software: Scalar
    frac_automated_goods: Scalar  # their frac_tasks_automated_goods
    frac_automated_rnd: Scalar
    frac_automatable_goods_no_tradeoff: Scalar
    automation_multiplier_goods: Scalar
    automation_multiplier_rnd: Scalar
    biggest_training_run: Scalar


class Economy(NamedTuple):
    """Per-draw constants from step 0: the sectors' weights and the output scale factors."""

    goods: Sector
    hardware: Sector
    software: Sector
    gwp_factor: Scalar
    hardware_factor: Scalar
    software_factor: Scalar


def _sector(weights: tk.Weights, rho: Scalar) -> Sector:
    sigma = 1.0 / (1.0 - rho)
    return Sector(weights, weights.inner[0] ** sigma, weights.inner[1] ** sigma, sigma)


def _allocate(
    labour: Scalar, compute: Scalar, sector: Sector, r: tk.Ratios, automatable: Array
) -> tuple[tk.Tasks, Scalar]:
    """ln of each task's input, and their frac_tasks_automated: the labour tasks where
    compute does more than 10x labour's work."""
    alloc = tk.allocate(labour, compute, sector.b0, sector.b1, sector.sigma, r, automatable)
    return alloc.log_input, (alloc.automated - 1) / tk.N_TASKS


def _without_automation(
    labour: Scalar, compute: Scalar, sector: Sector, r: tk.Ratios, rho: Scalar
) -> Scalar:
    return tk.without_automation(labour, compute, sector.weights.inner, sector.b0, sector.b1,
                                 r.eta[0], rho)  # fmt: skip


def _nested(
    capital: Scalar, log_input: tk.Tasks, w: tk.Weights, outer: Scalar, inner: Scalar
) -> Scalar:
    cognitive = tk.ces_of_logs(log_input, w.inner, inner)
    return tk.ces(jnp.stack([capital, cognitive]), w.outer, outer)


def automate(
    p: Params, s: Setup, inputs: Inputs
) -> tuple[Scalar, Array, Array, Scalar, tk.Tasks, tk.Tasks]:
    """Their ``automate_tasks``: the largest run, the automatable tasks (with the trade-off's
    factor) of goods and R&D, the fraction without it, and the compute-to-labour ratios (in
    logs)."""
    run = inputs.compute * inputs.fractions[6]
    goods = tk.automatable(s.training_goods, run, s.max_tradeoff)
    rnd = tk.automatable(s.training_rnd, run, s.max_tradeoff)
    no_tradeoff = (tk.automatable(s.training_goods, run, jnp.ones_like(run)) - 1) / tk.N_TASKS
    log_run = jnp.log(run)
    log_eta_goods = tk.log_compute_to_labour(s.log_training_goods, s.log_runtime_goods,
                                             log_run, s.tradeoff)  # fmt: skip
    log_eta_rnd = tk.log_compute_to_labour(s.log_training_rnd, s.log_runtime_rnd, log_run,
                                           s.tradeoff)  # fmt: skip
    return run, goods, rnd, no_tradeoff, log_eta_goods, log_eta_rnd


def _sector_output(
    tfp: Scalar, capital: Scalar, labour: Scalar, compute: Scalar, sector: Sector,
    ratios: tk.Ratios, automatable: Array, outer: Scalar, rho: Scalar,
) -> tuple[Scalar, Scalar, Scalar]:  # fmt: skip
    """A sector with capital (goods, hardware R&D): its output, its output without
    automation (their automation multiplier's denominator) and the fraction of its tasks
    automated."""
    task_input, automated = _allocate(labour, compute, sector, ratios, automatable)
    output = tfp * _nested(capital, task_input, sector.weights, outer, rho)
    base = _without_automation(labour, compute, sector, ratios, rho)
    without = tfp * tk.ces(jnp.stack([capital, base]), sector.weights.outer, outer)
    return output, without, automated


def produce(
    p: Params, s: Setup, inputs: Inputs, economy: Economy | None
) -> tuple[Produced, Economy]:
    """Their ``automate_tasks`` and ``production`` for one step; with ``economy`` None (step
    0) the weights and scale factors are calibrated first and returned."""
    f = inputs.fractions
    run, at_goods, at_rnd, no_tradeoff, log_eta_goods, log_eta_rnd = automate(p, s, inputs)
    capital_goods = inputs.capital * (1 - f[1])
    labour_goods = inputs.labour * (1 - f[2] - f[4])
    compute_goods = inputs.compute * (1 - f[3] - f[5] - f[6])
    capital_hw = inputs.capital * f[1]
    labour_hw, compute_hw = inputs.labour * f[2], inputs.compute * f[3]
    labour_sw, compute_sw = inputs.labour * f[4], inputs.compute * f[5]
    experiments = inputs.hardware**p.compute_software_rnd_experiments_efficiency
    rho_g, rho_r = p.labour_substitution_goods, p.labour_substitution_rnd
    rho_exp = p.research_experiments_substitution_software

    calibrating = economy is None
    if economy is None:
        cog_g, cog_h = p.initial_cognitive_share_goods, p.initial_cognitive_share_hardware_rnd
        cog_s = 1 - p.initial_experiment_share_software_rnd
        comp_g = p.initial_compute_share_goods * cog_g  # their "TERRIBLE HACK"s
        comp_h = p.initial_compute_share_rnd * cog_h
        comp_s = p.initial_compute_share_rnd * cog_s
        eta_goods, eta_rnd = jnp.exp(log_eta_goods), jnp.exp(log_eta_rnd)
        w_goods = tk.calibrate(capital_goods, labour_goods, compute_goods, eta_goods,
                               p.capital_substitution_goods, rho_g, (1 - cog_g) / cog_g,
                               comp_g / (cog_g - comp_g))  # fmt: skip
        w_hw = tk.calibrate(capital_hw, labour_hw, compute_hw, eta_rnd,
                            s.capital_substitution_rnd, rho_r, (1 - cog_h) / cog_h,
                            comp_h / (cog_h - comp_h))  # fmt: skip
        w_sw = tk.calibrate(experiments, labour_sw, compute_sw, eta_rnd, rho_exp, rho_r,
                            p.initial_experiment_share_software_rnd / cog_s,
                            comp_s / (cog_s - comp_s))  # fmt: skip
        one = jnp.ones_like(run)
        economy = Economy(_sector(w_goods, rho_g), _sector(w_hw, rho_r), _sector(w_sw, rho_r),
                          one, one, one)  # fmt: skip

    r_goods = tk.ratios(log_eta_goods, economy.goods.sigma)
    r_rnd = tk.ratios(log_eta_rnd, economy.hardware.sigma)

    output_g, plain_g, automated_g = _sector_output(
        inputs.tfp_goods, capital_goods, labour_goods, compute_goods, economy.goods, r_goods,
        at_goods, p.capital_substitution_goods, rho_g,
    )  # fmt: skip
    output_h, plain_h, automated_h = _sector_output(
        inputs.tfp_rnd, capital_hw, labour_hw, compute_hw, economy.hardware, r_rnd, at_rnd,
        s.capital_substitution_rnd, rho_r,
    )  # fmt: skip

    input_s, _ = _allocate(labour_sw, compute_sw, economy.software, r_rnd, at_rnd)
    research = tk.ces_of_logs(input_s, economy.software.weights.inner, rho_r)
    output_s = inputs.tfp_rnd * tk.ces(jnp.stack([experiments, research]),
                                       economy.software.weights.outer, rho_exp)  # fmt: skip

    if calibrating:  # their output_to_gwp_factor and rnd_input_to_*_investment_factor
        economy = economy._replace(
            gwp_factor=p.initial_gwp / output_g,
            hardware_factor=p.initial_gwp * GWP_SHARE_HARDWARE_RND / output_h,
            software_factor=p.initial_gwp * GWP_SHARE_SOFTWARE_RND / output_s,
        )
    produced = Produced(
        gwp=output_g * economy.gwp_factor,
        rnd_input_hardware=output_h * economy.hardware_factor,
        rnd_input_software=output_s * economy.software_factor,
        frac_automated_goods=automated_g,
        frac_automated_rnd=automated_h,
        frac_automatable_goods_no_tradeoff=no_tradeoff,
        automation_multiplier_goods=output_g / plain_g,
        automation_multiplier_rnd=output_h / plain_h,
        biggest_training_run=run,
    )
    return produced, economy


def initial_inputs(p: Params, t_step: float) -> tuple[Inputs, Scalar, Scalar, Scalar, Scalar]:
    """Their ``initialize_inputs``: step 0's inputs, with the cumulative R&D inputs, the
    money spent on training and step 0's compute investment; their check that the initial
    largest run fits in the initial compute is returned as a flag."""
    hardware = p.initial_hardware_production * p.ratio_hardware_to_initial_hardware_production
    penalty = p.rnd_parallelization_penalty
    rnd_hw = p.initial_gwp * GWP_SHARE_HARDWARE_RND
    rnd_sw = p.initial_gwp * GWP_SHARE_SOFTWARE_RND
    cumulative_hw = rnd_hw**penalty / p.ratio_initial_to_cumulative_input_hardware_rnd / penalty
    cumulative_sw = rnd_sw**penalty / p.ratio_initial_to_cumulative_input_software_rnd / penalty
    software = jnp.ones_like(hardware)
    compute = hardware * software
    investment = p.initial_hardware_production * t_step / p.initial_buyable_hardware_performance
    fractions = jnp.stack([
        investment / p.initial_gwp / t_step,
        p.initial_frac_capital_hardware_rnd,
        p.initial_frac_labour_hardware_rnd,
        p.initial_frac_compute_hardware_rnd,
        p.initial_frac_labour_software_rnd,
        p.initial_frac_compute_software_rnd,
        p.initial_biggest_training_run / compute,
    ])  # fmt: skip
    inputs = Inputs(
        capital=p.initial_gwp * INVESTMENT_RATE / (jnp.exp(p.initial_capital_growth) - 1),
        labour=p.initial_population,
        hardware=hardware,
        software=software,
        compute=compute,
        tfp_goods=software,
        tfp_rnd=software,
        fractions=fractions,
    )
    money = p.initial_biggest_training_run / (software * p.initial_buyable_hardware_performance)
    fits = p.initial_biggest_training_run <= compute
    return inputs, cumulative_hw, cumulative_sw, money, fits


def automatable_at_start(p: Params, t_step: float) -> tuple[Scalar, Scalar]:
    """The fractions of goods and R&D tasks automatable at step 0 (their
    ``frac_automatable_tasks_goods[0]`` and ``_rnd[0]``), for their Monte Carlo's rejection
    of draws (and their constructor's check that the first run fits in the compute), from
    the full task tables. It is the reference: the forecast runs the fast
    :func:`accepted_at_start` (two tasks read), which the tests check against this on every
    task, and the preset generator (benchmarks/peers/ftm_mc_preset.py) uses this."""
    s = setup(p, t_step)
    inputs, _, _, _, fits = initial_inputs(p, t_step)
    _, goods, rnd, _, _, _ = automate(p, s, inputs)
    fraction = lambda count: jnp.where(fits, (count - 1) / tk.N_TASKS, jnp.inf)  # noqa: E731
    return fraction(goods), fraction(rnd)


def most_tasks(fraction: float) -> int:
    """The most tasks (the compute task included) whose automation their ``frac <=
    fraction`` test allows: the largest count c with (c - 1) / N <= fraction, as they
    compute it."""
    return max(c for c in range(1, tk.N_TASKS + 2) if (c - 1) / tk.N_TASKS <= fraction)


def accepted_at_start(p: Params, t_step: float, goods: float, rnd: float) -> Bool[Array, ""]:
    """:func:`automatable_at_start` within ``goods`` and ``rnd`` and their constructor's
    checks, from the few tasks that decide it: the requirements increase along the tasks,
    so at most c tasks are automatable when task c's requirement is not below the run (times
    the trade-off's factor), and they increase from the compute task's 1.0 when the first
    labour task's is at least 1 (their monotonicity check)."""
    inputs, _, _, _, fits = initial_inputs(p, t_step)
    run = inputs.compute * inputs.fractions[6]
    factor = jnp.where(p.runtime_training_tradeoff > 0, p.runtime_training_max_tradeoff, 1.0)
    top = p.full_automation_requirements_training
    tops = (top, top / p.goods_vs_rnd_requirements_training)
    ok = fits & setup_checks(p)
    for top, fraction in zip(tops, (goods, rnd), strict=True):
        c = most_tasks(fraction)
        grid = tk.LABOUR_GRID[[0] + ([c - 1] if c <= tk.N_TASKS else [])]
        tasks = tk.labour_requirements(top, p.flop_gap_training,
                                       p.training_requirements_steepness, grid)  # fmt: skip
        ok = ok & (tasks[0] >= 1.0)
        if c <= tk.N_TASKS:
            ok = ok & ~(tasks[1] < run * factor)
    runtime = p.full_automation_requirements_runtime * SECONDS_PER_YEAR_F
    for top in (runtime, runtime / p.goods_vs_rnd_requirements_runtime):
        first = tk.labour_requirements(top, p.flop_gap_runtime, p.runtime_requirements_steepness,
                                       tk.LABOUR_GRID[:1])  # fmt: skip
        ok = ok & (first[0] >= 1.0)
    return ok


def improve(
    current: Scalar,
    initial: Scalar,
    research: Scalar,
    cumulative: Scalar,
    returns: Scalar,
    ceiling: Scalar,
    penalty: Scalar,
    t_step: float,
) -> tuple[Scalar, Scalar]:
    """Their ``_update_rnd``: performance grows with the cumulative (penalised) research
    input to the power of the returns, slowed as it nears its ceiling (in OOMs)."""
    new_cumulative = cumulative + research**penalty * t_step
    growth = new_cumulative / cumulative
    finite = ceiling != jnp.inf
    log_ceiling = jnp.log10(jnp.where(finite, ceiling, 1.0))
    slowed = (log_ceiling - jnp.log10(current)) / (log_ceiling - jnp.log10(initial))
    rate = growth ** (returns * jnp.where(finite, slowed, 1.0))
    return jnp.minimum(current * rate, ceiling), new_cumulative


class Carry(NamedTuple):
    """What a step needs from the ones before."""

    inputs: Inputs
    produced: Produced
    cumulative_hw: Scalar
    cumulative_sw: Scalar
    money: Scalar  # money spent on training
    rampup: Bool[Array, ""]
    automatable_before: Scalar  # frac_automatable_goods_no_tradeoff two steps back
    performance: Float[Array, " steps"]  # hardware performance by step (for the delay)
    events: Float[Array, " 3"]  # rampup_start, sub_agi_year, agi_year (NaN: not yet)


class Step(NamedTuple):
    """A step's series (their state at index t) that the metrics and trajectories read."""

    produced: Produced
    rampup: Bool[Array, ""]
    hardware_performance: Scalar
    software: Scalar
    compute: Scalar
    hardware: Scalar
    fractions: Float[Array, " 7"]


class Run(NamedTuple):
    """A draw's run: its steps' series, its events' years and whether their code runs it."""

    steps: Step  # every leaf with a leading [steps] axis
    events: Float[Array, " 3"]
    valid: Bool[Array, ""]


def run(p: Params, times: Float[Array, " steps"], t_step: float) -> Run:
    """Their ``run_simulation`` on the fixed grid ``times`` (``t_start + index * t_step``)."""
    s = setup(p, t_step)
    inputs, cum_hw, cum_sw, money, fits = initial_inputs(p, t_step)
    produced, economy = produce(p, s, inputs, None)
    n = times.shape[0]
    penalty = p.rnd_parallelization_penalty
    # Their first step moves the buyable hardware performance forward by the delay.
    buyable0 = p.initial_buyable_hardware_performance
    improved, _ = improve(buyable0, buyable0, produced.rnd_input_hardware, cum_hw,
                          s.hardware_returns, p.hardware_performance_ceiling, penalty,
                          t_step)  # fmt: skip
    performance0 = buyable0 * (improved / buyable0) ** s.delay_steps
    nan = jnp.full((3,), jnp.nan, times.dtype)
    first = Carry(inputs, produced, cum_hw, cum_sw, money, jnp.asarray(False),
                  jnp.zeros_like(money), jnp.zeros((n,), times.dtype).at[0].set(performance0),
                  nan)  # fmt: skip
    growth = jnp.stack([getattr(p, f"{name}_growth") for name in FRACTIONS])
    growth_up = jnp.stack([getattr(p, f"{name}_growth_rampup") for name in FRACTIONS])
    ceilings = jnp.stack([getattr(p, f"{name}_ceiling") for name in FRACTIONS])
    thresholds = jnp.stack([p.rampup_trigger, jnp.asarray(0.2, times.dtype),
                            jnp.asarray(1.0, times.dtype)])  # fmt: skip

    def step(c: Carry, t: Array) -> tuple[Carry, Step]:
        last = c.inputs
        hp, cum_hw = improve(c.performance[t - 1], c.performance[0],
                             c.produced.rnd_input_hardware, c.cumulative_hw, s.hardware_returns,
                             p.hardware_performance_ceiling, penalty, t_step)  # fmt: skip
        software, cum_sw = improve(last.software, jnp.ones_like(hp), c.produced.rnd_input_software,
                                   c.cumulative_sw, s.software_returns, p.software_ceiling,
                                   penalty, t_step)  # fmt: skip
        performance = c.performance.at[t].set(hp)
        # Their allocate_fractional_inputs: the wake-up, the events, the fractions.
        rampup = c.produced.frac_automated_goods >= p.rampup_trigger
        year = times[t] - t_step
        now = jnp.stack([c.produced.frac_automated_goods,
                         c.produced.frac_automatable_goods_no_tradeoff,
                         c.produced.frac_automatable_goods_no_tradeoff])  # fmt: skip
        before = jnp.stack([c.rampup.astype(now.dtype), c.automatable_before,
                            c.automatable_before])  # fmt: skip
        crossed = (now >= thresholds) & ~(before >= thresholds)
        crossed = crossed.at[0].set(rampup & ~c.rampup)
        events = jnp.where(crossed, year, c.events)
        rates = jnp.where(rampup, growth_up, growth)
        fractions = jnp.minimum(last.fractions * jnp.exp(t_step * rates), ceilings)
        capped = (c.money > p.money_cap_training_before_wakeup) & ~c.rampup
        fractions = fractions.at[6].set(jnp.where(capped, last.fractions[6], fractions[6]))
        # Their calculate_total_inputs.
        gwp = c.produced.gwp
        investment = gwp * fractions[0] * t_step
        back = t - s.delay_steps
        buyable = jnp.where(
            back >= 0,
            performance[jnp.maximum(back, 0)],
            performance[0] * (performance[1] / performance[0]) ** back,
        )
        hardware = last.hardware * (1.0 - p.compute_depreciation) ** t_step + investment * buyable
        compute = hardware * software
        inputs = Inputs(
            capital=last.capital + gwp * INVESTMENT_RATE * t_step,
            labour=last.labour * jnp.exp(p.labour_growth * t_step),
            hardware=hardware,
            software=software,
            compute=compute,
            tfp_goods=last.tfp_goods * jnp.exp(p.tfp_growth * t_step),
            tfp_rnd=last.tfp_rnd * jnp.exp(p.tfp_growth * t_step),
            fractions=fractions,
        )
        money = compute * fractions[6] / (software * buyable)
        produced, _ = produce(p, s, inputs, economy)
        automatable = c.produced.frac_automatable_goods_no_tradeoff  # two steps back, next
        carry = Carry(inputs, produced, cum_hw, cum_sw, money, rampup, automatable, performance,
                      events)  # fmt: skip
        return carry, Step(produced, rampup, hp, software, compute, hardware, fractions)

    step0 = Step(produced, jnp.asarray(False), performance0, inputs.software, inputs.compute,
                 inputs.hardware, inputs.fractions)  # fmt: skip
    last, steps = jax.lax.scan(step, first, jnp.arange(1, n))
    steps = jax.tree.map(lambda a, b: jnp.concatenate([a[None], b]), step0, steps)
    return Run(steps, last.events, s.valid & fits)

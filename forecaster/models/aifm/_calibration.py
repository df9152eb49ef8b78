"""The per-draw calibration of the AI Futures Model, as their code computes it
(``progress_model.py`` of ``ai-futures-calculator``; each step named after theirs).

State: progress P (orders of magnitude of effective compute since 2012) and research stock
RS. dRS/dt is the research effort RE = taste x CES(experiment compute^zeta, serial coding
labour; alpha, rho_x); dP/dt = r RE / (RS ln 10) + the training-compute growth rate.
Before the trajectory (``_trajectory``), per draw and in their order:

1. rho_x, zeta and alpha of the experiment-capacity CES from its two asymptotes and the
   compute anchor (a root of a^rho + b^rho = 1, by bisection);
2. the human-only trajectory (no AI labour, taste 1), whose software rate in 2024 fixes r
   (``software_progress_rate_at_reference_year``), and whose present-day progress, rate,
   research stock and software rate anchor the rest;
3. the time horizon through the present (26 minutes at 2025.6) with the present doubling
   time (converted to progress by the present rate) and the doubling-difficulty growth
   factor: the progress at which it reaches the AC horizon (plus the gap, if any) is AC;
4. the taste slope and the automation-efficiency slope converted from per-year to
   per-OOM by the present rate;
5. the present automation fraction that makes the coding-labour multiplier the sampled
   SWE multiplier (a root over the automation schedule, by bisection).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from . import _coding as coding
from . import _interp as interp
from . import _taste as taste_

Scalar = Float[Array, ""]
LN10 = coding.LN10

REFERENCE_YEAR = 2024.0  # their SOFTWARE_PROGRESS_SCALE_REFERENCE_YEAR
REFERENCE_COMPUTE_CHANGE = 0.1
DEFAULT_R_SOFTWARE = 2.40  # scaled away: only the ratio to the reference rate matters
GRID_STEP = 0.1  # their DENSE_OUTPUT_STEP_SIZE
CAP = 1e30  # their caps on rates, progress and research stock
DIFFERENCE_STEP = 1e-6  # their forward difference for RS(0) = RE(0)^2 / RE'(0)
MAX_SD = 1e31  # their AI_RESEARCH_TASTE_MAX_SD (10e30)
TASTE_MAX = 1e30
BISECTION_STEPS = 64
# Gauss-Legendre, five points on [0, 1] (weights summing to 2): exact for polynomials of
# degree 9
_X, _W = np.polynomial.legendre.leggauss(5)
GAUSS_NODES, GAUSS_WEIGHTS = tuple(0.5 + 0.5 * _X), tuple(_W)
SCAN_POINTS = 33  # the coarse grid the present automation's root is bracketed on
AUTOMATION_STEPS = 46  # halvings of a 1/32 bracket: 2^-51, the float64 spacing near 1


class Series(NamedTuple):
    """Their input series (``data/aifm_input_data.csv``): year and the logs of human labour,
    inference compute and experiment compute."""

    time: Float[Array, " data"]
    log_humans: Float[Array, " data"]
    log_compute: Float[Array, " data"]
    log_experiment: Float[Array, " data"]


class Draw(NamedTuple):
    """One draw's sampled parameters, by their names (``include_gap`` 1 for "gap")."""

    present_doubling_time: Scalar
    doubling_difficulty_growth_factor: Scalar
    ai_research_taste_slope: Scalar
    ai_research_taste_at_coding_automation_anchor_sd: Scalar
    gap_years: Scalar
    pre_gap_ac_time_horizon: Scalar
    ac_time_horizon_minutes: Scalar
    coding_automation_efficiency_slope: Scalar
    inv_compute_anchor_exp_cap: Scalar
    inf_compute_asymptote: Scalar
    inf_labor_asymptote: Scalar
    include_gap: Scalar
    present_day: Scalar
    present_horizon: Scalar
    rho_coding_labor: Scalar
    parallel_penalty: Scalar
    swe_multiplier_at_present_day: Scalar
    max_serial_coding_labor_multiplier: Scalar
    median_to_top_taste_multiplier: Scalar
    taste_limit: Scalar
    taste_limit_smoothing: Scalar
    software_progress_rate_at_reference_year: Scalar
    ted_ai_m2b: Scalar
    strat_ai_m2b: Scalar
    slowdown_year: Scalar
    constant_training_compute_growth_rate: Scalar
    post_slowdown_training_compute_growth_rate: Scalar
    automation_logistic_asymptote: Scalar  # read by the logistic schedule only


class Inputs(NamedTuple):
    """A draw's input series: their interpolation rules over the data years."""

    series: Series
    growth: Float[Array, " data"]  # training-compute growth at the data years (the slowdown step)

    def at(self, t: Array) -> tuple[Array, Array, Array, Array]:
        """Human labour, inference compute, experiment compute (log-linear) and training
        growth (linear) at time t, each at least 0."""
        s = self.series
        i = interp.interval(s.time, t)  # one search for the four series
        humans = jnp.exp(interp.at(t, s.time, i, s.log_humans))
        compute = jnp.exp(interp.at(t, s.time, i, s.log_compute))
        experiment = jnp.exp(interp.at(t, s.time, i, s.log_experiment))
        growth = jnp.maximum(interp.at(t, s.time, i, self.growth), 0.0)
        return humans, compute, experiment, growth


class Capacity(NamedTuple):
    """The experiment-capacity CES."""

    rho: Scalar
    alpha: Scalar
    zeta: Scalar  # the experiment-compute exponent (clipped to [0.001, 10] where used)


# -- the CES pieces ---------------------------------------------------------------------------


def ces(x1: Array, x2: Array, w1: Array, rho: Array) -> Array:
    """Their ``_ces_function``: (w1 x1^rho + (1 - w1) x2^rho)^(1/rho), with its limits."""
    w1 = jnp.clip(w1, 0.0, 1.0)
    w2 = 1.0 - w1
    safe_rho = jnp.where(jnp.abs(rho) < 1e-9, 1.0, rho)
    total = w1 * x1**safe_rho + w2 * x2**safe_rho
    general = jnp.where(total > 0, total ** (1.0 / safe_rho), jnp.minimum(x1, x2))
    general = jnp.where(jnp.isfinite(general), general, w1 * x1 + w2 * x2)
    general = jnp.where(x1 == 0, w2 ** (1.0 / safe_rho) * x2, general)
    general = jnp.where(x2 == 0, w1 ** (1.0 / safe_rho) * x1, general)
    general = jnp.where((x1 == 0) & (x2 == 0), 0.0, general)
    general = jnp.where(w2 == 0, x1, jnp.where(w1 == 0, x2, general))
    positive = (x1 > 0) & (x2 > 0)
    log1 = jnp.log(jnp.where(positive, x1, 1.0))
    log2 = jnp.log(jnp.where(positive, x2, 1.0))
    cobb = jnp.where(positive, jnp.exp(w1 * log1 + w2 * log2), 0.0)
    out = jnp.where(rho < -50.0, jnp.minimum(x1, x2), general)
    out = jnp.where(rho == 1.0, w1 * x1 + w2 * x2, out)
    return jnp.where(jnp.abs(rho) < 1e-9, cobb, out)


def research_effort(experiment: Array, serial: Array, cap: Capacity, taste: Array | float) -> Array:
    """Their ``compute_research_effort``: RE = taste x CES(X^zeta, serial labour), capped."""
    zeta = jnp.clip(cap.zeta, 0.001, 10.0)
    rate = jnp.minimum(ces(experiment**zeta, serial, cap.alpha, cap.rho), CAP)
    taste = jnp.where(taste < 0, 1.0, taste)
    out = jnp.minimum(rate * taste, CAP)
    ok = (jnp.isfinite(experiment) & jnp.isfinite(serial) & jnp.isfinite(taste)
          & (experiment >= 0) & (serial >= 0))  # fmt: skip
    return jnp.where(ok, out, 0.0)


def capacity(draw: Draw, inputs: Inputs) -> Capacity:
    """rho_x from a^rho + b^rho = 1 (a, b the labour and compute asymptotes; 0 when they do
    not bracket a root in [-50, 1], as theirs falls back), zeta from the compute anchor
    (0.1x compute gives 1/inv_compute_anchor_exp_cap of the capacity), alpha from the present."""
    a = jnp.maximum(draw.inf_labor_asymptote, 1e-10)
    b = jnp.maximum(draw.inf_compute_asymptote, 1e-10)

    def f(r: Array) -> Array:
        return a**r + b**r - 1.0

    lo, hi = jnp.asarray(-50.0, a.dtype), jnp.asarray(1.0, a.dtype)
    bracketed = f(lo) * f(hi) <= 0

    def halve(bounds, _):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        left = f(mid) * f(lo) > 0
        return (jnp.where(left, mid, lo), jnp.where(left, hi, mid)), None

    (lo, hi), _ = jax.lax.scan(halve, (lo, hi), None, length=BISECTION_STEPS + 16)
    rho = jnp.where(bracketed, 0.5 * (lo + hi), 0.0)
    k = (b / a) ** rho
    m = 1.0 / draw.inv_compute_anchor_exp_cap
    zeta = jnp.log((1.0 + k) * m**rho - k) / (rho * np.log(REFERENCE_COMPUTE_CHANGE))
    humans, _, experiment, _ = inputs.at(draw.present_day)
    serial = humans**draw.parallel_penalty
    alpha = 1.0 / (1.0 + ((experiment**zeta / serial) * (b / a)) ** rho)
    return Capacity(rho, alpha, zeta)


def grid_times(start: float, end: float) -> np.ndarray:
    """Their output grid: np.linspace(start, end, ceil((end - start) / 0.1) + 1)."""
    return np.linspace(start, end, max(2, int(np.ceil((end - start) / GRID_STEP)) + 1))


def initial_stock(effort_at) -> Scalar:
    """RS(0) = RE(0)^2 / RE'(0), RE' by their forward difference (their fallbacks)."""
    e0, e1 = effort_at(0.0), effort_at(DIFFERENCE_STEP)
    slope = (e1 - e0) / DIFFERENCE_STEP
    stock = e0**2 / slope
    fallback = jnp.maximum(1e-6, e0)
    stock = jnp.where(jnp.isfinite(stock) & (stock > 0), stock, fallback)
    return jnp.maximum(1e-6, jnp.where(jnp.abs(slope) < 1e-6, fallback, stock))


class HumanOnly(NamedTuple):
    """The human-only trajectory's present-day anchors and the calibrated r."""

    r_software: Scalar
    progress: Scalar  # P at the present
    rate: Scalar  # dP/dt at the present (their anchor progress rate)
    software_rate: Scalar
    stock: Scalar
    humans: Scalar
    compute: Scalar
    experiment: Scalar


def human_only(draw: Draw, inputs: Inputs, cap: Capacity, times: Array) -> HumanOnly:
    """Their ``compute_human_only_trajectory`` (twice, with r rescaled in between). Without
    AI labour the research effort RE(t) is a function of time alone, so dRS/dt = RE gives
    RS(t) = RS(0) + the integral of RE, the integral of RE/RS/ln 10 is ln(RS/RS(0))/ln 10
    and P = r x that + the integral of the training growth: both of their runs from one
    quadrature. Their anchors read the trajectory on the grid (linear between grid
    points), so it is needed at four grid points only: those around the reference year
    and the present. The integrals run over the input years (RE is analytic between them,
    the growth linear: Gauss-Legendre with five points a year is exact to rounding) and
    then to each of the four points."""
    t0 = times[0]
    knots = jnp.maximum(inputs.series.time, t0)

    def effort(t: Array) -> Array:
        humans, _, experiment, _ = inputs.at(t)
        return research_effort(experiment, humans**draw.parallel_penalty, cap, 1.0)

    def integral(lo: Array, hi: Array) -> Array:
        """The integrals of [RE, growth] over [lo, hi] (no input year inside)."""
        nodes = jnp.asarray(GAUSS_NODES, times.dtype)
        t = lo + (hi - lo) * nodes
        values = jnp.stack([jax.vmap(effort)(t), inputs.at(t)[3]])  # [2, points]
        return 0.5 * (hi - lo) * (values @ jnp.asarray(GAUSS_WEIGHTS, times.dtype))

    years = jax.vmap(integral)(knots[:-1], knots[1:])  # [knots - 1, 2]
    to_knot = jnp.concatenate([jnp.zeros((1, 2), times.dtype), jnp.cumsum(years, axis=0)])
    stock0 = initial_stock(lambda dt: effort(t0 + dt))

    def at_grid(g: Array):
        """(RE, RS, the integral of the growth) at grid point g."""
        t = times[g]
        k = jnp.clip(jnp.searchsorted(knots, t, side="right") - 1, 0, knots.shape[0] - 1)
        totals = to_knot[k] + integral(knots[k], t)
        return effort(t), stock0 + totals[0], totals[1]

    def around(x: Array) -> Array:
        """The two grid points whose interval holds x (their np.interp's)."""
        g = jnp.clip(jnp.searchsorted(times, x, side="right") - 1, 0, times.shape[0] - 2)
        return jnp.stack([g, g + 1])

    def between(x: Array | float, points: Array, values: Array) -> Array:
        return jnp.interp(x, times[points], values)

    now = draw.present_day
    reference, present = around(jnp.asarray(REFERENCE_YEAR, times.dtype)), around(now)
    effort_ref, stock_ref, _ = jax.vmap(at_grid)(reference)
    unit_rate = effort_ref / stock_ref / LN10  # the software rate per unit r
    r = draw.software_progress_rate_at_reference_year / between(REFERENCE_YEAR, reference,
                                                               unit_rate)  # fmt: skip
    efforts, stock, growth_integral = jax.vmap(at_grid)(present)
    software = r * efforts / stock / LN10
    progress = r * jnp.log(stock / stock0) / LN10 + growth_integral
    rates = software + jax.vmap(lambda t: inputs.at(t)[3])(times[present])
    humans, compute, experiment, _ = inputs.at(now)
    return HumanOnly(
        r_software=r,
        progress=between(now, present, progress),
        rate=between(now, present, rates),
        software_rate=between(now, present, software),
        stock=jnp.exp(between(now, present, jnp.log(stock))),
        humans=humans,
        compute=compute,
        experiment=experiment,
    )


def _horizon_fit(draw: Draw, anchor: HumanOnly):
    """The horizon fit's pieces: (gap, the target horizon, T0, A0, A0 made safe to divide
    by, exponential)."""
    gap = draw.include_gap > 0.5
    target = jnp.where(gap, draw.pre_gap_ac_time_horizon, draw.ac_time_horizon_minutes)
    t0 = draw.present_doubling_time * anchor.rate
    a0 = 1.0 - draw.doubling_difficulty_growth_factor
    exponential = draw.doubling_difficulty_growth_factor == 1.0
    safe_a0 = jnp.where(exponential | (a0 == 0), 0.5, a0)
    return gap, target, t0, a0, safe_a0, exponential


def progress_at_ac(draw: Draw, anchor: HumanOnly) -> Scalar:
    """Their horizon fit with the present fixed ("decaying doubling time", shifted form): the
    horizon H(P) = H0 (1 - A0 (P - P0) / T0)^(ln 2 / ln(1 - A0)), A0 = 1 - growth factor,
    T0 = present doubling time x present rate; AC is where H reaches the AC horizon (the
    pre-gap horizon plus the gap, in present progress-years, with a gap); exponential at a
    growth factor of exactly 1. NaN where theirs gives none."""
    gap, target, t0, a0, safe_a0, exponential = _horizon_fit(draw, anchor)
    ratio_term = (target / draw.present_horizon) ** (jnp.log(1.0 - safe_a0) / np.log(2.0))
    decaying = anchor.progress + t0 * (1.0 - ratio_term) / safe_a0
    straight = anchor.progress + jnp.log(target / draw.present_horizon) / (np.log(2.0) / t0)
    progress = jnp.where(exponential, straight, decaying)
    progress = progress + jnp.where(gap, anchor.rate * draw.gap_years, 0.0)
    valid = (t0 > 0) & (draw.present_horizon > 0) & (a0 < 1) & (target > 0)
    return jnp.where(valid & jnp.isfinite(progress), progress, jnp.nan)


def horizon(draw: Draw, anchor: HumanOnly, progress: Array) -> Array:
    """The coding time horizon (minutes) at ``progress``: the fit :func:`progress_at_ac`
    inverts, H(P) = H0 (1 - A0 (P - P0) / T0)^(ln 2 / ln(1 - A0)) (H0 2^((P - P0) / T0) at a
    growth factor of 1); NaN once H passes the AC horizon (with a gap, the pre-gap horizon:
    the gap is progress, not horizon) or the fit's singularity, where the horizon no longer
    means anything in their model."""
    _, target, t0, _, safe_a0, exponential = _horizon_fit(draw, anchor)
    doublings = (progress - anchor.progress) / t0
    base = 1.0 - safe_a0 * doublings  # not positive: past the fit's singularity (A0 > 0)
    power = np.log(2.0) / jnp.log(1.0 - safe_a0)  # or before its start (A0 < 0)
    decaying = jnp.where(base > 0, draw.present_horizon * jnp.abs(base) ** power, jnp.nan)
    h = jnp.where(exponential, draw.present_horizon * 2.0**doublings, decaying)
    within = h <= target * (1.0 + 1e-9)  # (at AC itself, to rounding)
    return jnp.where(jnp.isfinite(h) & within & (t0 > 0), h, jnp.nan)


def present_automation(draw: Draw, anchor: HumanOnly, ac_progress: Scalar, theta: Scalar,
                       tail_eps: Scalar, asymptote: Scalar | None = None) -> Scalar:  # fmt: skip
    """Their ``solve_lower_anchor_via_automation_model``: the automation fraction at present
    progress whose schedule (to 1 - 1e-9 at AC) makes present coding labour the sampled SWE
    multiplier^penalty times human-only labour. A root by bisection over (1e-9, 1 - 1e-9);
    without a sign change, the end nearer the target (where their bounded minimisation of
    |error| ends). The schedule is linear, or logistic with ``asymptote``."""
    pp, lo_a, hi_a = draw.parallel_penalty, coding.CLIP_A, 1.0 - coding.CLIP_A
    target = draw.swe_multiplier_at_present_day**pp
    baseline = anchor.humans**pp
    log_e = LN10 * anchor.progress

    def error(a: Array) -> Array:
        a = jnp.clip(a, lo_a, hi_a)
        f = coding.schedule_frontier(anchor.progress, a, ac_progress, hi_a,
                                     draw.rho_coding_labor, theta, tail_eps, asymptote)  # fmt: skip
        labor = coding.coding_labor(f, anchor.humans, anchor.compute, log_e) ** pp
        ratio = jnp.where(jnp.isfinite(labor) & (labor > 0), labor / baseline, 0.0)
        return ratio - target

    # Their brentq needs a sign change between the ends; where there is none (the schedule
    # is flat as a -> 1, so the labour falls back to the humans') their bounded
    # minimisation of |error| finds the interior root. Here: the first sign change on a
    # coarse grid of fractions, then bisection inside it; no sign change at all, the grid
    # point of smallest |error|.
    dtype = anchor.progress.dtype
    grid = lo_a + (hi_a - lo_a) * jnp.linspace(0.0, 1.0, SCAN_POINTS, dtype=dtype)
    # (the logistic schedule's frontier is tables of 4096 nodes: one fraction at a time, not
    # 33 sets of tables per draw at once)
    errors = jax.vmap(error)(grid) if asymptote is None else jax.lax.map(error, grid)
    change = (errors[:-1] > 0) != (errors[1:] > 0)
    k = jnp.argmax(change)
    lo, hi = grid[k], grid[k + 1]
    f_lo = errors[k]

    def halve(bounds, _):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        same = (error(mid) > 0) == (f_lo > 0)
        return (jnp.where(same, mid, lo), jnp.where(same, hi, mid)), None

    (lo_r, hi_r), _ = jax.lax.scan(halve, (lo, hi), None, length=AUTOMATION_STEPS)
    nearest = grid[jnp.argmin(jnp.where(jnp.isfinite(errors), jnp.abs(errors), jnp.inf))]
    return jnp.where(jnp.any(change), 0.5 * (lo_r + hi_r), nearest)


class Model(NamedTuple):
    """Everything the trajectory needs, from the per-draw calibration."""

    inputs: Inputs
    cap: Capacity
    anchor: HumanOnly
    taste: taste_.Taste
    frontier: coding.Frontier
    parallel_penalty: Scalar
    taste_slope: Scalar  # SDs per OOM
    taste_offset: Scalar  # SDs at progress 0
    ac_progress: Scalar
    automation_now: Scalar  # the present automation fraction (their lower anchor)
    initial_stock: Scalar
    asymptote: Scalar | None = None  # the logistic schedule's; None: the linear schedule


def ai_taste(m: Model, progress: Array) -> Array:
    """The AI's research taste at ``progress``: the taste at slope x P + offset SDs."""
    sd = jnp.minimum(m.taste_slope * progress + m.taste_offset, MAX_SD)
    return jnp.clip(taste_.taste_at_sd(sd, m.taste), 0.0, TASTE_MAX)


def calibrate(
    draw: Draw,
    series: Series,
    times: Array,
    distribution: taste_.Taste | None = None,
    logistic: bool = False,
) -> Model:
    """Every per-draw step their ``compute_progress_trajectory`` takes before integrating
    (the taste distribution fitted here unless given), with their linear automation
    schedule or (``logistic``) their logistic one."""
    asymptote = draw.automation_logistic_asymptote if logistic else None
    growth = jnp.where(series.time < draw.slowdown_year,
                       draw.constant_training_compute_growth_rate,
                       draw.post_slowdown_training_compute_growth_rate)  # fmt: skip
    inputs = Inputs(series, growth)
    cap = capacity(draw, inputs)
    anchor = human_only(draw, inputs, cap, times)
    ac_progress = progress_at_ac(draw, anchor)
    pp = jnp.clip(draw.parallel_penalty, 0.0, 1.0)
    theta = draw.coding_automation_efficiency_slope ** (0.5 / pp) / anchor.rate
    taste_slope = draw.ai_research_taste_slope / anchor.rate
    taste_offset = draw.ai_research_taste_at_coding_automation_anchor_sd - taste_slope * ac_progress
    tail_eps = coding.tail_epsilon(draw.max_serial_coding_labor_multiplier, pp,
                                   draw.rho_coding_labor)  # fmt: skip
    draw = draw._replace(parallel_penalty=pp)
    automation_now = present_automation(draw, anchor, ac_progress, theta, tail_eps, asymptote)
    frontier = coding.schedule_frontier(anchor.progress, automation_now, ac_progress, 1.0,
                                        draw.rho_coding_labor, theta, tail_eps,
                                        asymptote)  # fmt: skip
    if asymptote is None:  # the logistic's is a table already
        frontier = coding.tabulated(frontier)
    if distribution is None:
        distribution = taste_.fit(draw.median_to_top_taste_multiplier, draw.taste_limit,
                                  draw.taste_limit_smoothing)  # fmt: skip
    partial = Model(inputs, cap, anchor, distribution, frontier, pp, taste_slope, taste_offset,
                    ac_progress, automation_now, anchor.stock, asymptote)  # fmt: skip

    # RS(0) of the full model: their simple CES of labour at the schedule's automation at
    # P = 0 (not the optimal CES the trajectory uses), and the aggregate taste there.
    automation0 = coding.automation_fraction(0.0, anchor.progress, automation_now, ac_progress,
                                             1.0, asymptote)  # fmt: skip
    taste0 = taste_.mean_with_floor(ai_taste(partial, jnp.zeros_like(ac_progress)), distribution)

    def effort(dt: float) -> Array:
        humans, compute, experiment, _ = inputs.at(times[0] + dt)
        labor = coding.simple_coding_labor(automation0, compute, humans, draw.rho_coding_labor)
        return research_effort(experiment, labor**pp, cap, taste0)

    return partial._replace(initial_stock=initial_stock(effort))

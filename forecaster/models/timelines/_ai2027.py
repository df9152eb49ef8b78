"""AI 2027's time-horizon-extension timelines (Lifland et al. 2025), in full, per draw.

Both methods of their ``simple_forecasting_timelines.py`` (the April 2025 original and the
May 2025 update) have two parts:

1. **Base time** B [months]: the time-horizon trend alone, plus the cost-and-speed
   adjustment. From the current horizon h0 (15 minutes, in work-months of 167 hours) to the
   horizon of a superhuman coder h_SC, n = log2(h_SC / h0) doublings (negative when h_SC
   is below h0: their code keeps the sign), the first taking T months. Exponential: n T.
   Superexponential: each doubling (1 - d) times the one before, T (1 - (1 - d)^n) / d.
   Subexponential: (1 + g) times, T ((1 + g)^n - 1) / g. The May update makes growth
   superexponential only from a horizon drawn from a schedule (exponential before), with d
   drawn per draw. B = growth time + cost_speed (May: 0 when not finite, and at least 0).
2. **Calendar time** to make B months of progress, from "now" less the announcement delay
   (internal capabilities lead public ones), at a rate that rises with the progress already
   made (the AI R&D multiplier interpolates exponentially from the present one to the one
   at SC: v = a (b / a)^(P / B), a = 1 + present, b = 1 + SC), capped at ``max_year``:

   - April: dP/dt = 12 (v' + c) / 2 months a year, c the compute rate (1, then 0.5 from
     2029) and v' = v, from 2029 sqrt(0.5 v (v - 0.5)) (human algorithmic progress slows);
   - May: dP/dt = 12 (s R + (1 - s) c), s the software share, c the compute schedule and R
     the growth of a research stock S fed by a labour pool L growing on its schedule:
     dS/dt = (366 / 250) ((L + 1)^0.3 - 1) v, and R = ln(1 + q / S) / ln(1 + q1 / S0) with
     q = ((L + 1)^0.3 - 1) v / 250 (their daily growth, relative to the first day's).

Their code steps one day at a time (Euler, 366 steps a year); here the same equations are
integrated by classical RK4 with progress as the clock (dt/dP = 1 / rate: the rate grows
fast near B, where time steps would overshoot, while progress ends at B exactly), 32 steps
over B, each step ending at the next year where a rate jumps so that none straddles one.
Pure JAX over a batch.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import jax
import jax.numpy as jnp

from .._rk4 import rk4_step

_PROGRESS_STEPS = 32  # RK4 steps over B (the smooth part; jumps get steps of their own)
_STEPS_PER_BREAK = 3
_BREAK_TOLERANCE_YEARS = 3e-4  # a step ending this close before a jump (2.6 h) is put on it
_DAYS_PER_YEAR = 366.0  # their step: dt = 1 day = 1/30.5 months, time += 1/366 years
_WORK_DAYS = 250.0  # their labour and research growth are per 250 working days


@dataclasses.dataclass(frozen=True)
class AI2027Settings:
    """The fixed settings of either method (static: a jit cache key).

    Attributes:
        method: ``ai2027_april2025`` or ``ai2027_may2025``.
        now: their "now" [decimal year] (April: 2025.25; May: pinned to 2025-05-08).
        max_year: the cap on the SC date (April 2050, May 2065).
        p_superexponential: April: P(superexponential) (the pick below it).
        p_subexponential: P(subexponential) (April: next in the pick; May: pick > 1 - p).
        decay: April's fixed d (each doubling 10% easier).
        growth: g of subexponential growth (each doubling 10% harder).
        superexponential_schedule: May: ((horizon in months, cumulative probability), ...):
            superexponential from the first horizon whose probability exceeds the pick.
        compute_schedule: ((year, compute rate), ...), 1 before the first year.
        human_slowdown_year: April: from this year v' = sqrt(0.5 v (v - 0.5)).
        labor_growth_schedule: May: ((year, annual growth), ...), 0.5 before the first.
        labor_pool, labor_power, research_stock: May: L0, the 0.3 and S0.
    """

    method: str
    now: float
    max_year: float
    p_superexponential: float = 0.0
    p_subexponential: float = 0.0
    decay: float = 0.1
    growth: float = 0.1
    superexponential_schedule: tuple[tuple[float, float], ...] = ()
    compute_schedule: tuple[tuple[float, float], ...] = ()
    human_slowdown_year: float = math.inf
    labor_growth_schedule: tuple[tuple[float, float], ...] = ()
    labor_pool: float = 1000.0
    labor_power: float = 0.3
    research_stock: float = 50.0


def _schedule(t: jax.Array, schedule: tuple[tuple[float, float], ...], before: float):
    """A step function of the year: ``before`` until the first year, then each rate from its
    year on (their loop: the last entry whose year is <= t)."""
    value = jnp.full_like(t, before)
    for year, rate in schedule:
        value = jnp.where(t >= year, rate, value)
    return value


def base_months(settings: AI2027Settings, v: Mapping[str, jax.Array]) -> jax.Array:
    """B [months] per draw: the horizon trend's growth time plus the cost-and-speed time."""
    h0 = v["current_horizon_hours"] * 60.0 / (60.0 * 167.0)  # their 15 min / (60 * 167)
    n = jnp.log2(v["h_SC_months"] / h0)
    T = v["doubling_time_months"]
    pick = v["growth_pick"]
    grow = 1.0 + settings.growth
    slower = T * (grow**n - 1.0) / settings.growth
    if settings.method == "ai2027_april2025":
        faster = T * (1.0 - (1.0 - settings.decay) ** n) / settings.decay
        p_super, p_sub = settings.p_superexponential, settings.p_subexponential
        growth = jnp.where(pick < p_super, faster, jnp.where(pick < p_super + p_sub, slower, n * T))
        return growth + v["cost_speed_months"]
    sub = pick > 1.0 - settings.p_subexponential
    start = jnp.full_like(n, jnp.inf)  # the horizon [months] superexponential growth starts
    for horizon, probability in reversed(settings.superexponential_schedule):
        start = jnp.where(pick < probability, horizon, start)
    n_before = jnp.minimum(jnp.log2(start / h0), n)
    d = v["se_doubling_decay_fraction"]
    n_after = n - n_before
    after = T * (1.0 - (1.0 - d) ** n_after) / d
    mixed = n_before * T + jnp.where(n_after > 0, after, 0.0)
    growth = jnp.where(sub, slower, jnp.where(jnp.isfinite(start), mixed, n * T))
    total = growth + v["cost_speed_months"]
    return jnp.maximum(jnp.where(jnp.isfinite(total), total, 0.0), 0.0)


def _rates(settings: AI2027Settings, v: Mapping[str, jax.Array], base: jax.Array, t0):
    """(dP/dt [months a year], dS/dt) as a function of (t, P, S) for a batch of draws."""
    a = 1.0 + v["present_prog_multiplier"]
    b = 1.0 + v["SC_prog_multiplier"]
    k = jnp.log(b / a) / jnp.where(base > 0, base, 1.0)

    def multiplier(P):
        return a * jnp.exp(k * P)

    if settings.method == "ai2027_april2025":

        def rates(t, P, S):
            m = multiplier(P)
            slowed = jnp.sqrt(jnp.maximum(0.5 * m * (m - 0.5), 0.0))
            m = jnp.where(t >= settings.human_slowdown_year, slowed, m)
            c = _schedule(t, settings.compute_schedule, 1.0)
            return 12.0 * (m + c) / 2.0, jnp.zeros_like(S)

        return rates

    share = v["initial_software_progress_share"]
    growth0 = _schedule(t0, settings.labor_growth_schedule, 0.5)
    labor1 = settings.labor_pool * (1.0 + growth0) ** (1.0 / _WORK_DAYS)  # after day one
    power = settings.labor_power
    first = ((labor1 + 1.0) ** power - 1.0) * a / _WORK_DAYS
    baseline = jnp.log1p(first / settings.research_stock)
    log_labour_at = _log_labour(settings, t0)

    def rates(t, P, S):
        m = multiplier(P)
        # Their step grows the pool first and feeds research with the grown pool: L a day on.
        labour = jnp.exp(log_labour_at(t + 1.0 / _DAYS_PER_YEAR))
        feed = (jnp.exp(power * jnp.log1p(labour)) - 1.0) * m
        ratio = jnp.log1p(feed / _WORK_DAYS / S) / baseline
        c = _schedule(t, settings.compute_schedule, 1.0)
        dP = 12.0 * (share * ratio + (1.0 - share) * c)
        return dP, (_DAYS_PER_YEAR / _WORK_DAYS) * feed

    return rates


def _log_labour(settings: AI2027Settings, t0: jax.Array):
    """ln L(t): L0 at each draw's start t0, growing (1 + g)^(1/250) a day, 366 days a year,
    g on its schedule (0.5 before its first year): exact, piecewise exponential."""
    edges = [year for year, _ in settings.labor_growth_schedule]
    rates = [0.5] + [rate for _, rate in settings.labor_growth_schedule]
    per_year = [(_DAYS_PER_YEAR / _WORK_DAYS) * math.log1p(r) for r in rates]

    def grown(t):  # the integral of the log growth rate from the first edge (or 0) to t
        first = edges[0] if edges else 0.0
        total = per_year[0] * (jnp.minimum(t, first) - first)
        for j, lo in enumerate(edges):
            hi = edges[j + 1] if j + 1 < len(edges) else math.inf
            total = total + per_year[j + 1] * (jnp.clip(t, lo, hi) - lo)
        return total

    start = math.log(settings.labor_pool) - grown(t0)
    return lambda t: start + grown(t)


def _breaks(settings: AI2027Settings) -> tuple[float, ...]:
    """The years where a rate jumps (schedules, the human slowdown), sorted."""
    years = {year for year, _ in settings.compute_schedule}
    years |= {year for year, _ in settings.labor_growth_schedule}
    if math.isfinite(settings.human_slowdown_year):
        years.add(settings.human_slowdown_year)
    return tuple(sorted(years))


def sc_years(settings: AI2027Settings, v: Mapping[str, jax.Array]) -> jax.Array:
    """The decimal year of the superhuman coder per draw (capped at ``max_year``)."""
    base = base_months(settings, v)
    t0 = settings.now - v["announcement_delay_months"] / 12.0
    rates = _rates(settings, v, base, t0)
    breaks = _breaks(settings)

    def slopes(P, t, S):  # dt/dP and dS/dP: progress is the clock (it ends at B exactly)
        # Past max_year the date is capped whatever it is: the rates are held there, which
        # keeps a labour pool growing for centuries from overflowing.
        dP, dS = rates(jnp.minimum(t, settings.max_year + 1.0), jnp.minimum(P, base), S)
        return 1.0 / dP, dS / dP

    def rk4(P, t, S, h):
        (t_next, S_next), _ = rk4_step(lambda p, y: slopes(p, *y), P, (t, S), h)
        return t_next, S_next

    full = jnp.maximum(base, 0.0) / _PROGRESS_STEPS

    def step(carry, _):
        P, t, S = carry
        # A step ends at the next year where a rate jumps (estimated at the present rate), so
        # no step straddles one: RK4 keeps its order across the schedules' jumps. A step that
        # ended just short of a jump (within the tolerance) is moved onto it, so the next one
        # starts in the new regime.
        upcoming = jnp.full_like(t, jnp.inf)
        for year in reversed(breaks):
            t = jnp.where((t < year) & (t >= year - _BREAK_TOLERANCE_YEARS), year, t)
            upcoming = jnp.where(t < year, year, upcoming)
        dt_dP, _ = slopes(P, t, S)
        to_break = (upcoming - t) / dt_dP
        h = jnp.maximum(jnp.minimum(jnp.minimum(full, base - P), to_break), 0.0)
        t_next, S_next = rk4(P, t, S, h)
        # The rate can fall along a step (the May stock grows), so the estimate may carry a
        # step past the jump: such a step is redone, shortened in proportion to land before it.
        past = t_next > upcoming
        shorter = h * jnp.where(past, 0.98 * (upcoming - t) / (t_next - t), 1.0)
        t_short, S_short = rk4(P, t, S, shorter)
        t_next = jnp.where(past, t_short, t_next)
        S_next = jnp.where(past, S_short, S_next)
        return (P + jnp.where(past, shorter, h), t_next, S_next), None

    length = _PROGRESS_STEPS + _STEPS_PER_BREAK * len(breaks)
    init = (jnp.zeros_like(base), t0, jnp.full_like(base, settings.research_stock))
    (P, t, S), _ = jax.lax.scan(step, init, None, length=length)
    t_end, _ = rk4(P, t, S, jnp.maximum(base - P, 0.0))  # whatever is left (normally none)
    year = jnp.where(base <= 0, t0, t_end)
    return jnp.minimum(year, settings.max_year)

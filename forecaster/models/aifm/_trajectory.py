"""A calibrated draw's trajectory of the AI Futures Model on their 0.1-year grid.

Their integrator is SciPy's Radau (rtol 1e-3) sampled on a 0.1-year grid; here adaptive
Dormand-Prince steps (``_ode``: local error 1e-8, and 1e-6 years along the flow) fill the
same grid, one draw at a time (``trajectory``) or a block of draws side by side in lanes
(``integrate_many``), each draw's numbers the same either way.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from . import _coding as coding
from . import _taste as taste_
from ._calibration import CAP, LN10, MAX_SD, Model, Series, ai_taste, research_effort
from ._ode import dopri5_on_grid, dopri5_pool

TOLERANCE = 1e-8  # the local error of a trajectory step (relative and absolute)
TIME_TOLERANCE = 1e-6  # years: the error along the flow, as a shift in time (see _ode)
FIRST_STEP = 0.01  # years
MAX_STEPS = 1_000  # steps of a trajectory (accepted or rejected); beyond, the draw fails (the
# most of 65,536 draws of aifm_dec2025 that finished: 321; a draw float64 cannot resolve
# stands still instead, see ``rates``)


def rates(m: Model, t: Array, y: Array) -> Array:
    """[dP/dt, d ln RS/dt] at time t (y = [P, ln RS]): their ``progress_rate_at_time``
    inside their bounded ODE function (progress and stock capped, invalid rates 0). The
    stock is integrated in logs: it grows by orders of magnitude in a takeoff."""
    progress = jnp.minimum(y[0], CAP)
    stock = jnp.minimum(jnp.exp(y[1]), CAP)
    # (a draw float64 cannot resolve stands still: a few growing steps, then it is failed)
    humans, compute, experiment, growth = m.inputs.at(t)
    aggregate = taste_.mean_with_floor(ai_taste(m, progress), m.taste)
    labor = coding.coding_labor(m.frontier, humans, compute, LN10 * progress)
    serial = labor**m.parallel_penalty
    effort = research_effort(experiment, serial, m.cap, aggregate)
    software = m.anchor.r_software * effort / stock / LN10
    rate = jnp.minimum(software + growth, CAP)
    ok = (jnp.isfinite(serial) & (serial >= 0) & jnp.isfinite(effort) & (effort >= 0)
          & jnp.isfinite(software) & (software >= 0) & jnp.isfinite(rate)
          & coding.resolvable(m.frontier))  # fmt: skip

    return jnp.where(ok, jnp.stack([rate, effort / stock]), 0.0)


class Trajectory(NamedTuple):
    """A draw's trajectory on the grid and the metrics their milestones read."""

    times: Float[Array, " grid"]
    progress: Float[Array, " grid"]
    stock: Float[Array, " grid"]
    # their recorded ai_research_taste_sd: 0 where -inf or NaN, as theirs; where AI taste is
    # at the distribution's limit (+inf SDs), their SD cap MAX_SD, where their code records 0
    # when float64 rounds the taste up to the limit and otherwise a finite rounding residue
    # (their draw 26 of the Daniel config: SD 580.9 from 2033.1 on); so a milestone whose
    # SD the taste passes on its way to the limit is reached, as the model means it
    taste_sd: Float[Array, " grid"]
    coding_multiplier: Float[Array, " grid"]  # ai_coding_labor_mult_ref_present_day
    software_multiplier: Float[Array, " grid"]  # ai_sw_progress_mult_ref_present_day
    automation: Float[Array, " grid"]
    labor_ok: Array  # bool: coding labour finite at every grid point


def trajectory(m: Model, times: Array, tolerance: float = TOLERANCE) -> Trajectory:
    """The trajectory on the grid, by adaptive steps to ``tolerance`` that never pass an
    input year (the kinks of the input series)."""
    y, finished, _ = dopri5_on_grid(lambda t, y: rates(m, t, y), start(m), times,
                                    m.inputs.series.time, tolerance, FIRST_STEP, MAX_STEPS,
                                    TIME_TOLERANCE)  # fmt: skip
    return on_grid(m, times, y, finished)


def start(m: Model) -> Float[Array, " 2"]:
    """The trajectory's initial state [P, ln RS]."""
    return jnp.stack([jnp.zeros_like(m.initial_stock), jnp.log(m.initial_stock)])


def on_grid(m: Model, times: Array, y: Float[Array, "grid 2"], finished: Array) -> Trajectory:
    """The trajectory from its state on the grid (``finished``: the integration reached
    the grid's end)."""
    progress, stock = y[:, 0], jnp.exp(y[:, 1])

    def metrics(t: Array, p: Array):
        humans, compute, _, _ = m.inputs.at(t)
        taste = ai_taste(m, p)
        sd = taste_.sd_of_taste(taste, m.taste)
        aggregate = taste_.mean_with_floor(taste, m.taste)
        labor = coding.coding_labor(m.frontier, humans, compute, LN10 * p)
        a = m.anchor
        labor_now = coding.coding_labor(m.frontier, a.humans, a.compute, LN10 * p)
        coding_mult = jnp.where(jnp.maximum(0.0, labor - humans) > 0, labor_now / a.humans, 1.0)
        effort_now = research_effort(a.experiment, labor_now**m.parallel_penalty, m.cap,
                                     aggregate)  # fmt: skip
        software_now = a.r_software * effort_now / a.stock / LN10
        software_mult = jnp.where(a.software_rate > 0, software_now / a.software_rate, 0.0)
        automation = coding.automation_fraction(p, a.progress, m.automation_now,
                                                m.ac_progress, 1.0, m.asymptote)  # fmt: skip

        def finite(x: Array) -> Array:
            return jnp.where(jnp.isfinite(x), x, 0.0)

        ok = jnp.isfinite(labor) & jnp.isfinite(labor_now)
        # Taste at its limit is above every SD: their SD cap, not their 0 for +inf (see
        # Trajectory.taste_sd)
        sd = jnp.where(sd == jnp.inf, MAX_SD, finite(sd))
        return sd, finite(coding_mult), finite(software_mult), automation, ok

    sd, coding_mult, software_mult, automation, ok = jax.vmap(metrics)(times, progress)
    return Trajectory(times, progress, stock, sd, coding_mult, software_mult, automation,
                      jnp.all(ok) & finished)  # fmt: skip


def integrate_many(models: Model, series: Series, times: Array, tolerance: float,
                   lanes: int) -> Trajectory:  # fmt: skip
    """:func:`trajectory` for calibrated draws with a leading axis (each draw's numbers the
    same): ``lanes`` trajectories step side by side, each lane taking the next draw when its
    own is done (``_ode.dopri5_pool``; the caller sizes the lanes to its block)."""
    # The lanes carry each draw's scalars; what is large or the same for every draw (the
    # ln F tables, the input series) stays where it is, each lane reading its draw's row.
    frontier = models.frontier
    lean = models._replace(
        inputs=models.inputs._replace(series=None),
        frontier=frontier._replace(**dict.fromkeys(coding.TABLES),
                                   row=jnp.arange(frontier.rho.shape[0])),
    )  # fmt: skip

    def full(m: Model) -> Model:
        tables = {name: getattr(frontier, name) for name in coding.TABLES}
        return m._replace(inputs=m.inputs._replace(series=series),
                          frontier=m.frontier._replace(**tables))  # fmt: skip

    y, finished, _ = dopri5_pool(lambda m, t, y: rates(full(m), t, y), lean,
                                 jax.vmap(start)(models), times, series.time, tolerance,
                                 FIRST_STEP, MAX_STEPS, TIME_TOLERANCE, lanes)  # fmt: skip
    return jax.vmap(lambda m, y, done: on_grid(m, times, y, done))(models, y, finished)

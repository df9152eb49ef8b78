"""One draw's path as their site plots it (``forecaster trajectory``): the coding time
horizon, effective and training compute, the automation fraction, software efficiency and
its growth, the AI R&D and coding uplifts and the AI's research taste, on the 0.1-year grid.

Their progress P is effective compute in orders of magnitude: the training compute (the
integral of its growth, OOMs a year from their input series and the slowdown) plus
software efficiency (the integral of the software rate). Here both are counted from the
grid's first year."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ._calibration import MAX_SD, Draw, Model, horizon
from ._trajectory import Trajectory, rates

#: The path's columns, in order (``year`` the time axis), with their meaning.
COLUMNS = {
    "year": "calendar year",
    "progress": "effective compute, OOMs since the first year (their progress)",
    "training_compute": "training compute, OOMs since the first year",
    "software_efficiency": "software efficiency, OOMs since the first year",
    "software_efficiency_growth": "software efficiency's growth, OOMs a year",
    "time_horizon_minutes": "the coding time horizon, minutes (to the AC horizon)",
    "automation_fraction": "the fraction of coding tasks automated",
    "ai_rnd_uplift": "AI R&D uplift: the software rate over its human-only rate today",
    "coding_uplift": "the coding labour multiplier over present human coders",
    "research_taste_sd": "the AI's research taste, SDs of humans' (inf: at its limit)",
}


def training_compute(
    m: Model, times: Float[Array, " grid"]
) -> tuple[Float[Array, " grid"], Float[Array, " grid"]]:
    """Training compute (OOMs since the grid's first year) and its growth (OOMs a year) on
    the grid: the growth is linear between input years on the grid, so the trapezoid rule
    is exact."""
    growth = jax.vmap(lambda s: m.inputs.at(s)[3])(times)
    steps = 0.5 * (growth[1:] + growth[:-1]) * jnp.diff(times)
    return jnp.concatenate([jnp.zeros((1,), times.dtype), jnp.cumsum(steps)]), growth


def software_efficiency(m: Model, tr: Trajectory) -> Float[Array, " grid"]:
    """Software efficiency (OOMs since the grid's first year): progress less training
    compute."""
    return tr.progress - training_compute(m, tr.times)[0]


def path(m: Model, draw: Draw, tr: Trajectory) -> dict[str, Float[Array, " grid"]]:
    """The columns of :data:`COLUMNS` on the trajectory's grid."""
    t = tr.times
    training, growth = training_compute(m, t)
    state = jnp.stack([tr.progress, jnp.log(tr.stock)], axis=1)
    rate = jax.vmap(lambda s, y: rates(m, s, y)[0])(t, state)
    return {
        "year": t,
        "progress": tr.progress,
        "training_compute": training,
        "software_efficiency": tr.progress - training,
        "software_efficiency_growth": rate - growth,
        "time_horizon_minutes": horizon(draw, m.anchor, tr.progress),
        "automation_fraction": tr.automation,
        "ai_rnd_uplift": tr.software_multiplier,
        "coding_uplift": tr.coding_multiplier,
        "research_taste_sd": jnp.where(tr.taste_sd >= MAX_SD, jnp.inf, tr.taste_sd),
    }

"""One draw of the AI Futures Model, or a block of them: the per-draw calibration
(``_calibration``), the trajectory (``_trajectory``) and the milestones (``_milestones``),
as their code computes them (``progress_model.py`` of ``ai-futures-calculator``). A draw
their code would fail on (no AC progress, an invalid taste distribution, a non-finite
coding labour, more than MAX_STEPS steps) is flagged ``failed``, never dropped.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jaxtyping import Array

from . import _coding as coding
from . import _taste as taste_
from ._calibration import Draw, Model, Series, calibrate, grid_times
from ._milestones import MILESTONES, milestones
from ._trajectory import TOLERANCE, Trajectory, integrate_many, trajectory

__all__ = ["MILESTONES", "TOLERANCE", "Draw", "Series", "failed", "grid_times", "run",
           "run_many"]  # fmt: skip


def failed(m: Model, draw: Draw, tr: Trajectory) -> Array:
    """Where their code raises (the draw is lost there): no AC progress, an experiment
    capacity with rho 0, a taste distribution their checks refuse or that does not fit, a
    non-finite coding labour on the grid; and where float64 cannot resolve the coding
    labour (``coding.resolvable``: their code computes rounding noise there)."""
    limit = draw.median_to_top_taste_multiplier ** (1.0 + draw.taste_limit)
    bad_taste = ((draw.median_to_top_taste_multiplier <= 1) | (limit <= 1.0)
                 | (draw.taste_limit_smoothing <= 0) | (draw.taste_limit_smoothing >= 1)
                 | (draw.taste_limit < 0) | (m.taste.fit_residual > 1e-8))  # fmt: skip
    return (~jnp.isfinite(m.ac_progress) | (m.cap.rho == 0) | bad_taste | ~tr.labor_ok
            | ~jnp.isfinite(m.initial_stock) | ~coding.resolvable(m.frontier))  # fmt: skip


def run(draw: Draw, series: Series, times: Array, tolerance: float = TOLERANCE,
        logistic: bool = False):  # fmt: skip
    """One draw: (milestone dates by name, failed, the calibrated model, the trajectory);
    ``logistic``: their logistic automation schedule (else their linear one)."""
    m = calibrate(draw, series, times, logistic=logistic)
    tr = trajectory(m, times, tolerance)
    return milestones(m, draw, tr), failed(m, draw, tr), m, tr


def run_many(draws: Draw, series: Series, times: Array, tolerance: float, lanes: int,
             logistic: bool = False):  # fmt: skip
    """:func:`run` for draws with a leading axis (each draw's numbers the same): the
    trajectories integrated side by side in ``lanes`` (``_trajectory.integrate_many``)."""
    tastes = taste_.fit_many(draws.median_to_top_taste_multiplier, draws.taste_limit,
                             draws.taste_limit_smoothing)  # fmt: skip
    models = jax.vmap(lambda d, taste: calibrate(d, series, times, taste, logistic))(draws, tastes)
    trajectories = integrate_many(models, series, times, tolerance, lanes)

    def outcomes(m: Model, draw: Draw, tr: Trajectory):
        return milestones(m, draw, tr), failed(m, draw, tr)

    dates, bad = jax.vmap(outcomes)(models, draws, trajectories)
    return dates, bad, models, trajectories

"""The AI Futures Model's milestones, read from a trajectory on the grid by their rules
(``_find_exponential_crossing_time`` and their interpolation in ``progress_model.py``)."""

from __future__ import annotations

import jax.numpy as jnp
from jaxtyping import Array

from . import _taste as taste_
from ._calibration import Draw, Model
from ._trajectory import Trajectory

AI2027_SC_SERIAL = 10 * 30  # SERIAL_LABOR_MULT_EXTRA_FOR_AI2027_SC * 30

#: Milestones in their order, with their names (the AIR-Nx uplift milestones included).
MILESTONES = (
    "AC",
    "AI2027-SC",
    "AIR-5x",
    "AIR-25x",
    "AIR-250x",
    "AIR-2000x",
    "AIR-10000x",
    "SAR",
    "SIAR",
    "STRAT-AI",
    "TED-AI",
    "ASI",
)
UPLIFTS = {"AIR-5x": 5.0, "AIR-25x": 25.0, "AIR-250x": 250.0, "AIR-2000x": 2000.0,
           "AIR-10000x": 10000.0}  # fmt: skip


def crossing(times: Array, values: Array, target: Array) -> Array:
    """Their ``_find_exponential_crossing_time``: the first grid time the series reaches the
    target, log-interpolated in the interval (linearly unless both ends and the target are
    positive); NaN if never."""
    hit = values >= target
    j = jnp.argmax(hit)
    v0, v1 = values[jnp.maximum(j - 1, 0)], values[j]
    t0, t1 = times[jnp.maximum(j - 1, 0)], times[j]
    positive = (v0 > 0) & (v1 > 0) & (target > 0) & (v1 != v0)
    safe = jnp.where(positive, jnp.stack([v0, v1, target]), 1.0)
    log_frac = (jnp.log(safe[2]) - jnp.log(safe[0])) / (jnp.log(safe[1]) - jnp.log(safe[0]))
    lin_frac = (target - v0) / jnp.where(v1 != v0, v1 - v0, 1.0)
    frac = jnp.clip(jnp.where(positive, log_frac, lin_frac), 0.0, 1.0)
    inside = jnp.where(v1 != v0, t0 + frac * (t1 - t0), t1)
    ok = jnp.isfinite(v0) & jnp.isfinite(v1) & (t1 != t0)
    found = jnp.where(j == 0, times[0], jnp.where(ok, inside, jnp.nan))
    return jnp.where(jnp.any(hit) & jnp.isfinite(target), found, jnp.nan)


def _log_interp(x: Array, xs: Array, ys: Array) -> Array:
    """Their ``_log_interp``: in log space unless some value is <= 0."""
    positive = jnp.all(ys > 0)
    logged = jnp.exp(jnp.interp(x, xs, jnp.log(jnp.where(positive, ys, 1.0))))
    return jnp.where(positive, logged, jnp.interp(x, xs, ys))


def milestones(m: Model, draw: Draw, tr: Trajectory) -> dict[str, Array]:
    """Each milestone's date (NaN if not reached by the end of the grid), their rules."""
    times, progress = tr.times, tr.progress
    target = m.ac_progress
    passing = jnp.interp(target, progress, times)
    reached = progress[-1] >= target
    ac = jnp.where(reached, jnp.where(progress[0] >= target, times[0], passing), jnp.nan)
    near = jnp.interp(passing, times, progress) >= target - 1e-4  # their linear fallback
    ac = jnp.where(reached | ~near, ac, passing)
    has_ac = jnp.isfinite(ac)

    out = {"AC": ac}
    sc_target = AI2027_SC_SERIAL ** (1.0 / m.parallel_penalty) * 30.0
    out["AI2027-SC"] = crossing(times, tr.coding_multiplier, sc_target)
    for name, level in UPLIFTS.items():
        out[name] = crossing(times, tr.software_multiplier, jnp.asarray(level, times.dtype))
    top = taste_.TOP_SD

    def after_ac(t: Array) -> Array:
        return jnp.where(has_ac & jnp.isfinite(t), jnp.maximum(t, ac), jnp.nan)

    sar_free = crossing(times, tr.taste_sd, jnp.asarray(top, times.dtype))
    out["SAR"] = after_ac(sar_free)
    out["SIAR"] = after_ac(crossing(times, tr.taste_sd, jnp.asarray(3.0 * top, times.dtype)))
    out["STRAT-AI"] = crossing(times, tr.taste_sd, top * (1.0 + draw.strat_ai_m2b))
    early = jnp.isfinite(sar_free) & has_ac & (sar_free < ac)
    baseline = jnp.where(early, _log_interp(ac, times, tr.taste_sd), top)
    out["TED-AI"] = crossing(times, tr.taste_sd, baseline * (1.0 + draw.ted_ai_m2b))
    out["ASI"] = crossing(times, tr.taste_sd, baseline * (1.0 + draw.ted_ai_m2b + 2.0))
    return out

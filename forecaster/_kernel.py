"""The trajectory kernel: parameters in, per-draw outcomes out, vmapped and jit-compiled.

:class:`KernelSettings` holds everything static (shapes, grids, the integrator), so one
settings object compiles once per chunk shape and dtype.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

from ._integrate import Path, doublings_path, rk4_path
from ._model import Params, doublings_per_year_of_progress, initial_rate
from ._outcomes import (
    doublings_at_time,
    has_non_finite,
    max_progress_in_window,
    peak_rate,
    time_at_doublings,
)

INTEGRATORS: tuple[str, ...] = ("rk4", "doublings")


@dataclasses.dataclass(frozen=True)
class KernelSettings:
    """Static settings of the kernel (hashable: a jit cache key).

    Attributes:
        integrator: ``"rk4"`` (general law, fixed grid in x) or ``"doublings"`` (one doubling a
            step, Davidson & Houlden's rule).
        returns: ``"constant"`` or ``"linear_to_ceiling"``.
        steps: RK4 steps over the x grid.
        max_doublings: doubling cap (the grid's end without a ceiling; the stepper's steps).
        horizon_years: time horizon after automation [years].
        windows_years: window lengths w for the most progress in any window [years].
        progress_levels_years: progress levels whose reaching time is reported [years of
            progress].
        fan_times_years: times at which progress is reported for fan charts [years].
        accelerate_factor: k of the accelerated flag (peak rate >= k v0).
        stop_doubling_years: stop once a doubling would take longer than this [years].
        ceiling_tolerance: relative distance to D that counts as reaching the ceiling.
    """

    integrator: str = "rk4"
    returns: str = "linear_to_ceiling"
    steps: int = 256
    max_doublings: float = 200.0
    horizon_years: float = 20.0
    windows_years: tuple[float, ...] = (4 / 12, 1.0)
    progress_levels_years: tuple[float, ...] = (1.0, 3.0, 10.0)
    fan_times_years: tuple[float, ...] = ()
    accelerate_factor: float = 2.0
    stop_doubling_years: float = math.inf
    ceiling_tolerance: float = 0.02

    @property
    def smooth(self) -> bool:
        """Whether paths are smooth (RK4) or advance in whole doublings."""
        return self.integrator == "rk4"


OUTCOME_NAMES: tuple[str, ...] = (
    "max_progress_years",
    "peak_speedup",
    "time_to_progress_years",
    "progress_by_horizon_years",
    "reached_ceiling",
    "accelerated",
    "non_finite",
    "progress_at_times_years",
)


def trajectory(params: Params, settings: KernelSettings) -> Path:
    """Integrate one parameter set with the configured integrator."""
    if settings.integrator == "rk4":
        return rk4_path(
            params,
            settings.returns,
            settings.steps,
            settings.max_doublings,
            settings.horizon_years,
            settings.stop_doubling_years,
        )
    if settings.integrator == "doublings":
        return doublings_path(
            params,
            settings.returns,
            int(settings.max_doublings),
            settings.horizon_years,
            settings.stop_doubling_years,
        )
    raise ValueError(f"integrator={settings.integrator!r} is not allowed: one of {INTEGRATORS}")


def draw_outcomes(params: Params, settings: KernelSettings) -> dict[str, jax.Array]:
    """Outcomes of one draw (see ``OUTCOME_NAMES``), computed from its path."""
    path = trajectory(params, settings)
    smooth = settings.smooth
    horizon = settings.horizon_years
    per_year = doublings_per_year_of_progress(params)

    windows = jnp.stack(
        [max_progress_in_window(path, w, horizon, smooth) for w in settings.windows_years]
    ) if settings.windows_years else jnp.zeros((0,), params.f.dtype)
    levels = jnp.asarray(settings.progress_levels_years, params.f.dtype) * per_year
    times = jax.vmap(lambda level: time_at_doublings(path, level, smooth))(levels)
    times = jnp.where(times <= horizon, times, jnp.inf)
    by_horizon = doublings_at_time(path, jnp.asarray(horizon, params.f.dtype), smooth)
    fan = doublings_at_time(path, jnp.asarray(settings.fan_times_years, params.f.dtype), smooth)
    peak = peak_rate(path, horizon, smooth)

    if settings.returns == "linear_to_ceiling":
        ceiling = params.ceiling_doublings if smooth else jnp.floor(params.ceiling_doublings)
        reached_ceiling = by_horizon >= (1.0 - settings.ceiling_tolerance) * ceiling
    else:
        reached_ceiling = jnp.zeros((), bool)

    out = {
        "max_progress_years": windows / per_year,
        "peak_speedup": peak * params.Ts,
        "time_to_progress_years": times,
        "progress_by_horizon_years": by_horizon / per_year,
        "reached_ceiling": reached_ceiling,
        "accelerated": peak >= settings.accelerate_factor * initial_rate(params),
        "progress_at_times_years": fan / per_year,
    }
    nan_outcome = jnp.any(jnp.stack([jnp.any(jnp.isnan(v)) for v in out.values()]))
    out["non_finite"] = has_non_finite(path, horizon) | nan_outcome
    return out


@functools.lru_cache(maxsize=32)
def batched_outcomes(settings: KernelSettings) -> Callable[[Params], dict[str, jax.Array]]:
    """A jit-compiled function from a batch of parameters (leaves of shape [n]) to outcomes.

    Cached per settings, so a run compiles once per chunk shape and dtype.
    """
    return jax.jit(jax.vmap(functools.partial(draw_outcomes, settings=settings)))

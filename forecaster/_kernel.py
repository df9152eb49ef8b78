"""The trajectory kernel: parameters in, per-draw outcomes out, vmapped and jit-compiled.

:class:`KernelSettings` holds everything static (shapes, grids, the integrator), so one
settings object compiles once per chunk shape and dtype.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Shaped

from ._integrate import DoublingsOptions, Path, doublings_path, rk4_path
from ._ladder import Ladder, ladder_path, milestone_years
from ._model import (
    CEILING_RETURNS,
    Params,
    Returns,
    doublings_per_year_of_progress,
    initial_rate,
)
from ._outcomes import (
    doublings_at_time,
    fastest_time_to_gain,
    first_completion,
    has_non_finite,
    last_window_progress,
    max_progress_in_windows,
    most_whole_steps_in_windows,
    peak_rate,
    time_at_doublings,
)

CPU_BLOCK = 4096  # draws per CPU device per kernel call; chunks and shards are multiples
ACCELERATOR_BLOCK = 1 << 18  # the same on a GPU or TPU

Integrator = Literal["rk4", "doublings", "ladder"]
INTEGRATORS: tuple[Integrator, ...] = get_args(Integrator)


@dataclasses.dataclass(frozen=True)
class KernelSettings:
    """Static settings of the kernel (hashable: a jit cache key).

    Attributes:
        integrator: ``"rk4"`` (general law, fixed grid in x), ``"doublings"`` (one doubling a
            step, Davidson & Houlden's rule) or ``"ladder"`` (a milestone ladder, exact on the
            grid: x is years of human-only progress, Ts = s = 1, f the first speed-up).
        returns: ``"constant"``, ``"linear_to_ceiling"`` or ``"constant_to_ceiling"``.
        steps: RK4 steps over the x grid.
        max_doublings: doubling cap (the grid's end without a ceiling; the stepper's steps).
        horizon_years: time horizon after automation [years].
        windows_years: window lengths w for the most progress in any window [years].
        progress_levels_years: progress levels whose reaching time is reported [years of
            progress].
        fan_levels_years: progress levels [years of progress] whose reaching times feed the
            fan chart: P(progress at t >= y) = P(time to reach y <= t), read off their
            histograms, so the fan needs no search per draw.
        accelerate_factor: k of the accelerated flag (peak rate >= k v0).
        stop_doubling_years: stop once a doubling would take longer than this [years].
        doublings: Davidson & Houlden's model options for the doublings stepper.
        ceiling_tolerance: relative distance to D that counts as reaching the ceiling.
        full_automation: phi = 1 for every draw (the CES is skipped).
        autonomous: gC = gH = 0 for every draw, so v depends on x alone (RK4 runs as
            Simpson's rule over all steps at once).
        doublings_per_year: (1/Ts)/s when the same for every draw, which makes progress
            thresholds static shifts on the grid; None when Ts or s vary.
        event: (Y years, w years): also report when Y years of progress within w is first
            completed (``event_completion_years``), for calendar dates; None to skip.
        ladder: the milestones of ``integrator="ladder"`` (None otherwise).
    """

    integrator: Integrator = "rk4"
    returns: Returns = "linear_to_ceiling"
    steps: int = 256
    max_doublings: float = 200.0
    horizon_years: float = 20.0
    windows_years: tuple[float, ...] = (4 / 12, 1.0)
    progress_levels_years: tuple[float, ...] = (1.0, 3.0, 10.0)
    fan_levels_years: tuple[float, ...] = ()
    accelerate_factor: float = 2.0
    stop_doubling_years: float = math.inf
    doublings: DoublingsOptions = DoublingsOptions()
    ceiling_tolerance: float = 0.02
    full_automation: bool = False
    autonomous: bool = False
    doublings_per_year: float | None = None
    event: tuple[float, float] | None = None
    ladder: Ladder | None = None

    @property
    def smooth(self) -> bool:
        """Whether paths are smooth (RK4, a ladder) or advance in whole doublings."""
        return self.integrator != "doublings"

    @property
    def spacing(self) -> float:
        """Doublings between nodes of the grid."""
        return self.max_doublings / self.steps if self.smooth else 1.0


#: Outcomes by name (see ``OUTCOME_NAMES``): per draw, ``()`` or ``[levels]`` (one value per
#: progress level or window); a batch adds a leading ``[n]``.
Outcomes = dict[str, Shaped[Array, "..."]]

OUTCOME_NAMES: tuple[str, ...] = (
    "fastest_years_to_progress",
    "max_progress_years",
    "peak_speedup",
    "time_to_progress_years",
    "progress_by_horizon_years",
    "reached_ceiling",
    "accelerated",
    "non_finite",
    "time_to_fan_levels_years",
)


def trajectory(params: Params, settings: KernelSettings, gaps: jax.Array | None = None) -> Path:
    """Integrate one parameter set with the configured integrator (``gaps``: a ladder's
    per-draw gaps [K], human-only years)."""
    if settings.integrator == "ladder":
        if settings.ladder is None or gaps is None:
            raise ValueError("integrator='ladder' needs settings.ladder and the draw's gaps")
        h = settings.max_doublings / settings.steps
        x = jnp.arange(settings.steps + 1, dtype=params.f.dtype) * h
        return ladder_path(settings.ladder, gaps, x)
    if settings.integrator == "rk4":
        return rk4_path(
            params,
            settings.returns,
            settings.steps,
            settings.max_doublings,
            settings.horizon_years,
            settings.stop_doubling_years,
            settings.full_automation,
            settings.autonomous,
        )
    if settings.integrator == "doublings":
        return doublings_path(
            params,
            settings.returns,
            int(settings.max_doublings),
            settings.horizon_years,
            settings.stop_doubling_years,
            settings.doublings,
        )
    raise ValueError(f"integrator={settings.integrator!r} is not allowed: one of {INTEGRATORS}")


def draw_outcomes(
    params: Params, settings: KernelSettings, gaps: jax.Array | None = None
) -> Outcomes:
    """Outcomes of one draw (see ``OUTCOME_NAMES``), computed from its path.

    Progress is in years of pre-automation AI progress; times in years since automation.
    ``fastest_years_to_progress[Y]`` is the shortest time in which Y years of progress were
    made, so P(>= Y years within w) = P(fastest <= w) for every window w at once.
    """
    return path_outcomes(params, trajectory(params, settings, gaps), settings, gaps)


# Paths and outcomes run as two compiled programs, the paths written to memory in between.
# In one program XLA:CPU ran the outcomes 1.5-2x slower (measured on a 2-core CPU, JAX 0.10:
# D&H 460k vs 670k draws/s, decaying 144k vs 301k), whatever barrier was put between them
# (measured, see benchmarks/PROFILING.md; XLA's fusion and scheduling decide it, not the math).
def batch_paths(params: Params, settings: KernelSettings, gaps: jax.Array | None = None) -> Path:
    """The paths of a batch of draws (leaves of shape [n]; ``gaps`` [n, K]): [n, nodes]."""
    return jax.vmap(trajectory, in_axes=(0, None, 0))(params, settings, gaps)


def batch_path_outcomes(
    params: Params, paths: Path, settings: KernelSettings, gaps: jax.Array | None = None
) -> Outcomes:
    """:func:`path_outcomes` of a batch of draws and their paths."""
    return jax.vmap(path_outcomes, in_axes=(0, 0, None, 0))(params, paths, settings, gaps)


def path_outcomes(
    params: Params, path: Path, settings: KernelSettings, gaps: jax.Array | None = None
) -> Outcomes:
    """Outcomes of one draw from its parameters and its path (see :func:`draw_outcomes`).

    A ladder adds ``milestone_years`` [K]: the exact years from the start to each milestone
    after the first (not cut at the horizon); its reached_ceiling is reaching the last one
    within the horizon."""
    smooth, spacing = settings.smooth, settings.spacing
    horizon = settings.horizon_years
    dtype = params.f.dtype
    per_year = doublings_per_year_of_progress(params)
    static_per_year = settings.doublings_per_year

    def gain(years: float):
        return years * static_per_year if static_per_year is not None else years * per_year

    fastest = jnp.stack(
        [
            fastest_time_to_gain(path, gain(y), spacing, horizon, smooth)
            for y in settings.progress_levels_years
        ]
    )
    if not settings.windows_years:
        windows = jnp.zeros((0,), dtype)
    elif settings.ladder is not None and settings.ladder.rising:
        # The rate never falls: the last window is the best one (exact, no search).
        windows = last_window_progress(path, settings.windows_years, horizon)
    else:
        windows = max_progress_in_windows(path, settings.windows_years, spacing, horizon)

    def times_to(levels_years: tuple[float, ...]) -> jax.Array:
        if static_per_year is not None:  # grid positions known now: constant indices
            levels = np.asarray(levels_years, np.float64) * static_per_year
        else:
            levels = jnp.asarray(levels_years, dtype) * per_year
        times = time_at_doublings(path, levels.astype(dtype), spacing, smooth)
        return jnp.where(times <= horizon, times, jnp.inf)

    by_horizon = doublings_at_time(path, jnp.asarray(horizon, dtype))
    peak = peak_rate(path, horizon, smooth)

    milestones = None
    if settings.ladder is not None and gaps is not None:
        milestones = milestone_years(settings.ladder, gaps)
        reached_ceiling = milestones[-1] <= horizon
    elif settings.returns in CEILING_RETURNS:
        ceiling = params.ceiling_doublings
        reached_ceiling = by_horizon >= (1.0 - settings.ceiling_tolerance) * ceiling
    else:
        reached_ceiling = jnp.zeros((), bool)

    out = {
        "fastest_years_to_progress": fastest,
        "max_progress_years": windows / per_year,
        "peak_speedup": peak * params.Ts,
        "time_to_progress_years": times_to(settings.progress_levels_years),
        "progress_by_horizon_years": by_horizon / per_year,
        "reached_ceiling": reached_ceiling,
        "accelerated": peak >= settings.accelerate_factor * initial_rate(params),
        "time_to_fan_levels_years": times_to(settings.fan_levels_years),
    }
    if milestones is not None:
        out["milestone_years"] = milestones
    if not smooth and settings.windows_years:
        out["max_doublings_in_windows"] = most_whole_steps_in_windows(
            path, settings.windows_years, horizon
        )
    nan_outcome = jnp.any(jnp.stack([jnp.any(jnp.isnan(v)) for v in out.values()]))
    if settings.event is not None:
        years, window = settings.event
        out["event_completion_years"] = first_completion(
            path, gain(years), window, spacing, horizon, smooth
        )
    out["non_finite"] = has_non_finite(path, horizon) | nan_outcome
    return out


def static_features(fixed: Mapping[str, float | None]) -> dict[str, Any]:
    """Kernel specialisations allowed by parameters that are the same for every draw.

    ``fixed`` maps a parameter name to its value when fixed, None when it varies.
    """
    full = fixed.get("phi0") == 1.0 and fixed.get("phi_inf") == 1.0
    growth_fixed = fixed.get("gC") == 0.0 and fixed.get("gH") == 0.0
    ts, share = fixed.get("Ts"), fixed.get("software_share")
    return {
        "full_automation": full,
        "autonomous": growth_fixed,
        "doublings_per_year": None if ts is None or share is None else 1.0 / (ts * share),
    }


@functools.lru_cache(maxsize=32)
def batched_outcomes(settings: KernelSettings) -> Callable[..., Outcomes]:
    """A function from a batch of parameters (leaves of shape [n]; a ladder's gaps [n, K]
    too) to outcomes: two jit-compiled programs, the paths and then the outcomes (see
    :func:`batch_paths`).

    Cached per settings, so a run compiles once per chunk shape and dtype.
    """
    paths = jax.jit(functools.partial(batch_paths, settings=settings))
    outcomes = jax.jit(functools.partial(batch_path_outcomes, settings=settings))
    return lambda params, gaps=None: outcomes(params, paths(params, gaps=gaps), gaps=gaps)

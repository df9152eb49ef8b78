"""What every model on the doubling clock shares: a :class:`~._paths.Path` per draw and the
software-intelligence-explosion outcomes read off it (MODEL.md section 5).

A subclass (the general law, Davidson & Houlden's stepper, a milestone ladder) says how to
prepare and solve a draw and, through a few hooks, what its path means (the doublings in a
year of progress, the rate before automation, whether it reached its ceiling); the outcomes,
their declaration and their histograms are the same for all of them.
"""

from __future__ import annotations

import abc
import dataclasses
import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Bool, Float

from .._errors import ConfigError
from ._interface import (
    Common,
    Declared,
    Flag,
    Headline,
    Histogram,
    MilestoneSet,
    Model,
    Outcomes,
    ProgressGrid,
    Quantity,
    RunSettings,
)
from ._paths import (
    Path,
    doublings_at_time,
    fastest_time_to_gain,
    first_completion,
    has_non_finite,
    max_progress_in_windows,
    peak_rate,
    time_at_doublings,
    window_search,
)

_YEARS = Histogram(-6.0, 4.0, 1000)  # 1e-6 to 1e4 years, 0.01 in log10
_PROGRESS = Histogram(-4.0, 4.0, 800)

#: The continuous outcomes every path model declares (ranges wide enough for every preset;
#: values outside are counted, not lost).
PROGRESS_QUANTITIES: tuple[Quantity, ...] = (
    Quantity(
        "fastest_years_to_progress",
        "fastest time to make Y years of progress",
        "years",
        _YEARS,
        "progress",
    ),
    Quantity(
        "peak_speedup",
        "peak speed-up over the pre-automation rate",
        "x",
        Histogram(-3.0, 30.0, 3300),
    ),
    Quantity(
        "time_to_progress_years", "time to reach Y years of progress", "years", _YEARS, "progress"
    ),
    Quantity(
        "max_progress_years",
        "most progress within the window",
        "years of progress",
        _PROGRESS,
        "window",
    ),
    Quantity(
        "progress_by_horizon_years", "progress by the horizon", "years of progress", _PROGRESS
    ),
    Quantity(
        "time_to_fan_levels_years",
        "time to reach the fan chart's progress levels",
        "years",
        _YEARS,
        quantiles=False,
    ),
)
PROGRESS_FLAGS: tuple[Flag, ...] = (
    Flag("accelerated", "the growth rate reached k times its initial value"),
    Flag("reached_ceiling", "reached the effective limits within the horizon"),
)
FAN_LOWEST_YEARS = 0.05


@dataclasses.dataclass(frozen=True)
class ProgressModel(Model):
    """A model whose draws are paths on the doubling clock (abstract: see the hooks).

    Attributes:
        steps: steps over the x grid (a smooth path).
        max_doublings: the grid's end [doublings] (the stepper's number of steps).
        horizon_years: time horizon after automation [years].
        windows_years: window lengths w for the most progress in any window [years].
        progress_levels_years: progress levels [years of progress] for the grid and the
            reaching times.
        fan_levels_years: progress levels [years] whose reaching times make the fan chart.
        accelerate_factor: k of the accelerated flag (peak rate >= k v0).
        ceiling_tolerance: relative distance to D that counts as reaching the ceiling.
        doublings_per_year: (1/Ts)/s when the same for every draw (progress thresholds
            become static shifts on the grid); None when it varies.
        event: (Y years, w years): also report when Y years of progress within w is first
            completed (``event_completion_years``), for calendar dates; None to skip.
    """

    steps: int = 256
    max_doublings: float = 200.0
    horizon_years: float = 20.0
    windows_years: tuple[float, ...] = (4 / 12, 1.0)
    progress_levels_years: tuple[float, ...] = (1.0, 3.0, 10.0)
    fan_levels_years: tuple[float, ...] = ()
    accelerate_factor: float = 2.0
    ceiling_tolerance: float = 0.02
    doublings_per_year: float | None = None
    event: tuple[float, float] | None = None

    # -- hooks --------------------------------------------------------------------------------

    @property
    def smooth(self) -> bool:
        """Whether paths are smooth (interpolated between nodes) or whole doublings."""
        return True

    @property
    def spacing(self) -> float:
        """Doublings between nodes of the grid."""
        return self.max_doublings / self.steps if self.smooth else 1.0

    @abc.abstractmethod
    def per_year(self, params: Any) -> Float[Array, ""]:
        """Doublings in one year of pre-automation AI progress, (1/Ts)/s."""

    @abc.abstractmethod
    def initial_rate(self, params: Any) -> Float[Array, ""]:
        """The growth rate at automation, v0 [doublings/year]."""

    @abc.abstractmethod
    def pre_automation_time(self, params: Any) -> Float[Array, ""]:
        """The doubling time before automation, Ts [years]: peak speed-up = peak rate x Ts."""

    def reached_ceiling(
        self, params: Any, path: Path, by_horizon: Float[Array, ""]
    ) -> Bool[Array, ""]:
        """Whether the draw reached its limits within the horizon (default: it has none)."""
        return jnp.zeros((), bool)

    def window_progress(self, path: Path) -> tuple[Float[Array, " windows"], Any]:
        """The most doublings within each window (a search over every start) and, for paths
        of whole doublings, the most whole doublings made in less than each (else None)."""
        if self.smooth:
            progress = max_progress_in_windows(
                path, self.windows_years, self.spacing, self.horizon_years
            )
            return progress, None
        return window_search(path, self.windows_years, self.spacing, self.horizon_years)

    def extra_outcomes(self, params: Any, path: Path) -> Outcomes:
        """Outcomes of the model's own (declared in :meth:`outcomes`); one named like a common
        outcome replaces it (a ladder's ``reached_ceiling`` comes with its milestones)."""
        return {}

    def milestones(self) -> MilestoneSet | None:
        return None

    def returns_and_speedup(self, params: Any, path: Path) -> tuple[jax.Array, jax.Array]:
        """r and f at the nodes, for a trajectory's table (default: no returns; the speed-up
        is the rate)."""
        return jnp.full(path.x.shape, jnp.nan, path.x.dtype), path.rate

    def ceiling_years(self, params: Any) -> float:
        """The draw's limits in years of progress, for a trajectory's plot (inf: none)."""
        return math.inf

    def trajectory(self, params: Any, path: Path) -> dict[str, np.ndarray]:
        """One draw's path as columns, over the nodes reached within the horizon:
        ``t_years``, ``doublings``, ``progress_years`` (years of pre-automation AI progress),
        ``speedup`` (rate over the pre-automation rate), ``r``, ``f`` and ``growth_rate``
        (software's annualised continuous growth rate, ln 2 x doublings per year)."""
        t = np.asarray(path.t, dtype=float)
        keep = t <= self.horizon_years
        x = np.asarray(path.x, dtype=float)[keep]
        rate = np.asarray(path.rate, dtype=float)[keep]
        r, f = (np.asarray(v, dtype=float)[keep] for v in self.returns_and_speedup(params, path))
        return {
            "t_years": t[keep],
            "doublings": x,
            "progress_years": x / float(self.per_year(params)),
            "speedup": rate * float(self.pre_automation_time(params)),
            "r": r,
            "f": f,
            "growth_rate": np.log(2.0) * rate,
        }

    def stop_reason(self, params: Any, path: Path) -> tuple[str, str]:
        """Why one draw's path ends where it does, for a trajectory's plot: a code and plain
        words. The integrators report no reason, so it is read off the path: the last node
        reached within the horizon and what comes after it (a node past the horizon, never
        reached, or none: the grid's end) against the cut-offs of the model.

        Codes: ``non_finite``, ``horizon``, ``ceiling``, ``max_doublings`` (the grid's end),
        ``stalled`` (the rate fell to 0), and a model's own (:meth:`own_stop_reason`).
        Host-side (NumPy), one draw.
        """
        t = np.asarray(path.t, dtype=float)
        x = np.asarray(path.x, dtype=float)
        reached = np.nonzero(t <= self.horizon_years)[0]
        last = int(reached[-1]) if reached.size else 0
        if np.isnan(t).any() or np.isnan(np.asarray(path.rate, dtype=float)[: last + 1]).any():
            return "non_finite", "a non-finite value in the path"
        per_year = float(self.per_year(params))
        ceiling = self.ceiling_years(params)
        at_ceiling = math.isfinite(ceiling) and (
            x[last] / per_year >= (1.0 - self.ceiling_tolerance) * ceiling
            or (last + 1 < x.size and x[last + 1] / per_year > ceiling)
        )
        if last + 1 < x.size and math.isfinite(t[last + 1]):
            return "horizon", f"the horizon ({self.horizon_years:g} years)"
        if at_ceiling:
            return "ceiling", f"the ceiling ({ceiling:.3g} years of progress)"
        if last + 1 >= x.size:
            return "max_doublings", (
                f"the grid's end (max_doublings = {self.max_doublings:g} {self.grid_unit})"
            )
        own = self.own_stop_reason(params, path, last)
        if own is not None:
            return own
        return "stalled", "progress stalls (the growth rate falls to 0)"

    @property
    def grid_unit(self) -> str:
        """The unit of the grid's x, in words: doublings (a ladder's: years of progress)."""
        return "doublings"

    def own_stop_reason(self, params: Any, path: Path, last: int) -> tuple[str, str] | None:
        """A model's own cut-off that ended the path after node ``last`` (the last reached
        within the horizon; the next is never reached), or None (default: none)."""
        return None

    def headline(self) -> Headline:
        return Headline("progress", 3.0, 12.0)

    def common(self) -> Common:
        """Which outcomes answer the questions every model is compared on (default: the
        start is full automation of AI R&D; no superintelligence milestone)."""
        return Common()

    # -- the interface ------------------------------------------------------------------------

    def path_sample(self, solution: Path) -> dict[str, jax.Array]:
        return {"path_t": solution.t, "path_rate": solution.rate}

    def outcomes(self) -> Declared:
        per_year = self.doublings_per_year
        grid = ProgressGrid(
            self.windows_years,
            self.progress_levels_years,
            None if self.smooth else int(self.max_doublings),
            per_year,
            self.max_doublings / per_year if per_year else None,
        )
        return Declared(
            quantities=PROGRESS_QUANTITIES,
            flags=PROGRESS_FLAGS,
            grid=grid,
            milestones=self.milestones(),
            headline=self.headline(),
            common=self.common(),
            dated_event="event_completion_years" if self.event is not None else None,
            fan_levels_years=self.fan_levels_years,
            horizon_years=self.horizon_years,
        )

    def summarise(self, params: Any, solution: Path) -> Outcomes:
        """Outcomes of one draw from its parameters and its path.

        Progress is in years of pre-automation AI progress; times in years since automation.
        ``fastest_years_to_progress[Y]`` is the shortest time in which Y years of progress
        were made, so P(>= Y years within w) = P(fastest <= w) for every window w at once.
        """
        path = solution
        smooth, spacing = self.smooth, self.spacing
        horizon = self.horizon_years
        dtype = path.t.dtype
        per_year = self.per_year(params)
        static_per_year = self.doublings_per_year

        def gain(years: float):
            return years * static_per_year if static_per_year is not None else years * per_year

        fastest = jnp.stack(
            [
                fastest_time_to_gain(path, gain(y), spacing, horizon, smooth)
                for y in self.progress_levels_years
            ]
        )
        windows, whole_steps = jnp.zeros((0,), dtype), None
        if self.windows_years:
            searched = self.window_progress(path)
            if not isinstance(searched, tuple) or (not smooth and searched[1] is None):
                raise TypeError(
                    f"{type(self).__name__}.window_progress returns (progress, whole steps): "
                    "the whole steps an array for paths of whole doublings, else None"
                )
            windows, whole_steps = searched

        def times_to(levels_years: tuple[float, ...]) -> jax.Array:
            levels: Any
            if static_per_year is not None:  # grid positions known now: constant indices
                levels = np.asarray(levels_years, np.float64) * static_per_year
            else:
                levels = jnp.asarray(levels_years, dtype) * per_year
            times = time_at_doublings(path, levels.astype(dtype), spacing, smooth)
            return jnp.where(times <= horizon, times, jnp.inf)

        by_horizon = doublings_at_time(path, jnp.asarray(horizon, dtype))
        peak = peak_rate(path, horizon, smooth)
        extra = self.extra_outcomes(params, path)
        out = {
            "fastest_years_to_progress": fastest,
            "max_progress_years": windows / per_year,
            "peak_speedup": peak * self.pre_automation_time(params),
            "time_to_progress_years": times_to(self.progress_levels_years),
            "progress_by_horizon_years": by_horizon / per_year,
            "reached_ceiling": self.reached_ceiling(params, path, by_horizon),
            "accelerated": peak >= self.accelerate_factor * self.initial_rate(params),
            "time_to_fan_levels_years": times_to(self.fan_levels_years),
            **extra,
        }
        if whole_steps is not None:
            out["max_doublings_in_windows"] = whole_steps
        nan_outcome = jnp.any(jnp.stack([jnp.any(jnp.isnan(v)) for v in out.values()]))
        if self.event is not None:
            years, window = self.event
            out["event_completion_years"] = first_completion(
                path, gain(years), window, spacing, horizon, smooth
            )
        out["non_finite"] = has_non_finite(path, horizon) | nan_outcome
        return out


def with_fan_levels(model: ProgressModel, points: int) -> Any:
    """``model`` with the fan chart's progress levels: ``points`` log-spaced from 0.05 years
    to the most progress its grid holds (at its doublings a year, 8 when they vary)."""
    per_year = model.doublings_per_year or 8.0
    top = max(model.max_doublings / per_year, 2 * FAN_LOWEST_YEARS)
    levels = tuple(float(v) for v in np.geomspace(FAN_LOWEST_YEARS, top, points))
    return dataclasses.replace(model, fan_levels_years=levels)


def run_fields(run: RunSettings) -> dict[str, Any]:
    """A path model's fields from the run's settings."""
    return {
        "horizon_years": run.horizon_years,
        "windows_years": run.windows_years,
        "progress_levels_years": run.progress_years,
        "event": run.event,
    }


def check_grid(steps: Any, max_doublings: float, field: str = "scenario") -> None:
    """The grid's size and extent."""
    prefix = f"{field}." if field else ""
    if not isinstance(steps, int) or isinstance(steps, bool) or not 4 <= steps <= 100_000:
        raise ConfigError(f"{prefix}steps", steps, "an integer in [4, 100000]")
    if not 0 < max_doublings <= 100_000:
        raise ConfigError(f"{prefix}max_doublings", max_doublings, "a number in (0, 100000]")

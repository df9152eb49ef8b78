"""A milestone ladder as a :class:`~forecaster.models.Model` (AI 2027's takeoff and a user's
own): milestones with speed-ups, per-draw gaps, exact phase times (see :mod:`._ladder`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from ... import _validate as check
from ..._errors import ConfigError
from ..._priors import PriorSet
from .._interface import (
    Common,
    Headline,
    MilestoneSet,
    ParameterTable,
    RunSettings,
    scenario_priors,
)
from .._paths import Path, last_window_progress
from .._progress import ProgressModel, check_grid, run_fields, with_fan_levels
from ..general_law._model import ScenarioBase
from ._ladder import Ladder, ladder_path, milestone_years
from ._plan import LADDER_SETS, ladder_table, plan_ladder


@dataclasses.dataclass
class MilestoneLadderConfig(ScenarioBase):
    """A scenario of a milestone ladder (``model: milestone_ladder``)."""

    model: str = "milestone_ladder"
    steps: int = 256
    max_doublings: float = 256.0  # the progress grid's end [years of human-only progress]
    accelerate_factor: float = 2.0
    # The milestones in order, [{name, speedup}, ...] (see _plan).
    milestones: list[Any] = dataclasses.field(default_factory=list)
    # AI 2027's code: each phase at most phase_cap_years; under pandas < 3 a phase longer
    # than phase_overflow_years sends its milestone and all later ones to overflow_year (see
    # _ladder.Ladder). Milestone times only.
    phase_cap_years: Any = None
    phase_overflow_years: Any = None
    overflow_year: Any = None


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class LadderParams:
    """One draw of a ladder: its gaps [K] (human-only years) and what the ladder fixes (the
    first speed-up f, Ts = 1 year, software_share = 1, as the general law reads them)."""

    gaps: Float[Array, "*batch K"]
    f: Float[Array, "*batch"]
    Ts: Float[Array, "*batch"]
    software_share: Float[Array, "*batch"]


@dataclasses.dataclass(frozen=True)
class MilestoneLadder(ProgressModel):
    """Milestones with AI R&D speed-ups and per-draw gaps of human-only progress between them;
    within a gap the speed-up rises exponentially in progress. Progress is years of human-only
    progress (x), so a year of progress is one unit and the speed-up is the rate.

    Attributes (besides :class:`~forecaster.models._progress.ProgressModel`'s):
        ladder: the milestones (names, speed-ups, AI 2027's phase cap and overflow).
    """

    name: ClassVar[str] = "milestone_ladder"
    title: ClassVar[str] = "Milestone ladder"
    description: ClassVar[str] = (
        "Named milestones, each with its AI R&D progress multiplier; between two, a gap of "
        "human-only years of progress drawn per draw, crossed with the speed-up rising "
        "exponentially in progress (AI 2027's takeoff). Times to each milestone are exact."
    )
    config: ClassVar[type] = MilestoneLadderConfig

    ladder: Ladder = Ladder(("start", "end"), (1.0, 1.0))

    def parameters(self) -> ParameterTable:
        return ladder_table(self.ladder)

    def set_by_model(self) -> frozenset[str]:
        return frozenset(LADDER_SETS)

    @classmethod
    def plan(
        cls, scenario: Mapping[str, Any], run: RunSettings
    ) -> tuple[MilestoneLadder, PriorSet]:
        s = scenario
        if not isinstance(s["params"], Mapping):
            raise ConfigError("scenario.params", s["params"], "a mapping of parameter -> prior")
        ladder, specs, table = plan_ladder(s)
        priors = scenario_priors(s, table, specs)
        max_doublings = check.number(
            "scenario.max_doublings", s["max_doublings"], 0.0, 100_000.0, high_open=False
        )
        check_grid(s["steps"], max_doublings)
        model = cls(
            ladder=ladder,
            steps=s["steps"],
            max_doublings=max_doublings,
            accelerate_factor=check.number(
                "scenario.accelerate_factor", s["accelerate_factor"], 0.0, 1e12, high_open=False
            ),
            doublings_per_year=1.0,
            **run_fields(run),
        )
        return with_fan_levels(model, run.fan_points), priors

    # -- one draw -----------------------------------------------------------------------------

    def prepare(self, values: Mapping[str, jax.Array], dtype: Any) -> LadderParams:
        gaps = jnp.stack([jnp.asarray(values[name], dtype) for name in self.ladder.gaps], axis=-1)
        return LadderParams(
            gaps=gaps,
            f=jnp.asarray(values["f"], dtype),
            Ts=jnp.asarray(values["Ts"], dtype),
            software_share=jnp.asarray(values["software_share"], dtype),
        )

    def per_draw_values(self, params: LadderParams) -> dict[str, jax.Array]:
        return {"f": params.f, "Ts": params.Ts, "software_share": params.software_share}

    def solve(self, params: LadderParams) -> Path:
        h = self.max_doublings / self.steps
        x = jnp.arange(self.steps + 1, dtype=params.f.dtype) * h
        return ladder_path(self.ladder, params.gaps, x)

    def per_year(self, params: LadderParams) -> jax.Array:
        return 1.0 / (params.Ts * params.software_share)

    def initial_rate(self, params: LadderParams) -> jax.Array:
        return params.f / params.Ts

    def pre_automation_time(self, params: LadderParams) -> jax.Array:
        return params.Ts

    def window_progress(self, path: Path) -> tuple[jax.Array, Any]:
        if self.ladder.rising:  # the rate never falls: the last window is the best (exact)
            return last_window_progress(path, self.windows_years, self.horizon_years), None
        return super().window_progress(path)

    def extra_outcomes(self, params: LadderParams, path: Path) -> dict[str, jax.Array]:
        """The years to each milestone, and reaching the last one within the horizon as the
        ladder's ``reached_ceiling`` (computed once)."""
        years = milestone_years(self.ladder, params.gaps)
        return {"milestone_years": years, "reached_ceiling": years[-1] <= self.horizon_years}

    @property
    def grid_unit(self) -> str:
        return "years of progress"

    def own_stop_reason(self, params: LadderParams, path: Path, last: int) -> tuple[str, str]:
        """Past the last milestone nothing is modelled: the path ends there. (The phase cap
        changes the milestone times only, never a path.)"""
        return "last_milestone", (
            f"the last milestone, {self.ladder.names[-1]} (nothing is modelled past it)"
        )

    def milestones(self) -> MilestoneSet:
        return MilestoneSet(self.ladder.names[1:], self.ladder.phases)

    def headline(self) -> Headline:
        return Headline("milestones")

    def common(self) -> Common:
        """The ladder's first milestone (its start: AI 2027's superhuman coder) is full
        automation of AI R&D's stand-in; ASI, or the last milestone, superintelligence."""
        names = self.ladder.names
        last = "ASI" if "ASI" in names[1:] else names[-1]
        label = last if last == "ASI" else f"{last} (the ladder's last milestone, its nearest)"
        return Common("start", f"{names[0]} (the ladder's start)", last, label)

"""Epoch's Full Takeoff Model (Davidson 2023) as a :class:`~forecaster.models.Model`.

Per draw: their simulation on their 0.1-year grid from 2022 (:mod:`._dynamics`), then their
metrics (:mod:`._metrics`): the timeline dates as milestones (years from 2022, so a
forecast's summary gives each one's ``date`` quantiles and P(reached by the end of each
year)), the takeoff durations and GWP doubling times as quantities (summary.json
``durations``), P(full automation by the end) and P(slow takeoff) as flags. A date or
duration their code leaves undefined (NaN: a threshold never crossed by the end) is +inf
here: "never", counted. A draw their constructor would refuse (requirements that decrease
along the tasks, ceilings that sum past 1, a first training run larger than the compute) is
non-finite, counted and reported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float

from ... import _validate as check
from ..._errors import ConfigError
from ..._table import ParameterTable
from .._grid_progress import FASTEST, fastest_gains
from .._interface import (
    Common,
    Declared,
    Flag,
    Headline,
    Histogram,
    MilestoneSet,
    Model,
    Outcomes,
    PathPanel,
    ProgressGrid,
    Quantity,
    ReportSection,
    RunSettings,
    scenario_priors,
)
from ..general_law._model import ScenarioBase
from . import _dynamics as dyn
from . import _metrics as met
from ._table import TABLE

START = 2022.0  # their t_start
T_STEP = 0.1  # their t_step: every date is on this grid
#: Their timeline metrics as milestones, in the order they usually come (a phase is the
#: time from the milestone before; it is negative where a draw has them the other way).
MILESTONES = (
    "rampup_start",
    "automation_rnd_20%",
    "automation_gns_20%",
    "sub_agi_year",
    "automation_rnd_100%",
    "agi_year",
    "automation_gns_100%",
)
_TIMELINE_INDEX = tuple(met.TIMELINE.index(name) for name in MILESTONES)
#: Their takeoff metrics' readable names.
DURATION_LABELS = {
    "full_automation_gns": "20% to 100% of goods tasks automated",
    "full_automation_rnd": "20% to 100% of R&D tasks automated",
    "sub_agi_to_agi": "AI that can do 20% of tasks to AI that can do all (sub-AGI to AGI)",
    "cog_output_multiplier": "R&D cognitive output 2x to 10x what it would be without AI",
    "gwp_growth": "GWP growth 5% to 20% a year",
}
#: GWP doubling times: their first (the first step's rate), then four from the wake-up.
DOUBLINGS = ("gwp_doubling_time_start",) + tuple(
    f"gwp_doubling_time_{k}" for k in range(1, met.DOUBLINGS)
)
# A duration is a whole number of 0.1-year steps: each bin is centred on one.
DURATIONS = Histogram(-T_STEP / 2, 200.0 - T_STEP / 2, 2000, log=False)
DOUBLING_YEARS = Histogram(-2.0, 3.0, 1000)  # 0.01 years to 1,000, 0.005 in log10
PATH_PANELS = (
    PathPanel("Tasks automated", "fraction of tasks", ("automated_goods", "automated_rnd")),
    PathPanel("GWP growth", "per year (log of a year's ratio)", ("gwp_growth",)),
    PathPanel("Compute", "FLOP", ("effective_compute", "largest_training_run"), log=True),
    PathPanel("Hardware and software", "x 2022", ("hardware_performance", "software"), log=True),
)
#: P(reached by the end of the year) is reported for these years.
CALENDAR_YEARS = tuple(range(2023, 2051)) + tuple(range(2060, 2101, 10))


@dataclasses.dataclass
class FTMConfig(ScenarioBase):
    """A scenario of Epoch's Full Takeoff Model (``model: epoch_ftm``)."""

    model: str = "epoch_ftm"
    end_year: float = 2100.0  # their t_end
    # With scenario.resample: the most goods and R&D tasks (fractions) a draw may have
    # automatable in 2022 (their Monte Carlo's max_frac_automatable_tasks_goods and _rnd).
    accept_automatable_goods: float = 0.0
    accept_automatable_rnd: float = 0.05


@dataclasses.dataclass(frozen=True)
class EpochFTM(Model):
    """Epoch's Full Takeoff Model (Davidson 2023): tasks automated as training compute
    crosses their requirements; goods, hardware R&D and software R&D by nested CES with the
    optimal allocation of labour and compute across tasks; investment that wakes up once AI
    visibly automates work.

    Attributes:
        end_year: the simulation runs from 2022 while the year is before this (their 2100).
        accept_automatable_goods: with ``scenario.resample``, a draw is accepted when at most
            this fraction of goods tasks is automatable in 2022 (their Monte Carlo's 0).
        accept_automatable_rnd: the same for R&D tasks (their 0.05).
    """

    name: ClassVar[str] = "epoch_ftm"
    title: ClassVar[str] = "Epoch's Full Takeoff Model (Davidson 2023)"
    description: ClassVar[str] = (
        "Tom Davidson's compute-centric model of AI takeoff (Epoch, 2023; takeoffspeeds.com): "
        "100 goods and 100 R&D tasks automated as training compute crosses their "
        "requirements, nested CES production, hardware and software R&D with ceilings, and "
        "investment that wakes up once AI is visibly useful. Their code, step by step."
    )
    config: ClassVar[type] = FTMConfig
    precision: ClassVar[str | None] = "float64"  # values reach 1e40 and their powers

    end_year: float = 2100.0
    accept_automatable_goods: float = 0.0
    accept_automatable_rnd: float = 0.05
    #: The run's grid (RunSettings): P(>= Y years of 2022's software progress within w).
    windows_years: tuple[float, ...] = (1 / 3, 1.0)
    progress_years: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0)

    @classmethod
    def plan(cls, scenario: Mapping[str, Any], run: RunSettings) -> tuple[EpochFTM, Any]:
        s = scenario
        if run.event is not None:
            allowed = "none: the FTM dates its own milestones (from 2022)"
            raise ConfigError("timelines", "a timelines stage", allowed)
        end = check.number("scenario.end_year", s["end_year"], START + 2.0, 2500.0,
                           high_open=False)  # fmt: skip
        if s.get("start_year") not in (None, START):
            raise ConfigError("scenario.start_year", s["start_year"], f"{START:g} (their t_start)")
        if not isinstance(s["params"], Mapping):
            raise ConfigError("scenario.params", s["params"], "a mapping of parameter -> prior")
        goods, rnd = (
            check.number(f"scenario.{k}", s[k], 0.0, 1.0, low_open=False, high_open=False)
            for k in ("accept_automatable_goods", "accept_automatable_rnd")
        )
        specs = {**{n: spec.default for n, spec in TABLE.items()}, **s["params"]}
        priors = scenario_priors(s, TABLE, specs)
        model = cls(end_year=end, accept_automatable_goods=goods, accept_automatable_rnd=rnd,
                    windows_years=run.windows_years, progress_years=run.progress_years)  # fmt: skip
        return model, priors

    def parameters(self) -> ParameterTable:
        return TABLE

    def defaulted_parameters(self) -> ParameterTable:
        return TABLE

    def times(self) -> np.ndarray:
        """Their grid: ``t_start + index * t_step`` while before ``end_year`` (NumPy
        float64, the same numbers as theirs)."""
        count = 0
        while START + count * T_STEP < self.end_year:
            count += 1
        return START + np.arange(count) * T_STEP

    def prepare(self, values: Mapping[str, Float[Array, "*batch"]], dtype: Any) -> dyn.Params:
        shape = jnp.shape(next(iter(values.values()))) if values else ()
        return dyn.Params(*(
            jnp.broadcast_to(jnp.asarray(values.get(n, TABLE[n].default), dtype), shape)
            for n in dyn.Params._fields
        ))  # fmt: skip

    def per_draw_values(self, params: dyn.Params) -> dict[str, Array]:
        return dict(params._asdict())

    def accepts(self, params: dyn.Params) -> Array:
        """Their Monte Carlo's ``sample_is_good`` (and their constructor's checks): at most
        ``accept_automatable_goods`` of goods tasks and ``accept_automatable_rnd`` of R&D
        tasks automatable with the 2022 training run (the trade-off's factor included)."""
        return dyn.accepted_at_start(params, T_STEP, self.accept_automatable_goods,
                                     self.accept_automatable_rnd)  # fmt: skip

    def _run(self, params: dyn.Params) -> tuple[dyn.Run, Float[Array, " steps"]]:
        times = jnp.asarray(self.times(), params.initial_gwp.dtype)
        return dyn.run(params, times, T_STEP), times

    def solve(self, params: dyn.Params) -> tuple[met.Metrics, Array, Array]:
        r, times = self._run(params)
        finite = jnp.all(jnp.isfinite(r.steps.produced.gwp))
        return met.metrics(r, times, START, T_STEP), r.valid & finite, self._fastest(r, times)

    def _fastest(self, r: dyn.Run, times: Array) -> Array:
        """The fastest time to make each Y of ``progress_years`` years of present-day software
        progress: Y times the software's log growth over their first step (2022, their
        present) gained in the log of the software level on their grid."""
        level = jnp.log(r.steps.software)
        rate = (level[1] - level[0]) / T_STEP
        gains = rate * jnp.asarray(self.progress_years, level.dtype)
        fastest = fastest_gains(times, level, gains)
        return jnp.where(rate > 0, fastest, jnp.inf)  # no present progress: no years of it

    def summarise(self, params: dyn.Params, solution: Any) -> Outcomes:
        m, valid, fastest = solution
        never = lambda v: jnp.where(jnp.isnan(v), jnp.inf, v)  # noqa: E731
        dates = never(m.timeline)
        years = jnp.stack([dates[k] - START for k in _TIMELINE_INDEX])
        takeoff = never(m.takeoff)
        return {
            "milestone_years": years,
            **{name: takeoff[k] for k, name in enumerate(met.TAKEOFF)},
            **{name: never(m.doubling_times[k]) for k, name in enumerate(DOUBLINGS)},
            "full_automation": jnp.isfinite(dates[met.TIMELINE.index("automation_gns_100%")]),
            "slow_takeoff": m.slow_takeoff,
            "fastest_years_to_progress": fastest,
            "non_finite": ~valid,
        }

    def outcomes(self) -> Declared:
        phases = ("2022 to the wake-up",) + tuple(
            f"{a} to {b}" for a, b in zip(MILESTONES, MILESTONES[1:], strict=False)
        )
        durations = tuple(Quantity(name, label, "years", DURATIONS)
                          for name, label in DURATION_LABELS.items())  # fmt: skip
        doublings = (Quantity(DOUBLINGS[0], "GWP doubling time at the start", "years",
                              DOUBLING_YEARS),) + tuple(
            Quantity(name, f"GWP doubling {k} after the wake-up", "years", DOUBLING_YEARS)
            for k, name in enumerate(DOUBLINGS[1:], start=1)
        )  # fmt: skip
        return Declared(
            quantities=durations + doublings + (FASTEST,),
            flags=(
                Flag("full_automation", f"full automation of goods tasks by {self.end_year:g}"),
                Flag("slow_takeoff", "slow takeoff (their Monte Carlo's definition)"),
            ),
            grid=ProgressGrid(self.windows_years, self.progress_years),
            milestones=MilestoneSet(MILESTONES, phases),
            headline=Headline("milestones"),
            common=Common(
                "automation_rnd_100%",
                "100% of R&D tasks automatable",
                "agi_year",
                "AGI, 100% of all tasks automatable (the FTM's nearest to superintelligence)",
            ),
            horizon_years=self.end_year - START,
            milestone_calendar_years=tuple(y for y in CALENDAR_YEARS if y < self.end_year),
            durations=tuple(DURATION_LABELS) + DOUBLINGS,
        )

    @classmethod
    def report_sections(cls, summary: Mapping[str, Any]) -> tuple[ReportSection, ...]:
        """Their takeoff metrics and GWP doubling times (summary.json ``durations``), and
        P(slow takeoff) as their Monte Carlo report prints it."""
        durations = summary.get("durations") or {}
        keys = ("q05", "q25", "q50", "q75", "q95")

        def cells(row: Mapping[str, Any]) -> tuple[str, ...]:
            values = tuple("-" if row.get(k) is None else f"{row[k]:.2f}" for k in keys)
            never = row.get("fraction_never")
            return (*values, "-" if never is None else f"{100 * never:.1f}%")

        labels = {**DURATION_LABELS, DOUBLINGS[0]: "GWP doubling time at the start"}
        labels |= {n: f"GWP doubling {k} after the wake-up" for k, n in enumerate(DOUBLINGS)
                   if k}  # fmt: skip
        rows = tuple((labels[n], *cells(durations[n])) for n in labels if n in durations)
        if not rows:
            return ()
        flags = summary.get("flags") or {}
        slow, full = (flags.get(k, {}).get("p") for k in ("slow_takeoff", "full_automation"))
        paragraphs = [
            "Their takeoff metrics: how long from one threshold to the next, in years (a "
            "whole number of their 0.1-year steps), and the GWP doubling times. A quantile "
            'that is "-" lies among the draws where the metric is undefined (never reached).'
        ]
        if isinstance(slow, float) and isinstance(full, float) and full > 0:
            paragraphs.append(
                f"P(slow takeoff), a full 4-year GWP doubling before the first 1-year "
                f"doubling: {slow:.3f} of all draws. Their Monte Carlo report prints the "
                f"slow draws over the draws with full automation by the end: {slow / full:.3f}."
            )
        return (
            ReportSection(
                "Takeoff durations (their metrics)",
                tuple(paragraphs),
                ("metric", "5%", "25%", "50%", "75%", "95%", "undefined"),
                rows,
                "Quantiles over the finite draws (summary.json durations).",
            ),
        )

    def path(self, params: dyn.Params) -> tuple[dict[str, Array], dict[str, Array]]:
        """One draw's run as their site plots it, and its timeline dates (NaN: not
        reached by the end)."""
        r, times = self._run(params)
        m = met.metrics(r, times, START, T_STEP)
        p = r.steps.produced
        year = round(1 / T_STEP)
        growth = jnp.log(p.gwp[year:] / p.gwp[:-year])
        columns = {
            "year": times,
            "automated_goods": p.frac_automated_goods,
            "automated_rnd": p.frac_automated_rnd,
            "gwp": p.gwp,
            "gwp_growth": jnp.concatenate([jnp.full((year,), jnp.nan, growth.dtype), growth]),
            "effective_compute": r.steps.compute,
            "largest_training_run": p.biggest_training_run,
            "hardware_performance": r.steps.hardware_performance
            / params.initial_buyable_hardware_performance,
            "software": r.steps.software,
        }
        return columns, {name: m.timeline[met.TIMELINE.index(name)] for name in MILESTONES}

    def path_panels(self) -> tuple[PathPanel, ...]:
        return PATH_PANELS

    def block_size(self, platform: str) -> int:
        """Draws per call: a draw's run is 780 steps of [101]-task arrays (its series, a few
        kB, are all that is kept), so memory is small. On this project's 2-core CPU the
        Monte Carlo preset ran 544, 557 and 492 draws/s with blocks of 128, 256 and 512
        (32,768 draws, one process each: a larger block more often has a draw that needs
        more than the first 16 candidates)."""
        return 256 if platform == "cpu" else 16_384

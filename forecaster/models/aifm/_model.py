"""The AI Futures Model (AI Futures Project, Dec 2025) as a :class:`~forecaster.models.Model`.

Per draw: the per-draw calibration and trajectory of :mod:`._dynamics` (their code's steps
and rules), then the date of each of their milestones. Dates are counted from the
scenario's ``start_year`` (their 2012), so a forecast's summary gives each milestone's
``date`` quantiles and P(reached by the end of each year); a milestone not reached by the
horizon (their 2050) is +inf years. A draw their code would raise on is non-finite,
counted and reported.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from functools import cache
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jaxtyping import Array, Float

from ... import _validate as check
from ..._errors import ConfigError
from ..._paths import data_dir
from ..._table import ParameterSpec, ParameterTable
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
from ._calibration import horizon as horizon_at_progress
from ._path import path as draw_path
from ._path import software_efficiency

INF = float("inf")
#: ``forecaster trajectory``'s panels: their site's (the first is the explorer's).
PATH_PANELS = (
    PathPanel(
        "Effective and training compute", "OOMs since 2012", ("progress", "training_compute")
    ),
    PathPanel("Coding time horizon", "minutes", ("time_horizon_minutes",), log=True),
    PathPanel("Automation of coding tasks", "fraction automated", ("automation_fraction",)),
    PathPanel("Software efficiency's growth", "OOMs a year", ("software_efficiency_growth",)),
    PathPanel(
        "AI R&D uplift", "x the human-only rate today", ("ai_rnd_uplift", "coding_uplift"), log=True
    ),
    PathPanel("AI research taste", "SDs of the human distribution", ("research_taste_sd",)),
)
START = 2012.0  # their time_range start and their input series' first year
#: The milestone chain, in order (each phase is the time from the one before; SAR and SIAR
#: wait for AC by their rules, TED-AI and ASI are further up the same taste scale).
CHAIN = ("AC", "SAR", "SIAR", "TED-AI", "ASI")
#: Their other milestones, reported as dates (decimal years) each: the outcome's name.
OTHERS = {"AI2027-SC": "date_ai2027_sc", "STRAT-AI": "date_strat_ai", "AIR-5x": "date_air_5x",
          "AIR-25x": "date_air_25x", "AIR-250x": "date_air_250x",
          "AIR-2000x": "date_air_2000x", "AIR-10000x": "date_air_10000x"}  # fmt: skip
#: Takeoff durations from AC (years; beyond the chain's consecutive phases): the outcome's
#: name and the milestone it ends at.
FROM_AC = {"years_ac_to_siar": "SIAR", "years_ac_to_ted_ai": "TED-AI", "years_ac_to_asi": "ASI"}
DURATIONS = Histogram(0.0, 200.0, 20_000, log=False)  # 0.01-year bins, to their 2200 horizon
#: P(reached by the end of the year) is reported for these years (before the end year):
#: every year to 2050, then every tenth to their 2200 configs' horizon.
CALENDAR_YEARS = tuple(range(2026, 2051)) + tuple(range(2060, 2201, 10))
DATES = Histogram(2000.0, 2200.0, 4000, log=False)  # 0.05-year bins, as the calendar's


def _spec(default, low, high, unit, meaning, low_open=False, high_open=False) -> ParameterSpec:
    return ParameterSpec(float(default), low, high, low_open, high_open, unit, meaning)


#: Their parameters (their names), defaults their site's; a range is what the model's
#: equations accept (their sampler's clipping to their PARAMETER_BOUNDS is the preset's).
TABLE: dict[str, ParameterSpec] = {
    "present_doubling_time": _spec(
        0.458, 0.0, INF, "years", "doubling time of the 80% coding time horizon at the present"
    ),  # fmt: skip
    "doubling_difficulty_growth_factor": _spec(
        0.92,
        0.0,
        INF,
        "-",
        "each doubling of the horizon takes this times the last (< 1: superexponential)",
    ),  # fmt: skip
    "ai_research_taste_slope": _spec(
        2.2,
        0.0,
        INF,
        "SDs per present progress-year",
        "how fast AI research taste climbs the human distribution",
    ),  # fmt: skip
    "ai_research_taste_at_coding_automation_anchor_sd": _spec(
        0.5, -INF, INF, "SDs", "AI research taste at AC, in SDs of the human distribution"
    ),  # fmt: skip
    "gap_years": _spec(
        1.5,
        0.0,
        INF,
        "present progress-years",
        "with a gap: progress from the pre-gap horizon to AC",
        high_open=True,
    ),  # fmt: skip
    "pre_gap_ac_time_horizon": _spec(
        124600.0, 0.0, INF, "minutes", "with a gap: the horizon after which the gap starts"
    ),  # fmt: skip
    "ac_time_horizon_minutes": _spec(
        1.2e7, 0.0, INF, "minutes", "the 80% coding time horizon that is AC (without a gap)"
    ),  # fmt: skip
    "coding_automation_efficiency_slope": _spec(
        3.0,
        0.0,
        INF,
        "OOMs per progress-year",
        "how fast AI gets cheaper at a coding task once it can do it",
    ),  # fmt: skip
    "inv_compute_anchor_exp_cap": _spec(
        2.8, 0.0, INF, "-", "1 / (experiment capacity with a tenth of the compute)"
    ),  # fmt: skip
    "inf_compute_asymptote": _spec(
        1000.0, 1.0, INF, "x", "experiment capacity with infinite compute, over the present"
    ),  # fmt: skip
    "inf_labor_asymptote": _spec(
        15.0, 1.0, INF, "x", "experiment capacity with infinite coding labour, over the present"
    ),  # fmt: skip
    "include_gap": _spec(
        0.0, 0.0, 1.0, "0/1", "1: AC comes a gap after the pre-gap horizon (their 'gap')"
    ),  # fmt: skip
    "present_day": _spec(2025.6, START, 2050.0, "year", "the present"),
    "present_horizon": _spec(26.0, 0.0, INF, "minutes", "the 80% horizon at present"),
    "rho_coding_labor": _spec(
        -2.0, -INF, 0.0, "-", "substitution between coding tasks (CES rho)"
    ),  # fmt: skip
    "parallel_penalty": _spec(
        0.5, 0.0, 1.0, "-", "serial coding labour = parallel labour^this"
    ),  # fmt: skip
    "swe_multiplier_at_present_day": _spec(
        1.6, 0.0, INF, "x", "AI's coding labour multiplier at present (sets the present automation)"
    ),  # fmt: skip
    "max_serial_coding_labor_multiplier": _spec(
        1e8, 1.0, INF, "x", "the most serial coding labour AI can give, over humans'"
    ),  # fmt: skip
    "median_to_top_taste_multiplier": _spec(
        3.7, 1.0, INF, "x", "research taste of the top 0.1% over the median", low_open=True
    ),  # fmt: skip
    "taste_limit": _spec(
        8.0, 0.0, INF, "median-to-top gaps", "research taste's limit above the top"
    ),
    "taste_limit_smoothing": _spec(
        0.51, 0.0, 1.0, "-", "how sharply taste approaches its limit", low_open=True, high_open=True
    ),  # fmt: skip
    "software_progress_rate_at_reference_year": _spec(
        1.25, 0.0, INF, "OOMs/year", "software efficiency growth in 2024 (fixes r)"
    ),  # fmt: skip
    "ted_ai_m2b": _spec(3.0, 0.0, INF, "median-to-top gaps", "TED-AI above SAR's taste"),
    "strat_ai_m2b": _spec(2.0, 0.0, INF, "median-to-top gaps", "STRAT-AI above SAR's taste"),
    "slowdown_year": _spec(2028.0, 1900.0, 2500.0, "year", "training compute growth slows"),
    "constant_training_compute_growth_rate": _spec(
        0.6, 0.0, INF, "OOMs/year", "training compute growth before the slowdown"
    ),  # fmt: skip
    "post_slowdown_training_compute_growth_rate": _spec(
        0.25, 0.0, INF, "OOMs/year", "training compute growth after the slowdown"
    ),  # fmt: skip
    "automation_logistic_asymptote": _spec(
        1.05,
        1.0,
        INF,
        "-",
        "the logistic schedule's upper asymptote (its fraction clipped to 1)",
        low_open=True,
    ),  # fmt: skip
}
#: Their automation schedules over coding tasks (``scenario.automation_schedule``).
SCHEDULES = ("linear", "logistic")


@dataclasses.dataclass
class AIFMConfig(ScenarioBase):
    """A scenario of the AI Futures Model (``model: aifm``)."""

    model: str = "aifm"
    end_year: float = 2050.0  # their time_range end (their 2200 configs: 2200)
    tolerance: float = 1e-8  # the local error of an adaptive step (relative and absolute)
    automation_schedule: str = "linear"  # their Monte Carlo's; "logistic": their site's


@cache
def series(end_year: float = 2050.0) -> dyn.Series:
    """Their input series (``data/aifm_input_data.csv``, 2012-2200), as NumPy float64, to
    the first year at or past ``end_year``: their ``input_data.csv`` (to 2050) for their
    2050 horizon, their ``inputs/2200.csv`` for their 2200 configs (the same values up to
    2050). Rows past the horizon change nothing but the cost of each lookup."""
    frame = pd.read_csv(data_dir() / "aifm_input_data.csv")
    columns = ("time", "L_HUMAN", "inference_compute", "experiment_compute")
    if list(frame.columns[:4]) != list(columns) or not np.all(frame[list(columns)].to_numpy() > 0):
        raise ConfigError("data/aifm_input_data.csv", str(list(frame.columns)),
                          f"columns {columns} of positive numbers")  # fmt: skip
    time = frame["time"].to_numpy(np.float64)
    if not np.all(np.diff(time) > 0):
        raise ConfigError("data/aifm_input_data.csv", "its time column", "increasing years")
    rows = int(np.searchsorted(time, end_year)) + 1  # through the first year >= end_year
    values = [frame[c].to_numpy(np.float64)[:rows] for c in columns]
    return dyn.Series(values[0], *(np.log(v) for v in values[1:]))  # type: ignore[arg-type]


def _series(dtype: Any, end_year: float) -> dyn.Series:
    return dyn.Series(*(jnp.asarray(v, dtype) for v in series(end_year)))


@dataclasses.dataclass(frozen=True)
class AIFuturesModel(Model):
    """The AI Futures Model (Dec 2025): the coding time horizon, automation of coding,
    experiment capacity and research taste driving software progress; AC, SAR, SIAR,
    TED-AI, ASI and their other milestones as dates.

    Attributes:
        end_year: the last year of the trajectory (their horizon, 2050).
        tolerance: the local error of an adaptive Dormand-Prince step (relative and
            absolute; their Radau runs at 1e-3).
        automation_schedule: ``linear`` (their Monte Carlo's) or ``logistic`` (their
            site's default, with ``automation_logistic_asymptote``).
    """

    name: ClassVar[str] = "aifm"
    title: ClassVar[str] = "AI Futures Model (Dec 2025)"
    description: ClassVar[str] = (
        "The AI Futures Project's model of Dec 2025: the coding time horizon grows with "
        "effective compute until AI is an automated coder (AC); coding tasks are automated "
        "along the way, and AI research taste climbs the human distribution to SAR, SIAR, "
        "TED-AI and ASI. Calibrated per draw to the present, as their code is."
    )
    config: ClassVar[type] = AIFMConfig
    precision: ClassVar[str | None] = "float64"  # the per-draw calibration needs it

    end_year: float = 2050.0
    tolerance: float = dyn.TOLERANCE
    automation_schedule: str = "linear"
    #: The run's grid (RunSettings): P(>= Y years of present-day software progress within w).
    windows_years: tuple[float, ...] = (1 / 3, 1.0)
    progress_years: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0)
    #: A decimal year (``condition.horizon_year``): each draw's coding time horizon then.
    horizon_year: float | None = None

    @classmethod
    def plan(cls, scenario: Mapping[str, Any], run: RunSettings) -> tuple[AIFuturesModel, Any]:
        s = scenario
        if run.event is not None:
            allowed = "none: the AI Futures Model dates its own milestones (from 2012)"
            raise ConfigError("timelines", "a timelines stage", allowed)
        last = float(series(np.inf).time[-1])  # the input series' last year (2200)
        end = check.number("scenario.end_year", s["end_year"], START + 1.0, last,
                           high_open=False)  # fmt: skip
        tolerance = check.number("scenario.tolerance", s["tolerance"], 1e-12, 1e-3,
                                 low_open=False, high_open=False)  # fmt: skip
        schedule = check.choice("scenario.automation_schedule", s["automation_schedule"],
                                SCHEDULES)  # fmt: skip
        if not isinstance(s["params"], Mapping):
            raise ConfigError("scenario.params", s["params"], "a mapping of parameter -> prior")
        asymptote = "automation_logistic_asymptote"
        if schedule == "linear" and asymptote in s["params"]:  # it would change nothing
            raise ConfigError(f"scenario.params.{asymptote}", s["params"][asymptote],
                              "set only with scenario.automation_schedule=logistic")  # fmt: skip
        # Every parameter is a prior (its default, fixed, unless the preset draws it), so a
        # draw's values always hold all of them.
        specs = {**{n: spec.default for n, spec in TABLE.items()}, **s["params"]}
        priors = scenario_priors(s, TABLE, specs)
        model = cls(end_year=end, tolerance=tolerance, automation_schedule=schedule,
                    windows_years=run.windows_years, progress_years=run.progress_years,
                    horizon_year=run.horizon_year)  # fmt: skip
        if run.horizon_year is not None and not START <= run.horizon_year <= end:
            raise ConfigError("condition.horizon_year", run.horizon_year,
                              f"a year of the model's run, in [{START:g}, {end:g}]")  # fmt: skip
        return model, priors

    @property
    def logistic(self) -> bool:
        return self.automation_schedule == "logistic"

    def parameters(self) -> ParameterTable:
        return TABLE

    def defaulted_parameters(self) -> ParameterTable:
        return TABLE

    def times(self, dtype: Any) -> Array:
        return jnp.asarray(dyn.grid_times(START, self.end_year), dtype)

    def prepare(self, values: Mapping[str, Float[Array, "*batch"]], dtype: Any) -> dyn.Draw:
        shape = jnp.shape(next(iter(values.values()))) if values else ()
        return dyn.Draw(*(
            jnp.broadcast_to(jnp.asarray(values.get(n, TABLE[n].default), dtype), shape)
            for n in dyn.Draw._fields
        ))  # fmt: skip

    def per_draw_values(self, params: dyn.Draw) -> dict[str, Array]:
        return dict(params._asdict())

    def solve(self, params: dyn.Draw) -> Any:
        dtype = params.present_day.dtype
        data = _series(dtype, self.end_year)
        dates, failed, model, tr = dyn.run(params, data, self.times(dtype), self.tolerance,
                                           self.logistic)  # fmt: skip
        fastest, horizon = self._fastest(model, tr), self._horizon(params, model, tr)
        return dates, failed, model.anchor.r_software, model.ac_progress, fastest, horizon

    def solve_many(self, params: dyn.Draw) -> Any:
        """A block's trajectories side by side, each lane taking the next draw when its own
        is done (``_ode.dopri5_pool``: a quarter of the block in lanes)."""
        dtype = params.present_day.dtype
        lanes = max(1, params.present_day.shape[0] // 4)
        data = _series(dtype, self.end_year)
        dates, failed, model, tr = dyn.run_many(params, data, self.times(dtype), self.tolerance,
                                                lanes, self.logistic)  # fmt: skip
        fastest = jax.vmap(self._fastest)(model, tr)
        horizon = jax.vmap(self._horizon)(params, model, tr)
        return dates, failed, model.anchor.r_software, model.ac_progress, fastest, horizon

    def _horizon(self, params: dyn.Draw, model: Any, tr: Any) -> Array:
        """The coding time horizon (minutes) at ``horizon_year``, from the progress there
        (linear between grid points); NaN past the AC horizon (their fit's range)."""
        if self.horizon_year is None:
            return jnp.zeros((), tr.progress.dtype)
        year = jnp.asarray(self.horizon_year, tr.times.dtype)
        return horizon_at_progress(params, model.anchor, jnp.interp(year, tr.times, tr.progress))

    def _fastest(self, model: Any, tr: Any) -> Array:
        """The fastest time to make each Y of ``progress_years`` years of present-day
        software progress: Y times the software efficiency's growth at the present (their
        ``present_day``, OOMs a year) gained in software efficiency on the grid."""
        rate = model.anchor.software_rate
        gains = rate * jnp.asarray(self.progress_years, rate.dtype)
        fastest = fastest_gains(tr.times, software_efficiency(model, tr), gains)
        return jnp.where(rate > 0, fastest, jnp.inf)  # no present progress: no years of it

    def path(self, params: dyn.Draw) -> tuple[dict[str, Array], dict[str, Array]]:
        """One draw's path as their site plots it (``_path.COLUMNS``) and the dates of the
        milestones of :data:`CHAIN` (NaN: not reached by the end of the run)."""
        dtype = params.present_day.dtype
        dates, _, model, tr = dyn.run(params, _series(dtype, self.end_year), self.times(dtype),
                                      self.tolerance, self.logistic)  # fmt: skip
        return draw_path(model, params, tr), {name: dates[name] for name in CHAIN}

    def path_panels(self) -> tuple[PathPanel, ...]:
        return PATH_PANELS

    def summarise(self, params: dyn.Draw, solution: Any) -> Outcomes:
        dates, failed, r_software, ac_progress, fastest, horizon = solution
        never = {k: jnp.where(jnp.isnan(v), jnp.inf, v) for k, v in dates.items()}  # not by the end
        years = jnp.stack([never[name] - START for name in CHAIN])
        return {
            "milestone_years": years,
            **{outcome: never[name] for name, outcome in OTHERS.items()},
            **{
                outcome: jnp.where(
                    jnp.isfinite(never[name]) & jnp.isfinite(never["AC"]),
                    never[name] - never["AC"],
                    jnp.inf,
                )
                for outcome, name in FROM_AC.items()
            },  # fmt: skip
            "r_software": r_software,
            "ac_progress": ac_progress,
            "reached_ac": jnp.isfinite(years[0]),
            "reached_asi": jnp.isfinite(years[4]),
            "fastest_years_to_progress": fastest,
            **({"horizon_minutes_at": horizon} if self.horizon_year is not None else {}),
            "non_finite": failed | ~jnp.isfinite(r_software),
        }

    def outcomes(self) -> Declared:
        phases = ("start to AC",) + tuple(f"{a} to {b}" for a, b in itertools.pairwise(CHAIN))
        others = tuple(Quantity(outcome, f"date of {name}", "year", DATES)
                       for name, outcome in OTHERS.items())  # fmt: skip
        others += tuple(Quantity(outcome, f"AC to {name}", "years", DURATIONS)
                        for outcome, name in FROM_AC.items())  # fmt: skip
        return Declared(
            quantities=others
            + (FASTEST,)
            + (
                Quantity(
                    "r_software",
                    "r (returns to software R&D, calibrated)",
                    "-",
                    Histogram(-2.0, 2.0, 800),
                ),  # fmt: skip
                Quantity(
                    "ac_progress",
                    "progress at AC",
                    "OOMs of effective compute",
                    Histogram(0.0, 4.0, 800),
                ),  # fmt: skip
            ),
            flags=(
                Flag("reached_ac", "AC by the end year"),
                Flag("reached_asi", "ASI by the end year"),
            ),  # fmt: skip
            grid=ProgressGrid(self.windows_years, self.progress_years),
            horizon_at="horizon_minutes_at" if self.horizon_year is not None else None,
            milestones=MilestoneSet(CHAIN, phases),
            headline=Headline("milestones"),
            common=Common(
                "AC", "AC (automated coder)", "ASI", "ASI (superintelligence)", "years_ac_to_asi"
            ),
            horizon_years=self.end_year - START,
            milestone_calendar_years=tuple(y for y in CALENDAR_YEARS if y < self.end_year),
        )

    @classmethod
    def report_sections(cls, summary: Mapping[str, Any]) -> tuple[ReportSection, ...]:
        """The takeoff from AC (their headline durations) and their other milestones'
        dates, from the run's quantiles (the milestone chain has its own section)."""
        rows = {r.get("outcome"): r for r in summary.get("quantiles") or []}
        keys = ("q05", "q25", "q50", "q75", "q95")

        def cells(outcome: str, unit: str) -> tuple[str, ...]:
            row = rows.get(outcome) or {}
            values = tuple("-" if row.get(k) is None else f"{row[k]:.2f}" for k in keys)
            never = row.get("fraction_never")
            return (*values, "-" if never is None else f"{100 * never:.1f}%", unit)

        takeoff = tuple((f"AC to {name}", *cells(outcome, "years"))
                        for outcome, name in FROM_AC.items() if outcome in rows)  # fmt: skip
        others = tuple((f"date of {name}", *cells(outcome, "year"))
                       for name, outcome in OTHERS.items() if outcome in rows)  # fmt: skip
        if not takeoff + others:
            return ()
        return (
            ReportSection(
                "Takeoff from AC and their other milestones",
                (
                    "How long from AC (the automated coder) to SIAR, TED-AI and ASI, and when "
                    "their other milestones come: AI2027-SC, STRAT-AI and the AIR-Nx uplifts "
                    '(AI research at N times its human-only pace). A quantile that is "-" lies '
                    "beyond the end of the run (not reached).",
                ),  # fmt: skip
                ("outcome", "5%", "25%", "50%", "75%", "95%", "not reached", "unit"),
                takeoff + others,
                "Quantiles over the finite draws (quantiles.csv); a time from AC is not reached "
                "unless both milestones are reached by the end of the run.",
            ),
        )

    def block_size(self, platform: str) -> int:
        """Draws per call, by memory per draw: its ln F table (4096 nodes; the logistic
        schedule adds the thresholds and trapezoid sums, 3 x 4096), its trajectory and the
        integrator's window on the grid (381 points to 2050, 1,881 to 2200), its taste
        grids (200 floors, 2000 points while they are built): 12,000 to 40,000 numbers,
        100-320 kB in float64; with XLA's temporaries a CPU block of 4,096 logistic draws
        peaked at 3.5 GB resident (about 0.85 MB a draw), so a GPU's 16,384 need about
        14 GB (not measured: no GPU was lent). A block's trajectories run a quarter of it
        at a time, each lane taking the next draw when its own is done, so a larger block
        waits less for its slowest draws: on this project's 2-core CPU 4,096 ran fastest
        (1,024: 665 draws/s, 2,048: 713, 4,096: 820, 8,192: 785, measured in one process)."""
        return 4096 if platform == "cpu" else 16_384

"""The model interface: what a takeoff model declares and computes, and nothing else.

A model is a frozen dataclass (hashable: its fields are static, the jit cache key, like an
equinox module's static fields) with pure functions over pytrees of one draw:

- :meth:`Model.prepare`: the draw's sampled prior values -> the model's parameters (defaults
  filled, derived parameters computed, per-draw calibration solves);
- :meth:`Model.solve`: parameters -> the draw's solution on the model's own clock;
- :meth:`Model.summarise`: parameters and solution -> the draw's outcomes, keyed as
  :meth:`Model.outcomes` declares them.

The engine vmaps ``solve(prepare(values))`` and then ``summarise`` over a block of draws and
reduces the outcomes to integer counts by the declaration alone: it never asks which model
runs. A model's class also states its parameter table, its scenario config (a Hydra
structured-config dataclass, the schema of its presets) and how to check that config into an
instance (:meth:`Model.plan`). Register a model with :func:`forecaster.models.register`.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, cast

import jax
import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float, Shaped

from .._errors import ConfigError
from .._table import ParameterTable

#: A draw's outcomes by name: ``()`` or ``[series]`` per draw; a batch adds a leading ``[n]``.
Outcomes = dict[str, Shaped[Array, "..."]]

CPU_BLOCK = 4096  # draws per CPU device per kernel call: stays in cache
ACCELERATOR_BLOCK = 1 << 18  # the same on a GPU or TPU: fills it


@dataclasses.dataclass(frozen=True)
class Histogram:
    """Fixed bins over [low, high] in log10 of the value (``log=True``) or in the value itself;
    three extra cells count underflow (incl. <= 0 on a log scale), overflow and +inf."""

    low: float
    high: float
    bins: int
    log: bool = True

    @property
    def width(self) -> float:
        return (self.high - self.low) / self.bins

    @property
    def cells(self) -> int:
        return self.bins + 3

    def position(self, value: Any) -> Any:
        """Where ``value`` falls, in bins from ``low`` (NumPy or JAX arrays, or floats)."""
        xp = jnp if isinstance(value, jax.Array) else np
        if self.log:
            safe = xp.where(value > 0, value, 1.0)
            return (xp.log10(safe) - self.low) / self.width
        finite = xp.where(xp.isfinite(value), value, self.low)
        return (finite - self.low) / self.width

    def value_at(self, position: float) -> float:
        """The value at a position in bins (the inverse of :meth:`position`)."""
        scaled = self.low + position * self.width
        return float(10.0**scaled) if self.log else float(scaled)

    def cell(self, value: Array) -> Array:
        raw = jnp.floor(self.position(value))
        index = jnp.clip(raw, -1, self.bins).astype(jnp.int32)
        index = jnp.where(index < 0, self.bins, index)  # underflow cell
        index = jnp.where(raw >= self.bins, self.bins + 1, index)  # overflow cell
        if self.log:
            index = jnp.where(value <= 0, self.bins, index)
        index = jnp.where(jnp.isneginf(value), self.bins, index)
        return jnp.where(jnp.isposinf(value), self.bins + 2, index)

    def edges(self) -> np.ndarray:
        return np.array([self.value_at(i) for i in range(self.bins + 1)])


SeriesKind = Literal["", "window", "progress"]


@dataclasses.dataclass(frozen=True)
class Quantity:
    """A continuous outcome: one value per draw (or one per series), counted in a fixed-bin
    histogram; summaries report its quantiles.

    Attributes:
        name: its key in the outcomes.
        label: what it is, for tables and reports.
        unit: its unit.
        histogram: the bins (values outside are counted, not lost).
        series: what indexes its values (``"progress"``: the progress levels, ``"window"``:
            the windows, ``""``: one value per draw).
        quantiles: whether the quantile table lists it (the fan chart's times are not).
    """

    name: str
    label: str
    unit: str
    histogram: Histogram
    series: SeriesKind = ""
    quantiles: bool = True


@dataclasses.dataclass(frozen=True)
class Flag:
    """A yes/no outcome per draw; summaries report its probability (``flags``)."""

    name: str
    label: str


@dataclasses.dataclass(frozen=True)
class ProgressGrid:
    """The probability grid P(>= Y years of progress within w) for every progress level Y and
    window w, from the per-draw ``fastest_years_to_progress`` [levels]; with ``whole_steps``
    the most whole doublings in each window (``max_doublings_in_windows`` [windows]) get one
    exact cell each (the stepper's continuous curve)."""

    windows_years: tuple[float, ...]
    progress_years: tuple[float, ...]
    whole_steps: int | None = None
    #: Doublings in a year of progress when the same for every draw (the curve of whole
    #: doublings needs it), else None.
    doublings_per_year: float | None = None
    #: The most progress a path can hold [years], when known (the curve's end), else None.
    top_years: float | None = None


@dataclasses.dataclass(frozen=True)
class MilestoneSet:
    """Named milestones after the start: per draw ``milestone_years`` [K], the exact years from
    the start to each; summaries give their quantiles, exact P(within Y years), the phases
    between them and, with a dated start, their calendar dates."""

    names: tuple[str, ...]
    phases: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Headline:
    """What leads the terminal summary, the report and the explorer.

    ``kind="progress"``: the cell P(>= ``years`` years within ``window_months``) of the grid;
    ``kind="milestones"``: the milestones' years after the start (or dates) and the phases.
    """

    kind: Literal["progress", "milestones"]
    years: float = 3.0
    window_months: float = 12.0


@dataclasses.dataclass(frozen=True)
class Common:
    """How a model answers the questions every model is compared on (``forecaster compare``,
    summary.json ``common``): which of its outcomes is the date AI R&D is fully automated and
    which the date of superintelligence, each with the model's own name for it. The
    software-intelligence-explosion question, P(>= Y years of progress within w), is the
    model's probability grid where it has one.

    Attributes:
        automation: ``"start"`` (the run's dated start: a timelines stage's date of full
            automation, or ``scenario.start_year``), a milestone's name, or None (the model
            has no such date).
        automation_label: what the model calls it (``SC``, ``AC``, ...), for tables.
        superintelligence: a milestone's name (ASI, or the model's nearest), or None.
        superintelligence_label: what it is, saying so where it is only the nearest.
        between: a quantity holding each draw's years from automation to superintelligence,
            or None where the milestones give them (superintelligence's years after the
            start when automation is the start, or its phase when it follows automation).
    """

    automation: str | None = "start"
    automation_label: str = "full automation of AI R&D (the model's start)"
    superintelligence: str | None = None
    superintelligence_label: str = ""
    between: str | None = None


@dataclasses.dataclass(frozen=True)
class Declared:
    """Everything a model's outcomes hold, declared once: the engine counts, the summaries,
    outputs, reports and the explorer read this, never a model's name."""

    quantities: tuple[Quantity, ...]
    flags: tuple[Flag, ...]
    grid: ProgressGrid | None
    milestones: MilestoneSet | None
    headline: Headline
    #: Outcomes [years since the start] that get calendar-date histograms with a start date:
    #: (name of the per-draw completion time of the dated event, or None).
    dated_event: str | None = None
    #: The fan chart's progress levels [years] (``time_to_fan_levels_years``), () for none.
    fan_levels_years: tuple[float, ...] = ()
    horizon_years: float = 20.0
    #: With dated milestones: the years Y whose P(milestone reached by the end of Y) the
    #: summary gives (``p_by_year``), () for none.
    milestone_calendar_years: tuple[int, ...] = ()
    #: Quantities [years] the summary also gives by name (summary.json ``durations``: each
    #: one's quantiles and the fraction never reached), () for none.
    durations: tuple[str, ...] = ()
    #: The outcomes every model is compared on (:class:`Common`).
    common: Common = Common()
    #: The per-draw outcome holding the coding time horizon (minutes) at the run's
    #: ``RunSettings.horizon_year`` (a model with a horizon trajectory), else None.
    horizon_at: str | None = None

    def series_kinds(self) -> dict[str, str]:
        """The outcomes with one value per series, by name: ``progress`` (the grid's progress
        levels), ``window`` (its windows) or ``milestone`` (the milestones), in that order
        along their last axis (the fan chart's levels are left out)."""
        kinds = {q.name: q.series for q in self.quantities if q.series}
        if self.grid is not None and self.grid.whole_steps is not None:
            kinds["max_doublings_in_windows"] = "window"
        if self.milestones is not None:
            kinds["milestone_years"] = "milestone"
        return kinds


@dataclasses.dataclass(frozen=True)
class ReportSection:
    """A section a model adds to its runs' reports (:meth:`Model.report_sections`), as plain
    text: every string is rendered as written, never as markup."""

    title: str
    paragraphs: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    caption: str = ""


@dataclasses.dataclass(frozen=True)
class PathPanel:
    """A panel of ``forecaster trajectory``'s figure for a model with its own path
    (:meth:`Model.path`): ``columns`` of the path against its time axis."""

    title: str
    ylabel: str
    columns: tuple[str, ...]
    log: bool = False


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """What a forecast asks of every model, whatever it is (checked before a model plans)."""

    horizon_years: float
    windows_years: tuple[float, ...]
    progress_years: tuple[float, ...]
    fan_points: int
    #: (Y years, w years): a start-date stage dates the first completion of this event.
    event: tuple[float, float] | None = None
    #: A decimal year: a model with a time-horizon trajectory gives each draw's horizon then
    #: (``condition.horizon_year``; :attr:`Declared.horizon_at`).
    horizon_year: float | None = None


class Model(abc.ABC):
    """A takeoff model (subclass as a frozen dataclass; see the module docstring).

    Class attributes:
        name: the registry key: a preset's ``model:``.
        title: a short readable name.
        description: what it models, a sentence or two (the explorer shows it).
        config: the scenario config dataclass (the Hydra schema of its presets).
        switches: boolean config fields the explorer shows as switches.
    """

    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    config: ClassVar[type]
    #: Boolean fields of :attr:`config` that the explorer shows as on/off switches.
    switches: ClassVar[tuple[str, ...]] = ()
    #: The precision the model needs whatever the run asks ("float64" for a model whose
    #: per-draw calibration does not hold in float32), or None.
    precision: ClassVar[str | None] = None

    # -- planning (host side, once per run) ---------------------------------------------------

    @classmethod
    @abc.abstractmethod
    def plan(cls, scenario: Mapping[str, Any], run: RunSettings) -> tuple[Model, Any]:
        """Check a scenario config (its keys already checked against :attr:`config`) and
        return (the model, its :class:`~forecaster._priors.PriorSet`).

        Raises:
            ConfigError: naming the first field that is not allowed.
        """

    @abc.abstractmethod
    def parameters(self) -> ParameterTable:
        """The parameter table: every name a prior may set, with unit, meaning and range."""

    def defaulted_parameters(self) -> ParameterTable:
        """Parameters a draw reads at their defaults when no prior sets them (the explorer
        offers them for editing)."""
        return {}

    def set_by_model(self) -> frozenset[str]:
        """Parameters of the table the model sets itself (shown, never edited)."""
        return frozenset()

    def fixed_values(self, priors: Any) -> dict[str, float | None]:
        """Each parameter's value when every draw has the same, else None (defaults for
        those without a prior)."""
        out: dict[str, float | None] = {n: s.default for n, s in self.parameters().items()}
        for p in priors.priors:
            if p.name not in priors.latent:
                out[p.name] = float(p.args["value"]) if p.fixed else None
        return out

    # -- one draw (pure JAX; the kernel vmaps these) ------------------------------------------

    @abc.abstractmethod
    def prepare(self, values: Mapping[str, Float[Array, "*batch"]], dtype: Any) -> Any:
        """The parameters (a pytree) of draws from their sampled values by name: elementwise
        over any batch shape (every value has the same), so the kernel calls it on a block."""

    @abc.abstractmethod
    def solve(self, params: Any) -> Any:
        """One draw's solution (a pytree of fixed shape) on the model's own clock."""

    def solve_many(self, params: Any) -> Any:
        """The solutions of a block of draws (every leaf of ``params`` with a leading axis
        of draws): :meth:`solve` vmapped. A model whose draws take very different work (an
        adaptive integrator's steps) may schedule them itself; each draw's solution must
        not depend on the others in the block."""
        return jax.vmap(self.solve)(params)

    def accepts(self, params: Any) -> Any:
        """Whether the model accepts a draw's parameters (one draw: a bool array), for a
        scenario that rejects draws (``scenario.resample``: each draw keeps the first of its
        candidates accepted); None for a model without such a rule."""
        return None

    @abc.abstractmethod
    def summarise(self, params: Any, solution: Any) -> Outcomes:
        """One draw's outcomes, keyed as :meth:`outcomes` declares; ``non_finite`` (bool)
        marks a draw to count and leave out of every statistic."""

    def per_draw_values(self, params: Any) -> dict[str, Array]:
        """The parameters a draw ran with, for the per-draw sample (draws.parquet)."""
        return {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}

    def path_sample(self, solution: Any) -> dict[str, Array]:
        """Arrays [nodes] of a draw's solution for ``output.path_sample`` (``path_t``,
        ``path_rate``); empty when the model has none."""
        return {}

    def path(self, params: Any) -> tuple[dict[str, Array], dict[str, Array]] | None:
        """One draw's path for ``forecaster trajectory``, for a model not on the doubling
        clock (:class:`~forecaster.models.ProgressModel` has its own): its columns [nodes]
        by name, the first the time axis, and its milestones' times by name (NaN: not
        reached); None where the model has none."""
        return None

    def path_panels(self) -> tuple[PathPanel, ...]:
        """The panels :meth:`path`'s columns are drawn in."""
        return ()

    # -- declarations --------------------------------------------------------------------------

    @abc.abstractmethod
    def outcomes(self) -> Declared:
        """What :meth:`summarise` returns and how it is to be counted and reported."""

    def describe(self) -> dict[str, Any]:
        """The model's static settings as plain data (summary.json ``settings``)."""
        out: dict[str, Any] = {"model": self.name}
        for item in dataclasses.fields(cast(Any, self)):
            value = getattr(self, item.name)
            nested = dataclasses.is_dataclass(value) and not isinstance(value, type)
            out[item.name] = dataclasses.asdict(cast(Any, value)) if nested else value
        return out

    @classmethod
    def report_sections(cls, summary: Mapping[str, Any]) -> tuple[ReportSection, ...]:
        """Sections of the model's own for the report of a run (read from its checked
        summary.json, so a run directory reports without recomputing); none by default."""
        return ()

    def block_size(self, platform: str) -> int:
        """Draws per device in one kernel call (fixed per platform whatever the chunk size, so
        every draw computes bitwise the same however a run is chunked). Override for a model
        whose draws need much more memory."""
        return CPU_BLOCK if platform == "cpu" else ACCELERATOR_BLOCK


def refuse_unknown(
    scenario: Mapping[str, Any], model: type[Model], field: str = "scenario"
) -> None:
    """Every key of ``scenario`` must be a field of the model's config dataclass."""
    keys = {f.name for f in dataclasses.fields(model.config)}
    for key in scenario:
        if key not in keys:
            raise ConfigError(
                f"{field}.{key}",
                scenario[key],
                f"a scenario setting of model {model.name}, one of {sorted(keys)}",
            )


def scenario_priors(
    scenario: Mapping[str, Any], table: ParameterTable, specs: Mapping[str, Any] | None = None
) -> Any:
    """A scenario's :class:`~forecaster._priors.PriorSet` against the model's parameter
    ``table``: its ``params`` (or ``specs``, what the model made of them), correlations and
    latent priors, every value checked (a mistake names its ``scenario.`` field)."""
    from .._priors import build_prior_set

    params = scenario["params"]
    if not isinstance(params, Mapping):
        raise ConfigError("scenario.params", params, "a mapping of parameter -> prior")
    return build_prior_set(
        params if specs is None else specs,
        scenario.get("correlations") or [],
        field="scenario",
        table=table,
        latent=scenario.get("latent") or {},
    )

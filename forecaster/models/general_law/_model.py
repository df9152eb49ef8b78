"""The general software-intelligence-explosion law as a :class:`~forecaster.models.Model`:
its scenario config, its checks, and one draw prepared, solved by RK4 and summarised."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from omegaconf import MISSING

from ... import _validate as check
from ..._errors import ConfigError
from ..._priors import PriorSet
from .._interface import ParameterTable, RunSettings, scenario_priors
from .._paths import Path
from .._progress import ProgressModel, check_grid, run_fields, with_fan_levels
from ._integrate import rk4_path
from ._law import (
    CEILING_RETURNS,
    RETURNS,
    Params,
    Returns,
    doublings_per_year_of_progress,
    initial_rate,
    returns_at,
)
from ._parameters import PARAMETERS, TABLE

_GRID_DEFAULT_DOUBLINGS = 200.0


@dataclasses.dataclass
class ScenarioBase:
    """What every scenario preset has, whatever its model (extend it for a model's config)."""

    name: str = MISSING
    model: str = MISSING
    description: str = ""
    params: dict[str, Any] = dataclasses.field(default_factory=dict)
    correlations: list[Any] = dataclasses.field(default_factory=list)
    # Priors under names of their own that only formulas ({dist: derived, expr}) read.
    latent: dict[str, Any] = dataclasses.field(default_factory=dict)
    # The calendar date of the start (decimal year) when no timelines stage gives one.
    start_year: Any = None
    # Rejection of draws the model does not accept: {candidates: K, keep: [parameters]}
    # (a model with an acceptance rule only; null: none).
    resample: Any = None


@dataclasses.dataclass
class GeneralLawConfig(ScenarioBase):
    """A scenario of the general law (``model: general_law``)."""

    model: str = "general_law"
    returns: str = "linear_to_ceiling"
    steps: int = 256
    max_doublings: Any = None  # null: the largest ceiling the priors allow (else 200)
    stop_doubling_years: float = math.inf
    accelerate_factor: float = 2.0
    constant_r: bool = False  # Davidson & Houlden's "constant r": r stays r0 up to D


def returns_with(returns: str, constant_r: Any, field: str = "constant_r") -> Returns:
    """The returns schedule with Davidson & Houlden's "constant r" switch applied: r stays r0
    and the ceiling is kept (``linear_to_ceiling`` -> ``constant_to_ceiling``)."""
    returns = check.choice(field.replace("constant_r", "returns"), returns, RETURNS)
    if not check.boolean(field, constant_r):
        return returns
    if returns != "linear_to_ceiling":
        raise ConfigError(
            field, True, "false unless returns=linear_to_ceiling (constant r keeps its ceiling)"
        )
    return "constant_to_ceiling"


@dataclasses.dataclass(frozen=True)
class GeneralLaw(ProgressModel):
    """Software progress after automation under the general law (MODEL.md sections 2-3),
    integrated by RK4 on a fixed grid of doublings.

    Attributes (besides :class:`~forecaster.models._progress.ProgressModel`'s):
        returns: ``"constant"``, ``"linear_to_ceiling"`` or ``"constant_to_ceiling"``.
        stop_doubling_years: stop once a doubling would take longer than this [years].
        full_automation: phi = 1 for every draw (the CES is skipped).
        autonomous: gC = gH = 0 for every draw, so v depends on x alone (RK4 runs as
            Simpson's rule over all steps at once).
    """

    name: ClassVar[str] = "general_law"
    title: ClassVar[str] = "General software-intelligence-explosion law"
    description: ClassVar[str] = (
        "Software progress after AI research is automated: each doubling of software speeds "
        "up research, with returns r to software R&D that fall as limits near, a CES of AI and "
        "human labour, and compute and labour that may grow (MODEL.md sections 2-3)."
    )
    config: ClassVar[type] = GeneralLawConfig

    returns: Returns = "linear_to_ceiling"
    stop_doubling_years: float = math.inf
    full_automation: bool = False
    autonomous: bool = False

    # -- planning -----------------------------------------------------------------------------

    def parameters(self) -> ParameterTable:
        return TABLE

    def defaulted_parameters(self) -> ParameterTable:
        return PARAMETERS

    @classmethod
    def plan(cls, scenario: Mapping[str, Any], run: RunSettings) -> tuple[GeneralLaw, PriorSet]:
        s = scenario
        priors = scenario_priors(s, TABLE)
        if "ceiling_years" in s["params"] and "ceiling_doublings" in s["params"]:
            raise ConfigError(
                "scenario.params.ceiling_years",
                s["params"]["ceiling_years"],
                "either ceiling_years or ceiling_doublings, not both",
            )
        model = cls(**cls._fields(s, priors), **run_fields(run))
        check_grid(model.steps, model.max_doublings)  # the horizon: checked by the run
        model = with_fan_levels(model.specialise(model.fixed_values(priors)), run.fan_points)
        model.check_grid_covers_ceiling(priors)
        return model, priors

    @classmethod
    def _fields(cls, s: Mapping[str, Any], priors: PriorSet) -> dict[str, Any]:
        """The model's own fields from its scenario config."""
        returns = returns_with(s["returns"], s["constant_r"], "scenario.constant_r")
        return {
            "returns": returns,
            "steps": s["steps"],
            "max_doublings": cls._max_doublings(s, returns, priors),
            "accelerate_factor": check.number(
                "scenario.accelerate_factor", s["accelerate_factor"], 0.0, 1e12, high_open=False
            ),
            "stop_doubling_years": check.number(
                "scenario.stop_doubling_years", s["stop_doubling_years"], 0.0, high_open=False
            ),
        }

    @classmethod
    def _max_doublings(cls, s: Mapping[str, Any], returns: Returns, priors: PriorSet) -> float:
        """``scenario.max_doublings``, or with null the largest ceiling the priors allow
        (falling returns; rounded up to a whole doubling), else 200."""
        if s["max_doublings"] is not None:
            return check.number(
                "scenario.max_doublings",
                s["max_doublings"],
                0.0,
                100_000.0,
                low_open=True,
                high_open=False,
            )
        top = largest_ceiling(priors) if returns in CEILING_RETURNS else None
        if top is None or not math.isfinite(top):
            return _GRID_DEFAULT_DOUBLINGS
        return float(math.ceil(top - 1e-9))

    def fixed_values(self, priors: Any) -> dict[str, float | None]:
        out = super().fixed_values(priors)
        years = out.pop("ceiling_years", None)
        if any(p.name == "ceiling_years" for p in priors.priors):
            ts, share = out["Ts"], out["software_share"]
            known = None not in (years, ts, share)
            out["ceiling_doublings"] = years / (ts * share) if known else None  # type: ignore[operator]
        return out

    def specialise(self, fixed: Mapping[str, float | None]) -> GeneralLaw:
        """Kernel specialisations allowed by parameters the same for every draw."""
        ts, share = fixed.get("Ts"), fixed.get("software_share")
        return dataclasses.replace(
            self,
            full_automation=fixed.get("phi0") == 1.0 and fixed.get("phi_inf") == 1.0,
            autonomous=fixed.get("gC") == 0.0 and fixed.get("gH") == 0.0,
            doublings_per_year=None if ts is None or share is None else 1.0 / (ts * share),
        )

    def check_grid_covers_ceiling(self, priors: PriorSet) -> None:
        """The grid must reach the largest ceiling a draw can have, or draws are cut short."""
        if self.returns not in CEILING_RETURNS:
            return
        for prior in priors.priors:
            if prior.name == "ceiling_doublings":
                top = prior.support()[1]
            elif prior.name == "ceiling_years" and self.doublings_per_year:
                top = prior.support()[1] * self.doublings_per_year
            else:
                continue
            if top > self.max_doublings + 1e-9:
                raise ConfigError(
                    "scenario.max_doublings",
                    self.max_doublings,
                    f"at least the largest ceiling the priors allow ({top:g} doublings)",
                )

    # -- one draw -----------------------------------------------------------------------------

    def prepare(self, values: Mapping[str, jax.Array], dtype: Any) -> Params:
        """Defaults for parameters without a prior; ``ceiling_years`` into doublings."""
        shape = jnp.shape(next(iter(values.values()))) if values else ()
        out = {
            name: jnp.asarray(values[name], dtype)
            if name in values
            else jnp.full(shape, spec.default, dtype)
            for name, spec in PARAMETERS.items()
        }
        if "ceiling_years" in values:
            out["ceiling_doublings"] = values["ceiling_years"] / (out["Ts"] * out["software_share"])
        return Params(**out)

    def solve(self, params: Params) -> Path:
        return rk4_path(
            params,
            self.returns,
            self.steps,
            self.max_doublings,
            self.horizon_years,
            self.stop_doubling_years,
            self.full_automation,
            self.autonomous,
        )

    def per_year(self, params: Params) -> jax.Array:
        return doublings_per_year_of_progress(params)

    def initial_rate(self, params: Params) -> jax.Array:
        return initial_rate(params)

    def pre_automation_time(self, params: Params) -> jax.Array:
        return params.Ts

    def returns_and_speedup(self, params: Params, path: Path) -> tuple[jax.Array, jax.Array]:
        return returns_at(path.x, params, self.returns), jnp.broadcast_to(params.f, path.x.shape)

    def ceiling_years(self, params: Params) -> float:
        if self.returns not in CEILING_RETURNS:
            return math.inf
        return float(params.ceiling_doublings / doublings_per_year_of_progress(params))

    def reached_ceiling(self, params: Params, path: Path, by_horizon: jax.Array) -> jax.Array:
        if self.returns not in CEILING_RETURNS:
            return jnp.zeros((), bool)
        return by_horizon >= (1.0 - self.ceiling_tolerance) * params.ceiling_doublings

    def own_stop_reason(self, params: Params, path: Path, last: int) -> tuple[str, str] | None:
        """``stop_doubling_years``: the next doubling would take longer."""
        doubling = 1.0 / float(path.rate[last])
        if doubling > self.stop_doubling_years:
            return "stop_doubling_years", (
                f"a doubling would take {doubling:.3g} years, over stop_doubling_years = "
                f"{self.stop_doubling_years:g}"
            )
        return None


def largest_ceiling(priors: PriorSet) -> float | None:
    """The largest D a draw can have, in doublings; None when it is not known statically."""
    fixed = GeneralLaw().fixed_values(priors)
    for prior in priors.priors:
        if prior.name == "ceiling_doublings":
            return prior.support()[1]
        if prior.name == "ceiling_years":
            ts, share = fixed["Ts"], fixed["software_share"]
            if ts is None or share is None:
                return None
            return prior.support()[1] / (ts * share)
    return fixed.get("ceiling_doublings")


#: The notebook API's options (keywords besides parameters) and their defaults.
API_OPTIONS: dict[str, Any] = {
    "horizon_years": 20.0,
    "max_doublings": None,  # the ceiling D with a ceiling schedule, else 200
    "steps": 256,
    "integrator": "rk4",  # "doublings": Davidson & Houlden's stepper (their model)
    "returns": "linear_to_ceiling",
    "windows_months": (4.0, 12.0),
    "progress_years": (1.0, 3.0, 10.0),
    "stop_doubling_years": math.inf,
    "constant_r": False,  # Davidson & Houlden's "constant r" (see returns_with)
    # Their other model options (integrator="doublings"; see DoublingsOptions)
    "retraining_cost": False,
    "gradual_boost": False,
    "dh_mode": "monte_carlo",
    "stop_after_years": math.inf,
}


def api_model(values: Mapping[str, float], options: Mapping[str, Any]) -> GeneralLaw:
    """The model of the notebook API's keyword options for one parameter set (unknown ones
    refused): the general law on RK4, or with ``integrator="doublings"`` Davidson & Houlden's
    stepper (their options allowed there only)."""
    from ..davidson_houlden._model import DavidsonHoulden, check_options, check_values
    from ..davidson_houlden._stepper import DOUBLINGS_MODES, DoublingsOptions

    for name in options:
        if name not in API_OPTIONS:
            raise ConfigError(name, options[name], f"an option, one of {list(API_OPTIONS)}")
    o = {**API_OPTIONS, **options}
    if o["integrator"] == "ladder":  # the old name of a milestone ladder's integrator
        raise ConfigError(
            "integrator",
            "ladder",
            "rk4 or doublings here: a ladder needs its milestones (a scenario preset of "
            "model milestone_ladder, e.g. scenario=ai2027_takeoff)",
        )
    integrator = check.choice("integrator", o["integrator"], ("rk4", "doublings"))
    returns = returns_with(o["returns"], o["constant_r"])
    max_doublings = o["max_doublings"]
    if max_doublings is None:
        ceiling = values["ceiling_doublings"]
        if returns in CEILING_RETURNS and integrator == "doublings":
            ceiling = math.ceil(ceiling - 1e-9)  # the stepper makes up to ceil(D) doublings
        max_doublings = ceiling if returns in CEILING_RETURNS else _GRID_DEFAULT_DOUBLINGS
    options_dh = DoublingsOptions(
        retraining_cost=check.boolean("retraining_cost", o["retraining_cost"]),
        gradual_boost=check.boolean("gradual_boost", o["gradual_boost"]),
        mode=check.choice("dh_mode", o["dh_mode"], DOUBLINGS_MODES),
        stop_after_years=check.number(
            "stop_after_years", o["stop_after_years"], 0.0, high_open=False
        ),
    )
    check_options(integrator, options_dh)
    horizon = float(o["horizon_years"])
    if not 0 < horizon <= 1e4:
        raise ConfigError("horizon_years", horizon, "a number in (0, 10000]")
    windows = tuple(float(m) / 12.0 for m in o["windows_months"])
    for w in windows:
        if not 0 < w <= horizon:
            raise ConfigError("windows", w, "window lengths in (0, horizon]")
    levels = tuple(float(y) for y in o["progress_years"])
    for level in levels:
        if not level > 0:
            raise ConfigError("progress_years", level, "positive progress levels")
    stop = float(o["stop_doubling_years"])
    if not stop > 0:
        raise ConfigError("stop_doubling_years", stop, "a number > 0")
    check_grid(o["steps"], float(max_doublings), field="")
    fields: dict[str, Any] = {
        "returns": returns,
        "steps": o["steps"],
        "max_doublings": float(max_doublings),
        "horizon_years": horizon,
        "windows_years": windows,
        "progress_levels_years": levels,
        "stop_doubling_years": stop,
    }
    if integrator == "doublings":
        check_values(values)
        model: GeneralLaw = DavidsonHoulden(**fields, integrator=integrator, doublings=options_dh)
    else:
        model = GeneralLaw(**fields)
    return model.specialise(values)

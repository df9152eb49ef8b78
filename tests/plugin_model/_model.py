"""Exponential progress with a ceiling: the rate of software doublings starts at f / Ts (f
times the pre-automation rate) and grows by a factor e^g a year until the software reaches
its ceiling, D doublings above where it started::

    dx/dt = (f / Ts) e^(g t)   for x < D,       so   t(x) = ln(1 + g Ts x / f) / g

a closed form: the solution is exact at every node of the doubling grid.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, ClassVar

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from forecaster._priors import PriorSet
from forecaster.models import (
    ParameterSpec,
    Path,
    ProgressModel,
    ReportSection,
    RunSettings,
    ScenarioBase,
)
from forecaster.models._interface import scenario_priors
from forecaster.models._progress import check_grid, run_fields, with_fan_levels

#: The parameter table: name -> default, allowed range, unit, meaning.
PARAMETERS: dict[str, ParameterSpec] = {
    "f": ParameterSpec(8.0, 0.0, math.inf, True, True, "x", "initial speed-up"),
    "g": ParameterSpec(0.5, 0.0, 50.0, True, False, "1/year", "growth rate of the speed-up"),
    "ceiling_years": ParameterSpec(
        10.0, 0.0, 1e3, True, False, "years of progress", "distance to the ceiling"
    ),
    "Ts": ParameterSpec(0.25, 0.0, math.inf, True, True, "years", "doubling time before"),
}
SOFTWARE_SHARE = 0.5  # a year of AI progress is 1 / (Ts s) doublings: 8 at Ts = 0.25


@dataclasses.dataclass
class ExponentialCeilingConfig(ScenarioBase):
    """A scenario of this model (``model: exponential_ceiling``): the Hydra schema."""

    model: str = "exponential_ceiling"
    steps: int = 128
    max_doublings: float = 128.0


@jax.tree_util.register_dataclass
@dataclasses.dataclass(frozen=True)
class ExpParams:
    """One draw's parameters (a batch adds a leading axis)."""

    f: Float[Array, "*batch"]
    g: Float[Array, "*batch"]
    ceiling: Float[Array, "*batch"]  # doublings
    Ts: Float[Array, "*batch"]


@dataclasses.dataclass(frozen=True)
class ExponentialCeiling(ProgressModel):
    """The model: :class:`ProgressModel` supplies the outcomes, their declaration and the
    headline; this class supplies its config, parameters, one draw's solution and what a
    year of progress and a ceiling mean."""

    name: ClassVar[str] = "exponential_ceiling"
    title: ClassVar[str] = "Exponential progress with a ceiling"
    description: ClassVar[str] = (
        "The rate of software progress grows exponentially in time from f times its "
        "pre-automation rate until the software reaches its ceiling (a worked example)."
    )
    config: ClassVar[type] = ExponentialCeilingConfig

    def parameters(self) -> Mapping[str, ParameterSpec]:
        return PARAMETERS

    def defaulted_parameters(self) -> Mapping[str, ParameterSpec]:
        return PARAMETERS

    @classmethod
    def plan(cls, scenario: Mapping[str, Any], run: RunSettings) -> tuple[Any, PriorSet]:
        priors = scenario_priors(scenario, PARAMETERS)
        check_grid(scenario["steps"], scenario["max_doublings"])
        model = cls(
            steps=scenario["steps"],
            max_doublings=float(scenario["max_doublings"]),
            **run_fields(run),
        )
        ts = model.fixed_values(priors)["Ts"]
        per_year = None if ts is None else 1.0 / (ts * SOFTWARE_SHARE)
        model = dataclasses.replace(model, doublings_per_year=per_year)
        return with_fan_levels(model, run.fan_points), priors

    def prepare(self, values: Mapping[str, jax.Array], dtype: Any) -> ExpParams:
        shape = jnp.shape(next(iter(values.values())))
        v = {
            name: jnp.asarray(values[name], dtype)
            if name in values
            else jnp.full(shape, spec.default, dtype)
            for name, spec in PARAMETERS.items()
        }
        ceiling = v["ceiling_years"] / (v["Ts"] * SOFTWARE_SHARE)
        return ExpParams(f=v["f"], g=v["g"], ceiling=ceiling, Ts=v["Ts"])

    def solve(self, params: ExpParams) -> Path:
        dtype = params.f.dtype
        x = jnp.arange(self.steps + 1, dtype=dtype) * (self.max_doublings / self.steps)
        v0 = params.f / params.Ts
        t = jnp.log1p(params.g * x / v0) / params.g
        t = jnp.where(x <= params.ceiling, t, jnp.inf)  # past the ceiling: never reached
        rate = v0 * jnp.exp(params.g * t)
        return Path(x=x, t=t, rate=jnp.where(jnp.isfinite(t), rate, 0.0))

    def per_year(self, params: ExpParams) -> jax.Array:
        return 1.0 / (params.Ts * SOFTWARE_SHARE)

    def initial_rate(self, params: ExpParams) -> jax.Array:
        return params.f / params.Ts

    def pre_automation_time(self, params: ExpParams) -> jax.Array:
        return params.Ts

    def reached_ceiling(self, params: ExpParams, path: Path, by_horizon: jax.Array) -> jax.Array:
        return by_horizon >= (1.0 - self.ceiling_tolerance) * params.ceiling

    @classmethod
    def report_sections(cls, summary: Mapping[str, Any]) -> tuple[ReportSection, ...]:
        """The law in the report (its strings are text: ``<`` stays ``<``)."""
        return (
            ReportSection(
                "The law of this model",
                ("dx/dt = (f / Ts) e^(g t) for x < D, so t(x) = ln(1 + g Ts x / f) / g.",),
            ),
        )

    def ceiling_years(self, params: ExpParams) -> float:
        return float(params.ceiling / self.per_year(params))

"""The start-date stage: when automation starts, in calendar years, per draw.

Automation starts when AI agents' time horizon reaches a threshold. From a current horizon
H0 at ``reference_year``, n = log2(threshold / H0) doublings remain, the first taking the
doubling time d. Growth is, per draw:

- exponential: every doubling takes d, so T = n d;
- superexponential (probability ``p_superexponential``): each doubling takes (1 - c) times
  the previous one, so T = d (1 - (1 - c)^n) / c (a geometric series; finite even as n grows);
- subexponential (probability ``p_subexponential``): each takes (1 + c) times the previous,
  so T = d ((1 + c)^n - 1) / c;

with c = ``doubling_change``; n is real (the series summed in closed form). The start year is
``reference_year + T`` (the reference year itself when the threshold is already reached).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import field
from typing import Any, Literal, get_args

import jax
import jax.numpy as jnp

from . import _validate as check
from ._errors import ConfigError
from ._parameters import ParameterSpec
from ._priors import PriorSet, build_prior_set, transform

DAYS_PER_YEAR = 365.25
MINUTES_PER_HOUR = 60.0
TimelinesKind = Literal["none", "metr_trend", "ai2027"]
KINDS: tuple[TimelinesKind, ...] = get_args(TimelinesKind)

TIMELINE_PARAMETERS: dict[str, ParameterSpec] = {
    "current_horizon_hours": ParameterSpec(
        1.0, 0.0, math.inf, True, True, "hours", "time horizon at the reference year"
    ),
    "log2_current_horizon_minutes": ParameterSpec(
        6.0, -math.inf, math.inf, True, True, "log2 minutes", "the same, as log2 minutes"
    ),
    "doubling_time_days": ParameterSpec(
        130.0, 0.0, math.inf, True, True, "days", "time horizon doubling time at the reference"
    ),
    "threshold_horizon_hours": ParameterSpec(
        167.0, 0.0, math.inf, True, True, "hours", "time horizon at which automation starts"
    ),
}


@dataclasses.dataclass
class TimelinesConfig:
    """The ``timelines`` config group: ``none`` keeps results in time since automation."""

    name: str = "none"
    description: str = ""
    reference_year: float = 2026.0
    params: dict[str, Any] = field(default_factory=dict)
    p_superexponential: float = 0.0
    p_subexponential: float = 0.0
    doubling_change: float = 0.1
    explosion_years: float = 3.0
    explosion_window_months: float = 12.0
    calendar_years: list[float] = field(
        default_factory=lambda: [float(y) for y in range(2026, 2051)]
    )


@dataclasses.dataclass(frozen=True)
class TimelinePlan:
    """A validated start-date stage."""

    name: str
    priors: PriorSet
    reference_year: float
    p_superexponential: float
    p_subexponential: float
    doubling_change: float
    explosion_years: float
    explosion_window_years: float
    calendar_years: tuple[float, ...]


def _probability(name: str, value: Any) -> float:
    return check.number(
        f"timelines.{name}",
        value,
        0.0,
        1.0,
        low_open=False,
        high_open=False,
        allowed="a probability in [0, 1]",
    )


def plan_timelines(cfg: dict[str, Any] | None) -> TimelinePlan | None:
    """Validate the ``timelines`` group; None for ``timelines=none``."""
    if not cfg or cfg.get("name", "none") == "none":
        return None
    check.choice("timelines.name", cfg["name"], KINDS)
    params = cfg.get("params") or {}
    if not isinstance(params, dict):
        raise ConfigError("timelines.params", params, "a mapping of timeline parameter -> prior")
    current = [k for k in ("current_horizon_hours", "log2_current_horizon_minutes") if k in params]
    if len(current) != 1:
        raise ConfigError(
            "timelines.params",
            sorted(params),
            "exactly one of current_horizon_hours, log2_current_horizon_minutes",
        )
    for needed in ("doubling_time_days", "threshold_horizon_hours"):
        if needed not in params:
            raise ConfigError(f"timelines.params.{needed}", None, "a prior (required)")
    priors = build_prior_set(params, (), field="timelines", table=TIMELINE_PARAMETERS)
    p_super = _probability("p_superexponential", cfg["p_superexponential"])
    p_sub = _probability("p_subexponential", cfg["p_subexponential"])
    if p_super + p_sub > 1:
        raise ConfigError("timelines.p_subexponential", p_sub, f"at most 1 - {p_super:g}")
    change = check.number("timelines.doubling_change", cfg["doubling_change"], 0.0, 1.0)
    reference = check.number(
        "timelines.reference_year", cfg["reference_year"], allowed="a decimal year, e.g. 2026.1"
    )
    years = cfg["calendar_years"]
    if not isinstance(years, list | tuple) or not years or sorted(years) != list(years):
        raise ConfigError("timelines.calendar_years", years, "an increasing list of years")
    event_years = check.positive("timelines.explosion_years", cfg["explosion_years"])
    window = check.positive("timelines.explosion_window_months", cfg["explosion_window_months"])
    # A keyword constructor call, alike in shape to ForecastPlan's (duplicates lists the pair):
    # deliberate, no logic is shared.
    return TimelinePlan(
        name=cfg["name"],
        priors=priors,
        reference_year=reference,
        p_superexponential=p_super,
        p_subexponential=p_sub,
        doubling_change=change,
        explosion_years=event_years,
        explosion_window_years=window / 12.0,
        calendar_years=tuple(float(y) for y in years),
    )


def years_to_threshold(
    doublings: jax.Array, doubling_years: jax.Array, change: float, kind: jax.Array
) -> jax.Array:
    """Years until ``doublings`` more doublings: kind 0 exponential, 1 super-, 2 sub-."""
    n = jnp.maximum(doublings, 0.0)
    exponential = n * doubling_years
    faster = doubling_years * (1.0 - (1.0 - change) ** n) / change
    slower = doubling_years * ((1.0 + change) ** n - 1.0) / change
    return jnp.where(kind == 1, faster, jnp.where(kind == 2, slower, exponential))


def start_years(plan: TimelinePlan, u: jax.Array, dtype: Any) -> jax.Array:
    """Decimal year automation starts, per draw, from the stage's uniforms.

    ``u`` has one column per uncertain timeline parameter plus a last one that picks the
    growth kind (super- if below p_super, sub- if below p_super + p_sub).
    """
    values = transform(plan.priors, u[:, :-1], dtype)
    if "log2_current_horizon_minutes" in values:
        log2_current = values["log2_current_horizon_minutes"]
    else:
        log2_current = jnp.log2(values["current_horizon_hours"] * MINUTES_PER_HOUR)
    log2_threshold = jnp.log2(values["threshold_horizon_hours"] * MINUTES_PER_HOUR)
    pick = u[:, -1]
    kind = jnp.where(
        pick < plan.p_superexponential,
        1,
        jnp.where(pick < plan.p_superexponential + plan.p_subexponential, 2, 0),
    )
    years = years_to_threshold(
        log2_threshold - log2_current,
        values["doubling_time_days"] / DAYS_PER_YEAR,
        plan.doubling_change,
        kind,
    )
    return plan.reference_year + years

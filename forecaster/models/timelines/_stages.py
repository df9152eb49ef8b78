"""The start-date stage: when automation starts, in calendar years, per draw.

``method: horizon_extension`` (below) is the simple trend; ``ai2027_april2025`` and
``ai2027_may2025`` are AI 2027's methods in full (:mod:`._ai2027`).

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
from collections.abc import Mapping
from dataclasses import field
from typing import Any, Literal, get_args

import jax
import jax.numpy as jnp

from ... import _validate as check
from ..._errors import ConfigError
from ..._priors import PriorSet, build_prior_set, transform
from ..._table import ParameterSpec, ParameterTable
from ._ai2027 import AI2027Settings, sc_years

DAYS_PER_YEAR = 365.25
MINUTES_PER_HOUR = 60.0
Method = Literal["horizon_extension", "ai2027_april2025", "ai2027_may2025"]
METHODS: tuple[Method, ...] = get_args(Method)
AI2027_METHODS = ("ai2027_april2025", "ai2027_may2025")

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
_POSITIVE = (0.0, math.inf, True, True)
#: AI 2027's inputs (their names), for methods ai2027_april2025 and ai2027_may2025.
AI2027_PARAMETERS: dict[str, ParameterSpec] = {
    "current_horizon_hours": TIMELINE_PARAMETERS["current_horizon_hours"],
    "h_SC_months": ParameterSpec(
        120.0, *_POSITIVE, "work-months", "time horizon of a superhuman coder (167 h a month)"
    ),
    "doubling_time_months": ParameterSpec(
        4.7, *_POSITIVE, "months", "time horizon doubling time now (their T_t)"
    ),
    "cost_speed_months": ParameterSpec(
        4.0, 0.0, math.inf, False, True, "months", "cost-and-speed adjustment"
    ),
    "announcement_delay_months": ParameterSpec(
        1.2, 0.0, math.inf, False, True, "months", "lead of internal over public capabilities"
    ),
    "present_prog_multiplier": ParameterSpec(
        0.1, 0.0, math.inf, False, True, "-", "AI R&D progress multiplier now, minus 1"
    ),
    "SC_prog_multiplier": ParameterSpec(
        7.7, 0.0, math.inf, False, True, "-", "AI R&D progress multiplier at SC, minus 1"
    ),
    "growth_pick": ParameterSpec(
        0.5, 0.0, 1.0, False, False, "-", "the uniform that picks the growth type"
    ),
    "se_doubling_decay_fraction": ParameterSpec(
        0.1, 0.0, 1.0, True, False, "-", "May: how much easier each superexponential doubling"
    ),
    "initial_software_progress_share": ParameterSpec(
        0.5, 0.0, 1.0, False, False, "-", "May: software's share of progress"
    ),
}
_AI2027_REQUIRED: dict[str, tuple[str, ...]] = {
    "ai2027_april2025": (
        "h_SC_months",
        "doubling_time_months",
        "cost_speed_months",
        "announcement_delay_months",
        "present_prog_multiplier",
        "SC_prog_multiplier",
        "growth_pick",
        "current_horizon_hours",
    ),
}
_AI2027_REQUIRED["ai2027_may2025"] = (
    *_AI2027_REQUIRED["ai2027_april2025"],
    "se_doubling_decay_fraction",
    "initial_software_progress_share",
)


@dataclasses.dataclass
class TimelinesConfig:
    """The ``timelines`` config group: ``none`` keeps results in time since automation."""

    name: str = "none"
    description: str = ""
    method: str = "horizon_extension"
    reference_year: float = 2026.0
    params: dict[str, Any] = field(default_factory=dict)
    latent: dict[str, Any] = field(default_factory=dict)
    correlations: list[Any] = field(default_factory=list)
    # AI 2027's methods (see _timelines_ai2027.AI2027Settings); reference_year is their "now".
    max_year: Any = None
    superexponential_schedule: list[Any] = field(default_factory=list)
    compute_schedule: list[Any] = field(default_factory=list)
    human_slowdown_year: Any = None
    labor_growth_schedule: list[Any] = field(default_factory=list)
    labor_pool: float = 1000.0
    labor_power: float = 0.3
    research_stock: float = 50.0
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
    method: Method
    ai2027: AI2027Settings | None
    reference_year: float
    p_superexponential: float
    p_subexponential: float
    doubling_change: float
    explosion_years: float
    explosion_window_years: float
    calendar_years: tuple[float, ...]


def _refuse_settings_without_stage(cfg: dict[str, Any]) -> None:
    """A start-date setting given with ``timelines=none`` would be silently unused: refused."""
    defaults = dataclasses.asdict(TimelinesConfig())
    for key, value in cfg.items():
        if key not in ("name", "description") and value != defaults.get(key, value):
            raise ConfigError(
                f"timelines.{key}",
                value,
                "left unset with timelines=none (no start-date stage runs); choose a "
                "timelines preset to use it, e.g. timelines=metr_trend",
            )


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
    """Validate the ``timelines`` group; None for ``timelines=none``, which takes no settings."""
    if not cfg or cfg.get("name", "none") == "none":
        _refuse_settings_without_stage(cfg or {})
        return None
    check.path_segment("timelines.name", cfg["name"])
    method = check.choice("timelines.method", cfg.get("method", "horizon_extension"), METHODS)
    params = cfg.get("params") or {}
    if not isinstance(params, dict):
        raise ConfigError("timelines.params", params, "a mapping of timeline parameter -> prior")
    if method in AI2027_METHODS:
        table = AI2027_PARAMETERS
        for needed in _AI2027_REQUIRED[method]:
            if needed not in params:
                raise ConfigError(f"timelines.params.{needed}", None, "a prior (required)")
    else:
        table = TIMELINE_PARAMETERS
        current = [
            k for k in ("current_horizon_hours", "log2_current_horizon_minutes") if k in params
        ]
        if len(current) != 1:
            raise ConfigError(
                "timelines.params",
                sorted(params),
                "exactly one of current_horizon_hours, log2_current_horizon_minutes",
            )
        for needed in ("doubling_time_days", "threshold_horizon_hours"):
            if needed not in params:
                raise ConfigError(f"timelines.params.{needed}", None, "a prior (required)")
    priors = build_prior_set(
        params,
        cfg.get("correlations") or [],
        field="timelines",
        table=table,
        latent=cfg.get("latent") or {},
    )
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
    ai2027 = (
        _ai2027_settings(cfg, method, reference, p_super, p_sub, change)
        if method in AI2027_METHODS
        else None
    )
    # A keyword constructor call, alike in shape to ForecastPlan's (duplicates lists the pair):
    # deliberate, no logic is shared.
    return TimelinePlan(
        name=cfg["name"],
        priors=priors,
        method=method,
        ai2027=ai2027,
        reference_year=reference,
        p_superexponential=p_super,
        p_subexponential=p_sub,
        doubling_change=change,
        explosion_years=event_years,
        explosion_window_years=window / 12.0,
        calendar_years=tuple(float(y) for y in years),
    )


def _pairs(field: str, value: Any, second: str) -> tuple[tuple[float, float], ...]:
    """A schedule: a list of [year or horizon, value] pairs with increasing first entries."""
    allowed = f"a list of [x, {second}] pairs, x increasing"
    if not isinstance(value, list | tuple):
        raise ConfigError(field, value, allowed)
    out = []
    for i, pair in enumerate(value):
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise ConfigError(f"{field}[{i}]", pair, allowed)
        out.append(
            (check.finite(f"{field}[{i}][0]", pair[0]), check.finite(f"{field}[{i}][1]", pair[1]))
        )
    if [x for x, _ in out] != sorted(x for x, _ in out):
        raise ConfigError(field, value, allowed)
    return tuple(out)


def _ai2027_settings(
    cfg: dict[str, Any], method: str, now: float, p_super: float, p_sub: float, change: float
) -> AI2027Settings:
    """The fixed settings of AI 2027's methods (``doubling_change`` is their d and g)."""
    if cfg.get("max_year") is None:
        raise ConfigError("timelines.max_year", None, "the year SC dates are capped at")
    max_year = check.number("timelines.max_year", cfg["max_year"], now, 3000.0)
    schedule = _pairs(
        "timelines.superexponential_schedule", cfg["superexponential_schedule"], "probability"
    )
    for i, (_, p) in enumerate(schedule):
        _probability(f"superexponential_schedule[{i}][1]", p)
    slowdown = cfg.get("human_slowdown_year")
    return AI2027Settings(
        method=method,
        now=now,
        max_year=max_year,
        p_superexponential=p_super,
        p_subexponential=p_sub,
        decay=change,
        growth=change,
        superexponential_schedule=schedule,
        compute_schedule=_pairs("timelines.compute_schedule", cfg["compute_schedule"], "rate"),
        human_slowdown_year=math.inf
        if slowdown is None
        else check.finite("timelines.human_slowdown_year", slowdown),
        labor_growth_schedule=_pairs(
            "timelines.labor_growth_schedule", cfg["labor_growth_schedule"], "growth"
        ),
        labor_pool=check.positive("timelines.labor_pool", cfg["labor_pool"]),
        labor_power=check.positive("timelines.labor_power", cfg["labor_power"]),
        research_stock=check.positive("timelines.research_stock", cfg["research_stock"]),
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


def start_years(
    plan: TimelinePlan, u: jax.Array, dtype: Any, pickers: Mapping[str, jax.Array] | None = None
) -> jax.Array:
    """Decimal year automation starts, per draw, from the stage's uniforms.

    ``u`` has one column per uncertain timeline parameter plus a last one that picks the
    growth kind (super- if below p_super, sub- if below p_super + p_sub). ``pickers``: the
    takeoff stage's row uniforms of its joint posterior files (shared files stay joint).
    """
    values = transform(plan.priors, u[:, :-1], dtype, pickers)
    if plan.ai2027 is not None:
        return sc_years(plan.ai2027, values)
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


def parameter_tables() -> dict[str, ParameterTable]:
    """Each start-date method's parameter table (what its priors may set)."""
    return {m: AI2027_PARAMETERS if m in AI2027_METHODS else TIMELINE_PARAMETERS for m in METHODS}

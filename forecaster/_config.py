"""Structured configs (Hydra ``version_base="1.3"``) and their validation into a run plan.

The dataclasses below are the schema of ``conf/forecast.yaml``; :func:`plan_forecast` checks
every value when a run starts and turns the config into a frozen :class:`ForecastPlan`. A
mistake raises :class:`~forecaster.ConfigError` naming the field, the value and what is
allowed, before any work starts.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import field
from typing import Any

import numpy as np
from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from . import _validate as check
from ._errors import ConfigError
from ._integrate import DOUBLINGS_MODES, DoublingsOptions
from ._kernel import CPU_BLOCK, KernelSettings, static_features
from ._milestones import plan_ladder
from ._model import CEILING_RETURNS
from ._priors import PriorSet, build_prior_set, link_joint_posteriors
from ._settings import (
    DOUBLINGS_REQUIRES,
    PRECISIONS,
    Precision,
    check_settings,
    dtype_for,
    returns_with,
)
from ._timelines import TimelinePlan, TimelinesConfig, plan_timelines

SHARD_ALIGNMENT = CPU_BLOCK  # shards start on a kernel block, so they compute what one run does
MAX_CHUNK = 1 << 24  # per-chunk counts stay exact in float32 and int32
_KERNEL = KernelSettings()  # the kernel's defaults are the scenario's
_DOUBLINGS = _KERNEL.doublings


@dataclasses.dataclass
class ScenarioConfig:
    """A scenario: the dynamics (fixed settings) and the priors over its parameters."""

    name: str = MISSING
    description: str = ""
    integrator: str = _KERNEL.integrator
    returns: str = _KERNEL.returns
    steps: int = _KERNEL.steps
    max_doublings: Any = None  # null: the largest ceiling the priors allow (else the kernel's)
    stop_doubling_years: float = _KERNEL.stop_doubling_years
    accelerate_factor: float = _KERNEL.accelerate_factor
    # Davidson & Houlden's model options: constant_r (any integrator: the returns schedule
    # constant_to_ceiling), the others integrator=doublings only (see DoublingsOptions).
    constant_r: bool = False
    retraining_cost: bool = _DOUBLINGS.retraining_cost
    gradual_boost: bool = _DOUBLINGS.gradual_boost
    dh_mode: str = _DOUBLINGS.mode
    stop_after_years: float = _DOUBLINGS.stop_after_years
    params: dict[str, Any] = field(default_factory=dict)
    correlations: list[Any] = field(default_factory=list)
    # Priors under names of their own that only formulas ({dist: derived, expr}) read.
    latent: dict[str, Any] = field(default_factory=dict)
    # integrator=ladder: the milestones in order, [{name, speedup}, ...] (see _milestones).
    milestones: list[Any] = field(default_factory=list)
    # The calendar date of the start (decimal year) when no timelines stage gives one.
    start_year: Any = None
    # AI 2027's code: each phase at most phase_cap_years; under pandas < 3 a phase longer
    # than phase_overflow_years sends its milestone and all later ones to overflow_year (see
    # _ladder.Ladder). Milestone times only.
    phase_cap_years: Any = None
    phase_overflow_years: Any = None
    overflow_year: Any = None


@dataclasses.dataclass
class OutputConfig:
    """What a run writes besides its summaries."""

    sample_size: int = 10_000
    path_sample: int = 0  # whole paths of the first draws saved to paths.parquet (<= sample_size)
    report: bool = True
    progress_bar: bool = True


@dataclasses.dataclass
class DistributedConfig:
    """One JAX multi-process job (jax.distributed): each process runs one shard, process 0
    merges. Unset fields are auto-detected by JAX (e.g. under SLURM)."""

    enabled: bool = False
    coordinator_address: str | None = None
    num_processes: int | None = None
    process_id: int | None = None
    wait_timeout_s: float = 86400.0


@dataclasses.dataclass
class ForecastConfig:
    """A forecast run: scenario, draws, grids, devices and outputs."""

    scenario: ScenarioConfig = MISSING
    n_draws: int = 1_000_000
    seed: int = 0
    chunk_size: int = 65_536
    precision: str = "float32"
    windows_months: list[float] = field(
        default_factory=lambda: [12.0 * w for w in _KERNEL.windows_years]
    )
    progress_years: list[float] = field(default_factory=lambda: [1.0, 3.0, 10.0, 30.0])
    horizon_years: float = _KERNEL.horizon_years
    fan_points: int = 48
    devices: Any = "all"
    resume: Any = None
    objective: Any = None  # what the task returns to a Hydra sweeper (see forecaster._objective)
    shard_index: int = 0
    num_shards: int = 1
    output: OutputConfig = field(default_factory=OutputConfig)
    timelines: TimelinesConfig = field(default_factory=TimelinesConfig)
    distributed: DistributedConfig = field(default_factory=DistributedConfig)


def register_configs() -> None:
    """Register the schema with Hydra's ConfigStore (idempotent)."""
    ConfigStore.instance().store(name="forecast_schema", node=ForecastConfig)


@dataclasses.dataclass(frozen=True)
class ForecastPlan:
    """A validated forecast: everything the engine needs, nothing it must re-check."""

    scenario: str
    priors: PriorSet
    settings: KernelSettings
    n_draws: int
    seed: int
    chunk_size: int
    precision: Precision
    windows_months: tuple[float, ...]
    progress_years: tuple[float, ...]
    sample_size: int
    devices: Any
    shard_index: int
    num_shards: int
    timelines: TimelinePlan | None = None
    path_sample: int = 0
    start_year: float | None = None

    @property
    def draw_range(self) -> tuple[int, int]:
        """The draws [start, stop) of this shard: contiguous, covering n_draws exactly, and
        starting on a kernel block boundary so shards compute bitwise what one run does."""
        block = SHARD_ALIGNMENT
        per = -(-self.n_draws // (self.num_shards * block)) * block
        start = min(self.shard_index * per, self.n_draws)
        return start, min(start + per, self.n_draws)


def _container(cfg: Any) -> Any:
    if isinstance(cfg, DictConfig | ListConfig):
        return OmegaConf.to_container(cfg, resolve=True)
    return cfg


def hydra_error(err: Exception, overrides: Sequence[str]) -> Exception:
    """Hydra's and OmegaConf's composition errors as a ConfigError of one line (the options
    Hydra lists are kept, its search path is not); any other exception as it is."""
    from hydra.errors import HydraException

    if not isinstance(err, HydraException | OmegaConfBaseException):
        return err
    parts: list[str] = []
    for line in str(err).splitlines():
        line = line.strip()
        if line.startswith("Config search path"):
            break
        if line:
            parts.append(line)
    if isinstance(err.__cause__, OmegaConfBaseException):
        parts.append(str(err.__cause__).strip().splitlines()[0])
    text = parts[0] if parts else type(err).__name__
    rest = ", ".join(p for p in parts[1:] if not p.endswith(":"))
    heading = next((p for p in parts[1:] if p.endswith(":")), "")
    if rest:
        text += f" ({heading} {rest})" if heading else f" ({rest})"
    return ConfigError("overrides", list(overrides), f"a configuration Hydra can compose: {text}")


def compose_forecast(overrides: Sequence[str] = ()) -> DictConfig:
    """conf/forecast.yaml composed with Hydra ``overrides``, as ``forecaster forecast`` does
    (the structured schema registered first; no app, no output directory).

    Raises:
        ConfigError: a config Hydra cannot compose (unknown preset or key, bad override).
    """
    from hydra import compose, initialize_config_dir

    from ._paths import conf_dir

    register_configs()
    try:
        with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
            return compose(config_name="forecast", overrides=list(overrides))
    except Exception as err:
        raise hydra_error(err, overrides) from err


def plan_forecast(cfg: Any) -> ForecastPlan:
    """Validate a composed forecast config and return its plan.

    Raises:
        ConfigError: for the first value that is not allowed.
    """
    c = _container(cfg)
    known = {f.name for f in dataclasses.fields(ForecastConfig)}
    for key in c:
        if key not in known:
            raise ConfigError(key, c[key], f"a forecast setting, one of {sorted(known)}")
    s = c["scenario"]
    if not isinstance(s, dict) or not s.get("name"):
        raise ConfigError("scenario", s, "a scenario preset (scenario=<name>)")
    check.path_segment("scenario.name", s["name"])  # it names the run's directory

    n_draws = check.integer("n_draws", c["n_draws"], 1, 10**13)
    seed = check.integer("seed", c["seed"], 0, 2**31 - 1)
    chunk = check.integer("chunk_size", c["chunk_size"], 1, MAX_CHUNK)
    precision = check.choice("precision", c["precision"], PRECISIONS)
    horizon = check.number("horizon_years", c["horizon_years"], 0.0, 1e4, high_open=False)
    windows = check.positive_list("windows_months", c["windows_months"], upper=12 * horizon)
    levels = check.positive_list("progress_years", c["progress_years"])
    fan_points = check.integer("fan_points", c["fan_points"], 2, 1000)
    num_shards = check.integer("num_shards", c["num_shards"], 1, 10**6)
    shard_index = check.integer("shard_index", c["shard_index"], 0, num_shards - 1)
    devices = c["devices"]
    if not (
        devices == "all"
        or (isinstance(devices, int) and not isinstance(devices, bool) and devices >= 1)
    ):
        raise ConfigError("devices", devices, "'all' or a positive integer (number of devices)")
    out = c["output"]
    sample_size = check.integer("output.sample_size", out["sample_size"], 0, 10_000_000)
    path_sample = check.integer(
        "output.path_sample", out["path_sample"], 0, min(sample_size, 100_000)
    )

    scenario_keys = {f.name for f in dataclasses.fields(ScenarioConfig)}
    for key in s:
        if key not in scenario_keys:
            raise ConfigError(
                f"scenario.{key}", s[key], f"a scenario setting, one of {sorted(scenario_keys)}"
            )
    for key in ("integrator", "returns"):
        check.text(f"scenario.{key}", s[key])
    if not isinstance(s["params"], dict):
        raise ConfigError("scenario.params", s["params"], "a mapping of parameter -> prior")
    ladder, specs, table = None, s["params"], None
    if s["integrator"] == "ladder":
        ladder, specs, table = plan_ladder(s)
    else:
        for key in ("milestones", "phase_cap_years", "phase_overflow_years", "overflow_year"):
            if s.get(key):
                raise ConfigError(f"scenario.{key}", s[key], "only with integrator=ladder")
    priors = build_prior_set(
        specs,
        s.get("correlations") or [],
        field="scenario",
        table=table,
        latent=s.get("latent") or {},
    )
    _check_representable(priors, precision)
    start_year = s.get("start_year")
    if start_year is not None:
        start_year = check.number(
            "scenario.start_year", start_year, 1900.0, 3000.0, allowed="a decimal year"
        )
    settings = KernelSettings(
        integrator=s["integrator"],
        returns=returns_with(s["returns"], s["constant_r"], "scenario.constant_r"),
        steps=s["steps"],
        max_doublings=_max_doublings(s, priors),
        doublings=_doublings_options(s),
        horizon_years=horizon,
        windows_years=tuple(w / 12.0 for w in windows),
        progress_levels_years=levels,
        accelerate_factor=check.number(
            "scenario.accelerate_factor", s["accelerate_factor"], 0.0, 1e12, high_open=False
        ),
        stop_doubling_years=check.number(
            "scenario.stop_doubling_years", s["stop_doubling_years"], 0.0, high_open=False
        ),
        ladder=ladder,
    )
    try:
        check_settings(settings)
    except ConfigError as err:
        raise ConfigError(f"scenario.{err.field}", err.value, err.allowed) from None
    features = static_features(priors.fixed_values())
    settings = dataclasses.replace(
        settings, **features, fan_levels_years=fan_levels(settings, features, fan_points)
    )
    _check_grid_covers_ceiling(priors, settings)
    timelines = plan_timelines(c.get("timelines"))
    if timelines is not None:
        link_joint_posteriors(priors, timelines.priors, "timelines")
        event = (timelines.explosion_years, timelines.explosion_window_years)
        settings = dataclasses.replace(settings, event=event)
    if settings.integrator == "doublings":
        _check_doublings_priors(priors)
    # A keyword constructor call, alike in shape to TimelinePlan's (duplicates lists the pair):
    # deliberate, no logic is shared.
    return ForecastPlan(
        scenario=s["name"],
        priors=priors,
        settings=settings,
        n_draws=n_draws,
        seed=seed,
        chunk_size=chunk,
        precision=precision,
        windows_months=windows,
        progress_years=levels,
        sample_size=sample_size,
        path_sample=path_sample,
        devices=devices,
        shard_index=shard_index,
        num_shards=num_shards,
        timelines=timelines,
        start_year=start_year,
    )


def _doublings_options(s: dict[str, Any]) -> DoublingsOptions:
    """Davidson & Houlden's model options (check_settings refuses them off their stepper)."""
    return DoublingsOptions(
        retraining_cost=check.boolean("scenario.retraining_cost", s["retraining_cost"]),
        gradual_boost=check.boolean("scenario.gradual_boost", s["gradual_boost"]),
        mode=check.choice("scenario.dh_mode", s["dh_mode"], DOUBLINGS_MODES),
        stop_after_years=check.number(
            "scenario.stop_after_years", s["stop_after_years"], 0.0, high_open=False
        ),
    )


def _max_doublings(s: dict[str, Any], priors: PriorSet) -> float:
    """``scenario.max_doublings``, or with null the largest ceiling the priors allow (falling
    returns; rounded up to a whole doubling), else the kernel's default."""
    if s["max_doublings"] is not None:
        return check.number(
            "scenario.max_doublings",
            s["max_doublings"],
            0.0,
            100_000.0,
            low_open=True,
            high_open=False,
        )
    ceiling = s["returns"] in CEILING_RETURNS and s["integrator"] != "ladder"
    top = _largest_ceiling(priors) if ceiling else None
    if top is None or not math.isfinite(top):
        return _KERNEL.max_doublings
    return float(math.ceil(top - 1e-9))


def _largest_ceiling(priors: PriorSet) -> float | None:
    """The largest D a draw can have, in doublings; None when it is not known statically."""
    fixed = priors.fixed_values()
    for prior in priors.priors:
        if prior.name == "ceiling_doublings":
            return prior.support()[1]
        if prior.name == "ceiling_years":
            ts, share = fixed["Ts"], fixed["software_share"]
            if ts is None or share is None:
                return None
            return prior.support()[1] / (ts * share)
    return fixed.get("ceiling_doublings")


def _check_representable(priors: PriorSet, precision: Precision) -> None:
    """Every number of a prior must fit the run's precision: 1e39 in float32 is inf, and
    every draw would come out non-finite."""
    largest = float(np.finfo(dtype_for(precision)).max)
    for prior in priors.priors:
        values = dict(prior.args)
        if prior.kind == "posterior":
            values = dict(zip(("draws min", "draws max"), prior.support(), strict=True))
        for key, value in values.items():
            if check.is_number(value) and math.isfinite(value) and abs(value) > largest:
                raise ConfigError(
                    f"scenario.params.{prior.name}.{key}",
                    value,
                    f"a number representable in {precision} (|x| <= {largest:.3g}; "
                    "precision=float64 allows more)",
                )


FAN_LOWEST_YEARS = 0.05


def fan_levels(settings: KernelSettings, features: dict, points: int) -> tuple[float, ...]:
    """Progress levels (log-spaced, years) whose reaching times make the fan chart: from
    0.05 years to the most progress the grid holds."""
    per_year = features["doublings_per_year"] or 8.0
    top = max(settings.max_doublings / per_year, 2 * FAN_LOWEST_YEARS)
    return tuple(float(v) for v in np.geomspace(FAN_LOWEST_YEARS, top, points))


def _check_grid_covers_ceiling(priors: PriorSet, settings: KernelSettings) -> None:
    """The grid must reach the largest ceiling a draw can have, or draws are cut short."""
    if settings.returns not in CEILING_RETURNS or settings.ladder is not None:
        return
    for prior in priors.priors:
        if prior.name == "ceiling_doublings":
            top = prior.support()[1]
        elif prior.name == "ceiling_years" and settings.doublings_per_year:
            top = prior.support()[1] * settings.doublings_per_year
        else:
            continue
        if top > settings.max_doublings + 1e-9:
            raise ConfigError(
                "scenario.max_doublings",
                settings.max_doublings,
                f"at least the largest ceiling the priors allow ({top:g} doublings)",
            )


def _check_doublings_priors(priors: PriorSet) -> None:
    """Davidson & Houlden's rule assumes full automation and fixed compute."""
    for prior in priors.priors:
        if prior.name in DOUBLINGS_REQUIRES:
            ok = prior.fixed and float(prior.args["value"]) == DOUBLINGS_REQUIRES[prior.name]
            if not ok:
                raise ConfigError(
                    f"scenario.params.{prior.name}",
                    dict(prior.args) | {"dist": prior.kind},
                    f"fixed at {DOUBLINGS_REQUIRES[prior.name]:g} with "
                    "scenario.integrator=doublings (or use integrator=rk4)",
                )

"""Structured configs (Hydra ``version_base="1.3"``) and their validation into a run plan.

The dataclasses below are the schema of ``conf/forecast.yaml``; :func:`plan_forecast` checks
every value when a run starts and turns the config into a frozen :class:`ForecastPlan`. A
mistake raises :class:`~forecaster.ConfigError` naming the field, the value and what is
allowed, before any work starts.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import field
from typing import Any

import numpy as np
from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from . import _validate as check
from ._errors import ConfigError
from ._paths import conf_dir
from ._priors import PriorSet, link_joint_posteriors
from ._settings import PRECISIONS, Precision, dtype_for
from .models import Model, RunSettings, get_model, load_plugins, register_schemas, registered
from .models._interface import CPU_BLOCK, refuse_unknown
from .models._plugins import searchpath_override
from .models._registry import store_once
from .models.timelines import TimelinePlan, TimelinesConfig, plan_timelines

SHARD_ALIGNMENT = CPU_BLOCK  # shards start on a kernel block, so they compute what one run does
MAX_CHUNK = 1 << 24  # per-chunk counts stay exact in float32 and int32


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
class ConditionConfig:
    """What the forecast is conditioned on (none by default: the model's forecast as it is)."""

    # Keep only the draws in which nothing dated happened before this decimal year: no
    # milestone and not the start of automation (a timelines stage's start). Needs dated
    # outcomes (a timelines stage, or a model's milestones with ``scenario.start_year``).
    not_before: float | None = None
    # Keep only the draws whose coding time horizon at ``horizon_year`` (a decimal year) is
    # within ``horizon_minutes`` ([low, high], an observation's interval, e.g. METR's). Needs
    # a model with a time-horizon trajectory (the AI Futures Model).
    horizon_year: float | None = None
    horizon_minutes: list[float] | None = None


@dataclasses.dataclass
class ForecastConfig:
    """A forecast run: scenario, draws, grids, devices and outputs."""

    # A preset of conf/scenario/: its model's config (``scenario_schema/<model>``, which its
    # defaults list names) with the priors over that model's parameters.
    scenario: Any = MISSING
    n_draws: int = 1_000_000
    seed: int = 0
    chunk_size: int = 65_536
    precision: str = "float32"
    windows_months: list[float] = field(default_factory=lambda: [4.0, 12.0])
    progress_years: list[float] = field(default_factory=lambda: [1.0, 3.0, 10.0, 30.0])
    horizon_years: float = 20.0
    fan_points: int = 48
    devices: Any = "all"
    resume: Any = None
    objective: Any = None  # what the task returns to a Hydra sweeper (see forecaster._objective)
    shard_index: int = 0
    num_shards: int = 1
    output: OutputConfig = field(default_factory=OutputConfig)
    timelines: TimelinesConfig = field(default_factory=TimelinesConfig)
    condition: ConditionConfig = field(default_factory=ConditionConfig)
    distributed: DistributedConfig = field(default_factory=DistributedConfig)


def register_configs() -> None:
    """Register the schemas with Hydra's ConfigStore (idempotent): the forecast's and each
    registered model's scenario config (plug-ins loaded first)."""
    load_plugins()
    store_once(ConfigStore.instance(), "forecast_schema", ForecastConfig)
    register_schemas()
    if not OmegaConf.has_resolver(SEGMENT_RESOLVER):
        OmegaConf.register_new_resolver(SEGMENT_RESOLVER, check.path_segment)


#: ``${segment:scenario.name,${scenario.name}}`` in conf/*.yaml: the value checked as one path
#: component (:func:`forecaster._validate.path_segment`) where Hydra builds a run directory, so
#: every way of setting a name (``scenario.name=``, ``'scenario={name: ...}'``, ``++``, a
#: sweep, a plug-in preset) is refused before Hydra creates anything.
SEGMENT_RESOLVER = "segment"


@dataclasses.dataclass(frozen=True)
class ForecastPlan:
    """A validated forecast: everything the engine needs, nothing it must re-check."""

    scenario: str
    priors: PriorSet
    model: Model
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
    #: ``condition.not_before``: the draws kept have nothing dated before this year.
    not_before: float | None = None
    #: ``condition.horizon_*``: (year, low, high): the draws kept have a coding time horizon
    #: in [low, high] minutes at the year.
    horizon: tuple[float, float, float] | None = None

    @property
    def draw_range(self) -> tuple[int, int]:
        """The draws [start, stop) of this shard: contiguous, covering n_draws exactly, and
        starting on a kernel block boundary so shards compute bitwise what one run does."""
        block = SHARD_ALIGNMENT
        per = -(-self.n_draws // (self.num_shards * block)) * block
        start = min(self.shard_index * per, self.n_draws)
        return start, min(start + per, self.n_draws)


def _container(cfg: Any) -> Any:
    """The config as plain containers, interpolations resolved: one that cannot be resolved
    (``n_draws=${nope}``) is the user's mistake, named by its key."""
    if isinstance(cfg, DictConfig | ListConfig):
        try:
            return OmegaConf.to_container(cfg, resolve=True)
        except OmegaConfBaseException as err:
            raise unresolvable(err, cfg) from None
    return cfg


def unresolvable(err: OmegaConfBaseException, cfg: DictConfig | ListConfig) -> ConfigError:
    """An interpolation OmegaConf cannot resolve, as the user's mistake at its key."""
    line = (str(err).strip().splitlines() or [type(err).__name__])[0]
    key = str(getattr(err, "full_key", None) or "")
    value: Any = OmegaConf.to_container(cfg, resolve=False)
    for part in filter(None, key.split(".")):
        value = value.get(part) if isinstance(value, dict) else None
    return ConfigError(
        key or "overrides", value, f"a value or an interpolation that resolves ({line})"
    )


def hydra_error(err: Exception, overrides: Sequence[str]) -> Exception:
    """Hydra's and OmegaConf's composition errors as a ConfigError of one line; any other
    exception as it is.

    An unknown key or preset names the closest allowed ones ("did you mean") instead of
    Hydra's advice to append with ``+`` (which a structured config refuses anyway); a prior
    written without its quotes says how to quote it; other errors keep Hydra's text without
    its search path.
    """
    from hydra.errors import HydraException, MissingConfigException

    if not isinstance(err, HydraException | OmegaConfBaseException):
        return err
    cause: BaseException | None = err
    while cause is not None:  # a check of ours run by Hydra (SEGMENT_RESOLVER): its own line
        if isinstance(cause, ConfigError):
            return cause
        cause = cause.__cause__ or cause.__context__
    for cause in (err, err.__cause__, getattr(err.__cause__, "__cause__", None)):
        if isinstance(cause, MissingConfigException) and cause.options:
            group, _, name = (cause.missing_cfg_file or "").rpartition("/")
            if group:
                return ConfigError(group, name, _closest(name, cause.options, "a preset"))
        if isinstance(cause, OmegaConfBaseException):
            unknown = _unknown_key(cause, overrides)
            if unknown is not None:
                return unknown
    unquoted = _unquoted_prior(overrides)
    if unquoted is not None:
        return unquoted
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


def _closest(given: str, allowed: Sequence[str], what: str) -> str:
    """``what``, with the allowed names closest to ``given`` first ("did you mean")."""
    import difflib

    names = sorted(str(a) for a in allowed)
    close = difflib.get_close_matches(given, names, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    return f"{hint}{what}, one of {names}"


def _unknown_key(cause: OmegaConfBaseException, overrides: Sequence[str]) -> ConfigError | None:
    """A key the config does not have (``n_draw=5``, ``scenario.params.ff=3``), with the
    keys it does have; None for any other OmegaConf error."""
    from omegaconf.errors import ConfigAttributeError, ConfigKeyError

    key, full_key = getattr(cause, "key", None), getattr(cause, "full_key", None)
    parent = getattr(cause, "parent_node", None)
    if not isinstance(cause, ConfigAttributeError | ConfigKeyError) or not full_key:
        return None
    if key is None or not isinstance(parent, DictConfig):
        return None
    allowed = [str(k) for k in parent.keys() if k != "hydra"]
    where = str(full_key).rpartition(".")[0]
    what = f"a key of {where}" if where else "a forecast setting"
    if where == "scenario":
        what = f"a scenario setting of model {parent.get('model')}{_owners(str(key))}"
    section, _, rest = str(full_key).partition(".params.")
    if rest and "." not in rest:
        names = _parameter_names(section, parent)
        owner = parent._get_parent()
        stage = owner.get("name") if isinstance(owner, DictConfig) else None
        if section == "timelines" and stage == "none":
            presets = sorted(p.stem for p in (conf_dir() / "timelines").glob("*.yaml"))
            stages = [f"timelines={p}" for p in presets if p != "none"]
            what = f"a timelines stage chosen first (one of {stages}; now timelines=none)"
            return ConfigError(str(full_key), _given(full_key, overrides), what)
        if str(key) in names:
            what = f"+{full_key}=... (the preset omits {key}; a leading + adds it)"
            return ConfigError(str(full_key), _given(full_key, overrides), what)
        allowed = sorted(set(allowed) | set(names))
        what = f"a parameter of {section} (+{section}.params.<name>=... adds one the preset omits)"
    return ConfigError(
        str(full_key), _given(full_key, overrides), _closest(str(key), allowed, what)
    )


def _given(key: object, overrides: Sequence[str]) -> str | None:
    """The value the command line gave ``key`` (None if it gave none)."""
    return next(
        (a.split("=", 1)[1] for a in overrides if a.lstrip("+").startswith(f"{key}=")), None
    )


def _owners(key: str) -> str:
    """Which other models have the scenario setting ``key`` (an option of another model set
    on this one), as a clause; empty if none has it."""
    owners = [
        name
        for name, cls in sorted(registered().items())
        if key in {f.name for f in dataclasses.fields(cls.config)}
    ]
    return f" ({key} is a setting of model {' and '.join(owners)})" if owners else ""


def _parameter_names(section: str, params: DictConfig) -> list[str]:
    """The parameters a ``scenario`` or ``timelines`` section's priors may set."""
    owner = params._get_parent()
    if not isinstance(owner, DictConfig):
        return []
    try:
        if section == "scenario":
            return list(get_model(str(owner.get("model")))().parameters())
        if section == "timelines":
            from .models.timelines import parameter_tables

            return list(parameter_tables().get(str(owner.get("method")), {}))
    except (ConfigError, OmegaConfBaseException):
        pass
    return []


# A compact prior left unquoted on the command line: Hydra reads ``f=log_uniform(...)`` as
# a call of its own grammar.
_UNQUOTED_PRIOR = re.compile(r"^\+{0,2}(?P<key>[\w.]+)=(?P<value>\w+\(.*\))$")


def _unquoted_prior(overrides: Sequence[str]) -> ConfigError | None:
    """A prior in the compact form that Hydra could not parse: how to quote it."""
    from ._priors import DISTRIBUTIONS

    for arg in overrides:
        match = _UNQUOTED_PRIOR.match(arg)
        if match is None or match["value"].split("(")[0] not in DISTRIBUTIONS:
            continue
        return ConfigError(
            match["key"],
            match["value"],
            "a prior in quotes that reach Hydra, e.g. "
            f"'{match['key']}=\"{match['value']}\"' (single quotes for the shell, "
            "double quotes for Hydra)",
        )
    return None


# ``~key``: Hydra deletes the key. Only a prior may go (to be added back in another form:
# ``~scenario.params.r0 '+scenario.params.r0={dist: ...}'``); a deleted setting would reach
# the job as a missing value instead of its default.
_DELETABLE = re.compile(r"^(scenario|timelines)\.params\.\w+$")
# The groups whose ``name`` becomes a directory Hydra creates (conf/*.yaml, SEGMENT_RESOLVER).
_NAMED_GROUPS = ("scenario", "model")


def check_overrides(overrides: Sequence[str]) -> None:
    """Refuse, before Hydra composes or creates anything, a ``~key`` of anything but a prior
    and a group name that would put a directory outside its parent, in every form Hydra
    accepts (``scenario.name=../..``, ``'scenario={name: ../..}'``, ``++``, each value of a
    sweep). Flags and overrides Hydra cannot parse are left to Hydra."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    for arg in overrides:
        try:
            (override,) = parser.parse_overrides([arg])
        except Exception:  # noqa: BLE001 - a flag (-m), or Hydra's own grammar error later
            continue
        key = override.key_or_group
        if override.is_delete():
            if not _DELETABLE.match(key):
                raise ConfigError(
                    key,
                    override.input_line,
                    "a setting to change, not delete (~ deletes only a prior, "
                    "scenario.params.<name> or timelines.params.<name>, to add it back in "
                    "another form with +)",
                )
            continue
        group, _, leaf = key.partition(".")
        if group not in _NAMED_GROUPS or leaf not in ("", "name"):
            continue
        values = (
            list(override.sweep_iterator()) if override.is_sweep_override() else [override.value()]
        )
        for value in values:
            if leaf == "name":
                check.path_segment(key, value)
            elif isinstance(value, dict) and "name" in value:
                check.path_segment(f"{group}.name", value["name"])


def compose_forecast(overrides: Sequence[str] = ()) -> DictConfig:
    """conf/forecast.yaml composed with Hydra ``overrides``, as ``forecaster forecast`` does
    (the structured schema registered first; no app, no output directory).

    Raises:
        ConfigError: a config Hydra cannot compose (unknown preset or key, bad override).
    """
    from hydra import compose, initialize_config_dir

    check_overrides(overrides)
    register_configs()
    extra = searchpath_override()
    try:
        with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
            return compose(config_name="forecast", overrides=[*extra, *overrides])
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

    model_cls = get_model(s.get("model"))
    refuse_unknown(s, model_cls)
    if model_cls.precision is not None:  # a model that needs float64 gets it
        precision = check.choice("precision", model_cls.precision, PRECISIONS)
    s = {**_defaults(model_cls.config), **s}
    for key in ("name", "description"):
        check.text(f"scenario.{key}", s[key])
    start_year = s.get("start_year")
    if start_year is not None:
        start_year = check.number(
            "scenario.start_year", start_year, 1900.0, 3000.0, allowed="a decimal year"
        )
    timelines = plan_timelines(c.get("timelines"))
    observed = _horizon_condition(c.get("condition") or {})
    event = None
    if timelines is not None:
        event = (timelines.explosion_years, timelines.explosion_window_years)
    run = RunSettings(
        horizon_years=horizon,
        windows_years=tuple(w / 12.0 for w in windows),
        progress_years=levels,
        fan_points=fan_points,
        event=event,
        horizon_year=None if observed is None else observed[0],
    )
    model, priors = model_cls.plan(s, run)
    if s.get("resample") is not None:
        if type(model).accepts is Model.accepts:  # no rule of its own
            allowed = f"null: model {model.name} has no rule to accept draws by"
            raise ConfigError("scenario.resample", s["resample"], allowed)
        priors = priors.resampled(s["resample"], "scenario.resample")
    _check_representable(priors, precision)
    not_before = _not_before(c.get("condition") or {}, model, timelines, start_year)
    if observed is not None and model.outcomes().horizon_at is None:
        raise ConfigError(
            "condition.horizon_year",
            observed[0],
            f"null for model {model.name}: it has no time-horizon trajectory (the AI Futures "
            "Model has: scenario=aifm_dec2025)",
        )
    if timelines is not None:
        link_joint_posteriors(priors, timelines.priors, "timelines")
    # A keyword constructor call, alike in shape to TimelinePlan's (duplicates lists the pair):
    # deliberate, no logic is shared.
    return ForecastPlan(
        scenario=s["name"],
        priors=priors,
        model=model,
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
        not_before=not_before,
        horizon=observed,
    )


def _horizon_condition(condition: Any) -> tuple[float, float, float] | None:
    """``condition.horizon_year`` and ``horizon_minutes`` checked: both or neither."""
    if not isinstance(condition, dict):
        raise ConfigError("condition", condition, "a mapping of conditions")
    year, minutes = condition.get("horizon_year"), condition.get("horizon_minutes")
    if year is None and minutes is None:
        return None
    if year is None:
        raise ConfigError("condition.horizon_year", None, "a decimal year with horizon_minutes")
    year = check.number("condition.horizon_year", year, 1900.0, 3000.0, allowed="a decimal year")
    if (
        not isinstance(minutes, list | tuple)
        or len(minutes) != 2
        or not all(check.is_number(m) for m in minutes)
        or not 0 <= float(minutes[0]) < float(minutes[1])
    ):
        allowed = "[low, high]: the observed horizon's interval in minutes, 0 <= low < high"
        raise ConfigError("condition.horizon_minutes", minutes, allowed)
    return year, float(minutes[0]), float(minutes[1])


def _not_before(
    condition: Any, model: Model, timelines: TimelinePlan | None, start_year: float | None
) -> float | None:
    """``condition.not_before`` checked: a decimal year, for a run with dated outcomes."""
    if not isinstance(condition, dict):
        raise ConfigError("condition", condition, "a mapping with not_before")
    value = condition.get("not_before")
    if value is None:
        return None
    year = check.number("condition.not_before", value, 1900.0, 3000.0, allowed="a decimal year")
    dated_milestones = model.outcomes().milestones is not None and start_year is not None
    if timelines is None and not dated_milestones:
        raise ConfigError(
            "condition.not_before",
            value,
            "null for this run: nothing in it has a date (add a timelines stage, e.g. "
            "timelines=metr_trend, or use a model with dated milestones)",
        )
    return year


def _defaults(config: type) -> dict[str, Any]:
    """A model config's defaults (for a scenario composed without its schema)."""
    out = {}
    for item in dataclasses.fields(config):
        if item.default is not dataclasses.MISSING and item.default is not MISSING:
            out[item.name] = item.default
        elif item.default_factory is not dataclasses.MISSING:
            out[item.name] = item.default_factory()
    return out


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

"""The explorer's state: what the page sends, checked, and turned into the CLI's overrides.

A state is plain JSON (it is also what the page's URL holds)::

    {"scenario": "davidson_houlden_2025", "timelines": "none", "n_draws": 100000, "seed": 0,
     "params": {"scenario.params.f": "log_uniform(low=2, high=32)"},
     "options": {"constant_r": true}}

Every value is checked here before it reaches Hydra, with the CLI's own one-line messages
for the rest: a prior is a number, the compact form with numeric arguments, or
``posterior:<id>`` naming a calibration run the server lists (:mod:`._calibrations`; the
page never names a path: the server reads no path a page names), a preset one of
``conf/``'s, an option one of the scenario's switches. :func:`overrides` gives the very
overrides ``forecaster forecast`` would take (a ``posterior:<id>`` becomes the CLI's
``posterior(path=..., variable=...)``), so every number the page shows is the CLI's for the
same settings and seed.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from typing import Any

from .. import _validate as check
from .._errors import ConfigError
from .._paths import conf_dir

#: The compact prior form with numeric arguments only: ``log_uniform(low=2, high=32)``.
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_COMPACT = re.compile(
    rf"^\s*[a-z_]+\s*\(\s*(?:[a-z_]+\s*=\s*{_NUMBER}\s*(?:,\s*[a-z_]+\s*=\s*{_NUMBER}\s*)*)?\)\s*$"
)
#: A prior's place in the config: ``scenario.params.f``, ``scenario.latent.amr_to_sar``,
#: ``timelines.params.doubling_time_days`` (a bare name is ``scenario.params.<name>``).
_PRIOR_PATH = re.compile(r"^(scenario|timelines)\.(params|latent)\.[A-Za-z_][A-Za-z0-9_]{0,63}$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
#: A calibrated posterior as the page gives it: ``posterior:returns/2026-12-06_10-00-00``.
POSTERIOR_PREFIX = "posterior:"
#: The fields of a page's state (what :class:`State` holds besides the server's own).
STATE_FIELDS = ("scenario", "timelines", "n_draws", "seed", "params", "options")


def switches() -> tuple[str, ...]:
    """Every registered model's on/off switches (a page's options are one model's)."""
    from ..models import registered

    names: dict[str, None] = {}
    for cls in registered().values():
        names |= dict.fromkeys(cls.switches)
    return tuple(names)


MAX_DRAWS = 10_000_000
DEFAULT_DRAWS = 100_000


def _preset_files(group: str) -> dict[str, Any]:
    """The preset files of a config group by name: the package's and those of plug-in
    models' config directories."""
    from ..models import conf_dirs, load_plugins

    load_plugins()
    return {p.stem: p for d in (conf_dir(), *conf_dirs()) for p in (d / group).glob("*.yaml")}


def presets(group: str) -> list[str]:
    """The presets of a config group (``scenario`` or ``timelines``), by file name."""
    return sorted(_preset_files(group))


def preset_details() -> list[dict[str, str]]:
    """Each scenario preset with the model it names, that model's title, and the preset's
    own one-line description: the page groups the presets by model (each model's named
    parameter sets, its authors' among them)."""
    import yaml

    from ..models import registered

    models = registered()
    out = []
    for name, path in sorted(_preset_files("scenario").items()):
        data = yaml.safe_load(path.read_text()) or {}
        model = str(data.get("model", ""))
        cls = models.get(model)
        out.append(
            {
                "name": name,
                "model": model,
                "model_title": cls.title if cls is not None else model,
                "description": str(data.get("description", "")),
            }
        )
    return out


_SWITCH_LINE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*):\s*\S+\s*#\s*(?P<text>.+)$")


def switch_help(scenario: str) -> dict[str, str]:
    """Each switch's plain-language meaning, from the comment beside it in the preset file
    (``constant_r: false  # r stays r0 ...``): the preset's authors' own words."""
    path = _preset_files("scenario").get(scenario)
    if path is None:
        return {}
    out = {}
    for line in path.read_text().splitlines():
        match = _SWITCH_LINE.match(line)
        if match and match["name"] in switches():
            out[match["name"]] = match["text"].strip()
    return out


@dataclasses.dataclass(frozen=True)
class State:
    """A checked state of the page. ``sources``: the server's own, never the page's: for
    each prior given as ``posterior:<id>``, by its path, the CLI's prior of that calibration
    run (``posterior(path=<abs path>, variable=<var>)``), which :func:`overrides` writes."""

    scenario: str
    timelines: str
    n_draws: int
    seed: int
    params: dict[str, str]
    options: dict[str, bool]
    sources: dict[str, str] = dataclasses.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The page's JSON (no path: a posterior stays ``posterior:<id>``)."""
        return {name: getattr(self, name) for name in STATE_FIELDS}


def _shown(value: Any) -> Any:
    """A value as a message shows it: itself, or the start of its repr when long (a page
    may send a megabyte of list)."""
    text = repr(value)
    return value if len(text) <= 80 else f"{text[:60]}... ({len(text):,} characters)"


def prior_path(name: Any, field: str = "params") -> str:
    """A prior's place in the config as the page names it: a path
    ``scenario|timelines.params|latent.<name>``, or a bare name (``scenario.params.<name>``)."""
    path = f"scenario.params.{name}" if isinstance(name, str) and _NAME.match(name) else name
    if not isinstance(path, str) or not _PRIOR_PATH.match(path):
        raise ConfigError(
            field, _shown(name), "parameter names, or paths scenario|timelines.params|latent.<name>"
        )
    return path


def parse_state(raw: Any, posteriors: Mapping[str, str] | None = None) -> State:
    """The page's JSON, checked; ConfigError naming the field (as the page names it).

    ``posteriors``: the calibration runs the server lists, id -> the CLI's prior of each
    (:meth:`._calibrations.Catalogue.priors`); a prior ``posterior:<id>`` must name one."""
    if not isinstance(raw, Mapping):
        raise ConfigError("state", _shown(raw), "a JSON object")
    posteriors = posteriors or {}
    unknown = sorted(set(raw) - set(STATE_FIELDS))
    if unknown:
        raise ConfigError(unknown[0], _shown(raw[unknown[0]]), "a field of the explorer's state")
    scenario = check.choice("scenario", raw.get("scenario", "decaying"), presets("scenario"))
    timelines = check.choice("timelines", raw.get("timelines", "none"), presets("timelines"))
    n_draws = check.integer("n_draws", raw.get("n_draws", DEFAULT_DRAWS), 1, MAX_DRAWS)
    seed = check.integer("seed", raw.get("seed", 0), 0, 2**31 - 1)
    params = raw.get("params") or {}
    if not isinstance(params, Mapping):
        raise ConfigError("params", _shown(params), "a mapping of parameter -> prior")
    checked: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, spec in params.items():
        path = prior_path(name)
        checked[path] = _prior_text(path, spec, posteriors)
        if checked[path].startswith(POSTERIOR_PREFIX):
            sources[path] = posteriors[checked[path].removeprefix(POSTERIOR_PREFIX)]
    options = raw.get("options") or {}
    if not isinstance(options, Mapping):
        raise ConfigError("options", _shown(options), f"a mapping of switches: {list(switches())}")
    chosen = {}
    for name, value in options.items():
        check.choice("options", name, switches())
        chosen[name] = check.boolean(f"scenario.{name}", value)
    return State(scenario, timelines, n_draws, seed, checked, chosen, sources)


def _prior_text(field: str, spec: Any, posteriors: Mapping[str, str]) -> str:
    """A prior as the page may give it: a finite number, the numeric compact form, or
    ``posterior:<id>`` of a listed calibration run."""
    if check.is_number(spec):
        if not math.isfinite(float(spec)):
            raise ConfigError(field, spec, "a finite number")
        return repr(float(spec))
    if isinstance(spec, str) and re.fullmatch(rf"\s*{_NUMBER}\s*", spec):
        return _prior_text(field, float(spec), posteriors)
    if isinstance(spec, str) and spec.strip().startswith(POSTERIOR_PREFIX):
        run = spec.strip().removeprefix(POSTERIOR_PREFIX).strip()
        if run not in posteriors:  # a lookup, never a path: only the server's listed runs
            listed = sorted(posteriors) or "none found in the server's calibrations directory"
            raise ConfigError(
                field, _shown(spec), f"posterior:<id> of a calibration run listed: {listed}"
            )
        return POSTERIOR_PREFIX + run
    if (
        not isinstance(spec, str)
        or not _COMPACT.match(spec)
        or spec.strip().startswith("posterior")
    ):
        raise ConfigError(
            field,
            _shown(spec),
            "a number, a prior such as log_uniform(low=2, high=32) (numeric arguments), or "
            "posterior:<id> of a calibration run the server lists (no paths)",
        )
    return re.sub(r"\s+", " ", spec.strip())


def overrides(state: State, extra: tuple[str, ...] = ()) -> list[str]:
    """The ``forecaster forecast`` overrides of a state (``extra`` appended)."""
    items = [
        f"scenario={state.scenario}",
        f"timelines={state.timelines}",
        f"n_draws={state.n_draws}",
        f"seed={state.seed}",
    ]
    for path, text in state.params.items():
        if re.fullmatch(_NUMBER, text):  # a fixed value: a number to Hydra, as the CLI gives it
            items.append(f"++{path}={text}")
        else:
            items.append(f"++{path}='{state.sources.get(path, text)}'")
    items += [f"scenario.{name}={str(on).lower()}" for name, on in state.options.items()]
    return [*items, *extra]


def cli_command(state: State) -> str:
    """The command line that computes what the page shows (for the page and the docs)."""
    parts = ["forecaster", "forecast"]
    for item in overrides(state):
        parts.append(f'"{item}"' if any(c in item for c in " '()") else item)
    return " ".join(parts)

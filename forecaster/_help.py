"""``--help`` of the commands that are Hydra apps: the config groups that command composes.

Hydra's own help lists every group under ``conf/`` (a forecast's help would offer the
calibration models, ``model=...``, and the internal ``scenario_schema``). Each command gets
its own help config instead (``hydra/help=forecaster_<command>``), listing only its groups,
with their presets read from ``conf/`` and the plug-ins' config directories.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._paths import conf_dir
from .models._plugins import conf_dirs

#: The groups a user picks an option of, per command (the rest of conf/ is not theirs).
GROUPS: dict[str, tuple[str, ...]] = {
    "forecast": ("scenario", "timelines"),
    "trajectory": ("scenario", "timelines"),
    "calibrate": ("model",),
}
WHAT = {
    "forecast": "run a forecast (default scenario: decaying)",
    "trajectory": "one path at the scenario's prior medians (trajectory.csv and .png)",
    "calibrate": "calibrate priors against observed data with NUTS (docs/CALIBRATION.md)",
}
EXAMPLES = {
    "forecast": "forecaster forecast scenario=<preset> n_draws=1000000 seed=1",
    "trajectory": "forecaster trajectory scenario=<preset> scenario.params.f=8",
    "calibrate": "forecaster calibrate model=returns",
}
HELP_FLAGS = ("--help",)  # Hydra has no -h


def group_options(group: str) -> list[str]:
    """The presets of a config group: ``conf/<group>/*.yaml`` and the plug-ins' own."""
    names = set()
    for root in (conf_dir(), *conf_dirs()):
        names |= {p.stem for p in (root / group).glob("*.yaml")}
    return sorted(names)


def help_template(command: str) -> str:
    """The help text of ``forecaster <command> --help`` (Hydra fills in ``$CONFIG``)."""
    groups = "\n".join(f"{g}: {', '.join(group_options(g))}" for g in GROUPS[command])
    return (
        f"forecaster {command}: {WHAT[command]}\n\n"
        "== Configuration groups ==\n"
        "Pick one option of each (group=option):\n\n"
        f"{groups}\n\n"
        "== Config ==\n"
        "Override any key (key=value; docs/CONFIG.md documents every one):\n\n"
        "$CONFIG\n"
        f"Example: {EXAMPLES[command]}\n"
        "--cfg job prints the composed config; -m key=a,b runs a sweep; "
        "--hydra-help shows Hydra's own options.\n"
    )


def help_overrides(command: str, args: Sequence[str]) -> list[str]:
    """With ``--help`` among ``args``: register the command's help config and return the
    override that selects it; otherwise nothing."""
    if command not in GROUPS or not any(a in HELP_FLAGS for a in args):
        return []
    from hydra.core.config_store import ConfigStore

    name = f"forecaster_{command}"
    node = {"app_name": f"forecaster {command}", "header": "", "footer": ""}
    node["template"] = help_template(command)
    ConfigStore.instance().store(group="hydra/help", name=name, node=node)
    return [f"hydra/help={name}"]

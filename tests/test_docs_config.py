"""docs/CONFIG.md stays honest (issue 30 item 8): every preset of conf/scenario and
conf/timelines has its section, each preset's keys and parameters are named there, and every
config key of every model, the timelines stage and the run has its row. README line 1 and
.ci/run agree."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from forecaster._config import ConditionConfig, DistributedConfig, ForecastConfig, OutputConfig
from forecaster.models import registered
from forecaster.models.timelines._stages import TimelinesConfig

ROOT = Path(__file__).resolve().parents[1]
CONF = ROOT / "conf"
DOC = (ROOT / "docs" / "CONFIG.md").read_text()
# Keys every preset has, documented once in the scenario table rather than per preset.
COMMON = {"defaults", "model", "name", "description", "correlations", "latent", "milestones"}


def _presets(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


def _section(name: str) -> str:
    """The text of the ``### `name` `` section (up to the next heading)."""
    match = re.search(rf"^###+ `{re.escape(name)}`[^\n]*\n(.*?)(?=^#)", DOC, re.M | re.S)
    assert match, f"docs/CONFIG.md has no section '### `{name}`'"
    return match.group(1)


def _row(key: str) -> str:
    """The table row of ``key`` (its first cell)."""
    match = re.search(rf"^\| `{re.escape(key)}` \|[^\n]*", DOC, re.M)
    assert match, f"docs/CONFIG.md has no row for `{key}`"
    return match.group(0)


@pytest.mark.parametrize("preset", _presets("scenario"))
def test_every_scenario_preset_is_documented_with_its_keys(preset):
    section = _section(preset)
    shared = re.search(r"parameters are those of the\s+table under\s+`([\w.]+)`", section)
    if shared:  # presets of one model may share the table of their parameters
        section += _section(shared.group(1))
    assert f"`{preset}`" in _row("scenario"), "the scenario row's allowed values"
    data = yaml.safe_load((CONF / "scenario" / f"{preset}.yaml").read_text())
    keys = (set(data) - COMMON - {"params"}) | set(data.get("params") or {})
    missing = sorted(k for k in keys if k not in section)
    assert not missing, f"### `{preset}` in docs/CONFIG.md does not name {missing}"


@pytest.mark.parametrize("preset", _presets("timelines"))
def test_every_timelines_preset_is_documented(preset):
    assert f"`{preset}`" in _row("timelines") and f"`{preset}`" in _row("timelines.name")
    if preset == "none":  # no stage, nothing to describe
        return
    _section(preset)
    # Its parameters are described in the Timelines part (the tables shared by presets).
    part = DOC.split("## Timelines", 1)[1].split("\n## ", 1)[0]
    data = yaml.safe_load((CONF / "timelines" / f"{preset}.yaml").read_text())
    missing = sorted(k for k in data.get("params") or {} if f"`{k}`" not in part)
    assert not missing, f"docs/CONFIG.md's Timelines does not name {preset}'s {missing}"


@pytest.mark.parametrize("model", sorted(registered()))
def test_every_scenario_key_of_every_model_has_a_row(model):
    config = registered()[model].config
    for field in dataclasses.fields(config):
        _row(f"scenario.{field.name}")


def test_every_run_and_timelines_key_has_a_row():
    for field in dataclasses.fields(TimelinesConfig):
        _row(f"timelines.{field.name}")
    for field in dataclasses.fields(ForecastConfig):
        if field.name not in ("output", "distributed", "scenario", "timelines", "condition"):
            _row(field.name)
    groups = (("output", OutputConfig), ("distributed", DistributedConfig))
    for prefix, config in (*groups, ("condition", ConditionConfig)):
        for field in dataclasses.fields(config):
            _row(f"{prefix}.{field.name}")


def test_readme_line_one_is_what_ci_runs():
    """.ci/run installs and tests exactly as README lines 1 and 2 say."""
    readme = (ROOT / "README.md").read_text().split("```bash\n", 1)[1].splitlines()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme[0] in ci
    install, tests = readme[1].split(" && python -m pytest", 1)
    assert install in ci and f". .venv/bin/activate && python -m pytest{tests}" in ci
    assert ci.index(readme[0]) < ci.index(install)

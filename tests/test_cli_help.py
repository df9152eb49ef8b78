"""``forecaster <command> --help`` lists the config groups of that command only (issue 30
item 8): a forecast's help does not offer the calibration models or internal schemas."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forecaster.cli import main
from forecaster.models._plugins import conf_dirs

CONF = Path(__file__).resolve().parents[1] / "conf"


def _help(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as exit_:
        main([*args, "--help"])
    assert exit_.value.code in (0, None)
    return capsys.readouterr().out


def _groups(text: str) -> dict[str, list[str]]:
    """``group: a, b, c`` lines of the help's groups section."""
    section = text.split("== Configuration groups ==", 1)[1].split("== Config ==", 1)[0]
    found = re.findall(r"^(\w+): (.+)$", section, flags=re.M)
    return {group: options.split(", ") for group, options in found}


def _presets(group: str) -> list[str]:
    """The group's presets in conf/ and in any plug-in's directory registered so far (the
    suite imports tests.plugin_model, whose preset the help then lists too)."""
    roots = (CONF, *conf_dirs())
    return sorted({p.stem for root in roots for p in (root / group).glob("*.yaml")})


@pytest.mark.parametrize("command", ["forecast", "trajectory"])
def test_forecast_help_lists_its_groups_only(capsys, command):
    text = _help(capsys, command)
    groups = _groups(text)
    assert groups == {"scenario": _presets("scenario"), "timelines": _presets("timelines")}
    assert "model:" not in text.split("== Config ==", 1)[0]
    for calibration_model in _presets("model"):
        assert calibration_model not in text.split("== Config ==", 1)[0]
    assert "scenario_schema" not in text
    assert "n_draws:" in text  # the composed config follows


def test_help_after_overrides_shows_them(capsys):
    text = _help(capsys, "forecast", "scenario=explosive")
    assert "name: explosive" in text


def test_calibrate_help_lists_the_models(capsys):
    text = _help(capsys, "calibrate")
    assert _groups(text) == {"model": _presets("model")}
    assert "scenario" not in text.split("== Config ==", 1)[0]


def test_help_with_a_plugin_loaded_lists_its_preset(capsys):
    """A plug-in's config directory is on the search path (an override of our own, placed
    before the user's: argparse takes no overrides after --help) and its preset is offered."""
    import tests.plugin_model  # noqa: F401  (registers its config directory)

    text = _help(capsys, "forecast")
    assert "exponential_ceiling" in _groups(text)["scenario"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--help"], ["--help", "o=1"]),
        (["--help", "a=1"], ["--help", "o=1", "a=1"]),
        (["-m", "a=1,2", "b=3"], ["-m", "o=1", "a=1,2", "b=3"]),
        (["a=1", "--cfg", "job"], ["--cfg", "job", "o=1", "a=1"]),
        (["--info", "searchpath", "a=1"], ["--info", "searchpath", "o=1", "a=1"]),
    ],
)
def test_our_overrides_join_the_users_in_one_run(args, expected):
    """Hydra's parser takes overrides as one run of positionals: ours go just before the
    user's, whatever flags come first (``forecast -m ...`` with a plug-in loaded failed
    when they were put first, ``--help`` when they were put last)."""
    from forecaster.cli import with_overrides

    assert with_overrides(args, ["o=1"]) == expected

"""The command line on a user's mistake: exit code 2, one clear line, no traceback, no results.

Each subprocess pays for importing JAX (~3-5 s), so the cases run concurrently, once per module.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from forecaster.cli import COMMANDS

# Every test reads the output of the module's subprocesses.
pytestmark = pytest.mark.slow

# name -> (arguments after `python -m forecaster`, does it need a run dir)
CASES: dict[str, tuple[list[str], bool]] = {
    "value_out_of_range": (["forecast", "scenario.params.phi0=1.5"], True),
    "missing_posterior": (
        [
            "forecast",
            "~scenario.params.r0",
            "+scenario.params.r0={dist: posterior, path: /nonexistent/posterior.nc,"
            " variable: r_new}",
        ],
        True,
    ),
    "unknown_preset": (["forecast", "scenario=nope"], True),
    "unknown_key": (["forecast", "nonsense=1"], True),
    "type_error": (["forecast", "n_draws=abc"], True),
    "help": (["--help"], False),
    "unknown_command": (["bogus"], False),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[subprocess.CompletedProcess, Path]]:
    root = tmp_path_factory.mktemp("cli")
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "HYDRA_FULL_ERROR": "0"}
    started = {}
    for name, (args, needs_dir) in CASES.items():
        run_dir = root / name / "run"
        extra = [f"hydra.run.dir={run_dir}"] if needs_dir else []
        started[name] = (
            subprocess.Popen(
                [sys.executable, "-m", "forecaster", *args, *extra],
                cwd=root,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            args,
            run_dir,
        )
    done = {}
    for name, (proc, args, run_dir) in started.items():
        out, err = proc.communicate(timeout=120)
        done[name] = (subprocess.CompletedProcess(args, proc.returncode, out, err), run_dir)
    return done


def assert_user_error(result: subprocess.CompletedProcess, run_dir: Path) -> None:
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert not list(run_dir.parent.rglob("summary.json"))


@pytest.mark.parametrize(
    ("case", "field", "fragment"),
    [
        ("value_out_of_range", "scenario.params.phi0=1.5", "a number in [0, 1]"),
        ("missing_posterior", "scenario.params.r0.path=", "an existing posterior file"),
    ],
)
def test_config_error_is_one_line(runs, case, field, fragment):
    result, run_dir = runs[case]
    assert_user_error(result, run_dir)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"forecaster: error: {field}")
    assert fragment in lines[0]


@pytest.mark.parametrize(
    ("case", "names"),
    [
        ("unknown_preset", ["scenario='nope'", "davidson_houlden_2025"]),  # lists the presets
        ("unknown_key", ["nonsense"]),
        ("type_error", ["n_draws=abc"]),
    ],
)
def test_hydra_composition_error_exits_2(runs, case, names):
    result, run_dir = runs[case]
    assert_user_error(result, run_dir)
    for name in names:
        assert name in result.stderr


def test_help_lists_the_commands(runs):
    result, _ = runs["help"]
    assert result.returncode == 0
    for command in COMMANDS:
        assert f"\n  {command} " in result.stdout, command


def test_unknown_command(runs):
    result, _ = runs["unknown_command"]
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"forecaster: error: command='bogus' is not allowed: one of {list(COMMANDS)}"
    ]

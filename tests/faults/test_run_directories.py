"""Run directories are data, never code, and a refused command never damages one.

A hostile ``.hydra/overrides.yaml`` (a Hydra callback with a ``_target_``) is not replayed by
``resume=``; the saved ``config.yaml`` is plain YAML checked against the schema; a refused
re-run (another seed, a changed override) leaves summary.json and config.yaml as they were;
a directory another process is writing is refused with one line naming that process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from forecaster import ConfigError
from forecaster._rundir import SAVED_CONFIG, load_saved_config, run_lock, save_config

ARGS = (
    "scenario=davidson_houlden_2025",
    "n_draws=4096",
    "output.report=false",
    "output.progress_bar=false",
)


def one_line_error(proc: subprocess.CompletedProcess, code: int = 2) -> str:
    """The process failed with ``code``, saying one 'forecaster: error:' line, no traceback."""
    assert proc.returncode == code, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.startswith("forecaster: error:")]
    assert len(lines) == 1, proc.stderr[-2000:]
    return lines[0]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, forecaster_process) -> Path:
    run = tmp_path_factory.mktemp("runs") / "finished"
    proc = forecaster_process("forecast", *ARGS, f"hydra.run.dir={run}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return run


@pytest.fixture
def run_copy(finished_run, tmp_path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    return copy


def state(run: Path) -> dict[str, bytes]:
    return {name: (run / name).read_bytes() for name in ("summary.json", SAVED_CONFIG)}


# --- the saved config, read as data -------------------------------------------------------


@pytest.fixture
def saved(compose_forecast, tmp_path) -> dict:
    """A forecast config as a run saves it (composed, resolved, plain YAML)."""
    save_config(compose_forecast(*ARGS), tmp_path)
    return yaml.safe_load((tmp_path / SAVED_CONFIG).read_text())


def test_a_saved_config_reads_back_as_the_same_config(saved, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / SAVED_CONFIG).write_text(yaml.safe_dump(saved))
    back = load_saved_config(run)
    assert back.scenario.name == "davidson_houlden_2025" and back.n_draws == 4096
    assert "hydra" not in saved


@pytest.mark.slow
def test_a_run_saves_its_validated_config(finished_run):
    saved = yaml.safe_load((finished_run / SAVED_CONFIG).read_text())
    assert saved["scenario"]["name"] == "davidson_houlden_2025"
    assert saved["n_draws"] == 4096 and "hydra" not in saved


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda c: c | {"evil": {"_target_": "os.system", "_args_": ["true"]}}, "evil"),
        (lambda c: c | {"seed": "${oc.env:HOME}"}, "interpolation"),
        (lambda c: c | {"n_draws": "many"}, "n_draws"),
        (lambda c: ["not", "a", "mapping"], "mapping"),
    ],
    ids=["unknown-key-with-target", "interpolation", "wrong-type", "not-a-mapping"],
)
def test_a_tampered_saved_config_is_refused(tmp_path, saved, edit, fragment):
    run = tmp_path / "run"
    run.mkdir()
    (run / SAVED_CONFIG).write_text(yaml.safe_dump(edit(saved)))
    with pytest.raises(ConfigError) as err:
        load_saved_config(run)
    assert err.value.field == "resume" and str(run / SAVED_CONFIG) in str(err.value.value)
    assert fragment in err.value.allowed


def test_yaml_tags_are_never_constructed(tmp_path):
    (tmp_path / SAVED_CONFIG).write_text("seed: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(ConfigError, match="readable YAML"):
        load_saved_config(tmp_path)


def test_a_directory_without_a_saved_config_is_not_a_run(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_saved_config(tmp_path)
    assert SAVED_CONFIG in err.value.allowed


# --- resume and re-runs through the command line ---------------------------------------------


@pytest.mark.slow
def test_resume_never_replays_hydra_overrides(forecaster_process, run_copy, tmp_path):
    marker = tmp_path / "PWNED"
    hostile = f"+hydra.callbacks.evil={{_target_:pathlib.Path.touch,_args_:['{marker}']}}"
    overrides = run_copy / ".hydra" / "overrides.yaml"
    overrides.write_text(overrides.read_text() + f"- {hostile}\n")
    before = json.loads((run_copy / "summary.json").read_text())
    proc = forecaster_process("forecast", f"resume={run_copy}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not marker.exists()
    after = json.loads((run_copy / "summary.json").read_text())
    assert after["probabilities"] == before["probabilities"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("seed=7",),
        ("scenario.params.f=4",),
        ("hydra.job.name=other",),
        ("+evil=1",),
        ("~seed",),
    ],
    ids=["other-seed", "changed-prior", "hydra-key", "added-key", "deleted-key"],
)
def test_a_refused_resume_leaves_the_run_as_it_was(forecaster_process, run_copy, args):
    before = state(run_copy)
    line = one_line_error(forecaster_process("forecast", f"resume={run_copy}", *args))
    assert "resume" in line or args[0].lstrip("+~").split("=")[0] in line
    assert state(run_copy) == before


@pytest.mark.slow
def test_a_refused_fresh_run_into_a_finished_directory_keeps_its_results(
    forecaster_process, run_copy
):
    before = state(run_copy)
    line = one_line_error(
        forecaster_process("forecast", *ARGS, "seed=1", f"hydra.run.dir={run_copy}")
    )
    assert str(run_copy) in line
    assert state(run_copy) == before
    # The run can still be resumed (its own config is intact) and reported.
    again = forecaster_process("forecast", f"resume={run_copy}")
    assert again.returncode == 0, again.stderr[-2000:]
    assert json.loads((run_copy / "summary.json").read_text())["seed"] == 0


@pytest.mark.slow
def test_a_directory_another_process_writes_is_refused(forecaster_process, run_copy):
    before = state(run_copy)
    with run_lock(run_copy):
        line = one_line_error(forecaster_process("forecast", f"resume={run_copy}"))
    assert f"process {os.getpid()}" in line and str(run_copy) in line
    assert state(run_copy) == before

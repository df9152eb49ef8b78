"""The fault-injection suite's shared tools: the command line run in-process (fast) or as a
process (for signals), the check that a fault ended in one line, and small finished runs.

Every case asserts the exit code (2 for a user's input, 1 for the environment, 130 for
Ctrl-C), the one ``forecaster: error:`` line, that no traceback was printed, and the state of
the directory afterwards (docs/RELIABILITY.md lists the promises these cases test).
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from forecaster._checkpoint import CHECKPOINT, save_checkpoint
from forecaster.cli import main

SMALL = (
    "scenario=davidson_houlden_2025",
    "n_draws=4096",
    "output.report=false",
    "output.progress_bar=false",
    "output.sample_size=64",
)
# Three chunks of one CPU block each: room to interrupt between checkpoints.
THREE_CHUNKS = (*SMALL[:1], "n_draws=12288", "chunk_size=4096", *SMALL[2:])
RESULTS = ("summary.json", "config.yaml", CHECKPOINT)


@dataclasses.dataclass
class Outcome:
    code: int
    stderr: str

    def one_line(self, code: int, *fragments: str) -> str:
        """Assert the command failed with ``code`` in one error line holding ``fragments``."""
        assert self.code == code, self.stderr[-3000:]
        assert "Traceback" not in self.stderr, self.stderr[-3000:]
        lines = [ln for ln in self.stderr.splitlines() if ln.startswith("forecaster: error:")]
        assert len(lines) == 1, self.stderr[-3000:]
        for fragment in fragments:
            assert fragment in lines[0], lines[0]
        return lines[0]


@pytest.fixture
def cli(capsys, monkeypatch) -> Callable[..., Outcome]:
    """``cli(*args)``: ``forecaster <args>`` in this process; its exit code and stderr."""
    monkeypatch.setenv("JAX_PLATFORMS", "cpu")
    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", "")  # no process-wide cache switch in tests
    monkeypatch.delenv("FORECASTER_DEBUG", raising=False)
    monkeypatch.setattr(sys, "argv", list(sys.argv))

    def run(*args: str) -> Outcome:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        return Outcome(code, capsys.readouterr().err)

    return run


def process(*args: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
    """``python -m forecaster <args>`` as a child process (for signals and concurrency)."""
    return subprocess.Popen(
        [sys.executable, "-m", "forecaster", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "JAX_PLATFORMS": "cpu", **(env or {})},
        **kwargs,
    )


def snapshot(run: Path) -> dict[str, bytes]:
    """The bytes of a run's results (what a refused command must leave as they were)."""
    return {name: (run / name).read_bytes() for name in RESULTS if (run / name).is_file()}


def numbers(run: Path) -> dict:
    """What must be identical between an interrupted-and-resumed run and an uninterrupted one."""
    import json

    s = json.loads((run / "summary.json").read_text())
    return {k: s[k] for k in ("probabilities", "flags", "quantiles", "sensitivity", "fan")}


def rewrite_checkpoint(path: Path, edit: Callable[[dict], None]) -> None:
    """Edit a checkpoint as a hostile user who knows the format would: ``edit(state)``, then
    save it with a fresh content hash (so only the count checks can catch it)."""
    import json

    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        state = {
            **meta,
            "totals": {k[2:]: data[k] for k in data.files if k.startswith("t_")},
            "sample": {k[2:]: data[k] for k in data.files if k.startswith("s_")},
        }
    edit(state)
    save_checkpoint(path, state)


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fault_runs")


def _made(root: Path, name: str, *args: str) -> Path:
    run = root / name
    proc = process("forecast", *args, f"hydra.run.dir={run}")
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-3000:]
    return run


@pytest.fixture(scope="session")
def small_run(runs_root) -> Path:
    """A finished 4096-draw Davidson & Houlden run (made once, never modified: copy it)."""
    return _made(runs_root, "small", *SMALL)


@pytest.fixture(scope="session")
def reference_run(runs_root) -> Path:
    """An uninterrupted three-chunk run: what every interrupted one must resume to."""
    return _made(runs_root, "reference", *THREE_CHUNKS)


@pytest.fixture
def copy_of(tmp_path) -> Callable[[Path], Path]:
    def copy(run: Path) -> Path:
        target = tmp_path / f"copy_{run.name}"
        shutil.copytree(run, target)
        return target

    return copy


@pytest.fixture(scope="session")
def two_shards(runs_root) -> list[Path]:
    """Both shards of an 8192-draw run, each run by its own process (never modified)."""
    dirs = [runs_root / f"shard{i}" for i in range(2)]
    procs = [
        process("forecast", *SMALL, "n_draws=8192", "num_shards=2", f"shard_index={i}",
                f"hydra.run.dir={d}")
        for i, d in enumerate(dirs)
    ]  # fmt: skip
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    return dirs


@pytest.fixture
def shards(two_shards, tmp_path) -> list[Path]:
    """Copies of :func:`two_shards` for one test to edit."""
    copies = []
    for d in two_shards:
        shutil.copytree(d, tmp_path / d.name)
        copies.append(tmp_path / d.name)
    return copies

"""Faults of the process and its machine: Ctrl-C, SIGTERM, SIGKILL, a full disk, a read-only
directory, a backend that cannot start, two runs into one directory.

An interrupted run keeps its last checkpoint (written atomically after every chunk) and,
resumed, gives bitwise the numbers of an uninterrupted run; the faults end in one line with
exit 130 (Ctrl-C) or 1 (the environment); nothing claims success.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

import forecaster._engine as engine
from forecaster._checkpoint import CHECKPOINT, check_counts, load_checkpoint

from .conftest import THREE_CHUNKS, numbers, process

pytestmark = pytest.mark.slow


def _fail_on_save(monkeypatch, n_ok: int, error: BaseException) -> None:
    """The engine's checkpoint writer succeeds ``n_ok`` times, then raises ``error``."""
    real = engine.save_checkpoint
    calls = {"n": 0}

    def save(path, state):
        calls["n"] += 1
        if calls["n"] > n_ok:
            raise error
        real(path, state)

    monkeypatch.setattr(engine, "save_checkpoint", save)


def _interrupted_then_resumed(cli, run: Path, reference_run: Path) -> None:
    state = load_checkpoint(run / CHECKPOINT)
    assert state["next_draw"] == 4096 and not (run / "summary.json").exists()
    assert cli("forecast", f"resume={run}").code == 0
    assert numbers(run) == numbers(reference_run)


def test_ctrl_c_is_exit_130_and_the_run_resumes_to_the_same_numbers(
    cli, monkeypatch, tmp_path, reference_run
):
    run = tmp_path / "run"
    _fail_on_save(monkeypatch, 1, KeyboardInterrupt())
    cli("forecast", *THREE_CHUNKS, f"hydra.run.dir={run}").one_line(130, "interrupted", "resume=")
    monkeypatch.undo()
    _interrupted_then_resumed(cli, run, reference_run)


def test_disk_full_is_exit_1_and_the_run_resumes_to_the_same_numbers(
    cli, monkeypatch, tmp_path, reference_run
):
    run = tmp_path / "run"
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(run / CHECKPOINT))
    _fail_on_save(monkeypatch, 1, full)
    cli("forecast", *THREE_CHUNKS, f"hydra.run.dir={run}").one_line(
        1, "No space left on device", "resume="
    )
    monkeypatch.undo()
    assert not list(run.glob(".accumulators.npz.*"))  # no temporary file left behind
    _interrupted_then_resumed(cli, run, reference_run)


@pytest.fixture
def small_filesystem(tmp_path):
    """An 800 KiB tmpfs: room for one checkpoint of THREE_CHUNKS (530 kB), not for its
    replacement beside it."""
    mount = tmp_path / "small_fs"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=800k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a small filesystem here (needs mount privileges)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_really_full_disk_keeps_the_last_checkpoint(cli, small_filesystem, reference_run):
    run = small_filesystem / "run"
    cli("forecast", *THREE_CHUNKS, f"hydra.run.dir={run}").one_line(1, "No space left on device")
    state = load_checkpoint(run / CHECKPOINT)  # intact, and passes every check
    assert 0 < state["next_draw"] < state["stop_draw"]
    assert not (run / "summary.json").exists()
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_filesystem)], check=True)
    assert cli("forecast", f"resume={run}").code == 0
    assert numbers(run) == numbers(reference_run)


def test_a_read_only_directory_is_exit_1(cli, small_filesystem, small_run, copy_of):
    subprocess.run(["mount", "-o", "remount,ro", str(small_filesystem)], check=True)
    cli("forecast", *THREE_CHUNKS, f"hydra.run.dir={small_filesystem}/run").one_line(
        1, "Read-only file system"
    )


def test_a_path_through_a_file_is_exit_1(cli, tmp_path):
    (tmp_path / "file").write_text("x")
    cli("forecast", *THREE_CHUNKS, f"hydra.run.dir={tmp_path}/file/run").one_line(
        1, "Not a directory"
    )


def test_a_backend_that_cannot_start_is_exit_1(cli, monkeypatch, tmp_path):
    def no_backend():
        raise RuntimeError("Unable to initialize backend 'tpu': no TPU here")

    monkeypatch.setattr(engine.jax, "local_devices", no_backend)
    cli("forecast", *THREE_CHUNKS, f"hydra.run.dir={tmp_path}/run").one_line(
        1, "Unable to initialize backend"
    )
    assert not (tmp_path / "run" / "config.yaml").exists()


def test_a_bug_is_one_line_and_debug_shows_the_traceback(cli, monkeypatch, tmp_path):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(engine, "fingerprint", broken)
    line = cli("forecast", *THREE_CHUNKS, f"hydra.run.dir={tmp_path}/a").one_line(
        1, "internal error ZeroDivisionError", "FORECASTER_DEBUG=1"
    )
    assert "a bug" in line
    monkeypatch.setenv("FORECASTER_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        cli("forecast", *THREE_CHUNKS, f"hydra.run.dir={tmp_path}/b")


def test_debug_shows_the_traceback_of_a_users_mistake(tmp_path):
    proc = process("report", str(tmp_path), env={"FORECASTER_DEBUG": "1"})
    _, err = proc.communicate(timeout=300)
    assert proc.returncode != 0 and "Traceback" in err and "ConfigError" in err


def _wait_for_checkpoint(run: Path, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while not (run / CHECKPOINT).exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()[-3000:]
        time.sleep(0.05)


# Long enough (minutes) that it is still running whenever the test acts on it; stopped by it.
SLOW_DRAWS = 4096 * 5000
SLOW_RUN = (*THREE_CHUNKS[:1], f"n_draws={SLOW_DRAWS}", "chunk_size=4096", *THREE_CHUNKS[3:])


@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGINT, 130), (signal.SIGTERM, -signal.SIGTERM), (signal.SIGKILL, -signal.SIGKILL)],
    ids=["SIGINT", "SIGTERM", "SIGKILL"],
)
def test_a_signalled_run_keeps_a_checkpoint_it_can_resume_from(tmp_path, sig, code):
    """(Resuming to identical numbers is tested above and in test_resume_and_devices.py.)"""
    run = tmp_path / "run"
    proc = process("forecast", *SLOW_RUN, f"hydra.run.dir={run}")
    _wait_for_checkpoint(run, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == code, err[-3000:]
    assert "Traceback" not in err and not (run / "summary.json").exists()
    if sig == signal.SIGINT:
        assert err.strip().splitlines()[-1].startswith("forecaster: error: interrupted")
    state = load_checkpoint(run / CHECKPOINT)
    assert 0 < state["next_draw"] < state["stop_draw"] == SLOW_DRAWS
    check_counts(run / CHECKPOINT, state, (0, SLOW_DRAWS), (64, 0))  # a state a resume accepts


def test_a_second_run_into_a_busy_directory_is_refused_and_the_first_goes_on(tmp_path):
    run = tmp_path / "run"
    first = process("forecast", *SLOW_RUN, f"hydra.run.dir={run}")
    try:
        _wait_for_checkpoint(run, first)
        second = process("forecast", *SLOW_RUN, f"hydra.run.dir={run}")
        _, err = second.communicate(timeout=300)
        assert second.returncode == 2 and "Traceback" not in err, err[-3000:]
        assert f"process {first.pid} is" in err
        assert first.poll() is None  # the first run was not disturbed
        before = load_checkpoint(run / CHECKPOINT)["next_draw"]
        _wait_for_progress(run, first, before)
    finally:
        first.kill()
        first.communicate(timeout=60)


def _wait_for_progress(run: Path, proc: subprocess.Popen, beyond: int) -> None:
    deadline = time.monotonic() + 300
    while load_checkpoint(run / CHECKPOINT)["next_draw"] <= beyond:
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)

"""Ctrl-C at any point: imports, compile, sampling, a calibration's NUTS, its plots. Each is
one line and exit 130, never a traceback, never a segfault, never swallowed (a Ctrl-C that a
library's callback could not raise still stops the run), and nothing claims success.

The child processes run ``python -m forecaster`` (its console script's path,
:func:`forecaster.cli.run`), signalled at fixed delays: each delay lands in some phase (which
one depends on the machine's speed); the runs are long enough that none finishes first. The
interpreter's own start (tens of milliseconds before forecaster's first line runs) is Python's.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

import forecaster._engine as engine
import forecaster._interrupt as interrupt
from forecaster._checkpoint import CHECKPOINT, load_checkpoint

from .conftest import THREE_CHUNKS, process

LONG_FORECAST = ("forecast", "n_draws=50000000", "output.progress_bar=false")
# Long enough that a Ctrl-C at 9 s still lands in the sampling on a fast machine (200,000
# samples were done by then on CI's: the run ended first and nothing was interrupted).
LONG_CALIBRATION = ("calibrate", "model=returns", "inference.num_samples=2000000", "plots=false")


def _interrupted_after(args: tuple[str, ...], delay: float, cwd: Path) -> tuple[int, str]:
    proc = process(*args, cwd=cwd)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    return proc.returncode, err


def _assert_one_interrupted_line(code: int, err: str, fragment: str) -> None:
    # A run's own warnings may come first (a fast machine finishes a calibration's sampling
    # before a late Ctrl-C, and warns that it did not converge): one error line after them.
    lines = [
        line
        for line in err.splitlines()
        if line.strip() and not line.startswith(("[", "WARNING: "))
    ]
    assert code == 130, err[-3000:]  # not -11 (a segfault), not 0 (swallowed)
    assert "Traceback" not in err and "Exception ignored" not in err, err[-3000:]
    assert len(lines) == 1 and lines[0].startswith("forecaster: error: interrupted"), err
    assert fragment in lines[0]


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5, 3.0, 6.0])
def test_ctrl_c_during_a_forecast_at_any_moment(tmp_path, delay):
    code, err = _interrupted_after(LONG_FORECAST, delay, tmp_path)
    _assert_one_interrupted_line(code, err, "resume=")
    assert not list(tmp_path.rglob("summary.json"))


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.3, 2.0, 5.0, 9.0])
def test_ctrl_c_during_a_calibration_at_any_moment(tmp_path, delay):
    code, err = _interrupted_after(LONG_CALIBRATION, delay, tmp_path)
    _assert_one_interrupted_line(code, err, "calibration")
    assert not list(tmp_path.rglob("posterior.nc"))


def test_a_swallowed_ctrl_c_still_stops_the_run_at_its_checkpoint(cli, monkeypatch, tmp_path):
    """A KeyboardInterrupt raised inside a garbage-collection callback is printed by Python
    as "Exception ignored" and lost; the recorded SIGINT stops the run after the checkpoint."""
    real, calls = engine.save_checkpoint, {"n": 0}

    def save(path, state):
        real(path, state)
        calls["n"] += 1
        if calls["n"] == 1:
            monkeypatch.setattr(interrupt, "_requested", True)  # as the handler records it

    monkeypatch.setattr(engine, "save_checkpoint", save)
    run = tmp_path / "run"
    cli("forecast", *THREE_CHUNKS, f"hydra.run.dir={run}").one_line(130, "interrupted")
    assert load_checkpoint(run / CHECKPOINT)["next_draw"] == 4096
    assert not (run / "summary.json").exists()


def test_a_ctrl_c_during_imports_waits_for_them_then_stops(monkeypatch):
    """Inside :func:`interrupt.deferred` a SIGINT is recorded, raised on leaving."""
    before = signal.getsignal(signal.SIGINT)
    hook = __import__("sys").unraisablehook
    monkeypatch.setattr(interrupt, "_requested", False)
    try:
        interrupt.install()
        with pytest.raises(KeyboardInterrupt):
            with interrupt.deferred():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)
                reached = True  # the import went on to its end
        assert reached and interrupt.requested()
    finally:
        signal.signal(signal.SIGINT, before)
        __import__("sys").unraisablehook = hook


def test_a_ctrl_c_a_callback_could_not_raise_is_not_printed(monkeypatch, capsys):
    import sys

    hook = sys.unraisablehook
    before = signal.getsignal(signal.SIGINT)
    monkeypatch.setattr(interrupt, "_requested", True)
    try:
        interrupt.install()

        class Dropped:
            def __del__(self):
                raise KeyboardInterrupt

        Dropped()  # its __del__'s exception goes to the unraisable hook
        assert "KeyboardInterrupt" not in capsys.readouterr().err
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()
    finally:
        signal.signal(signal.SIGINT, before)
        sys.unraisablehook = hook

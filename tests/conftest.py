"""Shared fixtures: JAX's 64-bit mode kept per test, a parameter builder, and the forecast
config composed (and run) as the command line does it.

The fast loop, ``python -m pytest -q -m "not slow"``, took 217 s cold on 2 CPU cores (640
tests, 2026-12-07; it was 110 s for 506 tests, measured with ``--durations=40 -p
no:cacheprovider``, and 230 s before the marks of issue 30 item 9). A test over about a
second is ``@pytest.mark.slow``, and so is every test using a module fixture that is (its
setup is charged to the first test using it): the ladder's eager window search, the AI 2027
peer comparison, tests/test_forecast_repr.py's runs. Each area keeps a quick test in the
fast loop (one preset per model in tests/test_model_contract.py, D&H's loop with no option
and with all three); ``python -m pytest -q`` (CI) runs all.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from forecaster import PARAMETERS
from forecaster._xla import DEVICES_FLAG
from forecaster.models.general_law._parameters import to_params

# One XLA:CPU device for the suite's runs, in process and in the commands it starts (the
# command line's default is one a core, forecaster/_xla.py, and never over a count the user
# set): tests that count a run's chunks and blocks assume one, and the same numbers
# whatever the device count have their own tests (tests/test_resume_and_devices.py).
if DEVICES_FLAG not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --{DEVICES_FLAG}=1".strip()


@pytest.fixture(autouse=True)
def _restore_x64():
    """64-bit mode is global (``precision="float64"`` turns it on): put it back after each test."""
    before = jax.config.jax_enable_x64
    yield
    jax.config.update("jax_enable_x64", before)


@pytest.fixture
def x64():
    """Run the test with float64 enabled; the autouse fixture restores the previous mode."""
    jax.config.update("jax_enable_x64", True)
    return jnp.float64


@pytest.fixture
def make_params():
    """``make_params(dtype=jnp.float32, n=None, **overrides)``: a Params from the defaults.

    With ``n``, every leaf is an array of length ``n`` (a batch); overrides may be arrays.
    """

    def build(dtype=jnp.float32, n=None, **overrides):
        unknown = set(overrides) - set(PARAMETERS)
        assert not unknown, f"unknown parameters {unknown}"
        values = {name: spec.default for name, spec in PARAMETERS.items()}
        values.update(overrides)
        if n is not None:
            values = {k: np.broadcast_to(np.asarray(v, float), (n,)) for k, v in values.items()}
        return to_params(values, dtype)

    return build


def _compose_forecast(*overrides: str):
    from forecaster._config import register_configs
    from forecaster._paths import conf_dir

    register_configs()
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        return compose(config_name="forecast", overrides=list(overrides))


@pytest.fixture(scope="session")
def compose_forecast():
    """``compose_forecast(*overrides)``: conf/forecast.yaml composed with Hydra ``overrides``
    (the structured configs registered first), as ``forecaster forecast`` composes it."""
    return _compose_forecast


@pytest.fixture
def run_plan(compose_forecast):
    """``run_plan(run_dir, *overrides)``: the composed forecast planned and run in this process
    into ``run_dir``, without a progress bar; returns the engine's result."""
    from forecaster._config import plan_forecast
    from forecaster._engine import run_forecast

    def run(run_dir, *overrides: str):
        return run_forecast(
            plan_forecast(compose_forecast(*overrides)), run_dir, progress_bar=False
        )

    return run


class Chromium:
    """Debian's chromium, headless, as root on a closed network (the flags keep it from
    reaching out), each call with a fresh profile in ``tmp``."""

    FLAGS = (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--virtual-time-budget=5000",
    )
    PROBE = (
        "<script>window.addEventListener('load', function () {"
        "var im = Array.prototype.slice.call(document.images);"
        "document.body.dataset.imagesTotal = im.length;"
        "document.body.dataset.imagesLoaded = im.filter(function (i) {"
        "return i.complete && i.naturalWidth > 0; }).length; });</script>"
    )

    def __init__(self, tmp):
        self.tmp = tmp
        self.calls = 0

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        self.calls += 1
        profile = self.tmp / f"profile-{self.calls}"
        command = ["chromium", *self.FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    def images(self, page):
        """(images loaded, images on the page, the DOM) of an HTML file, after its load
        event: the page is copied beside itself with a probe script, so relative image
        paths resolve as they do for the original."""
        probed = page.with_name(f".probe-{page.name}")
        probed.write_text(page.read_text().replace("</body>", self.PROBE + "</body>"))
        try:
            dom = self._run("--dump-dom", probed.as_uri())
        finally:
            probed.unlink()
        assert dom.returncode == 0, dom.stderr[-2000:]
        loaded = re.search(r'data-images-loaded="(\d+)"', dom.stdout)
        total = re.search(r'data-images-total="(\d+)"', dom.stdout)
        assert loaded and total, dom.stdout[:500]
        return int(loaded.group(1)), int(total.group(1)), dom.stdout

    def screenshot(self, page, size: str = "1100,1400"):
        shot = self.tmp / f"shot-{self.calls + 1}.png"
        done = self._run("--hide-scrollbars", f"--window-size={size}", f"--screenshot={shot}",
                         page.as_uri())  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]
        return shot


@pytest.fixture
def chromium(tmp_path):
    """Render pages in headless Chromium (tests using it skip where it is not installed)."""
    return Chromium(tmp_path)


def _forecaster(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "forecaster", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
        cwd=cwd,
        timeout=600,
    )


@pytest.fixture(scope="session")
def forecaster_process() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``python -m forecaster <args>`` as a child process on the CPU, run to its end (its
    exit code, stdout and stderr), from ``cwd`` if given: the command as a user types it."""
    return _forecaster

"""Importing forecaster changes nothing in the process (numpyro's rule: process-wide switches
are the user's opt-in calls): XLA_FLAGS, JAX's 64-bit mode and matplotlib's backend stay as
they were, also after importing every subpackage, and a float64 computation turns 64-bit mode
on for its own duration only."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_PROBE = """
import json, os
import matplotlib
import jax
before = {"xla": os.environ.get("XLA_FLAGS"), "x64": bool(jax.config.jax_enable_x64),
          "backend": matplotlib.get_backend()}
import forecaster, forecaster.report, forecaster.calibration, forecaster.cli
import forecaster._engine, forecaster._forecast, forecaster._merge, forecaster._sweep
after = {"xla": os.environ.get("XLA_FLAGS"), "x64": bool(jax.config.jax_enable_x64),
         "backend": matplotlib.get_backend()}
{extra}
print(json.dumps({"before": before, "after": after}))
"""


def _probe(env_flags: str | None, backend: str | None, extra: str = "") -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "MPLBACKEND")}
    if env_flags is not None:
        env["XLA_FLAGS"] = env_flags
    if backend is not None:
        env["MPLBACKEND"] = backend
    out = subprocess.run(
        [sys.executable, "-c", _PROBE.replace("{extra}", extra)],
        env={**env, "JAX_PLATFORMS": "cpu"},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("env_flags", "backend"),
    [
        (None, None),
        pytest.param("--xla_force_host_platform_device_count=2", "svg", marks=pytest.mark.slow),
    ],
)
def test_import_leaves_the_process_as_it_was(env_flags, backend):
    seen = _probe(env_flags, backend)
    assert seen["after"] == seen["before"]
    assert seen["after"]["xla"] == env_flags
    if backend is not None:
        assert seen["after"]["backend"] == backend


@pytest.mark.slow
def test_float64_runs_restore_the_users_x64_setting():
    extra = (
        "after['simulate_dtype'] = str(forecaster.simulate(precision='float64').t_years.dtype)\n"
        "after['x64_after_simulate'] = bool(jax.config.jax_enable_x64)"
    )
    seen = _probe(None, None, extra)
    assert seen["after"]["x64_after_simulate"] is False
    assert seen["after"]["x64"] is False

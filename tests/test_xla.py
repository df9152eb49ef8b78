"""forecaster's XLA:CPU flags (forecaster/_xla.py): added by the explicit
``configure_cpu_scheduler()`` (the CLI's first step) where it is safe, never over the user's
own setting or after a backend has started."""

from __future__ import annotations

import os
import subprocess
import sys

from forecaster._xla import SCHEDULER_FLAG, _xla_knows


def _xla_flags_after(code: str, env_flags: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    if env_flags is not None:
        env["XLA_FLAGS"] = env_flags
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport os; print(os.environ.get('XLA_FLAGS', ''))"],
        env={**env, "JAX_PLATFORMS": "cpu"},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


def test_this_jaxlib_knows_the_flag_and_not_a_made_up_one():
    assert _xla_knows(SCHEDULER_FLAG)
    assert not _xla_knows("xla_cpu_flag_that_does_not_exist_" + "x" * 8)


CONFIGURE = "import forecaster; forecaster.configure_cpu_scheduler()"


def test_the_call_adds_the_flag_and_keeps_the_users_flags():
    flags = _xla_flags_after(CONFIGURE, "--xla_force_host_platform_device_count=2")
    assert flags == f"--xla_force_host_platform_device_count=2 --{SCHEDULER_FLAG}=false"
    assert _xla_flags_after(CONFIGURE, None) == f"--{SCHEDULER_FLAG}=false"


def test_the_users_own_setting_wins():
    mine = f"--{SCHEDULER_FLAG}=true"
    assert _xla_flags_after(CONFIGURE, mine) == mine


def test_nothing_is_added_once_a_backend_runs():
    # XLA reads its flags when the first backend starts: later they would only mislead.
    assert _xla_flags_after(f"import jax; jax.devices(); {CONFIGURE}", None) == ""


def test_the_command_line_adds_the_flags():
    """The scheduler's, and one XLA:CPU device a core (where there are several)."""
    from forecaster._xla import DEVICES_FLAG, cpu_cores

    code = "from forecaster.cli import main; main(['speedup'])"  # any command; not --help
    devices = f" --{DEVICES_FLAG}={cpu_cores()}" if cpu_cores() > 1 else ""
    assert _xla_flags_after(code, None) == f"--{SCHEDULER_FLAG}=false{devices}"


DEVICES = "import forecaster; forecaster.configure_cpu_devices({count})"


def test_one_cpu_device_a_core_and_the_users_own_count_wins():
    """The engine shards each call over the local devices: one XLA:CPU device per core
    puts every core to work. Never over the user's own count, never with one core."""
    from forecaster._xla import DEVICES_FLAG

    assert _xla_flags_after(DEVICES.format(count=2), None) == f"--{DEVICES_FLAG}=2"
    assert _xla_flags_after(DEVICES.format(count=1), None) == ""
    mine = f"--{DEVICES_FLAG}=3"
    assert _xla_flags_after(DEVICES.format(count=2), mine) == mine
    assert _xla_flags_after(f"import jax; jax.devices(); {DEVICES.format(count=2)}", None) == ""

"""XLA settings forecaster makes before JAX starts its backends: the CPU scheduler, and one
XLA:CPU device per core.

XLA:CPU's concurrency-optimised scheduler interleaves the outcome program's many small
searches with the rest of its work; on a 2-core CPU (JAX 0.10) that made the outcomes
1.5-2x slower (decaying: 231k vs 457k draws/s for one block). XLA reads ``XLA_FLAGS`` once,
when the first backend starts, and aborts the process on a flag it does not know, so the
flag is added only if this jaxlib has it, the user did not set it, and no backend runs yet.
(``compile(compiler_options=...)`` accepts the option but did not change the schedule.)

XLA:CPU runs a call on one thread, so a forecast used one core of a CPU. The engine shards
each call over the local devices (a block of draws per device, the same block whatever the
count, so every draw's numbers are the same), so one host device per core puts every core
to work (the AI Futures Model, compute-bound: 950 -> 1,330 draws/s on 2 cores).

Both are opt-in: :func:`configure_cpu_scheduler` and :func:`configure_cpu_devices` are
called by the command line and the benchmarks before JAX starts; a library user calls them
first thing, or sets the flags in ``XLA_FLAGS`` themselves.
"""

from __future__ import annotations

import contextlib
import mmap
import os
from pathlib import Path

SCHEDULER_FLAG = "xla_cpu_enable_concurrency_optimized_scheduler"
DEVICES_FLAG = "xla_force_host_platform_device_count"


def _backends_started() -> bool:
    with contextlib.suppress(Exception):
        from jax._src import xla_bridge

        return bool(getattr(xla_bridge, "_backends", {}))
    return True  # cannot tell: leave XLA_FLAGS alone


def _xla_knows(flag: str) -> bool:
    """Whether jaxlib's XLA library defines ``flag`` (its name is in the binary)."""
    with contextlib.suppress(Exception):
        import jaxlib

        libraries = Path(jaxlib.__file__).parent.glob("*.so")
        largest = max(libraries, key=lambda p: p.stat().st_size)
        with open(largest, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return m.find(flag.encode()) >= 0
    return False


def configure_cpu_scheduler() -> bool:
    """Turn XLA:CPU's concurrency-optimised scheduler off for this process, where allowed.

    Call it before anything starts a JAX backend (the first array, ``jax.devices()``): it
    adds ``--xla_cpu_enable_concurrency_optimized_scheduler=false`` to ``XLA_FLAGS`` unless
    the user set that flag, a backend already runs, or this jaxlib does not know the flag.
    GPU and TPU backends ignore it.

    Returns whether the flag was added.
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if SCHEDULER_FLAG in flags or _backends_started() or not _xla_knows(SCHEDULER_FLAG):
        return False
    os.environ["XLA_FLAGS"] = f"{flags} --{SCHEDULER_FLAG}=false".strip()
    return True


def cpu_cores() -> int:
    """The cores this process may run on."""
    with contextlib.suppress(AttributeError, OSError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def configure_cpu_devices(count: int | None = None) -> bool:
    """One XLA:CPU device per core (``count``: the cores this process may use) for this
    process, where allowed: adds ``--xla_force_host_platform_device_count=<count>`` to
    ``XLA_FLAGS`` unless the user set that flag, a backend already runs, or there is one
    core. GPU and TPU backends ignore it (their devices are the accelerators).

    Returns whether the flag was added."""
    count = cpu_cores() if count is None else count
    flags = os.environ.get("XLA_FLAGS", "")
    if count <= 1 or DEVICES_FLAG in flags or _backends_started():
        return False
    os.environ["XLA_FLAGS"] = f"{flags} --{DEVICES_FLAG}={count}".strip()
    return True

"""Helpers shared by the benchmark sections: plans, timing, machine description.

Nothing here imports JAX at module import time, so the runner can set ``JAX_PLATFORMS`` (and
the memory child its flags) before JAX starts.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

DH = "davidson_houlden_2025"
GENERAL = ("decaying", "explosive", "amdahl", "expanding_pie")


def make_plan(
    scenario: str, n_draws: int, chunk_size: int | None = None, overrides: Sequence[str] = ()
) -> Any:
    """A validated :class:`~forecaster._config.ForecastPlan` of a preset, composed by Hydra
    exactly as ``forecaster forecast scenario=<name> n_draws=<n>`` would (no outputs)."""
    from hydra import compose, initialize_config_dir

    from forecaster._config import plan_forecast, register_configs
    from forecaster._paths import conf_dir

    register_configs()
    items = [
        f"scenario={scenario}",
        f"n_draws={int(n_draws)}",
        "output.report=false",
        "output.progress_bar=false",
        *overrides,
    ]
    if chunk_size is not None:
        items.append(f"chunk_size={int(chunk_size)}")
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        cfg = compose(config_name="forecast", overrides=items)
    return plan_forecast(cfg)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def time_call(fn: Callable[[], Any], repeats: int, warmup: int = 1) -> list[float]:
    """Seconds of ``repeats`` calls of ``fn`` after ``warmup`` untimed ones. ``fn`` must block
    until its work is done (``jax.block_until_ready``)."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def load_average() -> list[float]:
    with contextlib.suppress(OSError):
        return [round(v, 2) for v in os.getloadavg()]
    return []


def cpu_model() -> str:
    """The CPU model from /proc/cpuinfo (platform.processor() elsewhere)."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def cpu_ghz() -> float | None:
    """The clock /proc/cpuinfo reports (a VM's nominal clock; turbo not included)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("cpu MHz"):
                return round(float(line.split(":", 1)[1]) / 1000, 3)
    return None


def cpu_flags() -> list[str]:
    wanted = ("avx2", "avx512f", "fma", "sve", "neon", "asimd")
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith(("flags", "Features")):
                have = set(line.split(":", 1)[1].split())
                return [f for f in wanted if f in have]
    return []


def memory_gib() -> float | None:
    with contextlib.suppress(OSError, ValueError), open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    return None


def gpu_names() -> list[str]:
    """GPU names from nvidia-smi when there is one (no JAX needed)."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        return [line.strip() for line in out.stdout.splitlines() if line.strip()]
    return []


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"


def machine_name(device: dict[str, Any]) -> str:
    """``cpu-2core`` on a CPU, the accelerator's name slugified otherwise
    (``nvidia-h100-80gb-hbm3``), with ``-x<count>`` for several devices."""
    if device["platform"] == "cpu":
        return f"cpu-{os.cpu_count()}core"
    name = slug(device["device_kind"])
    return name if device["count"] == 1 else f"{name}-x{device['count']}"


def describe_jax_devices() -> dict[str, Any]:
    """Platform, device kind and count of JAX's default backend, and the host's CPU."""
    import jax

    devices = jax.devices()
    return {
        "platform": devices[0].platform,
        "device_kind": devices[0].device_kind,
        "count": len(devices),
        "devices": [str(d) for d in devices],
        "all_platforms": sorted({d.platform for d in jax.devices()}),
    }


def code_version() -> dict[str, Any]:
    """The checkout's commit, whether forecaster/ or conf/ differ from it, and a hash of the
    package's sources as they are now (the tree may change while other work goes on)."""
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out: dict[str, Any] = {}

    def git(*args: str) -> str | None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            proc = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=20, check=False
            )
            return proc.stdout.strip() if proc.returncode == 0 else None
        return None

    out["commit"] = git("rev-parse", "--short", "HEAD")
    status = git("status", "--porcelain", "--", "forecaster", "conf")
    out["uncommitted_files"] = None if status is None else len(status.splitlines())
    digest = hashlib.sha256()
    for path in sorted((root / "forecaster").rglob("*.py")):
        digest.update(path.read_bytes())
    out["forecaster_sources_sha256"] = digest.hexdigest()[:16]
    return out


def host_info() -> dict[str, Any]:
    import jax
    import jaxlib
    import numpy as np

    return {
        "cpu_model": cpu_model(),
        "cpu_flags": cpu_flags(),
        "cpu_ghz": cpu_ghz(),
        "logical_cpus": os.cpu_count(),
        "memory_gib": memory_gib(),
        "gpus_nvidia_smi": gpu_names(),
        "python": sys.version.split()[0],
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
        "numpy": np.__version__,
        "os": platform.platform(),
    }

"""Peak memory of one forecast, measured in a fresh child process per point.

``python -m benchmarks.memory --scenario NAME --n-draws N [--chunk-size C]`` runs one
forecast and prints one JSON line (prefixed ``BENCH-MEMORY``) with the child's peak resident
set size: of the whole process, and of the forecast alone (the peak is reset once JAX and
forecaster are imported and the plan is built). XLA's buffers live outside the Python heap
(tracemalloc does not see them), so the resident set of a process that ran exactly one
forecast is the measure. The peak is /proc/self/status VmHWM, which is ru_maxrss without
the parent's size that Linux's ru_maxrss carries into a spawned child (``ru_maxrss_mib`` is
reported too). On a GPU the device's own peak (``memory_stats()["peak_bytes_in_use"]``) is
reported as well. ``--host-devices`` is set through XLA_FLAGS by :func:`measure`.

:func:`measure` is the parent side: it starts the child and parses its line.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from forecaster._xla import DEVICES_FLAG

MARKER = "BENCH-MEMORY "
ROOT = Path(__file__).resolve().parent.parent  # the checkout holding benchmarks/


def _ru_maxrss_mib() -> float:
    import resource

    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return kib / (1 << 20) if sys.platform == "darwin" else kib / 1024


def _status_mib(field: str) -> float | None:
    """A field of /proc/self/status (VmRSS: now, VmHWM: peak of this address space)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _peak_mib() -> float:
    """Peak resident set of this process since exec (or since :func:`_reset_peak`).

    ru_maxrss would do but on Linux it also keeps the parent's resident set at the moment
    the child was spawned (the hiwater mark of the address space exec replaced), so a child
    of a big parent reads at least the parent's size; VmHWM is this address space's alone.
    """
    hwm = _status_mib("VmHWM")
    return hwm if hwm is not None else _ru_maxrss_mib()


def _reset_peak() -> bool:
    """Reset VmHWM to the current resident set (Linux >= 4.0: write 5 to clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def child(scenario: str, n_draws: int, chunk_size: int | None) -> dict[str, Any]:
    """Run one forecast in this process and report its memory (call in a fresh process)."""
    import jax

    from forecaster._engine import run_forecast

    from .common import make_plan

    plan = make_plan(scenario, n_draws, chunk_size)
    devices = jax.devices()
    peak_before = _peak_mib()
    rss_before = _status_mib("VmRSS") or peak_before
    reset = _reset_peak()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        result = run_forecast(plan, Path(tmp), progress_bar=False)
    wall = time.perf_counter() - t0
    forecast_peak = _peak_mib()
    out: dict[str, Any] = {
        "scenario": scenario,
        "n_draws": n_draws,
        "chunk_size": int(result.timing["chunk_size"]),
        "platform": devices[0].platform,
        "device_count": result.device.get("count", len(devices)),
        # resident set after importing JAX and forecaster and building the plan
        "rss_before_forecast_mib": round(rss_before, 1),
        "peak_rss_before_forecast_mib": round(peak_before, 1),
        # the process's peak: max of the import phase and the forecast (compile included)
        "peak_rss_mib": round(max(peak_before, forecast_peak), 1),
        # the peak during run_forecast alone (VmHWM reset when it started)
        "forecast_peak_rss_mib": round(forecast_peak, 1) if reset else None,
        "peak_rss_increase_mib": round(forecast_peak - rss_before, 1) if reset else None,
        "ru_maxrss_mib": round(_ru_maxrss_mib(), 1),
        "rss_at_end_mib": _status_mib("VmRSS"),
        "compile_seconds": result.timing["compile_seconds"],
        "run_seconds": result.timing["run_seconds"],
        "draws_per_second": result.timing["draws_per_second"],
        "wall_seconds": wall,
    }
    stats = getattr(devices[0], "memory_stats", lambda: None)()
    if devices[0].platform != "cpu" and stats:
        out["device_peak_bytes_in_use"] = int(stats.get("peak_bytes_in_use", 0))
    return out


def measure(
    scenario: str,
    n_draws: int,
    chunk_size: int | None = None,
    host_devices: int | None = None,
    timeout: float = 900.0,
    compile_cache: str | None = None,
) -> dict[str, Any]:
    """Start a fresh Python process that runs one forecast and return what it reports (or
    ``{"error": ...}``). Children compile cold (the compile's memory is part of a real run's
    peak) unless ``compile_cache`` names a persistent compilation cache (smoke runs)."""
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.memory",
        "--scenario",
        scenario,
        "--n-draws",
        str(int(n_draws)),
    ]
    if chunk_size is not None:
        cmd += ["--chunk-size", str(int(chunk_size))]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("JAX_COMPILATION_CACHE_DIR", None)  # every child compiles cold, the same way
    if compile_cache:
        env["JAX_COMPILATION_CACHE_DIR"] = compile_cache
        env["JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS"] = "0"
        env["JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES"] = "-1"
    # the child's host devices are this call's (one unless named), not the parent's
    flags = [f for f in env.get("XLA_FLAGS", "").split() if DEVICES_FLAG not in f]
    env["XLA_FLAGS"] = " ".join([*flags, f"--{DEVICES_FLAG}={host_devices or 1}"])
    point = {"scenario": scenario, "n_draws": int(n_draws), "chunk_size": chunk_size}
    try:
        proc = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=str(ROOT),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return point | {"error": f"timed out after {timeout:.0f} s"}
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return json.loads(line[len(MARKER) :])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return point | {"error": f"exit {proc.returncode}: " + " | ".join(tail)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__)
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--n-draws", type=int, required=True)
    parser.add_argument("--chunk-size", type=int, default=None)
    args = parser.parse_args(argv)
    import forecaster

    forecaster.configure_cpu_scheduler()  # as the parent and the CLI run
    result = child(args.scenario, args.n_draws, args.chunk_size)
    print(MARKER + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

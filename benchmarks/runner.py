"""The benchmark runner: ``python -m benchmarks [--quick] [--max-draws N] [--repeats R]
[--out DIR] ...``.

Sections (``--sections``, all by default):

- ``throughput``: draws per second of the whole forecast (``forecaster._engine.run_forecast``:
  sampling, simulation, outcomes, accumulation, per-chunk checkpoints) for each preset and
  n_draws from ``--min-draws`` to ``--max-draws`` (D&H) / ``--max-draws-general`` (RK4
  presets), each figure the median of ``--repeats`` runs after a warm-up run, compile time
  reported apart (cold: the warm-up's; cached: the later runs', from JAX's persistent
  compilation cache, so repetitions do not pay a full compile each);
- ``options``: draws per second of the Davidson & Houlden preset with each of their model
  options (constant r, retraining cost, gradual boost, all three, the single-simulation
  mode) beside the base preset, measured in one run, and each one's ratio to the base;
- ``peers``: draws per second of AI 2027's presets (their takeoff, with each timelines
  preset) and of the AI Futures Model (``aifm_dec2025``), and the ratio to their own code's
  speed (``benchmarks/peer_speed.py``);
- ``explorer``: the time from a changed prior to updated results in ``forecaster serve``
  (100,000 draws; ``benchmarks/explorer.py``);
- ``baselines``: the Davidson & Houlden model by vectorised NumPy and by a per-draw Python
  loop (``benchmarks/baselines.py``), in this process; speed ratios; agreement of the four
  headline probabilities of all three within Monte Carlo error;
- ``memory``: peak resident memory of a fresh child process running one forecast, against
  n_draws and against chunk size (``benchmarks/memory.py``), and the throughput with all
  host cores as JAX devices (CPU only);
- ``profile``: where the time of one chunk goes (``benchmarks/profiling.py``);
- ``roofline``: analytic operations and bytes per draw against the device's stated peaks
  (``benchmarks/roofline.py``).

Results go to ``<out>/<machine>-<date>.json`` and ``.md`` (``-quick`` appended for
``--quick``); the Markdown is printed too. The JSON is rewritten after every section, so an
interrupted run keeps what it measured.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import math
import os
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import (
    DH,
    GENERAL,
    code_version,
    describe_jax_devices,
    host_info,
    load_average,
    machine_name,
    make_plan,
    median,
)
from .explorer import explorer_section
from .peer_speed import peers_section

SCHEMA_VERSION = 1
SECTIONS = (
    "baselines",
    "throughput",
    "options",
    "peers",
    "explorer",
    "profile",
    "memory",
    "roofline",
)
RESULTS_DIR = Path(__file__).resolve().parent / "results"

# Defaults per kind of machine; command-line options override them.
PROFILES: dict[str, dict[str, Any]] = {
    "cpu": {
        "min_draws": 1_000,
        "max_draws": 10_000_000,
        "max_draws_general": 1_000_000,
        "chunk_size": None,  # the config's (65,536)
        "repeats": 3,
        "point_budget": 60.0,
        "numpy_draws": 1_000_000,
        "loop_draws": 10_000,
        "loop_floats_draws": 30_000,
        "memory_draws": [10_000, 100_000, 1_000_000, 10_000_000],
        "memory_chunks": [16_384, 65_536, 262_144, 1_048_576],
        "memory_chunk_draws": 1 << 20,
        "memory_chunks_general": [16_384, 65_536, 262_144],
        "memory_chunk_draws_general": 1 << 18,
        "profile_scenarios": [DH, "decaying", "expanding_pie"],
        "profile_chunk": 65_536,
        "profile_repeats": 3,
        "block_sweep_scenarios": [DH],
        "block_sizes": [1_024, 4_096, 16_384, 65_536],
        "peer_draws": 1 << 20,
        "aifm_draws": 16_384,
        "ftm_draws": 16_384,
        "explorer_draws": 100_000,
    },
    "gpu": {
        "min_draws": 1_000,
        "max_draws": 1_000_000_000,
        "max_draws_general": 100_000_000,
        "chunk_size": 1 << 22,
        "repeats": 3,
        "point_budget": 120.0,
        "numpy_draws": 1_000_000,
        "loop_draws": 10_000,
        "loop_floats_draws": 30_000,
        "memory_draws": [100_000, 10_000_000, 100_000_000, 1_000_000_000],
        "memory_chunks": [65_536, 1 << 20, 1 << 22, 1 << 24],
        "memory_chunk_draws": 1 << 26,
        "memory_chunks_general": [65_536, 1 << 20, 1 << 22],
        "memory_chunk_draws_general": 1 << 24,
        "profile_scenarios": [DH, "decaying", "expanding_pie"],
        "profile_chunk": 1 << 22,
        "profile_repeats": 5,
        "block_sweep_scenarios": [DH, "decaying", "expanding_pie"],
        "block_sizes": [1 << 16, 1 << 18, 1 << 20, 1 << 22],
        "peer_draws": 1 << 26,
        "aifm_draws": 1 << 20,
        "ftm_draws": 1 << 20,
        "explorer_draws": 100_000,
    },
    "quick": {
        "min_draws": 1_000,
        "max_draws": 4_096,
        "max_draws_general": 1_000,
        "chunk_size": 4_096,
        "repeats": 1,
        "point_budget": 0.0,
        "numpy_draws": 4_096,
        "loop_draws": 200,
        "loop_floats_draws": 500,
        "memory_draws": [4_096],
        "memory_chunks": [4_096],
        "memory_chunk_draws": 4_096,
        "memory_chunks_general": [],
        "memory_chunk_draws_general": 4_096,
        "profile_scenarios": [DH],
        "profile_chunk": 4_096,
        "profile_repeats": 1,
        "block_sweep_scenarios": [],
        "block_sizes": [],
        "peer_draws": 8_192,
        "aifm_draws": 2_048,
        "ftm_draws": 2_048,
        "explorer_draws": 8_192,
    },
}
QUICK_SCENARIOS = (DH,)

# Speed and memory targets (benchmarks, not tests).
CPU_TARGETS = {
    "dh_draws_per_second": 1e6,
    "dh_vs_loop": 100.0,
    "dh_vs_numpy": 3.0,  # issue 27: the whole forecast >= 3x the vectorised NumPy baseline
    "decaying_draws_per_second": 4e5,
    "roofline_fraction": 0.1,  # every preset at >= 10% of its own roofline
    "explorer_changed_prior_seconds": 0.4,  # 100,000 draws, no recompile
    "general_draws_per_second": 2e5,
    "memory_ratio_1e7_1e5": 1.5,
    "ai2027_draws_per_second": 1e5,
    "aifm_draws_per_second": 1e3,
    "ftm_draws_per_second": 500.0,  # issue 26: the whole forecast of epoch_ftm_2023
}
GPU_TARGETS = {"dh_draws_per_second": 1e8, "general_draws_per_second": 1e7}


# ---------------------------------------------------------------------------------------
# Command line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark suite of forecaster: throughput, baselines, memory, profile, "
        "roofline. Writes <out>/<machine>-<date>.json and .md.",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke version: tiny sizes, 1 repeat, the D&H preset only",
    )
    p.add_argument(
        "--max-draws",
        type=float,
        default=None,
        help="largest n_draws for the D&H preset (1e7 on a CPU, 1e9 on a GPU)",
    )
    p.add_argument(
        "--max-draws-general",
        type=float,
        default=None,
        help="largest n_draws for the RK4 presets (1e6 on a CPU, 1e8 on a GPU)",
    )
    p.add_argument("--min-draws", type=float, default=None, help="smallest n_draws (1e3)")
    p.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed repetitions per figure, after a warm-up (3; 1 with --quick)",
    )
    p.add_argument(
        "--point-budget",
        type=float,
        default=None,
        help="seconds: once a figure's repetitions took this long, stop at 2 (60 on a CPU)",
    )
    p.add_argument(
        "--chunk-size",
        type=int,
        default=None,
        help="engine chunk size (the config's 65,536 on a CPU; 2^22 on a GPU)",
    )
    p.add_argument(
        "--scenarios",
        default=None,
        help=f"comma-separated presets (default: {DH},{','.join(GENERAL)})",
    )
    p.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help=f"comma-separated sections to run, of {','.join(SECTIONS)}",
    )
    p.add_argument("--out", type=Path, default=RESULTS_DIR, help="results folder")
    p.add_argument(
        "--machine",
        default=None,
        help="name of the results file (default: cpu-<N>core or the GPU's name)",
    )
    p.add_argument(
        "--platform",
        choices=("auto", "cpu", "gpu"),
        default="auto",
        help="JAX platform (auto: the GPU when there is one)",
    )
    p.add_argument(
        "--no-compile-cache",
        action="store_true",
        help="compile every repetition from scratch (no persistent cache)",
    )
    p.add_argument("--quiet", action="store_true", help="do not print the Markdown table")
    args = p.parse_args(argv)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        p.error(f"--sections: unknown {unknown}; allowed: {', '.join(SECTIONS)}")
    args.sections = sections
    return args


def resolve_settings(args: argparse.Namespace, platform: str) -> dict[str, Any]:
    """Defaults of the machine kind (or --quick), overridden by the options given."""
    base = dict(PROFILES["quick" if args.quick else ("cpu" if platform == "cpu" else "gpu")])
    for key in ("max_draws", "max_draws_general", "min_draws"):
        value = getattr(args, key)
        if value is not None:
            base[key] = int(value)
    if args.repeats is not None:
        base["repeats"] = max(1, args.repeats)
    if args.point_budget is not None:
        base["point_budget"] = args.point_budget
    if args.chunk_size is not None:
        base["chunk_size"] = args.chunk_size
    if args.scenarios:
        base["scenarios"] = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    else:
        base["scenarios"] = list(QUICK_SCENARIOS if args.quick else (DH, *GENERAL))
    base["dh_sizes"] = sizes_between(base["min_draws"], base["max_draws"])
    base["general_sizes"] = sizes_between(base["min_draws"], base["max_draws_general"])
    if not args.quick:  # memory against n_draws up to what the throughput section runs
        base["memory_draws"] = [n for n in base["memory_draws"] if n <= base["max_draws"]]
    return base


def sizes_between(low: int, high: int) -> list[int]:
    """Powers of ten from ``low`` up to ``high``, and ``high`` itself."""
    low, high = int(low), int(high)
    out = []
    n = low
    while n < high:
        out.append(n)
        n *= 10
    out.append(high)
    return sorted(set(out))


# ---------------------------------------------------------------------------------------
# Sections


def _run_once(plan: Any, run_dir: Path) -> tuple[Any, float]:
    from forecaster._engine import run_forecast

    t0 = time.perf_counter()
    result = run_forecast(plan, run_dir, progress_bar=False)
    wall = time.perf_counter() - t0
    shutil.rmtree(run_dir, ignore_errors=True)
    return result, wall


def throughput_section(cfg: dict[str, Any], tmp: Path, log: Callable[[str], None]) -> dict:
    """draws/s of run_forecast per preset and n_draws (medians after a warm-up)."""
    points: list[dict[str, Any]] = []
    dh_result = None
    for scenario in cfg["scenarios"]:
        sizes = cfg["dh_sizes"] if scenario == DH else cfg["general_sizes"]
        warm_plan = make_plan(scenario, min(sizes), cfg["chunk_size"])
        warm, warm_wall = _run_once(warm_plan, tmp / "warmup")
        cold_compile = warm.timing["compile_seconds"]
        log(f"  {scenario}: warm-up done (compile {cold_compile:.1f} s cold)")
        settings = warm_plan.model
        for n in sizes:
            runs = []
            spent = 0.0
            for rep in range(cfg["repeats"]):
                plan = make_plan(scenario, n, cfg["chunk_size"])
                result, wall = _run_once(plan, tmp / f"{scenario}-{n}-{rep}")
                spent += wall
                t = result.timing
                runs.append(
                    {
                        "draws_per_second": t["draws_per_second"],
                        "run_seconds": t["run_seconds"],
                        "compile_seconds": t["compile_seconds"],
                        "wall_seconds": wall,
                        "draws_per_second_wall_minus_compile": n
                        / max(wall - t["compile_seconds"], 1e-12),
                    }
                )
                if scenario == DH and n == max(sizes):
                    dh_result = result
                if rep + 1 >= 2 and spent + wall > cfg["point_budget"]:
                    break
            chunk = int(result.timing["chunk_size"])
            computed = -(-n // chunk) * chunk
            point = {
                "scenario": scenario,
                "integrator": getattr(settings, "integrator", settings.name),
                "steps": settings.steps if settings.smooth else int(settings.max_doublings),
                "n_draws": n,
                "chunk_size": chunk,
                "chunks": computed // chunk,
                "padding_fraction": round(1 - n / computed, 4),
                "repeats": len(runs),
                "draws_per_second": median([r["draws_per_second"] for r in runs]),
                "draws_per_second_wall_minus_compile": median(
                    [r["draws_per_second_wall_minus_compile"] for r in runs]
                ),
                "run_seconds": median([r["run_seconds"] for r in runs]),
                "compile_seconds_cold": cold_compile,
                "compile_seconds_cached": median([r["compile_seconds"] for r in runs]),
                "runs": runs,
                "load_average": load_average(),
            }
            points.append(point)
            log(
                f"  {scenario} n={n:.0e}: {point['draws_per_second']:,.0f} draws/s "
                f"(median of {len(runs)}, run {point['run_seconds']:.2f} s)"
            )
    out: dict[str, Any] = {"points": points}
    if dh_result is not None:
        out["dh_probabilities"] = forecaster_probabilities(dh_result)
    return out


# Davidson & Houlden's options, each beside the base preset (overrides of the preset).
OPTION_VARIANTS: dict[str, tuple[str, ...]] = {
    "base": (),
    "constant_r": ("scenario.constant_r=true",),
    "retraining_cost": ("scenario.retraining_cost=true",),
    "gradual_boost": ("scenario.gradual_boost=true",),
    "all_three": (
        "scenario.constant_r=true",
        "scenario.retraining_cost=true",
        "scenario.gradual_boost=true",
    ),
    "single_simulation": ("scenario.dh_mode=single_simulation", "scenario.retraining_cost=true"),
}
OPTIONS_MAX_DRAWS = 1 << 21


def options_section(cfg: dict[str, Any], tmp: Path, log: Callable[[str], None]) -> dict:
    """draws/s of the D&H preset with each option, and the ratio to the base (one process,
    one load: the ratios are what to quote). Medians after a warm-up run each."""
    n = min(max(cfg["dh_sizes"]), OPTIONS_MAX_DRAWS)
    rows = []
    for name, overrides in OPTION_VARIANTS.items():
        plan = make_plan(DH, n, cfg["chunk_size"], overrides)
        _run_once(plan, tmp / f"options-{name}-warmup")
        rates = []
        for rep in range(cfg["repeats"]):
            result, _ = _run_once(plan, tmp / f"options-{name}-{rep}")
            rates.append(result.timing["draws_per_second"])
        rows.append(
            {"variant": name, "overrides": list(overrides), "draws_per_second": median(rates)}
        )
        log(f"  {name}: {rows[-1]['draws_per_second']:,.0f} draws/s")
    base = rows[0]["draws_per_second"]
    for row in rows:
        row["ratio_to_base"] = row["draws_per_second"] / base if base else None
    return {"n_draws": n, "variants": rows, "lowest_ratio": min(r["ratio_to_base"] for r in rows)}


def forecaster_probabilities(result: Any) -> dict[str, Any]:
    """The four headline probabilities (with Monte Carlo errors) of a D&H forecast."""
    from .baselines import HEADLINE, event_name

    plan, totals = result.plan, result.totals
    n = int(totals["finite"][0])
    events = totals["events"]
    out = {}
    for years, window in HEADLINE:
        index = list(plan.windows_months).index(window) * len(plan.progress_years) + list(
            plan.progress_years
        ).index(years)
        k = int(events[index])
        p = k / n
        out[event_name(years, window)] = {"p": p, "se": math.sqrt(p * (1 - p) / n), "n": n}
    return out


def baselines_section(cfg: dict[str, Any], log: Callable[[str], None]) -> dict[str, Any]:
    """Vectorised NumPy and per-draw loops of the D&H model: draws/s (medians) and pooled
    probabilities."""
    from .baselines import (
        GRID,
        BaselineCounts,
        numpy_dh,
        python_loop_dh,
        python_loop_floats_dh,
    )

    specs = {
        "numpy_vectorised": (numpy_dh, cfg["numpy_draws"], 4_096),
        "python_loop": (python_loop_dh, cfg["loop_draws"], 50),
        "python_loop_floats": (python_loop_floats_dh, cfg["loop_floats_draws"], 200),
    }
    out = {}
    for name, (fn, n, warm_n) in specs.items():
        fn(warm_n, 10_000)  # warm-up
        pooled = BaselineCounts([0] * len(GRID), 0)
        seconds = []
        for rep in range(cfg["repeats"]):
            t0 = time.perf_counter()
            counts = fn(n, rep + 1)
            seconds.append(time.perf_counter() - t0)
            pooled = pooled + counts
        out[name] = {
            "n_draws_per_repeat": n,
            "repeats": len(seconds),
            "draws_per_second": median([n / s for s in seconds]),
            "seconds": seconds,
            "probabilities": pooled.probabilities(),
            "load_average": load_average(),
        }
        log(f"  {name}: {out[name]['draws_per_second']:,.0f} draws/s")
    return out


def comparison(results: dict[str, Any]) -> dict[str, Any]:
    """Speed ratios of the forecaster (D&H, largest n_draws) over the baselines and the
    agreement of the headline probabilities (|z| of each pairwise difference)."""
    from .baselines import HEADLINE, PUBLISHED, event_name

    points = [p for p in results.get("throughput", {}).get("points", []) if p["scenario"] == DH]
    base = results.get("baselines", {})
    out: dict[str, Any] = {}
    if points and base:
        best = max(points, key=lambda p: p["n_draws"])
        ours = best["draws_per_second"]
        out["forecaster_dh_draws_per_second"] = ours
        out["forecaster_dh_n_draws"] = best["n_draws"]
        out["ratios"] = {name: ours / b["draws_per_second"] for name, b in base.items()}
        out["ratios_by_n_draws"] = {
            str(p["n_draws"]): {
                name: p["draws_per_second"] / b["draws_per_second"] for name, b in base.items()
            }
            for p in points
        }
        out["published_code_reference_draws_per_second"] = 9_500
        out["ratio_vs_published_reference"] = ours / 9_500
    probs = dict(base)
    fp = results.get("throughput", {}).get("dh_probabilities")
    if fp:
        probs = {"forecaster": {"probabilities": fp}, **probs}
    if len(probs) < 2:  # nothing to compare (a run of other sections only)
        return out
    names = [event_name(y, w) for y, w in HEADLINE]
    table = {}
    worst = 0.0
    for name, published in zip(names, PUBLISHED, strict=True):
        row = {src: v["probabilities"][name] for src, v in probs.items()}
        zs = {}
        sources = list(row)
        for i, a in enumerate(sources):
            for b in sources[i + 1 :]:
                pa, pb = row[a], row[b]
                se = math.hypot(pa["se"], pb["se"])
                z = (pa["p"] - pb["p"]) / se if se > 0 else 0.0
                zs[f"{a} - {b}"] = round(z, 2)
                worst = max(worst, abs(z))
        table[name] = {"estimates": row, "z": zs, "published_code": published}
    out["agreement"] = {
        "probabilities": table,
        "max_abs_z": round(worst, 2),
        "threshold_z": 4.0,
        "agree": worst < 4.0,
        "note": "independent samples; z = difference / sqrt(se_a^2 + se_b^2)",
    }
    return out


def memory_section(
    cfg: dict[str, Any], platform: str, log: Callable[[str], None], compile_cache: str | None = None
) -> dict:
    """Peak RSS of a fresh child per point: against n_draws, against chunk size, and (CPU)
    the throughput with every core as a JAX device."""
    from .memory import measure as measure_child

    seen: dict[tuple, dict[str, Any]] = {}

    def measure(scenario, n, chunk, host_devices=None):
        key = (scenario, n, chunk, host_devices)
        if key not in seen:  # a point in two sweeps is measured once
            cache = compile_cache if cfg.get("quick") else None
            seen[key] = measure_child(scenario, n, chunk, host_devices, compile_cache=cache)
        return dict(seen[key])

    out: dict[str, Any] = {"vs_n_draws": [], "vs_chunk_size": [], "multi_device": []}
    chunk = cfg["chunk_size"]
    for n in cfg["memory_draws"]:
        point = measure(DH, n, chunk)
        out["vs_n_draws"].append(point)
        log(f"  memory {DH} n={n:.0e}: {_mib(point)}")
    sweeps = [
        (DH, cfg["memory_chunks"], cfg["memory_chunk_draws"]),
        ("decaying", cfg["memory_chunks_general"], cfg["memory_chunk_draws_general"]),
    ]
    for scenario, chunks, n in sweeps:
        for c in chunks:
            point = measure(scenario, n, c)
            out["vs_chunk_size"].append(point)
            log(f"  memory {scenario} n={n:.0e} chunk={c}: {_mib(point)}")
    cores = os.cpu_count() or 1
    if platform == "cpu" and cores > 1 and not cfg.get("quick"):
        n = cfg["memory_chunk_draws"]
        for devices in (1, cores):
            point = measure(DH, n, chunk, devices if devices > 1 else None)
            point["host_devices"] = devices
            out["multi_device"].append(point)
            log(
                f"  {DH} with {devices} host device(s): "
                f"{point.get('draws_per_second', float('nan')):,.0f} draws/s"
            )
    by_n = {p["n_draws"]: p.get("peak_rss_mib") for p in out["vs_n_draws"] if "error" not in p}
    if by_n:
        low, high = min(by_n), max(by_n)
        out["ratio_peak_largest_to_smallest"] = by_n[high] / by_n[low] if by_n[low] else None
        if 100_000 in by_n and 10_000_000 in by_n:
            out["ratio_peak_1e7_to_1e5"] = by_n[10_000_000] / by_n[100_000]
    return out


def _mib(point: dict[str, Any]) -> str:
    if "error" in point:
        return f"error: {point['error']}"
    return f"peak {point['peak_rss_mib']:.0f} MiB (+{point['peak_rss_increase_mib']:.0f})"


def profile_section(cfg: dict[str, Any], log: Callable[[str], None]) -> dict[str, Any]:
    from .profiling import block_sweep, profile_scenario

    out: dict[str, Any] = {}
    for scenario in cfg["profile_scenarios"]:
        try:
            out[scenario] = profile_scenario(
                scenario, cfg["profile_chunk"], cfg["profile_repeats"], light=cfg.get("quick")
            )
            shares = out[scenario]["share_of_chunk"]
            log(f"  profile {scenario}: " + ", ".join(f"{k} {v:.0%}" for k, v in shares.items()))
        except Exception as exc:  # the engine's internals move; keep the other sections
            out[scenario] = {"error": f"{type(exc).__name__}: {exc}"}
            log(f"  profile {scenario}: error {exc}")
    sweeps = {}
    for scenario in cfg["block_sweep_scenarios"]:
        try:
            sweeps[scenario] = block_sweep(scenario, cfg["profile_chunk"], cfg["block_sizes"])
            log(
                f"  block sweep {scenario}: "
                + ", ".join(
                    f"{p['block']}: {p.get('draws_per_second', float('nan')):,.0f}/s"
                    for p in sweeps[scenario]
                )
            )
        except Exception as exc:
            sweeps[scenario] = [{"error": f"{type(exc).__name__}: {exc}"}]
    if sweeps:
        out["block_sweep"] = sweeps
    return out


def roofline_section(results: dict[str, Any], cfg: dict[str, Any]) -> dict[str, Any]:
    from .roofline import PEAKS, estimate, kernel_counts, peak_for

    peak = peak_for(results["device"], results["host"])
    best: dict[str, dict[str, Any]] = {}
    for p in results.get("throughput", {}).get("points", []):
        if p["scenario"] not in best or p["n_draws"] > best[p["scenario"]]["n_draws"]:
            best[p["scenario"]] = p
    out = {}
    for scenario in cfg["scenarios"]:
        plan = make_plan(scenario, 1_000)
        counts = kernel_counts(plan.model, len(plan.priors.uncertain))
        row: dict[str, Any] = {"counts_per_draw": counts}
        if scenario in best:
            row["estimate"] = estimate(counts, best[scenario]["draws_per_second"], peak)
            row["n_draws"] = best[scenario]["n_draws"]
        goal = GPU_TARGETS["dh_draws_per_second" if scenario == DH else "general_draws_per_second"]
        row["h100_target"] = estimate(counts, goal, PEAKS["h100 sxm"])
        xla = results.get("profile", {}).get(scenario, {}).get("xla_cost_per_draw")
        if xla:
            row["xla_cost_analysis_per_draw"] = xla
        out[scenario] = row
    return {"device_peak": peak.__dict__, "scenarios": out}


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The speed and memory targets against what was measured (None where not measured)."""
    platform = results["device"]["platform"]
    points = results.get("throughput", {}).get("points", [])

    def best(scenario: str) -> float | None:
        mine = [p for p in points if p["scenario"] == scenario]
        return max(mine, key=lambda p: p["n_draws"])["draws_per_second"] if mine else None

    rows = []

    def add(name: str, goal: float, measured: float | None, higher: bool = True) -> None:
        met = None if measured is None else (measured >= goal if higher else measured <= goal)
        rows.append(
            {
                "target": name,
                "goal": goal,
                "measured": measured,
                "met": met,
                "fraction_of_goal": None
                if measured is None
                else (measured / goal if higher else goal / measured),
            }
        )

    t = CPU_TARGETS if platform == "cpu" else GPU_TARGETS
    add(f"D&H draws/s ({platform})", t["dh_draws_per_second"], best(DH))
    for s in GENERAL:
        if any(p["scenario"] == s for p in points):
            goal = t.get(f"{s}_draws_per_second", t["general_draws_per_second"])
            add(f"{s} (RK4) draws/s ({platform})", goal, best(s))
    roofline = results.get("roofline", {}).get("scenarios", {})
    for s, row in roofline.items():
        fraction = (row.get("estimate") or {}).get("fraction_of_roofline")
        if fraction is not None and platform == "cpu":
            add(f"{s}: fraction of its roofline", CPU_TARGETS["roofline_fraction"], fraction)
    comp = results.get("comparison", {})
    ratios = comp.get("ratios", {})
    if platform == "cpu":
        add(
            "D&H speed-up over the per-draw loop (published style)",
            CPU_TARGETS["dh_vs_loop"],
            ratios.get("python_loop"),
        )
        add(
            "D&H speed-up over vectorised NumPy (same run)",
            CPU_TARGETS["dh_vs_numpy"],
            ratios.get("numpy_vectorised"),
        )
        explorer = results.get("explorer")
        if explorer:
            add(
                "explorer: a changed prior to results, 100,000 draws (s)",
                CPU_TARGETS["explorer_changed_prior_seconds"],
                explorer["changed_prior_seconds"],
                higher=False,
            )
        mem = results.get("memory", {}).get("ratio_peak_1e7_to_1e5")
        add(
            "peak memory at 1e7 / at 1e5 draws",
            CPU_TARGETS["memory_ratio_1e7_1e5"],
            mem,
            higher=False,
        )
    options = results.get("options")
    if options:
        add("D&H options: slowest option's draws/s over the base's (>= 0.5)", 0.5,
            options["lowest_ratio"])  # fmt: skip
    peers = results.get("peers")
    if peers and platform == "cpu":
        add("AI 2027 presets: slowest draws/s (cpu)", CPU_TARGETS["ai2027_draws_per_second"],
            peers["lowest_ai2027_draws_per_second"])  # fmt: skip
        add("AI Futures Model: draws/s (cpu)", CPU_TARGETS["aifm_draws_per_second"],
            peers["aifm_draws_per_second"])  # fmt: skip
        add("Epoch FTM (epoch_ftm_2023): draws/s (cpu)", CPU_TARGETS["ftm_draws_per_second"],
            peers["ftm_draws_per_second"])  # fmt: skip
    agreement = comp.get("agreement")
    if agreement:
        rows.append(
            {
                "target": "headline probabilities agree (max abs z < 4)",
                "goal": 4.0,
                "measured": agreement["max_abs_z"],
                "met": agreement["agree"],
                "fraction_of_goal": None,
            }
        )
    return rows


# ---------------------------------------------------------------------------------------
# Output


def _fmt(x: Any, digits: int = 3) -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    if isinstance(x, float):
        if not math.isfinite(x):
            return str(x)
        if abs(x) >= 1000:
            return f"{x:,.0f}"
        return f"{x:.{digits}g}"
    return str(x)


def _table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]
    return lines + [""]


def _titled_table(title: str, rows: list[dict[str, Any]], columns: dict[str, Any]) -> list[str]:
    """A heading and a table of ``rows``: ``columns`` maps each header to a row key or to a
    function of the row."""

    def cell(row: dict[str, Any], how: Any) -> Any:
        return how(row) if callable(how) else row[how]

    return [title, "", *_table(list(columns), [[cell(r, h) for h in columns.values()]
                                              for r in rows])]  # fmt: skip


def markdown(results: dict[str, Any]) -> str:
    d, h = results["device"], results["host"]
    lines = [
        f"# forecaster benchmarks: {results['machine']} ({results['date']})",
        "",
        f"- device: {d['platform']} / {d['device_kind']} x {d['count']}; "
        f"CPU {h['cpu_model']} ({h['logical_cpus']} logical CPUs, {h['memory_gib']} GiB)",
        f"- jax {h['jax']}, jaxlib {h['jaxlib']}, numpy {h['numpy']}, python {h['python']}; "
        f"forecaster at {results['code'].get('commit')} with "
        f"{results['code'].get('uncommitted_files')} uncommitted file(s) in forecaster/ and "
        f"conf/ (sources {results['code'].get('forecaster_sources_sha256')})",
        f"- XLA_FLAGS: `{results['settings'].get('xla_flags') or '(none)'}`",
        f"- load average (1, 5, 15 min) at start {results['load_start']}, "
        f"at end {results.get('load_end')}; total {results.get('total_seconds', 0):.0f} s"
        + ("; **--quick smoke run, not a measurement**" if results["quick"] else ""),
        "",
    ]
    tp = results.get("throughput", {}).get("points", [])
    if tp:
        lines += ["## Throughput (whole forecast: run_forecast)", ""]
        lines += _table(
            [
                "preset",
                "integrator",
                "n_draws",
                "chunk",
                "draws/s (median)",
                "run s",
                "compile s cold / cached",
                "repeats",
                "padding",
            ],
            [
                [
                    p["scenario"],
                    f"{p['integrator']} ({p['steps']})",
                    p["n_draws"],
                    p["chunk_size"],
                    p["draws_per_second"],
                    p["run_seconds"],
                    f"{p['compile_seconds_cold']:.2f} / {p['compile_seconds_cached']:.2f}",
                    p["repeats"],
                    f"{p['padding_fraction']:.0%}",
                ]
                for p in tp
            ],
        )
    options = results.get("options")
    if options:
        lines += _titled_table(
            f"## Davidson & Houlden's options ({options['n_draws']:,} draws, one run)",
            options["variants"],
            {"variant": "variant", "overrides": lambda v: " ".join(v["overrides"]) or "-",
             "draws/s (median)": "draws_per_second", "ratio to base": "ratio_to_base"},
        )  # fmt: skip
    if results.get("peers"):
        lines += _titled_table(
            "## Peers on forecaster's engine (AI 2027, the AI Futures Model), beside their code",
            results["peers"]["rows"],
            {"preset": "preset", "draws": "n_draws", "draws/s (median)": "draws_per_second",
             "their code, draws/s": "their_draws_per_second", "ratio": "ratio"},
        )  # fmt: skip
    if results.get("explorer"):
        lines += _titled_table(
            "## The explorer: from a changed setting to updated results",
            results["explorer"]["rows"],
            {"change": "change", "draws": "n_draws", "seconds to results": "seconds_to_results",
             "of which compile": "compile_seconds", "run": "run_seconds"},
        )  # fmt: skip
    base = results.get("baselines", {})
    comp = results.get("comparison", {})
    if base:
        lines += ["## Baselines (D&H model, this process)", ""]
        ratios = comp.get("ratios", {})
        lines += _table(
            ["baseline", "draws/repeat", "draws/s (median)", "forecaster D&H speed-up"],
            [
                [k, v["n_draws_per_repeat"], v["draws_per_second"], ratios.get(k)]
                for k, v in base.items()
            ],
        )
        if "forecaster_dh_draws_per_second" in comp:
            lines += [
                f"Forecaster D&H at n_draws = {comp['forecaster_dh_n_draws']:,}: "
                f"{comp['forecaster_dh_draws_per_second']:,.0f} draws/s; the published code's "
                f"stated ~9,500 draws/s would make it "
                f"{comp['ratio_vs_published_reference']:.0f}x.",
                "",
            ]
    agreement = comp.get("agreement")
    if agreement:
        lines += ["## Agreement of the headline probabilities", ""]
        sources = list(next(iter(agreement["probabilities"].values()))["estimates"])
        rows = []
        for name, row in agreement["probabilities"].items():
            cells = [
                f"{row['estimates'][s]['p']:.4f} ± {row['estimates'][s]['se']:.4f}" for s in sources
            ]
            worst = max((abs(z) for z in row["z"].values()), default=0.0)
            rows.append([name, *cells, row["published_code"], worst])
        lines += _table(["event", *sources, "published code", "max abs z"], rows)
        lines += [
            f"All agree within Monte Carlo error (every pairwise abs z < 4): "
            f"{_fmt(agreement['agree'])} (largest abs z = {agreement['max_abs_z']}).",
            "",
        ]
    mem = results.get("memory", {})
    if mem:
        lines += ["## Peak memory (fresh child process per point: peak resident set, VmHWM)", ""]
        rows = [
            [
                sweep,
                p.get("scenario"),
                p.get("n_draws"),
                p.get("chunk_size"),
                p.get("peak_rss_mib"),
                p.get("forecast_peak_rss_mib"),
                p.get("rss_before_forecast_mib"),
                p.get("draws_per_second"),
                p.get("device_peak_bytes_in_use"),
                p.get("error"),
            ]
            for sweep in ("vs_n_draws", "vs_chunk_size")
            for p in mem.get(sweep, [])
        ]
        lines += _table(
            [
                "sweep",
                "preset",
                "n_draws",
                "chunk",
                "process peak MiB",
                "peak during forecast MiB",
                "before forecast MiB",
                "draws/s",
                "device peak B",
                "error",
            ],
            rows,
        )
        if mem.get("ratio_peak_1e7_to_1e5") is not None:
            lines += [f"Peak at 1e7 / peak at 1e5 draws: {mem['ratio_peak_1e7_to_1e5']:.3f}.", ""]
        if mem.get("multi_device"):
            lines += _table(
                ["host devices (XLA_FLAGS)", "n_draws", "draws/s", "peak RSS MiB"],
                [
                    [
                        p.get("host_devices"),
                        p.get("n_draws"),
                        p.get("draws_per_second"),
                        p.get("peak_rss_mib"),
                    ]
                    for p in mem["multi_device"]
                ],
            )
    prof = results.get("profile", {})
    if prof:
        lines += ["## Where the time of one chunk goes", ""]
        for scenario, p in prof.items():
            if scenario == "block_sweep":
                continue
            if "error" in p:
                lines += [f"- {scenario}: error {p['error']}", ""]
                continue
            sec = p["seconds_per_chunk"]
            lines += [
                f"**{scenario}** ({p['integrator']}, {p['steps']} steps, chunk "
                f"{p['chunk_size']:,} = {p['calls_per_chunk']} calls of {p['block']:,} "
                "draws)",
                "",
            ]
            rows = [[b["piece"], b["ms_per_chunk"], f"{b['share']:.1%}"] for b in p["breakdown"]]
            extra = [
                ("kernel (paths + outcomes)", "kernel"),
                ("device work returning counts only", "device_counts_only"),
                ("engine's compiled calls (counts + per-draw values)", "engine_call"),
                ("checkpoint save alone", "save_checkpoint"),
                ("run_forecast, per chunk (everything)", "run_forecast_per_chunk"),
            ]
            rows += [[label, sec[key] * 1e3, ""] for label, key in extra if key in sec]
            lines += _table(["piece", "ms / chunk", "share"], rows)
    sweep = prof.get("block_sweep") if prof else None
    if sweep:
        lines += [
            "## What-if: kernel block size (engine's BLOCK patched in the benchmark only)",
            "",
        ]
        lines += _table(
            ["preset", "block", "chunk", "draws/s (run_forecast, 2 chunks)", "default"],
            [
                [
                    scenario,
                    p.get("block"),
                    p.get("chunk_size"),
                    p.get("draws_per_second"),
                    p.get("default"),
                ]
                for scenario, points in sweep.items()
                for p in points
            ],
        )
    roof = results.get("roofline", {})
    if roof:
        peak = roof["device_peak"]
        lines += [
            "## Roofline",
            "",
            f"Device peak (stated): {peak['name']}: {peak['ops_per_s']:.3g} ALU ops/s, "
            "transcendentals "
            + (
                f"{peak['transcendentals_per_s']:.3g}/s"
                if peak["transcendentals_per_s"]
                else "as ALU work"
            )
            + f", memory {peak['bytes_per_s']:.3g} B/s "
            f"({peak['source']}). Counts per draw from benchmarks/roofline.py; "
            "'H100' columns: the H100 target (1e8 D&H, 1e7 general) against the "
            "H100 SXM roofline.",
            "",
        ]
        rows = []
        for scenario, r in roof["scenarios"].items():
            c = r["counts_per_draw"]
            e = r.get("estimate", {})
            g = r.get("h100_target", {})
            rows.append(
                [
                    scenario,
                    c["ops"],
                    c["transcendentals"],
                    c["bytes_path"],
                    e.get("measured_draws_per_second"),
                    e.get("roofline_draws_per_second"),
                    e.get("limited_by"),
                    e.get("fraction_of_roofline"),
                    g.get("roofline_draws_per_second"),
                    g.get("fraction_of_roofline"),
                ]
            )
        lines += _table(
            [
                "preset",
                "ops/draw",
                "transc./draw",
                "bytes/draw (path)",
                "measured draws/s",
                "roofline draws/s here",
                "limited by",
                "fraction",
                "H100 roofline draws/s",
                "H100 target / roofline",
            ],
            rows,
        )
    tg = results.get("targets", [])
    if tg:
        lines += ["## Targets", ""]
        lines += _table(
            ["target", "goal", "measured", "met", "measured / goal"],
            [[t["target"], t["goal"], t["measured"], t["met"], t["fraction_of_goal"]] for t in tg],
        )
    if results.get("errors"):
        lines += ["## Errors", ""] + [f"- {e}" for e in results["errors"]] + [""]
    return "\n".join(lines)


def write(results: dict[str, Any], out: Path, stem: str) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    tmp = json_path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(results, indent=1, default=_json_default) + "\n")
    os.replace(tmp, json_path)
    md_path.write_text(markdown(results) + "\n")
    return json_path, md_path


def _json_default(x: Any) -> Any:
    with contextlib.suppress(Exception):
        import numpy as np

        if isinstance(x, np.generic):
            return x.item()
        if isinstance(x, np.ndarray):
            return x.tolist()
    if isinstance(x, Path):
        return str(x)
    return str(x)


# ---------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.platform != "auto":
        os.environ["JAX_PLATFORMS"] = "cpu" if args.platform == "cpu" else "cuda"
    # On a GPU, JAX would take 75% of the memory up front in this process, leaving the memory
    # section's child processes too little; allocate on demand instead (children inherit it).
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    started = time.perf_counter()
    load_start = load_average()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f} s] {msg}", file=sys.stderr, flush=True)

    import jax

    import forecaster

    forecaster.configure_cpu_scheduler()  # before JAX starts a backend, as the CLI does
    forecaster.configure_cpu_devices()

    cache = None
    if not args.no_compile_cache:
        cache = tempfile.mkdtemp(prefix="forecaster-bench-jaxcache-")
        jax.config.update("jax_compilation_cache_dir", cache)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)

    device = describe_jax_devices()
    platform = device["platform"]
    cfg = resolve_settings(args, platform)
    cfg["quick"] = args.quick
    machine = args.machine or machine_name(device)
    date = _dt.date.today().isoformat()
    stem = f"{machine}-{date}" + ("-quick" if args.quick else "")
    results: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "machine": machine,
        "date": date,
        "started": _dt.datetime.now().isoformat(timespec="seconds"),
        "quick": args.quick,
        "command": ["python", "-m", "benchmarks", *(argv if argv is not None else sys.argv[1:])],
        "host": host_info(),
        "code": code_version(),
        "device": device,
        "settings": {k: v for k, v in cfg.items() if k != "quick"}
        | {
            "sections": args.sections,
            "compile_cache": cache is not None,
            "xla_python_client_preallocate": os.environ.get("XLA_PYTHON_CLIENT_PREALLOCATE"),
            "xla_flags": os.environ.get("XLA_FLAGS", ""),
        },
        "load_start": load_start,
        "errors": [],
    }
    log(
        f"{machine}: {device['platform']} {device['device_kind']} x {device['count']}; "
        f"load {load_start}; sections {args.sections}"
    )

    def section(name: str, fn: Callable[[], Any]) -> None:
        if name not in args.sections:
            return
        log(f"section {name}")
        t0 = time.perf_counter()
        try:
            results[name] = fn()
        except Exception as exc:  # keep what the other sections measure
            results["errors"].append(f"{name}: {type(exc).__name__}: {exc}")
            traceback.print_exc()
        results.setdefault("section_seconds", {})[name] = round(time.perf_counter() - t0, 1)
        write(results, args.out, stem)

    with tempfile.TemporaryDirectory(prefix="forecaster-bench-") as tmp:
        section("baselines", lambda: baselines_section(cfg, log))
        section("throughput", lambda: throughput_section(cfg, Path(tmp), log))
        section("options", lambda: options_section(cfg, Path(tmp), log))
        section("peers", lambda: peers_section(cfg, Path(tmp), log))
        section("explorer", lambda: explorer_section(cfg, log))
        results["comparison"] = comparison(results)
        section("profile", lambda: profile_section(cfg, log))
        section("memory", lambda: memory_section(cfg, platform, log, cache))
        section("roofline", lambda: roofline_section(results, cfg))
    results["targets"] = targets(results)
    results["load_end"] = load_average()
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    json_path, md_path = write(results, args.out, stem)
    if cache:
        shutil.rmtree(cache, ignore_errors=True)
    if not args.quiet:
        print(markdown(results))
    log(f"wrote {json_path} and {md_path} in {results['total_seconds']:.0f} s")
    return 1 if results["errors"] else 0

"""Roofline estimate of the forecast kernel: operations and bytes per draw, counted
analytically from the kernel (steps x evaluations x operations), against a device's peaks.

Counting conventions (per draw, float32):

- ``ops``: arithmetic, comparisons, selects and integer ALU work, one per element and
  instruction (an FMA counts 1; GPU and CPU peaks below are stated per instruction lane, i.e.
  half the marketing FMA "FLOP/s" figure);
- ``transcendentals``: exp, exp2, log, log1p, expm1, log10, pow (each one SFU/MUFU operation
  on a GPU; on a CPU a vectorised polynomial of about ``CPU_TRANSCENDENTAL_OPS`` ops);
- ``bytes_min``: what must reach memory when every per-draw intermediate stays on chip: the
  per-draw outputs the engine writes for its sample (every draw, every chunk, today);
- ``bytes_path``: ``bytes_min`` plus the path arrays (node times and rates) written by the
  integrator and read back by each outcome, as happens when XLA materialises them (the
  vmapped kernel on a GPU; on a CPU a block of 4,096 draws x nodes fits in L2/L3).

The constants (operations per log-rate evaluation, per RK4 step, per outcome query) are read
off ``forecaster/models/general_law/_law.py``, ``_integrate.py``, ``models/_paths.py``,
``models/_progress.py`` and ``_accumulate.py`` (commit 6a375ac). The integrator counts are
close; the outcome counts are a lower bound (XLA's ``cost_analysis`` of the loop-free Simpson
kernel of ``decaying`` gives ~1.7x the analytic total), good enough to say which resource
bounds the kernel and roughly how far it runs from it. :func:`estimate` takes measured
draws/s and a :class:`DevicePeak` and returns the achieved rates, the bound of each resource and the
fraction of the bound reached.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

F32 = 4  # bytes
CPU_TRANSCENDENTAL_OPS = 15  # ops of a vectorised exp/log on a CPU (no special-function unit)
THREEFRY_OPS = 115  # 20 rounds x (add, rotate = 2 shifts + or, xor) + 5 key injections x 3


@dataclasses.dataclass(frozen=True)
class DevicePeak:
    """Peak rates of one device (all devices of a run: multiply by the count).

    ops_per_s: instruction-lane ALU throughput (FP32 non-tensor; FMA counted once).
    transcendentals_per_s: special-function throughput (GPU SFU); None on a CPU, where a
        transcendental costs ``CPU_TRANSCENDENTAL_OPS`` ALU ops instead.
    bytes_per_s: main-memory (HBM / DRAM) bandwidth.
    path_in_cache: the path arrays of a kernel block stay in cache (a CPU: 4,096 draws x
        ~257 nodes x 4 bytes ~ 4 MB per array fits in L3), so only ``bytes_min`` reaches
        main memory.
    """

    name: str
    ops_per_s: float
    transcendentals_per_s: float | None
    bytes_per_s: float
    source: str
    path_in_cache: bool = False


# Stated peaks. H100 SXM5: 132 SMs x 128 FP32 lanes x 1.98 GHz boost = 33.5 T lane-ops/s
# (66.9 TFLOP/s counting an FMA as 2), 16 SFU ops/clk/SM = 4.2 T/s, HBM3 3.35 TB/s.
# H100 PCIe: 114 SMs x 128 x 1.755 GHz = 25.6 T/s, SFU 3.2 T/s, HBM2e 2.0 TB/s.
# H200: H100 SXM compute, HBM3e 4.8 TB/s. A100 SXM: 108 x 64 x 1.41 GHz = 9.7 T/s, SFU
# 108 x 16 x 1.41 GHz = 2.4 T/s, 2.0 TB/s. CPU: per core, AVX-512 (16 fp32 lanes) x 2 vector
# ALU ops per cycle x clock; DRAM ~15 GB/s per core of a cloud VM (assumed, not measured).
PEAKS: dict[str, DevicePeak] = {
    "h100 sxm": DevicePeak("NVIDIA H100 SXM5", 33.5e12, 4.2e12, 3.35e12, "NVIDIA H100 datasheet"),
    "h100 pcie": DevicePeak("NVIDIA H100 PCIe", 25.6e12, 3.2e12, 2.0e12, "NVIDIA H100 datasheet"),
    "h200": DevicePeak("NVIDIA H200", 33.5e12, 4.2e12, 4.8e12, "NVIDIA H200 datasheet"),
    "a100": DevicePeak("NVIDIA A100 SXM", 9.7e12, 2.4e12, 2.0e12, "NVIDIA A100 datasheet"),
}


def cpu_peak(
    cores: int, ghz: float, lanes: int = 16, ops_per_cycle: int = 2, dram_gb_per_core: float = 15.0
) -> DevicePeak:
    """A CPU's peak: cores x lanes (16 fp32 for AVX-512, 8 for AVX2) x vector ALU ops per
    cycle x clock."""
    return DevicePeak(
        f"CPU {cores} cores x {lanes} lanes x {ops_per_cycle}/cycle @ {ghz:.2f} GHz",
        cores * lanes * ops_per_cycle * ghz * 1e9,
        None,
        cores * dram_gb_per_core * 1e9,
        "stated: cores x SIMD lanes x vector ALU ops/cycle x clock; DRAM assumed",
        path_in_cache=True,
    )


def peak_for(device: dict[str, Any], host: dict[str, Any] | None = None) -> DevicePeak:
    """The stated peak of the device a run used (``describe_jax_devices()`` output)."""
    count = max(int(device.get("count", 1)), 1)
    if device.get("platform") == "cpu":
        host = host or {}
        cores = int(host.get("logical_cpus") or 1)
        ghz = float(host.get("cpu_ghz") or 2.5)
        flags = host.get("cpu_flags") or []
        lanes = 16 if "avx512f" in flags else 8 if "avx2" in flags else 4
        return cpu_peak(cores, ghz, lanes)
    kind = str(device.get("device_kind", "")).lower()
    for key, peak in PEAKS.items():
        if all(word in kind for word in key.split()):
            return _times(peak, count)
    if "h100" in kind:
        return _times(PEAKS["h100 sxm"], count)
    return _times(
        DevicePeak(
            f"unknown accelerator ({kind})",
            math.nan,
            math.nan,
            math.nan,
            "unknown: pass peaks by hand",
        ),
        count,
    )


def _times(peak: DevicePeak, count: int) -> DevicePeak:
    if count == 1:
        return peak
    t = peak.transcendentals_per_s
    return DevicePeak(
        f"{count} x {peak.name}",
        peak.ops_per_s * count,
        None if t is None else t * count,
        peak.bytes_per_s * count,
        peak.source,
    )


# ---------------------------------------------------------------------------------------
# Operation counts


@dataclasses.dataclass
class Counts:
    """Per-draw work of one part of the kernel."""

    ops: float = 0.0
    transcendentals: float = 0.0
    path_bytes: float = 0.0  # bytes of path arrays written + read (materialised)
    out_bytes: float = 0.0  # bytes written per draw regardless (engine outputs)

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            *(
                a + b
                for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)
            )
        )

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 1) for k, v in dataclasses.asdict(self).items()}


def _log_rate_eval(full_automation: bool, returns: str, autonomous: bool) -> Counts:
    """One evaluation of ln v(x, t) and the slope exp(-ln v) (forecaster._model)."""
    if returns == "linear_to_ceiling":  # x/D, <1, where, neg, log1p, mul, where
        integral = Counts(ops=6, transcendentals=1)
    else:  # x / r0
        integral = Counts(ops=1)
    if full_automation:  # log_v0 + LN2 p (x - I) + lam gC t
        law = Counts(ops=6 if not autonomous else 4)
    else:
        # log_labour_at: log_h, log_a (4); log_automation_shares: x/x_phi, log(-expm1(-u)),
        # two logaddexp of shifted terms (17 ops, 6 transcendentals); log_effective_labour:
        # logsumexp of two (11 ops, 3), Cobb-Douglas branch (6 ops, 2), first-order term
        # (8 ops, 1), selects (4); the law: p (ln L - ln L0), (lam - p) gC t, LN2 p I (8).
        law = Counts(ops=4 + 17 + 11 + 6 + 8 + 4 + 8, transcendentals=6 + 3 + 2 + 1)
    slope = Counts(ops=1, transcendentals=1)  # exp(-ln v)
    return integral + law + slope


def path_counts(s: dict[str, Any]) -> Counts:
    """The integrator: per step work x steps (forecaster._integrate)."""
    if s["integrator"] == "doublings":
        steps = int(s["max_doublings"])
        # alive: 4 compares + 4 ands; t, r: add/sub + select each; r > 0, safe select;
        # 1/r, -1, *p, exp2 (pow), *dt, 2 selects; output rate 1/dt.
        per_step = Counts(ops=8 + 4 + 2 + 6 + 1, transcendentals=1)
        total = Counts(ops=per_step.ops * steps, transcendentals=per_step.transcendentals * steps)
        nodes = steps + 1
        # scan outputs t and rate, then concatenated: written, copied.
        total.path_bytes = 2 * nodes * F32 * 2
        return total
    steps = int(s["steps"])
    nodes = steps + 1
    ev = _log_rate_eval(s["full_automation"], s["returns"], s["autonomous"])
    if s["autonomous"]:
        # Simpson: 2 steps + 1 evaluations at once, increments (4 ops), cumsum, 1/slope,
        # _stop mask (~6 ops per node).
        n_eval = 2 * steps + 1
        total = Counts(
            ops=ev.ops * n_eval + steps * (4 + 1) + nodes * (1 + 6),
            transcendentals=ev.transcendentals * n_eval,
        )
        total.path_bytes = (2 * nodes + 2 * steps) * F32 * 2  # slopes, t, rate: written, read
        return total
    # RK4 scan: 4 evaluations a step + stage arithmetic (8), combination (6), alive (4),
    # stalled (5), selects (2), rate (1).
    per_step = Counts(ops=4 * ev.ops + 26, transcendentals=4 * ev.transcendentals)
    total = Counts(
        ops=per_step.ops * steps + ev.ops,
        transcendentals=per_step.transcendentals * steps + ev.transcendentals,
    )
    total.path_bytes = 2 * nodes * F32 * 2
    return total


def outcome_counts(s: dict[str, Any]) -> Counts:
    """Per-draw outcomes from the path (forecaster._outcomes, forecaster._kernel)."""
    smooth = s["integrator"] == "rk4"
    steps = int(s["steps"]) if smooth else int(s["max_doublings"])
    nodes = steps + 1
    spacing = s["max_doublings"] / steps if smooth else 1.0
    per_year = s["doublings_per_year"] or 8.0
    log_n = math.ceil(math.log2(nodes))
    locate = 21 + 4 * log_n  # doublings_at_time: a binary search and the interpolation
    c = Counts(ops=2 * nodes)  # reached mask
    reads = 1  # passes over the path arrays (each N floats)
    # fastest time to each progress level: a shifted difference over the start nodes
    if smooth:
        c.ops += nodes  # slopes spacing / rate, shared
        reads += 1
    for years in s["progress_levels_years"]:
        pos = years * per_year / spacing
        m = math.floor(pos + 1e-9)
        if m > steps:
            continue
        interpolated = smooth and pos - m > 1e-9
        c.ops += (17 if interpolated else 6) * (nodes - m)
        reads += 4 if interpolated else 2
    # most progress in each window: bisection on whole steps (a shifted copy of the path and
    # a min per probe), the partial last step from every start, the end window (2 searches)
    for _ in s["windows_years"]:
        c.ops += log_n * 2 * nodes + 12 * nodes + 2 * (locate + 5)
        reads += 2 * log_n + 3
    # times to progress levels and fan levels: Hermite (smooth) or a gather
    levels = len(s["progress_levels_years"]) + len(s["fan_levels_years"])
    c.ops += levels * ((35 if smooth else 6) + 2)
    # progress by the horizon, peak rate, non-finite check, flags
    c.ops += locate + 3 * nodes + 6 * nodes + 2 * (levels + 10) + 10
    reads += 4
    c.path_bytes = reads * nodes * F32
    return c


def statistics_counts(s: dict[str, Any], n_uncertain: int) -> Counts:
    """chunk_statistics: events, histograms (scatter-adds), sensitivity bins."""
    levels, windows = len(s["progress_levels_years"]), len(s["windows_years"])
    events = levels * windows + 2
    series = 2 * levels + windows + 2 + len(s["fan_levels_years"])
    c = Counts(ops=events * 3 + 6)
    c += Counts(ops=16 * series, transcendentals=series)  # log10, cell index, scatter-add
    bins = 10
    c += Counts(ops=n_uncertain * (3 + 3 * bins) + 2 * n_uncertain * bins * events)
    return c


def sampling_counts(n_uncertain: int) -> Counts:
    """Threefry: fold_in twice and ceil(k/2) blocks of bits; icdf of each prior."""
    hashes = 2 + math.ceil(n_uncertain / 2)
    return Counts(
        ops=hashes * THREEFRY_OPS + n_uncertain * (5 + 4), transcendentals=1.5 * n_uncertain
    )


def output_bytes(s: dict[str, Any], n_params: int, n_uncertain: int) -> float:
    """Per-draw outputs the engine returns for its sample (every draw today)."""
    levels, windows = len(s["progress_levels_years"]), len(s["windows_years"])
    outcome_values = 2 * levels + windows + 1 + 1 + 4 + len(s["fan_levels_years"])
    return (n_params + n_uncertain + outcome_values) * F32


def kernel_counts(settings: Any, n_uncertain: int, n_params: int = 14) -> dict[str, Any]:
    """Per-draw counts of every part of one draw, from the plan's model (a path model)."""
    s = dataclasses.asdict(settings) if dataclasses.is_dataclass(settings) else dict(settings)
    # What a model without the field computes as (the general law's defaults; a ladder's
    # path is a closed form, counted as the smooth path it is read as).
    s.setdefault("integrator", "ladder" if "ladder" in s else "rk4")
    for key, default in (("returns", "constant"), ("full_automation", True), ("autonomous", True)):
        s.setdefault(key, default)
    parts = {
        "sampling": sampling_counts(n_uncertain),
        "paths": path_counts(s),
        "outcomes": outcome_counts(s),
        "statistics": statistics_counts(s, n_uncertain),
    }
    total = Counts()
    for part in parts.values():
        total += part
    out_b = output_bytes(s, n_params, n_uncertain)
    return {
        "parts": {k: v.as_dict() for k, v in parts.items()},
        "ops": total.ops,
        "transcendentals": total.transcendentals,
        "bytes_min": out_b,
        "bytes_path": out_b + total.path_bytes,
    }


def estimate(counts: dict[str, Any], draws_per_second: float, peak: DevicePeak) -> dict[str, Any]:
    """How close measured draws/s run to the device's limits.

    Returns the achieved rates, the draws/s each resource allows (``bound_*``), the lowest
    of those (``roofline_draws_per_second``, with bytes_path, the pessimistic memory model,
    and with bytes_min), which resource limits, and measured / roofline.
    """
    ops, tr = counts["ops"], counts["transcendentals"]
    if peak.transcendentals_per_s is None:  # CPU: transcendentals are ALU work
        alu_ops = ops + CPU_TRANSCENDENTAL_OPS * tr
        bound_tr = math.inf
    else:
        alu_ops = ops + 4 * tr  # range reduction around the SFU op
        bound_tr = peak.transcendentals_per_s / tr if tr else math.inf
    bound_alu = peak.ops_per_s / alu_ops
    bound_mem_path = peak.bytes_per_s / counts["bytes_path"]
    bound_mem_min = peak.bytes_per_s / counts["bytes_min"]
    bounds = {"alu": bound_alu, "transcendental": bound_tr}
    bounds["memory(min)" if peak.path_in_cache else "memory(path)"] = (
        bound_mem_min if peak.path_in_cache else bound_mem_path
    )
    limit = min(bounds, key=bounds.get)
    roof = bounds[limit]
    roof_min = min(bound_alu, bound_tr, bound_mem_min)
    return {
        "device_peak": dataclasses.asdict(peak),
        "ops_per_draw": round(alu_ops, 1),
        "transcendentals_per_draw": round(tr, 1),
        "bytes_per_draw_min": round(counts["bytes_min"], 1),
        "bytes_per_draw_path": round(counts["bytes_path"], 1),
        "measured_draws_per_second": draws_per_second,
        "achieved_ops_per_second": draws_per_second * alu_ops,
        "achieved_bytes_per_second_path": draws_per_second * counts["bytes_path"],
        "bound_draws_per_second": {
            "alu": _finite(bound_alu),
            "transcendental": _finite(bound_tr),
            "memory(path)": _finite(bound_mem_path),
            "memory(min)": _finite(bound_mem_min),
        },
        "limited_by": limit,
        "roofline_draws_per_second": _finite(roof),
        "roofline_draws_per_second_fused": _finite(roof_min),
        "fraction_of_roofline": _finite(draws_per_second / roof) if roof else None,
        "fraction_of_alu_peak": _finite(draws_per_second * alu_ops / peak.ops_per_s),
    }


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None

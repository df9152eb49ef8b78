"""The presets whose summaries tests/data/golden_summaries.json pins, and how a summary is
reduced to what the pin compares (integer counts exactly, the rest rounded).

Run ``python -m tests.golden_presets`` to record the file anew (only when a change of numbers
is intended and explained).
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

GOLDEN = Path(__file__).parent / "data" / "golden_summaries.json"
COMMON = ("n_draws=8192", "seed=5", "output.sample_size=0", "output.report=false")

#: name -> overrides: every scenario and timelines preset on disk, and each model option.
CASES: dict[str, tuple[str, ...]] = {
    "decaying": ("scenario=decaying",),
    "explosive": ("scenario=explosive",),
    "amdahl": ("scenario=amdahl",),
    "expanding_pie": ("scenario=expanding_pie",),
    "dh": ("scenario=davidson_houlden_2025",),
    "dh_constant_r": ("scenario=davidson_houlden_2025", "scenario.constant_r=true"),
    "dh_retraining": ("scenario=davidson_houlden_2025", "scenario.retraining_cost=true"),
    "dh_gradual": ("scenario=davidson_houlden_2025", "scenario.gradual_boost=true"),
    "dh_single": ("scenario=davidson_houlden_2025", "scenario.dh_mode=single_simulation"),
    "dh_rk4": (
        "scenario=davidson_houlden_2025",
        "scenario.integrator=rk4",
        "scenario.stop_after_years=inf",
    ),
    "ai2027_takeoff": ("scenario=ai2027_takeoff",),
    "decaying_metr": ("scenario=decaying", "timelines=metr_trend"),
    "takeoff_ai2027": ("scenario=ai2027_takeoff", "timelines=ai2027"),
    "takeoff_may2025": ("scenario=ai2027_takeoff", "timelines=ai2027_may2025"),
    "dh_metr": ("scenario=davidson_houlden_2025", "timelines=metr_trend"),
}


def _round(value, digits: int = 9):
    if isinstance(value, float):
        return None if not math.isfinite(value) else float(f"{value:.{digits}g}")
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_round(v, digits) for v in value]
    return value


def fingerprint_of(totals: dict, summary: dict) -> dict:
    """What a pin compares: each accumulator's sha256 and sum (exact integers), and the
    summary's probabilities, flags, quantiles and milestones (9 digits)."""
    import numpy as np

    counts = {
        key: {
            "sha256": hashlib.sha256(np.ascontiguousarray(v, np.int64).tobytes()).hexdigest(),
            "sum": int(np.sum(v)),
            "shape": list(np.shape(v)),
        }
        for key, v in sorted(totals.items())
    }
    kept = ("probabilities", "flags", "quantiles", "milestones")
    return {"counts": counts, "summary": _round({k: summary.get(k) for k in kept})}


def run_case(overrides: tuple[str, ...]) -> dict:
    import forecaster as fc

    f = fc.forecast(overrides=[*COMMON, *overrides], progress=False)
    return fingerprint_of(f._result.totals, f.summary)


def main() -> None:
    record = {name: run_case(overrides) for name, overrides in CASES.items()}
    GOLDEN.write_text(json.dumps({"common": COMMON, "cases": record}, indent=1) + "\n")
    print(f"wrote {GOLDEN} ({len(record)} cases)")


if __name__ == "__main__":
    main()

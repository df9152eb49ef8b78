"""forecaster against the committed table of AI 2027's own numbers (side by side).

    python -m benchmarks.peers.ai2027_compare [--draws 1000000] [--seed 0]

Reads their per-draw results (``benchmarks/results/peers/ai2027_draws.csv.gz``, written by
:mod:`benchmarks.peers.ai2027` from their code at a recorded commit), runs forecaster's
presets (``scenario=ai2027_takeoff``, with ``timelines=ai2027`` and
``timelines=ai2027_may2025`` for the SC date) and compares, for each quantity, forecaster's
CDF at their 10th/50th/90th percentiles with 0.1/0.5/0.9, and the event probabilities
(P(ASI within 1 and 2 years of SC), P(SC before 2027, 2028, 2030, 2031)), each as z with a
standard error from both sample sizes. Writes ``ai2027_comparison.csv`` and prints the
Markdown table of docs/REPRODUCTION.md.

Units: their takeoff spans are whole calendar days from SC; forecaster's years are their
days / 365 (their gaps are years x 365 days, and a phase's calendar days are its gap's days
over the speed-up). A percentile that falls on a point mass (SC to SAR is exactly 0 in 15%
of draws) is compared with the interval [P(X < v), P(X <= v)]: z is 0 inside it.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).resolve().parents[1] / "results" / "peers"
DRAWS_FILE = RESULTS / "ai2027_draws.csv.gz"
THEIR_DAYS_PER_YEAR = 365.0
LEVELS = (0.1, 0.5, 0.9)
WITHIN = (1.0, 2.0)
BEFORE = (2027.0, 2028.0, 2030.0, 2031.0)
MILESTONES = ("SAR", "SIAR", "ASI")
#: forecaster run of each of their models: (their model, forecaster timelines preset).
RUNS = {"takeoff": None, "timelines_april2025": "ai2027", "timelines_may2025": "ai2027_may2025"}


def their_values() -> dict[tuple[str, str], np.ndarray]:
    """Their per-draw values in forecaster's units: (model, quantity) -> array."""
    import pandas as pd

    frame = pd.read_csv(DRAWS_FILE)
    out = {}
    takeoff = frame[frame.model == "takeoff"]
    for m in MILESTONES:
        out[("takeoff", f"SC_to_{m}")] = takeoff[f"SC_to_{m}_days"].to_numpy() / THEIR_DAYS_PER_YEAR
    for model in ("timelines_april2025", "timelines_may2025"):
        out[(model, "SC_year")] = frame[frame.model == model]["SC_year"].to_numpy(float)
    return out


def forecaster_values(draws: int, seed: int) -> dict[tuple[str, str], np.ndarray]:
    """forecaster's per-draw values (every draw kept), same keys as :func:`their_values`."""
    from forecaster._engine import run_forecast

    from ..common import make_plan

    out = {}
    for model, timelines in RUNS.items():
        overrides = [f"seed={seed}", f"output.sample_size={draws}"]
        if timelines is not None:
            overrides.append(f"timelines={timelines}")
        plan = make_plan("ai2027_takeoff", draws, overrides=overrides)
        with tempfile.TemporaryDirectory() as tmp:
            result = run_forecast(plan, Path(tmp), progress_bar=False)
        finite = ~np.asarray(result.sample["out_non_finite"], bool)
        if timelines is None:
            years = np.asarray(result.sample["out_milestone_years"], float)[finite]
            for k, m in enumerate(plan.model.ladder.names[1:]):
                out[(model, f"SC_to_{m}")] = years[:, k]
        else:
            out[(model, "SC_year")] = np.asarray(result.sample["start_year"], float)
    return out


def _z_interval(q: float, low: float, high: float, se: float) -> float:
    """z of forecaster's CDF [low, high] (below and at the value) against q: 0 when q lies
    inside it, positive when forecaster's CDF is above q."""
    if low <= q <= high:
        return 0.0
    gap = low - q if q < low else high - q
    return gap / se if se > 0 else math.inf


def compare_rows(theirs: dict, ours: dict) -> list[dict[str, Any]]:
    """One row per (model, quantity, statistic): their value, forecaster's, z."""
    rows = []
    for key, their in theirs.items():
        model, quantity = key
        mine = ours[key]
        n_t, n_o = their.size, mine.size
        for q in LEVELS:
            v = float(np.percentile(their, 100 * q))
            below, at_most = float(np.mean(mine < v)), float(np.mean(mine <= v))
            cdf = 0.5 * (below + at_most)
            se = math.sqrt(q * (1 - q) / n_t + cdf * (1 - cdf) / n_o)
            rows.append(
                {
                    "model": model,
                    "quantity": quantity,
                    "statistic": f"F(their q{round(100 * q):02d})",
                    "theirs": v,
                    "target": q,
                    "forecaster": cdf,
                    "forecaster_below": below,
                    "forecaster_at_most": at_most,
                    "se": se,
                    "z": _z_interval(q, below, at_most, se),
                    "n_theirs": n_t,
                    "n_forecaster": n_o,
                }
            )
        events = []
        if quantity == "SC_to_ASI":
            events = [(f"P(within {y:g} years)", lambda x, y=y: x <= y) for y in WITHIN]
        if quantity == "SC_year":
            events = [(f"P(before {y:g})", lambda x, y=y: x < y) for y in BEFORE]
        for name, event in events:
            p_t, p_o = float(np.mean(event(their))), float(np.mean(event(mine)))
            se = math.sqrt(p_t * (1 - p_t) / n_t + p_o * (1 - p_o) / n_o)
            rows.append(
                {
                    "model": model,
                    "quantity": quantity,
                    "statistic": name,
                    "theirs": p_t,
                    "target": p_t,
                    "forecaster": p_o,
                    "forecaster_below": p_o,
                    "forecaster_at_most": p_o,
                    "se": se,
                    "z": (p_o - p_t) / se if se > 0 else 0.0,
                    "n_theirs": n_t,
                    "n_forecaster": n_o,
                }
            )
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    """The table of docs/REPRODUCTION.md."""
    lines = [
        "| model | quantity | statistic | theirs | target | forecaster | z |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        value = f"{r['theirs']:.4g}"
        lines.append(
            f"| {r['model']} | {r['quantity']} | {r['statistic']} | {value} | "
            f"{r['target']:.4f} | {r['forecaster']:.4f} | {r['z']:+.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    import pandas as pd

    rows = compare_rows(their_values(), forecaster_values(args.draws, args.seed))
    pd.DataFrame(rows).to_csv(RESULTS / "ai2027_comparison.csv", index=False)
    print(markdown(rows))
    worst = max(abs(r["z"]) for r in rows)
    print(f"\nmax |z| = {worst:.2f} over {len(rows)} comparisons", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

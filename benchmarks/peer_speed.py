"""The ``peers`` section of ``python -m benchmarks``: draws per second of AI 2027's presets and
of the AI Futures Model on forecaster's engine, beside their own code's speed (measured side
by side by :mod:`benchmarks.peers.ai2027`: their seconds for their 5,000 simulations, from the
committed ``benchmarks/results/peers/ai2027.json``; by :mod:`benchmarks.peers.aifm`: their
mean seconds a draw in-process, from ``aifm.json``), and of Epoch's Full Takeoff Model's
Monte Carlo (their sampler and model, mean seconds a draw by :mod:`benchmarks.peers.ftm_mc`,
``ftm_mc.json``).

Rows: ``scenario=ai2027_takeoff`` (their takeoff), and the same with ``timelines=ai2027`` and
``timelines=ai2027_may2025`` (the SC date drawn, then the takeoff from it: more work than their
timelines script alone does, so the ratio against it understates the speed-up). Each figure
is the median of ``repeats`` runs after a warm-up run, in one process (ratios are what to
quote; absolute figures move with the machine).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import make_plan, median

PEERS = Path(__file__).resolve().parent / "results" / "peers"
THEIR_RESULTS = PEERS / "ai2027.json"
#: (row name, forecaster overrides, their model in ai2027.json or aifm.json)
ROWS = (
    ("ai2027_takeoff", (), "takeoff"),
    ("ai2027_takeoff + timelines=ai2027", ("timelines=ai2027",), "timelines_april2025"),
    (
        "ai2027_takeoff + timelines=ai2027_may2025",
        ("timelines=ai2027_may2025",),
        "timelines_may2025",
    ),
)


AIFM_ROW = ("aifm_dec2025", "aifm")
FTM_ROW = ("epoch_ftm_2023", "ftm")


def their_speed() -> dict[str, float]:
    """Their draws/s per model, from the side-by-side runs' records."""
    meta = json.loads(THEIR_RESULTS.read_text())
    speeds = {model: meta["draws"] / seconds for model, seconds in meta["seconds"].items()}
    aifm = json.loads((PEERS / "aifm.json").read_text())
    speeds["aifm"] = 1.0 / aifm["seconds_per_draw"]["mean"]
    ftm = json.loads((PEERS / "ftm_mc.json").read_text())
    speeds["ftm"] = 1.0 / ftm["seconds_per_draw"]["mean"]
    return speeds


def peers_section(cfg: dict[str, Any], tmp: Path, log: Callable[[str], None]) -> dict[str, Any]:
    from forecaster._engine import run_forecast

    theirs = their_speed()
    runs = [(name, "ai2027_takeoff", overrides, model, cfg["peer_draws"])
            for name, overrides, model in ROWS]  # fmt: skip
    runs.append((AIFM_ROW[0], AIFM_ROW[0], (), AIFM_ROW[1], cfg["aifm_draws"]))
    runs.append((FTM_ROW[0], FTM_ROW[0], (), FTM_ROW[1], cfg["ftm_draws"]))
    rows = []
    for name, scenario, overrides, model, n in runs:
        plan = make_plan(scenario, n, cfg["chunk_size"], overrides)
        rates = []
        for rep in range(cfg["repeats"] + 1):  # the first is the warm-up
            run_dir = tmp / f"peers-{rep}"
            t0 = time.perf_counter()
            result = run_forecast(plan, run_dir, progress_bar=False)
            wall = time.perf_counter() - t0
            shutil.rmtree(run_dir, ignore_errors=True)
            if rep:
                rates.append(result.timing["draws_per_second"])
        ours = median(rates)
        rows.append(
            {
                "preset": name,
                "n_draws": n,
                "draws_per_second": ours,
                "their_model": model,
                "their_draws_per_second": theirs[model],
                "ratio": ours / theirs[model],
                "last_wall_seconds": wall,
            }
        )
        log(f"  {name}: {ours:,.0f} draws/s, {ours / theirs[model]:,.0f}x their code")
    by_model = {r["their_model"]: r["draws_per_second"] for r in rows}
    ai2027 = [r["draws_per_second"] for r in rows if r["their_model"] not in ("aifm", "ftm")]
    return {
        "rows": rows,
        "lowest_ai2027_draws_per_second": min(ai2027),
        "aifm_draws_per_second": by_model["aifm"],
        "ftm_draws_per_second": by_model["ftm"],
    }

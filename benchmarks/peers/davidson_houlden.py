"""Davidson & Houlden (2025): their Monte Carlo code, every model option, with fixed seeds.

    python -m benchmarks.peers.davidson_houlden --repo <checkout of
        github.com/thoulden/Accelerated_AI_Progress> [--draws 200000] [--seed 0]
    python -m benchmarks.peers.davidson_houlden --compare 1000000   # forecaster against it

Runs ``multiple_sims.py`` of their repository as published: its ``run_simulations`` (sampling,
the stepper ``dynamic_system_with_lambda`` and the counting
``calculate_summary_statistics_binary``) with their site's default priors, for every
combination of their three options (Retraining Cost, Gradual Boost, Constant r) and for
software shares 0.3 and 0.7 on the base case. The only thing supplied is a stand-in for
``streamlit`` (their UI library: ``run_simulations`` draws a progress bar), so no UI starts.

Their global NumPy generator is seeded once per variant (``np.random.seed(seed)``) and the
draws run in batches of ``--batch`` (their function keeps every path in Python lists); the
batches continue one stream. Each cell is a number of whole doublings in a window: their
``int(w/12 * (4/s) * speed)``, the speed chosen so that it equals forecaster's
``floor(Y * per_year)`` for the level Y (their table's "≥3 years in ≤4 months" cell is
speed 10, 26 doublings: 3.25 years at s = 0.5). Writes
``benchmarks/results/peers/davidson_houlden_2025.csv`` (one row per variant and cell) and a
``.json`` beside it with their commit, the seed, the draws and the seconds taken.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import math
import sys
import time
import types
from pathlib import Path
from typing import Any

from . import commit_of

RESULTS = Path(__file__).resolve().parents[1] / "results" / "peers"
REPOSITORY = "https://github.com/thoulden/Accelerated_AI_Progress"
# Their site's default prior bounds (multiple_sims.run): f, r, distance to limits, lambda.
PRIORS = {"ib": (2.0, 32.0), "r": (0.4, 3.6), "ly": (6.0, 16.0), "lf": (0.15, 0.6)}
# Cells: (window in months, years of progress Y). 3.25 years in 4 months is their table's
# "≥3 years compressed into ≤4 months" (speed 10).
CELLS = ((12.0, 3.0), (4.0, 3.25), (4.0, 3.0), (12.0, 10.0), (4.0, 10.0))
OPTIONS = ("retraining_cost", "gradual_boost", "constant_r")


def variants() -> list[dict[str, Any]]:
    """Every option combination at software share 0.5, and shares 0.3, 0.7 on the base case."""
    out = [
        {**dict(zip(OPTIONS, flags, strict=True)), "software_share": 0.5}
        for flags in itertools.product((False, True), repeat=3)
    ]
    out += [{**dict.fromkeys(OPTIONS, False), "software_share": s} for s in (0.3, 0.7)]
    return out


def variant_name(v: dict[str, Any]) -> str:
    on = [k for k in OPTIONS if v[k]] or ["base"]
    return "+".join(on) + f"@s={v['software_share']:g}"


def required_doublings(years: float, software_share: float) -> int:
    """forecaster's whole doublings for Y years of progress: floor(Y (1/Ts)/s), Ts = 1/4."""
    return int(math.floor(years * (4.0 / software_share) + 1e-9))


def their_condition(window_months: float, years: float, software_share: float) -> tuple:
    """(window, speed) for which their ``int(w/12 * 4/s * speed)`` is our doublings."""
    need = required_doublings(years, software_share)
    baseline = (window_months / 12) * (4 / software_share)
    speed = (need + 0.5) / baseline
    assert int(baseline * speed) == need
    return (window_months, speed)


def load_their_module(repo: Path) -> types.ModuleType:
    """``multiple_sims.py`` of their checkout, with a stand-in for streamlit."""

    class _Bar:
        def progress(self, *args: Any, **kwargs: Any) -> None:
            pass

    stand_in = types.ModuleType("streamlit")
    stand_in.progress = lambda *args, **kwargs: _Bar()  # type: ignore[attr-defined]
    sys.modules.setdefault("streamlit", stand_in)
    spec = importlib.util.spec_from_file_location("dh_multiple_sims", repo / "multiple_sims.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def run_variant(module: Any, v: dict[str, Any], draws: int, seed: int, batch: int) -> dict:
    """Their probabilities (counts) for every cell of one variant."""
    import numpy as np

    s = v["software_share"]
    conditions = [their_condition(w, y, s) for w, y in CELLS]
    counts = dict.fromkeys(conditions, 0)
    np.random.seed(seed)  # noqa: NPY002 (their code draws from the global generator)
    done = 0
    while done < draws:
        n = min(batch, draws - done)
        probabilities, *_ = module.run_simulations(
            n,
            conditions,
            *PRIORS["r"],
            *PRIORS["ly"],
            *PRIORS["lf"],
            *PRIORS["ib"],
            s,
            v["retraining_cost"],
            v["gradual_boost"],
            v["constant_r"],
        )
        for c in conditions:
            counts[c] += round(probabilities[c] * n)
        done += n
    return {cell: counts[c] for cell, c in zip(CELLS, conditions, strict=True)}


def forecaster_overrides(v: dict[str, Any]) -> list[str]:
    """The forecast overrides of one variant of the ``davidson_houlden_2025`` preset."""
    return [
        *(f"scenario.{k}={str(v[k]).lower()}" for k in OPTIONS),
        f"scenario.params.software_share={v['software_share']}",
        "progress_years=[3,3.25,10]",
        "windows_months=[4,12]",
    ]


def forecaster_counts(v: dict[str, Any], draws: int, seed: int, run_dir: Path) -> dict:
    """forecaster's (count, n) for every cell of one variant (a run into ``run_dir``)."""
    from forecaster._engine import run_forecast

    from ..common import make_plan

    plan = make_plan(
        "davidson_houlden_2025", draws, overrides=[*forecaster_overrides(v), f"seed={seed}"]
    )
    result = run_forecast(plan, run_dir, progress_bar=False)
    from forecaster._summaries import probability_table

    table = probability_table(plan, result.totals)
    return {
        (row["window_months"], row["years"]): (row["count"], row["n"])
        for row in table
        if (row["window_months"], row["years"]) in CELLS
    }


def compare(draws: int, seed: int, out: Path) -> Any:
    """forecaster at ``draws`` draws against the committed table of their numbers: one row per
    variant and cell with both estimates, both standard errors and z. Writes
    ``davidson_houlden_2025_comparison.csv`` and returns the table."""
    import tempfile

    import pandas as pd

    theirs = pd.read_csv(out / "davidson_houlden_2025.csv")
    rows = []
    for v in variants():
        name = variant_name(v)
        with tempfile.TemporaryDirectory() as tmp:
            ours = forecaster_counts(v, draws, seed, Path(tmp))
        for _, row in theirs[theirs.variant == name].iterrows():
            count, n = ours[(row.window_months, row.years)]
            p = count / n
            se = math.sqrt(p * (1 - p) / n)
            rows.append(
                {
                    "variant": name,
                    "cell": f"{row.years:g}y in {row.window_months:g}m",
                    "doublings": row.doublings,
                    "theirs": row.p,
                    "their_se": row.se,
                    "forecaster": p,
                    "forecaster_se": se,
                    "z": (p - row.p) / math.hypot(se, row.se),
                }
            )
        print(f"forecaster {name} done", file=sys.stderr)
    table = pd.DataFrame(rows)
    table.to_csv(out / "davidson_houlden_2025_comparison.csv", index=False)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="their repository checkout")
    parser.add_argument("--draws", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--only", default=None, help="comma-separated variant names")
    parser.add_argument(
        "--compare",
        type=int,
        default=None,
        metavar="DRAWS",
        help="instead: forecaster at DRAWS draws against the committed table",
    )
    args = parser.parse_args(argv)
    if args.compare:
        table = compare(args.compare, args.seed, args.out)
        print(table.to_markdown(index=False, floatfmt=".4f"))
        print(f"max |z| = {table.z.abs().max():.2f}")
        return 0

    if args.repo is None:
        parser.error("--repo is required (a checkout of their repository)")
    module = load_their_module(args.repo)
    rows, seconds = [], {}
    chosen = variants()
    if args.only:
        chosen = [v for v in chosen if variant_name(v) in args.only.split(",")]
    for i, v in enumerate(chosen):
        t0 = time.perf_counter()
        counts = run_variant(module, v, args.draws, args.seed + i, args.batch)
        seconds[variant_name(v)] = time.perf_counter() - t0
        for (window, years), count in counts.items():
            p = count / args.draws
            rows.append(
                {
                    "variant": variant_name(v),
                    **{k: v[k] for k in (*OPTIONS, "software_share")},
                    "window_months": window,
                    "years": years,
                    "doublings": required_doublings(years, v["software_share"]),
                    "count": count,
                    "n": args.draws,
                    "p": p,
                    "se": math.sqrt(p * (1 - p) / args.draws),
                    "seed": args.seed + i,
                }
            )
        print(f"{variant_name(v)}: {seconds[variant_name(v)]:.0f} s", file=sys.stderr)
    import pandas as pd

    args.out.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(rows)
    table.to_csv(args.out / "davidson_houlden_2025.csv", index=False)
    meta = {
        "repository": REPOSITORY,
        "commit": commit_of(args.repo),
        "file": "multiple_sims.py",
        "function": "run_simulations",
        "draws": args.draws,
        "seeds": "np.random.seed(seed + variant index), in the order of the table",
        "batch": args.batch,
        "priors": PRIORS,
        "seconds": seconds,
        "python": sys.version.split()[0],
    }
    (args.out / "davidson_houlden_2025.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Two versions of forecaster in one benchmark run: every preset's forecast throughput here
and in another checkout (a git worktree of an earlier commit), measured alternately in fresh
processes on the same machine, so the ratio is free of the machine's drift.

    git worktree add /tmp/base <commit>
    python -m benchmarks.versions --base /tmp/base [--draws 300000] [--repeats 3]

Writes ``benchmarks/results/<machine>-versions-<date>.json`` and ``.md`` and prints the table:
draws/s of each (median over repeats, the engine's own timing: compiling excluded) and their
ratio (this checkout over the base; below 1 is slower).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CASES = {
    "decaying": ["scenario=decaying"],
    "explosive": ["scenario=explosive"],
    "amdahl": ["scenario=amdahl"],
    "expanding_pie": ["scenario=expanding_pie"],
    "davidson_houlden_2025": ["scenario=davidson_houlden_2025"],
    "ai2027_takeoff": ["scenario=ai2027_takeoff"],
    "ai2027_takeoff + ai2027": ["scenario=ai2027_takeoff", "timelines=ai2027"],
    "decaying + metr_trend": ["scenario=decaying", "timelines=metr_trend"],
}
# One forecast in a fresh process of the tree on PYTHONPATH: a warm-up run compiles, the
# measured one runs on the compiled kernel; prints the engine's draws/s. XLA is set up as
# `forecaster forecast` sets it (the scheduler, one device per core).
_PROBE = """
import json, sys, tempfile
from pathlib import Path
from forecaster import configure_cpu_devices, configure_cpu_scheduler
configure_cpu_scheduler()
configure_cpu_devices()
from forecaster._config import compose_forecast, plan_forecast
from forecaster._engine import run_forecast
overrides, n = json.loads(sys.argv[1]), int(sys.argv[2])
common = ["output.sample_size=0", "chunk_size=65536", "seed=1"]
with tempfile.TemporaryDirectory() as tmp:
    run_forecast(plan_forecast(compose_forecast([*overrides, *common, "n_draws=65536"])),
                 Path(tmp) / "warm", progress_bar=False)
    result = run_forecast(plan_forecast(compose_forecast([*overrides, *common, f"n_draws={n}"])),
                          Path(tmp) / "run", progress_bar=False)
print(json.dumps({"draws_per_second": result.timing["draws_per_second"]}))
"""


# The two compiled programs of one engine call, as the multiset of (shape, operation) of their
# optimised HLO instructions: names, argument order and source locations left out, so two
# checkouts that compile the same computation give the same multiset.
_PROGRAMS = r"""
import collections, json, re, sys
import jax, jax.numpy as jnp, numpy as np
from jax.sharding import Mesh
from forecaster import configure_cpu_scheduler
configure_cpu_scheduler()
from forecaster import _engine as engine
from forecaster._config import compose_forecast, plan_forecast
plan = plan_forecast(compose_forecast([*json.loads(sys.argv[1]), "output.sample_size=0"]))
mesh = Mesh(np.array(jax.local_devices()[:1]), ("draws",))
paths, count = engine._programs(plan, 4096, mesh, jnp.float32)
args = (*engine._split_index(0), np.int32(0))
# Since issue 27 the programs take the seed and priors' values as inputs (older: none).
inputs = (engine.kernel_inputs(plan, jnp.float32),) if hasattr(engine, "kernel_inputs") else ()
drawn = jax.eval_shape(paths, *args[:2], *inputs)
out = []
for program, a in ((paths, (*args[:2], *inputs)), (count, (*args, drawn, *inputs))):
    text = program.lower(*a).compile().as_text()
    ops = re.findall(r"= (\S+) ([a-z][a-z0-9-]*)\(", text)
    out.append(sorted(f"{k[0]} {k[1]} x{v}" for k, v in collections.Counter(ops).items()))
print(json.dumps(out))
"""


def _in_tree(tree: Path, script: str, *args: str) -> object:
    """Run ``script`` in a fresh process on the checkout ``tree`` (first on PYTHONPATH);
    the JSON of its last line of output."""
    env = {**os.environ, "PYTHONPATH": str(tree), "JAX_PLATFORMS": "cpu"}
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{tree}: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def programs(tree: Path, overrides: list[str]) -> object:
    """The (shape, operation) multisets of the engine's two compiled programs in ``tree``."""
    return _in_tree(tree, _PROGRAMS, json.dumps(overrides))


def probe(tree: Path, overrides: list[str], n: int) -> float:
    """One forecast's draws/s in ``tree`` (the engine's timing, compiling excluded)."""
    result = _in_tree(tree, _PROBE, json.dumps(overrides), str(n))
    assert isinstance(result, dict)
    return float(result["draws_per_second"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, required=True, help="the other checkout")
    parser.add_argument("--draws", type=int, default=300_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cases", default="", help="comma-separated cases (default: all)")
    parser.add_argument("--machine", default="cpu-2core")
    parser.add_argument("--out", type=Path, default=HERE / "benchmarks" / "results")
    args = parser.parse_args(argv)
    commit = subprocess.run(
        ["git", "-C", str(args.base), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    head = subprocess.run(
        ["git", "-C", str(HERE), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    chosen = [c for c in args.cases.split(",") if c] or list(CASES)
    rows = []
    for name in chosen:
        overrides = CASES[name]
        here, base = [], []
        for _ in range(args.repeats):  # alternate, so drift hits both alike
            base.append(probe(args.base, overrides, args.draws))
            here.append(probe(HERE, overrides, args.draws))
        row = {
            "case": name,
            "base_draws_per_second": statistics.median(base),
            "here_draws_per_second": statistics.median(here),
        }
        row["ratio"] = row["here_draws_per_second"] / row["base_draws_per_second"]
        row["same_programs"] = programs(args.base, overrides) == programs(HERE, overrides)
        rows.append(row)
        print(
            f"{name:<26} base {row['base_draws_per_second']:>10,.0f}/s  "
            f"here {row['here_draws_per_second']:>10,.0f}/s  ratio {row['ratio']:.3f}  "
            f"same compiled programs: {row['same_programs']}",
            flush=True,
        )
    stamp = dt.date.today().isoformat()
    record = {
        "machine": args.machine,
        "date": stamp,
        "base_commit": commit,
        "here_commit": head,
        "draws": args.draws,
        "repeats": args.repeats,
        "rows": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / f"{args.machine}-versions-{stamp}"
    stem.with_suffix(".json").write_text(json.dumps(record, indent=1) + "\n")
    lines = [
        f"# Throughput: {head[:7]} against {commit[:7]} ({args.machine}, {stamp})",
        "",
        f"{args.draws:,} draws a forecast, median of {args.repeats} alternating fresh "
        "processes each; the engine's draws/s (compiling excluded). *Same programs*: the "
        "engine's two compiled XLA programs hold the same multiset of (shape, operation) "
        "instructions in both checkouts (names, argument order and source lines aside).",
        "",
        "| case | base draws/s | here draws/s | here / base | same programs |",
        "|---|---:|---:|---:|---|",
        *(
            f"| {r['case']} | {r['base_draws_per_second']:,.0f} | "
            f"{r['here_draws_per_second']:,.0f} | {r['ratio']:.3f} | "
            f"{'yes' if r['same_programs'] else 'no'} |"
            for r in rows
        ),
    ]
    stem.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"wrote {stem}.json and .md")
    return 0


if __name__ == "__main__":
    sys.exit(main())

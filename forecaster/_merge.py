"""Combine the shards of one forecast (run as separate processes or machines) into the exact
result of a single run: every accumulator is an integer count, so merging is a sum.

    forecaster merge <shard dir>... --out <dir>
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import OmegaConf

from ._checkpoint import CHECKPOINT, check_counts, load_checkpoint
from ._config import plan_forecast
from ._engine import ForecastResult, fingerprint, plan_shapes, sample_cap, sample_caps
from ._errors import ConfigError
from ._files import parse_json, read_text
from ._outputs import print_headline, write_outputs
from ._rundir import SAVED_CONFIG, load_saved_config, run_lock, save_config

SUMMARY = "summary.json"


def _load_shard(run_dir: Path) -> tuple[dict[str, Any], Any]:
    checkpoint = run_dir / CHECKPOINT
    if not os.path.lexists(checkpoint):  # a link or a FIFO there is refused by the load
        raise ConfigError("shard", str(run_dir), f"a forecast run directory with {CHECKPOINT}")
    return load_checkpoint(checkpoint), load_saved_config(run_dir, field="shard")


def _check_shard_config(path: Path, state: dict[str, Any], cfg: Any) -> None:
    """A shard's own config.yaml is the configuration (and shard) its checkpoint was made
    with: the plan it gives has the checkpoint's fingerprint."""
    try:
        own = plan_forecast(OmegaConf.merge(cfg, {"resume": None}))
    except ConfigError as err:
        raise ConfigError(
            "shard", str(path / SAVED_CONFIG), f"a valid forecast config ({err})"
        ) from None
    if (
        fingerprint(own) != state["fingerprint"]
        or [own.shard_index, own.num_shards] != state["shard"]
    ):
        raise ConfigError(
            "shard",
            str(path / SAVED_CONFIG),
            f"the configuration and shard its {CHECKPOINT} was made with (they differ)",
        )


def merge_shards(shard_dirs: list[Path], out_dir: Path) -> dict:
    """Check that the shards are one complete run and write its outputs into ``out_dir``.

    Raises:
        ConfigError: shards of different configs or seeds, a shard missing or repeated, or a
            shard that did not finish.
    """
    if not shard_dirs:
        raise ConfigError("shards", [], "one or more shard run directories")
    loaded = [_load_shard(d) for d in shard_dirs]
    first_state, first_cfg = loaded[0]
    n_shards = first_state["shard"][1]
    seen: dict[int, Path] = {}
    for (state, _), path in zip(loaded, shard_dirs, strict=True):
        if state["fingerprint"] != first_state["fingerprint"]:
            raise ConfigError(
                "shard", str(path), f"a shard of the same configuration and seed as {shard_dirs[0]}"
            )
        index, count = state["shard"]
        if count != n_shards:
            raise ConfigError("shard", str(path), f"a shard of a {n_shards}-shard run")
        if index in seen:
            raise ConfigError("shard", str(path), f"a different shard from {seen[index]}")
        if state["next_draw"] != state["stop_draw"]:
            raise ConfigError(
                "shard", str(path), "a finished shard (resume it first: resume=<dir>)"
            )
        seen[index] = path
    missing = sorted(set(range(n_shards)) - set(seen))
    if missing:
        raise ConfigError("shards", len(seen), f"all {n_shards} shards; missing indices {missing}")

    cfg = OmegaConf.merge(first_cfg, {"shard_index": 0, "num_shards": 1, "resume": None})
    plan = plan_forecast(cfg)
    if fingerprint(plan) != first_state["fingerprint"]:
        raise ConfigError("shard", str(shard_dirs[0]), "a run made by this version of forecaster")
    shapes, columns = plan_shapes(plan)  # each shard is checked against the plan
    for (state, shard_cfg), path in zip(loaded, shard_dirs, strict=True):
        _check_shard_config(path, state, shard_cfg)
        shard_plan = dataclasses.replace(
            plan, shard_index=state["shard"][0], num_shards=state["shard"][1]
        )
        check_counts(
            path / CHECKPOINT,
            state,
            shard_plan.draw_range,
            sample_caps(shard_plan),
            shapes,
            columns,
        )
    ordered = [
        loaded[i] for i in sorted(range(len(loaded)), key=lambda i: loaded[i][0]["shard"][0])
    ]
    totals = {k: np.zeros(shape, np.int64) for k, shape in shapes.items()}
    for state, _ in ordered:
        for key, value in state["totals"].items():
            totals[key] = totals[key] + value
    sample = _merged_sample([s for s, _ in ordered], sample_caps(plan))
    seconds = sum(float(s["seconds"]) for s, _ in ordered)
    draws = int(totals["draws"][0])
    timing = {
        "compile_seconds": None,
        "run_seconds": seconds,
        "total_run_seconds": seconds,
        "draws_this_session": draws,
        "draws_per_second": draws / seconds if seconds > 0 else None,
        "chunk_size": None,
    }
    result = ForecastResult(
        plan,
        totals,
        sample,
        timing,
        {"platform": "merged", "kind": "shards", "count": n_shards},
        first_state["fingerprint"],
    )
    if any(out_dir.resolve() == d.resolve() for d in shard_dirs):
        raise ConfigError("--out", str(out_dir), "a directory that is not one of the shards")
    with run_lock(out_dir):
        _refuse_foreign_output(out_dir, result.fingerprint)
        # No stale summary.json beside the new config, whatever fails from here on.
        (out_dir / SUMMARY).unlink(missing_ok=True)
        save_config(cfg, out_dir)
        extra = {"merged_from": [str(p) for p in shard_dirs]}
        return write_outputs(result, out_dir, extra=extra)


def _refuse_foreign_output(out_dir: Path, fp: str) -> None:
    """An ``--out`` holding another run's results is left as it is."""
    for name in (SUMMARY, CHECKPOINT):
        if not os.path.lexists(out_dir / name):
            continue
        try:
            if name == SUMMARY:
                text = read_text(out_dir / name, "--out", SUMMARY)
                theirs = parse_json(text, "--out", out_dir / name, SUMMARY).get("fingerprint")
            else:
                theirs = load_checkpoint(out_dir / name)["fingerprint"]
        except (ConfigError, OSError, ValueError, AttributeError):
            theirs = None
        if theirs != fp:
            raise ConfigError(
                "--out",
                str(out_dir),
                "an empty directory or this merge's own earlier output (it holds the results "
                "of another run)",
            )


def _merged_sample(states: list[dict[str, Any]], caps: tuple[int, int]) -> dict[str, np.ndarray]:
    keys = states[0]["sample"].keys()
    merged = {k: np.concatenate([s["sample"][k] for s in states if k in s["sample"]]) for k in keys}
    return {k: v[: sample_cap(k, caps)] for k, v in merged.items()}


def merge_main(args: list[str]) -> int:
    """``forecaster merge <shard dirs>... --out <dir>``."""
    if "--out" not in args or args.index("--out") == len(args) - 1:
        raise ConfigError("--out", None, "an output directory: merge <shard dirs>... --out <dir>")
    at = args.index("--out")
    out_dir = Path(args[at + 1])
    shards = [Path(a) for a in args[:at] + args[at + 2 :]]
    summary = merge_shards(shards, out_dir)
    print_headline(summary, out_dir, out=sys.stdout)
    return 0

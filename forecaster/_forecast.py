"""A forecast job: validate the config, run the engine, write outputs and the report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ._config import ForecastPlan, plan_forecast
from ._engine import run_forecast, saved_state, select_devices
from ._files import refuse_linked_directory, write_atomic
from ._objective import check_objective, objective_value
from ._outputs import print_headline, write_outputs
from ._rundir import run_lock, save_config


def run_forecast_job(cfg: Any, run_dir: Path) -> dict | None:
    """Everything ``forecaster forecast`` does after Hydra composed ``cfg``; returns the
    summary (None on a process of a distributed job other than the first).

    Validation happens first: a bad value raises ConfigError before any work starts and
    before any file but Hydra's own is written. The run directory is locked for the run;
    its ``config.yaml`` (the validated config, data) is what ``resume=`` and ``merge`` read.
    """
    if cfg.get("distributed") and cfg.distributed.enabled:
        return _run_distributed(cfg, run_dir)
    plan = plan_forecast(cfg)
    check_objective(cfg.get("objective"), plan)
    field = "resume" if cfg.get("resume") is not None else "hydra.run.dir"
    summary, _ = run_into(cfg, plan, run_dir, field)
    print_headline(summary, run_dir)
    if cfg.output.report:
        _write_report(run_dir)
    return summary


def run_into(cfg: Any, plan: ForecastPlan, run_dir: Path, field: str) -> tuple[dict, Any]:
    """Run ``plan`` into ``run_dir`` under its lock and write its outputs: (summary, result).

    Refuses before anything is written: a finished run of another configuration keeps its
    results and its own config.yaml (from which it can still be resumed).
    """
    with run_lock(run_dir):
        saved_state(plan, run_dir, field)
        select_devices(plan.devices)  # the last check: from here on the directory is written
        save_config(cfg, run_dir)
        (run_dir / "summary.json").unlink(missing_ok=True)
        result = run_forecast(plan, run_dir, progress_bar=bool(cfg.output.progress_bar))
        return write_outputs(result, run_dir), result


def objective_of(cfg: Any, summary: dict | None) -> float | None:
    """The number ``cfg.objective`` names in ``summary`` (for a Hydra sweeper), or None."""
    objective = cfg.get("objective")
    if objective is None or summary is None:
        return None
    return objective_value(summary, objective)


def _write_report(run_dir: Path) -> None:
    from .report import write_report  # matplotlib is imported only when a report is asked for

    write_report(run_dir)
    print(f"report: {run_dir / 'report.html'}", file=sys.stdout)


def _run_distributed(cfg: Any, run_dir: Path) -> dict | None:
    """One JAX multi-process job: process i runs shard i of n in ``run_dir/shard_<i>``;
    process 0 waits for every shard to finish and merges them into ``run_dir``.

    Processes share nothing but the file system: no collectives, so it runs wherever
    jax.distributed can start (set ``hydra.run.dir`` so all processes agree on it).
    """
    import time

    import jax
    from omegaconf import OmegaConf

    from ._checkpoint import CHECKPOINT, load_checkpoint
    from ._merge import merge_shards

    settings = cfg.distributed
    kwargs = {
        k: settings[k]
        for k in ("coordinator_address", "num_processes", "process_id")
        if settings[k] is not None
    }
    jax.distributed.initialize(**kwargs)  # before anything touches the XLA backend
    index, count = jax.process_index(), jax.process_count()
    shard_cfg = OmegaConf.merge(
        cfg, {"shard_index": index, "num_shards": count, "distributed": {"enabled": False}}
    )
    OmegaConf.set_struct(shard_cfg, False)
    shard_cfg.output.report = False
    shard_dir = run_dir / f"shard_{index:04d}"
    refuse_linked_directory(shard_dir, "shard directory")
    refuse_linked_directory(shard_dir / ".hydra", "shard directory")
    (shard_dir / ".hydra").mkdir(parents=True, exist_ok=True)
    write_atomic(shard_dir / ".hydra" / "config.yaml", OmegaConf.to_yaml(shard_cfg))
    run_forecast_job(shard_cfg, shard_dir)
    if index != 0:
        return None
    shards = [run_dir / f"shard_{i:04d}" for i in range(count)]
    deadline = time.monotonic() + float(settings.wait_timeout_s)
    while True:
        done = 0
        for shard in shards:
            try:
                state = load_checkpoint(shard / CHECKPOINT)
                done += state["next_draw"] == state["stop_draw"]
            except (OSError, ValueError, KeyError):
                pass
        if done == count or time.monotonic() > deadline:
            break
        time.sleep(1.0)
    summary = merge_shards(shards, run_dir)  # reports missing shards rather than merging
    print_headline(summary, run_dir)
    if cfg.output.report:
        _write_report(run_dir)
    return summary

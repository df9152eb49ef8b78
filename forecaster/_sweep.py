"""Sweeps: a Hydra callback that compares the jobs of a multirun side by side."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.experimental.callback import Callback

from ._events import Event


def _job_overrides(job_dir: Path) -> list[str]:
    """The overrides Hydra recorded for one job (read as data; anything else is none)."""
    import yaml

    try:
        data = yaml.safe_load((job_dir / ".hydra" / "overrides.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return []
    return [str(o) for o in data] if isinstance(data, list) else []


def sweep_labels(job_dirs: Sequence[Path]) -> list[str]:
    """Each job labelled by what it swept: its overrides whose values differ between jobs
    (``scenario.params.p.high=0.4``); the directory's name where nothing differs."""
    pairs = [dict(o.split("=", 1) for o in _job_overrides(d) if "=" in o) for d in job_dirs]
    keys = list(dict.fromkeys(k for p in pairs for k in p))
    varying = [k for k in keys if len({p.get(k) for p in pairs}) > 1]
    labels = [
        " ".join(f"{k}={p[k]}" for k in varying if k in p) or d.name
        for p, d in zip(pairs, job_dirs, strict=True)
    ]
    repeated = {x for x in labels if labels.count(x) > 1}
    return [
        f"{x} ({d.name})" if x in repeated else x for x, d in zip(labels, job_dirs, strict=True)
    ]


def people(value: Any) -> str:
    """A number as people read it: 3 significant digits, powers of ten past 10^5."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—" if value is None else str(value)
    return f"{value:.3g}" if abs(value) < 1e5 else f"{value:.2e}"


def comparison_table(sweep_dir: Path) -> pd.DataFrame:
    """The jobs of a sweep in long form: a row per job and event of its grid with the job's
    label, directory and scenario, p, se, the Wilson interval, count and n."""
    job_dirs = sorted(p.parent for p in sweep_dir.glob("*/summary.json"))
    rows = []
    for label, job in zip(sweep_labels(job_dirs), job_dirs, strict=True):
        summary = json.loads((job / "summary.json").read_text())
        for p in summary["probabilities"]:
            rows.append(
                {
                    "job": label,
                    "directory": job.name,
                    "scenario": summary["scenario"],
                    "event": Event(p["years"], p["window_months"]).name,
                    **{k: p.get(k) for k in ("years", "window_months", "p", "se", "ci_low",
                                             "ci_high", "count", "n")},
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def wide_table(sweep_dir: Path, table: pd.DataFrame) -> pd.DataFrame:
    """One row per job: its label, scenario, each event's p, the median peak speed-up and
    the non-finite count, formatted for people (plain text: comparison.md, the terminal)."""
    rows = []
    for (label, directory), group in table.groupby(["job", "directory"], sort=False):
        summary = json.loads((sweep_dir / directory / "summary.json").read_text())
        row: dict[str, Any] = {"job": label, "scenario": group.scenario.iloc[0]}
        row |= {e: people(p) for e, p in zip(group.event, group.p, strict=True)}
        row["median peak speed-up"] = people(summary["headline"]["median_peak_speedup"])
        row["non-finite draws"] = summary["non_finite"]
        rows.append(row)
    return pd.DataFrame(rows)


def write_comparison(sweep_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write ``comparison.csv`` (long form) and ``comparison.md`` (a row per job); returns
    both tables."""
    table = comparison_table(sweep_dir)
    if table.empty:
        return table, table
    wide = wide_table(sweep_dir, table)
    table.to_csv(sweep_dir / "comparison.csv", index=False)
    (sweep_dir / "comparison.md").write_text(wide.to_markdown(index=False))
    return table, wide


class SweepComparison(Callback):
    """At the end of a multirun, compare its jobs (and print the table)."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        table, wide = write_comparison(sweep_dir)
        if not table.empty and config.get("output", {}).get("report", False):
            from .report import write_report

            print(f"sweep report: {write_report(sweep_dir)}")
        if not table.empty:
            print(f"\nSweep comparison ({sweep_dir / 'comparison.csv'}):")
            print(wide.to_string(index=False))

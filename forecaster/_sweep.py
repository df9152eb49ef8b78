"""Sweeps: a Hydra callback that compares the jobs of a multirun side by side."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.experimental.callback import Callback

from ._events import Event


def comparison_table(sweep_dir: Path) -> pd.DataFrame:
    """One row per finished job of a sweep: its overrides and headline probabilities."""
    rows = []
    for summary_file in sorted(sweep_dir.glob("*/summary.json")):
        summary = json.loads(summary_file.read_text())
        row: dict[str, Any] = {"job": summary_file.parent.name, "scenario": summary["scenario"]}
        for p in summary["probabilities"]:
            key = Event(p["years"], p["window_months"]).name
            row[key] = p["p"]
            row[key + " se"] = p["se"]
        row["median peak speed-up"] = summary["headline"]["median_peak_speedup"]
        row["non_finite"] = summary["non_finite"]
        rows.append(row)
    return pd.DataFrame(rows)


def write_comparison(sweep_dir: Path) -> pd.DataFrame:
    """Write ``comparison.csv`` and ``comparison.md`` in the sweep directory."""
    table = comparison_table(sweep_dir)
    if table.empty:
        return table
    table.to_csv(sweep_dir / "comparison.csv", index=False)
    shown = table[[c for c in table.columns if not c.endswith(" se")]]
    (sweep_dir / "comparison.md").write_text(shown.to_markdown(index=False, floatfmt=".3f"))
    return table


class SweepComparison(Callback):
    """At the end of a multirun, compare its jobs (and print the table)."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        table = write_comparison(sweep_dir)
        if not table.empty and config.get("output", {}).get("report", False):
            from .report import write_report

            print(f"sweep report: {write_report(sweep_dir)}")
        if not table.empty:
            shown = table[[c for c in table.columns if not c.endswith(" se")]]
            print(f"\nSweep comparison ({sweep_dir / 'comparison.csv'}):")
            print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))

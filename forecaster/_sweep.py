"""Sweeps: a Hydra callback that compares the jobs of a multirun side by side.

A job that fails does not stop the others: the command line records its one line in the
job's :data:`FAILED` file (:func:`record_failure`) and goes on; at the end the comparison is
written for the jobs that finished, names the failed ones, and the sweep exits non-zero
(2 if every failure was a user's mistake, 1 otherwise).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.experimental.callback import Callback

from ._errors import fail
from ._events import Event
from ._files import parse_json, read_text, write_atomic

#: The file a failed job of a sweep leaves in its directory: ``{"code": 2, "error": "..."}``.
FAILED = "failed.json"


def record_failure(job_dir: Path, code: int, message: str) -> None:
    """Record that the sweep job in ``job_dir`` failed with exit ``code`` and this line."""
    write_atomic(job_dir / FAILED, json.dumps({"code": int(code), "error": message}))


def failed_jobs(sweep_dir: Path) -> list[tuple[str, int, str]]:
    """The sweep's failed jobs: (directory name, exit code, its line), in job order."""
    out = []
    for path in sorted(sweep_dir.glob(f"*/{FAILED}")):
        data = parse_json(read_text(path, "sweep", "a failed job's record"), "sweep", path, FAILED)
        code = data.get("code") if isinstance(data, dict) else None
        error = data.get("error") if isinstance(data, dict) else None
        if not isinstance(code, int) or not isinstance(error, str):
            code, error = 1, "its failure record is malformed"
        out.append((path.parent.name, code, error))
    return out


def _summary(path: Path) -> dict[str, Any]:
    return parse_json(read_text(path, "sweep", "a job's summary.json"), "sweep", path, "summary")


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
        summary = _summary(job / "summary.json")
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
        summary = _summary(sweep_dir / directory / "summary.json")
        row: dict[str, Any] = {"job": label, "scenario": group.scenario.iloc[0]}
        row |= {e: people(p) for e, p in zip(group.event, group.p, strict=True)}
        row["median peak speed-up"] = people(summary["headline"]["median_peak_speedup"])
        row["non-finite draws"] = summary["non_finite"]
        rows.append(row)
    return pd.DataFrame(rows)


def write_comparison(sweep_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Write ``comparison.csv`` (long form) and ``comparison.md`` (a row per job, then the
    failed jobs with their lines); returns both tables."""
    table = comparison_table(sweep_dir)
    failed = failed_jobs(sweep_dir)
    wide = wide_table(sweep_dir, table) if not table.empty else table
    if not table.empty:
        write_atomic(sweep_dir / "comparison.csv", table.to_csv(index=False))
    if not table.empty or failed:
        parts = [wide.to_markdown(index=False)] if not table.empty else []
        if failed:
            parts.append("Failed jobs:\n\n" + "\n".join(f"- {d}: {e}" for d, _, e in failed))
        write_atomic(sweep_dir / "comparison.md", "\n\n".join(parts) + "\n")
    return table, wide


class SweepComparison(Callback):
    """At the end of a multirun, compare its jobs (and print the table); exit non-zero if
    any failed."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        table, wide = write_comparison(sweep_dir)
        if not table.empty and config.get("output", {}).get("report", False):
            from .report import write_report

            print(f"sweep report: {write_report(sweep_dir)}")
        if not table.empty:
            print(f"\nSweep comparison ({sweep_dir / 'comparison.csv'}):")
            print(wide.to_string(index=False))
        failed = failed_jobs(sweep_dir)
        if failed:
            names = ", ".join(d for d, _, _ in failed)
            done = (
                f"the comparison holds the {len(table.job.unique())} that finished"
                if (not table.empty)
                else "none finished"
            )
            code = 2 if all(c == 2 for _, c, _ in failed) else 1
            message = f"{len(failed)} sweep job(s) failed: {names} (their lines above; {done})"
            fail(message, code)

"""Write a finished forecast's files and print its headline.

Files in the run directory: ``summary.json``, ``probabilities.csv``, ``quantiles.csv``,
``sensitivity.csv``, ``fan.csv``, ``curve.csv`` (P(>= Y years within w) on a fine grid of Y),
``paths.parquet`` (with ``output.path_sample``: whole paths of the first draws, long format),
``draws.parquet`` (a capped sample of per-draw parameters
and outcomes) and ``accumulators.npz`` (the exact counts, for resuming and merging).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any, TextIO

import jax
import numpy as np
import numpyro
import pandas as pd

from ._common import common_summary
from ._engine import ForecastResult
from ._files import write_atomic
from ._summaries import (
    calendar_summary,
    condition_summary,
    curve_table,
    duration_summary,
    fan_table,
    flag_probabilities,
    milestone_summary,
    probability_table,
    quantile_table,
    sensitivity_table,
)
from ._version import __version__
from .models import ProgressModel


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def build_summary(result: ForecastResult, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The content of ``summary.json``."""
    plan, totals = result.plan, result.totals
    quantiles = quantile_table(plan, totals)
    n_draws_done = int(totals["draws"][0])
    summary = {
        "scenario": plan.scenario,
        "n_draws": plan.n_draws,
        "draws_done": n_draws_done,
        "seed": plan.seed,
        "shard": {
            "index": plan.shard_index,
            "count": plan.num_shards,
            "draws": list(plan.draw_range),
        },
        "non_finite": int(totals["non_finite"][0]),
        "finite_draws": int(totals["finite"][0]),
        "condition": condition_summary(plan, totals),
        "probabilities": probability_table(plan, totals),
        "curve": curve_table(plan, totals),
        "flags": flag_probabilities(plan, totals),
        "quantiles": quantiles,
        "headline": headline_numbers(result),
        "sensitivity": sensitivity_table(plan, totals),
        "fan": fan_table(plan, totals),
        "calendar": calendar_summary(plan, totals),
        "milestones": milestone_summary(plan, totals),
        "durations": duration_summary(plan, quantiles),
        "common": common_summary(plan, totals),
        "priors": plan.priors.describe(),
        "posterior_files": posterior_sources(plan),
        "model": {"name": plan.model.name, "title": plan.model.title},
        "settings": {
            **model_settings(plan),
            "windows_months": list(plan.windows_months),
            "progress_years": list(plan.progress_years),
            "precision": plan.precision,
        },
        "timing": {k: _finite_or_none(v) for k, v in result.timing.items()},
        "device": result.device,
        "versions": {
            "forecaster": __version__,
            "jax": jax.__version__,
            "numpyro": numpyro.__version__,
            "python": sys.version.split()[0],
        },
        "fingerprint": result.fingerprint,
    }
    if extra:
        summary.update(extra)
    return summary


def model_settings(plan) -> dict[str, Any]:
    """The model's static settings that are single values (numbers, strings, flags), as
    summary.json ``settings`` lists them; its name first."""
    out: dict[str, Any] = {"model": plan.model.name}
    for key, value in plan.model.describe().items():
        if isinstance(value, bool | int | float | str) or value is None:
            out[key] = _finite_or_none(value) if isinstance(value, float) else value
        elif isinstance(value, dict):  # a nested options dataclass (their switches)
            for k, v in value.items():
                if isinstance(v, bool | int | float | str):
                    out[k] = _finite_or_none(v) if isinstance(v, float) else v
    return out


def posterior_sources(plan) -> list[dict[str, Any]]:
    """The saved posteriors a run drew parameters from (resolved paths)."""
    return [
        {
            "parameter": p.name,
            "path": p.distribution.path,
            "variable": p.distribution.variable,
            "draws": int(p.distribution.sorted.size),
        }
        for p in plan.priors.priors
        if p.kind == "posterior"
    ]


def headline_numbers(result: ForecastResult) -> dict[str, Any]:
    """What leads the summary (the model's declared :class:`~forecaster.models.Headline`:
    ``kind``, and for a progress headline its cell), the median peak speed-up and the median
    time to 10 years of progress (None where the model has none, or it is not reached)."""
    declared = result.plan.model.outcomes()
    rows = quantile_table(result.plan, result.totals)
    peak = next((r for r in rows if r["outcome"] == "peak_speedup"), None)
    to_ten = next(
        (r for r in rows if r["outcome"] == "time_to_progress_years" and r["years"] == 10.0),
        None,
    )
    head = declared.headline
    out: dict[str, Any] = {"kind": head.kind}
    if head.kind == "progress":
        out |= {"years": head.years, "window_months": head.window_months}
    return out | {
        "median_peak_speedup": None if peak is None else peak["q50"],
        "median_years_to_10_years_of_progress": None if to_ten is None else to_ten["q50"],
    }


def write_outputs(result: ForecastResult, run_dir: Path, extra: dict | None = None) -> dict:
    """Write every output file of a finished run; returns the summary."""
    summary = build_summary(result, extra)
    for name in ("probabilities", "quantiles", "sensitivity", "fan", "curve"):
        write_atomic(run_dir / f"{name}.csv", pd.DataFrame(summary[name]).to_csv(index=False))
    _write_parquet(run_dir / "draws.parquet", sample_frame(result))
    paths = path_frame(result)
    if paths is not None:
        _write_parquet(run_dir / "paths.parquet", paths)
    # Last, atomically: a summary.json means every other output is complete.
    write_atomic(run_dir / "summary.json", json.dumps(summary, indent=2, allow_nan=False))
    return summary


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    write_atomic(path, lambda fh: frame.to_parquet(fh, index=False))


def sample_frame(result: ForecastResult) -> pd.DataFrame:
    """The capped per-draw sample as a flat table (vector outcomes get one column each)."""
    plan = result.plan
    declared = plan.model.outcomes()
    by_kind = {
        "window": [f"w{w:g}m" for w in plan.windows_months],
        "progress": [f"{y:g}y" for y in plan.progress_years],
        "milestone": list(declared.milestones.names) if declared.milestones else [],
    }
    labels = {f"out_{name}": by_kind[kind] for name, kind in declared.series_kinds().items()}
    columns: dict[str, np.ndarray] = {}
    for key, values in result.sample.items():
        if key == "out_time_to_fan_levels_years" or key.startswith("path_"):
            continue
        values = np.asarray(values)
        if values.ndim == 1:
            columns[key.removeprefix("out_")] = values
        else:
            for j, label in enumerate(labels[key]):
                columns[f"{key.removeprefix('out_')}_{label}"] = values[:, j]
    return pd.DataFrame(columns)


def path_frame(result: ForecastResult) -> pd.DataFrame | None:
    """The whole paths of the first ``output.path_sample`` draws, long format: one row per
    draw and reached node (``draw``, ``node``, ``t_years``, ``doublings``,
    ``progress_years``, ``speedup``); None when the run kept none."""
    sample = result.sample
    if "path_t" not in sample:
        return None
    t, rate = np.asarray(sample["path_t"], float), np.asarray(sample["path_rate"], float)
    n, nodes = t.shape
    model = result.plan.model
    if not isinstance(model, ProgressModel):
        return None
    x = np.arange(nodes) * model.spacing
    ts = np.asarray(sample["Ts"], float)[:n, None]
    per_year = (1.0 / ts) / np.asarray(sample["software_share"], float)[:n, None]
    keep = np.isfinite(t) & (t <= model.horizon_years)
    draw, node = np.nonzero(keep)
    start = result.plan.draw_range[0]
    return pd.DataFrame(
        {
            "draw": draw + start,
            "node": node,
            "t_years": t[keep],
            "doublings": x[node],
            "progress_years": (x[None, :] / per_year)[keep],
            "speedup": (rate * ts)[keep],
        }
    )


def _fmt_p(row: dict) -> str:
    if row["p"] is None:
        return "n/a"
    return f"{row['p']:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"


def _years_text(value: float | None) -> str:
    if value is None:
        return "not reached"
    return f"{value * 12:.3g} months" if value < 1 else f"{value:.3g} years"


def print_milestones(summary: dict, out: TextIO) -> None:
    """The milestones: years after the start (10%, median, 90%) and, when dated, the median
    date; each phase's median length. A time at a ladder's phase cap reads ``not within the
    cap (1000 years)``, as in the report."""
    from .report._format import cap_note, phase_cap

    cap = phase_cap(summary)

    def text(value: float | None) -> str:
        return cap_note(value, cap) or _years_text(value)

    print("Milestones: time after the start (10% / median / 90%)", file=out)
    milestones = summary.get("milestones") or {}
    width = max([8, *(len(name) + 1 for name in milestones)])
    for name, entry in milestones.items():
        q = entry.get("years_after_start") or {}
        line = f"  {name:<{width}}" + " / ".join(text(q.get(k)) for k in ("q10", "q50", "q90"))
        date = (entry.get("date") or {}).get("q50")
        if date is not None:
            line += f"; median date {date:.2f}"
        phase = (entry.get("phase_years") or {}).get("q50")
        line += f"; phase {entry.get('phase')}: median {text(phase)}"
        print(line, file=out)


def print_headline(summary: dict, run_dir: Path, out: TextIO | None = None) -> None:
    """The terminal headline: the probability grid with intervals and two medians (on
    ``out``, default the current ``sys.stdout``)."""
    out = sys.stdout if out is None else out
    probs = summary["probabilities"]
    windows = sorted({r["window_months"] for r in probs})
    years = [y for y in sorted({r["years"] for r in probs})]
    lookup = {(r["years"], r["window_months"]): r for r in probs}
    width = 26
    rate = summary["timing"]["draws_per_second"]
    speed = f", {rate:,.0f} draws/s" if rate else ""
    device = summary["device"]
    print(
        f"\nScenario {summary['scenario']}: {summary['finite_draws']:,} draws "
        f"(seed {summary['seed']}){speed} on {device['count']} {device['platform']} device(s)",
        file=out,
    )
    if summary.get("condition"):
        from .report._format import condition_line

        print(condition_line(summary["condition"]), file=out)
    head = summary["headline"]
    if head.get("kind") == "milestones":  # the model's own headline leads
        print_milestones(summary, out)
    if probs:
        print("P(>= Y years of AI progress within w), 95% Wilson interval", file=out)
        header = "Y years".ljust(9) + "".join(f"w = {w:g} months".ljust(width) for w in windows)
        print(header, file=out)
        for y in years:
            cells = "".join(_fmt_p(lookup[(y, w)]).ljust(width) for w in windows)
            print(f"{y:<9g}" + cells, file=out)
    peak = head.get("median_peak_speedup")
    ten = head.get("median_years_to_10_years_of_progress")
    has = {row.get("outcome") for row in summary.get("quantiles") or []}
    if "median_peak_speedup" in head and "peak_speedup" in has:
        print(
            f"median peak speed-up: {peak:.3g}x"
            if peak is not None
            else "median peak speed-up: beyond range",
            file=out,
        )
    if "median_years_to_10_years_of_progress" in head and "time_to_progress_years" in has:
        print(
            "median time to 10 years of progress: "
            + (f"{ten * 12:.3g} months" if ten is not None else "not reached within the horizon"),
            file=out,
        )
    if summary["non_finite"]:
        print(
            f"WARNING: {summary['non_finite']:,} draws had non-finite results and are left "
            "out of every statistic",
            file=out,
        )
    print(f"results: {run_dir}", file=out)

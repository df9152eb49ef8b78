"""The comparison report of a sweep: its finished jobs side by side (see docs/REPORTS.md).

The headline of each job in plain words, one table of every job's probabilities and medians,
an overlay of the jobs' probability curves, the list of jobs with links to their own reports,
and the sweep's facts.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .._events import Event, grid_events
from .._sweep import sweep_labels
from . import _figures as figs
from ._document import Bullets, Document, Section, Table, Text, code, literal
from ._format import duration, months_label, number, percent_cell, years_label
from ._load import Run
from ._run_report import HEADLINE_EVENT, grid, headline_event, image, sentence, summary_quantile

#: The progress level whose median time the comparison table shows.
MEDIAN_TIME_YEARS = 10.0


def job_labels(sweep_dir: Path, runs: Sequence[Run]) -> list[str]:
    """Column labels: what each job swept (its overrides that differ between jobs)."""
    return sweep_labels([r.path for r in runs])


def comparison_window(runs: Sequence[Run]) -> float:
    """The window of the overlay: the headline event's where every grid has it, else the
    largest window of any job."""
    windows = {w for r in runs for w in grid(r.summary["probabilities"])[1]}
    wanted = HEADLINE_EVENT.window_months
    return wanted if wanted in windows else max(windows)


def _median(summary: Mapping[str, Any], outcome: str, years: float | None = None) -> Any:
    row = summary_quantile(summary, outcome, years)
    return None if row is None else row.get("q50")


def _events(runs: Sequence[Run]) -> list[Event]:
    """Every job's grid events, each once, in the order the jobs' grids list them."""
    events: list[Event] = []
    for run in runs:
        years, windows = grid(run.summary["probabilities"])
        events += [e for e in grid_events(windows, years) if e not in events]
    return events


def _comparison_table(labels: Sequence[str], runs: Sequence[Run]) -> Table:
    """One table: events and medians (rows) by jobs (columns)."""
    lookups = [
        {Event(r["years"], r["window_months"]): r for r in run.summary["probabilities"]}
        for run in runs
    ]
    rows = [
        [f"P(≥ {years_label(e.years)} within {months_label(e.window_months)})"]
        + [percent_cell(lookup[e]) if e in lookup else "—" for lookup in lookups]
        for e in _events(runs)
    ]
    rows.append(
        ["median peak speed-up"] + [number(_median(r.summary, "peak_speedup"), "×") for r in runs]
    )
    times = [_median(r.summary, "time_to_progress_years", MEDIAN_TIME_YEARS) for r in runs]
    rows.append(
        [f"median time to {years_label(MEDIAN_TIME_YEARS)} of progress"]
        + ["not reached" if t is None else duration(t) for t in times]
    )
    rows.append(["scenario"] + [literal(r.scenario) for r in runs])
    rows.append(["finite draws"] + [f"{r.summary.get('finite_draws', 0):,}" for r in runs])
    rows.append(["non-finite draws"] + [f"{r.summary.get('non_finite', 0):,}" for r in runs])
    return Table(
        header=["", *map(literal, labels)],
        rows=rows,
        caption="Each column is one job; probabilities with 95% Wilson intervals.",
    )


def _headline(labels: Sequence[str], runs: Sequence[Run]) -> Section:
    """A sentence per scenario when every job is one; otherwise (a sweep of one scenario's
    settings) one line per job, not a sentence repeated with another number."""
    scenarios = [r.scenario for r in runs]
    heads = [headline_event(r.summary["probabilities"]) for r in runs]
    lead: list[Any] = []
    if len(set(scenarios)) == len(scenarios):
        lead = [
            Text(sentence(run.scenario, head), "lead")
            for run, head in zip(runs, heads, strict=True)
            if head is not None
        ]
    elif any(h is not None for h in heads):
        event = next(h for h in heads if h is not None)
        lead.append(
            Text(
                f"The chance that AI compresses at least {years_label(event['years'])} of "
                f"progress into {months_label(event['window_months'])}, by job:",
                "lead",
            )
        )
        lead.append(
            Bullets(
                [
                    f"{literal(label)}: {percent_cell(head)}"
                    for label, head in zip(labels, heads, strict=True)
                    if head is not None
                ]
            )
        )
    return Section("headline", "Scenarios side by side", [*lead, _comparison_table(labels, runs)])


def _comparison(labels: Sequence[str], runs: Sequence[Run]) -> Section:
    """One overlay per window of the jobs' grids, the headline's window first."""
    first = comparison_window(runs)
    windows = sorted({w for r in runs for w in grid(r.summary["probabilities"])[1]})
    jobs = [(label, run.summary["probabilities"]) for label, run in zip(labels, runs, strict=True)]
    blocks = [
        image(figs.sweep_curves(jobs, w)) for w in [first, *(w for w in windows if w != first)]
    ]
    return Section("comparison", "Overlay: P(≥ Y years within w), every window", blocks)


def _jobs(sweep_dir: Path, labels: Sequence[str], runs: Sequence[Run]) -> Section:
    rows = []
    for label, run in zip(labels, runs, strict=True):
        report = run.path / "report.html"
        href = urllib.parse.quote(f"{run.path.relative_to(sweep_dir).as_posix()}/report.html")
        link = f"[report]({href})" if report.is_file() else "—"
        rows.append(
            [
                literal(label),
                literal(run.scenario),
                " ".join(code(o) for o in run.overrides) or "—",
                literal(run.summary.get("seed")),
                f"{run.summary.get('finite_draws', 0):,}",
                link,
            ]
        )
    table = Table(
        header=["job", "scenario", "overrides", "seed", "draws", "report"],
        rows=rows,
        caption="Each job's directory holds its own report and tables.",
    )
    return Section("jobs", "Jobs", [table])


def _facts(sweep_dir: Path, runs: Sequence[Run]) -> Section:
    first = runs[0].summary
    versions = literal(", ".join(f"{k} {v}" for k, v in (first.get("versions") or {}).items()))
    device = first.get("device") or {}
    comparison = (
        " (every value with its standard error: [comparison.csv](comparison.csv))"
        if (sweep_dir / "comparison.csv").is_file()
        else ""
    )
    facts = [
        f"sweep directory: {code(sweep_dir.resolve())}",
        f"jobs: {len(runs)}{comparison}",
        literal(f"device: {device.get('count', '?')} × {device.get('platform', '?')}"),
        f"versions: {versions}",
    ]
    return Section("run-facts", "Run facts", [Bullets(facts)])


def sweep_document(sweep_dir: Path, runs: Sequence[Run]) -> Document:
    """The comparison report of ``runs``, the finished jobs of ``sweep_dir``."""
    labels = job_labels(sweep_dir, runs)
    scenarios = list(dict.fromkeys(r.scenario for r in runs))
    subtitle = f"Sweep {code(sweep_dir.resolve().name)}, {len(runs)} jobs: " + literal(
        ", ".join(labels if len(scenarios) < len(runs) else scenarios)
    )
    compared = "scenarios" if len(scenarios) == len(runs) else "jobs"
    return Document(
        f"AI takeoff forecast: {len(runs)} {compared} compared",
        subtitle,
        [
            _headline(labels, runs),
            _comparison(labels, runs),
            _jobs(sweep_dir, labels, runs),
            _facts(sweep_dir, runs),
        ],
    )

"""The report of ``forecaster compare``: models side by side on the outcomes they share.

The runs compared (model, scenario, draws, condition), the common outcomes with their 95%
Monte Carlo intervals (what a model cannot answer marked, with why), the differences from
the first run with their standard errors, overlaid CDFs of the dates and what each model
calls each outcome. Every string from a run is text (:func:`literal`), never markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._compare import QUESTION_TITLES, Comparison
from ._document import Document, Section, Table, Text, code, literal
from ._figures import PALETTE, Plot, _labels, _percent_axis, image, new_figure, plain
from ._format import condition_line


def _cell(row: pd.Series) -> str:
    """A value with its interval, or why there is none (as text)."""
    value = row["value"]
    if not math.isfinite(value):
        note = str(row["note"] or "-")
        return "cannot answer" if note.startswith("cannot answer") else literal(note)
    if row["kind"] == "probability":
        text = f"{value:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"
    elif row["kind"] == "date":
        text = f"{value:.2f}"
        if math.isfinite(row["ci_low"]) and math.isfinite(row["ci_high"]):
            text += f" [{row['ci_low']:.2f}, {row['ci_high']:.2f}]"
    else:
        text = f"{value:.3g}"
        if math.isfinite(row["ci_low"]) and math.isfinite(row["ci_high"]):
            text += f" [{row['ci_low']:.3g}, {row['ci_high']:.3g}]"
    return text


def _runs_table(comparison: Comparison) -> Table:
    rows = []
    for run in comparison.runs:
        s = run.summary
        condition = s.get("condition")
        rows.append(
            [
                literal(run.label),
                literal(run.model),
                code(s.get("scenario", "")),
                literal((s.get("calendar") or {}).get("timelines") or "none"),
                f"{s.get('finite_draws', 0):,}",
                literal(condition_line(condition)) if condition else "unconditioned",
                code(run.path),
            ]
        )
    header = ["run", "model", "scenario", "timelines", "finite draws", "condition", "directory"]
    return Table(header=header, rows=rows)


def _names_table(comparison: Comparison) -> Table:
    """What each model calls each common outcome (the mapping, from its summary)."""
    rows = []
    for run in comparison.runs:
        common = run.summary.get("common") or {}
        row = [literal(run.label)]
        for question in ("automation", "superintelligence", "between"):
            entry = common.get(question)
            if isinstance(entry, dict):
                row.append(literal(f"{entry.get('label', '')} ({entry.get('source', '')})"))
            else:
                reason = (common.get("unanswered") or {}).get(question, "not given")
                row.append(literal(f"cannot answer: {reason}"))
        sie = common.get("sie")
        row.append("its probability grid" if isinstance(sie, dict) else "cannot answer")
        rows.append(row)
    header = ["run", *(QUESTION_TITLES[q] for q in QUESTION_TITLES)]
    return Table(header=header, rows=rows, caption="Each model's outcome behind each question.")


def _outcomes_section(comparison: Comparison, question: str) -> Section | None:
    mine = comparison.outcomes[comparison.outcomes["question"] == question]
    if mine.empty:
        return None
    labels = [r.label for r in comparison.runs]
    rows = []
    for outcome in dict.fromkeys(mine["outcome"]):
        cells = mine[mine["outcome"] == outcome].set_index("run")
        rows.append([literal(outcome), *(_cell(cells.loc[label]) for label in labels)])
    reasons = {
        run: note
        for run, note in zip(mine["run"], mine["note"], strict=True)
        if str(note).startswith("cannot answer")
    }
    blocks: list[Any] = [
        Table(
            header=["outcome", *(literal(label) for label in labels)],
            rows=rows,
            caption="95% Monte Carlo intervals in brackets: Wilson intervals of probabilities; "
            "for quantiles, the quantiles at the level -+ 1.96 sqrt(q(1-q)/n) (distribution-"
            "free). Dates are decimal years.",
        )
    ]
    for run, note in reasons.items():
        blocks.append(Text(f"{literal(run)}: {literal(note)}."))
    if question in comparison.cdfs:
        blocks.append(image(_cdf_plot(comparison.cdfs[question], question)))
    return Section(f"compare-{question}", QUESTION_TITLES[question], blocks)


def _differences_section(comparison: Comparison) -> Section | None:
    diff = comparison.differences
    answered = diff[np.isfinite(diff["difference"].to_numpy(float))]
    if answered.empty:
        return None
    reference = comparison.runs[0].label
    rows = [
        [
            literal(r["run"]),
            literal(QUESTION_TITLES[r["question"]]),
            literal(r["outcome"]),
            f"{r['difference']:+.4g}",
            f"{r['se']:.2g}" if math.isfinite(r["se"]) else "-",
            f"{r['z']:+.2f}" if math.isfinite(r["z"]) else "-",
        ]
        for _, r in answered.iterrows()
    ]
    text = (
        f"Each run's value minus {literal(reference)}'s, for every outcome both answer; the "
        "standard error of a difference of independent runs is the two errors in quadrature, "
        "and z is the difference over it."
    )
    header = ["run", "question", "outcome", "difference", "se", "z"]
    return Section("compare-differences", f"Differences from {reference}",  # titles are text
                   [Text(text), Table(header=header, rows=rows)])  # fmt: skip


def _cdf_plot(frame: pd.DataFrame, question: str) -> Plot:
    figure, ax = new_figure(3.6)
    data = {}
    years = frame.index.to_numpy(float)
    for i, label in enumerate(frame.columns):
        p = frame[label].to_numpy(float)
        ax.plot(years, 100 * p, color=PALETTE[i % len(PALETTE)], label=plain(label))
        data[str(label)] = p.tolist()
    p = np.nan_to_num(frame.to_numpy(float))
    started = np.nonzero(np.any(p > 0.005, axis=1))[0]
    rising = np.nonzero(np.any(np.diff(p, axis=0) > 1e-4, axis=1))[0]
    if started.size and rising.size:  # from the first curve's rise to the last's levelling
        left, right = math.floor(years[started[0]]) - 1, math.ceil(years[rising[-1] + 1]) + 1
        ax.set_xlim(left, max(right, left + 2))
    _percent_axis(ax)
    title = QUESTION_TITLES[question]
    _labels(ax, "Calendar year", "P(reached by the year)", title, loc="lower right")
    return Plot(
        name=f"compare_{question}",
        title=f"{title}: when",
        caption="Each run's cumulative probability of the date, quarter by quarter (a date "
        "never reached counts as not by any year).",
        figure=figure,
        data={"years": years.tolist(), **data},
    )


def compare_document(comparison: Comparison) -> Document:
    sections = [
        Section("compare-runs", "Runs compared", [_runs_table(comparison)]),
    ]
    for question in QUESTION_TITLES:
        section = _outcomes_section(comparison, question)
        if section is not None:
            sections.append(section)
    differences = _differences_section(comparison)
    if differences is not None:
        sections.append(differences)
    sections.append(Section("compare-names", "What each model calls them",
                            [_names_table(comparison)]))  # fmt: skip
    labels: Sequence[str] = [r.label for r in comparison.runs]
    subtitle = " · ".join(literal(label) for label in labels)
    return Document("Models side by side", subtitle, sections)


def common_section(run: Any) -> Section | None:
    """A run's own answers to the questions every model is compared on (summary.json
    ``common``), with their intervals; what it cannot answer, with why."""
    from .._compare import Compared, outcome_rows

    if not isinstance(run.summary.get("common"), dict):
        return None
    rows = pd.DataFrame(outcome_rows(Compared(run.scenario, run.path, run.summary)))
    answered = rows[np.isfinite(rows["value"].to_numpy(float))]
    blocks: list[Any] = [
        Text(
            "What this run says on the questions every model is compared on "
            "(`forecaster compare` sets runs side by side)."
        )
    ]
    if not answered.empty:
        table = [
            [literal(QUESTION_TITLES[r["question"]]), literal(r["outcome"]), _cell(r)]
            for _, r in answered.iterrows()
        ]
        blocks.append(Table(header=["question", "outcome", "estimate [95% interval]"], rows=table))
    for question, note in (run.summary["common"].get("unanswered") or {}).items():
        if question in QUESTION_TITLES:
            blocks.append(Text(f"{literal(QUESTION_TITLES[question])}: cannot answer: "
                               f"{literal(note)}."))  # fmt: skip
    return Section("common", "Common outcomes", blocks)


def mixture_section(run: Any) -> Section | None:
    """The parts of a mixture (``forecaster mix``) and their weights."""
    mixture = run.summary.get("mixture")
    if not isinstance(mixture, dict):
        return None
    rows = []
    for part in mixture.get("parts") or []:
        condition = part.get("condition")
        rows.append(
            [
                code(part.get("path", "")),
                code(part.get("scenario", "")),
                literal(part.get("model") or ""),
                f"{float(part.get('weight', math.nan)):.4g}",
                f"{int(part.get('finite_draws') or 0):,}",
                literal(condition_line(condition)) if condition else "unconditioned",
            ]
        )
    text = (
        "An all-things-considered mixture: each draw comes from a part with probability its "
        "weight. Its probabilities are the weighted averages of the parts' (exactly), their "
        "standard errors sqrt(sum w^2 p(1-p)/n) and their intervals Wilson's at the effective "
        "sample size 1 / sum w^2/n; its dates are quantiles of the weighted histograms."
    )
    header = ["run", "scenario", "model", "weight", "finite draws", "condition"]
    return Section("mixture", "Mixture", [Text(text), Table(header=header, rows=rows)])

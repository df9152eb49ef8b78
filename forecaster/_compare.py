"""Models side by side: the common outcomes of several finished runs (``forecaster compare``,
:func:`forecaster.compare`).

Every number is read from the runs' checked summary.json ``common`` sections (nothing is
recomputed; a run older than them answers nothing and says so): the date AI R&D is fully
automated, the date of superintelligence, the years between, and P(>= Y years of progress
within w). Each comes with its Monte Carlo standard error and 95% interval; the differences
from the first run come with the standard error of the difference (independent runs:
the errors add in quadrature). A question a model cannot answer is marked with the reason.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from scipy import stats as st

from ._common import QUESTIONS
from ._errors import ConfigError
from ._summaries import CONFIDENCE, wilson_interval

Z = float(st.norm.ppf(0.5 + CONFIDENCE / 2))
#: Each common question (summary.json ``common``, :data:`~forecaster._common.QUESTIONS`) as
#: a title, in the order tables list them.
QUESTION_TITLES = dict(
    zip(
        QUESTIONS,
        (
            "Full automation of AI R&D",
            "Superintelligence",
            "From full automation to superintelligence",
            "Software intelligence explosion",
        ),
        strict=True,
    )
)
#: Quantiles the table shows of each date and of the years between.
SHOWN_QUANTILES = ("q10", "q50", "q90")
_QUANTILE_NAMES = {"q10": "10th percentile", "q50": "median", "q90": "90th percentile"}
#: Cells of the probability grid the table shows, where a run's grid has them.
SIE_CELLS = ((1.0, 4.0), (3.0, 4.0), (3.0, 12.0), (10.0, 12.0), (30.0, 12.0))
COLUMNS = ("run", "question", "outcome", "kind", "value", "se", "ci_low", "ci_high", "n", "note")


@dataclasses.dataclass(frozen=True)
class Compared:
    """One run in a comparison: its label, directory and checked summary."""

    label: str
    path: Path
    summary: Mapping[str, Any]

    @property
    def model(self) -> str:
        return str((self.summary.get("model") or {}).get("title") or self.summary.get("scenario"))


@dataclasses.dataclass(frozen=True)
class Comparison:
    """The common outcomes of several runs.

    Attributes:
        runs: the runs, in the order given (the first is the reference of the differences).
        outcomes: one row per run and outcome (long format: ``COLUMNS``); ``kind`` is
            ``probability``, ``date`` (a decimal year) or ``years``; ``value`` is NaN where a
            run cannot answer, ``note`` says why.
        differences: each run's value minus the reference's, the standard error of the
            difference and z, for every outcome both answer.
        cdfs: question -> a frame of P(date <= year) by year (rows) and run (columns).
    """

    runs: tuple[Compared, ...]
    outcomes: pd.DataFrame
    differences: pd.DataFrame
    cdfs: dict[str, pd.DataFrame]

    def table(self) -> pd.DataFrame:
        """The outcomes as a wide table: one row per outcome, one column per run."""
        pairs = zip(self.outcomes["question"], self.outcomes["outcome"], strict=True)
        keys = list(dict.fromkeys(pairs))
        index = pd.MultiIndex.from_tuples(keys, names=["question", "outcome"])
        columns = {}
        for run in self.runs:
            mine = self.outcomes[self.outcomes["run"] == run.label]
            values = mine.set_index(["question", "outcome"])["value"]
            columns[run.label] = values.reindex(index)
        return pd.DataFrame(columns, index=index)


def _quantile_se(entry: Mapping[str, Any]) -> float:
    """A quantile's standard error from its 95% interval (half its width over z)."""
    low, high = entry.get("ci_low"), entry.get("ci_high")
    if low is None or high is None:
        return math.nan
    return (float(high) - float(low)) / (2 * Z)


def _row(run: str, question: str, outcome: str, kind: str, **values: Any) -> dict[str, Any]:
    """One row of ``COLUMNS``: a number not given (or None) is NaN."""
    row = {"run": run, "question": question, "outcome": outcome, "kind": kind, "n": None,
           "note": ""}  # fmt: skip
    for key in ("value", "se", "ci_low", "ci_high"):
        row[key] = math.nan if values.get(key) is None else values[key]
    row.update({k: v for k, v in values.items() if k in ("n", "note")})
    return row


def _probability(run: str, question: str, outcome: str, p: float | None, n: int) -> dict:
    if p is None or not math.isfinite(p) or n == 0:
        return _row(run, question, outcome, "probability", note="no finite draws", n=n)
    low, high = wilson_interval(round(p * n), n)
    se = math.sqrt(p * (1 - p) / n)
    return _row(
        run, question, outcome, "probability", value=p, se=se, ci_low=float(low),
        ci_high=float(high), n=n,
    )  # fmt: skip


def _quantile_rows(run: str, question: str, entry: Mapping, key: str, kind: str) -> list[dict]:
    rows = []
    n = int(entry.get("n") or 0)
    for q in SHOWN_QUANTILES:
        item = (entry.get(key) or {}).get(q) or {}
        value = item.get("value")
        outcome = f"{_QUANTILE_NAMES[q]} {'date' if kind == 'date' else 'years'}"
        note = "" if value is not None else "beyond the histogram's range (or never reached)"
        rows.append(
            _row(
                run,
                question,
                outcome,
                kind,
                value=value,
                se=_quantile_se(item),
                ci_low=item.get("ci_low"),
                ci_high=item.get("ci_high"),
                n=n,
                note=note,
            )  # fmt: skip
        )
    return rows


def _date_rows(run: str, question: str, entry: Mapping[str, Any]) -> list[dict]:
    rows = _quantile_rows(run, question, entry, "date", "date")
    n = int(entry.get("n") or 0)
    for year, p in (entry.get("p_by_year") or {}).items():
        rows.append(_probability(run, question, f"P(by the end of {year})", p, n))
    return rows


def _between_rows(run: str, entry: Mapping[str, Any]) -> list[dict]:
    rows = _quantile_rows(run, "between", entry, "years", "years")
    n = int(entry.get("n") or 0)
    for years, p in (entry.get("p_within_years") or {}).items():
        rows.append(_probability(run, "between", f"P(within {years} years)", p, n))
    return rows


def _sie_rows(run: str, summary: Mapping[str, Any]) -> list[dict]:
    cells = {(r["years"], r["window_months"]): r for r in summary.get("probabilities") or []}
    rows = []
    for years, months in SIE_CELLS:
        outcome = f"P(>= {years:g} years of progress within {months:g} months)"
        cell = cells.get((years, months))
        if cell is None:
            note = "not in this run's grid (windows_months, progress_years)"
            rows.append(_row(run, "sie", outcome, "probability", note=note))
        else:
            rows.append(_probability(run, "sie", outcome, cell["p"], int(cell["n"])))
    return rows


def outcome_rows(compared: Compared) -> list[dict[str, Any]]:
    """One run's rows of the comparison (every question; the unanswered ones with why)."""
    common = compared.summary.get("common")
    label = compared.label
    if not isinstance(common, dict):
        reason = "the run's summary.json has no common outcomes (written before them)"
        common = {"unanswered": dict.fromkeys(QUESTION_TITLES, reason)}
    unanswered = common.get("unanswered") or {}
    rows: list[dict[str, Any]] = []
    for question in QUESTION_TITLES:
        entry = common.get(question)
        if question == "sie":
            rows += _sie_rows(label, compared.summary) if entry else []
        elif entry and question == "between":
            rows += _between_rows(label, entry)
        elif entry:
            rows += _date_rows(label, question, entry)
        if not entry:
            rows.append(_row(label, question, "*", "", note=f"cannot answer: "
                             f"{unanswered.get(question, 'not given')}"))  # fmt: skip
    return rows


def _complete(rows: list[dict[str, Any]], labels: Sequence[str]) -> list[dict[str, Any]]:
    """Every run gets a row for every outcome some run answers: a question a run cannot
    answer is spread over those outcomes, with its reason."""
    order: dict[tuple[str, str], str] = {}
    for r in rows:
        if r["outcome"] != "*":
            order.setdefault((r["question"], r["outcome"]), r["kind"])
    questions = list(QUESTION_TITLES)
    order = dict(sorted(order.items(), key=lambda item: questions.index(item[0][0])))
    out = []
    for label in labels:
        mine = [r for r in rows if r["run"] == label]
        placeholder = {r["question"]: r for r in mine if r["outcome"] == "*"}
        have = {(r["question"], r["outcome"]): r for r in mine if r["outcome"] != "*"}
        for (question, outcome), kind in order.items():
            if (question, outcome) in have:
                out.append(have[(question, outcome)])
            else:
                note = placeholder.get(question, {}).get("note", "not in this run")
                out.append(_row(label, question, outcome, kind, note=note))
    return out


def _differences(outcomes: pd.DataFrame, labels: Sequence[str]) -> pd.DataFrame:
    reference = labels[0]
    ref = outcomes[outcomes["run"] == reference].set_index(["question", "outcome"])
    rows = []
    for label in labels[1:]:
        mine = outcomes[outcomes["run"] == label].set_index(["question", "outcome"])
        for key, row in mine.iterrows():
            base = ref.loc[key]
            difference = row["value"] - base["value"]
            se = math.hypot(row["se"], base["se"])
            rows.append(
                {
                    "run": label,
                    "reference": reference,
                    "question": key[0],
                    "outcome": key[1],
                    "kind": row["kind"],
                    "difference": difference,
                    "se": se,
                    "z": difference / se if se > 0 else math.nan,
                }
            )
    return pd.DataFrame(rows, columns=["run", "reference", "question", "outcome", "kind",
                                       "difference", "se", "z"])  # fmt: skip


def _cdfs(runs: Sequence[Compared]) -> dict[str, pd.DataFrame]:
    out = {}
    for question in ("automation", "superintelligence"):
        columns = {}
        for run in runs:
            entry = (run.summary.get("common") or {}).get(question)
            if isinstance(entry, dict) and entry.get("cdf"):
                cdf = entry["cdf"]
                columns[run.label] = pd.Series(cdf["p"], index=cdf["years"], dtype=float)
        if columns:
            frame = pd.DataFrame(columns)
            frame.index.name = "year"
            out[question] = frame
    return out


def labels_for(summaries: Sequence[Mapping[str, Any]]) -> list[str]:
    """Distinct labels: each run's scenario (with its timelines stage), numbered on a clash."""
    base = []
    for summary in summaries:
        timelines = (summary.get("calendar") or {}).get("timelines")
        label = str(summary.get("scenario", "run"))
        base.append(f"{label} + {timelines}" if timelines else label)
    out = []
    for i, label in enumerate(base):
        out.append(label if base.count(label) == 1 else f"{label} ({i + 1})")
    return out


def compare_runs(paths: Sequence[str | Path], labels: Sequence[str] | None = None) -> Comparison:
    """The common outcomes of finished runs side by side (each directory's summary.json
    checked as the report checks it).

    Raises:
        ConfigError: fewer than two runs, a directory that is not a finished run, or labels
            that do not match the runs one for one.
    """
    from .report._load import load_run

    if len(paths) < 2:
        raise ConfigError("compare.runs", list(map(str, paths)), "two or more run directories")
    runs = [load_run(Path(p)) for p in paths]
    summaries = [run.summary for run in runs]
    if labels is None:
        labels = labels_for(summaries)
    labels = [str(label) for label in labels]
    if len(labels) != len(runs) or len(set(labels)) != len(labels):
        raise ConfigError("compare.labels", labels, f"{len(runs)} distinct labels, one a run")
    compared = tuple(
        Compared(label, run.path, run.summary) for label, run in zip(labels, runs, strict=True)
    )
    rows = _complete([r for c in compared for r in outcome_rows(c)], labels)
    outcomes = pd.DataFrame(rows, columns=list(COLUMNS))
    outcomes[["value", "se", "ci_low", "ci_high"]] = outcomes[
        ["value", "se", "ci_low", "ci_high"]
    ].astype(float)
    return Comparison(compared, outcomes, _differences(outcomes, labels), _cdfs(compared))


def write_comparison(comparison: Comparison, out_dir: Path) -> dict[str, Path]:
    """compare.csv (the outcomes), differences.csv, cdf_<question>.csv and compare.json (the
    runs compared) in ``out_dir``; returns the files by name."""
    import json

    from ._files import write_atomic

    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "compare.csv": comparison.outcomes.to_csv(index=False),
        "differences.csv": comparison.differences.to_csv(index=False),
    }
    for question, frame in comparison.cdfs.items():
        files[f"cdf_{question}.csv"] = frame.to_csv()
    runs = [{"label": r.label, "path": str(r.path.resolve()), "scenario": r.summary.get("scenario"),
             "model": r.model} for r in comparison.runs]  # fmt: skip
    files["compare.json"] = json.dumps({"runs": runs}, indent=2, allow_nan=False)
    for name, text in files.items():
        write_atomic(out_dir / name, text)
    return {name: out_dir / name for name in files}

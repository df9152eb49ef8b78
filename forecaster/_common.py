"""The outcomes every model is compared on (summary.json ``common``), from a run's counts.

Each model declares which of its outcomes answer the common questions
(:class:`~forecaster.models.Common`): the date AI R&D is fully automated, the date of
superintelligence (or the model's nearest milestone, named as such), the years between them;
the software-intelligence-explosion question is its probability grid where it has one. This
module reads them off the exact counts into one shape for every model, so ``forecaster
compare`` and ``forecaster mix`` work from summary.json alone. A question a run cannot answer
gets the reason instead (``unanswered``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import stats as st

from ._accumulate import CALENDAR, MILESTONES
from ._config import ForecastPlan
from ._summaries import (
    CONFIDENCE,
    QUANTILE_LEVELS,
    histogram_cdf,
    histogram_cdfs,
    histogram_quantiles,
)
from .models import Histogram

#: The dates' cumulative probabilities are given every quarter over these years (bin edges of
#: the calendar histogram: exact counts), for overlaid CDFs.
CDF_YEARS = (2020.0, 2100.0)
CDF_STEP = 0.25
#: P(by the end of Y) for these years in the comparison table.
BY_YEARS = (2026, 2027, 2028, 2030, 2035, 2040, 2050)
#: P(superintelligence within Y years of full automation) for these Y.
WITHIN_YEARS = (0.5, 1, 2, 5, 10)

QUESTIONS = ("automation", "superintelligence", "between", "sie")


def quantile_interval(
    counts: np.ndarray, spec: Histogram, level: float, n: int
) -> tuple[float | None, float | None]:
    """A distribution-free 95% Monte Carlo interval of the ``level`` quantile: the histogram's
    quantiles at level -+ z sqrt(level (1 - level) / n) (the order statistics whose ranks
    bracket it with that probability, by the binomial's normal approximation)."""
    if n == 0:
        return None, None
    z = st.norm.ppf(0.5 + CONFIDENCE / 2)
    half = z * math.sqrt(level * (1 - level) / n)
    low, high = histogram_quantiles(counts, spec, (max(level - half, 0.0), min(level + half, 1.0)))
    return low, high


def _quantiles(counts: np.ndarray, spec: Histogram, n: int) -> dict[str, Any]:
    values = histogram_quantiles(counts, spec)
    out: dict[str, Any] = {}
    for level, value in zip(QUANTILE_LEVELS, values, strict=True):
        key = f"q{round(level * 100):02d}"
        low, high = quantile_interval(counts, spec, level, n)
        out[key] = {"value": value, "ci_low": low, "ci_high": high}
    return out


def histogram_record(counts: np.ndarray, spec: Histogram) -> dict[str, Any]:
    """A histogram series as summary.json keeps it, exactly: its bins, the occupied span of
    its counts (from ``first``) and its three tail cells (underflow, overflow, +inf)."""
    counts = np.asarray(counts)
    inside = counts[: spec.bins]
    used = np.nonzero(inside)[0]
    first, last = (int(used[0]), int(used[-1]) + 1) if used.size else (0, 0)
    return {
        "low": spec.low,
        "high": spec.high,
        "bins": spec.bins,
        "log": spec.log,
        "first": first,
        "counts": inside[first:last].tolist(),
        "tails": counts[spec.bins :].tolist(),
    }


def histogram_from_record(record: Mapping[str, Any]) -> tuple[np.ndarray, Histogram]:
    """The series and its bins back from :func:`histogram_record` (counts, or a mixture's
    weighted fractions)."""
    spec = Histogram(record["low"], record["high"], record["bins"], record["log"])
    values = np.zeros(spec.cells, float)
    first, inside = record["first"], np.asarray(record["counts"], float)
    values[first : first + inside.size] = inside
    values[spec.bins :] = np.asarray(record["tails"], float)
    return values, spec


def date_distribution(values: np.ndarray, n: float) -> dict[str, Any]:
    """A date's distribution from its calendar histogram (a run's counts, or a mixture's
    weights): the histogram itself (for mixtures), quantiles with intervals for a sample of
    ``n``, P(by the end of Y) and the quarterly CDF (a date never reached counts as not by
    any year)."""
    quarters = np.arange(CDF_YEARS[0], CDF_YEARS[1] + 1e-9, CDF_STEP)
    return {
        "histogram": histogram_record(values, CALENDAR),
        "date": _quantiles(values, CALENDAR, n),
        "p_by_year": {str(y): histogram_cdf(values, CALENDAR, y + 1.0) for y in BY_YEARS},
        "cdf": {
            "years": [float(y) for y in quarters],
            "p": histogram_cdfs(np.asarray(values)[None], CALENDAR, quarters.tolist())[0].tolist(),
        },
    }


def years_distribution(values: np.ndarray, spec: Histogram, n: float) -> dict[str, Any]:
    """The years between two dates from their histogram (counts or weights): the histogram,
    quantiles with intervals for a sample of ``n`` and P(within Y years)."""
    return {
        "histogram": histogram_record(values, spec),
        "years": _quantiles(values, spec, n),
        "p_within_years": {str(y): histogram_cdf(values, spec, float(y)) for y in WITHIN_YEARS},
    }


def _date_answer(counts: np.ndarray, label: str, source: str) -> dict[str, Any]:
    """A run's answer with a date: what the model calls it, where it comes from, its draws
    and its distribution (:func:`date_distribution`)."""
    counts = np.asarray(counts, np.int64)
    n = int(counts.sum())
    return {"label": label, "source": source, "n": n, **date_distribution(counts, n)}


def _point(year: float, n: int) -> np.ndarray:
    """A calendar histogram with all ``n`` draws at ``year`` (a fixed start)."""
    counts = np.zeros(CALENDAR.cells, np.int64)
    counts[int(np.asarray(CALENDAR.cell(np.float64(year))))] = n
    return counts


def _milestone_index(plan: ForecastPlan, name: str) -> int:
    milestones = plan.model.outcomes().milestones
    assert milestones is not None and name in milestones.names, name
    return milestones.names.index(name)


def _automation(plan: ForecastPlan, totals: Mapping[str, np.ndarray]) -> dict[str, Any] | str:
    common = plan.model.outcomes().common
    n = int(totals["finite"][0])
    if common.automation is None:
        return f"model {plan.model.name} has no date of full automation of AI R&D"
    if common.automation == "start":
        if "cal_start" in totals:
            return _date_answer(totals["cal_start"][0], common.automation_label, "start")
        if plan.start_year is not None:
            return _date_answer(_point(plan.start_year, n), common.automation_label, "start")
        return "no dates: the run has no timelines stage (e.g. timelines=metr_trend)"
    if "cal_milestone_dates" not in totals:
        return "no dates: the model's milestones have no dated start"
    k = _milestone_index(plan, common.automation)
    return _date_answer(
        totals["cal_milestone_dates"][k], common.automation_label, f"milestone {common.automation}"
    )


def _superintelligence(
    plan: ForecastPlan, totals: Mapping[str, np.ndarray]
) -> dict[str, Any] | str:
    common = plan.model.outcomes().common
    if common.superintelligence is None:
        return f"model {plan.model.name} has no superintelligence milestone"
    if "cal_milestone_dates" not in totals:
        return "no dates: the model's milestones have no dated start"
    k = _milestone_index(plan, common.superintelligence)
    source = f"milestone {common.superintelligence}"
    return _date_answer(totals["cal_milestone_dates"][k], common.superintelligence_label, source)


def _between(plan: ForecastPlan, totals: Mapping[str, np.ndarray]) -> dict[str, Any] | str:
    """The years from full automation to superintelligence, per draw: a quantity the model
    declares, its superintelligence milestone's years after the start (when automation is the
    start), or the milestone's phase (when it directly follows the automation milestone)."""
    declared = plan.model.outcomes()
    common = declared.common
    if common.automation is None or common.superintelligence is None:
        return "the model lacks one of the two dates"
    label = f"{common.automation_label} to {common.superintelligence_label}"
    if common.between is not None:
        quantity = next(q for q in declared.quantities if q.name == common.between)
        counts, spec = totals[f"hist_{common.between}"][0], quantity.histogram
        source = f"quantity {common.between}"
    else:
        k = _milestone_index(plan, common.superintelligence)
        assert declared.milestones is not None
        if common.automation == "start":
            counts, source = totals["hist_milestone_years"][k], "years after the start"
        elif k > 0 and declared.milestones.names[k - 1] == common.automation:
            counts, source = totals["hist_phase_years"][k], f"phase {declared.milestones.phases[k]}"
        else:  # a model declaring this pair must say which quantity holds the gap
            return "no per-draw count of the years between them"
        spec = MILESTONES
    counts = np.asarray(counts, np.int64)
    n = int(counts.sum())
    return {"label": label, "source": source, "n": n, **years_distribution(counts, spec, n)}


def common_summary(plan: ForecastPlan, totals: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """summary.json ``common``: each question's answer (or, in ``unanswered``, why not)."""
    declared = plan.model.outcomes()
    answers: dict[str, Any] = {
        "automation": _automation(plan, totals),
        "superintelligence": _superintelligence(plan, totals),
        "between": _between(plan, totals),
        "sie": {"label": "P(>= Y years of progress within w)", "source": "probabilities"}
        if declared.grid is not None
        else f"model {plan.model.name} has no probability grid of software progress",
    }
    out: dict[str, Any] = {"unanswered": {}}
    for question, answer in answers.items():
        if isinstance(answer, str):
            out[question] = None
            out["unanswered"][question] = answer
        else:
            out[question] = answer
    return out

"""The sections of one forecast run's report, from its summary tables (see docs/REPORTS.md).

Headline (in plain words, with the probability grid), the probability curve, the fan chart,
the distributions, sensitivity, calendar dates and calibration (where the run has them), and
the run's facts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from .._events import Event
from . import _figures as figs
from ._compare_report import common_section, mixture_section
from ._dates import calendar_section, milestone_section
from ._document import Bullets, Code, Document, Image, Section, Table, Text, code, literal
from ._figures import image
from ._format import (
    article,
    condition_line,
    duration,
    fact,
    interval,
    months_label,
    number,
    percent,
    percent_cell,
    sensitivity_index,
    share,
    years_label,
)
from ._load import Calibration, PosteriorSource, Run, quantile_row

#: The event of the plain-words headline, where the grid has it (else the nearest it offers).
HEADLINE_EVENT = Event(years=3.0, window_months=12.0)


def grid(probabilities: Sequence[Mapping[str, Any]]) -> tuple[list[float], list[float]]:
    years = sorted({float(r["years"]) for r in probabilities})
    windows = sorted({float(r["window_months"]) for r in probabilities})
    return years, windows


def headline_event(
    probabilities: Sequence[Mapping[str, Any]], declared: Mapping[str, Any] | None = None
) -> Mapping[str, Any] | None:
    """The row of the model's headline cell (summary.json ``headline``: ``years``,
    ``window_months``; P(>= 3 years within 12 months) when it names none), or the nearest
    the grid offers."""
    rows = [r for r in probabilities if r.get("p") is not None]
    if not rows:
        return None
    years, windows = grid(rows)
    head = HEADLINE_EVENT
    if declared and declared.get("years") and declared.get("window_months"):
        head = Event(float(declared["years"]), float(declared["window_months"]))
    y = min(years, key=lambda v: (abs(math.log(v / head.years)) if v > 0 else math.inf, v))
    w = head.window_months if head.window_months in windows else max(windows)
    return next(r for r in rows if r["years"] == y and r["window_months"] == w)


def sentence(scenario: str, row: Mapping[str, Any], who: str | None = None) -> str:
    """The headline in plain words."""
    subject = who or f"the {literal(scenario)} scenario"
    p = percent(row)
    return (
        f"In {subject}, there is {article(p)} {p} chance (Monte Carlo 95% interval "
        f"{interval(row)}) that AI "
        f"compresses at least {years_label(row['years'])} of progress into "
        f"{months_label(row['window_months'])}."
    )


def summary_quantile(
    summary: Mapping[str, Any], outcome: str, years: float | None = None
) -> Mapping[str, Any] | None:
    """The quantile row of ``outcome`` (at the progress level ``years``, where it has levels)."""
    return quantile_row(summary.get("quantiles", []), outcome, years)


def _horizon(summary: Mapping[str, Any]) -> float | None:
    return (summary.get("settings") or {}).get("horizon_years")


def peak_sentence(summary: Mapping[str, Any]) -> str | None:
    peak = summary_quantile(summary, "peak_speedup")
    if not peak or peak.get("q50") is None:
        return None
    spread = ""
    if peak.get("q05") is not None:
        high = number(peak["q95"]) + "×" if peak.get("q95") is not None else "beyond range"
        spread = f" (90% of draws between {number(peak['q05'])}× and {high})"
    return (
        f"At its fastest, AI progress runs at a median {number(peak['q50'])}× its "
        f"pre-automation pace{spread}."
    )


def reach_sentence(summary: Mapping[str, Any], years: float = 10.0) -> str | None:
    row = summary_quantile(summary, "time_to_progress_years", years)
    if not row or row.get("fraction_never") is None:
        return None
    horizon = _horizon(summary)
    within = f"within the {horizon:g}-year horizon" if horizon else "within the horizon"
    reached = 1 - row["fraction_never"]
    if row.get("q50") is not None:
        return (
            f"Half of the draws reach {years_label(years)} of progress within "
            f"{duration(row['q50'])} of automation; {share(reached)} reach it {within}."
        )
    return (
        f"Fewer than half of the draws reach {years_label(years)} of progress {within} "
        f"({share(reached)} do)."
    )


def probability_table(probabilities: Sequence[Mapping[str, Any]]) -> Table:
    years, windows = grid(probabilities)
    lookup = {(r["years"], r["window_months"]): r for r in probabilities}
    rows = [
        [f"≥ {years_label(y)}"]
        + [percent_cell(lookup[(y, w)]) if (y, w) in lookup else "—" for w in windows]
        for y in years
    ]
    return Table(
        header=["progress Y", *[f"within {months_label(w)}" for w in windows]],
        rows=rows,
        caption="P(≥ Y years of AI progress within w): estimate (95% Wilson interval) over "
        "all finite draws.",
    )


def _what_the_interval_is(run: Run) -> str:
    """Say what the interval is (sampling error of the draws, not uncertainty about the
    world: that is in the priors), and where the priors came from."""
    text = (
        "The interval is Monte Carlo error only: how precisely the draws estimate the "
        "probability the priors imply. The uncertainty about the world is in the priors"
    )
    if run.posteriors:
        drawn = ", ".join(
            f"{code(p.parameter)} from the posterior of {code(p.variable)}" for p in run.posteriors
        )
        return f"{text}: here {drawn} (see Calibration), the rest set by hand."
    return f"{text}, set by hand for this scenario (none drawn from a calibrated posterior)."


def headline_kind(summary: Mapping[str, Any]) -> str:
    """What the model's headline is (summary.json ``headline.kind``): ``progress`` (a cell of
    the grid) or ``milestones``."""
    kind = (summary.get("headline") or {}).get("kind")
    return kind if kind in ("progress", "milestones") else "progress"


def _headline(run: Run) -> Section:
    s = run.summary
    blocks: list[Any] = []
    head = headline_event(s["probabilities"], s.get("headline"))
    leads = headline_kind(s) == "progress"
    if head is not None:
        blocks.append(Text(sentence(run.scenario, head), "lead" if leads else "p"))
        blocks.append(Text(_what_the_interval_is(run), "note"))
    extra = [x for x in (peak_sentence(s), reach_sentence(s)) if x]
    if extra:
        blocks.append(Text(" ".join(extra)))
    blocks.append(probability_table(s["probabilities"]))
    flags = s.get("flags") or {}
    items = []
    if flags.get("accelerated", {}).get("p") is not None:
        items.append(
            f"P(progress accelerates: its peak pace is at least "
            f"{_accelerate_factor(run):g}× its pace at automation) = "
            f"{percent_cell(flags['accelerated'])}"
        )
    if flags.get("reached_ceiling", {}).get("p") is not None:
        items.append(
            "P(software reaches its ceiling within the horizon) = "
            f"{percent_cell(flags['reached_ceiling'])}"
        )
    if items:
        blocks.append(Bullets(items))
    blocks += _condition_note(s) + _non_finite_warning(s)
    if leads:
        return Section("headline", "Headline", blocks)
    return Section("progress", "Software progress", blocks)


def _accelerate_factor(run: Run) -> float:
    scenario = (run.config or {}).get("scenario") or {}
    try:
        return float(scenario.get("accelerate_factor", 2.0))
    except (TypeError, ValueError):
        return 2.0


def _condition_cell(condition: Mapping[str, Any] | None) -> str:
    if not condition:
        return "none: the forecast as the model makes it (unconditioned)"
    return condition_line(condition)


def _condition_note(summary: Mapping[str, Any]) -> list[Text]:
    """A conditioned run says so wherever its probabilities lead."""
    condition = summary.get("condition")
    return [Text(condition_line(condition), "warn")] if condition else []


def _non_finite_warning(summary: Mapping[str, Any]) -> list[Text]:
    if not summary.get("non_finite"):
        return []
    text = (f"{summary['non_finite']:,} draws had non-finite results and are left out of every "
            "statistic.")  # fmt: skip
    return [Text(text, "warn")]


def _non_finite(run: Run) -> Section | None:
    """The non-finite draws, where no grid section says them."""
    warning = _non_finite_warning(run.summary)
    return Section("non-finite", "Non-finite draws", list(warning)) if warning else None


def _curve(run: Run) -> Section:
    probabilities = run.summary["probabilities"]
    curve = run.summary.get("curve") or []
    years, _ = grid(probabilities)
    blocks: list[Any] = [image(figs.probability_curve(probabilities, curve))]
    if len(years) < 6 and not curve:
        blocks.append(
            Text(
                f"The run's grid has {len(years)} progress levels "
                f"({', '.join(f'{y:g}' for y in years)} years), so the curve joins those "
                "points; run with e.g. `progress_years=[1,2,3,5,10,20,30]` for a finer curve.",
                "note",
            )
        )
    return Section("probability-curve", "P(≥ Y years within w) against Y", blocks)


def _fan(run: Run) -> Section:
    fan = run.summary.get("fan") or []
    if not fan:
        return Section("fan-chart", "Fan chart of progress", [Text("No fan table in this run.")])
    by_horizon = summary_quantile(run.summary, "progress_by_horizon_years") or {}
    hint = max(
        (v for k, v in by_horizon.items() if k.startswith("q") and v is not None), default=None
    )
    blocks: list[Any] = [image(figs.fan_chart(fan, hint))]
    wanted = (0.5, 1, 2, 5, 10, 20)
    rows = []
    for t in wanted:
        row = min(fan, key=lambda r, t=t: abs(r["t_years"] - t))
        if abs(row["t_years"] - t) < 1e-9 and row not in [r for r, _ in rows]:
            rows.append((row, t))
    if rows:
        blocks.append(
            Table(
                header=["time since automation", *[f"{int(k[1:])}%" for k in figs.FAN_KEYS]],
                rows=[
                    [duration(t)]
                    + ["beyond range" if r.get(k) is None else number(r[k]) for k in figs.FAN_KEYS]
                    for r, t in rows
                ],
                caption="Quantiles of AI progress (years at the pre-automation pace) at "
                "selected times; the full table is fan.csv.",
            )
        )
    return Section("fan-chart", "Fan chart of progress", blocks)


def _series_label(row: Mapping[str, Any]) -> str:
    level = row.get("years")
    return row["series"].removesuffix(" of progress") if level is None else years_label(level)


def _quantile_cells(row: Mapping[str, Any], none: str, fmt) -> list[str]:
    return [none if row.get(k) is None else fmt(row[k]) for k in figs.FAN_KEYS]


def _distributions(run: Run) -> Section:
    s = run.summary
    quantiles = s.get("quantiles", [])
    plot = figs.distributions(quantiles, run.peak_sample, _horizon(s), s.get("finite_draws"))
    rows = []
    peak = summary_quantile(s, "peak_speedup")
    if peak:
        rows.append(["peak speed-up (×)", *_quantile_cells(peak, "beyond range", number), "—"])
    for row in figs.time_to_rows(quantiles):
        never = row.get("fraction_never")
        rows.append(
            [
                f"time to {_series_label(row)} of progress",
                *_quantile_cells(row, "not reached", duration),
                share(never),
            ]
        )
    table = Table(
        header=["outcome", *[f"{int(k[1:])}%" for k in figs.FAN_KEYS], "not reached in horizon"],
        rows=rows,
        caption="Quantiles over all draws (quantiles.csv). Times are since full automation; "
        "“not reached” means beyond the simulated horizon.",
    )
    return Section("distributions", "Peak speed-up and time to Y years", [image(plot), table])


def headline_events(probabilities: Sequence[Mapping[str, Any]]) -> list[str]:
    """The events whose sensitivity is shown: the headline event first, then the grid's next
    smaller and next larger Y in the same window (P(>=1y), P(>=10y) in 12m by default)."""
    head = headline_event(probabilities)
    if head is None:
        return []
    years, _ = grid(probabilities)
    w, i = head["window_months"], years.index(head["years"])
    neighbours = years[max(i - 1, 0) : i] + years[i + 1 : i + 2]
    return [Event(y, w).name for y in (head["years"], *neighbours)]


def _sensitivity(run: Run) -> Section:
    table = run.summary.get("sensitivity") or []
    title = "Sensitivity: which prior drives the probability of explosion"
    if not table:
        return Section(
            "sensitivity",
            title,
            [Text("No sensitivity indices in this run (no uncertain parameters).")],
        )
    events = headline_events(run.summary["probabilities"])
    if not events:  # no grid: the events the model declares (its flags), as the table has them
        events = list(dict.fromkeys(str(r["event"]) for r in table))[:3]
        title = "Sensitivity: which prior drives each event"
    plot = figs.sensitivity_chart(table, events)
    if plot is None:
        return Section(
            "sensitivity",
            title,
            [Text("The headline events have no variance (probability 0 or 1): no indices.")],
        )
    data = plot.data
    rows = [
        [literal(p), *[sensitivity_index(data["indices"][e].get(p)) for e in data["events"]]]
        for p in data["parameters"]
    ]
    blocks: list[Any] = [
        image(plot),
        Table(
            header=["parameter", *map(literal, data["events"])],
            rows=rows,
            caption="First-order indices S₁ (sensitivity.csv has every event).",
        ),
    ]
    return Section("sensitivity", title, blocks)


def _calibration_blocks(source: PosteriorSource, images: set[str]) -> list[Any]:
    blocks: list[Any] = []
    where = str(source.resolved) if source.resolved else source.path
    draws = f", {source.draws:,} posterior draws" if source.draws else ""
    blocks.append(
        Text(
            f"**{literal(source.parameter)}** is drawn from the posterior of "
            f"{code(source.variable)} in {code(where)}{literal(draws)}."
        )
    )
    if source.resolved is None:
        blocks.append(Text(f"The posterior file {code(source.path)} is not found now.", "warn"))
        return blocks
    calibration = source.calibration
    if calibration is None:
        blocks.append(
            Text(
                f"No calibration run directory beside it (no calibration.json, "
                f"posterior_summary.csv or prior_posterior.png in {code(source.resolved.parent)}).",
                "note",
            )
        )
        return blocks
    blocks += _calibration_details(calibration, source.variable, images)
    return blocks


def _cell(value: Any) -> str:
    return number(value) if isinstance(value, float) else literal(value)


def _calibration_details(calibration: Calibration, variable: str, images: set[str]) -> list[Any]:
    blocks: list[Any] = []
    info = calibration.info
    if info:
        diag = info.get("diagnostics") or {}
        status = "converged" if info.get("converged") else "**did not converge**"
        facts = [
            f"calibration run: {code(calibration.directory)}",
            f"model: {code(info.get('model'))} ({literal(info.get('description', ''))}), "
            f"{literal(info.get('n_observations', '?'))} observations",
            f"status: {status} (max R-hat {number(diag.get('r_hat_max'))}, min bulk ESS "
            f"{number(diag.get('ess_bulk_min'))}, min tail ESS {number(diag.get('ess_tail_min'))}, "
            f"{literal(diag.get('divergences', '?'))} divergences)",
        ]
        facts += [f"diagnostic failure: {literal(f)}" for f in diag.get("failures", [])]
        blocks.append(Bullets(facts))
        quantiles = (info.get("quantiles") or {}).get(variable)
        if quantiles:
            keys = ("q05", "q25", "q50", "q75", "q95", "mean", "sd")
            blocks.append(
                Table(
                    header=["posterior of", *keys],
                    rows=[[code(variable), *[number(quantiles.get(k)) for k in keys]]],
                    caption="Posterior quantiles of the forecast variable (calibration.json).",
                )
            )
    else:
        blocks.append(Text(f"calibration run: {code(calibration.directory)}"))
    if calibration.summary_csv is not None:
        try:
            frame = pd.read_csv(calibration.summary_csv, index_col=0)
        except Exception:  # an unreadable summary is skipped, not fatal
            frame = None
        if frame is not None and not frame.empty:
            first = [i for i in frame.index if str(i) == variable]
            frame = frame.loc[first + [i for i in frame.index if str(i) != variable]]
            shown = frame.head(15)
            blocks.append(
                Table(
                    header=["variable", *map(literal, shown.columns)],
                    rows=[
                        [literal(i), *[_cell(v) for v in row]]
                        for i, row in zip(shown.index, shown.itertuples(index=False), strict=True)
                    ],
                    caption="Posterior diagnostics (posterior_summary.csv"
                    + (f", first 15 of {len(frame)} rows" if len(frame) > 15 else "")
                    + ").",
                )
            )
    if calibration.prior_posterior_png is not None:
        name = "report_calibration_prior_posterior"
        suffix = 2
        while name in images:
            name = f"report_calibration_prior_posterior_{suffix}"
            suffix += 1
        images.add(name)
        blocks.append(
            Image(
                name,
                "Prior against posterior (from the calibration run)",
                f"Copied from {code(calibration.prior_posterior_png)}.",
                calibration.prior_posterior_png.read_bytes(),
            )
        )
    return blocks


def _calibration(run: Run) -> Section | None:
    if not run.posteriors:
        return None
    blocks: list[Any] = [
        Text("This run drew parameters from calibrated posteriors (docs/CALIBRATION.md).")
    ]
    images: set[str] = set()
    for source in run.posteriors:
        blocks += _calibration_blocks(source, images)
    return Section("calibration", "Calibration", blocks)


def _facts(run: Run) -> Section:
    s = run.summary
    device = s.get("device") or {}
    shard = s.get("shard") or {}
    rows = [
        ["run directory", code(run.path.resolve())],
        ["scenario", literal(run.scenario + (f": {run.description}" if run.description else ""))],
        ["seed", literal(s.get("seed", "-"))],
        ["draws requested", f"{s.get('n_draws', 0):,}"],
        ["draws done", f"{s.get('draws_done', 0):,}"],
        ["finite draws (used)", f"{s.get('finite_draws', 0):,}"],
        ["non-finite draws (left out)", f"{s.get('non_finite', 0):,}"],
        [
            "condition",
            "each part's own (see Mixture)"
            if s.get("mixture")
            else _condition_cell(s.get("condition")),
        ],  # fmt: skip
    ]
    if shard and shard.get("count", 1) > 1:
        rows.append(
            [
                "shard",
                literal(
                    f"{shard.get('index')} of {shard.get('count')}, draws {shard.get('draws')}"
                ),
            ]
        )
    if s.get("merged_from"):
        rows.append(["merged from", ", ".join(code(p) for p in s["merged_from"])])
    rows.append(
        [
            "device",
            literal(
                f"{device.get('count', '?')} × {device.get('platform', '?')} "
                f"({device.get('kind', '?')})"
            ),
        ]
    )
    for key, value in (s.get("timing") or {}).items():
        rows.append([literal(f"timing: {key.replace('_', ' ')}"), fact(value)])
    for key, value in (s.get("settings") or {}).items():
        rows.append([literal(f"setting: {key.replace('_', ' ')}"), literal(value)])
    for key, value in (s.get("versions") or {}).items():
        rows.append([literal(f"version: {key}"), literal(value)])
    if s.get("fingerprint"):
        rows.append(["fingerprint", code(s["fingerprint"])])
    if run.overrides:
        rows.append(["overrides", " ".join(code(o) for o in run.overrides)])
    blocks: list[Any] = [Table(header=["fact", "value"], rows=rows)]
    priors = s.get("priors") or {}
    if priors:
        blocks.append(
            Table(
                header=["parameter", "prior"],
                rows=[[literal(k), code(v)] for k, v in priors.items()],
                caption="Priors as the run read them.",
            )
        )
    if run.config_text:
        blocks.append(Code(run.config_text, f"Configuration ({literal(run.config_file)})"))
    else:
        blocks.append(
            Text(
                "No configuration file beside the run (every forecast writes config.yaml; "
                "this run directory has none).",
                "note",
            )
        )
    return Section("run-facts", "Run facts", blocks)


def model_sections(run: Run) -> list[Section]:
    """The sections the run's model adds of its own (:meth:`Model.report_sections`), its
    strings as text; none when the model is not registered here."""
    from .._errors import ConfigError
    from ..models import get_model

    name = (run.summary.get("model") or {}).get("name")
    try:
        cls = get_model(name)
    except ConfigError:
        return []
    out = []
    for i, part in enumerate(cls.report_sections(run.summary)):
        blocks: list[Any] = [Text(literal(p)) for p in part.paragraphs]
        if part.rows:
            blocks.append(
                Table(
                    header=[literal(h) for h in part.header],
                    rows=[[literal(c) for c in row] for row in part.rows],
                    caption=literal(part.caption) if part.caption else None,
                )
            )
        out.append(Section(f"model-{i}", part.title, blocks))  # titles are escaped as text
    return out


def run_document(run: Run) -> Document:
    s = run.summary
    # The model's own headline leads: its milestones, or the grid's cell.
    milestones = milestone_section(run, lead=headline_kind(s) == "milestones")
    first = [milestones] if milestones is not None and headline_kind(s) == "milestones" else []
    # A model without a progress grid (one that dates milestones only) has no grid
    # sections: its report is its milestones, its sensitivity and its own sections.
    if s.get("probabilities"):
        own = [_headline(run), _curve(run)]
        own += [_fan(run)] if s.get("fan") or not s.get("mixture") else []
        own += [_distributions(run)] if s.get("quantiles") else []
    else:
        own = [_non_finite(run)]
    own = [mixture_section(run), *own]
    sensitivity = None if s.get("mixture") else _sensitivity(run)  # a mixture has no priors
    sections = [x for x in (*first, *own, sensitivity) if x is not None]
    later = [] if first else [milestones]
    for extra in (*later, calendar_section(run), _calibration(run), *model_sections(run)):
        if extra is not None:
            sections.append(extra)
    common = common_section(run)  # the questions every model is compared on
    sections += [common] if common is not None else []
    sections.append(_facts(run))
    subtitle = (
        f"Scenario {code(run.scenario)}"
        + (f": {literal(run.description)}" if run.description else "")
        + f" · {s.get('finite_draws', 0):,} draws · seed {s.get('seed')}"
    )
    return Document(f"AI takeoff forecast: {run.scenario}", subtitle, sections)

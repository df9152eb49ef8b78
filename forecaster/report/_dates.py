"""The report's sections of dates: the calendar (with a timelines stage) and a model's
milestones (when each comes, each phase's length, P(within Y years), or P(by the end of Y)
where the model dates its milestones on the calendar)."""

from __future__ import annotations

from typing import Any

from . import _date_figures as date_figs
from ._document import Section, Table, Text, code, literal
from ._figures import image
from ._format import at_cap, calendar_date, condition_line, milestone_duration, share, years_label
from ._load import Run

#: Calendar years shown for P(milestone by the end of Y), where the run has them.
SHOWN_YEARS = ("2027", "2028", "2030", "2035", "2040", "2049", "2070", "2100", "2150", "2190")


def calendar_section(run: Run) -> Section | None:
    calendar = run.summary.get("calendar")
    if not isinstance(calendar, dict) or not calendar.get("p_automation_by_year"):
        return None
    blocks: list[Any] = []
    start = calendar.get("automation_year") or {}
    if start.get("q50") is not None:
        blocks.append(
            Text(
                f"With the {code(calendar.get('timelines'))} timelines, full automation of AI R&D "
                f"starts around {calendar_date(start['q50'])} (median; 90% of draws between "
                f"{calendar_date(start.get('q05'))} and {calendar_date(start.get('q95'))})."
            )
        )
    blocks.append(image(date_figs.calendar_chart(calendar)))
    automation = calendar.get("p_automation_by_year") or {}
    explosion = calendar.get("p_explosion_by_year") or {}
    blocks.append(
        Table(
            header=["by the start of", "P(automation started)", "P(explosion complete)"],
            rows=[
                [year, share(automation.get(year)), share(explosion.get(year))]
                for year in sorted(automation, key=float)
            ],
        )
    )
    milestones = calendar.get("milestone_dates") or {}
    if milestones:
        keys = ("q05", "q25", "q50", "q75", "q95")
        blocks.append(
            Table(
                header=["reaching", *[f"{int(k[1:])}%" for k in keys]],
                rows=[
                    [f"{years_label(float(level))} of progress"]
                    + [calendar_date(q.get(k)) for k in keys]
                    for level, q in sorted(milestones.items(), key=lambda kv: float(kv[0]))
                ],
                caption="Quantiles of the date each progress level is reached (“not reached”: "
                "beyond the calendar range or never).",
            )
        )
    return Section("calendar", "Calendar dates", blocks)


def milestone_section(run: Run, lead: bool = False) -> Section | None:
    """The model's milestones: when each comes, each phase's length, P(within Y years); with
    ``lead`` the section is the report's headline (the model declares its milestones so)."""
    milestones = run.summary.get("milestones")
    if not isinstance(milestones, dict) or not milestones:
        return None
    cap = (run.summary.get("settings") or {}).get("phase_cap")
    last_name, last = list(milestones.items())[-1]
    years = last.get("years_after_start") or {}
    first = next(iter(milestones.values()))
    dated = all("date" in m for m in milestones.values())
    # A model that dates its milestones on the calendar (P(by the end of Y) in its summary):
    # their dates, and P(by the end of Y) for a few of its years (P within Y years of its
    # start, decades ago, says nothing).
    calendar = dated and bool(first.get("p_by_year"))
    run_years = sorted(first.get("p_by_year") or {}, key=float) if calendar else []
    every = max(1, len(run_years) // 6)  # (a run whose years miss SHOWN_YEARS: six of its own)
    by_year = [y for y in SHOWN_YEARS if y in run_years] or run_years[::every]
    within = [] if calendar else sorted(first["p_within_years"], key=float)
    blocks: list[Any] = [
        Text(
            _milestone_lead(literal(last_name), years, last.get("date") or {}, cap, calendar),
            "lead" if lead else "p",
        ),
    ]
    if run.summary.get("condition"):  # a conditioned run says so where its numbers lead
        blocks.append(Text(condition_line(run.summary["condition"]), "warn"))
    blocks += [
        image(date_figs.milestone_densities(milestones)),
        image(date_figs.phase_durations(milestones)),
    ]
    header = ["milestone", "10%", "median", "90%"]
    header += [f"P(within {years_label(float(y))})" for y in within]
    header += [f"P(by end {y})" for y in by_year]
    header += ["median date"] if dated and not calendar else []
    rows = []
    for name, entry in milestones.items():
        row = [literal(name)]
        if calendar:
            row += [calendar_date(entry["date"].get(k)) for k in ("q10", "q50", "q90")]
            row += [share((entry.get("p_by_year") or {}).get(y)) for y in by_year]
        else:
            q = entry.get("years_after_start") or {}
            row += [milestone_duration(q.get(k), cap) for k in ("q10", "q50", "q90")]
            row += [share(entry["p_within_years"].get(y)) for y in within]
            row += [calendar_date((entry.get("date") or {}).get("q50"))] if dated else []
        rows.append(row)
    blocks.append(
        Table(
            header=header,
            rows=rows,
            caption=(
                "The date of each milestone (quantiles from 0.05-year bins; “not reached”: not "
                "by the end of the run) and P(reached by the end of Y) (exact counts)."
                if calendar
                else "Time from the start to each milestone (quantiles from 1% bins; "
                "P(within Y) exact counts)."
            )
            + (
                f" “Not within the cap”: at the ladder's phase cap of {cap:g} years, where "
                "the model stops a phase, so not a duration."
                if cap is not None
                else ""
            ),
        )
    )
    if lead:
        return Section("headline", "Headline: milestones", blocks)
    return Section("milestones", "Milestones", blocks)


def _milestone_lead(
    name: str, years: dict, date: dict, cap: float | None, calendar: bool = False
) -> str:
    """When the last milestone comes: its median and 80% range after the start (a quantile
    at the phase cap said so, not as a duration) and its median date; for a model that dates
    its milestones on the calendar (``calendar``), the dates themselves."""
    median, low, high = (years.get(k) for k in ("q50", "q10", "q90"))
    if calendar:
        early, late = calendar_date(date.get("q10")), date.get("q90")
        if date.get("q50") is None:
            reached = f"10% of draws by {early}" if date.get("q10") is not None else "nor 10%"
            return (
                f"{name} is not reached by the end of the run in at least half of the draws "
                f"({reached})."
            )
        spread = (
            f"80% of draws between {early} and {calendar_date(late)}"
            if late is not None
            else f"10% of draws by {early}, and at least 10% not by the end of the run"
        )
        return f"{name} comes around {calendar_date(date['q50'])} (median; {spread})."
    if at_cap(median, cap):
        return (
            f"{name} is not reached within the phase cap ({cap:g} years) in at least half "
            f"of the draws; 10% of draws reach it within {milestone_duration(low, cap)}."
        )
    text = f"{name} comes {milestone_duration(median, cap)} after the start (median; "
    if at_cap(high, cap):
        text += (
            f"10% of draws within {milestone_duration(low, cap)}, and at least 10% not "
            f"within the phase cap of {cap:g} years)"
        )
    else:
        text += (
            f"80% of draws between {milestone_duration(low, cap)} and "
            f"{milestone_duration(high, cap)})"
        )
    if date.get("q50") is not None:
        text += f", around {calendar_date(date['q50'])} at the median"
    return text + "."

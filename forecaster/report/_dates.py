"""The report's sections of dates: the calendar (with a timelines stage) and a milestone
ladder's milestones (when each comes, each phase's length, P(within Y years))."""

from __future__ import annotations

from typing import Any

from . import _date_figures as date_figs
from ._document import Section, Table, Text, code, literal
from ._figures import image
from ._format import calendar_date, duration, share, years_label
from ._load import Run


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
    last_name, last = list(milestones.items())[-1]
    years = last.get("years_after_start") or {}
    when = ""
    date = (last.get("date") or {}).get("q50")
    if date is not None:
        when = f", around {calendar_date(date)} at the median"
    blocks: list[Any] = [
        Text(
            f"{literal(last_name)} comes {duration(years.get('q50'))} after the start "
            f"(median; 80% of draws between {duration(years.get('q10'))} and "
            f"{duration(years.get('q90'))}){when}.",
            "lead" if lead else "p",
        ),
        image(date_figs.milestone_densities(milestones)),
        image(date_figs.phase_durations(milestones)),
    ]
    within = sorted(next(iter(milestones.values()))["p_within_years"], key=float)
    dated = all("date" in m for m in milestones.values())
    header = ["milestone", "10%", "median", "90%"]
    header += [f"P(within {years_label(float(y))})" for y in within]
    header += ["median date"] if dated else []
    rows = []
    for name, entry in milestones.items():
        q = entry.get("years_after_start") or {}
        row = [literal(name), *(duration(q.get(k)) for k in ("q10", "q50", "q90"))]
        row += [share(entry["p_within_years"].get(y)) for y in within]
        row += [calendar_date((entry.get("date") or {}).get("q50"))] if dated else []
        rows.append(row)
    blocks.append(
        Table(
            header=header,
            rows=rows,
            caption="Time from the start to each milestone (quantiles from 1% bins; "
            "P(within Y) exact counts).",
        )
    )
    if lead:
        return Section("headline", "Headline: milestones", blocks)
    return Section("milestones", "Milestones", blocks)

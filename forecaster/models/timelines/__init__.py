"""The start-date stage: when automation starts, in calendar years, per draw (the METR
horizon trend and AI 2027's April and May 2025 timelines methods)."""

from ._stages import (
    METHODS,
    TimelinePlan,
    TimelinesConfig,
    parameter_tables,
    plan_timelines,
    start_years,
)

__all__ = [
    "METHODS",
    "TimelinePlan",
    "TimelinesConfig",
    "parameter_tables",
    "plan_timelines",
    "start_years",
]

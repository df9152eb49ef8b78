"""How the report writes numbers: probabilities, quantities, durations, dates and units.

Formatting only: every function takes a value from the summary tables (None where the table
has no value) and returns text; nothing here checks or changes a value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def article(number_text: str) -> str:
    """ "a" or "an" before a number as it is read aloud (an 8%, an 18%, a 1.8%)."""
    whole = number_text.split(".")[0].replace(",", "")
    return "an" if whole.startswith("8") or whole in ("11", "18") else "a"


#: Below this many percent (and above 100 less it) a probability is written "<0.01%"
#: (">99.99%"): one format for zero, tiny and near-certain values everywhere in the report.
SMALLEST_PERCENT = 0.01


def _num(value: float, decimals: int | None) -> str:
    """A probability in percent, without the sign: exactly 0 is "0", exactly 100 "100", what
    would round to either says so ("<0.01", ">99.99"); ``decimals`` None: 3 significant
    digits, else that many decimals (2 significant digits below 1%)."""
    if value == 0 or value == 100:
        return f"{value:.0f}"
    if value < SMALLEST_PERCENT:
        return f"<{SMALLEST_PERCENT:g}"
    if value > 100 - SMALLEST_PERCENT:
        return f">{100 - SMALLEST_PERCENT:g}"
    if decimals is None:
        return f"{value:.3g}"
    if value < 1 and decimals < 2:
        return f"{value:.2g}"
    return f"{value:.{decimals}f}"


def _decimals(row: Mapping[str, Any]) -> int:
    half = 50 * (row["ci_high"] - row["ci_low"])  # half-width in percentage points
    return 0 if half >= 0.5 else 1 if half >= 0.05 else 2


def percent(row: Mapping[str, Any]) -> str:
    """``55.7%``, to the precision its interval supports."""
    if row.get("p") is None:
        return "n/a"
    return _num(100 * row["p"], _decimals(row)) + "%"


def interval(row: Mapping[str, Any]) -> str:
    """``55.0–56.4%``: the 95% Wilson interval."""
    if row.get("p") is None:
        return "n/a"
    d = _decimals(row)
    return f"{_num(100 * row['ci_low'], d)}–{_num(100 * row['ci_high'], d)}%"


def percent_cell(row: Mapping[str, Any]) -> str:
    """``55.7% (55.0–56.4%)``: the estimate and its interval."""
    return "n/a" if row.get("p") is None else f"{percent(row)} ({interval(row)})"


def share(p: float | None, decimals: int | None = None) -> str:
    """A probability without an interval, to 3 significant digits (``42.1%``) or to
    ``decimals`` decimals (figure labels: 0), in the one format for 0, tiny and ~1."""
    if p is None:
        return "—"
    return _num(100 * p, decimals) + "%"


def _scientific(value: float) -> tuple[float, int] | None:
    """(mantissa, exponent) of a number written with a power of ten: from 10^6, below 10^-3."""
    if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
        mantissa, exponent = f"{value:.2e}".split("e")
        return float(mantissa), int(exponent)
    return None


def number(value: Any, unit: str = "") -> str:
    """3 significant digits (whole numbers from 1000, separated); powers of ten from 10^6."""
    if value is None:
        return "—"
    value = float(value)
    if not math.isfinite(value):
        return "∞" if value > 0 else "—"
    scientific = _scientific(value)
    if scientific is not None:
        mantissa, exponent = scientific
        return f"{mantissa:g}·10{str(exponent).translate(_SUPERSCRIPT)}{unit}"
    if abs(value) >= 1000:
        return f"{value:,.0f}{unit}"
    return f"{value:.3g}{unit}"


def tex_number(value: float) -> str:
    """:func:`number` for a figure: the power of ten in mathtext (3$\\times$10$^{6}$)."""
    scientific = _scientific(value)
    if scientific is not None:
        mantissa, exponent = scientific
        return f"{mantissa:g}$\\times$10$^{{{exponent}}}$"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def fact(value: Any) -> str:
    """A value of the run facts: integers with thousands separated, other numbers by
    :func:`number`, anything else as text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,}" if isinstance(value, int) else number(value)


def sensitivity_index(value: float | None) -> str:
    """A sensitivity index to 3 decimals (``—`` where there is none)."""
    return "—" if value is None or not math.isfinite(value) else f"{value:.3f}"


def duration(years: float | None) -> str:
    """A time in years in the unit a reader would use."""
    if years is None:
        return "—"
    if years < 1 / 12:
        return f"{years * 365.25:.3g} days"
    if years < 2:
        return f"{years * 12:.3g} months"
    return f"{years:.3g} years"


#: Milestone quantiles come from bins 0.93% wide: a quantile within one bin of a cap is at it.
_AT_CAP = 1.01


def at_cap(years: float | None, cap: float | None) -> bool:
    """Whether a time to a milestone is at or past a ladder's phase cap (None: no cap)."""
    return years is not None and cap is not None and years * _AT_CAP >= cap


def phase_cap(summary: Mapping[str, Any]) -> float | None:
    """A ladder's phase cap in years, from a summary's settings (None: the model has none)."""
    return (summary.get("settings") or {}).get("phase_cap")


def cap_note(years: float | None, cap: float | None) -> str | None:
    """``not within the cap (1000 years)`` for a time to a milestone at or past ``cap``
    (:func:`at_cap`), else None: the one wording of the report, the notebook view, the
    console and the explorer."""
    return f"not within the cap ({cap:g} years)" if at_cap(years, cap) else None


def milestone_cap_notes(summary: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Per milestone, its times after the start (``q10``, ``q50``, ``q90``) and its phase's
    median (``phase_q50``) that are at the phase cap, each with :func:`cap_note`'s words: what
    the explorer shows in their place (the rule stays here, not in its script)."""
    cap = phase_cap(summary)
    notes: dict[str, dict[str, str]] = {}
    for name, entry in (summary.get("milestones") or {}).items():
        values = dict((entry.get("years_after_start") or {}).items())
        values["phase_q50"] = (entry.get("phase_years") or {}).get("q50")
        said = {k: note for k, v in values.items() if (note := cap_note(v, cap)) is not None}
        if said:
            notes[name] = said
    return notes


def milestone_duration(years: float | None, cap: float | None = None) -> str:
    """A time to a milestone as :func:`duration`; at or past ``cap`` (a ladder's phase cap,
    1000 years in AI 2027's code, where a phase that never ends is stopped) it is no
    duration: ``not within the cap (1000 years)``."""
    return cap_note(years, cap) or duration(years)


def calendar_date(year: float | None) -> str:
    """A decimal year as month and year (2027.69 -> Sep 2027)."""
    if year is None or not math.isfinite(year):
        return "not reached"
    whole = math.floor(year)
    month = min(int((year - whole) * 12), 11)
    return f"{_MONTHS[month]} {whole}"


def years_label(y: float) -> str:
    """``1 year``, ``3 years``."""
    return f"{y:g} year" + ("" if y == 1 else "s")


def months_label(w: float) -> str:
    """``1 month``, ``12 months``."""
    return f"{w:g} month" + ("" if w == 1 else "s")


def condition_line(condition: Mapping[str, Any]) -> str:
    """One sentence saying what a conditioned run kept (summary.json ``condition``)."""
    kept, excluded = condition["kept"], condition["excluded"]
    p = condition["p_condition"]
    prior = f"{p['p']:.3g} [{p['ci_low']:.3g}, {p['ci_high']:.3g}]" if p["p"] is not None else "-"
    parts = []
    if condition.get("not_before") is not None:
        parts.append(f"nothing dated before {condition['not_before']:g}")
    horizon = condition.get("horizon")
    if horizon:
        parts.append(
            f"a coding time horizon of {horizon['low_minutes']:g} to "
            f"{horizon['high_minutes']:g} minutes in {horizon['year']:g}"
        )
    return (
        f"Conditioned on {' and '.join(parts)}: "
        f"{kept:,} of {kept + excluded:,} finite draws kept (prior probability {prior}); "
        "every probability below is conditional on it"
    )

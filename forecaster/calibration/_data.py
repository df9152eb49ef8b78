"""Loading and validating the observation tables in ``data/``.

Every table is read as text and converted column by column, so a bad cell is reported with
its file, CSV line and column (a :class:`ConfigError`) instead of surfacing later as a NaN in
a posterior. The conversions from reported intervals to standard deviations live here too,
because all three models share them.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._errors import ConfigError
from .._files import read_text
from .._paths import data_dir as shipped_data_dir
from .._validate import number, positive

#: Days per year used for decimal years and for doubling times in days (Julian year).
DAYS_PER_YEAR = 365.25
_EPOCH = pd.Timestamp("2000-01-01")

#: Column kinds understood by :func:`read_table`; a trailing ``?`` allows an empty cell.
COLUMN_KINDS = ("str", "float", "bool", "date")


def resolve_data_dir(value: str | None) -> Path:
    """The directory to read observations from: ``value``, or the shipped ``data/`` if null."""
    if value is None or str(value) == "":
        return shipped_data_dir()
    path = Path(str(value)).expanduser()
    if not path.is_dir():
        raise ConfigError(
            "data_dir",
            str(value),
            "an existing directory of CSV files, or null "
            f"for the shipped data ({shipped_data_dir()})",
        )
    return path


def read_table(directory: Path, file_name: str, schema: Mapping[str, str]) -> pd.DataFrame:
    """Read ``directory/file_name`` and convert it to the column kinds of ``schema``.

    ``schema`` maps a required column to one of :data:`COLUMN_KINDS`, optionally suffixed with
    ``?`` where an empty cell is allowed (it becomes NaN / None). Extra columns are kept as
    text. Every row needs a non-empty ``source`` when the schema names one: figures without a
    source cannot be checked. Raises :class:`ConfigError` for a missing file, a missing column
    or a cell that does not convert.
    """
    path = Path(directory) / file_name
    if not path.exists():
        raise ConfigError(
            "model.data_file",
            str(path),
            f"an existing CSV file in data_dir (shipped data: {shipped_data_dir()})",
        )
    try:
        text = read_text(path, file_name, "an observation data file", follow=True)
        raw = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file_name}", str(path), f"a readable CSV file ({exc})") from exc
    raw.columns = [c.strip() for c in raw.columns]
    missing = [c for c in schema if c not in raw.columns]
    if missing:
        raise ConfigError(
            f"{file_name} columns",
            sorted(raw.columns),
            f"a header with the columns {list(schema)} (missing: {missing})",
        )
    if raw.empty:
        raise ConfigError(file_name, str(path), "at least one data row")
    table = raw.copy()
    for column, kind in schema.items():
        table[column] = [
            _convert(cell.strip(), kind, f"{file_name} line {i + 2} column {column}")
            for i, cell in enumerate(raw[column])
        ]
    return table


def _convert(cell: str, kind: str, field: str) -> object:
    """One cell converted to ``kind``; see :func:`read_table`."""
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if kind not in COLUMN_KINDS:
        raise ValueError(f"unknown column kind {kind!r}")
    if cell == "":
        if optional:
            return np.nan if kind == "float" else None
        raise ConfigError(field, cell, f"a non-empty {kind} value")
    if kind == "str":
        return cell
    if kind == "float":
        try:
            value = float(cell)
        except ValueError:
            raise ConfigError(field, cell, "a number") from None
        if not np.isfinite(value):
            raise ConfigError(field, cell, "a finite number")
        return value
    if kind == "bool":
        lowered = cell.lower()
        if lowered not in ("true", "false"):
            raise ConfigError(field, cell, "true or false")
        return lowered == "true"
    return parse_date(cell, field)


def parse_date(value: object, field: str) -> pd.Timestamp:
    """An ISO date ``YYYY-MM-DD`` as a timestamp, or :class:`ConfigError` naming ``field``."""
    if isinstance(value, date):
        return pd.Timestamp(value)
    try:
        return pd.Timestamp(date.fromisoformat(str(value)))
    except ValueError:
        raise ConfigError(field, value, "an ISO date YYYY-MM-DD") from None


def decimal_year(dates: pd.Series | pd.Timestamp) -> np.ndarray | float:
    """Dates as decimal years (2000 + Julian years since 2000-01-01), so 1/slope is in years."""
    days = (pd.to_datetime(dates) - _EPOCH) / pd.Timedelta(days=1)
    return 2000.0 + np.asarray(days, dtype=float) / DAYS_PER_YEAR


def z_of_level(level: np.ndarray | float) -> np.ndarray:
    """Half-width of a central interval of probability ``level`` in standard deviations."""
    return norm.ppf(0.5 + np.asarray(level, dtype=float) / 2.0)


def log_interval_sd(
    low: np.ndarray, high: np.ndarray, level: np.ndarray, default_sd: float, base: float = np.e
) -> np.ndarray:
    """Standard deviation on the log scale implied by a reported central interval.

    An interval (low, high) at probability ``level`` is read as a normal interval of
    ``log(value)``: sd = (log high - log low) / (2 z). The width averages any asymmetry of
    the interval. Rows with no interval (NaN) get ``default_sd``.
    """
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    has_interval = np.isfinite(low) & np.isfinite(high)
    with np.errstate(invalid="ignore", divide="ignore"):
        width = (np.log(high) - np.log(low)) / np.log(base)
        sd = width / (2.0 * z_of_level(level))
    return np.where(has_interval, sd, default_sd)


def check_interval(
    table: pd.DataFrame, file_name: str, value: str, low: str, high: str, level: str | None = None
) -> None:
    """Raise :class:`ConfigError` unless each row has a usable value and interval.

    Values and interval ends must be positive (they are logged) with 0 < low < high; an
    interval needs both ends or neither; a level, where the table has one, lies in (0, 1).
    """
    for i, row in enumerate(table.itertuples(index=False)):
        line = f"{file_name} line {i + 2}"
        v, lo, hi = getattr(row, value), getattr(row, low), getattr(row, high)
        positive(f"{line} column {value}", v)
        if np.isnan(lo) != np.isnan(hi):
            raise ConfigError(
                f"{line} columns {low},{high}", (lo, hi), "both ends of the interval, or neither"
            )
        if not np.isnan(lo) and not 0 < lo < hi:
            raise ConfigError(f"{line} columns {low},{high}", (lo, hi), f"0 < {low} < {high}")
        if level is not None:
            lev = getattr(row, level)
            if not np.isnan(lev):
                number(f"{line} column {level}", lev, 0.0, 1.0, allowed="a probability in (0, 1)")


def unique_labels(labels: list[str]) -> list[str]:
    """``labels`` with repeats suffixed ``#2``, ``#3``… so they can index a coordinate."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label}#{seen[label]}")
    return out

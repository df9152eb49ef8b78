"""Read what a report shows from a run or sweep directory (nothing is recomputed here).

A run directory holds ``summary.json`` (every table the report needs), ``config.yaml`` (the
run's validated config; ``.hydra/config.yaml`` for runs older than it) and ``draws.parquet``
(a capped per-draw sample, used only for a histogram labelled as a sample). A sweep
directory holds one run directory per job.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import ConfigError
from .._files import parse_json, parse_yaml, read_text

_ALLOWED = (
    "a forecast run directory (with summary.json), a sweep directory (with */summary.json) or "
    "a calibration run directory (with calibration.json)"
)
_POSTERIOR_PRIOR = re.compile(r"^posterior\(path=(?P<path>.*), variable=(?P<variable>[^,()]+)\)$")


@dataclasses.dataclass
class Calibration:
    """The calibration run a posterior file came from (files that are missing are None)."""

    directory: Path
    info: dict[str, Any] | None  # calibration.json
    summary_csv: Path | None  # posterior_summary.csv
    prior_posterior_png: Path | None


@dataclasses.dataclass
class PosteriorSource:
    """One parameter drawn from a saved posterior."""

    parameter: str
    path: str  # as recorded by the run
    variable: str
    draws: int | None
    resolved: Path | None  # the file, where it can be found now
    calibration: Calibration | None


@dataclasses.dataclass
class Run:
    path: Path
    summary: dict[str, Any]
    config_text: str | None
    config_file: str | None  # the file config_text came from, relative to the run directory
    config: dict[str, Any] | None
    overrides: list[str]
    peak_sample: np.ndarray | None  # peak speed-up of the draws.parquet sample
    posteriors: list[PosteriorSource]

    @property
    def scenario(self) -> str:
        return str(self.summary.get("scenario", "unknown"))

    @property
    def description(self) -> str | None:
        scenario = (self.config or {}).get("scenario")
        if isinstance(scenario, dict) and scenario.get("description"):
            return str(scenario["description"])
        return None


def quantile_row(
    quantiles: Sequence[Mapping[str, Any]],
    outcome: str,
    years: float | None = None,
    window_months: float | None = None,
) -> Mapping[str, Any] | None:
    """The row of a quantile table for ``outcome`` and one series: a progress level
    (``years``), a window (``window_months``) or, with neither, the outcome itself."""
    return next(
        (
            r
            for r in quantiles
            if r["outcome"] == outcome
            and r.get("years") == years
            and r.get("window_months") == window_months
        ),
        None,
    )


def directory_kind(path: Path) -> str:
    """``"run"`` or ``"sweep"``; ConfigError for anything else."""
    if not path.is_dir():
        raise ConfigError("report.path", str(path), _ALLOWED)
    if os.path.lexists(path / "summary.json"):  # a link or a FIFO is refused when read
        return "run"
    if os.path.lexists(path / "calibration.json"):
        return "calibration"
    if job_directories(path):
        return "sweep"
    raise ConfigError("report.path", str(path), _ALLOWED)


def is_sweep_directory(path: Path) -> bool:
    """A Hydra multirun directory (it keeps ``multirun.yaml``) with at least one finished job."""
    return (path / "multirun.yaml").is_file() and bool(job_directories(path))


def _natural_key(path: Path) -> list[Any]:
    """Job 10 after job 9: digit runs compare as numbers."""
    return [
        (1, int(part), "") if part.isdigit() else (0, 0, part)
        for part in re.split(r"(\d+)", path.as_posix())
    ]


def job_directories(sweep_dir: Path) -> list[Path]:
    """The finished jobs of a sweep, in job order: subdirectories with summary.json (or, in a
    Hydra multirun directory, also their subdirectories: a nested ``hydra.sweep.subdir``)."""
    found = list(sweep_dir.glob("*/summary.json"))
    if (sweep_dir / "multirun.yaml").is_file():
        found += sweep_dir.glob("*/*/summary.json")
    return sorted({p.parent for p in found}, key=lambda p: _natural_key(p.relative_to(sweep_dir)))


def sweep_of(run_dir: Path) -> Path | None:
    """The Hydra sweep directory a run belongs to (one or two levels up), if any."""
    for parent in list(run_dir.resolve().parents)[:2]:
        if is_sweep_directory(parent):
            return parent
    return None


_LARGEST = 1e300  # a number the report formats (a larger int cannot become a float)


def _is_number(value: Any) -> bool:
    """A finite number of a size the report can format, or null."""
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value) and abs(value) <= _LARGEST


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10**15


#: Columns that are probabilities (or their standard errors, fractions) wherever they occur.
_PROBABILITY = frozenset({"p", "se", "ci_low", "ci_high", "fraction_never"})
_COUNTS = frozenset({"count", "n"})


def _in_range(key: str, value: Any) -> bool:
    if key in _COUNTS:
        return value is None or _is_count(value)
    if key in _PROBABILITY:
        return value is None or (_is_number(value) and 0.0 <= value <= 1.0)
    return _is_number(value)


def _row(row: Any, text: tuple[str, ...]) -> bool:
    if not isinstance(row, dict):
        return False
    if not all(
        isinstance(v, str) or v is None if k in text else _in_range(k, v) for k, v in row.items()
    ):
        return False
    count, n = row.get("count"), row.get("n")
    return not (_is_count(count) and _is_count(n) and count > n)


def _rows(*text: str) -> Any:
    """A list of tables rows: every value a number (or null) in its range (probabilities in
    [0, 1], counts whole and >= 0, a count at most its n) but the ``text`` columns."""
    return lambda value: isinstance(value, list) and all(_row(row, text) for row in value)


def _flags(value: Any) -> bool:
    """Each flag: its probability, standard error and interval, in [0, 1]."""
    return isinstance(value, dict) and all(
        isinstance(v, dict)
        and all(_in_range(k if k in _PROBABILITY else "p", x) for k, x in v.items())
        for v in value.values()
    )


def _condition(value: Any) -> bool:
    """None (unconditioned) or the condition: its year, counts and prior probability."""
    if value is None:
        return True
    horizon = value.get("horizon") if isinstance(value, dict) else None
    return (
        isinstance(value, dict)
        and (value.get("not_before") is None or _is_number(value.get("not_before")))
        and (
            horizon is None
            or (
                isinstance(horizon, dict)
                and all(
                    _is_number(horizon.get(k)) for k in ("year", "low_minutes", "high_minutes")
                )  # fmt: skip
            )
        )
        and _is_count(value.get("kept"))
        and _is_count(value.get("excluded"))
        and _flags({"p_condition": value.get("p_condition")})
    )


def _mapping(values: Any) -> Any:
    return lambda value: isinstance(value, dict) and all(values(v) for v in value.values())


def _headline(value: Any) -> bool:
    """Numbers (or None), and ``kind``: one of the headline kinds."""
    if not isinstance(value, dict):
        return False
    numbers = all(_is_number(v) for k, v in value.items() if k != "kind")
    return numbers and value.get("kind", "progress") in ("progress", "milestones")


def _posterior_files(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, dict)
        and all(isinstance(item.get(k), str) for k in ("parameter", "path", "variable"))
        and (item.get("draws") is None or _is_number(item["draws"]))
        for item in value
    )


# What the report reads from summary.json, and the form it must have (a file is data: it is
# checked before a single table is drawn from it).
_SUMMARY: dict[str, tuple[bool, Any]] = {  # field -> (required, check)
    "scenario": (True, lambda v: isinstance(v, str)),
    "probabilities": (True, _rows()),
    "curve": (False, _rows()),
    "quantiles": (False, _rows("outcome", "series")),
    "flags": (False, _flags),
    "headline": (False, _headline),
    "model": (False, _mapping(lambda v: isinstance(v, str))),
    "sensitivity": (False, _rows("event", "parameter")),
    "fan": (False, _rows()),
    "calendar": (False, lambda v: v is None or isinstance(v, dict)),
    "condition": (False, _condition),
    "common": (False, lambda v: v is None or isinstance(v, dict)),
    "milestones": (False, lambda v: v is None or isinstance(v, dict)),
    "durations": (False, lambda v: v is None or isinstance(v, dict)),
    "priors": (False, _mapping(lambda v: isinstance(v, str))),
    "posterior_files": (False, _posterior_files),
    "settings": (False, lambda v: isinstance(v, dict)),
    "timing": (False, _mapping(_is_number)),
    "device": (False, _mapping(lambda v: isinstance(v, str | int))),
    "versions": (False, _mapping(lambda v: isinstance(v, str))),
    "shard": (False, lambda v: isinstance(v, dict)),
    "merged_from": (False, lambda v: isinstance(v, list) and all(isinstance(p, str) for p in v)),
    **{k: (False, _is_count) for k in ("n_draws", "draws_done", "non_finite", "finite_draws")},
    "seed": (False, lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "fingerprint": (False, lambda v: isinstance(v, str)),
}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        text = read_text(path, "report.path", "a forecast summary.json")
    except OSError as exc:
        raise ConfigError("report.path", str(path), f"a readable summary.json ({exc})") from None
    data = parse_json(text, "report.path", path, "summary.json")
    if not isinstance(data, dict):
        raise ConfigError("report.path", str(path), "a forecast summary.json (a JSON object)")
    for field, (required, check) in _SUMMARY.items():
        if field not in data and not required:
            continue
        if field not in data or not check(data[field]):
            raise ConfigError(
                "report.path",
                str(path),
                f"a forecast summary.json as forecaster writes it (its {field!r} is missing, "
                "malformed or out of range)",
            )
    done, total = data.get("draws_done"), data.get("n_draws")
    if _is_count(done) and _is_count(total) and done > total:
        raise ConfigError(
            "report.path", str(path), "a forecast summary.json whose draws_done is at most n_draws"
        )
    return data


_YAML_LIMIT = 1 << 20  # a run's config or Hydra file is a few KiB


def _read_yaml(path: Path) -> Any:
    """Plain YAML within its limits (depth, aliases, size); None where it cannot be read."""
    try:
        return parse_yaml(
            read_text(path, "report.path", "a YAML file", limit=_YAML_LIMIT),
            "report.path",
            path,
            "a YAML file",
        )
    except (OSError, ConfigError):
        return None


def load_run(path: Path) -> Run:
    """Everything a run's report shows."""
    summary_file = path / "summary.json"
    if not os.path.lexists(summary_file):
        raise ConfigError("report.path", str(path), _ALLOWED)
    summary = _read_json(summary_file)
    config_file = next(
        (f for f in (path / "config.yaml", path / ".hydra" / "config.yaml") if os.path.lexists(f)),
        None,
    )
    config_text = (
        read_text(config_file, "report.path", "a run's config", limit=_YAML_LIMIT)
        if config_file
        else None
    )
    config = _read_yaml(config_file) if config_file else None
    overrides = _read_yaml(path / ".hydra" / "overrides.yaml")
    return Run(
        path=path,
        summary=summary,
        config_text=config_text,
        config_file=str(config_file.relative_to(path)) if config_file else None,
        config=config if isinstance(config, dict) else None,
        overrides=[str(o) for o in overrides] if isinstance(overrides, list) else [],
        peak_sample=_peak_sample(path / "draws.parquet"),
        posteriors=load_posterior_sources(summary, path),
    )


def _peak_sample(path: Path) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        import pandas as pd

        values = pd.read_parquet(path, columns=["peak_speedup"])["peak_speedup"].to_numpy(float)
    except Exception:  # an old or foreign sample file: the histogram is optional
        return None
    return values


def _original_cwd(run_dir: Path) -> Path | None:
    hydra = _read_yaml(run_dir / ".hydra" / "hydra.yaml")
    try:
        return Path(hydra["hydra"]["runtime"]["cwd"])
    except (TypeError, KeyError):
        return None


def _resolve(path: str, run_dir: Path) -> Path | None:
    file = Path(path).expanduser()
    if file.is_absolute():
        return file if file.is_file() else None
    bases = [Path.cwd(), _original_cwd(run_dir), run_dir]
    for base in bases:
        if base is not None and (base / file).is_file():
            return (base / file).resolve()
    return None


def load_posterior_sources(summary: dict[str, Any], run_dir: Path) -> list[PosteriorSource]:
    """The posteriors a run drew from: ``posterior_files`` where recorded, else the priors."""
    entries: list[tuple[str, str, str, int | None]] = []
    recorded = summary.get("posterior_files")
    if isinstance(recorded, list) and recorded:
        for item in recorded:
            entries.append(
                (
                    str(item["parameter"]),
                    str(item["path"]),
                    str(item["variable"]),
                    item.get("draws"),
                )
            )
    else:
        for name, text in (summary.get("priors") or {}).items():
            match = _POSTERIOR_PRIOR.match(str(text))
            if match:
                entries.append((name, match["path"], match["variable"].strip(), None))
    sources = []
    for parameter, path, variable, draws in entries:
        resolved = _resolve(path, run_dir)
        sources.append(
            PosteriorSource(
                parameter=parameter,
                path=path,
                variable=variable,
                draws=draws,
                resolved=resolved,
                calibration=find_calibration(resolved.parent) if resolved else None,
            )
        )
    return sources


def find_calibration(directory: Path) -> Calibration | None:
    """The calibration run directory beside a posterior file, if it is one."""
    files = {
        name: directory / name
        for name in ("calibration.json", "posterior_summary.csv", "prior_posterior.png")
    }
    if not any(f.is_file() for f in files.values()):
        return None
    info = None
    if files["calibration.json"].is_file():
        try:
            text = read_text(files["calibration.json"], "report.path", "calibration.json")
            info = parse_json(text, "report.path", files["calibration.json"], "calibration.json")
        except (OSError, ValueError):  # ConfigError included: the section is optional
            info = None
    return Calibration(
        directory=directory,
        info=info if isinstance(info, dict) else None,
        summary_csv=files["posterior_summary.csv"]
        if files["posterior_summary.csv"].is_file()
        else None,
        prior_posterior_png=files["prior_posterior.png"]
        if files["prior_posterior.png"].is_file()
        else None,
    )

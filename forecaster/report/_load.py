"""Read what a report shows from a run or sweep directory (nothing is recomputed here).

A run directory holds ``summary.json`` (every table the report needs), ``config.yaml`` (the
run's validated config; ``.hydra/config.yaml`` for runs older than it) and ``draws.parquet``
(a capped per-draw sample, used only for a histogram labelled as a sample). A sweep
directory holds one run directory per job.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import ConfigError

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
    if (path / "summary.json").is_file():
        return "run"
    if (path / "calibration.json").is_file():
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


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _rows(*text: str) -> Any:
    """A list of tables rows: every value a number (or null) but the ``text`` columns."""

    def check(value: Any) -> bool:
        return isinstance(value, list) and all(
            isinstance(row, dict)
            and all(
                isinstance(v, str) or v is None if k in text else _is_number(v)
                for k, v in row.items()
            )
            for row in value
        )

    return check


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
    "flags": (False, _mapping(lambda v: isinstance(v, dict) and all(map(_is_number, v.values())))),
    "headline": (False, _headline),
    "model": (False, _mapping(lambda v: isinstance(v, str))),
    "sensitivity": (False, _rows("event", "parameter")),
    "fan": (False, _rows()),
    "calendar": (False, lambda v: v is None or isinstance(v, dict)),
    "milestones": (False, lambda v: v is None or isinstance(v, dict)),
    "priors": (False, _mapping(lambda v: isinstance(v, str))),
    "posterior_files": (False, _posterior_files),
    "settings": (False, lambda v: isinstance(v, dict)),
    "timing": (False, _mapping(_is_number)),
    "device": (False, _mapping(lambda v: isinstance(v, str | int))),
    "versions": (False, _mapping(lambda v: isinstance(v, str))),
    "shard": (False, lambda v: isinstance(v, dict)),
    "merged_from": (False, lambda v: isinstance(v, list) and all(isinstance(p, str) for p in v)),
    **{
        k: (False, lambda v: isinstance(v, int) and not isinstance(v, bool))
        for k in ("n_draws", "draws_done", "seed", "non_finite", "finite_draws")
    },
    "fingerprint": (False, lambda v: isinstance(v, str)),
}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError("report.path", str(path), f"a readable summary.json ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError("report.path", str(path), "a forecast summary.json (a JSON object)")
    for field, (required, check) in _SUMMARY.items():
        if field not in data and not required:
            continue
        if field not in data or not check(data[field]):
            raise ConfigError(
                "report.path",
                str(path),
                f"a forecast summary.json as forecaster writes it (its {field!r} is missing or "
                "malformed)",
            )
    return data


def _read_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None


def load_run(path: Path) -> Run:
    """Everything a run's report shows."""
    summary_file = path / "summary.json"
    if not summary_file.is_file():
        raise ConfigError("report.path", str(path), _ALLOWED)
    summary = _read_json(summary_file)
    config_file = next(
        (f for f in (path / "config.yaml", path / ".hydra" / "config.yaml") if f.is_file()), None
    )
    config_text = config_file.read_text() if config_file else None
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
            info = json.loads(files["calibration.json"].read_text())
        except (OSError, ValueError):
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

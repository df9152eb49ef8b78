"""``forecaster compare`` and :func:`forecaster.compare`: read (or run) several forecasts and
write their common outcomes side by side (:mod:`forecaster._compare` makes the tables).

A run is named by its directory, or by a preset to run here: ``<scenario>`` or
``<scenario>+<timelines stage>`` (``ai2027_takeoff+ai2027``), run with ``n_draws`` draws
into ``<out>/runs/<scenario>[+<stage>]`` (a finished one there is read back, not rerun).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import _validate as check
from ._compare import Comparison, compare_runs, write_comparison
from ._errors import ConfigError
from ._paths import conf_dir

DEFAULT_DRAWS = 100_000
USAGE = "compare <run dir or preset[+timelines]>... --out <dir> [--draws N] [--labels a,b,...]"


def _preset(item: str) -> tuple[str, str | None] | None:
    """``scenario[+timelines]`` when both are presets on disk, else None."""
    scenario, _, timelines = item.partition("+")
    names = {p.stem for p in (conf_dir() / "scenario").glob("*.yaml")}
    stages = {p.stem for p in (conf_dir() / "timelines").glob("*.yaml")}
    if scenario in names and (not timelines or timelines in stages):
        return scenario, timelines or None
    return None


def _resolve(item: Any, runs_dir: Path | None, n_draws: int, progress: bool) -> Path:
    """A run directory for ``item``: itself, a Forecast's, or a preset run here."""
    run_dir = getattr(item, "run_dir", None)
    if run_dir is not None:
        return Path(run_dir)
    text = str(item)
    if Path(text).is_dir():
        return Path(text)
    preset = _preset(text)
    if preset is None:
        allowed = "a run directory, or a preset to run: <scenario> or <scenario>+<timelines>"
        raise ConfigError("compare.runs", text, allowed)
    if runs_dir is None:
        raise ConfigError("compare.out", None, f"a directory to run preset {text} into")
    scenario, timelines = preset
    check.path_segment("compare.runs", text)
    target = runs_dir / text
    if (target / "summary.json").is_file():
        return target
    from ._forecasts import forecast

    overrides = [f"timelines={timelines}"] if timelines else []
    forecast(scenario, n_draws=n_draws, overrides=overrides, run_dir=target, progress=progress)
    return target


def compare(
    runs: Sequence[Any],
    labels: Sequence[str] | None = None,
    out: str | Path | None = None,
    n_draws: int = DEFAULT_DRAWS,
    progress: bool = True,
) -> Comparison:
    """The common outcomes of several forecasts side by side.

    Args:
        runs: run directories, :class:`~forecaster.Forecast` objects with a directory, or
            presets to run (``"decaying+metr_trend"``: a scenario and a timelines stage).
        labels: one per run (default: each scenario with its timelines stage).
        out: write compare.csv, differences.csv, cdf_*.csv, compare.json and the report
            (report.html, report.md) there; presets are run into ``<out>/runs/``.
        n_draws: draws of each preset run here.
        progress: show the runs' progress bars.

    Returns:
        a :class:`~forecaster._compare.Comparison`: ``outcomes`` and ``differences`` as
        DataFrames, ``table()`` wide, ``cdfs`` of the dates.

    Raises:
        ConfigError: a run that is neither a finished run directory nor a preset, fewer than
            two runs, labels that do not match.
    """
    n_draws = check.integer("compare.n_draws", n_draws, 1, 10**13)
    out_dir = None if out is None else Path(out)
    runs_dir = None if out_dir is None else out_dir / "runs"
    paths = [_resolve(item, runs_dir, n_draws, progress) for item in runs]
    comparison = compare_runs(paths, labels)
    if out_dir is not None:
        write_comparison(comparison, out_dir)
        write_compare_report(comparison, out_dir)
    return comparison


def write_compare_report(comparison: Comparison, out_dir: Path) -> Path:
    """report.html and report.md of a comparison in ``out_dir``."""
    from .report import _write_document
    from .report._compare_report import compare_document
    from .report._figures import style

    with style():
        document = compare_document(comparison)
    return _write_document(out_dir, document)


def _option(args: list[str], name: str) -> str | None:
    if name not in args:
        return None
    at = args.index(name)
    if at == len(args) - 1:
        raise ConfigError(name, None, f"a value after {name}: {USAGE}")
    value = args[at + 1]
    del args[at : at + 2]
    return value


def compare_main(args: list[str]) -> int:
    """``forecaster compare <run dir or preset>... --out <dir> [--draws N] [--labels ...]``."""
    args = list(args)
    out = _option(args, "--out")
    draws = _option(args, "--draws")
    labels = _option(args, "--labels")
    if out is None:
        raise ConfigError("--out", None, f"an output directory: {USAGE}")
    unknown = [a for a in args if a.startswith("--")]
    if unknown:
        raise ConfigError(unknown[0], None, "one of --out, --draws, --labels")
    n_draws = DEFAULT_DRAWS
    if draws is not None:
        n_draws = check.integer("--draws", int(draws) if draws.isdigit() else draws, 1, 10**13)
    names = None if labels is None else [x.strip() for x in labels.split(",")]
    comparison = compare(args, names, out, n_draws)
    table = comparison.table()
    print(f"{len(comparison.runs)} runs compared on {len(table)} outcomes")
    print(f"results: {out} (compare.csv, differences.csv, report.html)", file=sys.stdout)
    return 0

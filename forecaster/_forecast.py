"""A forecast job: validate the config, run the engine, write outputs and the report."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from ._config import plan_forecast
from ._engine import run_forecast
from ._outputs import print_headline, write_outputs


def run_forecast_job(cfg: Any, run_dir: Path) -> dict:
    """Everything ``forecaster forecast`` does after Hydra composed ``cfg``.

    Validation happens first: a bad value raises ConfigError before any work starts and
    before any file but Hydra's own is written.
    """
    plan = plan_forecast(cfg)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "summary.json").unlink(missing_ok=True)
    result = run_forecast(plan, run_dir, progress_bar=bool(cfg.output.progress_bar))
    summary = write_outputs(result, run_dir)
    print_headline(summary, run_dir)
    if cfg.output.report:
        _write_report(run_dir)
    return summary


def _write_report(run_dir: Path) -> None:
    try:
        from .report import write_report
    except ImportError:  # the report subsystem is optional at import time
        return
    write_report(run_dir)
    print(f"report: {run_dir / 'report.html'}", file=sys.stdout)

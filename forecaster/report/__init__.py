"""Reports of finished forecasts: ``report.html`` (self-contained) and ``report.md``.

``write_report(path)`` takes a run directory (it holds ``summary.json``) or a sweep directory
(one run directory per job) and writes, in that directory:

- ``report.html``: one file, figures embedded as base64 PNG data URIs, inline CSS, no scripts
  and no external resources, so it opens offline in any browser;
- ``report.md`` and the PNG files it references (``report_*.png``), beside it.

A run inside a Hydra sweep directory also refreshes the sweep's comparison report, so a
sweep whose jobs write reports (``output.report=true``) ends with one in the sweep directory.
Everything is read from the run's summary tables (streamed statistics of all draws); only the
peak speed-up histogram uses the capped per-draw sample (``draws.parquet``), labelled so.
See docs/REPORTS.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .._files import refuse_linked_directory, write_atomic
from ._load import directory_kind, job_directories, load_run, sweep_of

__all__ = ["write_report"]


def _write(directory: Path, name: str, content: bytes | str) -> None:
    """Write atomically, so a reader (or a parallel job) never sees half a file."""
    write_atomic(directory / name, content)


def _write_document(directory: Path, document) -> Path:
    from . import _html, _markdown

    for image in document.images():
        _write(directory, f"{image.name}.png", image.png)
    _write(directory, "report.md", _markdown.render(document))
    _write(directory, "report.html", _html.render(document))
    return directory / "report.html"


def write_run_report(run_dir: Path) -> Path:
    """The report of one forecast run; returns the path of report.html."""
    from ._figures import style
    from ._run_report import run_document

    run = load_run(run_dir)
    with style():
        document = run_document(run)
    return _write_document(run_dir, document)


def write_sweep_report(sweep_dir: Path) -> Path:
    """The comparison report of a sweep's finished jobs; returns the path of report.html."""
    from ._figures import style
    from ._sweep_report import sweep_document

    runs = [load_run(job) for job in job_directories(sweep_dir)]
    with style():
        document = sweep_document(sweep_dir, runs)
    return _write_document(sweep_dir, document)


def write_calibration_report(directory: Path) -> Path:
    """The report of a calibration run; returns the path of report.html."""
    from ._calibration_report import calibration_document

    return _write_document(directory, calibration_document(directory))


def write_report(path: Path) -> Path:
    """Write report.html and report.md for a run or sweep directory; returns report.html.

    Raises ConfigError when ``path`` is neither (no summary.json in it or its subdirectories).
    """
    path = Path(path).expanduser()
    refuse_linked_directory(path, "report.path")
    kind = directory_kind(path)
    if kind == "sweep":
        return write_sweep_report(path)
    if kind == "calibration":
        return write_calibration_report(path)
    html = write_run_report(path)
    parent = sweep_of(path)
    if parent is not None:
        try:
            write_sweep_report(parent)
        except Exception as exc:  # the job's own report is written; the comparison can wait
            print(f"warning: could not update the sweep report in {parent}: {exc}", file=sys.stderr)
    return html

"""The report of a calibration run (``forecaster report <calibration dir>``): its status, the
override that uses its posterior in a forecast, diagnostics, posterior quantiles, the data
fitted (with sources) and its plots. Everything is read from the run's files, checked first.
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import pandas as pd

from .._errors import ConfigError
from .._files import parse_json, read_text
from ..calibration._report import forecast_override, loo_line
from ._document import Bullets, Code, Document, Image, Section, Table, Text, code, literal

_REQUIRED = {
    "model": str,
    "description": str,
    "n_observations": int,
    "converged": bool,
    "forecast_variable": str,
    "posterior_path": str,
    "diagnostics": dict,
    "quantiles": dict,
}


def read_calibration(directory: Path) -> dict[str, Any]:
    """``calibration.json``, checked to have what the report reads.

    Raises:
        ConfigError: unreadable, or a field missing or of the wrong type (named).
    """
    file = directory / "calibration.json"
    try:
        text = read_text(file, "report.path", "a calibration.json")
    except OSError as err:
        raise ConfigError(
            "report.path", str(file), f"a readable calibration.json ({err})"
        ) from None
    info = parse_json(text, "report.path", file, "calibration.json")
    if not isinstance(info, dict):
        raise ConfigError("report.path", str(file), "a calibration.json (a JSON object)")
    for key, kind in _REQUIRED.items():
        if not isinstance(info.get(key), kind):
            raise ConfigError(
                "report.path", str(file), f"a calibration.json with {key!r} ({kind.__name__})"
            )
    diag = info["diagnostics"]
    if not isinstance(diag.get("variables"), dict) or not isinstance(diag.get("failures"), list):
        raise ConfigError("report.path", str(file), "a calibration.json with its diagnostics")
    return info


def _fixed(value: Any, digits: int) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}"


def _k_verdict(k: Any, thresholds: dict[str, Any]) -> str:
    if not isinstance(k, int | float) or isinstance(k, bool) or not math.isfinite(k):
        return "—"
    if k > thresholds.get("bad", 0.7):
        return "unreliable"
    return "ok" if k > thresholds.get("ok", 0.5) else "good"


def calibration_document(directory: Path) -> Document:
    info = read_calibration(directory)
    diag = info["diagnostics"]
    status = "converged" if info["converged"] else "**did not converge**"
    lead = Text(
        f"Calibration {code(info['model'])} ({literal(info['description'])}): "
        f"{info['n_observations']} observations, {literal(diag.get('num_chains', '?'))} chains × "
        f"{literal(diag.get('num_draws', '?'))} draws (NUTS), {status}.",
        "lead",
    )
    status_blocks: list[Any] = [lead]
    if diag["failures"]:
        status_blocks.append(Bullets([f"failed: {literal(f)}" for f in diag["failures"]]))
    status_blocks.append(
        Code(forecast_override(info), "Use this posterior in a forecast (the override)")
    )
    rows = [
        [code(name), _fixed(d.get("r_hat"), 3), _fixed(d.get("ess_bulk"), 0),
         _fixed(d.get("ess_tail"), 0)]
        for name, d in diag["variables"].items()
        if isinstance(d, dict)
    ]  # fmt: skip
    bfmi = ", ".join(_fixed(b, 2) for b in diag.get("bfmi", []))
    diagnostics = [
        Table(
            ["variable", "R-hat", "bulk ESS", "tail ESS"],
            rows,
            "Worst element per variable (ArviZ: rank-normalised split R-hat).",
        ),  # fmt: skip
        Text(
            f"Divergent transitions: {literal(diag.get('divergences', '?'))}. "
            f"Energy BFMI per chain: {literal(bfmi or '—')}."
        ),
    ]
    loo = info.get("loo")
    if isinstance(loo, dict) and isinstance(loo.get("pareto_k"), dict):
        diagnostics.append(Text(literal(loo_line(loo))))
        diagnostics.append(
            Table(
                ["observation", "Pareto k", "LOO"],
                [
                    [literal(name), _fixed(k, 2), _k_verdict(k, loo.get("thresholds") or {})]
                    for name, k in loo["pareto_k"].items()
                ],
                "PSIS-LOO per observation (ArviZ): k above 0.7 means the leave-one-out "
                "estimate is unreliable for it (the point sways the fit).",
            )
        )
    keys = ("mean", "q05", "q50", "q95")
    quantiles = Table(
        ["quantity", *keys],
        [
            [code(name), *[_fixed(q.get(k), 4) if isinstance(q, dict) else "—" for k in keys]]
            for name, q in info["quantiles"].items()
        ],
        "Posterior quantiles of the key quantities (calibration.json).",
    )
    sections = [
        Section("status", "Status", status_blocks),
        Section("diagnostics", "Diagnostics", diagnostics),
        Section("posterior", "Posterior", [quantiles]),
    ]
    data = directory / "data_used.csv"
    if data.is_file():
        table = read_text(data, "report.path", "data_used.csv")
        frame = pd.read_csv(io.StringIO(table), dtype=str, keep_default_na=False).head(40)
        sections.append(
            Section(
                "data",
                "Data fitted",
                [
                    Table(
                        list(map(literal, frame.columns)),
                        [[literal(v) for v in row] for row in frame.itertuples(index=False)],
                        "The rows the model fitted, with their sources (data_used.csv).",
                    )
                ],
            )
        )
    plots = [p for p in info.get("plots", []) if isinstance(p, str)]
    images = []
    for name in plots:
        file = directory / Path(name).name  # a file name in the run directory, never a path
        if file.suffix == ".png" and file.is_file():
            images.append(
                Image(f"report_calibration_{file.stem}", file.stem.replace("_", " "),
                      f"From the calibration run ({literal(file.name)}).", file.read_bytes())
            )  # fmt: skip
    if images:
        sections.append(Section("plots", "Plots", images))
    return Document(
        f"Calibration: {info['model']}",
        f"Run directory {code(directory.resolve())}",
        sections,
    )

"""What a calibration run says: posterior quantiles, calibration.json, calibration.md, stdout.

Everything here formats results computed elsewhere (ArviZ diagnostics and summary, the
posterior draws); nothing is estimated here.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .._files import write_atomic

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def quantiles(posterior: xr.Dataset, names: list[str]) -> dict[str, dict[str, float | None]]:
    """Mean, sd and :data:`QUANTILES` of each scalar element of ``names`` over all draws.

    Non-finite draws (a threshold that is never reached) are left out of mean and sd and
    counted in ``finite_fraction``; quantiles use all draws (an infinite one sorts last).
    """
    out: dict[str, dict[str, float | None]] = {}
    for name in names:
        var = posterior[name]
        extra = [d for d in var.dims if d not in ("chain", "draw")]
        flat = var.stack(_s=("chain", "draw")).transpose(*extra, "_s")
        labels = [name] if not extra else [f"{name}[{label}]" for label in flat[extra[0]].values]
        values = flat.values.reshape(len(labels), -1)
        for label, draws in zip(labels, values, strict=True):
            finite = draws[np.isfinite(draws)]
            entry: dict[str, float | None] = {
                f"q{round(q * 100):02d}": float(np.quantile(draws, q)) for q in QUANTILES
            }
            entry["mean"] = float(finite.mean()) if finite.size else None
            entry["sd"] = float(finite.std()) if finite.size else None
            if finite.size < draws.size:
                entry["finite_fraction"] = finite.size / draws.size
            out[label] = entry
    return out


def jsonable(value: Any) -> Any:
    """``value`` with non-finite floats as None and numpy scalars as Python ones (strict JSON)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(result: Mapping[str, Any], path: Path) -> None:
    """Write ``result`` as strict JSON (NaN/inf as null)."""
    write_atomic(path, json.dumps(jsonable(result), indent=2, allow_nan=False) + "\n")


def _fmt(value: Any) -> str:
    """A table cell: numbers to 4 significant digits, None/NaN as an em dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float | np.floating):
        return _number(value)
    return str(value)


def _number(value: float) -> str:
    """4 significant digits; large numbers in full (whole, or 2 decimals for decimal years)."""
    if not math.isfinite(value) or abs(value) < 1000:
        return f"{value:.4g}"
    return f"{value:.0f}" if value == round(value) else f"{value:.2f}"


def markdown_table(frame: pd.DataFrame) -> str:
    """``frame`` (index included) as a GitHub Markdown table, numbers formatted by ``_fmt``."""
    return frame.map(_fmt).to_markdown(disable_numparse=True)


def diagnostics_frame(diagnostics: Mapping[str, Any]) -> pd.DataFrame:
    """Per-variable R-hat and ESS (worst element) as a table."""
    frame = pd.DataFrame(diagnostics["variables"]).T[["r_hat", "ess_bulk", "ess_tail"]]
    return frame.astype(float).round({"r_hat": 4, "ess_bulk": 0, "ess_tail": 0})


def quantiles_frame(quants: Mapping[str, Mapping[str, float | None]]) -> pd.DataFrame:
    """Quantiles of the key quantities as a table."""
    frame = pd.DataFrame(quants).T
    return frame[[c for c in ("mean", "q05", "q50", "q95", "finite_fraction") if c in frame]]


@dataclass(frozen=True)
class ForecastUse:
    """Where a forecast-ready posterior variable goes in ``forecaster forecast``.

    ``setting``: the prior it replaces; ``presets``: the config-group choices that setting
    needs (``timelines.params.*`` exists only once a timelines stage is chosen).
    """

    setting: str
    presets: tuple[str, ...] = ()


#: The one table of how each calibration model's forecast variable enters a forecast: the
#: printed hint, calibration.md and the report are built from it (:func:`forecast_command`).
FORECAST_USE = {
    "r_new": ForecastUse("scenario.params.r0"),
    "r": ForecastUse("scenario.params.r0"),
    "r_software": ForecastUse("scenario.params.r0"),
    "doubling_time_days": ForecastUse(
        "timelines.params.doubling_time_days", ("timelines=metr_trend",)
    ),
}


def forecast_override(result: Mapping[str, Any]) -> str:
    """The command-line overrides, shell-quoted, that draw a forecast parameter from this
    posterior: the presets the setting needs, then the setting itself. Pasted after
    ``forecaster forecast`` they run as printed (tests/test_calibration_handoff.py)."""
    variable = result["forecast_variable"]
    use = FORECAST_USE.get(variable, ForecastUse("scenario.params.<parameter>"))
    prior = f'{use.setting}="posterior(path={result["posterior_path"]}, variable={variable})"'
    return " ".join([*use.presets, shlex.quote(prior)])


def forecast_command(result: Mapping[str, Any]) -> str:
    """The complete ``forecaster forecast`` command that uses this posterior."""
    return f"forecaster forecast {forecast_override(result)}"


def loo_line(loo: Mapping[str, Any]) -> str:
    """PSIS-LOO in one line, naming the observations whose Pareto k says it is unreliable."""
    text = f"LOO: elpd {loo['elpd_loo']:.2f} (SE {loo['se']:.2f}), p_loo {loo['p_loo']:.2f}; "
    bad, ok = loo["bad"], loo["ok"]
    if bad:
        text += (
            f"Pareto k > {loo['thresholds']['bad']} for {len(bad)} of {len(loo['pareto_k'])} "
            f"observations ({', '.join(bad)}): LOO is unreliable for them (influential points)"
        )
    else:
        text += f"every Pareto k <= {loo['thresholds']['bad']}"
    if ok:
        text += f"; k in ({loo['thresholds']['ok']}, {loo['thresholds']['bad']}]: {', '.join(ok)}"
    return text


def console_summary(result: Mapping[str, Any]) -> str:
    """The short human summary printed at the end of a run."""
    diag = result["diagnostics"]
    status = "converged" if result["converged"] else "NOT CONVERGED"
    lines = [
        f"calibration {result['model']}: {result['n_observations']} observations, "
        f"{diag['num_chains']} chains x {diag['num_draws']} draws, {status} "
        f"(max R-hat {diag['r_hat_max']:.4f}, min bulk ESS {diag['ess_bulk_min']:.0f}, "
        f"min tail ESS {diag['ess_tail_min']:.0f}, {diag['divergences']} divergences, "
        f"min BFMI {diag.get('bfmi_min', float('nan')):.2f})",
        diagnostics_frame(diag).to_string(float_format=_number),
        "posterior (key quantities):",
        quantiles_frame(result["quantiles"]).to_string(float_format=_number),
        f"use it in a forecast: {forecast_command(result)}",
    ]
    loo = result.get("loo")
    if loo:
        lines.append(loo_line(loo))
    lines += [f"  ! {failure}" for failure in diag["failures"]]
    return "\n".join(lines)


def write_markdown(result: Mapping[str, Any], plots: Mapping[str, str], path: Path) -> None:
    """``calibration.md``: status, data used, diagnostics, key quantiles and the plots."""
    diag = result["diagnostics"]
    status = (
        "converged" if result["converged"] else "**NOT CONVERGED**: " + "; ".join(diag["failures"])
    )
    info_rows = pd.DataFrame(
        {
            "value": {
                k: (", ".join(map(str, v)) if isinstance(v, list) else v)
                for k, v in result["data"].items()
            }
        }
    )
    parts = [
        f"# Calibration: `{result['model']}`",
        "",
        f"{result['description']}. {result['n_observations']} observations; "
        f"{diag['num_chains']} chains × {diag['num_draws']} draws (NUTS). Status: {status}.",
        "",
        "## Data",
        "",
        markdown_table(info_rows),
        "",
        "## Diagnostics (ArviZ; worst element per variable)",
        "",
        f"Thresholds: R-hat ≤ {diag['thresholds']['r_hat_max']}, bulk ESS ≥ "
        f"{diag['thresholds']['ess_bulk_min']:g}, tail ESS ≥ "
        f"{diag['thresholds']['ess_tail_min']:g}, divergences ≤ "
        f"{diag['thresholds']['max_divergences']}, BFMI ≥ 0.3. Divergences: "
        f"{diag['divergences']}; BFMI per chain: "
        f"{', '.join(f'{b:.2f}' for b in diag.get('bfmi', []))}.",
        "",
        markdown_table(diagnostics_frame(diag)),
        "",
        *([loo_line(result["loo"]), ""] if result.get("loo") else []),
        "## Posterior (key quantities)",
        "",
        markdown_table(quantiles_frame(result["quantiles"])),
        "",
        "Full summary: [posterior_summary.csv](posterior_summary.csv). Draws: "
        "[posterior.nc](posterior.nc) (ArviZ InferenceData). Use it in a forecast:",
        "",
        "```bash",
        forecast_command(result),
        "```",
    ]
    if plots:
        parts += ["", "## Plots", ""]
        for title, file_name in plots.items():
            parts += [f"### {title}", "", f"![{title}]({file_name})", ""]
    write_atomic(path, "\n".join(parts).rstrip() + "\n")

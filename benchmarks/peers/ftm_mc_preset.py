"""Epoch's FTM Monte Carlo as a forecaster preset: ``conf/scenario/epoch_ftm_2023.yaml`` and
the Cotra table it draws from, ``data/epoch_ftm_cotra_2022.csv``, written from their inputs
as rebuilt in ``benchmarks/results/peers/ftm_mc_inputs.json`` (``benchmarks.peers.ftm_mc``).

    python -m benchmarks.peers.ftm_mc_preset [--candidates 64]

What their sampler (``TakeoffParamsDist`` of ``ftm/stats/distributions.py``, as their
``mc_analysis.py`` builds it) draws, and how the preset draws the same:

- Every parameter with a Conservative and an Aggressive value (and a type other than
  ``delta``) is their ``SkewedLogUniform(conservative, best guess, aggressive, kind=type)``:
  here ``skewed_log_uniform`` with ``low``, ``med``, ``high`` and ``transform`` the same
  numbers. Every other parameter is fixed at its best guess (their ``PointDistribution``).
- ``full_automation_requirements_training`` is their ``AjeyaDistribution``: quantile
  10 ** interp(u, p, log10 FLOP) of Cotra's table: here ``piecewise_log_uniform`` of the
  table (from its last row of probability 0 on; the rows before it are never drawn).
- Their rank correlations: each nonzero cell between two drawn parameters, times the two
  parameters' directions (+1 where the conservative value is below the aggressive one),
  minus their 1e-6 (``process_correlations``), through the same Gaussian copula (Pearson
  2 sin(pi rho / 6)).
- Their rejections (``resampling_method='all_but_training_requirements'``): a training
  requirement is redrawn until it is admissible (``sample_is_admissible``: with every
  other parameter at the bottom of its range, ``marginal.a``, no goods task and at most 5%
  of R&D tasks automatable in 2022). That is a bound below which it is never drawn, found
  here by bisection with forecaster's model and written as ``above`` (the copula sees the
  restricted score, as their conditional sampling does). The other parameters are then
  redrawn, given the requirement, until the draw is good (``sample_is_good``: the same test
  with the draw's own values): ``resample`` with ``keep`` the requirement (the first drawn
  parameter, so the copula's conditional is a fresh draw of the rest) and ``candidates``
  tries per draw (theirs: as many as it takes; a draw out of tries is counted non-finite).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ROOT / "benchmarks" / "results" / "peers" / "ftm_mc_inputs.json"
PRESET = ROOT / "conf" / "scenario" / "epoch_ftm_2023.yaml"
TABLE_NAME = "epoch_ftm_cotra_2022"
TABLE = ROOT / "data" / f"{TABLE_NAME}.csv"
TRAINING = "full_automation_requirements_training"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: float) -> str:
    """A YAML float (with a dot before any exponent, so every YAML reader takes it as one)."""
    text = repr(float(value))
    if "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return text


def drawn(parameters: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Their marginals that are drawn: name -> its row (their get_marginals' rule)."""
    return {
        name: row
        for name, row in parameters.items()
        if not _missing(row["conservative"])
        and not _missing(row["aggressive"])
        and row["type"] != "delta"
    }


def correlations(inputs: dict[str, Any]) -> list[tuple[str, str, float]]:
    """Their ``process_correlations``: (left, right, rank) for each nonzero cell between two
    drawn parameters, signed by the directions, minus 1e-6."""
    rows = drawn(inputs["parameters"])
    direction = {n: 1 if r["conservative"] < r["aggressive"] else -1 for n, r in rows.items()}
    out = []
    for row, column, value in inputs["rank_correlations"]["entries"]:
        if _missing(value) or value == 0 or row not in rows or column not in rows:
            continue
        out.append((row, column, value * direction[row] * direction[column] - 1e-6))
    return out


def favourable(parameters: dict[str, Any]) -> dict[str, float]:
    """Their ``sample_is_admissible``'s parameters: each marginal's ``a`` (the bottom of a
    drawn parameter's range, the value of a fixed one)."""
    rows = drawn(parameters)
    return {
        name: min(row["conservative"], row["aggressive"]) if name in rows else row["best_guess"]
        for name, row in parameters.items()
    }


def admissible_bound(parameters: dict[str, Any], goods: float, rnd: float) -> float:
    """The least training requirement their ``sample_is_admissible`` accepts, by bisection
    in log10 with forecaster's model (admissibility only grows with the requirement)."""
    import jax
    import jax.numpy as jnp

    from forecaster.models.epoch_ftm import _dynamics as dyn
    from forecaster.models.epoch_ftm._model import T_STEP

    jax.config.update("jax_enable_x64", True)
    base = favourable(parameters)

    def ok(log10_requirement: float) -> bool:
        values = {**base, TRAINING: 10.0**log10_requirement}
        p = dyn.Params(**{n: jnp.asarray(float(values[n])) for n in dyn.Params._fields})
        g, r = dyn.automatable_at_start(p, T_STEP)
        return bool((g <= goods) & (r <= rnd))

    low, high = 20.0, 100.0
    assert not ok(low) and ok(high)
    for _ in range(80):
        mid = 0.5 * (low + high)
        low, high = (low, mid) if ok(mid) else (mid, high)
    return 10.0**high


def write(candidates: int) -> None:
    inputs = json.loads(INPUTS.read_text())
    parameters = inputs["parameters"]
    rows = inputs["cotra_training_flop_cdf"]["rows"]
    last_zero = max(i for i, (_, p) in enumerate(rows) if p == 0)
    table = rows[last_zero:]
    source = (
        '"Epoch FTM Monte Carlo report, website/src/reports.html@1cccff1 '
        '(github.com/epoch-research/ftm), ajeya-modal table"'
    )
    TABLE.write_text(
        "value,cdf,source\n"
        + "".join(f"{repr(10.0**v)},{repr(float(p))},{source}\n" for v, p in table)
    )
    bound = admissible_bound(parameters, goods=0.0, rnd=0.05)
    lines = [
        "# Epoch's Full Takeoff Model (Davidson 2023) with their Monte Carlo's distributions, as",
        "# rebuilt from their repository's history (benchmarks/results/peers/ftm_mc_inputs.json:",
        "# the values of their site's presets, the types of their Aug 2022 report, the rank",
        "# correlations and Cotra's training-requirements CDF of their Dec 2022 report) and drawn",
        "# as their sampler draws them. Written by `python -m benchmarks.peers.ftm_mc_preset`",
        "# (its docstring says how each of their rules is drawn here); do not edit by hand.",
        "defaults:",
        "  - /scenario_schema/epoch_ftm@_here_   # its model: forecaster/models/epoch_ftm",
        "  - _self_",
        "name: epoch_ftm_2023",
        "model: epoch_ftm",
        "description: Epoch's Full Takeoff Model (2023), their Monte Carlo's distributions",
        "start_year: 2022.0",
        "end_year: 2100.0",
        f"resample: {{candidates: {candidates}, keep: [{TRAINING}]}}",
        "accept_automatable_goods: 0.0",
        "accept_automatable_rnd: 0.05",
        "params:",
        f"  {TRAINING}: {{dist: piecewise_log_uniform, table: {TABLE_NAME}, "
        f"above: {_number(bound)}}}",
    ]
    marginals = drawn(parameters)
    for name in inputs["parameter_order"]:
        row = parameters[name]
        if name == TRAINING:
            continue
        if name in marginals:
            low, med, high = (_number(row[k]) for k in ("conservative", "best_guess", "aggressive"))
            kind = row["type"] or "pos"
            lines.append(f"  {name}: {{dist: skewed_log_uniform, low: {low}, med: {med}, "
                         f"high: {high}, transform: {kind}}}")  # fmt: skip
        else:
            lines.append(f"  {name}: {_number(row['best_guess'])}")
    lines.append("correlations:")
    for left, right, rank in correlations(inputs):
        lines.append(f"  - {{params: [{left}, {right}], rank: {rank!r}}}")
    PRESET.write_text("\n".join(lines) + "\n")
    print(f"wrote {PRESET.relative_to(ROOT)} (training requirement above {bound:.6g} FLOP) "
          f"and {TABLE.relative_to(ROOT)} ({len(table)} rows)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=64)
    write(parser.parse_args().candidates)


if __name__ == "__main__":
    main()

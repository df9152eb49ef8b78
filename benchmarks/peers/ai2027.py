"""AI 2027 (Kokotajlo, Lifland, Larsen, Dean et al., 2025): their takeoff and timelines code.

    python -m benchmarks.peers.ai2027 --repo <checkout of
        github.com/uvafan/timelines-takeoff-ai-2027> [--draws 5000] [--seed 0]
        [--only takeoff,timelines_april2025,timelines_may2025]

Runs three models of their repository as published, each after ``np.random.seed(seed)``
(their code draws from NumPy's global generator, scipy's ``rvs`` included), at their
default ``n_sims`` of 5000 draws:

``takeoff``
    ``takeoff/forecasting_takeoff.py`` with ``takeoff/params.yaml``: their ``load_config``,
    ``get_milestone_samples(config, n)`` and ``run_single_simulation_with_tracking(samples, i)``
    for every draw (what ``run_takeoff_simulation`` does, without its plots). Their phases
    are stepped one calendar day at a time and return whole days, and a milestone's date is
    ``start + Timedelta(days)``; so the calendar span from SC (their ``starting_time``,
    March 31 2027) to a milestone is ``(date - start).days``, written as integer days and
    as years of 365.25 days (their own box plot divides by 365.0: multiply by 365.25/365 to
    get theirs). The human-only gaps they draw are in years of 365 days (they multiply by
    365 to get days and divide by 365 to get years back), so ``gap_*_years`` is
    ``samples['time_gaps'][pair] / 365``: exactly the years they sampled.
``timelines_april2025``
    ``timelines/simple_forecasting_timelines.py`` with ``timelines/simple_params.yaml``,
    forecaster ``eli`` (the only one enabled): ``get_distribution_samples(forecaster_config,
    n)`` and ``calculate_sc_arrival_year_with_trajectories(...)`` with their simulation
    parameters, the calls of their ``run_simple_sc_simulation`` (the trajectories are
    dropped; the SC years are checked equal to their ``calculate_sc_arrival_year``'s).
``timelines_may2025``
    ``timelines_may_2025_update/simple_forecasting_timelines.py`` with its
    ``simple_params.yaml``, forecaster ``eli`` only (a second one,
    ``eli_no_superexponential_or_progress_multiplier``, is enabled there and runs after it
    in their pipeline, so ``eli``'s draws are those of their seeded pipeline):
    ``get_distribution_samples`` and ``calculate_sc_arrival_year(...)`` as their
    ``run_simple_sc_simulation`` calls them. That code reads the clock (``datetime.now()``);
    "now" is pinned to 2025-05-08 by replacing the module's ``datetime`` with a subclass.

The only things supplied are a stand-in for ``tqdm`` (a pass-through iterator), the Agg
matplotlib backend and that pinned clock; their printed diagnostics are captured and
dropped. Writes ``benchmarks/results/peers/ai2027.csv`` (one row per model, quantity and
statistic: ``q5`` ... ``q95`` by ``np.percentile``, ``p_within_Y`` = share of draws with
years <= Y, ``p_before_Y`` = share with SC year < Y, ``p_zero``, ``p_at_cap`` and ``n``),
``ai2027_draws.csv.gz`` (every draw: model, draw and the quantities, 6 significant digits,
SC years 10, day counts exact) and ``ai2027.json`` (their commit, the seed, draws, seconds
per model, the pinned date and versions).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import sys
import time
import types
from datetime import datetime
from pathlib import Path
from typing import Any

from . import commit_of

RESULTS = Path(__file__).resolve().parents[1] / "results" / "peers"
REPOSITORY = "https://github.com/uvafan/timelines-takeoff-ai-2027"
MODELS = ("takeoff", "timelines_april2025", "timelines_may2025")
FILES = {
    "takeoff": ("takeoff/forecasting_takeoff.py", "takeoff/params.yaml"),
    "timelines_april2025": (
        "timelines/simple_forecasting_timelines.py",
        "timelines/simple_params.yaml",
    ),
    "timelines_may2025": (
        "timelines_may_2025_update/simple_forecasting_timelines.py",
        "timelines_may_2025_update/simple_params.yaml",
    ),
}
FUNCTIONS = {
    "takeoff": "get_milestone_samples, run_single_simulation_with_tracking",
    "timelines_april2025": "get_distribution_samples, calculate_sc_arrival_year_with_trajectories",
    "timelines_may2025": "get_distribution_samples, calculate_sc_arrival_year",
}
FORECASTER = "eli"
PINNED_NOW = datetime(2025, 5, 8)
LEVELS = (5, 10, 25, 50, 75, 90, 95)
WITHIN_YEARS = (0.25, 0.5, 1, 2, 5)
BEFORE_YEARS = (2026, 2027, 2028, 2029, 2030, 2031, 2035, 2040, 2050)
MILESTONES = ("SAR", "SIAR", "ASI")
PAIRS = ("SC to SAR", "SAR to SIAR", "SIAR to ASI")
DAYS_PER_YEAR = 365.25  # calendar spans: days / 365.25
THEIR_GAP_YEAR_DAYS = 365  # their human-only gaps: years * 365 days
TAKEOFF_PHASE_CAP_DAYS = 365 * 1000  # their run_phase_simulation's MAX_CALENDAR_DAYS
DRAWS_DIGITS = {"SC_year": 10}  # significant digits in the draws file (6 for the rest)


def gap_name(pair: str) -> str:
    return "gap_" + pair.replace(" to ", "_to_") + "_years"


def _tqdm_stand_in() -> types.ModuleType:
    """A ``tqdm`` module whose ``tqdm`` iterates what it is given and draws nothing."""

    class _Tqdm:
        def __init__(self, iterable: Any = None, *args: Any, **kwargs: Any) -> None:
            self.iterable = iterable

        def __iter__(self) -> Any:
            return iter(self.iterable)

        def __enter__(self) -> _Tqdm:
            return self

        def __exit__(self, *exc: Any) -> bool:
            return False

        def update(self, *args: Any, **kwargs: Any) -> None:
            pass

        def set_description(self, *args: Any, **kwargs: Any) -> None:
            pass

        def close(self) -> None:
            pass

    stand_in = types.ModuleType("tqdm")
    stand_in.tqdm = _Tqdm  # type: ignore[attr-defined]
    return stand_in


class _PinnedDatetime(datetime):
    """``datetime`` whose ``now()`` is ``PINNED_NOW`` (their May 2025 code reads the clock)."""

    @classmethod
    def now(cls, tz: Any = None) -> _PinnedDatetime:  # type: ignore[override]
        return cls(PINNED_NOW.year, PINNED_NOW.month, PINNED_NOW.day)


def load_their_module(repo: Path, model: str) -> types.ModuleType:
    """The script of ``model`` in their checkout, with a stand-in for tqdm."""
    import matplotlib

    matplotlib.use("Agg")  # their modules import pyplot; nothing is drawn here
    sys.modules.setdefault("tqdm", _tqdm_stand_in())
    spec = importlib.util.spec_from_file_location(f"ai2027_{model}", repo / FILES[model][0])
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def enabled_forecasters(config: dict) -> list[str]:
    return list(config["forecasters"])


def run_takeoff(repo: Path, draws: int, seed: int) -> tuple[dict, dict]:
    """Per-draw SC-to-milestone calendar spans and the human-only gaps they drew."""
    import numpy as np

    module = load_their_module(repo, "takeoff")
    config = module.load_config(str(repo / FILES["takeoff"][1]))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        np.random.seed(seed)  # noqa: NPY002 (their code draws from the global generator)
        samples = module.get_milestone_samples(config, draws)
        start = samples["start_time"]
        days = np.zeros((draws, len(MILESTONES)), dtype=np.int64)
        phase_days = np.zeros((draws, len(PAIRS)), dtype=np.int64)
        for i in range(draws):
            dates, phases = module.run_single_simulation_with_tracking(samples, i)
            days[i] = [(d - start).days for d in dates]
            phase_days[i] = phases
    assert (np.cumsum(phase_days, axis=1) == days).all(), "dates and phase days disagree"
    values: dict[str, Any] = {}
    for k, m in enumerate(MILESTONES):
        values[f"SC_to_{m}_days"] = days[:, k]
    for k, m in enumerate(MILESTONES):
        values[f"SC_to_{m}_years"] = days[:, k] / DAYS_PER_YEAR
    for pair in PAIRS:
        values[gap_name(pair)] = np.asarray(samples["time_gaps"][pair]) / THEIR_GAP_YEAR_DAYS
    info = {
        "config_n_sims": config["simulation"]["n_sims"],
        "starting_time": config["starting_time"],
        "speedups": config["speedups"],
        "times": config["times"],
        "phases_capped_at_1000_years": {
            pair: int((phase_days[:, k] >= TAKEOFF_PHASE_CAP_DAYS).sum())
            for k, pair in enumerate(PAIRS)
        },
        "their_cap_warnings_printed": printed.getvalue().count("Phase duration capped"),
    }
    return values, info


def _timelines_setup(repo: Path, model: str) -> tuple[Any, dict, dict]:
    module = load_their_module(repo, model)
    config = module.load_config(str(repo / FILES[model][1]))
    return module, config, config["forecasters"][FORECASTER]


def run_timelines_april(repo: Path, draws: int, seed: int) -> tuple[dict, dict]:
    """Per-draw SC decimal year of their April 2025 simple model."""
    import numpy as np

    module, config, forecaster = _timelines_setup(repo, "timelines_april2025")
    sim = config["simulation"]
    arguments = (
        sim["current_horizon"],
        sim["dt"],
        sim["compute_decrease_date"],
        sim["human_alg_progress_decrease_date"],
        sim["max_simulation_years"],
    )
    with contextlib.redirect_stdout(io.StringIO()):
        np.random.seed(seed)  # noqa: NPY002 (their code draws from the global generator)
        samples = module.get_distribution_samples(forecaster, draws)
        years, trajectories = module.calculate_sc_arrival_year_with_trajectories(
            samples, *arguments
        )
        del trajectories
        plain = module.calculate_sc_arrival_year(samples, *arguments)
    info = {
        "config_n_sims": sim["n_sims"],
        "forecasters_enabled": enabled_forecasters(config),
        "forecaster": FORECASTER,
        "simulation": sim,
        "current_year": 2025.25,  # hard-coded in their code
        "cap_year": 2050,  # their max_time, hard-coded
        "equal_to_calculate_sc_arrival_year": bool(np.array_equal(years, plain)),
    }
    return {"SC_year": np.asarray(years)}, info


def run_timelines_may(repo: Path, draws: int, seed: int) -> tuple[dict, dict]:
    """Per-draw SC decimal year of their May 2025 update, with "now" pinned."""
    import numpy as np

    module, config, forecaster = _timelines_setup(repo, "timelines_may2025")
    module.datetime = _PinnedDatetime
    sim = config["simulation"]
    with contextlib.redirect_stdout(io.StringIO()):
        np.random.seed(seed)  # noqa: NPY002 (their code draws from the global generator)
        samples = module.get_distribution_samples(forecaster, draws)
        years = module.calculate_sc_arrival_year(
            samples,
            sim["current_horizon"],
            sim["dt"],
            sim["human_alg_progress_decrease_date"],
            sim["max_simulation_years"],
            forecaster,
            sim,
        )
    now = module.datetime.now()
    info = {
        "config_n_sims": sim["n_sims"],
        "forecasters_enabled": enabled_forecasters(config),
        "forecaster": FORECASTER,
        "simulation": sim,
        "pinned_now": PINNED_NOW.date().isoformat(),
        # their formula: year + (month - 1) / 12 + (day - 1) / 365.25
        "current_year": now.year + (now.month - 1) / 12 + (now.day - 1) / 365.25,
        "cap_year": sim["max_time"],
    }
    return {"SC_year": np.asarray(years)}, info


RUNNERS = {
    "takeoff": run_takeoff,
    "timelines_april2025": run_timelines_april,
    "timelines_may2025": run_timelines_may,
}


def statistics(model: str, values: dict, cap_year: float | None = None) -> list[dict]:
    """The table's rows for one model's per-draw values."""
    import numpy as np

    rows = []

    def add(quantity: str, statistic: str, value: float) -> None:
        rows.append({"model": model, "quantity": quantity, "statistic": statistic, "value": value})

    def quantiles(quantity: str, x: Any) -> None:
        for level, q in zip(LEVELS, np.percentile(x, LEVELS), strict=True):
            add(quantity, f"q{level}", float(q))

    for quantity, x in values.items():
        x = np.asarray(x, dtype=float)
        if quantity.endswith("_days"):
            continue  # the same draws as the *_years columns
        quantiles(quantity, x)
        if quantity.startswith("SC_to_"):
            for y in WITHIN_YEARS:
                add(quantity, f"p_within_{y:g}", float(np.mean(x <= y)))
        elif quantity.startswith("gap_"):
            add(quantity, "p_zero", float(np.mean(x == 0)))
        elif quantity == "SC_year":
            for y in BEFORE_YEARS:
                add(quantity, f"p_before_{y}", float(np.mean(x < y)))
            assert cap_year is not None
            add(quantity, "p_at_cap", float(np.mean(x >= cap_year)))
        add(quantity, "n", len(x))
    return rows


def write_draws(path: Path, frames: list) -> None:
    """The per-draw file: 6 significant digits, SC years 10 (so that no draw crosses a year
    boundary in the rounding), day counts exact, gzip without a timestamp."""
    import pandas as pd

    table = pd.concat(frames, ignore_index=True)
    for column in table.columns:
        if table[column].dtype == float:
            digits = DRAWS_DIGITS.get(column, 6)
            table[column] = [f"{v:.{digits}g}" if v == v else "" for v in table[column]]
    table.to_csv(path, index=False, compression={"method": "gzip", "mtime": 0})


def draws_frame(model: str, values: dict) -> Any:
    import pandas as pd

    n = len(next(iter(values.values())))
    columns: dict[str, Any] = {"model": [model] * n, "draw": range(n)}
    for quantity, x in values.items():
        columns[quantity] = pd.array(x, dtype="Int64") if quantity.endswith("_days") else x
    return pd.DataFrame(columns)


def check_draws_file(path: Path, table: Any, caps: dict) -> dict:
    """Largest difference between the table and the statistics of the rounded draws file, by
    kind of statistic (relative for quantiles, absolute for the rest): what a test computing
    from the draws file will see."""
    import pandas as pd

    draws = pd.read_csv(path)
    rows = []
    for model, part in draws.groupby("model", sort=False):
        values = {c: part[c].to_numpy() for c in part.columns[2:] if part[c].notna().all()}
        rows += statistics(model, values, caps.get(model))
    again = pd.DataFrame(rows).set_index(["model", "quantity", "statistic"])["value"]
    ours = table.set_index(["model", "quantity", "statistic"])["value"]
    diff = (again - ours).abs()
    kinds = diff.index.get_level_values("statistic").str.replace(r"_[\d.]+$|\d+$", "", regex=True)
    relative = kinds == "q"
    diff[relative] = diff[relative] / ours[relative].abs().clip(lower=1e-300)
    return {kind: float(d.max()) for kind, d in diff.groupby(kinds)}


def print_table(table: Any) -> None:
    import pandas as pd

    wide = table.pivot_table(
        index=["model", "quantity"], columns="statistic", values="value", sort=False
    )
    quantile_columns = [f"q{level}" for level in LEVELS]
    with pd.option_context("display.width", 200, "display.max_columns", 30):
        print(wide[quantile_columns + ["n"]].to_string(float_format=lambda v: f"{v:.4g}"))
        for prefix in ("p_within_", "p_before_", "p_zero", "p_at_cap"):
            cols = [c for c in wide.columns if c.startswith(prefix)]
            part = wide[cols].dropna(how="all")
            if len(part):
                print()
                print(part.to_string(float_format=lambda v: f"{v:.4f}"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, required=True, help="their repository checkout")
    parser.add_argument("--draws", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--only", default=None, help="comma-separated models: " + ",".join(MODELS))
    args = parser.parse_args(argv)
    chosen = list(MODELS)
    if args.only:
        chosen = [m for m in MODELS if m in args.only.split(",")]
        unknown = set(args.only.split(",")) - set(MODELS)
        if unknown:
            parser.error(f"unknown models: {sorted(unknown)}")

    import numpy as np
    import pandas as pd
    import scipy

    rows, frames, seconds, infos, caps = [], [], {}, {}, {}
    for model in chosen:
        t0 = time.perf_counter()
        values, info = RUNNERS[model](args.repo, args.draws, args.seed)
        seconds[model] = time.perf_counter() - t0
        infos[model] = info
        if "cap_year" in info:
            caps[model] = info["cap_year"]
        rows += statistics(model, values, caps.get(model))
        frames.append(draws_frame(model, values))
        print(f"{model}: {seconds[model]:.0f} s", file=sys.stderr)

    args.out.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(rows)
    table.to_csv(args.out / "ai2027.csv", index=False)
    draws_path = args.out / "ai2027_draws.csv.gz"
    write_draws(draws_path, frames)
    meta = {
        "repository": REPOSITORY,
        "commit": commit_of(args.repo),
        "files": {m: FILES[m] for m in chosen},
        "functions": {m: FUNCTIONS[m] for m in chosen},
        "seed": args.seed,
        "seeds": "np.random.seed(seed) before each model",
        "draws": args.draws,
        "seconds": seconds,
        "pinned_now": PINNED_NOW.date().isoformat(),
        "pinned_now_applies_to": "timelines_may2025 (its module's datetime.now())",
        "year_conventions": {
            "SC_to_*_years": "(milestone date - starting_time).days / 365.25",
            "SC_to_*_days": "(milestone date - starting_time).days, exact",
            "gap_*_years": "their samples['time_gaps'][pair] / 365 (their years of 365 days)",
            "SC_year": "their decimal year, as returned",
        },
        "statistics": {
            "qL": "np.percentile(values, L), linear",
            "p_within_Y": "share of draws with years <= Y",
            "p_before_Y": "share of draws with SC year < Y",
            "p_zero": "share of draws with a gap of exactly 0",
            "p_at_cap": "share of draws at their cap year (>= cap)",
        },
        "draws_file": {
            "significant_digits": {"default": 6, **DRAWS_DIGITS, "*_days": "exact"},
            "max_diff_of_statistics_from_it (relative for q)": check_draws_file(
                draws_path, table, caps
            ),
        },
        "models": infos,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
    }
    (args.out / "ai2027.json").write_text(json.dumps(meta, indent=2) + "\n")
    print_table(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())

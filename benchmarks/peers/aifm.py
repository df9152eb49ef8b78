"""The AI Futures Model (AI Futures Project, Dec 2025): their Monte Carlo, draw by draw.

    python -m benchmarks.peers.aifm --repo <checkout of github.com/Joshuaclymer/dark_compute>
        [--config config/sampling_config.yaml] [--draws 1000] [--seed 0] [--start 0]
        [--out benchmarks/results/peers/aifm_draws.jsonl]

Their code lives in the folder ``ai-futures-calculator/`` of that repository (no license:
it is run from a fetched copy, never copied here). Each draw is what their batch script
``scripts/batch_rollout.py`` does for sample ``i`` of a run with ``--seed S``, called
in-process: their ``_load_config`` reads the sampling config (with its ``parent``), the
Spearman correlations become the latent Gaussian ones by their closed form
(``_calibrate_gaussian_copula_latent_corr``), and their ``_run_single_rollout`` draws the
parameters with ``np.random.default_rng(S + i)`` (their ``_sample_parameter_dict``: the
Gaussian copula, then each value clipped to ``model_config.PARAMETER_BOUNDS``), builds the
training-compute series (``time_series_generator``), and runs
``ProgressModel.compute_progress_trajectory``. What differs from their script: no
per-sample timeout (theirs, 5 s by default, drops the slow draws, fast takeoffs among
them), no worker processes, and their printed diagnostics are dropped. The working
directory is their folder while a draw runs (they read ``benchmark_results.yaml``
relative to it).

``--tight --ids 128,208`` runs those sample ids through a copy of their folder (made in a
temporary directory: the fetched checkout and this project are left alone) whose ODE
solver tolerances are tightened (Radau rtol 1e-8, atol 1e-10, and each fallback method
tight too; theirs: Radau rtol 1e-3, then RK23 rtol 1e-4 and others when Radau fails),
and writes ``aifm_tight.jsonl`` and ``aifm_tight.csv.gz``: where forecaster and their
published code differ by more than the tests allow, this shows whose solution is the
ODE's (tests/test_aifm_reproduction.py).

Writes one JSON line per draw to ``--out`` (appended, so a long run can be resumed with
``--start``): ``sample_id``, ``seconds``, ``success`` (and ``error``), the drawn
``parameters`` and ``time_series_parameters`` as their code passed them on, their
calibrated ``r_software``, and from the results: ``aa_time`` (AC), ``sc_progress_level``,
``anchor_progress_rate``, ``ai2027_sc_time`` and ``milestones`` (each milestone's ``time``,
absent when not reached within their horizon). ``--summarise`` then writes
``aifm.json`` (their commit, config, seed, draws, failures, seconds per draw) and the
committed table ``aifm_draws.csv.gz``: one row per draw, the parameters as their code
passed them on, their calibrated r and AC progress, and each milestone's date (empty when
not reached), 12 significant digits.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from . import commit_of, plain

RESULTS = Path(__file__).resolve().parents[1] / "results" / "peers"
REPOSITORY = "https://github.com/Joshuaclymer/dark_compute"
FOLDER = "ai-futures-calculator"
RESULT_KEYS = ("aa_time", "sc_progress_level", "anchor_progress_rate", "ai2027_sc_time")


@contextlib.contextmanager
def _in_their_folder(root: Path):
    """Their folder on ``sys.path`` and as the working directory (and their scripts/)."""
    before = os.getcwd()
    sys.path[:0] = [str(root), str(root / "scripts")]
    os.chdir(root)
    try:
        yield
    finally:
        os.chdir(before)
        for entry in (str(root), str(root / "scripts")):
            if entry in sys.path:
                sys.path.remove(entry)


def their_setup(root: Path, config: str, seed: int) -> tuple[Any, tuple]:
    """Their batch module and the arguments of ``_run_single_rollout`` but the sample id,
    prepared as their ``main()`` prepares them."""
    import numpy as np

    batch = importlib.import_module("batch_rollout")
    user_cfg = batch._load_config(config)
    param_dists = user_cfg.get("parameters", {})
    ts_param_dists = user_cfg.get("time_series_parameters", {})
    correlation = user_cfg.get("correlation_matrix")
    rng = np.random.default_rng(seed)
    if correlation is not None:
        interpretation = str(
            correlation.get("correlation_type", correlation.get("interpretation", "spearman"))
        )
        calib_rng = np.random.default_rng(rng.integers(0, 2**32 - 1))
        latent = batch._calibrate_gaussian_copula_latent_corr(
            param_dists,
            correlation["parameters"],
            np.array(correlation["correlation_matrix"], dtype=float),
            calib_rng,
            interpretation=interpretation,
            calibration_samples=int(correlation.get("calibration_samples", 20000)),
        )
        correlation["latent_correlation_matrix"] = latent.tolist()
    all_dists = {**param_dists, **ts_param_dists}
    input_data = str((root / user_cfg.get("input_data", "input_data.csv")).resolve())
    time_range = [float(x) for x in user_cfg["time_range"]]
    rest = (
        seed,
        all_dists,
        correlation,
        input_data,
        time_range,
        float(user_cfg.get("initial_progress", 0.0)),
        None,
        set(param_dists),
        set(ts_param_dists),
    )
    return batch, rest


class _Timeout(BaseException):  # not Exception: their code catches every Exception
    pass


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise _Timeout in the block after ``seconds`` (SIGALRM; their code is Python)."""
    import signal

    def expire(signum: int, frame: Any) -> None:
        raise _Timeout

    before = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


def run_draw(batch: Any, rest: tuple, sample_id: int, timeout: float = 600.0) -> dict[str, Any]:
    """One draw of their Monte Carlo, as a JSON-ready record; a draw still running after
    ``timeout`` seconds is recorded as ``timeout`` (their script's 5 s would drop it)."""
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            with _time_limit(timeout):
                out = batch._run_single_rollout((sample_id, *rest))
    except _Timeout:
        return {"sample_id": sample_id, "seconds": round(time.perf_counter() - start, 4),
                "success": False, "timeout": True, "error": f"over {timeout:g} s"}  # fmt: skip
    record: dict[str, Any] = {
        "sample_id": sample_id,
        "seconds": round(time.perf_counter() - start, 4),
        "success": bool(out.get("success")),
        "parameters": plain(out.get("parameters")),
        "time_series_parameters": plain(out.get("time_series_parameters")),
    }
    if not record["success"]:
        record["error"] = str(out.get("error"))[:500]
        return record
    results = out["results"]
    record["r_software"] = plain(record["parameters"].pop("r_software", None))
    for key in RESULT_KEYS:
        record[key] = plain(results.get(key))
    record["milestones"] = {
        name: plain(m["time"]) for name, m in results["milestones"].items() if "time" in m
    }
    return record


TIGHT_METHODS = """    methods_to_try = [
        ('Radau', {'rtol': 1e-8, 'atol': 1e-10}),
        ('RK45', {'rtol': 1e-9, 'atol': 1e-11}),
        ('DOP853', {'rtol': 1e-9, 'atol': 1e-11}),
        ('LSODA', {'rtol': 1e-8, 'atol': 1e-10}),
    ]
"""


def tight_copy(root: Path, into: Path) -> Path:
    """A copy of their folder whose integrate_progress solves to tight tolerances."""
    import shutil

    copy = into / FOLDER
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("node_modules", ".git", "outputs"))
    model = copy / "progress_model.py"
    text = model.read_text()
    start = text.index("    methods_to_try = [")
    end = text.index("    sol = None", start)
    model.write_text(text[:start] + TIGHT_METHODS + "\n" + text[end:])
    return copy


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True)
    parser.add_argument("--config", default="config/sampling_config.yaml")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "aifm_draws.jsonl")
    parser.add_argument("--summarise", action="store_true")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--tight", action="store_true")
    parser.add_argument("--ids", default="")
    parser.add_argument("--ours", type=Path, default=None,
                        help="a forecaster run directory of scenario=aifm_dec2025: its "
                             "P(by year) to aifm_forecaster.json")  # fmt: skip
    args = parser.parse_args(argv)
    if args.ours is not None:
        record_ours(args.ours.resolve())
        return
    root = (args.repo / FOLDER).resolve()
    out = args.out.resolve()
    if args.summarise:
        summarise(args.repo, args.config, args.seed, out)
        return
    if args.tight:
        ids = [int(i) for i in args.ids.split(",") if i]
        run_tight(root, args.config, args.seed, ids, args.timeout, args.out)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    with _in_their_folder(root):
        batch, rest = their_setup(root, args.config, args.seed)
        with out.open("a", encoding="utf-8") as sink:
            for i in range(args.start, args.start + args.draws):
                record = run_draw(batch, rest, i, args.timeout)
                sink.write(json.dumps(record) + "\n")
                sink.flush()
                print(f"draw {i}: {record['seconds']:.2f} s, success={record['success']}")


#: The milestones whose P(by year) the distribution comparison reads.
COMPARED = ("AC", "SAR", "SIAR", "TED-AI", "ASI")


def record_ours(run_dir: Path) -> None:
    """``aifm_forecaster.json``: forecaster's P(milestone by the end of each year) from a run
    directory of ``scenario=aifm_dec2025`` (its summary.json), with its draws, seed and this
    checkout's commit (run it at the commit that made the run), for the distribution test
    against their Monte Carlo."""
    from ..common import code_version

    summary = json.loads((run_dir / "summary.json").read_text())
    model = summary.get("model", {}).get("name")
    if model != "aifm" or summary.get("draws_done") != summary.get("n_draws"):
        raise SystemExit(f"{run_dir}: not a complete run of model aifm")
    table = {}
    for name in COMPARED:
        entry = summary["milestones"][name]
        by_year = {str(y): float(p) for y, p in entry["p_by_year"].items()}
        if not all(0.0 <= p <= 1.0 for p in by_year.values()):
            raise SystemExit(f"{run_dir}: p_by_year of {name} outside [0, 1]")
        table[name] = {"n": int(entry["n"]), "p_by_year": by_year}
    record = {
        "scenario": str(summary["scenario"]),
        "n_draws": int(summary["n_draws"]),
        "seed": int(summary["seed"]),
        "non_finite": int(summary["non_finite"]),
        "code": code_version(),
        "milestones": table,
    }
    path = RESULTS / "aifm_forecaster.json"
    path.write_text(json.dumps(record, indent=1) + "\n")
    print(f"wrote {path}")


def run_tight(root: Path, config: str, seed: int, ids: list[int], timeout: float,
              draws_file: Path) -> None:  # fmt: skip
    """The sample ids through the tight-tolerance copy (see the module docstring), into
    ``aifm_tight.jsonl`` beside the draws file (named after it: ``aifm_daniel_draws.jsonl``
    gives ``aifm_daniel_tight.jsonl``) and its table ``.csv.gz``."""
    import tempfile

    stem = draws_file.name.removesuffix(".jsonl").removesuffix("_draws")
    out = draws_file.parent / f"{stem}_tight.jsonl"
    with tempfile.TemporaryDirectory() as tmp:
        copy = tight_copy(root, Path(tmp))
        with _in_their_folder(copy):
            batch, rest = their_setup(copy, config, seed)
            records = [run_draw(batch, rest, i, timeout) for i in ids]
    with out.open("a", encoding="utf-8") as sink:
        for record in records:
            sink.write(json.dumps(record) + "\n")
    every = [json.loads(line) for line in out.read_text().splitlines() if line]
    write_table(every, out.with_suffix(".csv.gz"))
    print(f"{len(records)} draws to {out}")


def summarise(repo: Path, config: str, seed: int, draws_file: Path) -> None:
    """``aifm.json``: where the draws came from and how they went, and the table
    ``aifm_draws.csv.gz`` (named after the draws file: ``aifm_daniel_draws.jsonl`` gives
    ``aifm_daniel.json`` and ``aifm_daniel_draws.csv.gz``)."""
    import numpy as np

    records = [json.loads(line) for line in draws_file.read_text().splitlines() if line]
    seconds = np.array([r["seconds"] for r in records])
    info = {
        "repository": REPOSITORY,
        "folder": FOLDER,
        "commit": commit_of(repo),
        "config": config,
        "seed": seed,
        "draws": len(records),
        "sample_ids": [min(r["sample_id"] for r in records), max(r["sample_id"] for r in records)],
        "failures": sum(not r["success"] for r in records),
        "timeouts": sum(bool(r.get("timeout")) for r in records),
        "seconds_per_draw": {"mean": float(seconds.mean()), "median": float(np.median(seconds))},
        "functions": "batch_rollout._load_config, _calibrate_gaussian_copula_latent_corr, "
        "_run_single_rollout (ProgressModel.compute_progress_trajectory)",
        "no_timeout": True,
    }
    stem = draws_file.name.removesuffix(".jsonl")  # aifm_draws, aifm_daniel_draws, ...
    info_name = stem.removesuffix("_draws") + ".json"
    (draws_file.parent / info_name).write_text(json.dumps(info, indent=1) + "\n")
    write_table(records, draws_file.parent / f"{stem}.csv.gz")
    print(json.dumps(info, indent=1))


def write_table(records: list[dict[str, Any]], path: Path) -> None:
    """The per-draw table the tests read (see the module docstring)."""
    import pandas as pd

    rows = []
    for r in records:
        row: dict[str, Any] = {"sample_id": r["sample_id"], "success": r["success"],
                               "timeout": bool(r.get("timeout"))}  # fmt: skip
        row.update(r.get("parameters") or {})
        row.update(r.get("time_series_parameters") or {})
        row["r_software"] = r.get("r_software")
        row["sc_progress_level"] = r.get("sc_progress_level")
        for name, date in (r.get("milestones") or {}).items():
            row[f"date:{name}"] = date
        rows.append(row)
    frame = pd.DataFrame(rows).sort_values("sample_id")
    frame.to_csv(path, index=False, float_format="%.12g", compression="gzip")


if __name__ == "__main__":
    main()

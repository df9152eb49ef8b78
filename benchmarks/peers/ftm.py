"""Epoch's Full Takeoff Model (Davidson et al. 2023): their Python model on their six presets.

    /tmp/ftm-venv/bin/python -m benchmarks.peers.ftm --repo <checkout of
        github.com/epoch-research/ftm> [--out benchmarks/results/peers] [--t0-out /tmp/ftm_ref]

Run it from this checkout's root with an interpreter that has their dependencies and not this
project's: their pyproject pins Python 3.10 and NumPy 1.x. The run recorded here used Python
3.10.13 and their poetry.lock versions, in a venv of its own (``python3.10 -m venv
/tmp/ftm-venv``, then ``pip install numpy==1.26.3 pandas==2.2.0 matplotlib==3.8.2
pyyaml==6.0.1 beautifulsoup4==4.12.3 openpyxl==3.1.2 dill==0.3.7``). Importing
``benchmarks.peers`` imports neither JAX nor forecaster, so ``-m`` is safe. Their code (MIT
license) is imported from the checkout, never copied here; a ``git archive`` snapshot without
``.git`` is fine if a ``.commit`` file beside it holds the commit (``commit_of``).

Each preset is one ``SimulateTakeOff(**params).run_simulation()`` of ``ftm/core/model.py``.
The presets are parsed at run time from their ``website/src/js/presets.js`` (each
``let NAME = {...};`` line is JSON): ``best_guess_parameters``, ``conservative_parameters``,
``aggressive_parameters``, ``short_timelines_best_guess``, ``med_timelines_best_guess`` and
``long_timelines_best_guess``, named here ``best_guess``, ``conservative``, ``aggressive``,
``short_timelines``, ``med_timelines``, ``long_timelines``. Every key is passed to the
constructor as it stands but one; two keys need a word:

- ``runtime_training_tradeoff_enabled`` is not a constructor argument: it is dropped, and
  where it is false ``runtime_training_tradeoff`` is set to 0.0, as their site does before it
  runs a preset (``website/src/js/playground.js`` lines 81-84: ``if
  (!params['runtime_training_tradeoff_enabled']) params['runtime_training_tradeoff'] = 0;``
  then ``delete``). Their constructor then turns a tradeoff <= 0 into None and
  ``runtime_training_max_tradeoff`` into None (``ftm/core/model.py`` lines 247-250), the
  trade-off off, as the site's JS port does (``ftm/ftm.js`` lines 265-267). The first three
  presets have it true (their ``website/gen.py`` builds them from
  ``get_parameter_table(tradeoff_enabled=True)``, tradeoff 3 / 1.5 / 0.8); the three
  timelines presets have it false with the tradeoff already 0.0 (``gen.py`` takes them from
  ``ScenarioRunner``, whose ``get_parameter_table()`` defaults to ``tradeoff_enabled=False``:
  tradeoff 0, maximum 1, ``ftm/core/utils.py`` lines 232-239).
- ``dynamic_t_end`` (true in the three timelines presets, absent in the others) is a
  constructor argument and is passed through, with no ``t_end_max`` or ``t_end_min``: that is
  exactly how their Python made these presets' results (``ftm/core/scenarios.py`` lines
  104-106 set ``dynamic_t_end = True`` on the parameter dicts that ``gen.py`` then prints as
  the presets; nothing sets ``t_end_max``). Their constructor then ignores ``t_end`` and the
  run stops when every metric can be computed (``continue_simulation``, model.py lines
  572-613), before or after 2100. Their site ignores the key: ``import_scenario``
  (playground.js lines 241-256) skips every key without an input field, there is none for
  ``dynamic_t_end`` or ``t_end``, and its JS model always runs 2022 to 2100 (ftm.js lines
  32-34, 227). So for those three presets the metrics of a second run, ``dynamic_t_end``
  dropped (t_end 2100, the site's horizon), are recorded too, as ``fixed_horizon_2100``.

``t_start``, ``t_end`` and ``t_step`` are not passed: their constructor reads them from their
``config.yml`` with ``get_option`` (2022, 2100, 0.1), and the values read are recorded (a
``local_config.yml`` in the checkout would override them; the run refuses to go on if one is
there). What differs from their own runs: their ``handle_exception`` (an overflow or invalid
value under ``np.errstate(invalid='raise')``) is replaced for the run by one that prints
their message and sets ``model.exception`` but does not pickle the model to their cache folder
with dill; the simulation stops there as theirs does (``run_simulation`` catches the error and
ends). ``urllib.request.urlopen`` is made to fail, so nothing (their Google sheet) is fetched;
the model never calls it. Matplotlib is imported with the Agg backend.

Writes, into ``--out``:

- ``ftm_presets.json``: their repository and commit, the t_start/t_end/t_step read from their
  config, the date, Python and NumPy versions; per preset the parameters exactly as passed to
  the constructor, every timeline and takeoff metric (NaN as null), ``doubling_times``,
  ``n_timesteps``, the final ``t_end``, ``n_rows`` (rows of the state arrays: n_timesteps, or
  one more with the partial step where an overflow stopped the run), the seconds that
  construction and simulation took, ``overflow`` (whether their handler ran) and its message.
- ``ftm_trajectories.csv.gz``: one row per preset and time step: ``preset``, ``step``, then
  the state series in ``SERIES`` (``rampup`` as 0/1), 12 significant digits (10 where 12
  would make the file larger than 500 KB; the JSON says which).

And into ``--t0-out`` (not committed: for debugging a reimplementation), ``<preset>_t0.json``:
their t=0 calibration (task weights, output-to-GWP and R&D-input factors, the initial hardware
performance after the delay shift, ``hardware_delay_idx``) and the four automation FLOP arrays,
at full precision.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

from . import commit_of, plain

RESULTS = Path(__file__).resolve().parents[1] / "results" / "peers"
REPOSITORY = "https://github.com/epoch-research/ftm"
#: Our name of each preset: the variable in their website/src/js/presets.js.
PRESETS = {
    "best_guess": "best_guess_parameters",
    "conservative": "conservative_parameters",
    "aggressive": "aggressive_parameters",
    "short_timelines": "short_timelines_best_guess",
    "med_timelines": "med_timelines_best_guess",
    "long_timelines": "long_timelines_best_guess",
}
#: State series written per time step (attributes of their model after run_simulation).
SERIES = (
    "timesteps", "gwp", "capital", "labour", "compute", "hardware", "hardware_performance",
    "software", "compute_investment", "biggest_training_run", "frac_gwp_compute",
    "frac_compute_training", "frac_compute_hardware_rnd", "frac_compute_software_rnd",
    "frac_labour_software_rnd", "frac_capital_hardware_rnd", "frac_tasks_automated_goods",
    "frac_tasks_automated_rnd", "frac_automatable_tasks_goods_no_tradeoff",
    "automatable_tasks_goods", "automatable_tasks_rnd", "automation_multiplier_goods",
    "automation_multiplier_rnd", "rnd_input_hardware", "rnd_input_software",
    "money_spent_training", "rampup", "tfp_goods",
)  # fmt: skip
#: Their t=0 calibration and automation requirements, for ``<preset>_t0.json``.
T0_VALUES = (
    "capital_task_weights_goods", "labour_task_weights_goods",
    "capital_task_weights_hardware_rnd", "labour_task_weights_hardware_rnd",
    "research_experiments_task_weights_software", "labour_task_weights_software_rnd",
    "output_to_gwp_factor", "rnd_input_to_hardware_investment_factor",
    "rnd_input_to_software_investment_factor", "initial_hardware_performance",
    "hardware_delay_idx", "automation_training_flops_goods", "automation_runtime_flops_goods",
    "automation_training_flops_rnd", "automation_runtime_flops_rnd",
)  # fmt: skip
MAX_TABLE_BYTES = 500_000


def read_presets(repo: Path) -> dict[str, dict[str, Any]]:
    """The six presets of their ``website/src/js/presets.js``, by our names, as published."""
    text = (repo / "website" / "src" / "js" / "presets.js").read_text(encoding="utf-8")
    found = {m[1]: json.loads(m[2]) for m in re.finditer(r"^let (\w+) = (\{.*\});$", text, re.M)}
    missing = [v for v in PRESETS.values() if v not in found]
    if missing:
        raise SystemExit(f"presets.js: no {', '.join(missing)}")
    return {ours: found[theirs] for ours, theirs in PRESETS.items()}


def constructor_arguments(preset: dict[str, Any]) -> dict[str, Any]:
    """What their site does with a preset before running it (see the module docstring):
    ``runtime_training_tradeoff_enabled`` dropped, the tradeoff 0 where it was false."""
    params = dict(preset)
    enabled = params.pop("runtime_training_tradeoff_enabled")
    if not enabled:
        params["runtime_training_tradeoff"] = 0.0
    return params


def load_their_model(repo: Path) -> tuple[Any, Any]:
    """Their ``SimulateTakeOff`` and ``utils`` module, offline and without pickling dumps."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    if (repo / "local_config.yml").exists():
        raise SystemExit(f"{repo}/local_config.yml would override their config.yml: remove it")
    import urllib.request

    def no_download(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("benchmarks.peers.ftm: their code tried to download something")

    urllib.request.urlopen = no_download  # type: ignore[assignment]
    sys.path.insert(0, str(repo))
    from ftm.core import model, utils  # their package (the checkout is first on sys.path)

    if Path(model.__file__).resolve().parents[2] != repo:
        raise SystemExit(f"imported ftm from {model.__file__}, not from {repo}")

    def handle_exception(self: Any, e: BaseException) -> None:
        """Theirs (model.py handle_exception) less the dill dump to their cache folder."""
        print("An overflow has happened and the simulation has stopped.")
        print(e)
        self.exception = e

    model.SimulateTakeOff.handle_exception = handle_exception
    return model.SimulateTakeOff, utils


def simulate(model_class: Any, params: dict[str, Any]) -> tuple[Any, float]:
    """One run: the model after ``run_simulation`` and the seconds it took (with __init__)."""
    start = time.perf_counter()
    sim = model_class(**params)
    sim.run_simulation()
    return sim, time.perf_counter() - start


def metrics(sim: Any) -> dict[str, Any]:
    """Their metrics of a finished run, JSON-ready."""
    overflow = hasattr(sim, "exception")
    return {
        "timeline_metrics": plain(dict(sim.timeline_metrics)),
        "takeoff_metrics": plain(dict(sim.takeoff_metrics)),
        "doubling_times": plain(list(sim.doubling_times)),
        "n_timesteps": int(sim.n_timesteps),
        "t_end": float(sim.t_end),
        "n_rows": len(sim.timesteps),
        "overflow": overflow,
        "overflow_message": str(sim.exception) if overflow else None,
    }


def trajectory(sim: Any, preset: str) -> list[dict[str, Any]]:
    """The rows of ``ftm_trajectories.csv.gz`` for one run."""
    columns = {name: getattr(sim, name) for name in SERIES}
    columns["rampup"] = columns["rampup"].astype(int)
    n = len(columns["timesteps"])
    if any(len(v) != n for v in columns.values()):
        raise SystemExit(f"{preset}: state series of different lengths")
    return [
        {"preset": preset, "step": i, **{k: v[i].item() for k, v in columns.items()}}
        for i in range(n)
    ]


def write_t0(sim: Any, path: Path) -> None:
    """``<preset>_t0.json``: their t=0 calibration, Python floats (repr, full precision)."""
    values = {name: plain(getattr(sim, name)) for name in T0_VALUES}
    path.write_text(json.dumps(values, indent=1) + "\n", encoding="utf-8")


def write_table(rows: list[dict[str, Any]], path: Path) -> int:
    """The trajectories at 12 significant digits, 10 if 12 would pass MAX_TABLE_BYTES;
    gzip without a timestamp, so the same run writes the same bytes. Returns the digits."""
    import pandas as pd

    frame = pd.DataFrame(rows, columns=["preset", "step", *SERIES])
    for digits in (12, 10):
        frame.to_csv(path, index=False, float_format=f"%.{digits}g",
                     compression={"method": "gzip", "mtime": 0})  # fmt: skip
        if path.stat().st_size <= MAX_TABLE_BYTES:
            break
    return digits


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, required=True, help="their repository checkout")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--t0-out", type=Path, default=Path("/tmp/ftm_ref"))
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    presets = read_presets(repo)
    model_class, utils = load_their_model(repo)
    import numpy as np

    args.out.mkdir(parents=True, exist_ok=True)
    args.t0_out.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {
        "repository": REPOSITORY,
        "commit": commit_of(repo),
        "model": "ftm/core/model.py SimulateTakeOff(**parameters).run_simulation()",
        "presets_file": "website/src/js/presets.js",
        "t_start": utils.get_option("t_start"),
        "t_end": utils.get_option("t_end"),
        "t_step": utils.get_option("t_step"),
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "handle_exception": "theirs less the dill dump of the model (see the module docstring)",
        "presets": {},
    }
    rows: list[dict[str, Any]] = []
    for name, preset in presets.items():
        params = constructor_arguments(preset)
        sim, seconds = simulate(model_class, params)
        entry = {
            "source": PRESETS[name],
            "runtime_training_tradeoff_enabled": preset["runtime_training_tradeoff_enabled"],
            "parameters": plain(params),
            **metrics(sim),
            "seconds": round(seconds, 4),
        }
        rows += trajectory(sim, name)
        write_t0(sim, args.t0_out / f"{name}_t0.json")
        if params.get("dynamic_t_end"):
            fixed = {k: v for k, v in params.items() if k != "dynamic_t_end"}
            fixed_sim, fixed_seconds = simulate(model_class, fixed)
            entry["fixed_horizon_2100"] = {
                "what": "dynamic_t_end dropped (their site's horizon): t_end from config",
                **metrics(fixed_sim),
                "seconds": round(fixed_seconds, 4),
            }
        record["presets"][name] = entry
        tm = entry["timeline_metrics"]
        print(f"{name}: {seconds:.2f} s, {entry['n_timesteps']} steps to {entry['t_end']:.1f}, "
              f"AGI {tm['agi_year']}, 100% goods {tm['automation_gns_100%']}, "
              f"overflow={entry['overflow']}")  # fmt: skip
    table = args.out / "ftm_trajectories.csv.gz"
    record["trajectories"] = {
        "file": table.name,
        "rows": len(rows),
        "significant_digits": write_table(rows, table),
        "columns": ["preset", "step", *SERIES],
    }
    info = args.out / "ftm_presets.json"
    info.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {info}, {table} ({table.stat().st_size:,} bytes), {args.t0_out}/*_t0.json")


if __name__ == "__main__":
    main()

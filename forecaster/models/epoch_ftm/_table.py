"""The FTM's parameters: their constructor's names, their best guess as the default, the
interval the model's equations accept, unit and meaning. (Their presets and their Monte
Carlo's distributions are scenario presets: ``conf/scenario/epoch_ftm_2023*.yaml``.)"""

from __future__ import annotations

from ..._table import ParameterSpec

INF = float("inf")


def _spec(
    default: float, low: float, high: float, unit: str, meaning: str,
    low_open: bool = False, high_open: bool = False,
) -> ParameterSpec:  # fmt: skip
    return ParameterSpec(float(default), low, high, low_open, high_open, unit, meaning)


def _positive(default: float, unit: str, meaning: str) -> ParameterSpec:
    return _spec(default, 0.0, INF, unit, meaning, low_open=True, high_open=True)


def _fraction(default: float, meaning: str) -> ParameterSpec:
    return _spec(default, 0.0, 1.0, "fraction", meaning, low_open=True, high_open=True)


def _rho(default: float, meaning: str) -> ParameterSpec:
    return _spec(default, -INF, 0.0, "CES rho", meaning, high_open=True)


def _rate(default: float, meaning: str) -> ParameterSpec:
    return _spec(default, -INF, INF, "per year", meaning, low_open=True, high_open=True)


_RAMPUP = 0.6699999999999999  # their 0.67 as their sheet computed it (presets.js)
_INPUTS = {  # their fractional inputs: (best guess growth, at wake-up, ceiling, start)
    "capital_hardware_rnd": ("capital on hardware R&D", 0.01, 0.14, 0.03, 0.002),
    "labour_hardware_rnd": ("labour on hardware R&D", 0.01, 0.14, 0.03, 0.002),
    "compute_hardware_rnd": ("compute on hardware R&D", 0.01, _RAMPUP, 0.2, 0.002),
    "labour_software_rnd": ("labour on software R&D", 0.18, 0.22, 0.03, 0.0002),
    "compute_software_rnd": ("compute on software R&D", 0.18, _RAMPUP, 0.2, 0.0002),
    "gwp_compute": ("GWP spent on compute", 0.19, 0.19, 0.1, None),
    "compute_training": (
        "compute on the largest training run",
        0.547528364331348,
        1.1,
        0.1,
        None,
    ),  # fmt: skip
}


def _fractional_inputs() -> dict[str, ParameterSpec]:
    out: dict[str, ParameterSpec] = {}
    for name, (what, growth, rampup, ceiling, _) in _INPUTS.items():
        out[f"frac_{name}_growth"] = _rate(growth, f"growth of the fraction of {what}")
        out[f"frac_{name}_growth_rampup"] = _rate(rampup, "the same after the wake-up")
        out[f"frac_{name}_ceiling"] = _fraction(ceiling, f"the most the fraction of {what} gets")
    for name, (what, *_, start) in _INPUTS.items():
        if start is not None:
            out[f"initial_frac_{name}"] = _fraction(start, f"the fraction of {what} in 2022")
    return out


#: Every parameter of their constructor, by their names.
TABLE: dict[str, ParameterSpec] = {
    "full_automation_requirements_training": _positive(
        1e36, "FLOP", "training compute of AI that can do every task in goods production"
    ),
    "flop_gap_training": _spec(
        1e4, 1.0, INF, "x", "training FLOP from AI doing 20% of tasks to 100%", high_open=True
    ),
    "goods_vs_rnd_requirements_training": _positive(
        3.0, "x", "how much harder to train for goods than for R&D tasks"
    ),
    "full_automation_requirements_runtime": _positive(
        1.66667e16, "FLOP/s", "runtime compute to replace one worker on the hardest task"
    ),
    "flop_gap_runtime": _spec(
        10.0, 1.0, INF, "x", "runtime FLOP from the 20% task to the hardest", high_open=True
    ),
    "goods_vs_rnd_requirements_runtime": _positive(
        100.0, "x", "how much more runtime compute goods tasks need than R&D tasks"
    ),
    "runtime_training_tradeoff": _spec(
        1.5,
        -INF,
        INF,
        "-",
        "runtime saved per training FLOP beyond a task's need (<= 0: off)",
        low_open=True,
        high_open=True,
    ),  # fmt: skip
    "runtime_training_max_tradeoff": _positive(
        30.0, "x", "the most a task's training requirement can be traded for runtime"
    ),
    "labour_substitution_goods": _rho(-0.5, "substitution between tasks in goods production"),
    "labour_substitution_rnd": _rho(-0.5, "substitution between tasks in R&D"),
    "capital_substitution_goods": _rho(-0.4, "substitution of capital and cognitive work (goods)"),
    "capital_substitution_rnd": _rho(-0.25, "substitution of capital and cognitive work (R&D)"),
    "research_experiments_substitution_software": _rho(
        -0.01, "substitution of experiments and research in software R&D"
    ),
    "compute_software_rnd_experiments_efficiency": _spec(
        0.4, 0.0, INF, "-", "experiments' compute = hardware ** this", high_open=True
    ),
    "hardware_returns": _positive(5.2, "-", "returns to hardware R&D"),
    "software_returns": _positive(1.25, "-", "returns to software R&D"),
    "hardware_performance_ceiling": _spec(
        1e26, 0.0, INF, "FLOP/year/$", "the most FLOP a dollar buys", low_open=True
    ),
    "software_ceiling": _spec(
        1e12, 0.0, INF, "x 2022", "the most efficient software gets", low_open=True
    ),
    "rnd_parallelization_penalty": _spec(
        0.7, 0.0, 1.0, "-", "R&D input counts to this power (stepping on toes)", low_open=True
    ),
    "hardware_delay": _spec(
        1.0, 0.0, INF, "years", "from better hardware designed to bought", high_open=True
    ),
    **_fractional_inputs(),
    "initial_biggest_training_run": _positive(3e24, "FLOP", "the largest training run in 2022"),
    "ratio_initial_to_cumulative_input_hardware_rnd": _positive(
        0.047, "-", "hardware R&D input in 2022 over all before"
    ),
    "ratio_initial_to_cumulative_input_software_rnd": _positive(
        0.2, "-", "software R&D input in 2022 over all before"
    ),
    "initial_hardware_production": _positive(1e28, "FLOP/year", "hardware produced in 2022"),
    "ratio_hardware_to_initial_hardware_production": _positive(
        2.0, "x", "hardware in use in 2022 over the year's production"
    ),
    "initial_buyable_hardware_performance": _positive(
        1.5e17, "FLOP/year/$", "what a dollar buys in 2022"
    ),
    "initial_gwp": _positive(8.5e13, "$", "gross world product in 2022"),
    "initial_population": _positive(4e9, "people", "the labour force in 2022"),
    "initial_cognitive_share_goods": _fraction(0.5, "cognitive share of goods output in 2022"),
    "initial_cognitive_share_hardware_rnd": _fraction(
        0.7, "cognitive share of hardware R&D in 2022"
    ),
    "initial_compute_share_goods": _fraction(0.01, "compute's part of the cognitive share"),
    "initial_compute_share_rnd": _fraction(0.01, "compute's part of R&D's cognitive share"),
    "initial_experiment_share_software_rnd": _fraction(
        0.3, "experiments' share of software R&D in 2022"
    ),
    "rampup_trigger": _spec(
        0.06, 0.0, 1.0, "fraction", "goods tasks automated when the world wakes up to AI"
    ),
    "initial_capital_growth": _positive(0.0275, "per year", "capital's growth in 2022"),
    "labour_growth": _rate(0.01, "growth of the labour force"),
    "tfp_growth": _rate(0.01, "growth of total factor productivity"),
    "compute_depreciation": _spec(
        0.2, 0.0, 1.0, "per year", "hardware lost each year", high_open=True
    ),
    "money_cap_training_before_wakeup": _positive(
        4e9, "$", "the largest run's cost stops growing here until the wake-up"
    ),
    "training_requirements_steepness": _spec(
        0.0,
        0.0,
        INF,
        "OOMs",
        "training requirements in steps this far apart (0: smooth)",
        high_open=True,
    ),  # fmt: skip
    "runtime_requirements_steepness": _spec(
        0.0,
        0.0,
        INF,
        "OOMs",
        "runtime requirements in steps this far apart (0: smooth)",
        high_open=True,
    ),  # fmt: skip
}

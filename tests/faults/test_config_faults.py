"""Faults in config values: each is one line naming the field, exit 2, and nothing written
outside the run's own directory (names that become directories are refused before Hydra
creates one)."""

from __future__ import annotations

import pytest

CASES = {
    # name: (arguments, field in the line, a fragment of what is allowed)
    "f-overflows-float32": (["scenario.params.f=1e39"], "scenario.params.f.value", "float32"),
    "bound-overflows-float32": (
        ['scenario.params.f="log_uniform(low=2, high=1e308)"'],
        "scenario.params.f.high",
        "representable",
    ),
    "compact-key-twice": (
        ['scenario.params.f="log_uniform(low=2, low=3)"'],
        "scenario.params.f",
        "given twice",
    ),
    "compact-not-key-value": (
        ['scenario.params.f="uniform(2, 3)"'],
        "scenario.params.f",
        "key=value",
    ),
    "unknown-distribution": (
        ['scenario.params.f="gamma(a=1)"'],
        "scenario.params.f.dist",
        "uniform",
    ),
    "n-draws-zero": (["n_draws=0"], "n_draws", "integer in [1"),
    "seed-negative": (["seed=-1"], "seed", "integer in [0"),
    "precision-unknown": (["precision=float16"], "precision", "float64"),
    "windows-empty": (["windows_months=[]"], "windows_months", ""),
    "horizon-negative": (["horizon_years=-1"], "horizon_years", ""),
    "phi0-out-of-range": (["scenario.params.phi0=1.5"], "scenario.params.phi0", ""),
    "wrong-type": (["n_draws=abc"], "overrides", "could not be converted"),
    "unknown-key": (["nonsense=1"], "nonsense", "a forecast setting, one of"),
    "misspelt-key": (["n_draw=5"], "n_draw", "did you mean 'n_draws'?"),
    "misspelt-parameter": (["scenario.params.rr0=1"], "scenario.params.rr0", "'r0'?"),
    "unknown-preset": (["scenario=nope"], "scenario", "davidson_houlden_2025"),
    "misspelt-preset": (["scenario=decaing"], "scenario", "did you mean 'decaying'?"),
    "hydra-grammar": (
        ["scenario.params.f=log_uniform(low=2)"],
        "scenario.params.f",
        """'scenario.params.f="log_uniform(low=2)"'""",
    ),
    "unresolvable-interpolation": (["n_draws=${nope}"], "n_draws", "resolves"),
    "timelines-parameter-without-a-stage": (
        ["timelines.params.doubling_time_days=200"],
        "timelines.params.doubling_time_days",
        "timelines=metr_trend",
    ),
    "timelines-setting-without-a-stage": (
        ["timelines.max_year=2100"],
        "timelines.max_year",
        "timelines=none",
    ),
    "unknown-scenario-key-with-plus": (
        ["+scenario.retraining_costs=true"],
        "scenario.retraining_costs",
        "a scenario setting of model davidson_houlden",
    ),
    "option-off-its-stepper": (
        [
            "scenario=davidson_houlden_2025",
            "scenario.integrator=rk4",
            "scenario.stop_after_years=inf",
            "scenario.gradual_boost=true",
        ],
        "scenario.gradual_boost",
        "integrator=doublings",
    ),
    "option-of-another-model": (
        ["scenario=decaying", "scenario.gradual_boost=true"],
        "scenario.gradual_boost",
        "gradual_boost is a setting of model davidson_houlden",
    ),
    "dh-mode-unknown": (["scenario.dh_mode=web"], "scenario.dh_mode", "monte_carlo"),
    "devices-too-many": (["devices=64"], "devices", "local devices"),
    "delete-a-setting": (["~seed"], "seed", "not delete"),
    "delete-the-scenario": (["~scenario"], "scenario", "not delete"),
    "delete-the-draws": (["~n_draws"], "n_draws", "not delete"),
    "delete-the-output": (["~output.dir"], "output.dir", "scenario.params.<name>"),
    "delete-a-model-key": (["~scenario.model"], "scenario.model", "not delete"),
    "sample-size-negative": (["output.sample_size=-5"], "output.sample_size", ""),
    "correlation-out-of-range": (
        ["+scenario.correlations=[{params: [f, p], rank: 1.5}]"],
        "scenario.correlations[0].rank",
        "(-1, 1)",
    ),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_a_bad_value_is_one_line_and_exit_2(cli, tmp_path, case):
    args, field, fragment = CASES[case]
    run = tmp_path / "run"
    base = [] if args[0].startswith("scenario=") else ["scenario=davidson_houlden_2025"]
    outcome = cli("forecast", *base, *args, f"hydra.run.dir={run}")
    outcome.one_line(2, f"{field}=", fragment)
    assert not (run / "summary.json").exists() and not (run / "accumulators.npz").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["scenario.name=../../escaped"],
        ["-m", "scenario.name=fine,../escaped"],
        ["-m", "scenario.name=choice(fine,/tmp/escaped)"],
        ["scenario.name=.hidden"],
        ["scenario={name: ../../escaped}"],
        ["++scenario={name: ../../escaped}"],
        ["scenario={model: general_law, name: /tmp/escaped}"],
        ["-m", "scenario.name=fine", "scenario={name: ../escaped}"],
        ["+scenario.name=../escaped"],
    ],
    ids=[
        "run",
        "sweep",
        "sweep-choice",
        "leading-dot",
        "dict",
        "dict-plus-plus",
        "dict-with-model",
        "dict-in-sweep",
        "plus",
    ],  # fmt: skip
)
def test_a_name_that_leaves_its_directory_is_refused_before_any_directory(cli, tmp_path, args):
    work = tmp_path / "work"
    work.mkdir()
    outcome = cli(
        "forecast",
        *args,
        f"hydra.run.dir={work}/outputs/run",
        f"hydra.sweep.dir={work}/outputs/sweep",
    )
    outcome.one_line(2, "scenario.name=", "one directory")
    assert list(tmp_path.rglob("*")) == [work]  # nothing created anywhere


@pytest.mark.parametrize(
    "args",
    [["model=returns", "model.name=../../x"], ["model={name: ../../x}"], ["++model.name=.x"]],
    ids=["key", "dict", "plus-plus"],
)
def test_a_calibration_model_name_that_leaves_its_directory_is_refused(cli, tmp_path, args):
    work = tmp_path / "work"
    work.mkdir()
    outcome = cli("calibrate", *args, f"hydra.run.dir={work}/c")
    outcome.one_line(2, "model.name=", "one directory")
    assert list(tmp_path.rglob("*")) == [work]


def test_a_calibration_model_name_from_the_default_directory_stays_inside(
    cli, tmp_path, monkeypatch
):
    """Without hydra.run.dir the name builds the directory (conf/calibrate.yaml)."""
    monkeypatch.chdir(tmp_path)
    cli("calibrate", "model={name: ../../x}").one_line(2, "model.name=", "one directory")
    cli("calibrate", "~model").one_line(2, "model=", "not delete")
    assert list(tmp_path.rglob("*")) == []


def test_an_unknown_command_and_a_bad_report_call_are_one_line(cli, tmp_path):
    cli("bogus").one_line(2, "command='bogus'")
    cli("report").one_line(2, "one argument")
    cli("report", str(tmp_path / "missing")).one_line(2, "report.path=")
    cli("merge", str(tmp_path)).one_line(2, "--out")

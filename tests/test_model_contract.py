"""The model interface's contract, checked for every registered model and every preset on
disk (scenario and timelines presets, the plug-in's too): what a model declares is what it
computes, under jit and vmap, bitwise the same whatever the chunk size, close in float32 and
float64, and a bad value is one line naming its field."""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from forecaster import ConfigError
from forecaster._config import compose_forecast, plan_forecast
from forecaster._engine import run_forecast
from forecaster._kernel import batched_outcomes, draw_outcomes
from forecaster._paths import conf_dir
from forecaster._priors import transform, uniforms_at
from forecaster._settings import precision_scope
from forecaster.models import Model, conf_dirs, registered

pytest.importorskip("tests.plugin_model")  # registers the plug-in model and its preset
import tests.plugin_model  # noqa: E402,F401

SCENARIOS = sorted(
    {p.stem for d in (conf_dir(), *conf_dirs()) for p in (d / "scenario").glob("*.yaml")}
)
TIMELINES = sorted(p.stem for p in (conf_dir() / "timelines").glob("*.yaml"))
#: The fast loop (-m "not slow") checks a preset of the general law, D&H's model and the
#: plug-in; the rest compile a model again with other values, and the ladder's (6 s on 2 CPU
#: cores) is in the full suite, its formulas in tests/test_ladder.py's fast tests.
ONE_PER_MODEL = {"davidson_houlden_2025", "decaying", "exponential_ceiling"}
EACH_MODEL_FAST = [
    s if s in ONE_PER_MODEL else pytest.param(s, marks=pytest.mark.slow) for s in SCENARIOS
]
N = 64
#: Models whose draws cost seconds of compile and many ms each (the AI Futures Model:
#: a per-draw calibration and an adaptive ODE in float64; Epoch's FTM: 780 steps of 101-task
#: allocations in float64) run fewer draws here, one preset each, in the precision they
#: require; they have no timelines stage (their own calendar).
HEAVY = {s for s in SCENARIOS if s.startswith(("aifm_", "epoch_ftm_"))}
HEAVY_ONES = ("aifm_dec2025", "epoch_ftm_2023")


def planned(*overrides: str):
    return plan_forecast(compose_forecast(list(overrides)))


def sampled(plan, dtype, n: int = N):
    hi = jnp.zeros(n, jnp.uint32)
    lo = jnp.arange(n, dtype=jnp.uint32)
    u = uniforms_at(plan.priors, plan.seed, hi, lo, dtype)
    return transform(plan.priors, u, dtype)


def test_every_model_has_a_preset_and_every_preset_a_registered_model():
    models = {planned(f"scenario={s}").model.name for s in SCENARIOS}
    assert models == set(registered())


@pytest.mark.parametrize("name", sorted(registered()))
def test_a_model_class_states_the_interface(name):
    cls = registered()[name]
    assert issubclass(cls, Model) and cls.name == name
    assert cls.title and cls.description
    assert dataclasses.is_dataclass(cls.config)
    fields = {f.name for f in dataclasses.fields(cls.config)}
    assert {"name", "model", "params", "correlations", "latent", "start_year"} <= fields
    model = cls()
    hash(model)  # static: a jit cache key
    assert set(cls.switches) <= fields
    for spec in model.parameters().values():
        assert spec.unit and spec.meaning and spec.low <= spec.default <= spec.high


@pytest.mark.parametrize("scenario", EACH_MODEL_FAST)
def test_outcomes_are_what_the_model_declares(scenario):
    plan = planned(f"scenario={scenario}")
    if scenario in HEAVY and scenario not in HEAVY_ONES:
        pytest.skip("one preset of a heavy model")
    model, declared = plan.model, plan.model.outcomes()
    dtype = jnp.float64 if model.precision == "float64" else jnp.float32
    with precision_scope(model.precision or "float32"):
        values = sampled(plan, dtype)
        out = batched_outcomes(model, dtype)(values)
        one = {k: v[3] for k, v in values.items()}
        single = jax.jit(draw_outcomes, static_argnums=(0, 2))(model, one, dtype)
        out = {k: np.asarray(v) for k, v in out.items()}
        single = {k: np.asarray(v) for k, v in single.items()}
    levels = {"progress": len(plan.progress_years), "window": len(plan.windows_months)}
    for q in declared.quantities:
        expected = (N,) if not q.series else (N, levels[q.series])
        if q.name == "time_to_fan_levels_years":
            expected = (N, len(declared.fan_levels_years))
        assert out[q.name].shape == expected, q.name
    for flag in declared.flags:
        assert out[flag.name].shape == (N,) and out[flag.name].dtype == bool
    assert out["non_finite"].shape == (N,) and out["non_finite"].dtype == bool
    if declared.grid is not None:
        assert out["fastest_years_to_progress"].shape == (N, len(declared.grid.progress_years))
    if declared.milestones is not None:
        assert out["milestone_years"].shape == (N, len(declared.milestones.names))
    assert declared.headline.kind in ("progress", "milestones")
    # One draw on its own (jit, no vmap) gives the batch's numbers.
    for key, value in single.items():
        np.testing.assert_allclose(value, out[key][3], rtol=2e-6, err_msg=key)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_chunk_size_changes_no_bit(scenario, tmp_path):
    if scenario in HEAVY and scenario not in HEAVY_ONES:
        pytest.skip("one preset of a heavy model")
    n, sizes = ("300", (128, 256)) if scenario in HEAVY else ("9000", (4096, 16384))
    common = (f"scenario={scenario}", f"n_draws={n}", "seed=3", "output.sample_size=0")
    small = run_forecast(planned(*common, f"chunk_size={sizes[0]}"), tmp_path / "a",
                         progress_bar=False)  # fmt: skip
    large = run_forecast(planned(*common, f"chunk_size={sizes[1]}"), tmp_path / "b",
                         progress_bar=False)  # fmt: skip
    assert small.totals.keys() == large.totals.keys()
    for key in small.totals:
        np.testing.assert_array_equal(small.totals[key], large.totals[key], err_msg=key)


@pytest.mark.slow
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_float32_agrees_with_float64(scenario):
    """The same draws in both precisions: every declared event agrees on nearly every draw
    (a draw within float32's rounding of a threshold may flip), quantities to 1e-3."""
    plan = planned(f"scenario={scenario}", "precision=float64")
    if plan.model.precision is not None:
        pytest.skip(f"model {plan.model.name} runs in {plan.model.precision} only")
    with precision_scope("float64"):
        values64 = sampled(plan, jnp.float64, 512)
        out64 = {
            k: np.asarray(v) for k, v in batched_outcomes(plan.model, jnp.float64)(values64).items()
        }
    values32 = {k: jnp.asarray(np.asarray(v), jnp.float32) for k, v in values64.items()}
    out32 = {
        k: np.asarray(v) for k, v in batched_outcomes(plan.model, jnp.float32)(values32).items()
    }
    assert np.mean(out32["non_finite"] == out64["non_finite"]) > 0.99
    ok = ~(out32["non_finite"] | out64["non_finite"])
    for flag in plan.model.outcomes().flags:
        assert np.mean(out32[flag.name][ok] == out64[flag.name][ok]) > 0.99, flag.name
    for q in plan.model.outcomes().quantities:
        a, b = out32[q.name][ok], out64[q.name][ok]
        both = np.isfinite(a) & np.isfinite(b) & (np.abs(b) > 1e-3)
        agree = np.isclose(a[both], b[both], rtol=1e-3, atol=1e-6)
        assert agree.mean() > 0.98, q.name


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_a_bad_value_names_its_field(scenario):
    plan = planned(f"scenario={scenario}")
    table = plan.model.parameters()
    drawn = [p for p in plan.priors.priors if p.name in table and not p.derived]
    name = next(p.name for p in drawn if math.isfinite(table[p.name].low) or table[p.name].low_open)
    bad = table[name].low - 1.0
    with pytest.raises(ConfigError) as err:
        planned(f"scenario={scenario}", f"scenario.params.{name}={bad}")
    assert err.value.field.startswith(f"scenario.params.{name}")
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError) as err:
        planned(f"scenario={scenario}", "+scenario.nonsense=1")
    assert err.value.field == "scenario.nonsense"
    assert f"model {plan.model.name}" in err.value.allowed


@pytest.mark.slow
@pytest.mark.parametrize("timelines", TIMELINES)
def test_every_timelines_preset_runs_with_every_model(timelines, tmp_path):
    if timelines != "none":
        for heavy in HEAVY_ONES:
            with pytest.raises(ConfigError, match="timelines"):
                planned(f"scenario={heavy}", f"timelines={timelines}")
    for scenario in sorted(set(SCENARIOS) - HEAVY):  # (HEAVY: no timelines stage)
        plan = planned(
            f"scenario={scenario}", f"timelines={timelines}", "n_draws=4096", "output.sample_size=0"
        )
        result = run_forecast(plan, tmp_path / scenario, progress_bar=False)
        assert int(result.totals["draws"][0]) == 4096
        dated = [k for k in result.totals if k.startswith("cal_")]
        assert bool(dated) == (timelines != "none" or plan.start_year is not None), scenario

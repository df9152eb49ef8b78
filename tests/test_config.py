"""Config composition (Hydra) and validation into a ForecastPlan: every mistake is a
ConfigError naming its field and what is allowed."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from forecaster import PARAMETERS, ConfigError
from forecaster._config import (
    ForecastConfig,
    OutputConfig,
    plan_forecast,
    register_configs,
)
from forecaster._paths import conf_dir
from forecaster._priors import DISTRIBUTIONS
from forecaster.models import get_model, registered
from forecaster.models.timelines import TimelinesConfig

# Every scenario preset on disk (a new one is covered without editing a list).
PRESETS = sorted(p.stem for p in (conf_dir() / "scenario").glob("*.yaml"))
DOCS = Path(__file__).resolve().parents[1] / "docs" / "CONFIG.md"
# Three parameters with pairwise ranks 0.9, 0.9, -0.9: no correlation matrix has them.
NOT_POSITIVE_DEFINITE = (
    "scenario.correlations=[{params: [f, r0], rank: 0.9}, {params: [f, p], rank: 0.9},"
    " {params: [r0, p], rank: -0.9}]"
)


# (overrides, field of the ConfigError, fragment of what is allowed)
BAD_OVERRIDES = [
    (["n_draws=0"], "n_draws", "an integer in [1, "),
    (["chunk_size=-1"], "chunk_size", "[1, 16777216]"),
    (["chunk_size=16777217"], "chunk_size", "[1, 16777216]"),
    (["precision=float16"], "precision", "'float32', 'float64'"),
    (["windows_months=[]"], "windows_months", "a non-empty list of positive numbers"),
    (["windows_months=[4,4]"], "windows_months", "without repeated values"),
    (["windows_months=[300]"], "windows_months", "no larger than 240"),  # 12 x horizon
    (["progress_years=[-1]"], "progress_years", "a non-empty list of positive numbers"),
    (["horizon_years=0"], "horizon_years", "(0, 10000]"),
    (["seed=-3"], "seed", "[0, 2147483647]"),
    (["devices=0"], "devices", "'all' or a positive integer"),
    (["devices=gpu"], "devices", "'all' or a positive integer"),
    (["fan_points=1"], "fan_points", "[2, 1000]"),
    (["num_shards=0"], "num_shards", "[1, 1000000]"),
    (["num_shards=2", "shard_index=2"], "shard_index", "[0, 1]"),
    (["output.sample_size=-1"], "output.sample_size", "[0, 10000000]"),
    (
        ["scenario.params.f={dist: log_uniform, low: 32, high: 2}"],
        "scenario.params.f.high",
        "a number > low (32)",
    ),
    (["scenario.params.f.low=40"], "scenario.params.f.high", "a number > low (40)"),
    (["scenario.params.r0.low=0"], "scenario.params.r0.low", "a number > 0"),
    (
        ["~scenario.params.p", "+scenario.params.p={dist: normal, loc: 0.3, scale: 0.1}"],
        "scenario.params.p",
        "inside p's range, a number in (0, 5] (use truncated_normal or log_normal)",
    ),
    (
        ["+scenario.params.p={dist: normal, loc: 0.3, scale: 0.1}"],  # merged into the old spec
        "scenario.params.p.low",
        "dist=normal takes ('loc', 'scale'",
    ),
    (["scenario.params.r0={dist: banana}"], "scenario.params.r0.dist", "'log_uniform'"),
    (["+scenario.params.banana=3"], "scenario.params.banana", "a parameter name, one of"),
    (["scenario.params.phi0=1.5"], "scenario.params.phi0", "a number in [0, 1]"),
    (["+scenario.params.ceiling_doublings=50"], "scenario.params.ceiling_years", "not both"),
    (
        ["~scenario.params.r0", "+scenario.params.r0={dist: log_normal, median: 1.2}"],
        "scenario.params.r0.sigma",
        "required for dist=log_normal",
    ),
    (
        [
            "~scenario.params.r0",
            "+scenario.params.r0={dist: log_normal, low: 0.5, high: 3, coverage: 1.5}",
        ],
        "scenario.params.r0.coverage",
        "(0, 1)",
    ),
    (["scenario=amdahl", NOT_POSITIVE_DEFINITE], "scenario.correlations", "positive definite"),
    (
        ["scenario.correlations=[{params: [f, Ts], rank: 0.5}]"],
        "scenario.correlations[0].params",
        "an uncertain parameter",
    ),
    (
        ["scenario.correlations=[{params: [f, r0], rank: 1.0}]"],
        "scenario.correlations[0].rank",
        "(-1, 1)",
    ),
    (
        ["scenario.correlations=[{params: [f, f], rank: 0.5}]"],
        "scenario.correlations[0].params",
        "two different parameter names",
    ),
    (
        [
            "~scenario.params.r0",
            "+scenario.params.r0={dist: posterior, path: /nonexistent/posterior.nc,"
            " variable: r_new}",
        ],
        "scenario.params.r0.path",
        "an existing posterior file",
    ),
    (
        ["scenario.params.r0='log_normal(median=1.2 sigma=0.5)'"],  # compact form, no comma
        "scenario.params.r0",
        "one is missing in 'median=1.2 sigma=0.5'",
    ),
    (["scenario.params.r0='banana(low=1)'"], "scenario.params.r0.dist", "'log_normal'"),
    (["scenario.params.r0='log_uniform(1, 2)'"], "scenario.params.r0", "key=value"),
    (["scenario.params.r0='log_uniform'"], "scenario.params.r0", "'dist(key=value, ...)'"),
    (
        ["scenario=davidson_houlden_2025", "scenario.integrator=euler"],
        "scenario.integrator",
        "'doublings', 'rk4'",
    ),
    (["scenario.model=banana"], "scenario.model", "a registered model, one of"),
    (["scenario.returns=quadratic"], "scenario.returns", "'constant', 'linear_to_ceiling'"),
    (["scenario.steps=2"], "scenario.steps", "[4, 100000]"),
    (["scenario.stop_doubling_years=0"], "scenario.stop_doubling_years", "(0, inf]"),
    (["scenario.accelerate_factor=0"], "scenario.accelerate_factor", "(0, 1e+12]"),
    (
        ["scenario=davidson_houlden_2025", "scenario.params.phi0=0.9"],
        "scenario.params.phi0",
        "fixed at 1 with scenario.integrator=doublings",
    ),
    (
        ["scenario=davidson_houlden_2025", "scenario.params.gC={dist: uniform, low: 0, high: 1}"],
        "scenario.params.gC",
        "fixed at 0 with scenario.integrator=doublings",
    ),
    (
        ["scenario.max_doublings=100"],  # decaying: ceiling_years up to 16 = 128 doublings
        "scenario.max_doublings",
        "at least the largest ceiling the priors allow (128 doublings)",
    ),
    (
        ["scenario.params.ceiling_years.high=17"],
        "scenario.max_doublings",
        "(136 doublings)",
    ),
    (["scenario=aifm_dec2025", "scenario.end_year=2300"], "scenario.end_year", "2200]"),
    (
        ["scenario=aifm_site_defaults", "scenario.automation_schedule=step"],
        "scenario.automation_schedule",
        "['linear', 'logistic']",
    ),
    (
        ["scenario=aifm_dec2025", "+scenario.params.automation_logistic_asymptote=1.2"],
        "scenario.params.automation_logistic_asymptote",
        "only with scenario.automation_schedule=logistic",
    ),
]


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    BAD_OVERRIDES,
    ids=[" ".join(case[0])[:60] for case in BAD_OVERRIDES],
)
def test_bad_configuration_is_a_config_error(overrides, field, fragment, compose_forecast):
    cfg = compose_forecast(*overrides)
    with pytest.raises(ConfigError) as err:
        plan_forecast(cfg)
    assert err.value.field == field
    assert fragment in err.value.allowed
    # The message names field, value and what is allowed, on one line.
    message = str(err.value)
    assert message.startswith(f"{field}=") and " is not allowed: " in message
    assert "\n" not in message


def _edit(cfg, path: str, value):
    """The composed config ``cfg``, as a plain dict, with one entry set (dotted path)."""
    c = OmegaConf.to_container(cfg, resolve=True)
    *parents, last = path.split(".")
    node = c
    for key in parents:
        node = node[key]
    node[last] = value
    return OmegaConf.create(c)


# Mistakes Hydra's typed schema keeps out of the command line but a config built in Python
# (or a YAML file read without the schema) can hold.
BAD_DICTS = [
    ("nonsense", 1, "nonsense", "a forecast setting, one of"),
    ("n_draws", 2.5, "n_draws", "an integer in"),
    ("n_draws", True, "n_draws", "an integer in"),
    ("devices", True, "devices", "'all' or a positive integer"),
    ("windows_months", [4, "x"], "windows_months", "positive numbers"),
    ("horizon_years", "20", "horizon_years", "a number in"),
    ("scenario.name", "", "scenario", "a scenario preset"),
    ("scenario.params", [1, 2], "scenario.params", "a mapping of parameter -> prior"),
    ("scenario.integrator", 3, "scenario.integrator", "a scenario setting of model general_law"),
    ("scenario.returns", 3, "scenario.returns", "one of"),
    ("scenario.model", 3, "scenario.model", "a registered model"),
    ("scenario.correlations", [{"params": ["f", "r0"]}], "scenario.correlations[0]", "rank"),
    ("scenario.params.f", "eight", "scenario.params.f", "a mapping"),
    ("scenario.params.f", None, "scenario.params.f", "a mapping"),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "fragment"), BAD_DICTS, ids=[c[0] for c in BAD_DICTS]
)
def test_bad_configuration_built_in_python(path, value, field, fragment, compose_forecast):
    with pytest.raises(ConfigError) as err:
        plan_forecast(_edit(compose_forecast(), path, value))
    assert err.value.field == field
    assert fragment in err.value.allowed


@pytest.mark.parametrize(
    "overrides",
    [
        ["nonsense=1"],  # not in the schema
        ["scenario=nope"],  # no such preset
        ["n_draws=abc"],  # not an integer
        ["n_draws=1e6"],  # a float for an int: write 1000000
        ["scenario.params.gH={dist: uniform, low: 0, high: 0.3}"],  # new key needs '+'
    ],
)
def test_hydra_refuses_before_validation(overrides, compose_forecast):
    with pytest.raises(Exception) as err:  # noqa: B017 - Hydra's own exception types vary
        compose_forecast(*overrides)
    assert not isinstance(err.value, ConfigError)
    assert overrides[0].split("=")[0].split(".")[-1] in str(err.value)


# --- valid configurations ------------------------------------------------------------------


def test_defaults(compose_forecast):
    plan = plan_forecast(compose_forecast())
    assert plan.scenario == "decaying"
    assert (plan.n_draws, plan.seed, plan.chunk_size) == (1_000_000, 0, 65_536)
    assert plan.precision == "float32"
    assert plan.windows_months == (4.0, 12.0)
    assert plan.progress_years == (1.0, 3.0, 10.0, 30.0)
    assert (plan.devices, plan.sample_size) == ("all", 10_000)
    assert (plan.shard_index, plan.num_shards, plan.draw_range) == (0, 1, (0, 1_000_000))
    settings = plan.model
    assert (settings.name, settings.returns, settings.steps) == (
        "general_law",
        "linear_to_ceiling",
        256,
    )
    assert settings.horizon_years == 20.0
    assert settings.windows_years == (4 / 12, 1.0)
    assert settings.accelerate_factor == 2.0
    assert settings.stop_doubling_years == float("inf")
    assert len(settings.fan_levels_years) == 48
    # Fan levels: log-spaced from 0.05 years to the grid's end, 130 doublings / 8 per year.
    assert settings.fan_levels_years[0] == pytest.approx(0.05, rel=1e-12)
    assert settings.fan_levels_years[-1] == pytest.approx(130 / 8, rel=1e-12)


@pytest.mark.parametrize("preset", PRESETS)
def test_preset_file_is_consistent(preset, compose_forecast):
    raw = OmegaConf.load(conf_dir() / "scenario" / f"{preset}.yaml")
    assert raw.name == preset
    assert raw.description
    schema = {f.name for f in dataclasses.fields(get_model(raw.model).config)}
    assert set(raw) - {"defaults"} <= schema
    plan = plan_forecast(compose_forecast(f"scenario={preset}"))
    assert set(raw.params) <= set(plan.model.parameters())
    assert plan.scenario == preset
    assert plan.model.name == raw.model
    assert getattr(plan.model, "integrator", "rk4") == raw.get("integrator", "rk4")


def prior_of(plan, name):
    (prior,) = [p for p in plan.priors.priors if p.name == name]
    return prior


def test_overrides_change_one_value(compose_forecast):
    base = plan_forecast(compose_forecast("scenario=explosive"))
    plan = plan_forecast(compose_forecast("scenario=explosive", "scenario.params.r0.high=4"))
    assert prior_of(plan, "r0").args == {**prior_of(base, "r0").args, "high": 4}
    assert plan.priors.describe()["f"] == base.priors.describe()["f"]


def test_override_replaces_a_prior_form(compose_forecast):
    plan = plan_forecast(
        compose_forecast(
            "~scenario.params.r0",
            "+scenario.params.r0={dist: log_normal, median: 1.2, sigma: 0.5}",
        )
    )
    r0 = prior_of(plan, "r0")
    assert (r0.kind, dict(r0.args)) == ("log_normal", {"median": 1.2, "sigma": 0.5})


def test_compact_string_replaces_a_prior_in_one_override(compose_forecast):
    plan = plan_forecast(
        compose_forecast("scenario.params.r0='log_normal(low=0.8, high=3.6, coverage=0.8)'")
    )
    r0 = prior_of(plan, "r0")
    assert (r0.kind, dict(r0.args)) == ("log_normal", {"low": 0.8, "high": 3.6, "coverage": 0.8})
    explosive = prior_of(plan_forecast(compose_forecast("scenario=explosive")), "r0")
    assert r0.scipy().ppf(0.3) == explosive.scipy().ppf(0.3)
    # What summaries print parses back to the same prior.
    again = plan_forecast(compose_forecast(f"scenario.params.r0='{plan.priors.describe()['r0']}'"))
    assert prior_of(again, "r0").scipy().ppf(0.3) == pytest.approx(r0.scipy().ppf(0.3), 1e-12)


def test_override_adds_a_parameter_and_a_correlation(compose_forecast):
    plan = plan_forecast(
        compose_forecast(
            "+scenario.params.gH={dist: uniform, low: 0, high: 0.3}",
            "scenario.correlations=[{params: [f, r0], rank: 0.5}]",
        )
    )
    assert prior_of(plan, "gH").kind == "uniform"
    assert plan.priors.cholesky is not None
    assert not plan.model.autonomous  # gH varies, so v depends on t


@pytest.mark.parametrize("high", [16, 32])
def test_sweep_values_compose(high, compose_forecast):
    # What `forecaster forecast -m scenario.params.f.high=16,32` runs, one job per value.
    plan = plan_forecast(compose_forecast(f"scenario.params.f.high={high}"))
    assert prior_of(plan, "f").args["high"] == high


@pytest.mark.parametrize(("n_draws", "num_shards"), [(10, 3), (1_000_000, 7), (2, 3), (5, 1)])
def test_shards_cover_the_draws_exactly(n_draws, num_shards, compose_forecast):
    ranges = []
    for index in range(num_shards):
        cfg = compose_forecast(
            f"n_draws={n_draws}", f"num_shards={num_shards}", f"shard_index={index}"
        )
        ranges.append(plan_forecast(cfg).draw_range)
    assert ranges[0][0] == 0 and ranges[-1][1] == n_draws
    for (_, stop), (start, _) in zip(ranges, ranges[1:], strict=False):
        assert stop == start
    assert all(start <= stop for start, stop in ranges)


def test_register_configs_twice_keeps_one_schema_each_and_learns_a_late_model(
    compose_forecast, monkeypatch
):
    """Calling it again (every command and the API do) neither fails (the ``segment``
    resolver is registered once: OmegaConf refuses a second registration) nor leaves schemas
    of anything but the registered models; a model registered between two calls (a plug-in
    imported late) gets its schema, with its config's keys, and a preset naming it composes."""
    from hydra.core.config_store import ConfigStore

    from forecaster._config import SEGMENT_RESOLVER
    from forecaster.models import GeneralLaw, _registry, register

    register_configs()
    register_configs()
    assert OmegaConf.has_resolver(SEGMENT_RESOLVER)
    schemas = ConfigStore.instance().repo["scenario_schema"]
    assert sorted(schemas) == sorted(f"{name}.yaml" for name in registered())
    for name, cls in registered().items():
        node = schemas[f"{name}.yaml"].node
        assert list(node) == [f.name for f in dataclasses.fields(cls.config)], name

    monkeypatch.setattr(_registry, "_MODELS", dict(_registry._MODELS))  # undone after the test

    class LateModel(GeneralLaw):
        name = "late_model_for_a_test"

    register(LateModel)
    try:
        assert "late_model_for_a_test.yaml" not in schemas
        register_configs()
        assert sorted(schemas) == sorted(f"{name}.yaml" for name in registered())
        late = schemas["late_model_for_a_test.yaml"].node
        assert list(late) == [f.name for f in dataclasses.fields(GeneralLaw.config)]
        cfg = compose_forecast(
            "scenario=decaying", "scenario.model=late_model_for_a_test", "n_draws=100"
        )
        assert isinstance(plan_forecast(cfg).model, LateModel)
    finally:
        schemas.pop("late_model_for_a_test.yaml", None)


# --- the docs cover the config -----------------------------------------------------------


def test_config_doc_covers_every_key_preset_and_prior_form():
    text = DOCS.read_text()
    keys = [f.name for f in dataclasses.fields(ForecastConfig)]
    keys += [f"output.{f.name}" for f in dataclasses.fields(OutputConfig)]
    keys += sorted(
        {
            f"scenario.{f.name}"
            for cls in registered().values()
            for f in dataclasses.fields(cls.config)
        }
    )
    keys += [f"timelines.{f.name}" for f in dataclasses.fields(TimelinesConfig)]
    missing = [k for k in keys if f"`{k}`" not in text]
    assert not missing, f"docs/CONFIG.md does not document {missing}"
    for preset in PRESETS:
        assert re.search(rf"^#+ .*`{preset}`", text, re.MULTILINE), preset
    for kind in DISTRIBUTIONS:
        assert f"dist: {kind}" in text, kind
    for name in [*PARAMETERS, "ceiling_years"]:
        assert f"`{name}`" in text, name


def test_a_directory_name_hydra_resolves_is_checked_where_it_builds_the_directory():
    """The run directories of conf/*.yaml pass the name through SEGMENT_RESOLVER: a name no
    override check saw (a plug-in preset's ``name:``) is refused as the user's mistake."""
    from omegaconf import OmegaConf

    from forecaster._config import SEGMENT_RESOLVER, hydra_error, register_configs

    register_configs()
    cfg = OmegaConf.create(
        {"name": "../outside", "dir": f"outputs/${{{SEGMENT_RESOLVER}:scenario.name,${{name}}}}"}
    )
    with pytest.raises(Exception) as raised:
        OmegaConf.to_container(cfg, resolve=True)
    err = hydra_error(raised.value, [])
    assert isinstance(err, ConfigError) and err.field == "scenario.name"
    assert OmegaConf.to_container(OmegaConf.create({"n": "fine", "d": "${segment:k,${n}}"}),
                                  resolve=True)["d"] == "fine"  # fmt: skip

"""Derived parameters (typed formulas, never code), point masses and latent priors."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from forecaster import ConfigError
from forecaster._priors import build_prior_set, transform, uniforms_at
from forecaster._priors._expressions import evaluate, parse
from forecaster.calibration._priors import make_prior
from forecaster.models import GeneralLaw
from forecaster.models.general_law import TABLE


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('true')",
        "open('/etc/passwd')",
        "x.real",
        "lambda: 1",
        "[1, 2]",
        "a if b else c",
        "x[0]",
        "log(x, 2)",
        "f(x)",
        "'text'",
        "1 < 2",
        "x = 1",
        "",
        "y" * 600,
    ],
)
def test_anything_but_arithmetic_is_refused(text):
    with pytest.raises(ConfigError) as err:
        parse(text, "scenario.params.g.expr")
    assert err.value.field == "scenario.params.g.expr"


def test_formula_values_match_numpy():
    x = np.array([0.5, 2.0, 7.0])
    y = np.array([3.0, 1.0, 0.25])
    expr = parse("-x * ((x / 10) ** 2 - 1) + log2(y) - max(x, y) / sqrt(abs(-y))", "f")
    got = evaluate(expr, {"x": jnp.asarray(x), "y": jnp.asarray(y)}, jnp.float32)
    want = -x * ((x / 10) ** 2 - 1) + np.log2(y) - np.maximum(x, y) / np.sqrt(np.abs(-y))
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6)


def _set(params, latent=None, correlations=()):
    return build_prior_set(params, correlations, table=TABLE, latent=latent)


def test_unknown_names_cycles_and_unused_latents_are_refused():
    with pytest.raises(ConfigError, match="a parameter name"):
        _set({"r0": {"dist": "derived", "expr": "nope * 2"}})
    with pytest.raises(ConfigError, match="without a cycle"):
        _set(
            {"r0": {"dist": "derived", "expr": "a + 1"}},
            latent={"a": {"dist": "derived", "expr": "r0 * 2"}},
        )
    with pytest.raises(ConfigError) as err:
        _set({"r0": 1.0}, latent={"spare": 2.0})
    assert err.value.field == "scenario.latent.spare"
    with pytest.raises(ConfigError) as err:
        _set({"r0": {"dist": "derived", "expr": "f"}}, latent={"f": 2.0})  # a model name
    assert err.value.field == "scenario.latent"


def draw(prior_set, n=200_000, seed=0):
    u = uniforms_at(prior_set, seed, jnp.zeros(n, jnp.uint32), jnp.arange(n, dtype=jnp.uint32),
                    jnp.float32)  # fmt: skip
    return {k: np.asarray(v, float) for k, v in transform(prior_set, u, jnp.float32).items()}


def test_derived_parameters_follow_their_formula_in_dependency_order():
    prior_set = _set(
        {
            "r0": {"dist": "derived", "expr": "stock * ((stock / 10) ** 2 - 1)"},
            "p": {"dist": "log_uniform", "low": 0.15, "high": 0.6},
        },
        latent={
            "amr": {"dist": "log_normal", "low": 1, "high": 25, "coverage": 0.8},
            "stock": {"dist": "derived", "expr": "10 + amr"},
        },
    )
    assert prior_set.formulas.index("stock") < prior_set.formulas.index("r0")
    values = draw(prior_set, n=5000)
    stock = 10 + values["amr"]
    np.testing.assert_allclose(values["r0"], stock * ((stock / 10) ** 2 - 1), rtol=2e-5, atol=1e-5)
    assert [p.name for p in prior_set.uncertain] == ["p", "amr"]  # formulas are not drawn
    # It varies: no static specialisation.
    assert GeneralLaw().fixed_values(prior_set)["r0"] is None


@pytest.mark.slow
def test_point_mass_is_its_own_coin_and_keeps_the_copula():
    """15% exactly 0, decided independently of the copula's uniform; the rest log-normal,
    with the rank correlation set on the continuous part kept."""
    spec = {"dist": "log_normal", "low": 1.5, "high": 10, "coverage": 0.8, "p_mass": 0.15}
    prior_set = _set(
        {"r0": spec, "p": {"dist": "derived", "expr": "amr / 100"}},
        latent={"amr": {"dist": "log_normal", "low": 1, "high": 25, "coverage": 0.8}},
        correlations=[{"params": ["r0", "amr"], "rank": 0.7859393}],
    )
    assert prior_set.columns == 3  # two copula columns and one coin
    values = draw(prior_set)
    r0, amr = values["r0"], values["amr"]
    n = r0.size
    zero = r0 == 0.0
    assert abs(zero.mean() - 0.15) < 4 * np.sqrt(0.15 * 0.85 / n)
    # Independent of the copula: amr has the same distribution with and without the mass.
    assert stats.ks_2samp(amr[zero], amr[~zero]).pvalue > 1e-3
    # The continuous part: their log-normal, and Gaussian correlation 0.8 with amr.
    lognormal = stats.lognorm(s=np.log(10 / 1.5) / (2 * stats.norm.ppf(0.9)), scale=np.sqrt(15))
    assert stats.kstest(r0[~zero], lognormal.cdf).pvalue > 1e-3
    rho = stats.spearmanr(r0[~zero], amr[~zero]).statistic
    assert abs(rho - 0.7859393) < 0.01


def test_point_mass_argument_checks():
    with pytest.raises(ConfigError) as err:
        _set({"r0": {"dist": "log_normal", "median": 1, "sigma": 1, "p_mass": 1.0}})
    assert err.value.field == "scenario.params.r0.p_mass"
    with pytest.raises(ConfigError) as err:
        _set({"r0": {"dist": "log_normal", "median": 1, "sigma": 1, "mass_at": 2.0}})
    assert err.value.field == "scenario.params.r0.p_mass"
    with pytest.raises(ConfigError):  # a calibration needs a density
        make_prior({"dist": "normal", "loc": 0, "scale": 1, "p_mass": 0.2}, "model.priors.mu")


def test_latent_priors_must_be_a_mapping():
    with pytest.raises(ConfigError) as err:
        _set({"r0": 1.0}, latent=[("x", 1.0)])
    assert err.value.field == "scenario.latent"

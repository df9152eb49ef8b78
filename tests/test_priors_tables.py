"""The two prior kinds of Epoch's Monte Carlo: ``skewed_log_uniform`` (their
``SkewedLogUniform``) and ``piecewise_log_uniform`` (their ``AjeyaDistribution``, a CDF given
at knots). Each is checked against its closed form: the quantiles at 0, 1/2 and 1 are low,
med and high exactly, the transformed value is log-uniform on each half (so its quantile at
1/4 is the geometric mean of low and med), and a table's quantile at each knot's probability
is the knot, log-linear between."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest

from forecaster import ConfigError
from forecaster._priors import parse_prior
from forecaster._settings import precision_scope
from forecaster.models.epoch_ftm._table import TABLE

#: (parameter, low, med, high, transform, the transform as a function).
SKEWED = [
    ("hardware_returns", 3.0, 5.2, 7.0, "pos", lambda x: x),
    ("labour_substitution_goods", -2.0, -0.5, -0.2, "neg", lambda x: -x),
    ("rampup_trigger", 0.01, 0.06, 0.2, "frac", lambda x: x / (1 - x)),
    ("frac_compute_training_growth_rampup", 4.5, 2.0, 1.2, "inv_frac",
     lambda x: (1 / x) / (1 - 1 / x)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "low", "med", "high", "transform", "f"), SKEWED)
def test_skewed_log_uniform_is_theirs(name, low, med, high, transform, f):
    spec = {"dist": "skewed_log_uniform", "low": low, "med": med, "high": high,
            "transform": transform}  # fmt: skip
    prior = parse_prior(name, spec, table=TABLE)
    with precision_scope("float64"):
        u = jnp.asarray([0.0, 0.25, 0.5, 0.75, 1.0])
        q = np.asarray(prior.icdf(u))
    lo, hi = (low, high) if low <= high else (high, low)  # theirs swaps a reversed pair
    assert q[0] == pytest.approx(lo, rel=1e-12)
    assert q[2] == pytest.approx(med, rel=1e-12)
    assert q[4] == pytest.approx(hi, rel=1e-12)
    # log-uniform on each half: the quarter quantiles are geometric means (of the transform)
    assert f(q[1]) == pytest.approx(math.sqrt(f(lo) * f(med)), rel=1e-10)
    assert f(q[3]) == pytest.approx(math.sqrt(f(med) * f(hi)), rel=1e-10)
    assert np.all(np.diff(q) > 0)  # increasing in u: the copula's ranks are the values'


def test_piecewise_log_uniform_reads_its_table():
    values, cdf = [1e24, 1e30, 1e36, 1e45], [0.0, 0.2, 0.7, 1.0]
    prior = parse_prior("full_automation_requirements_training",
                        {"dist": "piecewise_log_uniform", "values": values, "cdf": cdf},
                        table=TABLE)  # fmt: skip
    with precision_scope("float64"):
        q = np.asarray(prior.icdf(jnp.asarray([0.0, 0.2, 0.45, 0.7, 1.0])))
    np.testing.assert_allclose(q, [1e24, 1e30, 1e33, 1e36, 1e45], rtol=1e-12)


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"dist": "skewed_log_uniform", "low": 1, "med": 9, "high": 5}, "med"),
        ({"dist": "skewed_log_uniform", "low": -1, "med": 2, "high": 5}, "low"),
        ({"dist": "skewed_log_uniform", "low": 1, "med": 2, "high": 5, "transform": "x"},
         "transform"),
        ({"dist": "piecewise_log_uniform", "values": [1, 2], "cdf": [0.0, 0.9]}, "cdf"),
        ({"dist": "piecewise_log_uniform", "values": [2, 1], "cdf": [0.0, 1.0]}, "values"),
        ({"dist": "piecewise_log_uniform", "values": [1, 2, 3], "cdf": [0.0, 1.0]}, "cdf"),
    ],
)  # fmt: skip
def test_bad_tables_name_their_field(spec, field):
    with pytest.raises(ConfigError, match=field):
        parse_prior("hardware_returns", spec, table=TABLE)

"""Shared fixtures: JAX's 64-bit mode kept per test, a parameter builder, and the forecast
config composed (and run) as the command line does it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hydra import compose, initialize_config_dir

from forecaster import PARAMETERS
from forecaster._parameters import to_params


@pytest.fixture(autouse=True)
def _restore_x64():
    """64-bit mode is global (``precision="float64"`` turns it on): put it back after each test."""
    before = jax.config.jax_enable_x64
    yield
    jax.config.update("jax_enable_x64", before)


@pytest.fixture
def x64():
    """Run the test with float64 enabled; the autouse fixture restores the previous mode."""
    jax.config.update("jax_enable_x64", True)
    return jnp.float64


@pytest.fixture
def make_params():
    """``make_params(dtype=jnp.float32, n=None, **overrides)``: a Params from the defaults.

    With ``n``, every leaf is an array of length ``n`` (a batch); overrides may be arrays.
    """

    def build(dtype=jnp.float32, n=None, **overrides):
        unknown = set(overrides) - set(PARAMETERS)
        assert not unknown, f"unknown parameters {unknown}"
        values = {name: spec.default for name, spec in PARAMETERS.items()}
        values.update(overrides)
        if n is not None:
            values = {k: np.broadcast_to(np.asarray(v, float), (n,)) for k, v in values.items()}
        return to_params(values, dtype)

    return build


def _compose_forecast(*overrides: str):
    from forecaster._config import register_configs
    from forecaster._paths import conf_dir

    register_configs()
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        return compose(config_name="forecast", overrides=list(overrides))


@pytest.fixture(scope="session")
def compose_forecast():
    """``compose_forecast(*overrides)``: conf/forecast.yaml composed with Hydra ``overrides``
    (the structured configs registered first), as ``forecaster forecast`` composes it."""
    return _compose_forecast


@pytest.fixture
def run_plan(compose_forecast):
    """``run_plan(run_dir, *overrides)``: the composed forecast planned and run in this process
    into ``run_dir``, without a progress bar; returns the engine's result."""
    from forecaster._config import plan_forecast
    from forecaster._engine import run_forecast

    def run(run_dir, *overrides: str):
        return run_forecast(
            plan_forecast(compose_forecast(*overrides)), run_dir, progress_bar=False
        )

    return run

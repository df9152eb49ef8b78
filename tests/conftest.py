"""Shared fixtures: JAX's 64-bit mode kept per test, and a parameter builder."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

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

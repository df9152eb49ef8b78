"""The run's floating-point precision.

Precision is scoped, never process-wide:
:func:`precision_scope` turns JAX's 64-bit mode on only inside a ``with`` block (the API
and the engine enter it around their work), so importing or calling forecaster leaves
``jax_enable_x64`` as the user set it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Literal, get_args

import jax
import jax.numpy as jnp

from ._errors import ConfigError

Precision = Literal["float32", "float64"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)


def check_precision(precision: Any) -> Precision:
    if precision not in PRECISIONS:
        raise ConfigError("precision", precision, f"one of {PRECISIONS}")
    return precision


def dtype_for(precision: Precision) -> Any:
    """The JAX dtype of ``precision`` (use it inside :func:`precision_scope`)."""
    return jnp.float64 if check_precision(precision) == "float64" else jnp.float32


@contextlib.contextmanager
def precision_scope(precision: Precision) -> Iterator[Any]:
    """Run the block with JAX's 64-bit mode as ``precision`` needs; yields the dtype.

    float32 leaves the mode as it is; float64 turns it on for the block only (JAX's own
    context manager, thread-local), then restores the user's setting.
    """
    dtype = dtype_for(precision)
    if precision == "float32":
        yield dtype
        return
    with _enable_x64():
        yield dtype


def _enable_x64() -> Any:
    scoped = getattr(jax, "enable_x64", None)  # jax >= 0.8: a config state, callable
    if scoped is None:
        from jax.experimental import enable_x64 as scoped  # jax 0.7
    return scoped(True)

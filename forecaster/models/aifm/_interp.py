"""Linear interpolation as ``jnp.interp`` computes it, with the interval found once for
several series on the same abscissae, or found without a search where the abscissae are
evenly spaced (in x or in log x)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
from jaxtyping import Array, Float


def interval(xp: Float[Array, " n"], x: Array) -> Array:
    """The index i of ``jnp.interp``: xp[i - 1] <= x < xp[i], clipped to [1, n - 1]."""
    return jnp.clip(jnp.searchsorted(xp, x, side="right"), 1, xp.shape[0] - 1)


def spaced_interval(xp: Float[Array, " n"], x: Array, position: Array) -> Array:
    """:func:`interval` where ``position`` (x's place in units of the spacing from xp[0])
    is known to within one interval (evenly spaced xp): the interval it names, moved by one
    where xp says otherwise."""
    n = xp.shape[0]
    safe = jnp.where(jnp.isfinite(position), position, 0.0)
    i = jnp.clip(jnp.floor(jnp.clip(safe, -1.0, n)).astype(jnp.int32) + 1, 1, n - 1)
    i = jnp.where((xp[i - 1] > x) & (i > 1), i - 1, i)
    return jnp.where((xp[i] <= x) & (i < n - 1), i + 1, i)


def at(x: Array, xp: Float[Array, " n"], i: Array, fp: Float[Array, " n"]) -> Array:
    """``jnp.interp(x, xp, fp)`` given its interval ``i`` (the same operations, so the same
    numbers): linear inside, the end values outside."""
    df = fp[i] - fp[i - 1]
    dx = xp[i] - xp[i - 1]
    delta = x - xp[i - 1]
    small = jnp.abs(dx) <= np.spacing(np.finfo(xp.dtype).eps)
    f = jnp.where(small, fp[i - 1], fp[i - 1] + (delta / jnp.where(small, 1, dx)) * df)
    f = jnp.where(x < xp[0], fp[0], f)
    return jnp.where(x > xp[-1], fp[-1], f)

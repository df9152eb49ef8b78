"""A ``while_loop`` for each of a batch of draws that does not run the whole batch for as
long as its slowest draw: ``vmap`` of a ``while_loop`` steps every draw until the last one
is done (an iterative fit that takes six steps for most draws and thirty for a few costs
thirty for all). Here the batch steps together while more than ``tail`` draws go on, and
those last few go on by themselves; each draw takes the same steps as it would alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jaxtyping import Array


def while_each(more: Callable[[Any], Array], step: Callable[[Any], Any], carry: Any,
               tail: int = 32) -> Any:  # fmt: skip
    """``jax.vmap(lambda c: jax.lax.while_loop(more, step, c))(carry)``: every leaf of
    ``carry`` has a leading axis of draws; ``more`` and ``step`` are for one draw."""
    n = jax.tree.leaves(carry)[0].shape[0]
    tail = min(tail, n)
    going = jax.vmap(more)

    def masked(state: tuple[Any, Array]) -> tuple[Any, Array]:
        c, active = state
        stepped = jax.vmap(step)(c)

        def keep(new: Array, old: Array) -> Array:
            mask = active.reshape(active.shape + (1,) * (new.ndim - 1))
            return jnp.where(mask, new, old)

        c = jax.tree.map(keep, stepped, c)
        return c, active & going(c)

    carry, active = jax.lax.while_loop(lambda s: jnp.sum(s[1]) > tail, masked,
                                       (carry, going(carry)))  # fmt: skip
    # the few left, by themselves (padding rows inactive), then back in their places
    rows = jnp.nonzero(active, size=tail, fill_value=0)[0]
    valid = jnp.arange(tail) < jnp.sum(active)
    few = jax.tree.map(lambda a: a[rows], carry)
    few, _ = jax.lax.while_loop(lambda s: jnp.any(s[1]), masked, (few, active[rows] & valid))
    into = jnp.where(valid, rows, n)  # past the end: dropped
    return jax.tree.map(lambda a, b: a.at[into].set(b, mode="drop"), carry, few)

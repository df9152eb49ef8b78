"""The trajectory kernel: any registered model's draws, vmapped and jit-compiled.

The model (a frozen dataclass: hashable) is the static part, so one model compiles once per
chunk shape and dtype. Nothing here knows which model runs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

import jax

from .models import Model, Outcomes


def solve_batch(model: Model, values: Mapping[str, jax.Array], dtype: Any) -> tuple[Any, Any]:
    """(parameters, solutions) of a batch of draws from their sampled values [n] by name."""
    params = model.prepare(values, dtype)
    return params, model.solve_many(params)


# Solutions and outcomes run as two compiled programs, the solutions written to memory in
# between. In one program XLA:CPU ran the outcomes 1.5-2x slower (measured on a 2-core CPU,
# JAX 0.10: D&H 460k vs 670k draws/s, decaying 144k vs 301k), whatever barrier was put
# between them (measured, see benchmarks/PROFILING.md; XLA's fusion and scheduling decide it).
def summarise_batch(model: Model, params: Any, solutions: Any) -> Outcomes:
    """:meth:`Model.summarise` of a batch of draws and their solutions."""
    return jax.vmap(model.summarise)(params, solutions)


def draw_outcomes(model: Model, values: Mapping[str, Any], dtype: Any) -> Outcomes:
    """The outcomes of one draw from its values by name (scalars)."""
    params = model.prepare(values, dtype)
    return model.summarise(params, model.solve(params))


@functools.lru_cache(maxsize=32)
def batched_outcomes(model: Model, dtype: Any) -> Callable[[Mapping[str, jax.Array]], Outcomes]:
    """A function from a batch of values (leaves of shape [n]) to outcomes: two jit-compiled
    programs, the solutions and then the outcomes (see :func:`summarise_batch`). Cached per
    model and dtype, so a run compiles once per chunk shape."""
    solve = jax.jit(functools.partial(solve_batch, model, dtype=dtype))
    summarise = jax.jit(functools.partial(summarise_batch, model))
    return lambda values: summarise(*solve(values))

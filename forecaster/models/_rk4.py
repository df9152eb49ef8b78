"""One fixed-step classical Runge-Kutta step over pytrees, shared by every model that
integrates (the general law on the doubling clock, AI 2027's timelines on progress).

Pure and shape-preserving: ``y`` is any pytree of arrays, so a model integrates one state or
several together, and the kernel vmaps it over draws.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

PyTree = Any


def _axpy(y: PyTree, a: Any, k: PyTree) -> PyTree:
    return jax.tree_util.tree_map(lambda yi, ki: yi + a * ki, y, k)


def rk4_step(
    slope: Callable[[Any, PyTree], PyTree], x: Any, y: PyTree, h: Any
) -> tuple[PyTree, tuple[PyTree, PyTree, PyTree, PyTree]]:
    """One RK4 step of dy/dx = slope(x, y) from (x, y) over h.

    Returns (y at x + h, the four stage slopes k1..k4): a caller reads k1 for the rate at
    the start of the step, or the stages to detect a stall inside it.
    """
    k1 = slope(x, y)
    k2 = slope(x + 0.5 * h, _axpy(y, 0.5 * h, k1))
    k3 = slope(x + 0.5 * h, _axpy(y, 0.5 * h, k2))
    k4 = slope(x + h, _axpy(y, h, k3))
    y_next = jax.tree_util.tree_map(
        lambda yi, a, b, c, d: yi + (h / 6.0) * (a + 2.0 * b + 2.0 * c + d), y, k1, k2, k3, k4
    )
    return y_next, (k1, k2, k3, k4)

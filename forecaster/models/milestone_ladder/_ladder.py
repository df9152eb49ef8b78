"""A milestone ladder: the law of motion of AI 2027's takeoff forecast, and of a user's own.

Milestones m_0, ..., m_K each carry an AI R&D progress multiplier s_k (the speed-up of
research over humans alone). Between m_{k-1} and m_k lies a gap of g_k years of human-only
progress, drawn per draw, so the break points of the speed-up path differ per draw. Within
a gap the speed-up rises exponentially in the progress made through it (AI 2027's rule,
``current_speedup = start * (end / start) ** progress_ratio``)::

    dP/dt = v(P),   v = s_{k-1} (s_k / s_{k-1})^((P - P_{k-1}) / g_k)   on [P_{k-1}, P_k]

with progress P in years of human-only progress and t in calendar years from m_0. A gap then
takes, in closed form,

    T_k = g_k (1/s_{k-1} - 1/s_k) / ln(s_k / s_{k-1})      (g_k / s_k when s_k = s_{k-1}),

and the time to P inside it is T up to m_{k-1} plus g_k (1 - exp(-c u)) / (s_{k-1} c), with
u = P - P_{k-1} and c = ln(s_k / s_{k-1}) / g_k. Nothing is modelled past the last milestone:
a path ends there (like a ceiling). Pure JAX over one draw; the kernel vmaps it.
"""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
from jaxtyping import Array, Float

from .._paths import Path


@dataclasses.dataclass(frozen=True)
class Ladder:
    """The milestones of a ladder (static: a jit cache key).

    Attributes:
        names: milestone names, the first at the start (t = 0).
        speedups: the AI R&D progress multiplier at each milestone [x], all > 0.
        phase_cap: AI 2027's code caps each phase at 1000 calendar years (its
            MAX_CALENDAR_DAYS): the milestone times use min(phase, cap); None: exact.
        overflow: (P, Y): AI 2027's code run with pandas < 3, where a phase longer than P
            calendar years (292.47: 106,751 days) overflows pandas' Timedelta and sends that
            milestone and every later one to 9999-12-31 (Y years after the start); None:
            exact. Both change the milestone times only (paths are exact).
    """

    names: tuple[str, ...]
    speedups: tuple[float, ...]
    phase_cap: float | None = None
    overflow: tuple[float, float] | None = None

    @property
    def gaps(self) -> tuple[str, ...]:
        """The parameter holding each gap: ``gap_<milestone>`` for every milestone but the
        first (human-only years from the milestone before)."""
        return tuple(f"gap_{name}" for name in self.names[1:])

    @property
    def rising(self) -> bool:
        """The speed-up never falls along the ladder (so neither does the rate)."""
        return all(b >= a for a, b in zip(self.speedups, self.speedups[1:], strict=False))

    @property
    def phases(self) -> tuple[str, ...]:
        """Phase names, ``SC_to_SAR`` and so on."""
        return tuple(f"{a}_to_{b}" for a, b in zip(self.names, self.names[1:], strict=False))


def phase_years(gap: Float[Array, "*batch"], start: float, end: float) -> Float[Array, "*batch"]:
    """Calendar years to cross a gap of ``gap`` human-only years with the speed-up rising
    exponentially (in progress) from ``start`` to ``end``."""
    if start == end:
        return gap / start
    return gap * ((1.0 / start - 1.0 / end) / math.log(end / start))


def milestone_years(
    ladder: Ladder,
    gaps: Float[Array, " K"],
) -> Float[Array, " K"]:
    """Years from the start to each milestone after the first (a draw's gaps [K])."""
    phases = jnp.stack(
        [
            phase_years(gaps[k], ladder.speedups[k], ladder.speedups[k + 1])
            for k in range(len(ladder.gaps))
        ]
    )
    if ladder.phase_cap is not None:
        phases = jnp.minimum(phases, ladder.phase_cap)
    years = jnp.cumsum(phases)
    if ladder.overflow is None:
        return years
    longest, sent_to = ladder.overflow
    overflowed = jnp.cumsum((phases > longest).astype(jnp.int32)) > 0
    return jnp.where(overflowed, jnp.asarray(sent_to, years.dtype), years)


def ladder_path(
    ladder: Ladder,
    gaps: Float[Array, " K"],
    x: Float[Array, " nodes"],
) -> Path:
    """The path on progress nodes ``x`` [years of human-only progress]: the exact time each
    node is reached and the speed-up there (rate in years of progress per year). Nodes past
    the last milestone are never reached; a negative or NaN gap makes the path NaN (counted
    as non-finite, never dropped)."""
    dtype = x.dtype
    s = jnp.asarray(ladder.speedups, dtype)
    bad = jnp.any(~(gaps >= 0))
    gaps = jnp.where(gaps >= 0, gaps, 0.0)
    ends = jnp.cumsum(gaps)  # progress at milestones 1..K
    starts = _before(ends)  # exclusive sums: an infinite gap leaves the earlier ones finite
    phases = jnp.stack(
        [
            phase_years(gaps[k], ladder.speedups[k], ladder.speedups[k + 1])
            for k in range(len(ladder.gaps))
        ]
    )
    t_starts = _before(jnp.cumsum(phases))
    # The phase of each node: the first milestone at or beyond it (the last for nodes past).
    k = jnp.clip(jnp.searchsorted(ends, x, side="left"), 0, gaps.shape[0] - 1)
    g, s0, s1 = gaps[k], s[k], s[k + 1]
    c_total = jnp.log(s1 / s0)  # ln(end / start) of the node's phase
    u = jnp.clip(x - starts[k], 0.0, None)
    frac = jnp.where(g > 0, u / jnp.where(g > 0, g, 1.0), 0.0)
    rate = s0 * jnp.exp(c_total * frac)
    # t within the phase: g (1 - exp(-c_total frac)) / (s0 c_total), or u / s0 when flat.
    flat = jnp.abs(c_total) < 1e-12
    safe_c = jnp.where(flat, 1.0, c_total)
    # An infinite gap (a formula overflowing) keeps the speed-up at s0 throughout: the limit.
    flat = flat | jnp.isinf(g)
    inside = jnp.where(flat, u / s0, g * (-jnp.expm1(-c_total * frac)) / (s0 * safe_c))
    t = t_starts[k] + inside
    t = jnp.where(x <= ends[-1], t, jnp.inf)
    t = jnp.where(x == 0, 0.0, t)
    nan = jnp.full_like(t, jnp.nan)
    return Path(x=x, t=jnp.where(bad, nan, t), rate=jnp.where(bad, nan, rate))


def _before(cumulative: jax.Array) -> jax.Array:
    """Exclusive running sums from inclusive ones: [0, c_0, ..., c_{K-2}]."""
    return jnp.concatenate([jnp.zeros_like(cumulative[:1]), cumulative[:-1]])

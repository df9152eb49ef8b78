"""The FTM's metrics from a draw's run, as their ``compute_metrics`` and Monte Carlo compute
them: the timeline dates, the takeoff durations, the GWP doubling times and their "slow
takeoff" test. NaN is their undefined (a threshold never crossed in the run)."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Array, Bool, Float

from ._dynamics import Run

#: Their timeline metrics, in their order (dates, decimal years).
TIMELINE = (
    "sub_agi_year",
    "agi_year",
    "automation_gns_20%",
    "automation_gns_100%",
    "automation_rnd_20%",
    "automation_rnd_100%",
    "rampup_start",
)
#: Their takeoff metrics, in their order (years).
TAKEOFF = (
    "full_automation_gns",
    "full_automation_rnd",
    "sub_agi_to_agi",
    "cog_output_multiplier",
    "gwp_growth",
)
DOUBLINGS = 5  # their doubling_times: the first step's, then four from the wake-up


class Metrics(NamedTuple):
    timeline: Float[Array, " 7"]  # TIMELINE
    takeoff: Float[Array, " 5"]  # TAKEOFF
    doubling_times: Float[Array, " 5"]
    slow_takeoff: Bool[Array, ""]


def _first(condition: Bool[Array, " n"]) -> tuple[Bool[Array, ""], Array]:
    return jnp.any(condition), jnp.argmax(condition)


def _first_time(condition: Bool[Array, " n"], times: Float[Array, " n"]) -> Float[Array, ""]:
    """Their ``first_time``: the time of the first step where ``condition`` holds, NaN if
    none."""
    any_, index = _first(condition)
    return jnp.where(any_, times[index], jnp.nan)


def _between(
    first: Bool[Array, " n"], second: Bool[Array, " m"], t_step: float
) -> Float[Array, ""]:
    """Their ``length_between_thresholds``: steps from the first crossing of ``first`` to
    that of ``second``, times the step (NaN if either never holds)."""
    any1, i1 = _first(first)
    any2, i2 = _first(second)
    return jnp.where(any1 & any2, (i2 - i1) * t_step, jnp.nan)


def _doubling_times(
    gwp: Float[Array, " n"], times: Float[Array, " n"], rampup_start: Float[Array, ""],
    t_start: float, t_step: float,
) -> Float[Array, " 5"]:  # fmt: skip
    """Their ``compute_doubling_times`` (unrounded; they round to 0.01): the first step's
    doubling time, then the years of each successive doubling of GWP from the wake-up."""
    first = t_step / jnp.log2(gwp[1] / gwp[0])
    index = jnp.arange(gwp.shape[0])
    woke = ~jnp.isnan(rampup_start)
    ref0 = jnp.round((jnp.where(woke, rampup_start, t_start) - t_start) / t_step).astype(int)

    def one(ref: Array, _: None) -> tuple[Array, Float[Array, ""]]:
        found, nxt = _first((index > ref) & (gwp > 2 * gwp[ref]))
        ok = found & woke & (ref >= 0)
        return jnp.where(ok, nxt, -1), jnp.where(ok, times[nxt] - times[ref], jnp.nan)

    _, later = jax.lax.scan(one, ref0, None, length=DOUBLINGS - 1)
    return jnp.concatenate([first[None], later])


def _doubles_within(gwp: Float[Array, " n"], steps: int) -> tuple[Bool[Array, ""], Array]:
    return _first(gwp[steps:] / gwp[:-steps] >= 2)


def _slow_takeoff(gwp: Float[Array, " n"], t_step: float) -> Bool[Array, ""]:
    """Their Monte Carlo's ``is_slow_takeoff`` on ``gwp[:t_idx]``: a full 4-year doubling of
    GWP ends at least 4 years before the first 1-year doubling starts (true when no 1-year
    doubling happens). Their test that full automation happened compares NaN with None and
    is always true, so it is left out here as in their code."""
    any4, i4 = _doubles_within(gwp, round(4 / t_step))
    any1, i1 = _doubles_within(gwp, round(1 / t_step))
    return ~any1 | (any4 & ((i1 - i4) * t_step >= 4))


def metrics(r: Run, times: Float[Array, " n"], t_start: float, t_step: float) -> Metrics:
    """A draw's metrics from its run on ``times``."""
    p = r.steps.produced
    goods, rnd = p.frac_automated_goods, p.frac_automated_rnd
    rampup_start, sub_agi, agi = r.events[0], r.events[1], r.events[2]
    timeline = jnp.stack([
        sub_agi,
        agi,
        _first_time(goods >= 0.2, times),
        _first_time(goods >= 1.0, times),
        _first_time(rnd >= 0.2, times),
        _first_time(rnd >= 1.0, times),
        rampup_start,
    ])  # fmt: skip
    delta = round(1 / t_step)
    last = times.shape[0] - 1  # their t_idx: the last step is left out of gwp_growth
    growth = jnp.log(p.gwp[delta:last] / p.gwp[: last - delta])
    takeoff = jnp.stack([
        _between(goods > 0.2, goods >= 1.0, t_step),
        _between(rnd > 0.2, rnd >= 1.0, t_step),
        agi - sub_agi,
        _between(p.automation_multiplier_rnd > 2, p.automation_multiplier_rnd > 10, t_step),
        _between(growth > 0.05, growth > 0.20, t_step),
    ])  # fmt: skip
    doubling = _doubling_times(p.gwp, times, rampup_start, t_start, t_step)
    return Metrics(timeline, takeoff, doubling, _slow_takeoff(p.gwp[:last], t_step))

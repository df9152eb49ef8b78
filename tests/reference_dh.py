"""An independent, plain-Python re-implementation of the Davidson & Houlden (2025) recursion.

Used only by the tests, to check ``forecaster``'s ``integrator="doublings"`` stepper. It is
deliberately written as the published model reads, with a ``while`` loop and Python floats
(IEEE double precision), sharing no code with the package:

- the first doubling after automation takes ``Ts / f`` years;
- the distance to the limits is ``D = ceiling_doublings`` doublings, not rounded (so at most
  ``ceil(D)`` doublings happen); ``whole_ceiling=True`` rounds it down to ``floor(D)`` as an
  alternative reading (their published figures come out with a continuous D);
- after each doubling the returns fall by ``r0 / D``; while they stay positive the next
  doubling takes the previous one's time times ``2 ** (p * (1 / r - 1))``;
- the run goes on while fewer than ``D`` doublings are done, ``r > 0`` and the next doubling
  would take at most ``stop_doubling_years``.

Progress is counted in years of pre-automation AI progress: ``(1 / Ts) / s`` doublings a year
(8 for Ts = 0.25, s = 0.5). "At least Y years of progress within a window w" means that some
``req = int(Y * doublings_per_year)`` consecutive doublings took less than ``w`` in total.
"""

from __future__ import annotations

import math


def dh_times(
    f: float,
    r0: float,
    ceiling_doublings: float,
    p: float,
    Ts: float = 0.25,
    stop_doubling_years: float = 0.5,
    whole_ceiling: bool = False,
) -> list[float]:
    """Times [years] at which each whole doubling is reached, starting with 0.0 at automation."""
    total = math.floor(ceiling_doublings) if whole_ceiling else ceiling_doublings
    decrement = r0 / total
    times = [0.0]
    doubling_time = Ts / f
    r = r0
    n = 0
    while n < total and r > 0 and doubling_time <= stop_doubling_years:
        times.append(times[-1] + doubling_time)
        n += 1
        r -= decrement
        if r > 0:
            try:
                doubling_time *= 2.0 ** (p * (1.0 / r - 1.0))
            except OverflowError:  # r rounded to a sliver above 0: the next doubling never comes
                doubling_time = math.inf
    return times


def dh_progress_within(
    times: list[float], years: float, window_years: float, doublings_per_year: float = 8.0
) -> bool:
    """Whether ``years`` of progress were made within some window of ``window_years``."""
    req = int(years * doublings_per_year)
    return any(times[i + req] - times[i] < window_years for i in range(len(times) - req))


def dh_max_doublings_within(times: list[float], window_years: float) -> int:
    """The most whole doublings made within some window: max j - i with t_j - t_i < w."""
    best = 0
    j = 0
    for i in range(len(times)):
        j = max(j, i)
        while j + 1 < len(times) and times[j + 1] - times[i] < window_years:
            j += 1
        best = max(best, j - i)
    return best


def dh_fastest_years(times: list[float], years: float, doublings_per_year: float = 8.0) -> float:
    """The shortest time in which ``years`` of progress were made: min t[i+req] - t[i] (inf if
    never)."""
    req = int(years * doublings_per_year)
    spans = [times[i + req] - times[i] for i in range(len(times) - req)]
    return min(spans) if spans else math.inf

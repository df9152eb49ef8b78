"""Two baselines of the Davidson & Houlden (2025) model, written for the benchmark only.

Both share no code with ``forecaster`` and run in double precision:

- :func:`python_loop_dh`: one draw at a time in the style of the published Davidson &
  Houlden code (which runs about 9,500 draws/s on one core of this kind of machine, MODEL.md
  section 5): each draw's parameters sampled by NumPy calls, a ``while`` loop over doublings
  on NumPy scalars keeping lists of times, sizes and returns, then each condition of the grid
  checked by a loop over start doublings;
- :func:`numpy_dh`: vectorised NumPy over a chunk of draws, one array operation per doubling
  for every live draw of the chunk (dead draws are compacted away as they stop).

:func:`python_loop_floats_dh` is the same loop written lean (Python floats and ``random``),
reported as a second, faster per-draw reference.

The recursion (MODEL.md sections 2 and 5): per draw f ~ logU(2, 32), r0 ~ logU(0.4, 3.6),
ceiling_years ~ U(6, 16), p ~ logU(0.15, 0.6); the first doubling takes Ts / f years
(Ts = 0.25); D = 8 ceiling_years doublings to the limits; after each doubling r -= r0 / D and,
while r > 0, the next doubling time is multiplied by 2^(p (1/r - 1)); the loop runs while
n < D, r > 0 and the doubling time is at most half a year. "At least Y years of progress
within w" means some int(8 Y) consecutive doublings took less than w.

D is not rounded (``ROUND_D_DOWN = False``), as in forecaster's ``doublings`` stepper since
commit c89e415 ("continuous D matches the published figures"); the issue text floors it
(D = floor(8 ceiling_years)), which gives headline probabilities 1.5-3.6 standard errors
(at 500,000 draws) lower. Pass ``round_d_down=True`` for that variant.

Every baseline evaluates the grid the forecaster's default config counts (progress levels
1, 3, 10, 30 years x windows 4, 12 months) and returns a :class:`BaselineCounts`, so runs
with different seeds can be pooled; the four headline probabilities are a subset.
"""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np

TS = 0.25  # pre-automation software doubling time [years]
DOUBLINGS_PER_YEAR = 8.0  # (1 / Ts) / s with s = 0.5
STOP_DOUBLING_YEARS = 0.5
F_RANGE = (2.0, 32.0)  # log-uniform
R0_RANGE = (0.4, 3.6)  # log-uniform
CEILING_YEARS_RANGE = (6.0, 16.0)  # uniform
P_RANGE = (0.15, 0.6)  # log-uniform
MAX_DOUBLINGS = math.ceil(DOUBLINGS_PER_YEAR * CEILING_YEARS_RANGE[1])  # 128
ROUND_D_DOWN = False  # D = 8 ceiling_years as is (forecaster's stepper); True: floor(D)


def _doublings_to_limits(ceiling_years, round_down: bool):
    d = DOUBLINGS_PER_YEAR * ceiling_years
    return np.floor(d) if round_down else d


# The events counted: (years of progress, window in months), window-major like the engine.
GRID: tuple[tuple[float, float], ...] = tuple(
    (y, w) for w in (4.0, 12.0) for y in (1.0, 3.0, 10.0, 30.0)
)
# The four headline probabilities, a subset of the grid.
HEADLINE: tuple[tuple[float, float], ...] = ((3.0, 12.0), (3.0, 4.0), (10.0, 12.0), (10.0, 4.0))
# The figures of the published code at 500,000 draws (MODEL.md section 5), for reference.
PUBLISHED = (0.566, 0.424, 0.166, 0.124)


def event_name(years: float, window_months: float) -> str:
    return f"P(>={years:g}y in {window_months:g}m)"


def headline_names() -> list[str]:
    """``P(>=3y in 12m)`` etc., in the order of :data:`HEADLINE`."""
    return [event_name(y, w) for y, w in HEADLINE]


@dataclasses.dataclass
class BaselineCounts:
    """Hits of each event of :data:`GRID` out of ``draws``."""

    hits: list[int]
    draws: int

    def __add__(self, other: BaselineCounts) -> BaselineCounts:
        hits = [a + b for a, b in zip(self.hits, other.hits, strict=True)]
        return BaselineCounts(hits, self.draws + other.draws)

    def probabilities(self, events=HEADLINE) -> dict[str, dict[str, float]]:
        """p and its Monte Carlo standard error sqrt(p (1 - p) / n) per event."""
        out = {}
        for years, window in events:
            k = self.hits[GRID.index((years, window))]
            p = k / self.draws
            se = math.sqrt(p * (1 - p) / self.draws)
            out[event_name(years, window)] = {"p": p, "se": se, "n": self.draws}
        return out


# ---------------------------------------------------------------------------------------
# Per-draw Python loops


def _sample_one(rng: np.random.Generator) -> tuple[float, float, float, float]:
    """One draw's f, r0, ceiling_years, p, each from its own NumPy call (the published
    code samples a batch of one per draw)."""
    f = np.exp(rng.uniform(np.log(F_RANGE[0]), np.log(F_RANGE[1]), size=1))[0]
    r0 = np.exp(rng.uniform(np.log(R0_RANGE[0]), np.log(R0_RANGE[1]), size=1))[0]
    ceiling_years = rng.uniform(*CEILING_YEARS_RANGE, size=1)[0]
    p = np.exp(rng.uniform(np.log(P_RANGE[0]), np.log(P_RANGE[1]), size=1))[0]
    return f, r0, ceiling_years, p


def _simulate_one(f, r0, ceiling_years, p, round_d_down: bool = ROUND_D_DOWN):
    """Doubling times, sizes and returns of one draw, doubling by doubling (NumPy scalars)."""
    total_doublings = _doublings_to_limits(ceiling_years, round_d_down)
    decrement = r0 / total_doublings
    r = r0
    doubling_time = TS / f
    size = 1.0
    times, sizes, rs = [0.0], [size], [r]
    elapsed = 0.0
    n = 0
    while n < total_doublings and r > 0 and doubling_time <= STOP_DOUBLING_YEARS:
        elapsed += doubling_time
        times.append(elapsed)
        size *= 2
        sizes.append(size)
        n += 1
        r -= decrement
        rs.append(r)
        if r > 0:
            with np.errstate(over="ignore"):
                doubling_time *= np.power(2.0, p * (1.0 / r - 1.0))
    return times, sizes, rs


def _conditions_met(times: list, events) -> dict:
    """For each (doublings required, window) whether some run of that many consecutive
    doublings took less than the window; stops at the first run that did."""
    met = dict.fromkeys(events, False)
    for required, window in events:
        for i in range(len(times) - required):
            if times[i + required] - times[i] < window:
                met[(required, window)] = True
                break
    return met


def python_loop_dh(
    n_draws: int, seed: int = 0, round_d_down: bool = ROUND_D_DOWN
) -> BaselineCounts:
    """The model one draw at a time, in the published code's style."""
    rng = np.random.default_rng(seed)
    events = [(int(y * DOUBLINGS_PER_YEAR), w / 12.0) for y, w in GRID]
    hits = dict.fromkeys(events, 0)
    for _ in range(n_draws):
        times, _, _ = _simulate_one(*_sample_one(rng), round_d_down=round_d_down)
        for key, yes in _conditions_met(times, events).items():
            if yes:
                hits[key] += 1
    return BaselineCounts([hits[e] for e in events], n_draws)


def _dh_times(
    f: float, r0: float, ceiling_years: float, p: float, round_d_down: bool = ROUND_D_DOWN
) -> list[float]:
    total = DOUBLINGS_PER_YEAR * ceiling_years
    if round_d_down:
        total = math.floor(total)
    decrement = r0 / total
    times = [0.0]
    doubling_time = TS / f
    r = r0
    n = 0
    while n < total and r > 0 and doubling_time <= STOP_DOUBLING_YEARS:
        times.append(times[-1] + doubling_time)
        n += 1
        r -= decrement
        if r > 0:
            try:
                doubling_time *= 2.0 ** (p * (1.0 / r - 1.0))
            except OverflowError:  # r a sliver above 0: the next doubling never comes
                doubling_time = math.inf
    return times


def python_loop_floats_dh(
    n_draws: int, seed: int = 0, round_d_down: bool = ROUND_D_DOWN
) -> BaselineCounts:
    """The same per-draw loop written lean: Python floats, ``random``, no bookkeeping."""
    rng = random.Random(seed)
    log_f = (math.log(F_RANGE[0]), math.log(F_RANGE[1]))
    log_r = (math.log(R0_RANGE[0]), math.log(R0_RANGE[1]))
    log_p = (math.log(P_RANGE[0]), math.log(P_RANGE[1]))
    events = [(int(y * DOUBLINGS_PER_YEAR), w / 12.0) for y, w in GRID]
    hits = [0] * len(events)
    for _ in range(n_draws):
        f = math.exp(rng.uniform(*log_f))
        r0 = math.exp(rng.uniform(*log_r))
        ceiling_years = rng.uniform(*CEILING_YEARS_RANGE)
        p = math.exp(rng.uniform(*log_p))
        times = _dh_times(f, r0, ceiling_years, p, round_d_down)
        for j, (req, window) in enumerate(events):
            if any(times[i + req] - times[i] < window for i in range(len(times) - req)):
                hits[j] += 1
    return BaselineCounts(hits, n_draws)


# ---------------------------------------------------------------------------------------
# Vectorised NumPy


def sample_dh_parameters(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """f, r0, ceiling_years, p of ``n`` draws by inverse CDF of uniforms (float64)."""
    u = rng.random((4, n))

    def log_uniform(v: np.ndarray, lo: float, hi: float) -> np.ndarray:
        return np.exp(math.log(lo) + v * (math.log(hi) - math.log(lo)))

    lo, hi = CEILING_YEARS_RANGE
    return {
        "f": log_uniform(u[0], *F_RANGE),
        "r0": log_uniform(u[1], *R0_RANGE),
        "ceiling_years": lo + u[2] * (hi - lo),
        "p": log_uniform(u[3], *P_RANGE),
    }


def numpy_dh_times(params: dict[str, np.ndarray], round_d_down: bool = ROUND_D_DOWN) -> np.ndarray:
    """Times of every whole doubling, shape [MAX_DOUBLINGS + 1, n]; +inf once stopped."""
    f, r0, p = params["f"], params["r0"], params["p"]
    n = f.shape[0]
    total = _doublings_to_limits(params["ceiling_years"], round_d_down)
    times = np.full((MAX_DOUBLINGS + 1, n), np.inf)
    times[0] = 0.0
    live = np.arange(n)  # indices of the draws still running
    t = np.zeros(n)
    dt = TS / f
    r = r0.copy()
    decrement = r0 / total
    p_live = p
    for k in range(MAX_DOUBLINGS):
        keep = (total > k) & (r > 0) & (dt <= STOP_DOUBLING_YEARS)
        if not keep.all():  # compact: later steps touch live draws only
            live, t, dt, r, decrement, p_live, total = (
                a[keep] for a in (live, t, dt, r, decrement, p_live, total)
            )
            if live.size == 0:
                break
        t = t + dt
        times[k + 1, live] = t
        r = r - decrement
        positive = r > 0
        with np.errstate(over="ignore", divide="ignore"):
            factor = np.exp2(p_live * (1.0 / np.where(positive, r, 1.0) - 1.0))
        dt = np.where(positive, dt * factor, dt)
    return times


def numpy_grid_hits(times: np.ndarray) -> list[int]:
    """Hits of each event of :data:`GRID` from doubling times [nodes, n]."""
    fastest = {}
    for years in sorted({y for y, _ in GRID}):
        req = int(years * DOUBLINGS_PER_YEAR)
        if req >= times.shape[0]:
            fastest[years] = np.full(times.shape[1], np.inf)
            continue
        with np.errstate(invalid="ignore"):
            spans = times[req:] - times[:-req]  # inf - inf = nan where neither was reached
        fastest[years] = np.fmin.reduce(spans, axis=0)  # fmin skips the nans
    return [int(np.count_nonzero(fastest[y] < w / 12.0)) for y, w in GRID]


def numpy_dh(
    n_draws: int, seed: int = 0, chunk: int = 65_536, round_d_down: bool = ROUND_D_DOWN
) -> BaselineCounts:
    """The model vectorised over chunks of ``chunk`` draws."""
    rng = np.random.default_rng(seed)
    total = BaselineCounts([0] * len(GRID), 0)
    done = 0
    while done < n_draws:
        m = min(chunk, n_draws - done)
        times = numpy_dh_times(sample_dh_parameters(rng, m), round_d_down)
        total = total + BaselineCounts(numpy_grid_hits(times), m)
        done += m
    return total

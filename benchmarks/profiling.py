"""Where the time of one chunk goes: each piece of the engine's work timed on its own.

The engine runs the kernel in calls of a fixed block of draws per device (``block_size``:
4,096 on a CPU) and syncs with the host once per chunk (counts, sample, checkpoint). The
pieces are jit-compiled alone on one block, timed (median of repeats after a warm-up) and
scaled to a chunk (x chunk / block):

- ``sampling``: copula uniforms from (seed, draw index) and the prior transform
  (``forecaster._priors.uniforms_at`` / ``transform`` / the model's ``prepare``);
- ``paths``: the integrator alone (the model's ``solve`` vmapped, the engine's first
  program), the paths written out;
- ``outcomes``: the per-draw outcomes from those paths (``batch_path_outcomes``, the first
  half of the engine's second program); ``kernel`` = ``paths`` + ``outcomes``;
- ``statistics``: ``forecaster._accumulate.chunk_statistics`` on prepared outcomes;
- ``device_counts_only``: sampling and paths, then outcomes and statistics (two programs,
  as the engine runs them) returning the counts only; ``engine_call``: the engine's own
  compiled call (which also returns the per-draw values for the sample), as many calls as a
  chunk holds, dispatched back to back;
  ``per_draw_outputs`` = the difference;
- host side, per chunk: ``add_stats`` (device-to-host copy of the counts and the int64
  sums) and ``save_checkpoint`` (the engine's ``np.savez`` + fsync of the accumulators and the
  10,000-draw sample);
- ``run_forecast_per_chunk``: ``run_forecast`` over a few chunks, divided: the whole thing.

:func:`block_sweep` is a what-if: ``run_forecast`` with the engine's block constant patched
(in this process only) to other sizes.

Private engine functions are used where they exist and skipped where the engine changed.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from .common import make_plan, median, time_call


def _ready(x: Any) -> Any:
    import jax

    return jax.block_until_ready(x)


def _compile(fn, *args) -> tuple[Any, float]:
    t0 = time.perf_counter()
    compiled = fn.lower(*args).compile()
    return compiled, time.perf_counter() - t0


def _cost(compiled, draws: int) -> dict[str, float] | None:
    """XLA's own cost estimate per draw (flops, transcendentals, bytes accessed). XLA counts
    a loop body once, not once per trip, so loops (the scans) are undercounted."""
    try:
        analysis = compiled.cost_analysis()
    except Exception:  # not every backend implements it
        return None
    if isinstance(analysis, list | tuple):
        analysis = analysis[0] if analysis else None
    if not analysis:
        return None
    keys = {
        "flops": "flops",
        "transcendentals": "transcendentals",
        "bytes accessed": "bytes_accessed",
    }
    return {v: float(analysis[k]) / draws for k, v in keys.items() if k in analysis}


def engine_block(platform: str) -> int:
    """Draws per device per kernel call in the engine (a model's default ``block_size``)."""
    from forecaster.models import GeneralLaw

    return int(GeneralLaw().block_size(platform))


def _block_constant(platform: str) -> str | None:
    """The name of the constant that sets the block on this platform."""
    return "CPU_BLOCK" if platform == "cpu" else "ACCELERATOR_BLOCK"


def _run_forecast_seconds(plan: Any) -> dict[str, Any]:
    from forecaster._engine import run_forecast

    with tempfile.TemporaryDirectory() as tmp:
        result = run_forecast(plan, Path(tmp), progress_bar=False)
    return dict(result.timing)


def profile_scenario(
    scenario: str, chunk: int = 65_536, repeats: int = 5, light: bool = False
) -> dict[str, Any]:
    """Seconds per chunk of each piece (medians), their shares and compile times.

    ``light`` (smoke runs) skips the comparison pieces (counts-only function, the engine's
    call, run_forecast over several chunks).
    """
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.sharding import Mesh

    from forecaster import _engine as engine
    from forecaster._accumulate import add_stats, chunk_statistics, zeros_like_stats
    from forecaster._kernel import summarise_batch
    from forecaster._priors import transform, uniforms_at
    from forecaster._settings import dtype_for

    platform = jax.devices()[0].platform
    block = engine_block(platform)
    chunk = max(-(-chunk // block) * block, block)
    calls = chunk // block
    plan = make_plan(scenario, n_draws=chunk, chunk_size=chunk)
    priors, settings = plan.priors, plan.model
    declared = settings.outcomes()
    dtype = dtype_for(plan.precision)
    hi = jnp.zeros(block, jnp.uint32)
    lo = jnp.arange(block, dtype=jnp.uint32)
    in_range = jnp.ones(block, bool)

    def sample(hi, lo):
        u = uniforms_at(priors, plan.seed, hi, lo, dtype)
        sampled = transform(priors, u, dtype)
        return u, sampled, settings.prepare(sampled, dtype)

    def paths(params):
        return jax.vmap(settings.solve)(params)

    def outcomes_of(params, drawn_paths):
        return summarise_batch(settings, params, drawn_paths)

    def stats(outcomes, u, in_range):
        return chunk_statistics(declared, outcomes, u, in_range)

    @jax.jit
    def sampled_paths(hi, lo):
        u, _, params = sample(hi, lo)
        return u, params, paths(params)

    @jax.jit
    def counts_of(u, params, drawn_paths, in_range):
        return stats(outcomes_of(params, drawn_paths), u, in_range)

    def counts_only(hi, lo, in_range):
        u, params, drawn_paths = sampled_paths(hi, lo)
        return counts_of(u, params, drawn_paths, in_range)

    per_block: dict[str, float] = {}
    compile_s: dict[str, float] = {}
    cost: dict[str, Any] = {}

    def timed(name, compiled, *args):
        per_block[name] = median(time_call(lambda: _ready(compiled(*args)), repeats))

    c, compile_s["sampling"] = _compile(jax.jit(sample), hi, lo)
    u, _, params = _ready(c(hi, lo))
    timed("sampling", c, hi, lo)
    values = settings.per_draw_values(params)
    c, compile_s["paths"] = _compile(jax.jit(paths), params)
    drawn = _ready(c(params))
    timed("paths", c, params)
    c, compile_s["outcomes"] = _compile(jax.jit(outcomes_of), params, drawn)
    outcomes = _ready(c(params, drawn))
    timed("outcomes", c, params, drawn)
    cost["outcomes"] = _cost(c, block)
    per_block["kernel"] = per_block["paths"] + per_block["outcomes"]
    c, compile_s["statistics"] = _compile(jax.jit(stats), outcomes, u, in_range)
    stats0 = _ready(c(outcomes, u, in_range))
    timed("statistics", c, outcomes, u, in_range)

    pieces = {k: v * calls for k, v in per_block.items()}
    notes: list[str] = []
    if not light:
        t0 = time.perf_counter()
        _ready(counts_only(hi, lo, in_range))
        compile_s["device_counts_only"] = time.perf_counter() - t0
        timed("device_counts_only", counts_only, hi, lo, in_range)
        pieces["device_counts_only"] = per_block["device_counts_only"] * calls
        mesh = Mesh(np.array(jax.local_devices()[:1]), ("draws",))
        t0 = time.perf_counter()
        call, _ = engine._compile(plan, block, mesh, dtype)
        compile_s["engine_call"] = time.perf_counter() - t0
        inputs = engine.kernel_inputs(plan, dtype)

        def chunk_of_calls():
            out = None
            for i in range(calls):
                out = call(*engine._split_index(i * block), np.int32(block), inputs)
            return _ready(out)

        pieces["engine_call"] = median(time_call(chunk_of_calls, repeats))
        pieces["per_draw_outputs"] = max(pieces["engine_call"] - pieces["device_counts_only"], 0.0)

    # Host side of one chunk, as the engine's loop does it.
    totals = zeros_like_stats(stats0)
    pieces["add_stats"] = median(time_call(lambda: add_stats(totals, stats0), repeats * 4))
    sample_store = {
        name: np.zeros(plan.sample_size, np.float32)
        for name in (*values, *(f"out_{k}" for k in outcomes))
    }
    for k, v in outcomes.items():  # the sample's real shapes (outcomes with series)
        sample_store[f"out_{k}"] = np.zeros((plan.sample_size, *v.shape[1:]), np.float32)
    state = {
        "totals": totals,
        "sample": sample_store,
        "next_draw": chunk,
        "stop_draw": chunk,
        "fingerprint": "x",
        "seconds": 0.0,
        "shard": [0, 1],
    }
    from forecaster._checkpoint import save_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "accumulators.npz"
        pieces["save_checkpoint"] = median(
            time_call(lambda: save_checkpoint(path, state), repeats * 2)
        )
        checkpoint_bytes = path.stat().st_size
    host = pieces["add_stats"] + pieces["save_checkpoint"]

    if not light:
        n_chunks = 4
        timing = _run_forecast_seconds(make_plan(scenario, n_chunks * chunk, chunk))
        pieces["run_forecast_per_chunk"] = timing["run_seconds"] / n_chunks

    shares = {
        "sampling": pieces["sampling"],
        "paths": pieces["paths"],
        "outcomes": pieces["outcomes"],
        "statistics": pieces["statistics"],
        "per_draw_outputs": pieces.get("per_draw_outputs", 0.0),
        "host (add_stats + checkpoint)": host,
    }
    whole = sum(shares.values())
    out = {
        "scenario": scenario,
        "platform": platform,
        "integrator": getattr(settings, "integrator", settings.name),
        "steps": settings.steps if settings.smooth else int(settings.max_doublings),
        "chunk_size": chunk,
        "block": block,
        "calls_per_chunk": calls,
        "repeats": repeats,
        "seconds_per_chunk": {k: round(v, 6) for k, v in pieces.items()},
        "share_of_chunk": {k: round(v / whole, 4) for k, v in shares.items()},
        "breakdown": [
            {"piece": k, "ms_per_chunk": round(v * 1e3, 3), "share": round(v / whole, 4)}
            for k, v in shares.items()
        ],
        "draws_per_second": {
            "sum_of_pieces": chunk / whole,
            "device_counts_only": chunk / pieces["device_counts_only"]
            if "device_counts_only" in pieces
            else None,
            "run_forecast": chunk / pieces["run_forecast_per_chunk"]
            if "run_forecast_per_chunk" in pieces
            else None,
        },
        "compile_seconds": {k: round(v, 3) for k, v in compile_s.items()},
        "checkpoint_bytes": checkpoint_bytes,
        "xla_cost_per_draw": cost,
        "notes": notes,
    }
    return out


def block_sweep(scenario: str, chunk: int, blocks: list[int]) -> list[dict[str, Any]]:
    """What-if: ``run_forecast`` over two chunks with the engine's kernel block (draws per
    device per call, fixed per platform for bitwise reproducibility) patched to other sizes,
    in this process only. Each point compiles anew; draws/s is the engine's own figure."""
    import jax

    from forecaster.models import _interface as engine  # where the block constants live

    platform = jax.devices()[0].platform
    name = _block_constant(platform)
    if name is None:
        return [{"error": "the engine has no block constant to patch"}]
    original = getattr(engine, name)
    out = []
    try:
        for block in blocks:
            if chunk % block:
                continue
            setattr(engine, name, block)
            try:
                timing = _run_forecast_seconds(make_plan(scenario, 2 * chunk, chunk))
                out.append(
                    {
                        "block": block,
                        "chunk_size": int(timing.get("chunk_size", chunk)),
                        "draws_per_second": timing["draws_per_second"],
                        "compile_seconds": timing["compile_seconds"],
                        "default": block == original,
                    }
                )
            except Exception as exc:  # a block size the engine cannot take
                out.append({"block": block, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        setattr(engine, name, original)
    return out

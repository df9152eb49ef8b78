"""The execution engine: fixed-shape chunks, sharded over local devices, streamed into
integer accumulators that are checkpointed after every chunk.

Memory is bounded by the chunk size, not by ``n_draws``: a chunk's paths live only inside
the jitted function, and only its counts (and, for the first draws, a capped sample) come
back to the host.
"""

from __future__ import annotations

import collections
import dataclasses
import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P
from tqdm.auto import tqdm

from . import _interrupt as interrupt
from ._accumulate import (
    add_stats,
    calendar_statistics,
    chunk_statistics,
    counted_draws,
    horizon_within,
    nothing_before,
    zeros_like_stats,
)
from ._checkpoint import CHECKPOINT, check_counts, load_checkpoint, save_checkpoint
from ._config import ForecastPlan
from ._errors import ConfigError, EnvironmentFault
from ._kernel import solve_batch, summarise_batch
from ._priors import (
    effective_uniforms,
    prior_inputs,
    resampled,
    row_pickers,
    transform,
    uniforms_at,
)
from ._settings import precision_scope
from .models import Model
from .models.timelines import start_years


@dataclasses.dataclass
class ForecastResult:
    """Accumulated counts of a finished (or resumed-and-finished) run."""

    plan: ForecastPlan
    totals: dict[str, np.ndarray]
    sample: dict[str, np.ndarray]
    timing: dict[str, float]
    device: dict[str, Any]
    fingerprint: str


def fingerprint(plan: ForecastPlan) -> str:
    """A hash of everything that determines the numbers of the whole run (not chunking,
    devices, outputs or which shard this process runs)."""
    defining = {
        "scenario": plan.scenario,
        "priors": plan.priors.describe(),
        "correlations": None if plan.priors.cholesky is None else plan.priors.cholesky.tolist(),
        "model": plan.model.describe(),
        "n_draws": plan.n_draws,
        "seed": plan.seed,
        "precision": plan.precision,
        "progress_years": plan.progress_years,
        "sample_size": plan.sample_size,
        **({"path_sample": plan.path_sample} if plan.path_sample else {}),
        **({"start_year": plan.start_year} if plan.start_year is not None else {}),
        **({"not_before": plan.not_before} if plan.not_before is not None else {}),
        **({"horizon": plan.horizon} if plan.horizon is not None else {}),
        "timelines": None
        if plan.timelines is None
        else {
            **{k: v for k, v in dataclasses.asdict(plan.timelines).items() if k != "priors"},
            "priors": plan.timelines.priors.describe(),
        },
    }
    text = json.dumps(defining, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def local_devices() -> list[Any]:
    """This process's JAX devices (starting the backend on first use).

    Raises:
        EnvironmentFault: the backend cannot start here (``JAX_PLATFORMS`` names one this
            machine lacks, or its driver fails).
    """
    try:
        return jax.local_devices()
    except RuntimeError as err:
        raise EnvironmentFault(str(err).strip().splitlines()[0]) from None


def select_devices(requested: Any) -> list[Any]:
    """All local devices, or the first ``requested`` of them."""
    devices = local_devices()
    if requested == "all":
        return devices
    if requested > len(devices):
        raise ConfigError("devices", requested, f"at most {len(devices)} (local devices here)")
    return devices[:requested]


def kernel_inputs(plan: ForecastPlan, dtype: Any) -> dict[str, Any]:
    """The kernel's runtime inputs: the seed's key and the priors' values
    (:func:`~forecaster._priors.prior_inputs`, the start-date stage's too). Everything else the
    kernel computes is fixed when it compiles (:func:`kernel_structure`), so another seed or a
    changed prior value runs the same compiled program."""
    inputs = {
        "key": np.asarray(jax.random.PRNGKey(plan.seed)),
        "priors": prior_inputs(plan.priors, dtype),
    }
    if plan.timelines is not None:
        inputs["timelines"] = prior_inputs(plan.timelines.priors, dtype)
    return inputs


def kernel_structure(plan: ForecastPlan) -> dict[str, Any]:
    """What a compiled kernel of ``plan`` depends on besides :func:`kernel_inputs`: the
    model's settings (its grid and specialisations), the priors' structure (kinds, point
    masses, formulas, posterior files, a copula), the start-date stage's, the precision."""
    timelines = plan.timelines
    return {
        "model": plan.model.describe(),
        "priors": plan.priors.structure(),
        "precision": plan.precision,
        "progress_years": plan.progress_years,
        "path_sample": plan.path_sample,
        "start_year": plan.start_year,
        "not_before": plan.not_before,
        "horizon": plan.horizon,
        "timelines": None
        if timelines is None
        else {
            **{  # field by field: asdict would deep-copy the priors (posterior rows) first
                f.name: _plain(getattr(timelines, f.name))
                for f in dataclasses.fields(timelines)
                if f.name != "priors"
            },
            "priors": timelines.priors.structure(),
        },
    }


#: Kernel calls queued at most before the host waits for them. When the devices' counts were
#: summed by an all-reduce, a long queue of sharded calls could leave one XLA:CPU device's
#: thread waiting for the other past XLA's 40 s rendezvous limit, which aborted the process
#: (seen with Epoch's FTM: 256-draw blocks, 128 calls a chunk); the calls hold no collective
#: now, and the bound keeps the queue's memory small. A chunk of larger blocks is a few calls
#: and never waits here.
MAX_QUEUED_CALLS = 8


def accepted_by(model: Model, dtype: Any) -> Callable[[dict[str, jax.Array]], jax.Array]:
    """The model's acceptance of candidates' values [candidates, draws] (its parameters
    prepared from them): :func:`~forecaster._priors.resampled`'s ``accepts``."""

    def accepts(values: dict[str, jax.Array]) -> jax.Array:
        params = jax.vmap(lambda v: model.prepare(v, dtype))(values)
        return jax.vmap(jax.vmap(model.accepts))(params)

    return accepts


def _plain(value: Any) -> Any:
    """A setting as plain data (a nested dataclass as a dict)."""
    is_dataclass = dataclasses.is_dataclass(value) and not isinstance(value, type)
    return dataclasses.asdict(cast(Any, value)) if is_dataclass else value


def _programs(plan: ForecastPlan, block: int, mesh: Mesh, dtype: Any) -> tuple[Callable, Callable]:
    """The kernel call as two jitted programs (see :func:`~forecaster._kernel.summarise_batch`):
    ``draw_paths(start_hi, start_lo, inputs)`` samples draws [start, start + block x devices)
    and integrates their paths; ``count(start_hi, start_lo, n_valid, drawn, inputs)`` computes
    their outcomes and counts the first ``n_valid`` (the rest is padding). Each device takes a
    contiguous block; the paths stay on it in between. Each device returns its own counts
    (a leading device axis), summed on the host once a chunk (:func:`_host_counts`): no
    collective between devices, so each runs its calls without waiting for the others (an
    all-reduce of the counts in every call made two XLA:CPU devices slower than one).
    ``inputs`` (:func:`kernel_inputs`) holds the seed and the priors' values: only the plan's
    structure (:func:`kernel_structure`) is compiled in.
    """
    model = plan.model
    declared = model.outcomes()
    size = block * mesh.size

    def indices(start_hi: jax.Array, start_lo: jax.Array) -> tuple[jax.Array, jax.Array]:
        lo = start_lo + jnp.arange(size, dtype=jnp.uint32)  # wraps modulo 2^32
        return start_hi + (lo < start_lo).astype(jnp.uint32), lo

    def paths_on_device(index_hi, index_lo, inputs):
        priors = plan.priors.bind(inputs["priors"])
        if priors.resample is None:
            u = uniforms_at(priors, inputs["key"], index_hi, index_lo, dtype)
            sampled = transform(priors, u, dtype)
            accepted = jnp.ones(u.shape[:1], bool)
        else:
            u, sampled, accepted = resampled(
                priors, inputs["key"], index_hi, index_lo, dtype, accepted_by(model, dtype)
            )
        params, solutions = solve_batch(model, sampled, dtype)
        return u, sampled, accepted, params, solutions

    def counts_on_device(
        index_hi, index_lo, in_range, u, sampled, accepted, params, solutions, inputs
    ):
        priors = plan.priors.bind(inputs["priors"])
        out = summarise_batch(model, params, solutions)
        out = {**out, "non_finite": out["non_finite"] | ~accepted}  # no candidate accepted
        start = None
        if plan.timelines is not None:
            stage = dataclasses.replace(
                plan.timelines, priors=plan.timelines.priors.bind(inputs["timelines"])
            )
            u_t = uniforms_at(
                stage.priors, inputs["key"], index_hi, index_lo, dtype, stream=1, extra=1
            )
            start = start_years(stage, u_t, dtype, row_pickers(priors, u))
            # A start date that is NaN (a formula of the stage, say) makes the draw
            # non-finite: counted and left out of every statistic, like any other.
            out = {**out, "non_finite": out["non_finite"] | jnp.isnan(start)}
        dated_stage = plan.timelines is not None
        if start is None and plan.start_year is not None:
            start = jnp.full(in_range.shape, plan.start_year, dtype)
        kept = None
        if plan.not_before is not None:
            kept = nothing_before(declared, start, out, dated_stage, plan.not_before)
        if plan.horizon is not None:
            within = horizon_within(declared, out, *plan.horizon[1:])
            kept = within if kept is None else kept & within
        u_values = effective_uniforms(priors, u, sampled)  # sensitivity bins of every value
        stats = chunk_statistics(declared, out, u_values, in_range, kept)
        per_draw = {
            **model.per_draw_values(params),
            **sampled,
            **{f"out_{k}": v for k, v in out.items()},
        }
        if kept is not None:
            per_draw["condition_met"] = kept
        if plan.path_sample:
            per_draw |= model.path_sample(solutions)
        if start is not None:
            counted = counted_draws(out, in_range, kept)
            stats |= calendar_statistics(declared, start, out, counted, dated_stage)
            if dated_stage:
                per_draw["start_year"] = start
        return jax.tree.map(lambda a: a[None], stats), per_draw

    def sharded(fn: Callable, n_in: int, out_specs: Any) -> Callable:
        # check_vma=False: the kernel's scans start from per-device constants. The inputs
        # (last) are the same on every device.
        in_specs = (*(P("draws"),) * n_in, P())
        return jax.shard_map(fn, mesh=mesh, in_specs=in_specs, out_specs=out_specs, check_vma=False)

    @jax.jit
    def draw_paths(start_hi: jax.Array, start_lo: jax.Array, inputs: dict):
        return sharded(paths_on_device, 2, P("draws"))(*indices(start_hi, start_lo), inputs)

    @jax.jit
    def count(
        start_hi: jax.Array, start_lo: jax.Array, n_valid: jax.Array, drawn: tuple, inputs: dict
    ):
        in_range = jnp.arange(size) < n_valid
        on_device = sharded(counts_on_device, 8, (P("draws"), P("draws")))
        return on_device(*indices(start_hi, start_lo), in_range, *drawn, inputs)

    return draw_paths, count


_PROGRAMS: collections.OrderedDict[str, tuple[Callable, Any]] = collections.OrderedDict()
_PROGRAMS_KEPT = 8  # compiled kernels kept warm in a process (a server, a sweep, tests)


def _program_key(plan: ForecastPlan, block: int, mesh: Mesh, dtype: Any) -> str:
    """What a compiled kernel depends on: the plan's structure (:func:`kernel_structure`: not
    the seed, the priors' values, the number of draws or the shard, which are its inputs or
    set how often it is called), the posterior files' draws (their content is in the
    program), the inputs' shapes and dtypes, the block, devices, dtype."""
    text = json.dumps(kernel_structure(plan), sort_keys=True, default=str)
    h = hashlib.sha256(text.encode())
    inputs = kernel_inputs(plan, dtype)
    h.update(repr(jax.tree.map(lambda a: (np.shape(a), str(np.asarray(a).dtype)), inputs)).encode())
    stages = [plan.priors] + ([plan.timelines.priors] if plan.timelines is not None else [])
    for prior_set in stages:
        for prior in prior_set.priors:
            if prior.kind == "posterior":
                h.update(np.ascontiguousarray(prior.distribution.rows).tobytes())
    h.update(repr((block, [str(d) for d in mesh.devices.flat], str(np.dtype(dtype)))).encode())
    return h.hexdigest()


def _compiled(
    plan: ForecastPlan, block: int, mesh: Mesh, dtype: Any
) -> tuple[tuple[Callable, Any], bool]:
    """:func:`_compile`, kept for the next run of the same kernel in this process; and whether
    it was compiled now (False: kept from before)."""
    key = _program_key(plan, block, mesh, dtype)
    if key in _PROGRAMS:
        _PROGRAMS.move_to_end(key)
        return _PROGRAMS[key], False
    program = _compile(plan, block, mesh, dtype)
    _PROGRAMS[key] = program
    while len(_PROGRAMS) > _PROGRAMS_KEPT:
        _PROGRAMS.popitem(last=False)
    return program, True


def _compile(plan: ForecastPlan, block: int, mesh: Mesh, dtype: Any) -> tuple[Callable, Any]:
    """Compile the kernel call ahead of time: (call(start_hi, start_lo, n_valid, inputs,
    total=None) -> (counts, plus ``total`` if given, per-draw values), the shapes of both).
    The sum of the counts over a chunk's calls is compiled here too, not at a run's first
    call (0.2 s)."""
    draw_paths, count = _programs(plan, block, mesh, dtype)
    draw_paths, count = cast(Any, draw_paths), cast(Any, count)  # jitted: they lower
    args = (*_split_index(plan.draw_range[0]), np.int32(0))
    inputs = kernel_inputs(plan, dtype)
    drawn = jax.eval_shape(draw_paths, *args[:2], inputs)
    paths_program = draw_paths.lower(*args[:2], inputs).compile()
    count_program = count.lower(*args, drawn, inputs).compile()
    traced = jax.eval_shape(count, *args, drawn, inputs)
    placed = count_program.output_shardings[0]
    counts = jax.tree.map(
        lambda a, where: jax.ShapeDtypeStruct(a.shape, a.dtype, sharding=where), traced[0], placed
    )
    add_program = jax.jit(_add_counts, out_shardings=placed).lower(counts, counts).compile()

    def call(start_hi, start_lo, n_valid, inputs, total=None):
        drawn = paths_program(start_hi, start_lo, inputs)
        stats, per_draw = count_program(start_hi, start_lo, n_valid, drawn, inputs)
        return (stats if total is None else add_program(total, stats)), per_draw

    return call, _summed_shapes(traced)


def _summed_shapes(traced: Any) -> Any:
    """The kernel's traced output with its counts summed over devices (the leading device
    axis of each count dropped: see :func:`_programs`)."""
    stats, per_draw = traced
    return {k: jax.ShapeDtypeStruct(v.shape[1:], v.dtype) for k, v in stats.items()}, per_draw


def _host_counts(counts: dict[str, jax.Array]) -> dict[str, np.ndarray]:
    """Each device's counts [devices, ...] summed on the host, in int64: exact, so the totals
    are the same whatever the number of devices."""
    return {k: np.asarray(v, np.int64).sum(axis=0) for k, v in counts.items()}


def _add_counts(total: dict[str, jax.Array], more: dict[str, jax.Array]) -> dict:
    return jax.tree_util.tree_map(jnp.add, total, more)


Shapes = dict[str, tuple[int, ...]]
SampleShapes = dict[str, tuple[tuple[int, ...], np.dtype]]


def _as_shapes(traced: Any) -> tuple[Shapes, SampleShapes]:
    """(each count's shape, each per-draw sample value's shape after the draw axis and dtype)
    from the kernel's traced output."""
    stats, per_draw = traced
    totals = {k: tuple(v.shape) for k, v in stats.items()}
    return totals, {k: (tuple(v.shape[1:]), np.dtype(v.dtype)) for k, v in per_draw.items()}


def plan_shapes(plan: ForecastPlan) -> tuple[Shapes, SampleShapes]:
    """What a checkpoint of ``plan`` holds: its counts' shapes and its sample's columns
    (:func:`_as_shapes`), traced on one local device (nothing is compiled or run)."""
    with precision_scope(plan.precision) as dtype:
        device = local_devices()[0]
        mesh = Mesh(np.array([device]), ("draws",))
        draw_paths, count = _programs(plan, plan.model.block_size(device.platform), mesh, dtype)
        args = (*_split_index(plan.draw_range[0]), np.int32(0))
        inputs = kernel_inputs(plan, dtype)
        drawn = jax.eval_shape(draw_paths, *args[:2], inputs)
        return _as_shapes(_summed_shapes(jax.eval_shape(count, *args, drawn, inputs)))


def _split_index(start: int) -> tuple[np.uint32, np.uint32]:
    return np.uint32(start >> 32), np.uint32(start & 0xFFFFFFFF)


def saved_state(plan: ForecastPlan, run_dir: Path, field: str = "resume") -> dict | None:
    """The checkpoint in ``run_dir`` if it is of this plan and shard; None if there is none.

    Raises:
        ConfigError: the directory holds a run of another configuration, seed or shard.
    """
    checkpoint = run_dir / CHECKPOINT
    if not os.path.lexists(checkpoint):  # a link or a FIFO there is refused by the load
        return None
    saved = load_checkpoint(checkpoint)
    if saved["fingerprint"] != fingerprint(plan) or saved["shard"] != [
        plan.shard_index,
        plan.num_shards,
    ]:
        raise ConfigError(
            field,
            str(run_dir),
            "a run directory of the same configuration (it holds a run of another "
            "configuration, seed or shard: choose another directory)",
        )
    # Against the plan's own accumulators and sample (traced, not compiled): before the
    # directory is written, so a refused checkpoint leaves the run as it was.
    shapes, columns = plan_shapes(plan)
    check_counts(checkpoint, saved, plan.draw_range, sample_caps(plan), shapes, columns)
    return saved


def run_forecast(
    plan: ForecastPlan,
    run_dir: Path,
    progress_bar: bool = True,
    on_chunk: Callable[[int, int], None] | None = None,
) -> ForecastResult:
    """Run (or resume) a forecast, checkpointing into ``run_dir`` after every chunk.

    ``on_chunk(done, total)`` is called after each chunk (the explorer's progress; an
    exception it raises stops the run there, its checkpoint saved). A float64 plan runs
    inside :func:`precision_scope`: JAX's 64-bit mode is on for the run only.
    """
    with precision_scope(plan.precision) as dtype:
        return _run(plan, run_dir, progress_bar, dtype, on_chunk)


def _run(
    plan: ForecastPlan,
    run_dir: Path,
    progress_bar: bool,
    dtype: Any,
    on_chunk: Callable[[int, int], None] | None = None,
) -> ForecastResult:
    devices = select_devices(plan.devices)
    mesh = Mesh(np.array(devices), ("draws",))
    n_dev = len(devices)
    block = plan.model.block_size(devices[0].platform)
    call = block * n_dev
    chunk = -(-plan.chunk_size // call) * call
    start, stop = plan.draw_range
    fp = fingerprint(plan)
    run_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = run_dir / CHECKPOINT

    shard = [plan.shard_index, plan.num_shards]
    state: dict[str, Any] = {
        "next_draw": start,
        "stop_draw": stop,
        "fingerprint": fp,
        "seconds": 0.0,
        "shard": shard,
    }
    saved = saved_state(plan, run_dir)
    if saved is not None:
        state = saved

    t0 = time.perf_counter()
    (compiled, traced), compiled_now = _compiled(plan, block, mesh, dtype)
    compile_seconds = time.perf_counter() - t0 if compiled_now else 0.0  # 0: kept warm
    inputs = jax.device_put(kernel_inputs(plan, dtype), NamedSharding(mesh, P()))

    if "totals" not in state:  # (a resumed run's state was checked by saved_state)
        state["totals"] = zeros_like_stats(traced[0])
        state["sample"] = {}

    done = state["next_draw"] - start
    bar = tqdm(
        total=stop - start,
        initial=done,
        unit="draws",
        unit_scale=True,
        disable=not progress_bar,
        desc=f"{plan.scenario}",
        smoothing=0.1,
        dynamic_ncols=True,
    )
    t_run = time.perf_counter()
    seconds_before = float(state["seconds"])
    draws_this_session = 0
    position = state["next_draw"]
    while position < stop:
        # One chunk: its kernel calls are queued without waiting (async dispatch), their
        # counts summed on the device; the host syncs once per chunk to checkpoint.
        chunk_stop = min(position + chunk, stop)
        counts = None
        for queued, call_start in enumerate(range(position, chunk_stop, call), start=1):
            n_valid = min(call, chunk_stop - call_start)
            counts, per_draw = compiled(
                *_split_index(call_start), np.int32(n_valid), inputs, counts
            )
            if queued % MAX_QUEUED_CALLS == 0:  # see MAX_QUEUED_CALLS
                jax.block_until_ready(counts)
            if call_start - start < plan.sample_size:
                _collect_sample(state["sample"], per_draw, n_valid, sample_caps(plan))
        if counts is not None:
            add_stats(state["totals"], _host_counts(counts))
        draws_this_session += chunk_stop - position
        bar.update(chunk_stop - position)
        position = chunk_stop
        state["next_draw"] = position
        state["seconds"] = seconds_before + time.perf_counter() - t_run
        save_checkpoint(checkpoint, state)
        if on_chunk is not None:
            on_chunk(position - start, stop - start)
        interrupt.check()  # a Ctrl-C an ignored callback swallowed stops here, checkpointed
    run_seconds = time.perf_counter() - t_run
    bar.close()
    if draws_this_session == 0:  # a shard with no draws of its own, or a finished run
        save_checkpoint(checkpoint, state)  # (else the last chunk's checkpoint is this state)

    timing = {
        "compile_seconds": compile_seconds,
        "run_seconds": run_seconds,
        "total_run_seconds": float(state["seconds"]),
        "draws_this_session": draws_this_session,
        "draws_per_second": draws_this_session / run_seconds if run_seconds > 0 else float("nan"),
        "chunk_size": chunk,
        "block_size": block,
    }
    device = {
        "platform": devices[0].platform,
        "kind": devices[0].device_kind,
        "count": n_dev,
    }
    return ForecastResult(plan, state["totals"], state["sample"], timing, device, fp)


def sample_caps(plan: ForecastPlan) -> tuple[int, int]:
    """How many of the first draws the sample keeps: (per-draw values, whole paths)."""
    return plan.sample_size, plan.path_sample


def sample_cap(key: str, caps: tuple[int, int]) -> int:
    """The cap of one sample array: whole paths (``path_*``) have their own."""
    return caps[1] if key.startswith("path_") else caps[0]


def _collect_sample(
    sample: dict[str, np.ndarray],
    per_draw: Mapping[str, jax.Array],
    n_valid: int,
    caps: tuple[int, int],
) -> None:
    """Keep the first draws of the run (a function of draw index, not chunking)."""
    for key, value in per_draw.items():
        have = sample[key].shape[0] if key in sample else 0
        take = min(n_valid, sample_cap(key, caps) - have)
        if take <= 0:
            continue
        part = np.asarray(value)[:take]  # sliced on the host: no program per slice size
        sample[key] = part if key not in sample else np.concatenate([sample[key], part])

"""Checkpoints: a run's exact integer accumulators on disk, written atomically and checked
on every read.

A checkpoint (``accumulators.npz``) is data someone may have truncated, edited or swapped:
it is read without unpickling, its content hash must match, and its counts must be a state a
run can reach (integers, non-negative, every histogram summing to the draws counted, events
no more than the draws, the next draw consistent with the counts) before a single draw is
computed from it. Anything else is one line naming the file and what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import math
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ._accumulate import SENSITIVITY_BINS
from ._errors import ConfigError
from ._files import open_regular, parse_json, write_atomic

CHECKPOINT = "accumulators.npz"
META_KEYS = ("next_draw", "stop_draw", "fingerprint", "seconds", "shard")


def content_hash(meta: Mapping[str, Any], totals: Mapping[str, np.ndarray], sample: Mapping) -> str:
    """SHA-256 over the metadata and every array (name, dtype, shape, bytes)."""
    digest = hashlib.sha256(json.dumps({k: meta[k] for k in META_KEYS}, sort_keys=True).encode())
    for prefix, arrays in (("t_", totals), ("s_", sample)):
        for name in sorted(arrays):
            array = np.ascontiguousarray(arrays[name])
            digest.update(f"{prefix}{name}|{array.dtype.str}|{array.shape}|".encode())
            digest.update(array.tobytes())
    return digest.hexdigest()


def save_checkpoint(path: Path, state: Mapping[str, Any]) -> None:
    """Write the accumulators atomically: a crash leaves the previous checkpoint intact, and
    two writers never share a temporary file."""
    meta = {k: state[k] for k in META_KEYS}
    meta["content_hash"] = content_hash(meta, state["totals"], state["sample"])
    arrays = {f"t_{k}": v for k, v in state["totals"].items()}
    arrays |= {f"s_{k}": v for k, v in state["sample"].items()}
    write_atomic(path, lambda fh: np.savez(fh, meta=np.array(json.dumps(meta)), **arrays))


def _refuse(path: Path, what: str) -> ConfigError:
    return ConfigError("checkpoint", str(path), what)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` (never unpickles anything) and
    check its content hash and the form of its fields.

    Raises:
        ConfigError: a file that is not an intact checkpoint (truncated, foreign, edited).
    """
    try:
        file = open_regular(path, "checkpoint", "a checkpoint")
    except OSError as err:
        raise _refuse(path, f"a readable {CHECKPOINT} ({err})") from None
    try:
        with file, np.load(file, allow_pickle=False) as data:
            meta_text = str(data["meta"])
            totals = {k[2:]: data[k] for k in data.files if k.startswith("t_")}
            sample = {k[2:]: data[k] for k in data.files if k.startswith("s_")}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        raise _refuse(path, f"a readable {CHECKPOINT} ({err})") from None
    meta = parse_json(meta_text, "checkpoint", path, f"{CHECKPOINT} metadata")
    if not isinstance(meta, dict):
        raise _refuse(path, f"a {CHECKPOINT} whose metadata is a mapping")
    missing = {*META_KEYS, "content_hash"} - set(meta)
    if missing:
        raise _refuse(path, f"a {CHECKPOINT} with {sorted(missing)}")
    if meta["content_hash"] != content_hash(meta, totals, sample):
        raise _refuse(path, f"an unmodified {CHECKPOINT} (its content hash does not match)")
    _check_meta(path, meta)
    return {**{k: meta[k] for k in META_KEYS}, "totals": totals, "sample": sample}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_meta(path: Path, meta: Mapping[str, Any]) -> None:
    for key in ("next_draw", "stop_draw"):
        if not _is_int(meta[key]) or meta[key] < 0:
            raise _refuse(path, f"a {CHECKPOINT} whose {key} is an integer >= 0")
    if not isinstance(meta["fingerprint"], str):
        raise _refuse(path, f"a {CHECKPOINT} whose fingerprint is a string")
    seconds = meta["seconds"]
    if not isinstance(seconds, int | float) or not math.isfinite(seconds) or seconds < 0:
        raise _refuse(path, f"a {CHECKPOINT} whose seconds is a number >= 0")
    shard = meta["shard"]
    if (
        not isinstance(shard, list)
        or len(shard) != 2
        or not all(_is_int(v) for v in shard)
        or not 0 <= shard[0] < shard[1]
    ):
        raise _refuse(path, f"a {CHECKPOINT} whose shard is [index, count], 0 <= index < count")


def check_counts(
    path: Path,
    state: Mapping[str, Any],
    draw_range: tuple[int, int],
    sample_caps: tuple[int, int],
    shapes: Mapping[str, tuple[int, ...]] | None = None,
    columns: Mapping[str, tuple[tuple[int, ...], np.dtype]] | None = None,
) -> None:
    """Check that ``state`` is a state a run over ``draw_range`` can reach (``sample_caps``:
    how many first draws its sample keeps, per-draw values and whole paths).

    ``shapes`` (when given) are the accumulators' shapes for the plan, ``columns`` its
    sample's values (shape after the draw axis, dtype); without them the arrays are checked
    against each other only. Every count is an int64 between 0 and the draws counted, so no
    sum of them can wrap around (rows of at most a few thousand cells, n <= 10^13).

    Raises:
        ConfigError: the first inconsistency found, naming the file and the field.
    """
    start, stop = draw_range
    totals = state["totals"]
    if state["stop_draw"] != stop or not start <= state["next_draw"] <= stop:
        raise _refuse(path, f"a checkpoint of draws [{start}, {stop}) (next_draw, stop_draw)")
    if shapes is not None:
        if set(totals) != set(shapes):
            raise _refuse(path, "a checkpoint with this plan's accumulators (names differ)")
        for name, shape in shapes.items():
            if tuple(totals[name].shape) != tuple(shape):
                raise _refuse(path, f"a checkpoint whose {name} has shape {tuple(shape)}")
    for name in ("draws", "finite", "non_finite", "events"):
        if name not in totals:
            raise _refuse(path, f"a checkpoint with the {name} count")
    for name, array in totals.items():
        if array.dtype != np.int64:
            raise _refuse(path, f"a checkpoint whose {name} holds integer counts (int64)")
        if array.size and array.min() < 0:
            raise _refuse(path, f"a checkpoint whose {name} counts are >= 0")
    done = state["next_draw"] - start
    draws, finite = totals["draws"].reshape(-1), totals["finite"].reshape(-1)
    if draws.shape != (1,) or int(draws[0]) != done:
        raise _refuse(path, f"a checkpoint whose draws count is next_draw - start ({done})")
    n = int(finite[0]) if finite.shape == (1,) else -1
    excluded = totals.get("excluded", np.zeros(1, np.int64)).reshape(-1)
    if excluded.shape != (1,):
        raise _refuse(path, "a checkpoint whose excluded count is one number")
    if n < 0 or n + int(totals["non_finite"].reshape(-1)[0]) + int(excluded[0]) != done:
        raise _refuse(
            path, "a checkpoint whose finite, non_finite and excluded counts sum to its draws"
        )
    if np.any(totals["events"] > n):
        raise _refuse(path, "a checkpoint whose event counts are at most its finite draws")
    within = totals.get("milestone_within")
    if within is not None and (np.any(within > n) or np.any(np.diff(within, axis=-1) < 0)):
        raise _refuse(path, "a checkpoint whose milestone counts are at most its finite draws")
    for name, array in totals.items():
        if array.size and int(array.max()) > done:
            raise _refuse(path, f"a checkpoint whose {name} counts are at most its {done} draws")
    for name, array in totals.items():
        if name.startswith(("hist_", "cal_")) and not np.all(array.sum(axis=-1) == n):
            raise _refuse(path, f"a checkpoint whose {name} histograms each sum to {n} draws")
    _check_sensitivity(path, totals, n)
    _check_sample(path, state["sample"], done, sample_caps, columns)


def _check_sensitivity(path: Path, totals: Mapping[str, np.ndarray], n: int) -> None:
    if "bin_draws" not in totals and "bin_events" not in totals:
        return
    bins, hits = totals.get("bin_draws"), totals.get("bin_events")
    events = totals["events"]
    if (
        bins is None
        or hits is None
        or bins.ndim != 1
        or bins.size % SENSITIVITY_BINS
        or hits.shape != (bins.size, events.size)
    ):
        raise _refuse(path, "a checkpoint whose bin_draws and bin_events match its events")
    per_parameter = bins.reshape(-1, SENSITIVITY_BINS)
    if not np.all(per_parameter.sum(axis=1) == n):
        raise _refuse(path, f"a checkpoint whose bin_draws sum to {n} draws per parameter")
    if np.any(hits > bins[:, None]) or not np.all(
        hits.reshape(-1, SENSITIVITY_BINS, events.size).sum(axis=1) == events[None, :]
    ):
        raise _refuse(path, "a checkpoint whose bin_events sum to its events per parameter")


def _check_sample(
    path: Path,
    sample: Mapping[str, np.ndarray],
    done: int,
    caps: tuple[int, int],
    columns: Mapping[str, tuple[tuple[int, ...], np.dtype]] | None,
) -> None:
    """Each sample array holds its first min(cap, done) draws (whole paths: their own cap);
    with ``columns``, exactly the plan's values, each of its shape and dtype."""

    def length(name: str) -> int:
        return min(caps[1] if name.startswith("path_") else caps[0], done)

    if min(caps[0], done) and not sample:
        raise _refuse(path, f"a checkpoint with its sample of the first {min(caps[0], done)} draws")
    if columns is not None:
        expected = {name for name in columns if length(name)}
        if set(sample) != expected:
            missing, extra = sorted(expected - set(sample)), sorted(set(sample) - expected)
            raise _refuse(
                path,
                f"a checkpoint whose sample holds this plan's values (missing {missing}, "
                f"extra {extra})",
            )
    for name, array in sample.items():
        if array.dtype.kind not in "biuf" or array.ndim not in (1, 2) or len(array) != length(name):
            raise _refuse(
                path, f"a checkpoint whose sample {name} holds {length(name)} numeric draws"
            )
        if columns is not None:
            shape, dtype = columns[name]
            if array.shape[1:] != shape or array.dtype != dtype:
                raise _refuse(
                    path, f"a checkpoint whose sample {name} has shape (draws, *{shape}) of {dtype}"
                )

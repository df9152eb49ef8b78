"""Faults in files read back: checkpoints, shards, posteriors, observation data, summaries.

A file is data someone may have truncated, edited or swapped. Each case is refused with one
line naming the file, exit 2, before a single draw is computed, and the run directory keeps
its results byte for byte.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest

from forecaster._checkpoint import CHECKPOINT, load_checkpoint

from .conftest import rewrite_checkpoint, snapshot

pytestmark = pytest.mark.slow  # every case reads a run made by a child process


def _scale(state):
    state["totals"] = {k: v * 1000 for k, v in state["totals"].items()}


def _as_float(state):
    state["totals"]["events"] = state["totals"]["events"].astype(float)


def _negative(state):
    state["totals"]["events"][0] = -1


def _histogram_off(state):
    state["totals"]["hist_peak_speedup"][0, 0] += 1


def _events_over_draws(state):
    state["totals"]["events"][0] = state["totals"]["finite"][0] + 1


def _next_draw_beyond(state):
    state["next_draw"] = state["stop_draw"] + 4096


def _next_draw_back(state):
    state["next_draw"] = 0


def _sensitivity_off(state):
    state["totals"]["bin_draws"][0] += 1
    state["totals"]["bin_draws"][1] -= 1
    state["totals"]["bin_events"][0, 0] = state["totals"]["bin_draws"][0] + 5


def _sample_short(state):
    state["sample"] = {k: v[:3] for k, v in state["sample"].items()}


def _shard_bad(state):
    state["shard"] = [3, 2]


HOSTILE_EDITS = {
    "counts-times-1000": (_scale, "draws count"),
    "float-counts": (_as_float, "integer counts"),
    "negative-count": (_negative, ">= 0"),
    "histogram-not-summing": (_histogram_off, "histograms each sum"),
    "events-over-draws": (_events_over_draws, "at most its finite"),
    "next-draw-past-stop": (_next_draw_beyond, "next_draw"),
    "next-draw-rewound": (_next_draw_back, "draws count"),
    "sensitivity-inconsistent": (_sensitivity_off, "bin_"),
    "sample-cut": (_sample_short, "sample"),
    "shard-out-of-range": (_shard_bad, "shard"),
}


@pytest.mark.parametrize("case", list(HOSTILE_EDITS), ids=list(HOSTILE_EDITS))
def test_an_edited_checkpoint_with_a_fresh_hash_is_refused_by_its_counts(
    cli, small_run, copy_of, case
):
    run = copy_of(small_run)
    edit, fragment = HOSTILE_EDITS[case]
    rewrite_checkpoint(run / CHECKPOINT, edit)
    before = snapshot(run)
    cli("forecast", f"resume={run}").one_line(2, f"{run / CHECKPOINT}", fragment)
    assert snapshot(run) == before


def _truncate(path):
    path.write_bytes(path.read_bytes()[:1000])


def _garbage(path):
    path.write_bytes(b"\x00not a zip file" * 100)


def _edit_meta(path, edit):
    """Rewrite the checkpoint's metadata with ``edit`` and leave the content hash alone."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays.pop("meta")))
    edit(meta)
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)


def _flip_next_draw(path):
    """An edit that leaves the file well-formed but does not update its content hash."""
    _edit_meta(path, lambda meta: meta.update(next_draw=0))


def _pickled(path):
    np.savez(path, meta=np.array([{"next_draw": 0}], dtype=object))


def _no_meta_key(path):
    _edit_meta(path, lambda meta: meta.pop("content_hash"))


CORRUPTIONS = {
    "truncated": (_truncate, "readable"),
    "not-a-zip": (_garbage, "readable"),
    "edited-without-hash": (_flip_next_draw, "content hash"),
    "pickled-object": (_pickled, "readable"),
    "missing-hash": (_no_meta_key, "content_hash"),
}


@pytest.mark.parametrize("case", list(CORRUPTIONS), ids=list(CORRUPTIONS))
def test_a_corrupt_checkpoint_is_one_line_and_the_run_keeps_its_results(
    cli, small_run, copy_of, case
):
    run = copy_of(small_run)
    corrupt, fragment = CORRUPTIONS[case]
    corrupt(run / CHECKPOINT)
    before = snapshot(run)
    cli("forecast", f"resume={run}").one_line(2, "checkpoint=", fragment)
    assert snapshot(run) == before


def test_a_resume_refused_by_the_device_count_keeps_the_run(cli, small_run, copy_of):
    run = copy_of(small_run)
    before = snapshot(run)
    cli("forecast", f"resume={run}", "devices=64").one_line(2, "devices=64")
    assert snapshot(run) == before


@pytest.mark.parametrize(
    ("setting", "fragment"),
    [
        ("n_draws=${seed}", "not an interpolation"),
        ("output.progress_bar=${oops}", "not an interpolation"),
        ("~seed", "resume= takes no"),
        ("+extra=1", "resume= takes no"),
        ("hydra.run.dir=/tmp/x", "resume= takes no"),
    ],
    ids=["interpolation", "unresolvable", "delete", "append", "hydra"],
)
def test_a_resume_setting_is_plain_data(cli, small_run, copy_of, setting, fragment):
    run = copy_of(small_run)
    before = snapshot(run)
    cli("forecast", f"resume={run}", setting).one_line(2, fragment)
    assert snapshot(run) == before


# --- shards and merge ----------------------------------------------------------------------


def test_a_shard_with_edited_counts_is_refused_and_nothing_is_written(cli, shards, tmp_path):
    rewrite_checkpoint(shards[1] / CHECKPOINT, _scale)
    out = tmp_path / "merged"
    cli("merge", *map(str, shards), "--out", str(out)).one_line(2, str(shards[1] / CHECKPOINT))
    assert not (out / "summary.json").exists()


def test_a_missing_shard_is_named(cli, shards, tmp_path):
    cli("merge", str(shards[0]), "--out", str(tmp_path / "m")).one_line(2, "missing indices [1]")


def test_a_merge_into_another_runs_directory_leaves_it_as_it_was(cli, shards, small_run, copy_of):
    other = copy_of(small_run)
    before = snapshot(other)
    cli("merge", *map(str, shards), "--out", str(other)).one_line(2, "--out=", "another run")
    assert snapshot(other) == before


def test_a_merge_into_one_of_its_shards_is_refused(cli, shards):
    before = snapshot(shards[0])
    cli("merge", *map(str, shards), "--out", str(shards[0])).one_line(2, "not one of the shards")
    assert snapshot(shards[0]) == before


def test_a_shard_whose_config_names_code_is_refused(cli, shards, tmp_path):
    config = shards[0] / "config.yaml"
    config.write_text(config.read_text() + "callback:\n  _target_: os.system\n")
    cli("merge", *map(str, shards), "--out", str(tmp_path / "m")).one_line(2, "shard=", "callback")


def test_a_merge_again_into_its_own_output_gives_the_same_result(cli, shards, tmp_path):
    out = tmp_path / "merged"
    assert cli("merge", *map(str, shards), "--out", str(out)).code == 0
    first = json.loads((out / "summary.json").read_text())["probabilities"]
    assert cli("merge", *map(str, shards), "--out", str(out)).code == 0
    assert json.loads((out / "summary.json").read_text())["probabilities"] == first


# --- posteriors ------------------------------------------------------------------------------


def _posterior_args(path, variable="r_new"):
    return [
        "scenario=davidson_houlden_2025",
        "~scenario.params.p",
        f"+scenario.params.p={{dist: posterior, path: {path}, variable: {variable}}}",
    ]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("r_new\n0.3\nabc\ndef\nghi\n", "3 of 4"),
        ("r_new\n0.3\n\n0.4\nnan\n", "are not"),
        ("other\n0.3\n", "a column of"),
    ],
    ids=["mostly-text", "nan-draw", "no-such-column"],
)
def test_a_bad_posterior_csv_is_one_line(cli, tmp_path, content, fragment):
    path = tmp_path / "posterior.csv"
    path.write_text(content)
    run = tmp_path / "run"
    cli("forecast", *_posterior_args(path), f"hydra.run.dir={run}").one_line(
        2, "scenario.params.p.", fragment
    )
    assert not (run / "summary.json").exists()


def test_a_corrupt_posterior_netcdf_is_one_line(cli, tmp_path):
    path = tmp_path / "posterior.nc"
    path.write_bytes(b"CDF\x01 broken" * 10)
    cli("forecast", *_posterior_args(path), f"hydra.run.dir={tmp_path}/run").one_line(
        2, "scenario.params.p.path=", "netCDF"
    )


def test_a_missing_posterior_is_one_line(cli, tmp_path):
    cli("forecast", *_posterior_args(tmp_path / "nope.nc"), f"hydra.run.dir={tmp_path}/r").one_line(
        2, "scenario.params.p.path=", "existing posterior"
    )


# --- observation data (calibration) --------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda f: f.assign(r_median=["many"] + list(f.r_median[1:])), "r_median"),
        (lambda f: f.drop(columns=["r_median"]), "r_median"),
        (lambda f: f.assign(source=[""] + list(f.source[1:])), "source"),
    ],
    ids=["text-in-a-number", "missing-column", "no-source"],
)
def test_bad_observation_data_is_one_line(cli, tmp_path, edit, fragment):
    from forecaster._paths import data_dir

    data = tmp_path / "data"
    shutil.copytree(data_dir(), data)
    table = pd.read_csv(data / "returns_to_software_rd.csv", dtype=str, keep_default_na=False)
    edit(table).to_csv(data / "returns_to_software_rd.csv", index=False)
    outcome = cli("calibrate", "model=returns", f"data_dir={data}", f"hydra.run.dir={tmp_path}/cal")
    outcome.one_line(2, fragment)
    assert not (tmp_path / "cal" / "posterior.nc").exists()


# --- summaries given to report ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"scenario": [1, 2', "readable summary.json"),
        ("[1, 2]", "JSON object"),
        ('{"scenario": "x", "probabilities": "none"}', "'probabilities'"),
        ('{"scenario": 3, "probabilities": []}', "'scenario'"),
        ('{"scenario": "x", "probabilities": [], "posterior_files": [{"path": 1}]}', "posterior"),
        ('{"scenario": "x", "probabilities": [{"p": "high"}]}', "'probabilities'"),
        ('{"scenario": "x", "probabilities": [], "timing": {"run_seconds": "fast"}}', "'timing'"),
    ],
    ids=[
        "truncated",
        "not-an-object",
        "wrong-type",
        "scenario-number",
        "posterior-files",
        "text-probability",
        "text-timing",
    ],
)
def test_a_malformed_summary_is_one_line_for_report(cli, small_run, copy_of, content, fragment):
    run = copy_of(small_run)
    (run / "summary.json").write_text(content)
    cli("report", str(run)).one_line(2, "report.path=", fragment)
    assert not (run / "report.html").exists()


def test_a_finished_run_still_loads_after_all_that(small_run):
    """The fixtures were copies: the original checkpoint is intact and passes every check."""
    state = load_checkpoint(small_run / CHECKPOINT)
    assert state["next_draw"] == state["stop_draw"] == 4096

"""Links placed in a run directory, and files read back that are not what they claim.

Class 1 (writing through links): every output is written to a private temporary file and
renamed onto its name, so a symbolic link placed where an output goes is replaced and its
target (a file outside the run directory) stays byte for byte; the lock, the checkpoint and
the saved config are never opened through a link, and a run directory that is itself a link
is refused. Class 2 (files read back, fully checked): a FIFO where a file is expected, an
alias bomb, deep nesting, an oversized file, counts that wrap around, a sample of other
columns, a posterior of another form, shards whose config is not their checkpoint's, and a
summary with a probability of 7 or a NaN are each one line, exit 2, nothing written.
"""

from __future__ import annotations

import json
import os
import signal

import numpy as np
import pytest

from forecaster._checkpoint import CHECKPOINT

from .conftest import rewrite_checkpoint, snapshot

pytestmark = pytest.mark.slow  # every case reads a run made by a child process

VICTIM = b"a file outside the run directory\n"


@pytest.fixture(autouse=True)
def _no_hang():
    """A FIFO opened for reading would block: fail the case instead of the suite."""

    def stuck(*_):
        raise TimeoutError("a read blocked")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(240)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def victim(tmp_path):
    path = tmp_path / "outside" / "victim"
    path.parent.mkdir()
    path.write_bytes(VICTIM)
    return path


def _link(run, name, target):
    (run / name).unlink(missing_ok=True)
    (run / name).symlink_to(target)


def _fifo(run, name):
    (run / name).unlink(missing_ok=True)
    os.mkfifo(run / name)


# --- class 1: writing through links ----------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["probabilities.csv", "curve.csv", "draws.parquet", "summary.json"]
)
def test_a_link_where_an_output_goes_is_replaced_not_written_through(
    cli, small_run, copy_of, victim, name
):
    run = copy_of(small_run)
    _link(run, name, victim)
    assert cli("forecast", f"resume={run}").code == 0
    assert victim.read_bytes() == VICTIM
    assert not (run / name).is_symlink() and (run / name).stat().st_size > 0


def test_a_link_where_the_report_goes_is_replaced(cli, small_run, copy_of, victim):
    run = copy_of(small_run)
    _link(run, "report.html", victim)
    assert cli("report", str(run)).code == 0
    assert victim.read_bytes() == VICTIM
    assert not (run / "report.html").is_symlink()


def test_a_link_where_a_merge_output_goes_is_replaced(cli, shards, tmp_path, victim):
    out = tmp_path / "merged"
    out.mkdir()
    _link(out, "quantiles.csv", victim)
    assert cli("merge", *map(str, shards), "--out", str(out)).code == 0
    assert victim.read_bytes() == VICTIM
    assert not (out / "quantiles.csv").is_symlink()


@pytest.mark.parametrize(
    ("name", "fragment"),
    [(".lock", ".lock is not a symbolic link"), (CHECKPOINT, "not a symbolic link")],
    ids=["lock", "checkpoint"],
)
def test_a_link_as_the_lock_or_the_checkpoint_is_refused(
    cli, small_run, copy_of, victim, name, fragment
):
    run = copy_of(small_run)
    _link(run, name, victim)
    before = snapshot(run)
    cli("forecast", f"resume={run}").one_line(2, str(run), fragment)
    assert victim.read_bytes() == VICTIM
    assert snapshot(run) == before


def test_a_link_as_the_saved_config_is_refused(cli, small_run, copy_of, tmp_path):
    run = copy_of(small_run)
    elsewhere = tmp_path / "outside.yaml"
    elsewhere.write_bytes((run / "config.yaml").read_bytes())
    _link(run, "config.yaml", elsewhere)
    before = elsewhere.read_bytes()
    cli("forecast", f"resume={run}").one_line(2, "resume=", "not a symbolic link")
    assert elsewhere.read_bytes() == before
    assert not (run / "summary.json").is_symlink()


def test_a_run_directory_that_is_a_link_is_refused_and_its_target_kept(
    cli, small_run, copy_of, tmp_path
):
    target = copy_of(small_run)
    link = tmp_path / "link"
    link.symlink_to(target)
    before = snapshot(target)
    cli("forecast", f"resume={link}").one_line(2, "not a symbolic link", str(target.resolve()))
    assert snapshot(target) == before


# --- class 2: files read back ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("config.yaml", "FIFO"), (CHECKPOINT, "FIFO"), (".lock", "regular file")],
    ids=["config", "checkpoint", "lock"],
)
def test_a_fifo_where_a_run_file_is_expected_is_refused_without_blocking(
    cli, small_run, copy_of, name, fragment
):
    run = copy_of(small_run)
    _fifo(run, name)
    before = snapshot(run)
    cli("forecast", f"resume={run}").one_line(2, str(run), fragment)
    assert snapshot(run) == before


def test_a_fifo_as_summary_is_refused_by_report(cli, small_run, copy_of):
    run = copy_of(small_run)
    _fifo(run, "summary.json")
    cli("report", str(run)).one_line(2, "report.path=", "FIFO")
    assert not (run / "report.html").exists()


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8)
)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (ALIAS_BOMB, "alias bomb"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "deep"),
        ("a: &a [*a]\n", "recursive"),
        ("# padding\n" * 200_000, "at most 1 MiB"),
    ],
    ids=["alias-bomb", "deep", "recursive-alias", "oversized"],
)
def test_a_hostile_saved_config_is_refused_before_any_walk(
    cli, small_run, copy_of, content, fragment
):
    run = copy_of(small_run)
    (run / "config.yaml").write_text(content)
    before = snapshot(run)
    cli("forecast", f"resume={run}").one_line(2, "resume=", fragment)
    assert snapshot(run) == before


def _wrap_histogram(state):
    """Four cells grown by 2^62 each: the row's int64 sum wraps around to the right total."""
    state["totals"]["hist_peak_speedup"][0, :4] += 2**62


def _unsigned(state):
    """Unsigned counts whose sum wraps: two cells of 2^63 in a uint64 row."""
    row = state["totals"]["hist_peak_speedup"].astype(np.uint64)
    row[0, :2] += np.uint64(2**63)
    state["totals"]["hist_peak_speedup"] = row


def _extra_column(state):
    state["sample"]["bogus"] = np.zeros(64, np.float32)


def _missing_column(state):
    state["sample"].pop(sorted(state["sample"])[0])


def _wide_column(state):
    name = next(k for k, v in state["sample"].items() if v.ndim == 1)
    state["sample"][name] = np.zeros((64, 2), state["sample"][name].dtype)


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (_wrap_histogram, "at most its 4096 draws"),
        (_unsigned, "int64"),
        (_extra_column, "extra ['bogus']"),
        (_missing_column, "missing ["),
        (_wide_column, "has shape"),
    ],
    ids=["int64-sum-wraps", "unsigned-wraps", "sample-extra-column", "sample-missing-column",
         "sample-column-shape"],
)  # fmt: skip
def test_a_checkpoint_that_only_a_wrapped_sum_or_a_foreign_sample_passes_is_refused(
    cli, small_run, copy_of, edit, fragment
):
    run = copy_of(small_run)
    rewrite_checkpoint(run / CHECKPOINT, edit)
    before = snapshot(run)
    cli("forecast", f"resume={run}").one_line(2, str(run / CHECKPOINT), fragment)
    assert snapshot(run) == before


def _posterior_args(path, variable="r_new"):
    return [
        "scenario=davidson_houlden_2025",
        "~scenario.params.p",
        f"+scenario.params.p={{dist: posterior, path: {path}, variable: {variable}}}",
    ]


@pytest.mark.parametrize(
    ("groups", "field", "fragment"),
    [
        ({"prior": {"r_new": np.linspace(0.2, 0.5, 100)[None]}}, "path", "posterior group"),
        ({"posterior": {"r_new": np.array([["0.3"] * 100])}}, "variable", "numeric"),
    ],
    ids=["no-posterior-group", "text-variable"],
)
def test_a_posterior_netcdf_forecaster_did_not_write_is_one_line(
    cli, tmp_path, groups, field, fragment
):
    from forecaster._arviz import az

    path = tmp_path / "posterior.nc"
    az.from_dict(**groups).to_netcdf(str(path))
    run = tmp_path / "run"
    cli("forecast", *_posterior_args(path), f"hydra.run.dir={run}").one_line(
        2, f"scenario.params.p.{field}=", fragment
    )
    assert not (run / "summary.json").exists()


def test_a_posterior_csv_that_is_a_fifo_is_refused_without_blocking(cli, tmp_path):
    path = tmp_path / "posterior.csv"
    os.mkfifo(path)
    run = tmp_path / "run"
    cli("forecast", *_posterior_args(path), f"hydra.run.dir={run}").one_line(
        2, "scenario.params.p.path=", "FIFO"
    )
    assert not (run / "summary.json").exists()


def test_a_shard_whose_config_is_not_its_checkpoints_is_refused(cli, shards, tmp_path):
    config = shards[1] / "config.yaml"
    config.write_text(config.read_text().replace("n_draws: 8192", "n_draws: 16384"))
    out = tmp_path / "merged"
    cli("merge", *map(str, shards), "--out", str(out)).one_line(2, str(config), "they differ")
    assert not (out / "summary.json").exists()


def test_shards_that_agree_with_each_other_but_not_the_plan_are_refused(cli, shards, tmp_path):
    def extra(state):
        state["totals"]["extra"] = np.zeros(3, np.int64)

    for shard in shards:
        rewrite_checkpoint(shard / CHECKPOINT, extra)
    out = tmp_path / "merged"
    cli("merge", *map(str, shards), "--out", str(out)).one_line(2, "names differ")
    assert not (out / "summary.json").exists()


def _probability_of_seven(summary):
    summary["probabilities"][0]["p"] = 7


def _count_over_n(summary):
    summary["probabilities"][0]["count"] = summary["probabilities"][0]["n"] + 1


def _flag_over_one(summary):
    next(iter(summary["flags"].values()))["ci_high"] = 1.5


def _done_over_total(summary):
    summary["draws_done"] = summary["n_draws"] + 1


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (_probability_of_seven, "'probabilities'"),
        (_count_over_n, "'probabilities'"),
        (_flag_over_one, "'flags'"),
        (_done_over_total, "draws_done"),
    ],
    ids=["probability-of-7", "count-over-n", "flag-interval-over-1", "draws-done-over-n"],
)
def test_a_summary_with_a_value_out_of_range_is_one_line_for_report(
    cli, small_run, copy_of, edit, fragment
):
    run = copy_of(small_run)
    summary = json.loads((run / "summary.json").read_text())
    edit(summary)
    (run / "summary.json").write_text(json.dumps(summary))
    cli("report", str(run)).one_line(2, "report.path=", fragment)
    assert not (run / "report.html").exists()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('"p": NaN', "NaN"),
        ('"p": 1e400', "'probabilities'"),
        ('"p": ' + "[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
    ids=["nan", "overflow-to-infinity", "deep-json"],
)
def test_a_summary_with_a_number_json_cannot_hold_is_one_line(
    cli, small_run, copy_of, text, fragment
):
    run = copy_of(small_run)
    content = (run / "summary.json").read_text()
    p = json.loads(content)["probabilities"][0]["p"]
    (run / "summary.json").write_text(content.replace(f'"p": {p}', text, 1))
    cli("report", str(run)).one_line(2, "report.path=", fragment)
    assert not (run / "report.html").exists()

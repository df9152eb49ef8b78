"""The file rules themselves (forecaster/_files.py), fast: what every writer and reader of a
run directory goes through (the command-line cases are in test_links_and_reads.py)."""

from __future__ import annotations

import os

import pytest

from forecaster import ConfigError
from forecaster._files import (
    open_regular,
    parse_json,
    parse_yaml,
    read_text,
    write_atomic,
    write_atomic_via_path,
)
from forecaster._rundir import run_lock


def test_write_atomic_replaces_a_link_and_leaves_its_target(tmp_path):
    target = tmp_path / "target"
    target.write_text("kept")
    (tmp_path / "out.csv").symlink_to(target)
    write_atomic(tmp_path / "out.csv", "new")
    assert target.read_text() == "kept"
    assert not (tmp_path / "out.csv").is_symlink()
    assert (tmp_path / "out.csv").read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "target"]  # no temp left


def test_write_atomic_via_path_replaces_a_link_and_cleans_up_on_failure(tmp_path):
    target = tmp_path / "target"
    target.write_text("kept")
    (tmp_path / "posterior.nc").symlink_to(target)
    write_atomic_via_path(tmp_path / "posterior.nc", lambda tmp: tmp.write_text("netcdf"))
    assert target.read_text() == "kept"
    assert (tmp_path / "posterior.nc").read_text() == "netcdf"

    def fails(tmp):
        raise RuntimeError("writer failed")

    with pytest.raises(RuntimeError):
        write_atomic_via_path(tmp_path / "other.nc", fails)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["posterior.nc", "target"]


def test_the_lock_is_never_opened_through_a_link(tmp_path):
    target = tmp_path / "target"
    target.write_text("kept")
    run = tmp_path / "run"
    run.mkdir()
    (run / ".lock").symlink_to(target)
    with pytest.raises(ConfigError, match="not a symbolic link"), run_lock(run):
        pass
    assert target.read_text() == "kept"


def test_a_fifo_a_device_a_directory_and_a_link_are_not_read(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "link").symlink_to(tmp_path / "fifo")
    (tmp_path / "plain").write_text("ok")
    for path, fragment in [
        (tmp_path / "fifo", "FIFO"),
        ("/dev/null", "character device"),
        (tmp_path, "directory"),
        (tmp_path / "link", "not a symbolic link"),
    ]:
        with pytest.raises(ConfigError, match=fragment):
            open_regular(path, "f", "a file")
    assert read_text(tmp_path / "plain", "f", "a file") == "ok"
    with pytest.raises(ConfigError, match="at most"):
        read_text(tmp_path / "plain", "f", "a file", limit=1)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(f"l{i}: &l{i} [{', '.join(['*' + ('a' if i == 0 else f'l{i - 1}')] * 10)}]\n"
                      for i in range(9)),
            "alias bomb",
        ),
        ("a: &a [*a]\n", "recursive alias"),
        ("a: " + "[" * 100 + "]" * 100, "nested more than 64"),
        ("a: &a [1]\n" + "".join(f"k{i}: *a\n" for i in range(300)), "more than 256 aliases"),
        ("a: !!python/object:os.system x", "readable YAML"),
    ],
    ids=["alias-bomb", "recursive", "deep", "many-aliases", "python-tag"],
)  # fmt: skip
def test_yaml_is_checked_before_anything_walks_it(text, fragment):
    with pytest.raises(ConfigError, match=fragment):
        parse_yaml(text, "f", "file.yaml", "a config")


def test_ordinary_yaml_with_a_few_aliases_still_loads():
    text = "base: &b {x: 1, y: [1, 2]}\none: *b\ntwo: *b\n"
    assert parse_yaml(text, "f", "f.yaml", "a config") == {
        "base": {"x": 1, "y": [1, 2]},
        "one": {"x": 1, "y": [1, 2]},
        "two": {"x": 1, "y": [1, 2]},
    }


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
        ('{"p": NaN}', "NaN"),
        ("{", "readable"),
    ],
    ids=["deep", "nan", "truncated"],
)
def test_json_is_one_error_whatever_it_holds(text, fragment):
    with pytest.raises(ConfigError, match=fragment):
        parse_json(text, "f", "summary.json", "summary.json")

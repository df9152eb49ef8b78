"""Sweep jobs are labelled by what they swept; numbers are formatted for people."""

from __future__ import annotations

import yaml

from forecaster._sweep import people, sweep_labels


def _job(root, name, overrides):
    job = root / name
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    return job


def test_labels_carry_the_swept_values_only(tmp_path):
    jobs = [
        _job(tmp_path, "0_decaying", ["scenario.params.p.high=0.4", "n_draws=1000"]),
        _job(tmp_path, "1_decaying", ["scenario.params.p.high=0.6", "n_draws=1000"]),
    ]
    assert sweep_labels(jobs) == ["scenario.params.p.high=0.4", "scenario.params.p.high=0.6"]


def test_two_swept_keys_and_a_job_without_overrides(tmp_path):
    jobs = [
        _job(tmp_path, "0_a", ["scenario=a", "seed=1"]),
        _job(tmp_path, "1_b", ["scenario=b", "seed=2"]),
        tmp_path / "2_c",
    ]
    (tmp_path / "2_c").mkdir()
    assert sweep_labels(jobs) == ["scenario=a seed=1", "scenario=b seed=2", "2_c"]


def test_identical_jobs_keep_their_directory(tmp_path):
    jobs = [_job(tmp_path, "0_x", ["seed=1"]), _job(tmp_path, "1_x", ["seed=1"])]
    assert sweep_labels(jobs) == ["0_x", "1_x"]


def test_numbers_for_people():
    assert people(29034766.652) == "2.90e+07"
    assert people(19.0546) == "19.1" and people(0.56591) == "0.566" and people(None) == "—"

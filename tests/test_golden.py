"""Every preset gives exactly the numbers it gave before the model interface: integer counts
identical, summaries to 9 significant digits (tests/data/golden_summaries.json, recorded by
``python -m tests.golden_presets`` at commit 02ec59a, before forecaster/models/ existed; since
then one accumulator was renamed, ``cal_ladder`` to ``cal_milestone_dates``, its counts
unchanged)."""

from __future__ import annotations

import json

import pytest

from tests.golden_presets import CASES, GOLDEN, run_case

RECORD = json.loads(GOLDEN.read_text())["cases"]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_preset_numbers_unchanged(name):
    got, want = run_case(CASES[name]), RECORD[name]
    assert got["counts"].keys() == want["counts"].keys()
    for key in want["counts"]:
        assert got["counts"][key] == want["counts"][key], f"{name}: accumulator {key} changed"
    assert got["summary"] == want["summary"]

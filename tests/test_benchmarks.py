"""The benchmark suite (benchmarks/): the smoke run writes valid results, and the
baselines implement the same recursion. Nothing here asserts a time."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # benchmarks/ lives next to the package, not inside it

from benchmarks import baselines  # noqa: E402
from benchmarks.roofline import PEAKS, cpu_peak, estimate, kernel_counts  # noqa: E402
from benchmarks.runner import sizes_between  # noqa: E402

HEADLINE = ["P(>=3y in 12m)", "P(>=3y in 4m)", "P(>=10y in 12m)", "P(>=10y in 4m)"]


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory):
    """Run ``python -m benchmarks --quick`` once, in a child process, into a fresh folder."""
    out = tmp_path_factory.mktemp("bench")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["JAX_PLATFORMS"] = "cpu"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--quiet", "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, proc


@pytest.mark.slow
def test_quick_run_writes_json_and_markdown(quick_results):
    out, _ = quick_results
    jsons = sorted(out.glob("*.json"))
    mds = sorted(out.glob("*.md"))
    assert len(jsons) == 1 and len(mds) == 1
    assert jsons[0].stem == mds[0].stem
    assert jsons[0].stem.startswith("cpu-") and jsons[0].stem.endswith("-quick")
    results = json.loads(jsons[0].read_text())
    assert "# forecaster benchmarks" in mds[0].read_text()

    for key in (
        "schema_version",
        "machine",
        "date",
        "quick",
        "host",
        "device",
        "settings",
        "baselines",
        "throughput",
        "options",
        "comparison",
        "profile",
        "memory",
        "roofline",
        "targets",
        "load_start",
        "load_end",
        "total_seconds",
        "errors",
    ):
        assert key in results, key
    assert results["quick"] is True
    assert results["errors"] == []
    assert results["device"]["platform"] == "cpu"
    assert isinstance(results["device"]["device_kind"], str)
    assert results["device"]["count"] >= 1
    assert results["host"]["cpu_model"]

    options = results["options"]
    assert [v["variant"] for v in options["variants"]][0] == "base"
    assert {"constant_r", "retraining_cost", "gradual_boost"} <= {
        v["variant"] for v in options["variants"]
    }
    assert options["variants"][0]["ratio_to_base"] == 1.0
    assert all(v["draws_per_second"] > 0 for v in options["variants"])

    peers = {row["preset"]: row for row in results["peers"]["rows"]}
    assert {"ai2027_takeoff", "aifm_dec2025"} <= set(peers)
    aifm = peers["aifm_dec2025"]
    assert aifm["their_model"] == "aifm" and aifm["n_draws"] == 2_048
    assert aifm["ratio"] == aifm["draws_per_second"] / aifm["their_draws_per_second"] > 0

    points = results["throughput"]["points"]
    assert {p["scenario"] for p in points} == {"davidson_houlden_2025"}
    for p in points:
        for key in (
            "n_draws",
            "chunk_size",
            "draws_per_second",
            "run_seconds",
            "compile_seconds_cold",
            "compile_seconds_cached",
            "repeats",
            "runs",
        ):
            assert key in p, key
        assert p["repeats"] == 1
        assert isinstance(p["draws_per_second"], float)

    for name in ("numpy_vectorised", "python_loop", "python_loop_floats"):
        b = results["baselines"][name]
        assert isinstance(b["draws_per_second"], float)
        assert set(HEADLINE) <= set(b["probabilities"])

    comparison = results["comparison"]
    assert set(comparison["ratios"]) == {"numpy_vectorised", "python_loop", "python_loop_floats"}
    agreement = comparison["agreement"]
    assert set(agreement["probabilities"]) == set(HEADLINE)
    for row in agreement["probabilities"].values():
        assert {"forecaster", "numpy_vectorised", "python_loop"} <= set(row["estimates"])
        for est in row["estimates"].values():
            assert 0.0 <= est["p"] <= 1.0
    assert isinstance(agreement["agree"], bool)

    memory = results["memory"]
    assert memory["vs_n_draws"] and memory["vs_chunk_size"]
    for point in memory["vs_n_draws"] + memory["vs_chunk_size"]:
        assert "error" not in point, point
        assert point["peak_rss_mib"] > 0

    profile = results["profile"]["davidson_houlden_2025"]
    assert "error" not in profile, profile
    assert {"sampling", "paths", "outcomes", "statistics"} <= set(profile["share_of_chunk"])
    assert "save_checkpoint" in profile["seconds_per_chunk"]

    roof = results["roofline"]["scenarios"]["davidson_houlden_2025"]
    assert roof["counts_per_draw"]["ops"] > 0
    assert "fraction_of_roofline" in roof["estimate"]

    assert any(t["target"].startswith("D&H draws/s") for t in results["targets"])


@pytest.mark.slow
def test_quick_run_prints_progress(quick_results):
    _, proc = quick_results
    assert "section throughput" in proc.stderr


def test_numpy_and_loop_baselines_give_the_same_times():
    """Same parameters, same recursion: the vectorised and per-draw baselines agree exactly
    (both in float64), for D rounded down or not."""
    rng = np.random.default_rng(3)
    params = baselines.sample_dh_parameters(rng, 300)
    for round_down in (False, True):
        times = baselines.numpy_dh_times(params, round_down)
        for i in range(300):
            args = [float(params[k][i]) for k in ("f", "r0", "ceiling_years", "p")]
            loop = baselines._dh_times(*args, round_d_down=round_down)
            np.testing.assert_allclose(times[: len(loop), i], loop, rtol=1e-12)
            assert np.all(np.isinf(times[len(loop) :, i]))
            styled, _, _ = baselines._simulate_one(*args, round_d_down=round_down)
            np.testing.assert_allclose(styled, loop, rtol=1e-12)


@pytest.mark.slow
def test_baselines_reproduce_the_published_figures():
    """The vectorised baseline at 200,000 draws is within 4 standard errors of the published
    code's headline figures (MODEL.md section 5)."""
    counts = baselines.numpy_dh(200_000, seed=7)
    for (name, est), published in zip(
        counts.probabilities().items(), baselines.PUBLISHED, strict=True
    ):
        assert name in HEADLINE
        assert abs(est["p"] - published) < 4 * est["se"] + 0.001, (name, est, published)


def test_loops_count_like_numpy():
    a = baselines.python_loop_dh(300, seed=1)
    b = baselines.python_loop_floats_dh(300, seed=1)
    assert a.draws == b.draws == 300
    assert len(a.hits) == len(b.hits) == len(baselines.GRID)


def test_sizes_between():
    assert sizes_between(1_000, 10_000_000) == [1_000, 10_000, 100_000, 1_000_000, 10_000_000]
    assert sizes_between(1_000, 4_096) == [1_000, 4_096]
    assert sizes_between(1_000, 1_000) == [1_000]


def test_roofline_estimate_is_consistent():
    from forecaster.models import DavidsonHoulden

    settings = DavidsonHoulden(
        integrator="doublings",
        max_doublings=130.0,
        doublings_per_year=8.0,
        fan_levels_years=(0.1, 1.0),
    )
    counts = kernel_counts(settings, n_uncertain=4)
    assert counts["ops"] > 130 * 10  # at least the stepper's work
    assert counts["bytes_path"] > counts["bytes_min"] > 0
    est = estimate(counts, 1e8, PEAKS["h100 sxm"])
    assert math.isclose(est["achieved_ops_per_second"], 1e8 * est["ops_per_draw"])
    assert est["fraction_of_roofline"] == pytest.approx(1e8 / est["roofline_draws_per_second"])
    cpu = estimate(counts, 1e6, cpu_peak(2, 2.6))
    assert cpu["limited_by"] in ("alu", "memory(min)")

"""Davidson & Houlden's Speed-Up Calculator against its closed form, an independent fixed
point of the balanced path, and their web tool's defaults."""

from __future__ import annotations

import math

import pytest

from forecaster import ConfigError, balanced_growth_speedup


def _balanced_path_by_iteration(alpha, gamma, r_cog, g_l, g_c) -> tuple[float, float]:
    """(g_before, g_after) from the growth-rate laws, iterated to their fixed point (no
    closed form used): g_S = r_cog g_L + r_comp g_C with g_L = (1 + gamma) g_C + g_S."""
    r_comp = r_cog * (1 - alpha) / alpha
    g_s = 0.0
    for _ in range(10_000):
        g_s = r_cog * ((1 + gamma) * g_c + g_s) + r_comp * g_c
    return r_cog * g_l + r_comp * g_c, g_s


@pytest.mark.parametrize(
    "inputs",
    [(0.4, 1.0, 0.5, 0.7, 1.1), (0.6, 0.0, 0.2, 0.3, 0.5), (0.2, 2.5, 0.9, 1.0, 0.4)],
)
def test_the_speedup_is_the_balanced_paths_ratio(inputs):
    result = balanced_growth_speedup(*inputs)
    before, after = _balanced_path_by_iteration(*inputs)
    assert result.g_before == pytest.approx(before, rel=1e-12)
    assert result.g_after == pytest.approx(after, rel=1e-9)
    assert result.speedup == pytest.approx(after / before, rel=1e-9)
    assert not result.explosive


def test_their_defaults_give_their_figures():
    # Their web tool's defaults show 117%/yr before, 385%/yr after (JavaScript's Math.round
    # of 117.4999... and 385.0000...) and 3.28x.
    result = balanced_growth_speedup()
    js_round = lambda x: math.floor(x + 0.5)  # noqa: E731
    assert js_round(100 * result.g_before) == 117 and js_round(100 * result.g_after) == 385
    assert f"{result.speedup:.2f}" == "3.28"
    assert result.r == pytest.approx(1.25) and result.r_compute == pytest.approx(0.75)


def test_returns_at_or_above_one_are_an_explosion():
    result = balanced_growth_speedup(r_cog=1.0)
    assert result.explosive and math.isinf(result.g_after) and math.isinf(result.speedup)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"alpha": 1.0}, "alpha"), ({"gamma": -1}, "gamma"), ({"r_cog": 0}, "r_cog"),
     ({"g_compute": float("nan")}, "g_compute")],
)  # fmt: skip
def test_bad_inputs_name_the_field(kwargs, field):
    with pytest.raises(ConfigError) as err:
        balanced_growth_speedup(**kwargs)
    assert err.value.field == field


def test_the_cli_verb_prints_the_speedup(capsys):
    from forecaster.cli import main

    assert main(["speedup", "r_cog=0.5"]) == 0
    assert "speed-up: 3.277x" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["speedup", "alpha=abc"])
    assert exit_.value.code == 2

"""Epoch's FTM Monte Carlo: the ``epoch_ftm_2023`` preset draws what their sampler draws.

The preset is written from their rebuilt inputs (``benchmarks/peers/ftm_mc_preset.py``);
here it is read back against those inputs (every marginal, every rank correlation, the bound
below which their admissibility test refuses a training requirement) and its rejection
(``scenario.resample``) is checked: every kept draw is one their ``sample_is_good`` accepts,
the training requirement is drawn once per draw (the others redrawn given it), and the
requirement's distribution is Cotra's restricted to the admissible bound and nothing else
(their two-stage rule does not reweight it by how often the rest is accepted).
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from benchmarks.peers import ftm_mc_preset as gen
from forecaster._config import plan_forecast
from forecaster._engine import accepted_by
from forecaster._priors import resampled, transform, uniforms_at
from forecaster._settings import precision_scope
from forecaster.models.epoch_ftm import _dynamics as dyn
from forecaster.models.epoch_ftm._model import T_STEP

if TYPE_CHECKING:
    import pandas as pd

INPUTS = json.loads(gen.INPUTS.read_text())
TRAINING = gen.TRAINING


@pytest.fixture(scope="module")
def plan(compose_forecast):
    return plan_forecast(compose_forecast("scenario=epoch_ftm_2023"))


def test_marginals_are_their_sampler_s(plan):
    drawn = gen.drawn(INPUTS["parameters"])
    priors = {p.name: p for p in plan.priors.priors}
    assert len(drawn) == 39
    for name, row in INPUTS["parameters"].items():
        prior = priors[name]
        if name == TRAINING:
            assert prior.kind == "piecewise_log_uniform"
        elif name in drawn:
            assert prior.kind == "skewed_log_uniform", name
            assert [prior.args[k] for k in ("low", "med", "high")] == [
                row["conservative"], row["best_guess"], row["aggressive"]
            ]  # fmt: skip
            assert prior.args["transform"] == (row["type"] or "pos")
        else:
            assert prior.fixed and prior.args["value"] == row["best_guess"], name


def test_correlations_are_theirs(plan):
    """The copula's matrix is their processed rank correlations through 2 sin(pi r / 6)."""
    names = [p.name for p in plan.priors.uncertain]
    expected = np.eye(len(names))
    pairs = gen.correlations(INPUTS)
    assert len(pairs) == 311
    for left, right, rank in pairs:
        i, j = names.index(left), names.index(right)
        expected[i, j] = expected[j, i] = 2 * math.sin(math.pi * rank / 6)
    lower = plan.priors.cholesky
    np.testing.assert_allclose(lower @ lower.T, expected, atol=1e-12)


def test_the_admissible_bound_is_their_test_s(plan):
    """At the preset's bound their admissibility test (every other parameter at the bottom of
    its range) turns from refusing to accepting the training requirement."""
    bound = plan.priors.prior(TRAINING).args["above"]
    base = gen.favourable(INPUTS["parameters"])
    with precision_scope("float64"):

        def admissible(requirement: float) -> bool:
            values = {**base, TRAINING: requirement}
            p = dyn.Params(**{n: jnp.asarray(float(values[n])) for n in dyn.Params._fields})
            goods, rnd = dyn.automatable_at_start(p, T_STEP)
            return bool((goods <= 0) & (rnd <= 0.05))

        assert admissible(bound * (1 + 1e-9)) and not admissible(bound * (1 - 1e-6))


@pytest.fixture(scope="module")
def block(plan):
    """4,096 draws as the engine draws them (seed 0), resampled, and their first candidates."""
    n = 4096
    with precision_scope("float64"):
        priors = plan.priors
        key = jax.random.PRNGKey(0)
        hi, lo = jnp.zeros(n, jnp.uint32), jnp.arange(n, dtype=jnp.uint32)
        accepts = accepted_by(plan.model, jnp.float64)
        fn = jax.jit(lambda h, l: resampled(priors, key, h, l, jnp.float64, accepts))
        u, values, accepted = fn(hi, lo)
        first = transform(priors, uniforms_at(priors, key, hi, lo, jnp.float64), jnp.float64)
        halves = [fn(hi[s], lo[s]) for s in (slice(0, n // 2), slice(n // 2, n))]
        params = plan.model.prepare(values, jnp.float64)
        ok = jax.vmap(plan.model.accepts)(params)
        goods, rnd = jax.vmap(lambda p: dyn.automatable_at_start(p, T_STEP))(params)
    return dict(u=u, values=values, accepted=accepted, first=first, halves=halves, ok=ok,
                goods=goods, rnd=rnd)  # fmt: skip


def test_kept_draws_are_accepted_and_keep_their_requirement(block):
    accepted = np.asarray(block["accepted"])
    assert accepted.mean() > 0.999  # 64 candidates: hardly a draw runs out
    ok = np.asarray(block["ok"])
    assert np.all(ok[accepted])
    assert np.all(np.asarray(block["goods"])[accepted] <= 0)
    assert np.all(np.asarray(block["rnd"])[accepted] <= 0.05)
    # the requirement is the first candidate's in every draw (to rounding: the candidates'
    # quantiles are computed batched); the rest was redrawn in some
    np.testing.assert_allclose(block["values"][TRAINING], block["first"][TRAINING], rtol=1e-10)
    gap, first_gap = (np.asarray(block[k]["flop_gap_training"]) for k in ("values", "first"))
    redrawn = np.abs(gap - first_gap) > 1e-9 * first_gap
    assert 0.05 < redrawn.mean() < 0.3  # theirs: 13% of draws had a sample redrawn


def test_acceptance_is_their_counts(block, plan):
    """The acceptance read from the deciding tasks only is their test on every task: the
    counts of automatable goods and R&D tasks in 2022 and their constructor's checks, on
    the first candidates of the block (about a fifth of them refused)."""
    with precision_scope("float64"):
        params = plan.model.prepare(block["first"], jnp.float64)
        fast = jax.vmap(plan.model.accepts)(params)
        goods, rnd = jax.vmap(lambda p: dyn.automatable_at_start(p, T_STEP))(params)
        valid = jax.vmap(lambda p: dyn.setup(p, T_STEP).valid)(params)
    slow = np.asarray(valid & (goods <= 0) & (rnd <= 0.05))
    np.testing.assert_array_equal(np.asarray(fast), slow)
    assert 0.1 < 1 - slow.mean() < 0.35  # theirs: 19% of the samples checked were refused


def test_resampling_does_not_depend_on_the_block(block):
    """Each draw is a function of (seed, index) alone: two half blocks give the same draws."""
    for name, value in block["values"].items():
        halves = np.concatenate([np.asarray(h[1][name]) for h in block["halves"]])
        np.testing.assert_array_equal(halves, np.asarray(value), err_msg=name)


def test_the_requirement_is_cotra_s_above_the_bound(block, plan):
    """Their two-stage rule: the requirement's distribution is Cotra's restricted to the
    admissible bound, not reweighted by how often the rest is accepted given it."""
    prior = plan.priors.prior(TRAINING)
    d = prior.distribution
    drawn = np.log10(np.asarray(block["values"][TRAINING]))
    for q in (0.1, 0.25, 0.5, 0.75, 0.9):
        level = np.interp(d.floor + (1 - d.floor) * q, d.cdf, d.log10_values)
        share = np.mean(drawn <= level)
        assert abs(share - q) < 4 * math.sqrt(q * (1 - q) / drawn.size), (q, share)


def test_their_sampler_s_draws_give_their_metrics():
    """Their Monte Carlo's parameter vectors (``ftm_mc_draws.csv.gz``: 1,000 draws of their
    sampler, seed 0, their commit in ``ftm_mc.json``) through forecaster's model: every date
    and duration within one 0.1-year step of theirs, the same ones undefined; nearly all
    exactly (the table keeps 12 significant digits of each parameter, so a threshold their
    run crossed at the edge of a step may fall on the other side)."""
    import pandas as pd

    from forecaster.models.epoch_ftm import _metrics as met
    from forecaster.models.epoch_ftm._model import START, EpochFTM

    frame = pd.read_csv(gen.INPUTS.parent / "ftm_mc_draws.csv.gz")
    assert len(frame) >= 1000
    model = EpochFTM()
    with precision_scope("float64"):
        columns = {n: jnp.asarray(frame[n].to_numpy(float)) for n in dyn.Params._fields}
        params = model.prepare(columns, jnp.float64)
        times = jnp.asarray(model.times())

        def one(p):
            r = model._run(p)[0]
            m = met.metrics(r, times, START, T_STEP)
            return m.timeline, m.takeoff, r.valid

        timeline, takeoff, valid = jax.jit(jax.vmap(one))(params)
    assert bool(np.all(valid))
    ours = np.concatenate([np.asarray(timeline), np.asarray(takeoff)], axis=1)
    names = [f"metric:{n}" for n in (*met.TIMELINE, *met.TAKEOFF)]
    theirs = frame[names].to_numpy(float)
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    defined = ~np.isnan(theirs)
    gap = np.abs(ours - theirs)[defined]
    assert gap.max() <= T_STEP + 1e-9
    assert np.mean(gap <= 1e-9) >= 0.995


def _theirs() -> pd.DataFrame:
    import pandas as pd

    return pd.read_csv(gen.INPUTS.parent / "ftm_mc_draws.csv.gz")


def _assert_like_theirs(ours: dict, n_ours: int, theirs: pd.DataFrame) -> float:
    """P(milestone by the end of Y) and the quantiles of the 20%-to-100% durations of a run
    of ours against their draws, each within 4 combined standard errors; the largest |z|.

    A quantile is compared where its standard error is defined, in probability: our value
    at level p, on their 0.1-year grid v, must have their P(D < v) - 4 se <= p <= P(D <= v)
    + 4 se with se = sqrt(p (1 - p) (1/n_theirs + 1/n_ours)) (their durations are whole
    steps, so P jumps at v; undefined durations count as never, as on our side)."""
    n_theirs = len(theirs)
    worst = 0.0
    for name, entry in ours["milestones"].items():
        dates = theirs[f"metric:{name}"].to_numpy(float)
        for year, p in entry["p_by_year"].items():
            p_theirs = float(np.mean(dates < float(year) + 1.0))  # NaN (never) counts as no
            pooled = (p_theirs * n_theirs + p * n_ours) / (n_theirs + n_ours)
            se = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / n_theirs + 1 / n_ours))
            z = (p - p_theirs) / se
            worst = max(worst, abs(z))
            assert abs(z) < 4, f"{name} by {year}: ours {p:.4f}, theirs {p_theirs:.4f}"
    for name, row in ours["durations"].items():
        values = np.nan_to_num(theirs[f"metric:{name}"].to_numpy(float), nan=np.inf)
        for key, x in row.items():
            if not key.startswith("q") or x is None:
                continue
            p = int(key[1:]) / 100
            v = round(x / T_STEP) * T_STEP
            below = float(np.mean(values < v - T_STEP / 2))
            upto = float(np.mean(values <= v + T_STEP / 2))
            se = math.sqrt(p * (1 - p) * (1 / n_theirs + 1 / n_ours))
            z = max(below - p, p - upto, 0.0) / se
            worst = max(worst, z)
            assert z < 4, f"{name} {key}: ours {x:.2f}, theirs P(<{v:.1f}) {below:.3f}, " \
                f"P(<={v:.1f}) {upto:.3f}"  # fmt: skip
    return worst


def test_a_million_draws_match_their_monte_carlo():
    """forecaster's epoch_ftm_2023 at 1,000,000 draws (``ftm_forecaster.json``, written by
    ``python -m benchmarks.peers.ftm_mc --ours <run dir>``) against their Monte Carlo's 1,000
    draws: P(full automation of goods and of R&D tasks, and AGI, by the end of each year) and
    the quantiles of the 20%-to-100% durations, each within 4 combined standard errors."""
    ours = json.loads((gen.INPUTS.parent / "ftm_forecaster.json").read_text())
    theirs = _theirs()
    assert ours["scenario"] == "epoch_ftm_2023" and ours["n_draws"] >= 1_000_000
    assert ours["non_finite"] <= ours["n_draws"] / 1000 and len(theirs) >= 1000
    assert _assert_like_theirs(ours, ours["finite_draws"], theirs) > 0  # it compared


@pytest.mark.slow
def test_the_preset_as_it_runs_matches_their_monte_carlo():
    """The same comparison with forecaster's code as it runs now: 4,096 draws, seed 1."""
    import forecaster

    f = forecaster.forecast("epoch_ftm_2023", n_draws=4096, seed=1, progress=False)
    s = f.summary
    ours = {
        "milestones": {k: s["milestones"][k] for k in ("automation_gns_100%", "agi_year")},
        "durations": {k: s["durations"][k] for k in ("full_automation_gns", "full_automation_rnd")},
    }
    assert s["non_finite"] <= 8
    assert _assert_like_theirs(ours, s["finite_draws"], _theirs()) > 0

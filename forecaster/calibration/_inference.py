"""NUTS sampling into an ArviZ InferenceData, and convergence diagnostics by ArviZ.

The sampler settings and the convergence thresholds come from ``conf/calibrate.yaml``
(``inference`` and ``thresholds``). Chains run ``vectorized`` by default: a single jitted
program for all chains, which needs no host devices to be set before JAX starts.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
import pandas as pd
from numpyro import handlers
from numpyro.infer import MCMC, NUTS, Predictive

from .._arviz import az
from .._validate import choice, integer, number
from ._common import OBS, Prepared

CHAIN_METHODS = ("vectorized", "sequential", "parallel")

#: NUTS statistics kept per draw (ArviZ: diverging, energy, lp, n_steps, step_size, ...).
SAMPLE_STATS = ("diverging", "energy", "potential_energy", "num_steps", "accept_prob",
                "adapt_state.step_size")  # fmt: skip
BFMI_MIN = 0.3  # the usual threshold for the energy Bayesian fraction of missing information


@dataclass(frozen=True)
class Settings:
    """Sampler settings and convergence thresholds (validated config)."""

    num_warmup: int
    num_samples: int
    num_chains: int
    chain_method: str
    seed: int
    target_accept_prob: float
    num_prior_samples: int
    hdi_prob: float
    r_hat_max: float
    ess_bulk_min: float
    ess_tail_min: float
    max_divergences: int

    @classmethod
    def from_config(cls, inference: Mapping[str, Any], thresholds: Mapping[str, Any]) -> Settings:
        """Settings from the ``inference`` and ``thresholds`` config sections, checked."""

        def count(section: Mapping[str, Any], prefix: str, name: str, low: int) -> int:
            return integer(f"{prefix}.{name}", section.get(name), low)

        def real(
            section: Mapping[str, Any], prefix: str, name: str, low: float, high: float
        ) -> float:
            allowed = f"a number in ({low}, {high})"
            return number(f"{prefix}.{name}", section.get(name), low, high, allowed=allowed)

        method = choice("inference.chain_method", inference.get("chain_method"), CHAIN_METHODS)
        inf, thr = "inference", "thresholds"
        return cls(
            num_warmup=count(inference, inf, "num_warmup", 1),
            num_samples=count(inference, inf, "num_samples", 4),
            num_chains=count(inference, inf, "num_chains", 1),
            chain_method=method,
            seed=count(inference, inf, "seed", 0),
            target_accept_prob=real(inference, inf, "target_accept_prob", 0.0, 1.0),
            num_prior_samples=count(inference, inf, "num_prior_samples", 1),
            hdi_prob=real(inference, inf, "hdi_prob", 0.0, 1.0),
            r_hat_max=real(thresholds, thr, "r_hat_max", 1.0, np.inf),
            ess_bulk_min=real(thresholds, thr, "ess_bulk_min", 0.0, np.inf),
            ess_tail_min=real(thresholds, thr, "ess_tail_min", 0.0, np.inf),
            max_divergences=count(thresholds, thr, "max_divergences", 0),
        )


def free_parameters(prepared: Prepared) -> list[str]:
    """Names of the latent sample sites (what NUTS samples), in model order."""
    trace = handlers.trace(handlers.seed(prepared.model, 0)).get_trace(
        **prepared.inputs, obs=prepared.obs
    )
    return [
        name for name, site in trace.items() if site["type"] == "sample" and not site["is_observed"]
    ]


def sample(prepared: Prepared, settings: Settings) -> az.InferenceData:
    """Prior predictive, NUTS posterior and posterior predictive as one InferenceData.

    Groups: posterior, prior, prior_predictive, posterior_predictive, observed_data,
    log_likelihood, sample_stats. Observations are indexed by ``prepared.labels``.
    """
    key_mcmc, key_prior, key_ppc = jax.random.split(jax.random.PRNGKey(settings.seed), 3)
    mcmc = MCMC(
        NUTS(prepared.model, target_accept_prob=settings.target_accept_prob),
        num_warmup=settings.num_warmup,
        num_samples=settings.num_samples,
        num_chains=settings.num_chains,
        chain_method=settings.chain_method,
        progress_bar=sys.stderr.isatty(),  # progress while sampling, on a terminal
    )
    # Every statistic ArviZ's diagnostics use (energy for BFMI and plot_energy, tree depth,
    # step size, acceptance), not only the divergences.
    mcmc.run(key_mcmc, **prepared.inputs, obs=prepared.obs, extra_fields=SAMPLE_STATS)
    prior = Predictive(prepared.model, num_samples=settings.num_prior_samples)(
        key_prior, **prepared.inputs, obs=None
    )
    predictive = Predictive(prepared.model, posterior_samples=mcmc.get_samples())(
        key_ppc, **prepared.inputs, obs=None
    )
    dims = {OBS: [prepared.dim], **prepared.dims}
    return az.from_numpyro(
        mcmc,
        prior=prior,
        posterior_predictive={OBS: predictive[OBS]},
        coords={prepared.dim: prepared.labels, **prepared.coords},
        dims=dims,
    )


def summarize(idata: az.InferenceData, hdi_prob: float) -> pd.DataFrame:
    """``az.summary`` of every posterior variable (mean, sd, HDI, MCSE, ESS, R-hat)."""
    with warnings.catch_warnings():  # non-finite draws (a threshold never reached) give NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        return az.summary(idata, group="posterior", hdi_prob=hdi_prob)


def diagnose(idata: az.InferenceData, var_names: list[str], settings: Settings) -> dict[str, Any]:
    """R-hat, bulk and tail ESS (ArviZ) of ``var_names`` and the divergences, vs thresholds.

    Returns a JSON-able dict: the worst value of each diagnostic per variable, the totals,
    the thresholds, a list of human-readable ``failures`` and ``converged``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r_hat = az.rhat(idata, var_names=var_names)
        ess_bulk = az.ess(idata, var_names=var_names, method="bulk")
        ess_tail = az.ess(idata, var_names=var_names, method="tail")
    per_variable = {
        name: {
            "r_hat": float(r_hat[name].max()),
            "ess_bulk": float(ess_bulk[name].min()),
            "ess_tail": float(ess_tail[name].min()),
        }
        for name in var_names
    }
    divergences = int(idata.sample_stats["diverging"].sum())
    bfmi = [float(b) for b in np.atleast_1d(az.bfmi(idata))]
    failures = []
    for name, d in per_variable.items():
        if not d["r_hat"] <= settings.r_hat_max:  # NaN fails too
            failures.append(f"{name}: R-hat {d['r_hat']:.4f} > {settings.r_hat_max}")
        if not d["ess_bulk"] >= settings.ess_bulk_min:
            failures.append(f"{name}: bulk ESS {d['ess_bulk']:.0f} < {settings.ess_bulk_min:g}")
        if not d["ess_tail"] >= settings.ess_tail_min:
            failures.append(f"{name}: tail ESS {d['ess_tail']:.0f} < {settings.ess_tail_min:g}")
    if divergences > settings.max_divergences:
        failures.append(f"{divergences} divergent transitions > {settings.max_divergences}")
    if not min(bfmi) >= BFMI_MIN:
        failures.append(f"BFMI {min(bfmi):.2f} < {BFMI_MIN} (energy poorly explored)")
    return {
        "converged": not failures,
        "failures": failures,
        "divergences": divergences,
        "bfmi_min": min(bfmi),
        "bfmi": bfmi,
        "r_hat_max": float(np.max([d["r_hat"] for d in per_variable.values()])),
        "ess_bulk_min": float(np.min([d["ess_bulk"] for d in per_variable.values()])),
        "ess_tail_min": float(np.min([d["ess_tail"] for d in per_variable.values()])),
        "variables": per_variable,
        "thresholds": {
            "r_hat_max": settings.r_hat_max,
            "ess_bulk_min": settings.ess_bulk_min,
            "ess_tail_min": settings.ess_tail_min,
            "max_divergences": settings.max_divergences,
        },
        "num_chains": int(idata.posterior.sizes["chain"]),
        "num_draws": int(idata.posterior.sizes["draw"]),
    }


#: Pareto k above this: the observation's LOO estimate is unreliable (it is influential).
PARETO_K_BAD = 0.7
PARETO_K_OK = 0.5


def leave_one_out(idata: az.InferenceData, labels: list[str]) -> dict[str, Any]:
    """PSIS-LOO (ArviZ): the expected log predictive density, its standard error, the
    effective number of parameters, and each observation's Pareto k with the ones above
    0.7 (the estimate for them is unreliable: they sway the fit) and 0.5-0.7 named."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loo = az.loo(idata, pointwise=True)
    k = np.asarray(loo.pareto_k, dtype=float).reshape(-1)
    named = dict(zip(labels, (float(v) for v in k), strict=True))
    return {
        "elpd_loo": float(loo.elpd_loo),
        "se": float(loo.se),
        "p_loo": float(loo.p_loo),
        "pareto_k": named,
        "bad": [name for name, v in named.items() if v > PARETO_K_BAD],
        "ok": [name for name, v in named.items() if PARETO_K_OK < v <= PARETO_K_BAD],
        "thresholds": {"ok": PARETO_K_OK, "bad": PARETO_K_BAD},
    }

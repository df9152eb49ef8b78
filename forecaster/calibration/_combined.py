"""The combined model: r from the domain estimates and the growth rates together.

The returns model pools the reported r of several research domains; the doubling-times model
reads AI software's r off growth rates (r = g_software / g_inputs). Here both kinds of
evidence inform one r for AI software, ``r_software``:

- AI software is one more domain of the population: log r_software = mu + tau z_software,
  with the domains' log r_d = mu + tau z_d (non-centred, as in the returns model);
- its growth rows measure log g_software = log r_software + log g_inputs, the input rows
  log g_labour and log g_compute (g_inputs = a g_labour + (1 - a) g_compute);
- each growth row is observed with its reported sd and a **between-estimate scatter** s:
  Normal(log g_role, sqrt(sd^2 + s^2)). Marginalised (no latent per row), so a weakly
  identified s gives no funnel; its prior says how far estimates of one quantity stray.
- ``software_domain`` names a domain row that measures AI software's r itself (Ho & Whitfill's
  LLM estimate): its latent is r_software, so that estimate and the growth rates inform the
  same r. ``null``: AI software is a domain of its own, measured by the growth rows only.

``r_software`` feeds a forecast's r0; ``r_new`` (a new domain) is reported beside it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pandas as pd

from .._errors import ConfigError
from ._common import OBS, CalibrationModel, Prepared, option
from ._data import DAYS_PER_YEAR
from ._doubling_times import read_growth
from ._priors import make_priors
from ._returns import read_domains

PRIORS = {
    "mu": False,
    "tau": True,
    "log_g_labour": False,
    "log_g_compute": False,
    "scatter": True,
}
DOMAIN, GROWTH = 0, 1


def combined_model(
    kind: jnp.ndarray,
    index: jnp.ndarray,
    sd: jnp.ndarray,
    *,
    priors: Mapping[str, Any],
    labour_share: float,
    n_domains: int,
    software_domain: int,
    obs: jnp.ndarray | None = None,
) -> None:
    """Domain rows (kind 0, ``index`` the domain) and growth rows (kind 1, ``index`` the
    role: software, labour, compute) in one likelihood; see the module docstring."""
    mu = numpyro.sample("mu", priors["mu"])
    tau = numpyro.sample("tau", priors["tau"])
    scatter = numpyro.sample("scatter", priors["scatter"])
    with numpyro.plate("domains", n_domains):
        z = numpyro.sample("z", dist.Normal(0.0, 1.0))
    z_software = numpyro.sample("z_software", dist.Normal(0.0, 1.0))
    log_r_software = mu + tau * z_software
    log_r = mu + tau * z
    if software_domain >= 0:  # that domain's latent is AI software's r itself
        log_r = jnp.where(jnp.arange(n_domains) == software_domain, log_r_software, log_r)
    numpyro.deterministic("r_domain", jnp.exp(log_r))
    log_g_labour = numpyro.sample("log_g_labour", priors["log_g_labour"])
    log_g_compute = numpyro.sample("log_g_compute", priors["log_g_compute"])
    g_labour, g_compute = jnp.exp(log_g_labour), jnp.exp(log_g_compute)
    g_inputs = numpyro.deterministic(
        "g_inputs", labour_share * g_labour + (1.0 - labour_share) * g_compute
    )
    log_g_software = log_r_software + jnp.log(g_inputs)
    log_g = (log_g_software, log_g_labour, log_g_compute)
    growth_mean = sum(jnp.where(index == i, value, 0.0) for i, value in enumerate(log_g))
    domain_mean = jnp.take(log_r, jnp.where(kind == DOMAIN, index, 0), axis=-1)
    mean = jnp.where(kind == DOMAIN, domain_mean, growth_mean)
    spread = jnp.where(kind == DOMAIN, sd, jnp.sqrt(sd**2 + scatter**2))
    with numpyro.plate("estimates", kind.shape[0]):
        numpyro.sample(OBS, dist.Normal(mean, spread), obs=obs)
    numpyro.deterministic("r_software", jnp.exp(log_r_software))
    g_software = numpyro.deterministic("g_software", jnp.exp(log_g_software))
    numpyro.deterministic("g_labour", g_labour)
    numpyro.deterministic("g_compute", g_compute)
    numpyro.deterministic("software_doubling_time_days", DAYS_PER_YEAR / g_software)
    z_new = numpyro.sample("z_new", dist.Normal(0.0, 1.0))
    numpyro.deterministic("r_new", jnp.exp(mu + tau * z_new))


def _section(options: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = option(options, name)
    if not isinstance(value, Mapping):
        raise ConfigError(f"model.{name}", value, "a mapping of that data set's options")
    return dict(value)


def prepare_combined(options: Mapping[str, Any], data_dir: Path) -> Prepared:
    """The domain table and the growth table, as one vector of estimates."""
    priors = make_priors(options.get("priors"), "model.priors", PRIORS)
    domains = read_domains(_section(options, "returns"), data_dir)
    growth = read_growth(_section(options, "growth"), data_dir)
    chosen = options.get("software_domain")
    software = -1
    if chosen is not None:
        names = domains.used["domain"].tolist()
        if chosen not in names:
            raise ConfigError(
                "model.software_domain", chosen, f"null or a domain kept: one of {names}"
            )
        software = names.index(chosen)
    n_d, n_g = len(domains.labels), len(growth.labels)
    kind = np.concatenate([np.full(n_d, DOMAIN), np.full(n_g, GROWTH)]).astype(np.int32)
    index = np.concatenate([np.arange(n_d), growth.role]).astype(np.int32)
    sd = np.concatenate([domains.sd, growth.sd])
    table = pd.concat(
        [
            domains.used.assign(evidence="domain r", role="")[
                ["evidence", "domain", "r_median", "ci_low", "ci_high", "ci_level", "source"]
            ].rename(columns={"domain": "estimate", "r_median": "value"}),
            growth.used.assign(evidence="growth rate")[
                ["evidence", "quantity", "value", "ci_low", "ci_high", "ci_level", "source"]
            ].rename(columns={"quantity": "estimate"}),
        ],
        ignore_index=True,
    )
    info = {
        "rows": [*domains.labels, *growth.labels],
        "domains": domains.info,
        "growth": growth.info,
        "software_domain": chosen,
        "roles": growth.used["role"].tolist(),
    }
    return Prepared(
        model=functools.partial(
            combined_model,
            priors=priors,
            labour_share=growth.labour_share,
            n_domains=n_d,
            software_domain=software,
        ),
        inputs={"kind": kind, "index": index, "sd": sd.astype(np.float32)},
        obs=np.concatenate([domains.log_r, growth.log_g]),
        obs_sd=sd,
        labels=[f"r: {x}" for x in domains.labels] + [f"g: {x}" for x in growth.labels],
        dim="estimate",
        obs_label="log r (domain rows) or log doublings a year (growth rows)",
        table=table,
        info=info,
        dims={"z": ["domain"], "r_domain": ["domain"]},
        coords={"domain": domains.labels},
    )


COMBINED = CalibrationModel(
    "combined_r",
    "r for AI software from domain estimates and growth rates together",
    prepare_combined,
    "r_software",
    ("r_software", "r_new", "mu", "tau", "scatter", "g_software", "g_inputs"),
)

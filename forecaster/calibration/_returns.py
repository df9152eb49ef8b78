"""The returns model: hierarchical returns to software R&D across domains (MODEL.md section 6).

Each domain's reported r, with the sd of its interval on the log scale, measures a latent
log r_d ~ Normal(mu, tau); ``r_new``, the r of a domain not in the data, feeds a forecast.
"""

from __future__ import annotations

import dataclasses
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
from ._common import (  # as in _doubling_times (deliberate): both read a table of estimates
    INTERVAL_COLUMNS,
    OBS,
    CalibrationModel,
    Estimates,
    Prepared,
    check_known,
    data_table,
)
from ._data import check_interval, unique_labels
from ._priors import make_priors


def returns_model(
    sd: jnp.ndarray, *, priors: Mapping[str, Any], obs: jnp.ndarray | None = None
) -> None:
    """Hierarchical returns: log r_d ~ Normal(mu, tau), observed as Normal(log r_d, sd_d).

    Non-centred (log r_d = mu + tau·z_d) so NUTS does not meet the funnel of small tau.
    ``r_new`` is the posterior predictive r of a domain not in the data.
    """
    mu = numpyro.sample("mu", priors["mu"])
    tau = numpyro.sample("tau", priors["tau"])
    with numpyro.plate("domains", sd.shape[0]):
        z = numpyro.sample("z", dist.Normal(0.0, 1.0))
        log_r = mu + tau * z
        numpyro.deterministic("r_domain", jnp.exp(log_r))
        numpyro.sample(OBS, dist.Normal(log_r, sd), obs=obs)
    z_new = numpyro.sample("z_new", dist.Normal(0.0, 1.0))
    numpyro.deterministic("r_new", jnp.exp(mu + tau * z_new))


@dataclasses.dataclass(frozen=True)
class DomainEstimates:
    """The domain rows kept: their log r, its sd, labels and the facts for the report."""

    used: pd.DataFrame
    log_r: np.ndarray
    sd: np.ndarray
    labels: list[str]
    info: dict[str, Any]


def read_domains(options: Mapping[str, Any], data_dir: Path) -> DomainEstimates:
    """Domain estimates of r with their intervals (log scale), checked; ``options`` has
    ``data_file``, ``default_ci_level``, ``default_log_sd`` and ``exclude_domains``."""
    estimates = Estimates.from_options(options)
    exclude = list(options.get("exclude_domains") or [])
    file_name, table = data_table(
        options,
        data_dir,
        {"domain": "str", "r_median": "float", **INTERVAL_COLUMNS, "source": "str"},
    )
    check_interval(table, file_name, "r_median", "ci_low", "ci_high", "ci_level")
    domains = table["domain"].tolist()
    check_known("model.exclude_domains", exclude, domains, f"domains of {file_name}: {domains}")
    used = table[~table["domain"].isin(exclude)].reset_index(drop=True)
    if len(used) < 2:
        raise ConfigError("model.exclude_domains", exclude, "leaving at least two domains")
    sd = estimates.log_sd(used["ci_low"], used["ci_high"], used["ci_level"])
    labels = unique_labels(used["domain"].tolist())
    log_r = np.log(used["r_median"].to_numpy(float))
    return DomainEstimates(used, log_r, sd, labels, Estimates.info(table, used, labels))


def prepare_returns(options: Mapping[str, Any], data_dir: Path) -> Prepared:
    """Domain estimates of r with their intervals (log scale)."""
    priors = make_priors(options.get("priors"), "model.priors", {"mu": False, "tau": True})
    domains = read_domains(options, data_dir)
    return Prepared(
        model=functools.partial(returns_model, priors=priors),
        inputs={"sd": domains.sd.astype(np.float32)},
        obs=domains.log_r,
        obs_sd=domains.sd,
        labels=domains.labels,
        dim="domain",
        obs_label="log r (returns to software R&D)",
        table=domains.used,
        info=domains.info,
        dims={"z": ["domain"], "r_domain": ["domain"]},
    )


RETURNS = CalibrationModel(
    "returns",
    "hierarchical returns to software R&D across domains",
    prepare_returns,
    "r_new",
    ("r_new", "mu", "tau", "r_domain"),
)

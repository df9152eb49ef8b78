"""Priors drawn from a saved posterior: whole rows of the file (joint, the default) or one
variable's draws resampled by rank (marginal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._errors import ConfigError
from .._files import open_regular, read_text

#: How a prior drawn from a posterior file resamples: ``joint`` (the default) takes every
#: variable of one file from the same posterior row; ``marginal`` each by its own rank.
RESAMPLING = ("joint", "marginal")


class PosteriorSamples:
    """Draws of one variable from a saved posterior, resampled through their empirical CDF.

    Reads an ArviZ netCDF file (``posterior`` group, chains x draws flattened) or a CSV with a
    column of that name. ``icdf(u)`` returns the sorted draw at rank ``floor(u n)``, which is
    resampling with replacement and keeps rank correlations of the copula.
    """

    def __init__(self, path: str, variable: str, field: str, joint: bool = True):
        file = Path(path).expanduser()
        if not file.exists():
            raise ConfigError(f"{field}.path", path, "an existing posterior file (.nc or .csv)")
        values = read_posterior(file, variable, field)
        bad = int(np.sum(~np.isfinite(values)))
        if values.size == 0 or bad:
            # A file is data: a draw that is text, empty or non-finite is refused, not dropped.
            raise ConfigError(
                f"{field}.variable",
                variable,
                f"a variable of {file} whose draws are all finite numbers "
                f"({bad} of {values.size} are not)",
            )
        self.path = str(file.resolve())
        self.variable = variable
        self.joint = joint
        self.rows = values  # in the file's order: row i of every variable is one draw
        self.sorted = np.sort(values)
        # The rows a joint draw picks from, ordered by the file's first variable drawn (set
        # by the prior set; alone, a variable's own sorted draws: the same as its icdf).
        self.joint_rows = self.sorted

    @property
    def support(self) -> tuple[float, float]:
        return float(self.sorted[0]), float(self.sorted[-1])

    def sample(self, key: jax.Array, sample_shape: tuple[int, ...] = ()) -> jax.Array:
        """Draws resampled from the file's draws (NumPyro's ``sample(key, sample_shape)``)."""
        return self.icdf(jax.random.uniform(key, sample_shape))

    def log_prob(self, value: Any) -> np.ndarray:
        """Log density by a Gaussian kernel density estimate of the file's draws (Scott's
        bandwidth); -inf where the estimate underflows."""
        from scipy.stats import gaussian_kde

        if not hasattr(self, "_kde"):
            self._kde = gaussian_kde(self.sorted)
        with np.errstate(divide="ignore"):
            return np.log(self._kde(np.atleast_1d(np.asarray(value, float)))).reshape(
                np.shape(value)
            )

    def at_rows(self, u: jax.Array) -> jax.Array:
        """The draw in row floor(u n) of the file's rows ordered by its first variable drawn:
        the same row for every variable of the file drawn with the same u, so a forecast
        keeps the posterior's joint distribution (and the first variable is monotone in u)."""
        n = self.joint_rows.size
        row = jnp.clip(jnp.floor(u * n).astype(jnp.int32), 0, n - 1)
        return jnp.asarray(self.joint_rows, u.dtype)[row]

    def icdf(self, u: jax.Array) -> jax.Array:
        n = self.sorted.size
        rank = jnp.clip(jnp.floor(u * n).astype(jnp.int32), 0, n - 1)
        return jnp.asarray(self.sorted, u.dtype)[rank]


#: The most bytes of a posterior file read (a million draws of dozens of variables fit).
POSTERIOR_LIMIT = 1 << 30


def read_posterior(file: Path, variable: str, field: str) -> np.ndarray:
    """All draws of ``variable`` in ``file`` (.nc ArviZ netCDF or .csv), flattened.

    The file must be a regular file (a FIFO or a device is refused, never read); a netCDF
    file must hold a ``posterior`` group whose variable is numeric.
    """
    what = "a posterior file"
    if file.suffix == ".csv":
        import io

        import pandas as pd

        text = read_text(file, f"{field}.path", what, follow=True, limit=POSTERIOR_LIMIT)
        try:
            frame = pd.read_csv(io.StringIO(text))
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise ConfigError(f"{field}.path", str(file), f"a readable CSV ({exc})") from None
        if variable not in frame.columns:
            raise ConfigError(f"{field}.variable", variable, f"a column of {file}: {list(frame)}")
        return pd.to_numeric(frame[variable], errors="coerce").to_numpy(float)
    if file.suffix in (".nc", ".netcdf", ".h5"):
        from .._arviz import az

        open_regular(file, f"{field}.path", what, follow=True, limit=POSTERIOR_LIMIT).close()
        try:
            idata = az.from_netcdf(file)
        except Exception as exc:  # a corrupt or foreign file is the user's to fix
            raise ConfigError(f"{field}.path", str(file), f"an ArviZ netCDF file ({exc})") from None
        if "posterior" not in idata.groups():
            raise ConfigError(
                f"{field}.path", str(file), "an ArviZ netCDF file with a posterior group"
            )
        posterior = idata["posterior"]
        if variable not in posterior.data_vars:
            allowed = sorted(posterior.data_vars)
            raise ConfigError(f"{field}.variable", variable, f"a posterior variable: {allowed}")
        if posterior[variable].dtype.kind not in "iuf":
            raise ConfigError(
                f"{field}.variable",
                variable,
                f"a numeric posterior variable of {file} (it holds {posterior[variable].dtype})",
            )
        try:
            return np.asarray(posterior[variable].values, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{field}.variable", variable, f"a numeric posterior variable of {file}"
            ) from None
    raise ConfigError(f"{field}.path", str(file), "a .nc (ArviZ netCDF) or .csv file")

"""ArviZ, imported quietly.

ArviZ 0.2x announces its 1.0 refactor on import (a FutureWarning, and INFO log lines about
the optional ``arviz_*`` preview packages that Hydra's logging would print on every run).
"""

from __future__ import annotations

import logging
import warnings

logging.getLogger("arviz.preview").setLevel(logging.WARNING)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", FutureWarning)
    import arviz as az

__all__ = ["az"]

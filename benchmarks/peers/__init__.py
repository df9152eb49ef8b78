"""Peers' published code, run side by side with forecaster.

Each module runs one peer's own code (fetched from its public repository, never copied into
this project) with fixed seeds, records the repository's commit, and writes the table of its
numbers to ``benchmarks/results/peers/``. The tests compare forecaster against those tables
with a tolerance in standard errors of both sample sizes.
"""

import math
import subprocess
from pathlib import Path
from typing import Any


def commit_of(repo: Path) -> str:
    """The commit of a peer's checkout: ``git rev-parse HEAD``, or for a snapshot without
    ``.git`` the ``.commit`` file written beside it; "unknown" if neither."""
    done = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    if done.returncode == 0:
        return done.stdout.strip()
    head = repo / ".commit"
    return head.read_text().strip() if head.is_file() else "unknown"


def plain(value: Any) -> Any:
    """JSON-ready: NumPy scalars and arrays as Python numbers and lists, non-finite floats
    as None, mappings' keys as strings."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value

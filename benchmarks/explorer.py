"""The ``explorer`` section of ``python -m benchmarks``: the time from a changed prior to
updated results in ``forecaster serve``, for 100,000 draws.

The app runs in a thread of this process on a free port of 127.0.0.1; each figure is the
wall time of one real request cycle as the page makes it: POST the state to ``/api/run``,
ask ``/api/job/<id>?wait=1`` (the server answers when the job ends) until it is done, with
the summary the plots are drawn from (drawing them in the browser adds milliseconds). Rows:
the first run of a preset (compiling its kernel), the same settings again (the kernel kept
warm by the engine), another seed and changed priors (the seed and the priors' values are
inputs of the compiled kernel, so none of them compiles: the "changed prior" figure is the
one issue 27 asks for).
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from .common import median

STATE = {"scenario": "davidson_houlden_2025", "n_draws": 100_000, "seed": 0}
CHANGES = (
    ("first run of the preset (compiles)", {}),
    ("the same settings again (kernel kept warm)", {}),
    ("another seed", {"seed": 1}),
    ("a changed prior (f's upper bound)", {"params": {"f": "log_uniform(low=2, high=48)"}}),
    ("another changed prior (r0)", {"params": {"r0": "log_uniform(low=0.5, high=3)"}}),
)


def _cycle(base: str, state: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    t0 = time.perf_counter()
    request = urllib.request.Request(
        base + "/api/run", json.dumps(state).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        job = json.loads(response.read())
    while True:
        with urllib.request.urlopen(f"{base}/api/job/{job['id']}?wait=1", timeout=300) as response:
            view = json.loads(response.read())
        if view["status"] not in ("queued", "running"):
            return time.perf_counter() - t0, view


def explorer_section(cfg: dict[str, Any], log: Callable[[str], None]) -> dict[str, Any]:
    from forecaster._serve import Background

    server = Background(time_limit_s=600)
    rows = []
    try:
        n = cfg.get("explorer_draws", STATE["n_draws"])
        for name, change in CHANGES:
            state = {**STATE, "n_draws": n, **change}
            seconds, view = _cycle(server.base, state)
            if view["status"] != "done":
                raise RuntimeError(f"{name}: {view}")
            timing = view["summary"]["timing"]
            rows.append(
                {
                    "change": name,
                    "n_draws": n,
                    "seconds_to_results": seconds,
                    "compile_seconds": timing["compile_seconds"],
                    "run_seconds": timing["run_seconds"],
                }
            )
            log(f"  {name}: {seconds:.2f} s to results (compile {timing['compile_seconds']:.2f} s)")
    finally:
        server.stop()
    changed = [r["seconds_to_results"] for r in rows[3:]]
    return {"rows": rows, "changed_prior_seconds": median(changed)}

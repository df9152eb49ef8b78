"""What-if experiments behind the suggestions in PROFILING.md: ``python -m benchmarks.whatif
[--scenarios davidson_houlden_2025,decaying] [--repeats 11] [--out FILE]``.

Each times the vmapped kernel (``forecaster._kernel.draw_outcomes``) on one engine block of
draws, as it is and with one change, in this process only (nothing under forecaster/ is
edited):

- ``no windows`` / ``no fan levels``: the same settings without the most-progress-in-window
  outcome or the fan-chart levels (``dataclasses.replace`` of the KernelSettings);
- ``exp2 in the stepper``: the D&H stepper with ``jnp.exp2(x)`` for ``2.0 ** x`` (its source
  patched and re-executed; skipped when the text is no longer there);
- the cost per element of the transcendental functions on this backend;
- whether XLA runs the kernel on more than one core (process CPU time / wall time).

Figures are draws/s of the kernel alone (best and median of the repeats): compare them with
each other, not with the end-to-end throughput.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import statistics
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from .common import DH, load_average, make_plan, time_call


def _stat(fn, *args, repeats: int) -> tuple[float, float]:
    import jax

    jax.block_until_ready(fn(*args))
    ts = time_call(lambda: jax.block_until_ready(fn(*args)), repeats)
    return statistics.median(ts), min(ts)


def transcendental_costs(repeats: int = 9) -> dict[str, float]:
    """Nanoseconds per element (best of repeats) of elementwise functions, float32."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    x = jnp.asarray(np.random.default_rng(0).uniform(0.01, 0.99, (4096, 513)).astype(np.float32))
    fns = {
        "add": lambda v: v + 1.0, "div": lambda v: 1.0 / v, "exp": jnp.exp, "exp2": jnp.exp2,
        "2.0 ** x": lambda v: 2.0 ** v, "log": jnp.log, "log1p": jnp.log1p,
        "expm1": jnp.expm1, "log10": jnp.log10, "x ** y": lambda v: v ** (v + 0.5),
    }
    return {k: round(_stat(jax.jit(f), x, repeats=repeats)[1] / x.size * 1e9, 3)
            for k, f in fns.items()}


def kernel_whatifs(scenario: str, repeats: int = 11) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp

    import forecaster._integrate as integrate
    import forecaster._kernel as kernel_module
    from forecaster._parameters import to_params
    from forecaster._priors import model_values, transform, uniforms_at

    from .profiling import engine_block

    block = engine_block(jax.devices()[0].platform)
    plan = make_plan(scenario, block, block)
    settings = plan.settings
    dtype = jnp.float32
    u = uniforms_at(plan.priors, plan.seed, jnp.zeros(block, jnp.uint32),
                    jnp.arange(block, dtype=jnp.uint32), dtype)
    params = to_params(model_values(transform(plan.priors, u, dtype), block, dtype), dtype)
    out: dict[str, Any] = {"scenario": scenario, "block": block, "variants": {}}

    def run(label: str, s: Any) -> None:
        fn = jax.jit(jax.vmap(lambda p: kernel_module.draw_outcomes(p, s)))
        med, best = _stat(fn, params, repeats=repeats)
        out["variants"][label] = {"draws_per_second_best": block / best,
                                  "draws_per_second_median": block / med}

    run("as is", settings)
    if settings.windows_years:
        run("no windows", dataclasses.replace(settings, windows_years=()))
    if settings.fan_levels_years:
        run("no fan levels", dataclasses.replace(settings, fan_levels_years=()))
    if settings.integrator == "doublings":
        source = textwrap.dedent(inspect.getsource(integrate.doublings_path))
        patched = source.replace("2.0 ** (params.p", "jnp.exp2(params.p")
        if patched != source:
            namespace = dict(vars(integrate))
            exec(patched, namespace)
            original = kernel_module.doublings_path
            kernel_module.doublings_path = namespace["doublings_path"]
            try:
                run("exp2 in the stepper", settings)
                if settings.windows_years:
                    run("exp2 + no windows", dataclasses.replace(settings, windows_years=()))
            finally:
                kernel_module.doublings_path = original
        else:
            out["skipped"] = "exp2: the stepper no longer contains '2.0 ** (params.p'"

    # one core or several?
    fn = jax.jit(jax.vmap(lambda p: kernel_module.draw_outcomes(p, settings)))
    jax.block_until_ready(fn(params))
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(5):
        jax.block_until_ready(fn(params))
    out["cpu_time_over_wall_time"] = round(
        (time.process_time() - cpu0) / (time.perf_counter() - wall0), 2)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.whatif", description=__doc__)
    parser.add_argument("--scenarios", default=f"{DH},decaying")
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"load_start": load_average()}
    results["ns_per_element"] = transcendental_costs()
    results["kernels"] = [kernel_whatifs(s.strip(), args.repeats)
                          for s in args.scenarios.split(",") if s.strip()]
    results["load_end"] = load_average()
    text = json.dumps(results, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark suite of forecaster: ``python -m benchmarks [--quick]``.

Throughput of the whole forecast per preset and n_draws, two baselines of the Davidson &
Houlden model (vectorised NumPy, per-draw Python loop), peak memory in child processes,
a per-chunk profile and a roofline estimate. See ``benchmarks/README.md``.
"""

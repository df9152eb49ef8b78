"""Peers' published code, run side by side with forecaster.

Each module runs one peer's own code (fetched from its public repository, never copied into
this project) with fixed seeds, records the repository's commit, and writes the table of its
numbers to ``benchmarks/results/peers/``. The tests compare forecaster against those tables
with a tolerance in standard errors of both sample sizes.
"""

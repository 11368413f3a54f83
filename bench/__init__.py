"""Benchmarks and their tooling: the synthetic Al Kamel generator (bench.synthetic) and the runs (bench/run.py)."""

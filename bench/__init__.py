"""Benchmarks: `python -m bench` prints simulate's time against a bare NumPy baseline."""

"""Benchmarks: `python -m bench` prints simulate's time against a bare NumPy baseline.

Each benchmark's process gives NumPy the BLAS threads a process of the app gets here
(ui.cpus), so that no command sets a thread variable; one set in the environment wins.
"""

from ui import cpus as _cpus

_cpus.limit_threads(_cpus.plan().threads)

"""Layerscope's simulation core: pure NumPy, usable from a notebook.

>>> from core import NetworkSpec, simulate
>>> res = simulate(NetworkSpec(depth=10, width=100, activation="linear", weight_var=0.001))
>>> round(float(res.log10_act_var[-1]))       # (100 * 0.001) ** 10 = 1e-10
-10
"""

from . import activations, initializers, norms, stats, theory
from .activations import ACTIVATIONS, calculate_gain
from .initializers import SCHEMES
from .propagate import Params, make_params
from .simulate import Result, simulate
from .spec import NORMS, NetworkSpec

__all__ = ["activations", "initializers", "norms", "stats", "theory", "ACTIVATIONS", "NORMS", "SCHEMES", "NetworkSpec", "Params", "Result",
           "calculate_gain", "make_params", "simulate"]

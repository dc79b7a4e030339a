"""Layerscope's simulation core: pure NumPy, usable from a notebook.

Glossary (the names the code uses, one meaning each):

- **unit**: one neuron of a layer; a layer has `width` of them, each a column of W.
- **fan_in**: how many inputs a unit adds up (the previous layer's width).
- **weight_var**: Var(W), the variance the weights are drawn with; **gain** is the factor
  PyTorch's init multiplies its standard deviation by (5/3 for tanh, √2 for ReLU).
- **sigma_w2**, σ_w²: fan_in × Var(W), the factor a linear layer multiplies the variance
  by; **sigma_b2**, σ_b²: the bias variance.
- **preact**, h: a layer's pre-activation, W x + b, before any norm.
- **u**: what the activation φ sees: h, or the norm's output when a norm comes first.
- **act**, φ(u): the activation's output, the next layer's input x.
- **level**: a bounded activation's output mapped onto [−1, 1] (tanh's is itself); a
  value is **saturated** where |level| is above the cutoff (0.97 by default, Karpathy's
  0.99 shown beside it), where φ' is small. A ReLU-like unit is **off** where u ≤ 0 and
  **dead** when it is off for every example.
- **q**: the mean squared pre-activation over units (the length of the mean-field theory,
  Poole et al. 2016); **q0**: E[x²] of the network's input; q* its fixed point.
- **chi1**, χ₁ = σ_w² E[φ'(u)²]: the factor by which a gradient's variance grows per layer
  backward; χ₁ = 1 is the edge of chaos. **chi_c**: the same at the correlation map's fixed
  point; **xi_c** = −1/ln χ_c, the depth over which two inputs' correlation settles.
- **log10_…**: a quantity held as its log10, so that 10²⁰⁰ or 10⁻³⁰⁰ is a number like any
  other (the engine rescales each layer and carries the scale apart: `core.scaled`).
- **seed**: the draw of the weights (and inputs); curves of several seeds give the spread
  a finite width leaves from one draw to the next.

Where things are: `spec` (NetworkSpec, one network), `propagate` and `simulate` (the
engine: forward and backward through it, per-layer statistics), `theory` (mean-field
predictions), `train` (makemore training), `experiments` (comparisons built on the
engine: lineups of inits and norms, seeds, the diagnosis in words' numbers, depth scales).

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

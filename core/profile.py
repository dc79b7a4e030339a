"""A run's per-layer curves only: what a side-by-side comparison of many networks draws.

`simulate` also bins histograms and keeps heatmap samples of every layer. A comparison of
five or six networks draws only curves, so `profile` takes the same statistics with the
same functions (the numbers are identical to simulate's) and skips the rest: about a
third less work per network.

>>> from core.spec import NetworkSpec
>>> from core.simulate import simulate
>>> spec = NetworkSpec(depth=4, width=16, batch=32)
>>> bool((profile(spec).log10_grad_var == simulate(spec).log10_grad_var).all())
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .propagate import Params, forward_backward, make_params
from .simulate import Collector, PerLayer
from .spec import NetworkSpec


@dataclass(frozen=True)
class Profile(PerLayer):
    spec: NetworkSpec
    log10_preact_var: np.ndarray       # (depth,), as Result's fields of the same names
    log10_act_var: np.ndarray
    log10_out_var: np.ndarray
    log10_grad_var: np.ndarray
    saturated_frac: np.ndarray
    dead_frac: np.ndarray
    loss: float
    overflow_layer: int | None
    underflow_layer: int | None = None
    grad_underflow_layer: int | None = None
    readout_overflow: bool = False
    grad_overflow_layer: int | None = None
    weight_grad_overflow_layer: int | None = None
    grad_zero_layer: int | None = None
    grad_zero_cause: str | None = None


def profile(spec: NetworkSpec, params: Params | None = None) -> Profile:
    """The per-layer curves of `spec` (or of the given params), as simulate reports them."""
    params = make_params(spec) if params is None else params
    col = Collector(spec, light=True)
    out = forward_backward(spec, params, col.forward, col.backward)
    r = {k: np.asarray(v, dtype=float) for k, v in col.rows.items()}
    grad = r["log10_grad_var"][::-1]
    return Profile(spec, r["log10_preact_var"], r["log10_act_var"], r["log10_out_var"],
                   grad, r["saturated_frac"], r["dead_frac"], out.loss, col.overflow_layer,
                   col.underflow_layer, **col.backward_edges(out, float(grad[-1])))

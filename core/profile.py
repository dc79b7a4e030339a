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

from . import activations, stats
from .propagate import LayerBackward, LayerForward, Params, forward_backward, make_params
from .spec import NetworkSpec


@dataclass(frozen=True)
class Profile:
    spec: NetworkSpec
    log10_preact_var: np.ndarray       # (depth,), as Result's fields of the same names
    log10_act_var: np.ndarray
    log10_out_var: np.ndarray
    log10_grad_var: np.ndarray
    saturated_frac: np.ndarray
    dead_frac: np.ndarray
    loss: float
    overflow_layer: int | None

    @property
    def depth(self) -> int:
        return self.spec.depth

    @property
    def activation(self) -> activations.Activation:
        return activations.get(self.spec.activation)


def profile(spec: NetworkSpec, params: Params | None = None) -> Profile:
    """The per-layer curves of `spec` (or of the given params), as simulate reports them."""
    params = make_params(spec) if params is None else params
    act = activations.get(spec.activation)
    rows: dict[str, list] = {k: [] for k in ("pre", "act", "out", "grad", "sat", "dead")}
    overflow: list[int] = []

    def on_forward(t: LayerForward):
        if (spec.dtype != "float64" and not overflow
                and not (np.isfinite(t.preact).all() and np.isfinite(t.out).all())):
            overflow.append(t.index)
        rows["pre"].append(stats.moments(t.preact, t.preact_scale)[1])
        alv = stats.moments(t.act, t.act_scale)[1]
        rows["act"].append(alv)
        rows["out"].append(alv if t.out is t.act else stats.moments(t.out, t.out_scale)[1])
        unit = stats.unit_values(act, t.act, t.act_scale) if act.bounded else None
        sat, dead = stats.saturation(act, unit, t.u, spec.saturation_threshold,
                                     spec.dead_threshold)
        rows["sat"].append(sat)
        rows["dead"].append(float(dead.mean()))

    def on_backward(t: LayerBackward):
        rows["grad"].append(stats.moments(t.grad_preact, t.grad_preact_scale)[1])

    out = forward_backward(spec, params, on_forward, on_backward)
    r = {k: np.asarray(v, dtype=float) for k, v in rows.items()}
    return Profile(spec, r["pre"], r["act"], r["out"], r["grad"][::-1], r["sat"], r["dead"],
                   out.loss, overflow[0] if overflow else None)

"""The size of the output over draws of the weights: ln(||x_L||^2 / ||x_0||^2) per seed,
the finite-width spread `theory.fluctuations.log_norm_law` predicts (Hanin & Rolnick
2018: variance 5 sum 1/n_l for relu with He initialization).

>>> from core.spec import NetworkSpec
>>> r = log_norm_ratios(NetworkSpec(depth=3, width=16, activation="linear",
...                                 init="orthogonal", gain=1.0), seeds=2)
>>> r.shape, bool(abs(r).max() < 1e-12)        # orthogonal layers keep ||x|| exactly
((2, 1), True)
"""

from __future__ import annotations

import math

import numpy as np

from ..propagate import forward_backward, make_params
from ..spec import RANGES, NetworkSpec


def seed_list(first: int, count: int) -> tuple[int, ...]:
    """`count` seeds from `first` on, wrapping within the seed range."""
    top = RANGES["seed"][1] + 1
    return tuple((first + k) % top for k in range(count))


def log_norm_ratios(spec: NetworkSpec, seeds: int = 100, examples: int = 1) -> np.ndarray:
    """(seeds, examples): ln(||x_L||^2 / ||x_0||^2) for the first `examples` inputs of the
    spec under seeds spec.seed, spec.seed + 1, ... (each a forward pass of `examples`
    inputs through the engine). -inf where the output is exactly zero (every unit off);
    +inf where float32/16 overflowed."""
    if seeds < 2:
        raise ValueError(f"seeds={seeds}: a spread needs at least two draws")
    out = np.empty((seeds, examples))
    for k, seed in enumerate(seed_list(spec.seed, seeds)):
        out[k] = _log_ratios(spec.replace(seed=seed, batch=examples))
    return out


def _log_ratios(spec: NetworkSpec) -> np.ndarray:
    params = make_params(spec)
    last = {}

    def observe(layer):
        if layer.index == spec.depth - 1:
            last["out"], last["scale"] = layer.out, layer.out_scale

    forward_backward(spec, params, on_forward=observe, backward=False)
    x0 = params.x0.reshape(spec.batch, -1)
    out = last["out"].reshape(spec.batch, -1).astype(np.float64)
    with np.errstate(divide="ignore", over="ignore"):
        top = np.log(np.sum(out * out, axis=1)) + 2 * last["scale"] * math.log(10)
    return top - np.log(np.sum(x0 * x0, axis=1))

"""Two inputs through the network a spec describes: their correlation, layer by layer.

Pairs of inputs with a chosen correlation c0 go through the engine's own forward pass
(`propagate.forward_backward`, the spec's weights); each layer's pre-activations of the
two inputs give one cosine similarity per pair. `theory.correlation_trajectory` is the
wide-network prediction for networks without normalization or residual connections.

>>> from core.spec import NetworkSpec
>>> c = pair_correlations(NetworkSpec(depth=3, width=64, activation="linear"), c0=0.5, pairs=4)
>>> c.shape, bool(np.all(np.abs(c) <= 1))
((3, 4), True)
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..propagate import forward_backward, make_params
from ..spec import NetworkSpec
from ..theory import input_q0

PAIR_STREAM = 0x636f7272       # the pairs' own random stream beside the spec's seed ("corr")


def correlated_pairs(count: int, size: int, c0: float, q0: float,
                     rng: np.random.Generator) -> np.ndarray:
    """(2 * count, size): rows 2k and 2k + 1 are a pair with cosine similarity exactly c0
    and mean square exactly q0 each, in a random direction (Gram-Schmidt on two Gaussian
    draws). A random linear layer sees only these second moments, so Gaussian pairs stand
    for any input distribution with the same q0."""
    a = rng.standard_normal((count, size))
    b = rng.standard_normal((count, size))
    a /= np.linalg.norm(a, axis=1, keepdims=True)
    b -= np.sum(a * b, axis=1, keepdims=True) * a
    b /= np.linalg.norm(b, axis=1, keepdims=True)
    scale = math.sqrt(q0 * size)
    out = np.empty((2 * count, size))
    out[0::2] = scale * a
    out[1::2] = scale * (c0 * a + math.sqrt(max(0.0, 1.0 - c0 * c0)) * b)
    return out


def pair_correlations(spec: NetworkSpec, c0: float, pairs: int = 16) -> np.ndarray:
    """(depth, pairs): the cosine similarity of each pair's pre-activations (over units
    and positions) at every layer; NaN where a layer's pre-activation is zero or not
    finite (float32/16 overflow). The batch becomes the 2 * pairs inputs; with BatchNorm
    they share statistics, as any batch does. Costs one forward pass of that batch."""
    if not -1.0 <= c0 <= 1.0:
        raise ValueError(f"c0={c0} is not a correlation: it must lie in [-1, 1]")
    if pairs < 1:
        raise ValueError(f"pairs={pairs}: at least one pair is needed")
    run = spec.replace(batch=2 * pairs)
    rng = np.random.default_rng([spec.seed, PAIR_STREAM])
    x0 = correlated_pairs(pairs, spec.spatial * spec.width, c0, input_q0(spec), rng)
    params = dataclasses.replace(make_params(run), x0=x0.reshape(2 * pairs, spec.spatial, spec.width))
    out = np.full((spec.depth, pairs), np.nan)

    def observe(layer):
        h = layer.preact.reshape(2 * pairs, -1).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            dots = np.sum(h[0::2] * h[1::2], axis=1)
            norms = np.linalg.norm(h[0::2], axis=1) * np.linalg.norm(h[1::2], axis=1)
            c = dots / norms
        out[layer.index] = np.where(np.isfinite(c), np.clip(c, -1.0, 1.0), np.nan)

    forward_backward(run, params, on_forward=observe, backward=False)
    return out

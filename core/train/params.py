"""The trainable parameters: their layout, their values at step 0, and the embedding
that turns a context of three characters into the first layer's input x0."""

from __future__ import annotations

import math

import numpy as np

from .. import data
from ..propagate import make_params
from ..spec import NetworkSpec

PARAM_GROUPS = ("embedding", "weights", "biases", "gammas", "betas", "w_out")


def initial_params(spec: NetworkSpec) -> dict[str, np.ndarray | list[np.ndarray]]:
    """The trainable parameters at step 0 (fresh arrays): the hidden weights and biases of
    `make_params(spec)`, the readout W_out = readout_scale * its N(0, 1) draw, the
    embedding from its own stream (seed, 1), gamma = norm_gamma and beta = norm_beta per
    channel when the spec has a norm (else empty lists)."""
    drawn = make_params(spec)
    rng = np.random.default_rng([spec.seed, 1])
    emb = rng.standard_normal((data.BLOCK, data.TOKENS, spec.width)) / math.sqrt(data.BLOCK)
    has_norm = spec.norm != "none"
    return {
        "embedding": emb,
        # fresh arrays from make_params: taken as they are, not copied (a copy of every
        # weight would double the parameters' memory while the trainer starts)
        "weights": [np.asarray(w, dtype=np.float64) for w in drawn.weights],
        "biases": [np.asarray(b, dtype=np.float64) for b in drawn.biases],
        "gammas": [np.full(spec.width, spec.norm_gamma) for _ in range(spec.depth)] if has_norm else [],
        "betas": [np.full(spec.width, spec.norm_beta) for _ in range(spec.depth)] if has_norm else [],
        "w_out": np.array(drawn.w_out, dtype=np.float64) * spec.readout_scale,
    }


def param_count(spec: NetworkSpec) -> int:
    """Trainable numbers: embedding, hidden weights and biases, gamma and beta per
    channel when there is a norm, W_out.

    >>> param_count(NetworkSpec(depth=2, width=4))          # 3*27*4 + 2*(16+4) + 4*27
    472
    """
    w, d = spec.width, spec.depth
    norm = 2 * d * w if spec.norm != "none" else 0
    return data.BLOCK * data.TOKENS * w + d * (w * w + w) + norm + w * data.TOKENS


def flat(params: dict) -> list[np.ndarray]:
    """Every parameter array, in PARAM_GROUPS order (the optimizer's state lines up)."""
    out = []
    for group in PARAM_GROUPS:
        value = params[group]
        out.extend(value if isinstance(value, list) else [value])
    return out


def copy_params(params: dict) -> dict:
    return {k: [a.copy() for a in v] if isinstance(v, list) else v.copy()
            for k, v in params.items()}


def embed(emb: np.ndarray, contexts: np.ndarray) -> np.ndarray:
    """x0 (examples, 1, width) = sum over positions p of emb[p, token at p]."""
    x0 = emb[0, contexts[:, 0]].copy()
    for p in range(1, contexts.shape[1]):
        x0 += emb[p, contexts[:, p]]
    return x0[:, None, :]


def embed_grad(g_x0: np.ndarray, contexts: np.ndarray, shape: tuple) -> np.ndarray:
    """dL/dE from dL/dx0 (examples, width): each example's gradient lands on the row of
    its token at each position, summed over repeats (one one-hot product, no loop).

    >>> g = embed_grad(np.ones((2, 1)), np.array([[0, 1], [0, 0]]), (2, 3, 1))
    >>> g[:, :, 0].tolist()
    [[2.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    """
    block, tokens, width = shape
    rows = (contexts + tokens * np.arange(block)).reshape(-1)          # (examples * block,)
    onehot = np.zeros((rows.size, block * tokens))
    onehot[np.arange(rows.size), rows] = 1.0
    return (onehot.T @ np.repeat(g_x0, block, axis=0)).reshape(shape)

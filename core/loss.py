"""Softmax cross-entropy of logits that may lie far beyond float64's range.

Logits travel like every other tensor (`core.scaled`): true = stored * 10**log10_scale.
Up to 10**BIG the softmax is computed as usual, in the logits' own dtype (float16 runs
round as hardware would); beyond it the softmax is one-hot on the largest logit and the
loss is the gap between that logit and the true class's, which is exact there.

>>> import numpy as np
>>> log10_loss, probs = softmax_cross_entropy(np.zeros((2, 27)), 0.0, np.array([0, 5]))
>>> round(10 ** log10_loss, 4), round(float(probs[0, 0]), 4)     # log 27, and 1/27
(3.2958, 0.037)
>>> log10_loss, probs = softmax_cross_entropy(np.array([[1.0, -1.0]]), 500.0, np.array([1]))
>>> round(log10_loss, 6), probs.tolist()                          # gap 2e500, one-hot
(500.30103, [[1.0, 0.0]])
"""

from __future__ import annotations

import math

import numpy as np

from .scaled import BIG


def softmax_cross_entropy(logits: np.ndarray, log10_scale: float,
                          labels: np.ndarray) -> tuple[float, np.ndarray]:
    """(log10 of the mean cross-entropy, softmax probabilities) of true logits
    logits * 10**log10_scale against integer labels. NaN logits (an overflowed float16/32
    run) give a NaN loss, never a number."""
    z = np.asarray(logits)
    rows = np.arange(z.shape[0])
    with np.errstate(invalid="ignore", over="ignore"):
        peak = float(np.max(np.abs(z))) if z.size else 0.0
    if math.isnan(peak) or peak == 0 or log10_scale + math.log10(peak) <= BIG:
        with np.errstate(invalid="ignore", over="ignore"):
            zt = z * z.dtype.type(10.0**log10_scale) if log10_scale else z
            shifted = zt - zt.max(axis=1, keepdims=True)
            lse = np.log(np.exp(shifted).sum(axis=1))
            loss = float(np.mean(lse - shifted[rows, labels], dtype=np.float64))
            probs = np.exp(shifted - lse[:, None])
        return _log10(loss), probs
    gap = float(np.mean(z.max(axis=1) - z[rows, labels], dtype=np.float64))
    probs = np.zeros_like(z)
    probs[rows, z.argmax(axis=1)] = 1.0
    return _log10(gap) + log10_scale, probs


def _log10(value: float) -> float:
    if math.isnan(value):
        return math.nan
    return math.log10(value) if value > 0 else -math.inf


def cross_entropy(logits: np.ndarray, log10_scale: float, labels: np.ndarray) -> float:
    """log10 of the mean softmax cross-entropy (see `softmax_cross_entropy`).

    >>> round(cross_entropy(np.array([[1.0, -1.0]]), 500.0, np.array([1])), 6)
    500.30103
    """
    return softmax_cross_entropy(np.asarray(logits, dtype=np.float64), log10_scale, labels)[0]


def softmax(logits: np.ndarray, log10_scale: float) -> np.ndarray:
    """Softmax of one example's true logits = logits * 10**log10_scale.

    >>> softmax(np.array([0.0, 0.0]), 0.0).tolist()
    [0.5, 0.5]
    >>> softmax(np.array([1.0, 2.0]), 400.0).tolist()      # beyond float64: one-hot
    [0.0, 1.0]
    """
    z = np.asarray(logits, dtype=np.float64)[None, :]
    return softmax_cross_entropy(z, log10_scale, np.zeros(1, dtype=np.intp))[1][0]

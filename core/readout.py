"""The loss at initialization as a function of the readout scale ("confidently wrong").

The readout is logits = readout_scale * mean_positions(x_L) @ W_out, so the logits are
linear in the scale: one forward pass at scale 1 gives them at every scale, and with
them the softmax cross-entropy. A network that knows nothing should predict every class
with probability 1 / classes, a loss of log(classes) (3.2958 for 27 classes). Large
logits make the softmax confident, and at init it is confidently *wrong*: the loss
grows like the gap between the largest logit and the true class's, ~ scale x std.

>>> from core import NetworkSpec, simulate
>>> spec = NetworkSpec(depth=3, width=32, batch=64)
>>> sweep = readout_sweep(spec, [0.001, 1.0, 100.0])
>>> round(float(sweep.loss[0]), 3)                     # tiny logits: log(27)
3.296
>>> bool(abs(sweep.loss[1] - simulate(spec).loss) < 1e-9)   # a full run at scale 1
True
>>> bool(sweep.loss[2] > 20)                           # confidently wrong
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .propagate import BIG, Params, forward_backward, make_params
from .spec import NetworkSpec

# The sweep the app draws: 5 points a decade from 0.001 to 100, exact powers of ten included.
SWEEP_SCALES = tuple(10.0 ** (k / 5) for k in range(-15, 11))


@dataclass(frozen=True)
class ReadoutSweep:
    scales: np.ndarray            # readout scales, as given
    loss: np.ndarray              # mean cross-entropy at each scale (inf past float64)
    log10_loss: np.ndarray        # exact at any size
    loss_uniform: float           # log(classes)
    classes: int
    labels: np.ndarray            # (batch,)
    logits: np.ndarray            # (batch, classes) stored logits at scale 1 (float64)
    logits_log10_scale: float     # true logits at scale s = s * logits * 10**this

    def probs(self, example: int, scale: float) -> np.ndarray:
        """Softmax probabilities of one example at a readout scale."""
        return softmax(self.logits[example], self.logits_log10_scale + math.log10(scale))

    def first_scale_above(self, loss: float) -> float | None:
        """The smallest swept scale whose loss reaches `loss` (None if none does)."""
        hits = [s for s, v in zip(self.scales, self.loss) if v >= loss]
        return float(min(hits)) if hits else None

    def example_loss(self, example: int, scale: float) -> float:
        """-log p(true class) of one example, exact however large the logits."""
        log10_loss = cross_entropy(self.logits[example:example + 1],
                                   self.logits_log10_scale + math.log10(scale),
                                   self.labels[example:example + 1])
        return 10.0**log10_loss if not log10_loss >= 308.25 else math.inf


def base_logits(spec: NetworkSpec, params: Params | None = None) -> tuple[np.ndarray, float]:
    """(stored, log10 scale) of the logits at readout scale 1; true = stored * 10**scale."""
    params = make_params(spec) if params is None else params
    out = forward_backward(spec.replace(readout_scale=1.0), params)
    return np.asarray(out.logits, dtype=np.float64), float(out.logits_scale)


def cross_entropy(logits: np.ndarray, log10_scale: float, labels: np.ndarray) -> float:
    """log10 of the mean softmax cross-entropy of true logits = logits * 10**log10_scale.

    >>> import numpy as np
    >>> round(10 ** cross_entropy(np.zeros((2, 27)), 0.0, np.array([0, 5])), 4)   # log 27
    3.2958
    >>> round(cross_entropy(np.array([[1.0, -1.0]]), 500.0, np.array([1])), 6)   # gap 2e500
    500.30103
    """
    z = np.asarray(logits, dtype=np.float64)
    rows = np.arange(z.shape[0])
    peak = float(np.max(np.abs(z))) if z.size else 0.0
    if peak == 0 or log10_scale + math.log10(peak) <= BIG:
        zt = z * 10.0**log10_scale
        shifted = zt - zt.max(axis=1, keepdims=True)
        per_example = np.log(np.exp(shifted).sum(axis=1)) - shifted[rows, labels]
        loss = float(np.mean(per_example))
        if math.isnan(loss):                     # inf/NaN logits of an overflowed run
            return math.nan
        return math.log10(loss) if loss > 0 else -math.inf
    # Beyond 1e290 the softmax is one-hot on the largest logit: the loss is the gap to it.
    gap = float(np.mean(z.max(axis=1) - z[rows, labels]))
    if math.isnan(gap):
        return math.nan
    return math.log10(gap) + log10_scale if gap > 0 else -math.inf


def softmax(logits: np.ndarray, log10_scale: float) -> np.ndarray:
    """Softmax of one example's true logits = logits * 10**log10_scale.

    >>> import numpy as np
    >>> softmax(np.array([0.0, 0.0]), 0.0).tolist()
    [0.5, 0.5]
    >>> softmax(np.array([1.0, 2.0]), 400.0).tolist()      # beyond float64: one-hot
    [0.0, 1.0]
    """
    z = np.asarray(logits, dtype=np.float64)
    peak = float(np.max(np.abs(z))) if z.size else 0.0
    if peak == 0 or log10_scale + math.log10(peak) <= BIG:
        zt = z * 10.0**log10_scale
        e = np.exp(zt - zt.max())
        return e / e.sum()
    top = z == z.max()
    return top / top.sum()


def readout_sweep(spec: NetworkSpec, scales, params: Params | None = None) -> ReadoutSweep:
    """The initial loss at every readout scale in `scales`, from one forward pass."""
    params = make_params(spec) if params is None else params
    logits, log10_scale = base_logits(spec, params)
    scales = np.asarray(scales, dtype=np.float64)
    log10_loss = np.array([cross_entropy(logits, log10_scale + math.log10(s), params.labels)
                           for s in scales])
    loss = np.array([10.0**v if not v >= 308.25 else math.inf for v in log10_loss])
    return ReadoutSweep(scales, loss, log10_loss, math.log(spec.classes), spec.classes,
                        np.asarray(params.labels), logits, log10_scale)

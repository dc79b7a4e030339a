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

from ..loss import cross_entropy, softmax
from ..propagate import Params, forward_backward, make_params
from ..scaled import unscale
from ..spec import NetworkSpec

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

    @property
    def defined(self) -> bool:
        """False when the forward pass overflowed (float32/16): no logits, no loss."""
        return bool(np.isfinite(self.logits).all())

    def probs(self, example: int, scale: float) -> np.ndarray:
        """Softmax probabilities of one example at a readout scale."""
        return softmax(self.logits[example], self.logits_log10_scale + math.log10(scale))

    def first_scale_above(self, loss: float) -> float | None:
        """The smallest swept scale whose loss reaches `loss` (None if none does)."""
        hits = [s for s, v in zip(self.scales, self.loss) if v >= loss]
        return float(min(hits)) if hits else None

    def example_log10_loss(self, example: int, scale: float) -> float:
        """log10 of -log p(true class) of one example, exact however large the logits."""
        return cross_entropy(self.logits[example:example + 1],
                             self.logits_log10_scale + math.log10(scale),
                             self.labels[example:example + 1])

    def example_loss(self, example: int, scale: float) -> float:
        """-log p(true class) of one example (inf past float64's range)."""
        return unscale(self.example_log10_loss(example, scale))


def base_logits(spec: NetworkSpec, params: Params | None = None) -> tuple[np.ndarray, float]:
    """(stored, log10 scale) of the logits at readout scale 1; true = stored * 10**scale."""
    params = make_params(spec) if params is None else params
    out = forward_backward(spec.replace(readout_scale=1.0), params)
    return np.asarray(out.logits, dtype=np.float64), float(out.logits_scale)


def readout_sweep(spec: NetworkSpec, scales, params: Params | None = None) -> ReadoutSweep:
    """The initial loss at every readout scale in `scales`, from one forward pass."""
    params = make_params(spec) if params is None else params
    logits, log10_scale = base_logits(spec, params)
    scales = np.asarray(scales, dtype=np.float64)
    log10_loss = np.array([cross_entropy(logits, log10_scale + math.log10(s), params.labels)
                           for s in scales])
    loss = np.array([unscale(v) for v in log10_loss])
    return ReadoutSweep(scales, loss, log10_loss, math.log(spec.classes), spec.classes,
                        np.asarray(params.labels), logits, log10_scale)

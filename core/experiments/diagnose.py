"""Verdicts a student can read: is a per-layer curve exploding, vanishing or stable?

>>> import numpy as np
>>> v = trend(np.arange(10) * 2.0)          # log10 variance rising 2 decades a layer
>>> v.kind, round(v.factor_per_layer)
('exploding', 100)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

STABLE_DECADES = 1.0     # within one decade end to end, the signal is "stable"


@dataclass(frozen=True)
class Trend:
    kind: str                 # "exploding", "vanishing", "stable", "zero", "overflow"
    factor_per_layer: float   # geometric mean of the layer-to-layer ratio
    decades: float            # log10 change from the first layer to the last


def trend(log10_values: np.ndarray, overflow_layer: int | None = None) -> Trend:
    """Classify a per-layer log10 curve by its change from the first layer to the last."""
    vals = np.asarray(log10_values, dtype=float)
    if overflow_layer is not None:
        return Trend("overflow", math.nan, math.nan)
    if np.isneginf(vals[-1]):
        return Trend("zero", 0.0, -math.inf)
    if not np.isfinite(vals).all():
        return Trend("overflow", math.nan, math.nan)
    decades = float(vals[-1] - vals[0])
    steps = max(len(vals) - 1, 1)
    factor = 10.0 ** (decades / steps)
    if abs(decades) <= STABLE_DECADES:
        return Trend("stable", factor, decades)
    return Trend("exploding" if decades > 0 else "vanishing", factor, decades)


def backward_trend(log10_grad_var: np.ndarray, overflow_layer: int | None = None) -> Trend:
    """The verdict for gradients, which travel from the last layer back to the first:
    "vanishing" when they are smaller at layer 1 than at the last layer.

    >>> v = backward_trend(np.array([-8.0, -6.0, -4.0]))     # layer 1 is 1e-4 of the last
    >>> v.kind, v.decades
    ('vanishing', -4.0)
    """
    return trend(np.asarray(log10_grad_var, dtype=float)[::-1], overflow_layer)

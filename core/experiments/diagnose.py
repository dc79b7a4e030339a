"""Verdicts a student can read: is a per-layer curve exploding, vanishing or stable?

A verdict must be true of the network, not of one draw of its weights. At finite width
each layer multiplies the variance by a slightly random factor, so two seeds of the same
network end a few tenths of a decade apart, more when the network is deep and narrow
(about sqrt(depth / width) decades for ReLU). A change counts as a trend only when it
clears `DRIFT_DECADES` and three times that seed-to-seed spread, which `seed_spread`
estimates from the curve's own layer-to-layer jitter.

>>> import numpy as np
>>> v = trend(np.arange(10) * 2.0)          # log10 variance rising 2 decades a layer
>>> v.kind, round(v.factor_per_layer), v.severe
('exploding', 100, True)
>>> trend(np.linspace(0.0, -1.5, 10)).kind  # 1.5 decades over 10 layers: a drift
'stable'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

STABLE_DECADES = 1.0     # within a factor of ten end to end: stable, said plainly
DRIFT_DECADES = 2.0      # up to a factor of 100: a drift, not yet a trend
SEED_SIGMAS = 3.0        # a trend must also clear three seed-to-seed standard deviations
SEVERE_DECADES = 3.0     # a factor of 1000: the first layers barely learn, or are wrecked
SATURATED_SHARE = 0.2    # a fifth of the last layer's values saturated: a problem
DEAD_SHARE = 0.05        # one unit in twenty dead: a problem
_MAD_TO_SD = 1.0 / 0.6745    # a normal's standard deviation from its median |deviation|


@dataclass(frozen=True)
class Trend:
    kind: str                 # "exploding", "vanishing", "stable", "zero", "overflow", "underflow"
    factor_per_layer: float   # geometric mean of the layer-to-layer ratio
    decades: float            # log10 change from the first layer to the last
    tolerance: float = DRIFT_DECADES    # a change within it is no trend

    @property
    def severe(self) -> bool:
        return abs(self.decades) >= SEVERE_DECADES

    @property
    def within_ten(self) -> bool:
        return abs(self.decades) <= STABLE_DECADES


def seed_spread(log10_values: np.ndarray) -> float:
    """How far another seed's end-to-end change could plausibly land from this one's
    (one standard deviation, in decades).

    The layer-to-layer steps d_l are a smooth trend plus independent jitter of standard
    deviation s; second differences cancel the trend and keep 2 s^2 of variance, and a
    median makes one transient layer (the first after the input, say) harmless. Summed
    over the steps the jitter grows like s * sqrt(steps). For a curve that settles (a
    normalized network) the jitter does not add up, so this errs on the large side.

    >>> steps = 0.5 + np.random.default_rng(1).normal(0.0, 0.1, 400)   # jitter 0.1
    >>> round(seed_spread(np.concatenate([[0.0], np.cumsum(steps)])), 1)   # 0.1 * sqrt(400)
    2.0
    """
    v = np.asarray(log10_values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < 4:
        return 0.0
    steps = np.diff(v)
    jitter = float(np.median(np.abs(np.diff(steps)))) * _MAD_TO_SD / math.sqrt(2)
    return jitter * math.sqrt(len(steps))


def trend(log10_values: np.ndarray, overflow_layer: int | None = None,
          underflow_layer: int | None = None) -> Trend:
    """Classify a per-layer log10 curve by its change from the first layer to the last.

    Exact zeros (-inf) in the middle are layers a skip path went around; they do not
    decide the verdict. A curve that ends at exactly zero is "zero" (every unit off), or
    "underflow" when `underflow_layer` says float32/16 rounded a live signal away.

    >>> trend(np.array([0.0, -np.inf, 0.3])).kind            # a dead layer, bypassed
    'stable'
    >>> trend(np.array([0.0, -2.0, -np.inf]), underflow_layer=2).kind
    'underflow'
    """
    vals = np.asarray(log10_values, dtype=float)
    if overflow_layer is not None or np.isnan(vals).any() or np.isposinf(vals).any():
        return Trend("overflow", math.nan, math.nan)
    if np.isneginf(vals[-1]):
        return Trend("underflow" if underflow_layer is not None else "zero", 0.0, -math.inf)
    finite = np.flatnonzero(np.isfinite(vals))
    start = int(finite[0])
    decades = float(vals[-1] - vals[start])
    factor = 10.0 ** (decades / max(len(vals) - 1 - start, 1))
    tolerance = max(DRIFT_DECADES, SEED_SIGMAS * seed_spread(vals))
    if abs(decades) <= tolerance:
        return Trend("stable", factor, decades, tolerance)
    return Trend("exploding" if decades > 0 else "vanishing", factor, decades, tolerance)


def backward_trend(log10_grad_var: np.ndarray, overflow_layer: int | None = None,
                   underflow_layer: int | None = None) -> Trend:
    """The verdict for gradients, which travel from the last layer back to the first:
    "vanishing" when they are smaller at layer 1 than at the last layer.

    >>> v = backward_trend(np.array([-8.0, -6.0, -4.0]))     # layer 1 is 1e-4 of the last
    >>> v.kind, v.decades
    ('vanishing', -4.0)
    """
    return trend(np.asarray(log10_grad_var, dtype=float)[::-1], overflow_layer,
                 underflow_layer)


@dataclass(frozen=True)
class Diagnosis:
    """Everything the pages judge about one network, so that they judge it alike."""
    forward: Trend          # pre-activation variance, layer 1 to the last
    backward: Trend         # gradient variance, the last layer back to layer 1
    saturated: float        # bounded activations: share of the last valid layer saturated
    dead: float             # share of dead units (off or saturated on every example), mean
    bounded: bool
    saturation_threshold: float   # |value| past which `saturated` counts a value

    @property
    def problems(self) -> tuple[str, ...]:
        """Names of what is wrong, each shown best on its own page."""
        found = []
        if self.forward.kind in ("exploding", "vanishing", "overflow", "underflow"):
            found.append(self.forward.kind)
        if self.bounded and self.saturated > SATURATED_SHARE:
            found.append("saturated")
        if self.dead > DEAD_SHARE:
            found.append("dead")
        if self.backward.kind in ("exploding", "vanishing"):
            found.append("gradients_" + self.backward.kind)
        return tuple(found)


def diagnose(res) -> Diagnosis:
    """The Diagnosis of a simulate Result or a profile (same field names).

    >>> from core.spec import NetworkSpec
    >>> from core.simulate import simulate
    >>> d = diagnose(simulate(NetworkSpec(activation="tanh", depth=20, weight_var=1.0)))
    >>> d.forward.kind, d.problems
    ('stable', ('saturated', 'gradients_exploding'))
    """
    valid = len(res.log10_act_var) if res.overflow_layer is None else res.overflow_layer
    act = res.activation
    saturated = float(res.saturated_frac[valid - 1]) if valid else math.nan
    return Diagnosis(
        trend(res.log10_preact_var, res.overflow_layer, res.underflow_layer),
        backward_trend(res.log10_grad_var, res.overflow_layer, res.grad_underflow_layer),
        saturated, float(np.mean(res.dead_frac[:valid])) if valid else math.nan,
        act.bounded is not None, res.spec.saturation_threshold)

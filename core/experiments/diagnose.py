"""Verdicts a student can read: is a per-layer curve stable, drifting, exploding or
vanishing?

The word is monotone in the change it judges, counted in powers of ten between the
first and the last layer the chart draws (`Trend.layers`; the input before layer 1 is
not on the chart, so it is not counted): within a factor of ten (`STABLE_DECADES`) the
curve is stable; a larger change is a drift until it clears `DRIFT_DECADES`, and past
that it explodes or vanishes.

A verdict must also be true of the network, not of one draw of its weights. At finite
width each layer multiplies the variance by a slightly random factor, so two seeds of
the same network end a few tenths of a decade apart, more when the network is deep and
narrow (about sqrt(depth / width) decades for ReLU). So a change counts as a trend only
when it also clears three times that seed-to-seed spread, which `seed_spread` estimates
from the curve's own layer-to-layer jitter; such a drift states the spread
(`Trend.spread_matters`). Past `SEVERE_DECADES` a change is a trend whatever the spread:
one end of the network then gets a thousand times the signal of the other in this draw,
and a curve that jumps by decades from layer to layer (a gradient that is only rounding
error) has no spread worth the name.

>>> import numpy as np
>>> v = trend(np.arange(10) * 2.0)          # log10 variance rising 2 decades a layer
>>> v.kind, round(v.factor_per_layer), v.severe, v.layers
('exploding', 100, True, (1, 10))
>>> trend(np.linspace(0.0, -1.5, 10)).kind  # 1.5 decades over 10 layers: a drift
'drifting'
>>> trend(np.linspace(0.0, -0.8, 10)).kind  # within a factor of ten
'stable'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..activations import gradient_left

STABLE_DECADES = 1.0     # within a factor of ten end to end: stable
DRIFT_DECADES = 2.0      # up to a factor of 100: a drift, not yet a trend
SEED_SIGMAS = 3.0        # a trend must also clear three seed-to-seed standard deviations
SEVERE_DECADES = 3.0     # a factor of 1000: the first layers barely learn, or are wrecked
SATURATED_SHARE = 0.2    # a fifth of the last layer's values saturated: a problem
DEAD_SHARE = 0.05        # one unit in twenty dead: a problem
_MAD_TO_SD = 1.0 / 0.6745    # a normal's standard deviation from its median |deviation|


@dataclass(frozen=True)
class Trend:
    # "stable", "drifting", "exploding", "vanishing"; or "zero", "overflow", "underflow"
    kind: str
    factor_per_layer: float   # geometric mean of the layer-to-layer ratio
    decades: float            # log10 change from layers[0] to layers[1]
    tolerance: float = DRIFT_DECADES    # a change within it is no trend
    layers: tuple[int, int] = (1, 1)    # the layers compared (from 1), in the direction of travel
    ends: tuple[float, float] = (math.nan, math.nan)   # their log10 values

    @property
    def severe(self) -> bool:
        return abs(self.decades) >= SEVERE_DECADES

    @property
    def spread_matters(self) -> bool:
        """The seed spread widened the drift band, and another draw (up to `tolerance`
        away) could carry the change across the stable band's edge: the word is as much
        the draw's as the network's, and says so.

        >>> Trend("stable", 1.0, 0.5, 2.4).spread_matters      # 0.5 +- 2.4 crosses 1
        True
        >>> Trend("vanishing", 1.0, -30.0, 3.0).spread_matters  # -30 +- 3 stays a trend
        False
        """
        return (self.tolerance > DRIFT_DECADES
                and abs(self.decades) - self.tolerance < STABLE_DECADES)


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
    last = len(vals)
    if overflow_layer is not None or np.isnan(vals).any() or np.isposinf(vals).any():
        return Trend("overflow", math.nan, math.nan, layers=(1, last))
    if np.isneginf(vals[-1]):
        return Trend("underflow" if underflow_layer is not None else "zero", 0.0, -math.inf,
                     layers=(1, last))
    start = int(np.flatnonzero(np.isfinite(vals))[0])
    decades = float(vals[-1] - vals[start])
    factor = 10.0 ** (decades / max(last - 1 - start, 1))
    tolerance = min(max(DRIFT_DECADES, SEED_SIGMAS * seed_spread(vals)), SEVERE_DECADES)
    kind = ("stable" if abs(decades) <= STABLE_DECADES else
            "drifting" if abs(decades) <= tolerance else
            "exploding" if decades > 0 else "vanishing")
    return Trend(kind, factor, decades, tolerance, (start + 1, last),
                 (float(vals[start]), float(vals[-1])))


def backward_trend(log10_grad_var: np.ndarray, overflow_layer: int | None = None,
                   underflow_layer: int | None = None) -> Trend:
    """The verdict for gradients, which travel from the last layer back to the first:
    "vanishing" when they are smaller at layer 1 than at the last layer.

    >>> v = backward_trend(np.array([-8.0, -6.0, -4.0]))     # layer 1 is 1e-4 of the last
    >>> v.kind, v.decades, v.layers
    ('vanishing', -4.0, (3, 1))
    """
    back = trend(np.asarray(log10_grad_var, dtype=float)[::-1], overflow_layer,
                 underflow_layer)
    depth = len(log10_grad_var)
    return replace(back, layers=(depth + 1 - back.layers[0], depth + 1 - back.layers[1]))


@dataclass(frozen=True)
class Diagnosis:
    """Everything the pages judge about one network, so that they judge it alike."""
    forward: Trend          # pre-activation variance, layer 1 to the last
    backward: Trend         # gradient variance, the last layer back to layer 1
    saturated: float        # bounded activations: share of the last valid layer saturated
    dead: float             # share of dead units (off or saturated on every example), mean
    bounded: bool
    saturation_threshold: float   # |value| past which `saturated` counts a value
    # phi' at the threshold as a share of phi' at the centre (bounded activations): what a
    # saturated unit passes back of the gradient that reaches it, at most
    passes: float = math.nan
    flat_word: str | None = None   # what a unit on the flat part is (Activation.flat_word)

    @property
    def saturating(self) -> bool:
        """Saturated enough to be a problem (bounded activations only)."""
        return self.bounded and self.saturated > SATURATED_SHARE

    @property
    def saturated_yet_growing(self) -> bool:
        """Both at once: each saturated unit passes back a few percent of its gradient,
        yet the weights that saturate it are so large that the product over the layers
        still grows on the way back (tanh with big weights: the chaotic phase)."""
        return self.saturating and self.backward.kind == "exploding"

    @property
    def problems(self) -> tuple[str, ...]:
        """Names of what is wrong, each shown best on its own page."""
        found = []
        if self.forward.kind in ("exploding", "vanishing", "overflow", "underflow"):
            found.append(self.forward.kind)
        if self.saturating:
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
    threshold = res.spec.saturation_threshold
    saturated = float(res.saturated_frac[valid - 1]) if valid else math.nan
    return Diagnosis(
        trend(res.log10_preact_var, res.overflow_layer, res.underflow_layer),
        backward_trend(res.log10_grad_var, res.overflow_layer, res.grad_underflow_layer),
        saturated, float(np.mean(res.dead_frac[:valid])) if valid else math.nan,
        act.bounded is not None, threshold,
        gradient_left(act, threshold) if act.bounded is not None else math.nan,
        act.flat_word)

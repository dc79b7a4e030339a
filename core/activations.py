"""Activation functions, their derivatives, and what each one means for a student.

Every activation is an `Activation` record: the function, its derivative, the gain
PyTorch's `torch.nn.init.calculate_gain` gives it, and its behaviour far from zero
(used to evaluate it exactly when the pre-activation is beyond float64's range).

>>> import numpy as np
>>> from core.activations import get
>>> tanh = get("tanh")
>>> float(tanh.fn(np.array(0.5)))            # doctest: +ELLIPSIS
0.46211715726...
>>> float(tanh.deriv(np.array(0.0)))         # the slope at zero
1.0
>>> round(tanh.gain, 4)                      # PyTorch's gain: 5/3
1.6667
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import normal

Array = np.ndarray

LEAKY_SLOPE = 0.01          # PyTorch's default negative_slope
ELU_ALPHA = 1.0
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


@dataclass(frozen=True)
class Activation:
    name: str
    fn: Callable[[Array], Array]
    deriv: Callable[[Array], Array]
    gain: float | None          # torch.nn.init.calculate_gain, None where PyTorch has none
    bounded: tuple[float, float] | None   # output range of a saturating activation
    # Behaviour as |h| -> infinity: phi(h) ~ slope * h + limit on each side.
    pos_slope: float
    neg_slope: float
    pos_limit: float
    neg_limit: float
    # phi' written in terms of phi's output, where that is possible (saves recomputing phi)
    deriv_from_output: Callable[[Array], Array] | None = None
    # ln phi'(h) from the input, without cancellation or underflow: for where phi' from
    # the output has cancelled (bounded activations near their limits)
    log_deriv: Callable[[Array], Array] | None = None
    # (phi(h), phi'(h)) together where they share a costly part (gelu: Phi and pdf), for
    # a forward pass that will backpropagate
    with_slope: Callable[[Array], tuple[Array, Array]] | None = None

    @property
    def homogeneous(self) -> bool:
        """phi(c h) = c phi(h) for c > 0, so it commutes with any rescaling."""
        return self.name in ("linear", "relu", "leaky_relu")

    @property
    def identity(self) -> bool:
        """phi(h) = h: phi' = 1 everywhere."""
        return self.name == "linear"

    @property
    def exact_zero_side(self) -> bool:
        """phi(h) = 0 exactly for every h <= 0 (relu alone: the others only near zero)."""
        return self.name == "relu"

    @property
    def relu_like(self) -> bool:
        """Unbounded above with an 'off' side below zero, where units can die."""
        return self.bounded is None and not self.identity

    @property
    def flat_word(self) -> str | None:
        """What a value on the activation's flat part is called, on every page: a bounded
        activation flattens at both ends and its values there are "saturated"; a relu-like
        one is flat below zero, where its units are "off" (and, off for every example,
        dead); a linear one has no flat part (None).

        >>> get("tanh").flat_word, get("gelu").flat_word, get("linear").flat_word
        ('saturated', 'off', None)
        """
        if self.bounded is not None:
            return "saturated"
        return "off" if self.relu_like else None

    def flat_rule(self, threshold: float) -> str | None:
        """Where a value counts as `flat_word`, in the words the pages print beside a share:
        past `threshold` on the [-1, 1] scale (bounded), or an input <= 0 (relu-like).

        >>> get("sigmoid").flat_rule(0.97), get("relu").flat_rule(0.97)
        ('|value| > 0.97', 'input ≤ 0')
        """
        if self.bounded is not None:
            return f"|value| > {threshold:g}"
        return "input ≤ 0" if self.relu_like else None

    def to_level(self, a: Array) -> Array:
        """This output mapped onto [-1, 1], its level: saturation is |level| -> 1."""
        lo, hi = self.bounded
        if (lo, hi) == (-1.0, 1.0):
            return a
        return (2.0 * a - (lo + hi)) / (hi - lo)


def _sigmoid_sides(h):
    """(h >= 0, the side of s(h) nearer 1, the side nearer 0), both to full relative
    precision: e = exp(-|h|) never overflows, and neither side is a difference of
    nearly equal numbers."""
    h = np.asarray(h)
    e = np.exp(-np.abs(h))
    near = 1.0 / (1.0 + e)
    return h >= 0, near, e * near            # e / (1 + e)


def _sigmoid_parts(h):
    """(s(h), 1 - s(h)), both to full relative precision."""
    pos, near, far = _sigmoid_sides(h)
    return np.where(pos, near, far), np.where(pos, far, near)


def _sigmoid(h):
    pos, near, far = _sigmoid_sides(h)
    return np.where(pos, near, far)


def _sigmoid_d(h):
    e = np.exp(-np.abs(np.asarray(h)))     # s (1 - s) = e / (1 + e)^2, no cancellation
    r = 1.0 / (1.0 + e)
    return e * r * r


def _tanh_d(h):
    # sech^2 h = 4 e / (1 + e)^2 with e = exp(-2|h|): 1 - tanh^2 cancels to 0 past |h| ~ 19
    e = np.exp(-2.0 * np.abs(np.asarray(h)))
    r = 2.0 / (1.0 + e)
    return e * r * r


def _log1p_exp_neg(a):
    return np.log1p(np.exp(-a))


def _tanh_log_d(h):
    """ln sech^2 h = ln 4 - 2|h| - 2 ln(1 + e^-2|h|): finite wherever |h| is."""
    a = 2.0 * np.abs(h)
    return math.log(4.0) - a - 2.0 * _log1p_exp_neg(a)


def _sigmoid_log_d(h):
    """ln s'(h) = -|h| - 2 ln(1 + e^-|h|)."""
    a = np.abs(h)
    return -a - 2.0 * _log1p_exp_neg(a)


def _gelu(h):
    return h * normal.cdf(h)       # Phi to a few ulps, its left tail too


def _gelu_d(h):
    return _gelu_with_slope(h)[1]


def _gelu_with_slope(h):
    """(gelu(h), gelu'(h)) = (h Phi(h), Phi(h) + h pdf(h)) from one evaluation of Phi and pdf.

    >>> h = np.array([-3.0, 0.0, 0.5]); a, d = _gelu_with_slope(h)
    >>> bool((a == _gelu(h)).all()), float(d[1]), round(float(d[2]), 12)   # Phi(.5) + pdf(.5) / 2
    (True, 0.5, 0.867495124656)
    """
    cdf, pdf = normal.cdf_pdf(h)
    return h * cdf, cdf + h * pdf


def _silu(h):
    return h * _sigmoid(h)


def _silu_d(h):
    s, rest = _sigmoid_parts(h)             # 1 - s without cancellation
    return s * (1.0 + h * rest)


def _elu(h, alpha=ELU_ALPHA):
    return np.where(h > 0, h, alpha * np.expm1(np.minimum(h, 0)))


def _elu_d(h, alpha=ELU_ALPHA):
    return np.where(h > 0, 1.0, alpha * np.exp(np.minimum(h, 0))).astype(h.dtype, copy=False)


def _one(h):
    return np.ones_like(h)


def _step(h):
    return (h > 0).astype(h.dtype)


def _leaky_d(h):
    # relu-like: the output has the input's sign, so this also serves as a function of it
    return np.where(h > 0, 1.0, LEAKY_SLOPE).astype(h.dtype, copy=False)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("linear", lambda h: h, _one, 1.0, None, 1.0, 1.0, 0.0, 0.0, _one),
        Activation("tanh", np.tanh, _tanh_d, 5.0 / 3.0, (-1.0, 1.0), 0.0, 0.0, 1.0, -1.0,
                   lambda a: 1.0 - a * a, _tanh_log_d),
        Activation("sigmoid", _sigmoid, _sigmoid_d, 1.0, (0.0, 1.0), 0.0, 0.0, 1.0, 0.0,
                   lambda a: a * (1.0 - a), _sigmoid_log_d),
        Activation("relu", lambda h: np.maximum(h, 0), _step,
                   math.sqrt(2.0), None, 1.0, 0.0, 0.0, 0.0, _step),
        Activation("leaky_relu", lambda h: np.where(h > 0, h, LEAKY_SLOPE * h), _leaky_d,
                   math.sqrt(2.0 / (1.0 + LEAKY_SLOPE**2)), None, 1.0, LEAKY_SLOPE, 0.0, 0.0,
                   _leaky_d),
        Activation("gelu", _gelu, _gelu_d, None, None, 1.0, 0.0, 0.0, 0.0,
                   with_slope=_gelu_with_slope),
        Activation("silu", _silu, _silu_d, None, None, 1.0, 0.0, 0.0, 0.0),
        Activation("elu", _elu, _elu_d, None, None, 1.0, 0.0, 0.0, -ELU_ALPHA),
        Activation("selu", lambda h: SELU_SCALE * _elu(h, SELU_ALPHA),
                   lambda h: SELU_SCALE * _elu_d(h, SELU_ALPHA),
                   0.75, None, SELU_SCALE, 0.0, 0.0, -SELU_SCALE * SELU_ALPHA),
    )
}


def get(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"activation={name!r} is not one of {sorted(ACTIVATIONS)}") from None


def calculate_gain(name: str, param: float | None = None) -> float:
    """PyTorch's `calculate_gain`; activations PyTorch does not list get gain 1."""
    if name == "leaky_relu" and param is not None:
        return math.sqrt(2.0 / (1.0 + param**2))
    gain = get(name).gain
    return 1.0 if gain is None else gain


# -- the local gradient phi' against the activation's output, for the histogram pages ------

def local_gradient(act: Activation, output: Array) -> Array:
    """phi' at the input that produced `output`, for a bounded activation (where the
    output alone fixes it): 1 - t^2 for tanh, s (1 - s) for sigmoid.

    >>> local_gradient(get("tanh"), np.array([0.0, 0.97, -1.0])).round(4).tolist()
    [1.0, 0.0591, 0.0]
    >>> local_gradient(get("sigmoid"), np.array([0.5, 0.99])).round(4).tolist()
    [0.25, 0.0099]
    """
    if act.bounded is None:
        raise ValueError(f"{act.name} is unbounded: use local_gradient_curve, which "
                         f"walks its input instead")
    lo, hi = act.bounded
    return act.deriv_from_output(np.clip(np.asarray(output, dtype=np.float64), lo, hi))


def gradient_left(act: Activation, threshold: float) -> float:
    """The share of its largest local gradient a bounded activation still passes where
    it crosses the saturation threshold (|value| = threshold on the [-1, 1] scale):
    1 - t^2 for tanh and for sigmoid alike.

    >>> round(gradient_left(get("tanh"), 0.97), 4), round(gradient_left(get("sigmoid"), 0.97), 4)
    (0.0591, 0.0591)
    """
    lo, hi = act.bounded
    at = lo + (hi - lo) * (1.0 + threshold) / 2.0
    return float(local_gradient(act, np.array(at)) / local_gradient(act, np.array((lo + hi) / 2)))


def local_gradient_curve(act: Activation, lo: float, hi: float, log10_scale: float = 0.0,
                         n: int = 161) -> tuple[Array, Array]:
    """(output, phi') pairs to draw the local gradient over a histogram's value axis.

    The axis shows outputs from `lo` to `hi` in units of 10**log10_scale (a layer's rms
    for unbounded activations; 0 for bounded ones, whose axis is in true units).
    Bounded: phi' as a function of the output, on an even grid. Unbounded: the input h
    is walked and each point is (phi(h) / 10**scale, phi'(h)), so every point is exact;
    where two inputs give one output (gelu and silu below zero) the curve folds back on
    itself, and for relu the whole off side h <= 0 lands on (0, 0). Points may fall
    outside [lo, hi]: the chart's fixed axis range clips them.

    >>> x, g = local_gradient_curve(get("relu"), -4, 4)
    >>> sorted(set(g.tolist()))
    [0.0, 1.0]
    >>> float(x[g == 0].max()), float(x.max())
    (0.0, 4.0)
    """
    if act.bounded is not None:
        x = np.linspace(lo, hi, n)
        return x, local_gradient(act, x)
    # Beyond |scale| ~ 150 the curve no longer changes on screen; clamping keeps h^2 finite.
    unit = 10.0 ** min(max(float(log10_scale), -150.0), 150.0)
    reach = max(abs(lo), abs(hi), 1e-12) * unit
    neg_reach = abs(min(lo, 0.0)) * unit
    if act.neg_slope > 0:                      # leaky: the output creeps down at that slope
        neg_reach /= act.neg_slope
    top = max(hi, 0.0) * unit / act.pos_slope
    reached = float(act.fn(np.array(top))) if top > 0 else 0.0
    if 0 < reached < top * act.pos_slope:     # gelu, silu near zero: slope 1/2, not 1
        top *= min(top * act.pos_slope / reached, 100.0)
    pos = np.linspace(0.0, top, n)[1:]

    def walk(deep):
        h = np.concatenate([-np.geomspace(deep, 1e-4 * reach, n), [0.0], pos])
        with np.errstate(over="ignore", under="ignore"):
            return h, act.deriv(h)

    # Far enough for exp(h) to vanish (elu, selu) and to reach the axis' left end.
    h, g = walk(max(neg_reach, 30.0))
    if g.min() < 0:
        # Not monotone (gelu, silu): inputs far below any this layer sees would add a
        # second branch near zero output; walk only to ten times the axis' reach.
        h, g = walk(10.0 * reach)
    span = hi - lo
    return np.clip(act.fn(h) / unit, lo - span, hi + span), g

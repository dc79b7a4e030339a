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

Array = np.ndarray

LEAKY_SLOPE = 0.01          # PyTorch's default negative_slope
ELU_ALPHA = 1.0
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


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

    @property
    def homogeneous(self) -> bool:
        """phi(c h) = c phi(h) for c > 0, so it commutes with any rescaling."""
        return self.name in ("linear", "relu", "leaky_relu")

    @property
    def relu_like(self) -> bool:
        """Unbounded above with an 'off' side below zero, where units can die."""
        return self.bounded is None and self.name != "linear"

    def to_unit(self, a: Array) -> Array:
        """Map a bounded activation's output onto [-1, 1], where saturation is |u| -> 1."""
        lo, hi = self.bounded
        if (lo, hi) == (-1.0, 1.0):
            return a
        return (2.0 * a - (lo + hi)) / (hi - lo)


def _sigmoid(h):
    # tanh form: no overflow warning for large |h|, unlike 1 / (1 + exp(-h)).
    return 0.5 * (1.0 + np.tanh(0.5 * h))


def _sigmoid_d(h):
    s = _sigmoid(h)
    return s * (1.0 - s)


def _tanh_d(h):
    t = np.tanh(h)
    return 1.0 - t * t


def _erf(x):
    """erf to ~1e-14, vectorised (NumPy has none): a positive-term series near zero,
    the continued fraction for erfc in the tails."""
    x = np.asarray(x, dtype=np.float64)
    ax = np.abs(x)
    out = np.empty_like(ax)
    # erf(z) = 2/sqrt(pi) e^-z^2 sum_n (2 z^2)^n z / (2n+1)!!: all terms positive, so no
    # cancellation; fewer terms suffice for small z, which is where most inputs are.
    for lo, hi, terms in ((0.0, 1.5, 26), (1.5, 3.0, 42)):
        sel = (ax >= lo) & (ax < hi)
        z = ax[sel]
        z2 = z * z
        acc = np.ones_like(z)
        for n in range(terms - 1, -1, -1):            # Horner, in place
            acc *= z2
            acc *= 2.0 / (2 * n + 3)
            acc += 1.0
        out[sel] = (2.0 / math.sqrt(math.pi)) * np.exp(-z2) * z * acc
    tail = ax >= 3.0
    z = ax[tail]
    frac = z.copy()
    for k in range(30, 0, -1):                # erfc(z) = e^-z^2 / sqrt(pi) / (z + 1/2 / (z + 1 / ...))
        frac = z + (0.5 * k) / frac
    out[tail] = 1.0 - np.exp(-z * z) / math.sqrt(math.pi) / frac
    return np.copysign(out, x)


def _norm_cdf(h):
    h = np.asarray(h)
    return (0.5 * (1.0 + _erf(h / _SQRT2))).astype(h.dtype, copy=False)


def _gelu(h):
    return h * _norm_cdf(h)


def _gelu_d(h):
    return _norm_cdf(h) + h * _INV_SQRT_2PI * np.exp(-0.5 * h * h)


def _silu(h):
    return h * _sigmoid(h)


def _silu_d(h):
    s = _sigmoid(h)
    return s * (1.0 + h * (1.0 - s))


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
                   lambda a: 1.0 - a * a),
        Activation("sigmoid", _sigmoid, _sigmoid_d, 1.0, (0.0, 1.0), 0.0, 0.0, 1.0, 0.0,
                   lambda a: a * (1.0 - a)),
        Activation("relu", lambda h: np.maximum(h, 0), _step,
                   math.sqrt(2.0), None, 1.0, 0.0, 0.0, 0.0, _step),
        Activation("leaky_relu", lambda h: np.where(h > 0, h, LEAKY_SLOPE * h), _leaky_d,
                   math.sqrt(2.0 / (1.0 + LEAKY_SLOPE**2)), None, 1.0, LEAKY_SLOPE, 0.0, 0.0,
                   _leaky_d),
        Activation("gelu", _gelu, _gelu_d, None, None, 1.0, 0.0, 0.0, 0.0),
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

"""Tensors with a log10 scale factor, so float64 runs never overflow or underflow.

A value is carried as (stored, log10_scale) with true = stored * 10**log10_scale.
Linear algebra acts on `stored`; whenever its root-mean-square drifts far from 1 the
factor is moved into the scale. A network whose variance reaches 1e450 is then still
exact: the stored numbers stay near 1 and the scale says 225 (the std is 1e225).

>>> import numpy as np
>>> stored, scale = renorm(np.array([3e40, -3e40]), 0.0)
>>> np.round(stored, 12).tolist(), round(scale, 6)
([1.0, -1.0], 40.477121)
"""

from __future__ import annotations

import math

import numpy as np

RENORM_LIMIT = 20.0      # renormalize when |log10 rms| exceeds this
LOG10_MAX = 308.25       # log10 of float64's largest number: 10**x is inf beyond it
BIG = 290.0              # beyond 10**BIG a non-homogeneous activation is taken by its asymptotes,
                         # and a softmax by its largest logit


def rms(x: np.ndarray) -> float:
    return math.sqrt(float(np.vdot(x, x).real) / x.size) if x.size else 0.0


def renorm(x: np.ndarray, scale: float, second_moment: float | None = None):
    """Move x's magnitude into the scale when it is far from 1 (in place when it does).

    Values whose squares under- or overflow (rms below ~1e-154 or above ~1e154) are
    measured after dividing by their largest magnitude, so they are renormalized too.

    >>> stored, scale = renorm(np.array([3e-200, -3e-200]), 0.0)
    >>> np.round(stored, 12).tolist(), round(scale, 6)
    ([1.0, -1.0], -199.522879)
    """
    ms = float(np.vdot(x, x).real) / x.size if second_moment is None else second_moment
    if not 1e-300 < ms < 1e300 and second_moment is None and x.size:
        peak = float(np.max(np.abs(x)))
        if not (peak > 0 and math.isfinite(peak)):
            return x, scale
        x /= peak
        log_rms = 0.5 * math.log10(float(np.vdot(x, x).real) / x.size)
        x *= 10.0 ** -log_rms
        return x, scale + math.log10(peak) + log_rms
    if not ms > 0 or not math.isfinite(ms):
        return x, scale
    log_rms = 0.5 * math.log10(ms)
    if abs(log_rms) <= RENORM_LIMIT:
        return x, scale
    x *= 10.0 ** -log_rms
    return x, scale + log_rms


def add_scaled(a: np.ndarray, scale_a: float, b: np.ndarray, scale_b: float):
    """a * 10**scale_a + b * 10**scale_b as (stored, scale); the smaller term may underflow,
    which is exact to float64's relative precision."""
    if scale_a == scale_b:
        return a + b, scale_a
    top = max(scale_a, scale_b)
    return a * 10.0 ** (scale_a - top) + b * 10.0 ** (scale_b - top), top


def true_units(stored: np.ndarray, scale: float) -> np.ndarray:
    """A tensor in true units (inf where the log10 scale passes float64's range; float32
    runs carry no scale).

    >>> true_units(np.array([2.0]), 3.0).tolist(), true_units(np.array([2.0]), 0.0).tolist()
    ([2000.0], [2.0])
    """
    return stored * 10.0**scale if scale else stored


def log10_var(var_stored: float, scale: float) -> float:
    """log10 of the true variance; -inf only when the variance is exactly zero."""
    if var_stored <= 0:
        return -math.inf
    return math.log10(var_stored) + 2.0 * scale


def unscale(log10_value: float) -> float:
    """10**x, or inf past float64's range (the log10 field stays exact); NaN stays NaN."""
    if math.isnan(log10_value):
        return math.nan
    return 10.0**log10_value if log10_value < LOG10_MAX else math.inf

"""Criticality: chi1, the edge of chaos, and the depth scales it sets.

chi1 = sigma_w2 * E_z[phi'(sqrt(q*) z)^2] (Poole et al. 2016) decides the phase: below 1
(ordered) nearby inputs converge and gradients vanish; above 1 (chaotic) they decorrelate
and gradients explode (Schoenholz et al. 2017, "Deep information propagation"). The
critical sigma_w2 is found first from tables (no quadrature) and then refined exactly.

>>> round(critical_sigma_w2("relu", 0.0), 6)        # He initialization: 2 / fan_in
2.0
>>> round(critical_sigma_w2("tanh", 0.05), 2)       # the tanh critical line at sigma_b^2 = 0.05
1.76
>>> round(critical_sigma_w2("gelu", 0.0), 2)        # the jump from q* = 0 to the runaway branch
2.16
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .. import activations
from .length_map import REL_TOL, _GRID, _gap, _gap_table, _root, _tail_gain, fixed_point
from .quadrature import _MID, _slope2, _slopes0, moments, slope0_squared


def chi1(activation: str, sigma_w2: float, sigma_b2: float, q: float | None = None,
         q0: float = 1.0) -> float:
    """sigma_w2 * E[phi'(sqrt(q) z)^2], at the attractor reached from q0 unless q is given:
    the slope of the correlation map at c = 1 (Poole et al. 2016, section 3) and the factor
    by which each layer multiplies the gradient's variance (Schoenholz et al. 2017, "Deep
    information propagation", section 4). At q = 0 a kink counts with both its sides (the
    q -> 0 limit).

    >>> round(chi1("selu", 1 / 3, 0.0), 4)           # (lambda^2 + (lambda alpha)^2) / 6
    0.6991
    """
    if q is None:
        q = fixed_point(activation, sigma_w2, sigma_b2, q0)
    log10_q = math.log10(q) if q > 0 else -math.inf
    return float(sigma_w2 * moments(activation, min(log10_q, 4 * _MID)).d2)


def critical_sigma_w2(activation: str, sigma_b2: float, q0: float = 1.0) -> float:
    """The smallest sigma_w2 where chi1 at the attractor reached from q0 reaches 1: the
    edge of chaos between order and chaos (Poole et al. 2016; Schoenholz et al. 2017), inf
    if chi1 stays below 1 up to sigma_w2 = 10^4. For homogeneous activations it is
    1 / slope^2 at every sigma_b2: relu's 2 is He et al. 2015's initialization. Where the
    attractor jumps (gelu, silu: from q* = 0 to the runaway branch) the edge is the jump.

    >>> 16 < critical_sigma_w2("sigmoid", 0.0) < 1e4     # phi' <= 1/4: chi1 <= sigma_w2 / 16
    True
    >>> round(critical_sigma_w2("selu", 0.0), 4)         # 2 / (lambda^2 + (lambda alpha)^2)
    0.4768
    """
    act = activations.get(activation)
    if act.homogeneous:                 # chi1 = sigma_w2 * slope^2 at every q
        return 1.0 / _slope2(act)
    approx = _approx_crossing(activation, sigma_b2, q0)
    if approx is None:
        return math.inf
    above = lambda w: chi1(activation, w, sigma_b2, q0=q0) >= 1.0
    lo, hi = approx * math.exp(-0.02), approx * math.exp(0.02)
    if above(lo) or not above(hi):          # the table missed: search exactly
        lo, hi = _first_crossing(above, 0.05, 1e4)
    return _refine(activation, sigma_b2, q0, lo, hi, above)


def _first_crossing(above, lo: float, hi: float, points: int = 25) -> tuple[float, float]:
    """A bracket around the first sigma_w2 (on a log grid) where above() turns True."""
    grid = np.geomspace(lo, hi, points)
    k = next((i for i, w in enumerate(grid) if above(w)), None)
    if k is None or k == 0:
        return (hi, hi) if k is None else (lo, lo)
    return float(grid[k - 1]), float(grid[k])


def _approx_crossing(activation: str, sigma_b2: float, q0: float) -> float | None:
    """The crossing from the tables alone (no quadrature): good to ~1e-3."""
    above = lambda w: _approx_chi1(activation, w, sigma_b2, q0) >= 1.0
    if not above(1e4):
        return None
    lo, hi = _first_crossing(above, 0.05, 1e4, 60)
    for _ in range(30):
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if above(mid) else (mid, hi)
    return math.sqrt(lo * hi)


@lru_cache(maxsize=None)
def _d2_table(name: str) -> np.ndarray:
    return np.array([moments(name, float(g)).d2 for g in _GRID])


def _approx_chi1(activation, sigma_w2, sigma_b2, q0) -> float:
    """chi1 at the attractor, with the root read off the gap table by interpolation."""
    c = _tail_gain(activation, sigma_w2)
    q1 = sigma_w2 * q0 + sigma_b2
    d2 = _d2_table(activation)
    if activations.get(activation).homogeneous or q1 <= 0:
        return sigma_w2 * d2[0]
    table = _gap_table(activation, c, sigma_w2, sigma_b2)
    g = math.log10(q1)
    up = np.interp(g, _GRID, table) > 0
    k = np.flatnonzero((_GRID > g) & (table < -REL_TOL) if up else (_GRID < g) & (table > REL_TOL))
    if not k.size:
        return sigma_w2 * d2[-1 if up else 0]
    i = k[0] - 1 if up else k[-1]
    i = min(max(i, 0), len(_GRID) - 2)
    t = table[i] / (table[i] - table[i + 1]) if table[i] != table[i + 1] else 0.5
    return sigma_w2 * float(np.interp(_GRID[i] + t * (_GRID[i + 1] - _GRID[i]), _GRID, d2))


def _refine(activation, sigma_b2, q0, lo, hi, above) -> float:
    """The exact crossing inside [lo, hi]. Where q* moves continuously, chi1 - 1 is smooth
    and regula falsi needs a few steps; where it jumps, the input's q_1 sits on the
    boundary between two basins, where the map's gap at q_1 changes sign."""
    if lo == hi:
        return lo
    act = activations.get(activation)
    q_lo = fixed_point(activation, lo, sigma_b2, q0)
    q_hi = fixed_point(activation, hi, sigma_b2, q0)
    smooth = (q_lo == q_hi == 0.0) or (0 < q_lo < math.inf and 0 < q_hi < math.inf
                                       and abs(math.log10(q_hi / q_lo)) < 0.5)
    if smooth:
        f = lambda lw: chi1(activation, 10.0**lw, sigma_b2, q0=q0) - 1.0
    else:
        f = lambda lw: _gap(act, _tail_gain(activation, 10.0**lw), 10.0**lw, sigma_b2,
                            math.log10(10.0**lw * q0 + sigma_b2))
    a, b = math.log10(lo), math.log10(hi)
    fa, fb = f(a), f(b)
    if (fa > 0) != (fb > 0):
        w = 10.0 ** _root(f, a, b, fa, fb)
        if above(w * (1 + 1e-9)) and not above(w * (1 - 1e-9)):
            return _snap_limit(activation, sigma_b2, float(w))
    for _ in range(40):                       # fall back to bisection on the verdict itself
        mid = math.sqrt(lo * hi)
        lo, hi = (lo, mid) if above(mid) else (mid, hi)
    return _snap_limit(activation, sigma_b2, math.sqrt(lo * hi))


def _snap_limit(activation: str, sigma_b2: float, w: float) -> float:
    """At sigma_b2 = 0 with phi(0) = 0 (tanh, elu, selu) the crossing is the q* -> 0
    limit 1 / E[phi'(0)^2], where chi1 - 1 ~ (sigma_w2 - w)^2 is below float resolution."""
    limit = 1.0 / slope0_squared(activation)
    if sigma_b2 == 0 and _slopes0(activation)[0] == 0 and abs(w / limit - 1) < 1e-6:
        return limit
    return w


def xi_c(chi1_value: float) -> float:
    """Depth scale of correlations in the ordered phase, where c* = 1 and chi_c = chi1:
    xi_c = -1 / ln(chi1) (Schoenholz et al. 2017, section 3); inf at chi1 >= 1. For the
    chaotic phase's c* < 1 see `correlation.depth_scales`.

    >>> round(xi_c(math.exp(-0.1)), 12)
    10.0
    """
    if chi1_value >= 1.0:
        return math.inf
    if chi1_value <= 0.0:
        return 0.0
    return -1.0 / math.log(chi1_value)


def gradient_depth_scale(chi1_value: float) -> float:
    """Layers over which gradient variance changes by a factor e: 1 / |ln chi1|, the
    gradient depth scale xi_grad of Schoenholz et al. 2017, section 4 (inf within REL_TOL
    of chi1 = 1, 0 where chi1 = 0: the gradient is gone at once)."""
    if abs(chi1_value - 1.0) <= REL_TOL:
        return math.inf
    if chi1_value <= 0.0:
        return 0.0
    return 1.0 / abs(math.log(chi1_value))


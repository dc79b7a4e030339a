"""The length map, its fixed point and its attractors.

Weights W ~ N(0, sigma_w2 / fan_in), biases ~ N(0, sigma_b2). A wide network's
pre-activations are Gaussian with variance q, which obeys the length map of Poole et al.
2016 ("Exponential expressivity in deep neural networks through transient chaos")

    q_{l+1} = sigma_w2 * E_z[phi(sqrt(q_l) z)^2] + sigma_b2,     z ~ N(0, 1)

starting from q_1 = sigma_w2 * q0 + sigma_b2, where q0 = E[x^2] of the network's input.
The map can have several attractors (gelu and silu: q = 0 and a runaway branch); the
fixed point q* is the one the input's q_1 flows to. Roots are found on the map's gap
(L(q) - q) / q in log10 q, read off a table per activation and refined by regula falsi.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .. import activations
from .quadrature import _MID, _nodes, _slope2, _slopes0, gaussian_expectation

REL_TOL = 1e-9      # sigma_w2 * slope^2 within this of 1 is exactly critical (He: 2.0000000000000004 / 2)


def length_map(activation: str, q: float, sigma_w2: float, sigma_b2: float) -> float:
    """One step of the length map: the next layer's pre-activation variance,
    q' = sigma_w2 E_z[phi(sqrt(q) z)^2] + sigma_b2 (Poole et al. 2016, "Exponential
    expressivity in deep neural networks through transient chaos", section 2).

    >>> length_map("relu", 3.0, 2.0, 0.0)       # He et al. 2015: sigma_w2 = 2 keeps q
    3.0
    """
    act = activations.get(activation)
    return sigma_w2 * gaussian_expectation(lambda u: act.fn(u) ** 2, q) + sigma_b2


def _excess(act, q: float) -> float:
    """E[phi^2 - (side slope * u)^2] at u ~ N(0, q): what the map adds beyond its linear
    tail, computed without the cancellation of E[phi^2] - slope^2 q at large q."""
    if q > 10.0**_MID:
        return 0.5 * (act.pos_limit**2 + act.neg_limit**2)
    if q < 10.0**-_MID:
        phi0, lo, hi = _slopes0(act.name)
        return phi0 * phi0 + (0.5 * (lo * lo + hi * hi) - _slope2(act)) * q
    u, w = _nodes(q, per_sigma=2)
    return float(w @ (act.fn(u) ** 2 - (np.where(u > 0, act.pos_slope, act.neg_slope) * u) ** 2))


def _tail_gain(activation: str, sigma_w2: float) -> float:
    """sigma_w2 times the tail's slope^2: the map's growth factor far out, snapped to 1
    within REL_TOL (float products such as He's 2.0000000000000004 / 2)."""
    c = sigma_w2 * _slope2(activations.get(activation))
    return 1.0 if abs(c - 1.0) <= REL_TOL else c


def _gap(act, c: float, sigma_w2: float, sigma_b2: float, log10_q: float) -> float:
    """(L(q) - q) / q: > 0 where the map pushes q up."""
    q = 10.0**log10_q
    return (c - 1.0) + (sigma_w2 * _excess(act, q) + sigma_b2) / q


# the scan grid in log10 q: fine where activations have features, coarse far out
_GRID = np.concatenate([np.arange(-_MID, -12.0, 3.0), np.arange(-12.0, 12.0, 0.1),
                        np.arange(12.0, _MID + 1e-9, 3.0)])


@lru_cache(maxsize=None)
def _excess_table(name: str) -> np.ndarray:
    """_excess on _GRID, once per activation: every (sigma_w2, sigma_b2) reads its gap
    signs off this table and refines only the root it needs."""
    act = activations.get(name)
    return np.array([_excess(act, 10.0**g) for g in _GRID])


def _gap_table(activation, c, sigma_w2, sigma_b2) -> np.ndarray:
    return (c - 1.0) + (sigma_w2 * _excess_table(activation) + sigma_b2) / 10.0**_GRID


def _root(f, a: float, b: float, fa: float, fb: float) -> float:
    """A root of f in [a, b] where fa, fb differ in sign (Illinois regula falsi)."""
    side = 0
    for _ in range(100):
        x = (a * fb - b * fa) / (fb - fa)
        if not (min(a, b) < x < max(a, b)):
            x = 0.5 * (a + b)
        fx = f(x)
        if fx == 0 or abs(b - a) < 1e-14 * max(1.0, abs(x)):
            return x
        if (fx > 0) == (fb > 0):
            b, fb = x, fx
            if side == -1:
                fa *= 0.5
            side = -1
        else:
            a, fa = x, fx
            if side == 1:
                fb *= 0.5
            side = 1
    return x


def fixed_point(activation: str, sigma_w2: float, sigma_b2: float, q0: float = 1.0) -> float:
    """The attractor of the length map that the network reaches: q iterated from
    q_1 = sigma_w2 * q0 + sigma_b2, where q0 = E[x^2] of the input (1: N(0, 1), the
    app's default; 1/3: U[0, 1]). 0 where the signal fades, inf where it grows without
    bound; where the map is marginal (linear or relu at exactly critical weights and
    no bias) every q is fixed and q stays at q_1.

    >>> fixed_point("linear", 0.5, 1.0)              # q = 0.5 q + 1
    2.0
    >>> fixed_point("linear", 1.0, 0.0, q0=3.0)      # marginal: q stays where it starts
    3.0
    >>> round(fixed_point("gelu", 2.0, 0.05), 4)     # not the runaway branch above q = 10^5
    0.1245
    """
    act = activations.get(activation)
    c = _tail_gain(activation, sigma_w2)
    q1 = sigma_w2 * q0 + sigma_b2
    if act.homogeneous:
        return _homogeneous_fixed_point(c, sigma_b2, q1)
    if q1 <= 0.0:                         # a zero input: the next layer sees phi(0)
        q1 = sigma_w2 * _slopes0(activation)[0] ** 2 + sigma_b2
        if q1 <= 0.0:
            return 0.0
    return _flow(act, c, sigma_w2, sigma_b2, math.log10(q1))


def _homogeneous_fixed_point(c: float, sigma_b2: float, q1: float) -> float:
    """q' = c q + sigma_b2: globally attracting below c = 1, marginal at it (relu at c = 1
    is He et al. 2015's variance-preserving initialization)."""
    if c < 1.0:
        return sigma_b2 / (1.0 - c)
    if c == 1.0 and sigma_b2 == 0.0 or q1 == 0.0:
        return q1
    return math.inf


def _flow(act, c, sigma_w2, sigma_b2, log10_q1) -> float:
    """Follow the gap's sign from q_1 to the first root in that direction."""
    gap = lambda g: _gap(act, c, sigma_w2, sigma_b2, g)
    g1 = gap(log10_q1)
    if abs(g1) <= REL_TOL:
        return float(10.0**log10_q1)
    table = _gap_table(act.name, c, sigma_w2, sigma_b2)
    up = g1 > 0
    if up:
        k = np.flatnonzero((_GRID > log10_q1) & (table < -REL_TOL))
        if not k.size:
            return math.inf
        a = max(log10_q1, _GRID[k[0] - 1]) if k[0] > 0 else log10_q1
    else:
        k = np.flatnonzero((_GRID < log10_q1) & (table > REL_TOL))
        if not k.size:
            return 0.0
        a = min(log10_q1, _GRID[k[-1] + 1]) if k[-1] + 1 < len(_GRID) else log10_q1
    b = _GRID[k[0] if up else k[-1]]
    ga, gb = gap(a), gap(b)
    if ga == 0:
        return float(10.0**a)
    if (ga > 0) == (gb > 0):                 # the table's neighbour was already past it
        a, ga = log10_q1, g1
    return float(10.0 ** _root(gap, a, b, ga, gb))


def attractors(activation: str, sigma_w2: float, sigma_b2: float) -> tuple[float, ...]:
    """Every attractor of the length map, smallest first (0 and inf included where they
    attract): more than one means the phase depends on where the signal starts.

    >>> [round(q, 4) for q in attractors("gelu", 2.0, 0.05)]
    [0.1245, inf]
    >>> attractors("tanh", 1.5, 0.0) == (fixed_point("tanh", 1.5, 0.0),)
    True
    """
    act = activations.get(activation)
    c = _tail_gain(activation, sigma_w2)
    if act.homogeneous:
        return (_homogeneous_fixed_point(c, sigma_b2, sigma_w2 + sigma_b2),)
    table = _gap_table(activation, c, sigma_w2, sigma_b2)
    found = []
    if table[0] < 0 or (table[0] <= REL_TOL and _gap(act, c, sigma_w2, sigma_b2, -6.0) < 0):
        found.append(0.0)
    for k in np.flatnonzero((table[:-1] > 0) & (table[1:] <= 0)):    # pushed up, then down
        found.append(_flow(act, c, sigma_w2, sigma_b2, float(_GRID[k])))
    if table[-1] > 0:
        found.append(math.inf)
    return tuple(found)

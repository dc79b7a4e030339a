"""Mean-field theory of signal propagation (Poole et al. 2016, Schoenholz et al. 2017).

Weights W ~ N(0, sigma_w2 / fan_in), biases ~ N(0, sigma_b2). A wide network's
pre-activations are Gaussian with variance q, which obeys the *length map*

    q_{l+1} = sigma_w2 * E_z[phi(sqrt(q_l) z)^2] + sigma_b2,     z ~ N(0, 1)

starting from q_1 = sigma_w2 * q0 + sigma_b2, where q0 = E[x^2] of the network's input
(1 for the app's N(0, 1) input, 1/3 for U[0, 1]). Gradients are multiplied, layer by
layer, by

    chi1 = sigma_w2 * E_z[phi'(sqrt(q) z)^2]       (< 1 ordered: vanish, > 1 chaotic: explode).

The map can have several attractors (gelu and silu: q = 0 and a runaway branch); the
fixed point q* is the one the input's q_1 flows to.

>>> round(critical_sigma_w2("relu", 0.0), 6)        # He initialization: 2 / fan_in
2.0
>>> round(critical_sigma_w2("tanh", 0.05), 2)       # the tanh critical line at sigma_b^2 = 0.05
1.76
>>> round(critical_sigma_w2("gelu", 0.0), 2)        # the jump from q* = 0 to the runaway branch
2.16
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import activations, norms
from .norms import EPS as NORM_EPS
from .spec import NetworkSpec

_LN10 = math.log(10.0)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(10)
_MID = 150.0        # |log10 q| beyond which the asymptotic forms are exact to float64
REL_TOL = 1e-9      # sigma_w2 * slope^2 within this of 1 is exactly critical (He: 2.0000000000000004 / 2)
_TINY = np.array([-1e-300, 1e-300])     # both sides of a kink at 0


# -- Gaussian expectations ------------------------------------------------------------

def _panels(q: float, per_sigma: int = 4) -> np.ndarray:
    """Breakpoints in t = sqrt(q) z: fine panels where activations have their features
    (|t| < ~20), coarse ones out to 10 sigma. Plain Gauss-Hermite in z would step over
    features narrower than its node spacing, which is what sech^4(sqrt(q) z) becomes once
    q is large. per_sigma = 2 (half the nodes) still agrees to ~1e-12 relative."""
    s = math.sqrt(q)
    reach = 10.0 * s
    fine = min(20.0, reach)
    step = min(2.0, s) / per_sigma
    inner = np.linspace(-fine, fine, 2 * max(8, int(math.ceil(fine / step))) + 1)
    if reach <= fine:
        return inner
    outer = np.linspace(fine, reach, 41)[1:]
    return np.concatenate([-outer[::-1], inner, outer])


def _nodes(q: float, mean: float = 0.0, per_sigma: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature nodes u and weights for u ~ N(mean, q), with a breakpoint at u = 0
    (where relu-like activations have their kink)."""
    edges = mean + _panels(q, per_sigma)
    if mean != 0.0 and edges[0] < 0.0 < edges[-1]:
        edges = np.sort(np.append(edges, 0.0))
    a, b = edges[:-1, None], edges[1:, None]
    u = 0.5 * (b - a) * _GL_X + 0.5 * (a + b)
    w = 0.5 * (b - a) * _GL_W * np.exp(-0.5 * (u - mean) ** 2 / q) / math.sqrt(2 * math.pi * q)
    return u.ravel(), w.ravel()


def gaussian_expectation(f, q: float, mean: float = 0.0) -> float:
    """E_z[f(mean + sqrt(q) z)] for z ~ N(0, 1), by composite Gauss-Legendre quadrature.
    At q = 0 a kink at the mean counts as the average of its two sides (the q -> 0 limit).

    >>> round(gaussian_expectation(lambda u: u * u, 3.0), 12)
    3.0
    >>> round(gaussian_expectation(lambda u: np.maximum(u, 0), 0.0), 12)
    0.0
    """
    if q <= 0:
        return float(np.mean(f(mean + _TINY)))
    u, w = _nodes(q, mean)
    return float(np.sum(w * f(u)))


@dataclass(frozen=True)
class Moments:
    """One activation's moments over u ~ N(mean, var), in log10 (they can leave
    float64's range). rho = E[phi] / sqrt(E[phi^2]) lies in [-1, 1]."""
    log10_m2: float       # E[phi^2]  (-inf: exactly zero)
    rho: float
    log10_var: float      # Var[phi]
    log10_d2: float       # E[phi'^2]

    @property
    def d2(self) -> float:
        return 10.0**self.log10_d2


def _log10(x: float) -> float:
    return math.log10(x) if x > 0 else -math.inf


def _quad_moments(act, var: float, mean: float = 0.0) -> Moments:
    """All four moments from one set of nodes (predict calls this once per layer)."""
    if var <= 0:
        u, w = mean + _TINY, np.full(2, 0.5)
    else:
        u, w = _nodes(var, mean, per_sigma=2)
    f = act.fn(u)
    if act.name == "gelu":      # phi' = Phi(u) + u pdf(u), and Phi(u) = phi(u) / u: one erf, not two
        d = f / u + u * np.exp(-0.5 * u * u) / math.sqrt(2 * math.pi)
    else:
        d = act.deriv(u)
    m1, m2 = float(w @ f), float(w @ (f * f))
    v = float(w @ ((f - m1) ** 2))
    return Moments(_log10(m2), m1 / math.sqrt(m2) if m2 > 0 else 0.0, _log10(v),
                   _log10(float(w @ (d * d))))


def _slope2(act) -> float:
    """E[phi'^2] far out: the mean of the two asymptotic slopes squared."""
    return 0.5 * (act.pos_slope**2 + act.neg_slope**2)


@lru_cache(maxsize=None)
def _slopes0(name: str) -> tuple[float, float, float]:
    """phi(0) and phi's slopes just below and just above 0."""
    act = activations.get(name)
    d = act.deriv(_TINY)
    return float(act.fn(np.zeros(1))[0]), float(d[0]), float(d[1])


def slope0_squared(activation: str) -> float:
    """The q -> 0 limit of E[phi'(sqrt(q) z)^2]: half of each side's slope squared,
    since z is as often below 0 as above.

    >>> round(slope0_squared("selu"), 4)           # (lambda^2 + (lambda alpha)^2) / 2
    2.0974
    """
    _, lo, hi = _slopes0(activation)
    return 0.5 * (lo * lo + hi * hi)


@lru_cache(maxsize=None)
def _tail_constant(name: str) -> float:
    """Integral of phi'^2 for activations with zero slope at infinity, so that
    E[phi'(sqrt(q) z)^2] -> K / sqrt(2 pi q) for large q."""
    act = activations.get(name)
    u = np.linspace(-60.0, 60.0, 240001)
    return float(np.trapezoid(act.deriv(u) ** 2, u))


def _far_moments(act, log10_q: float) -> Moments:
    """q beyond 10^150: phi ~ slope * u + limit on each side."""
    ps, ns, pl, nl = act.pos_slope, act.neg_slope, act.pos_limit, act.neg_limit
    s2 = _slope2(act)
    if s2 > 0:
        c = s2 - ((ps - ns) / math.sqrt(2 * math.pi)) ** 2
        return Moments(math.log10(s2) + log10_q, (ps - ns) / math.sqrt(2 * math.pi * s2),
                       _log10(c) + log10_q, math.log10(s2))
    m1, m2 = 0.5 * (pl + nl), 0.5 * (pl * pl + nl * nl)
    log10_d2 = _log10(_tail_constant(act.name) / math.sqrt(2 * math.pi)) - 0.5 * log10_q
    return Moments(_log10(m2), m1 / math.sqrt(m2), _log10(m2 - m1 * m1), log10_d2)


def _near_moments(act, log10_q: float) -> Moments:
    """q below 10^-150: phi ~ phi(0) + slope * u on each side of 0."""
    phi0, lo, hi = _slopes0(act.name)
    s2 = 0.5 * (lo * lo + hi * hi)
    c = s2 - ((hi - lo) / math.sqrt(2 * math.pi)) ** 2
    lvar = _log10(c) + log10_q
    if phi0:
        return Moments(2 * math.log10(abs(phi0)), math.copysign(1.0, phi0), lvar, _log10(s2))
    return Moments(_log10(s2) + log10_q, (hi - lo) / math.sqrt(2 * math.pi * s2) if s2 else 0.0,
                   lvar, _log10(s2))


@lru_cache(maxsize=4096)
def moments(activation: str, log10_q: float) -> Moments:
    """Moments of phi(sqrt(q) z), exact in log space for any q (log10_q = -inf: q = 0).

    >>> m = moments("relu", 0.0)                   # E relu(z)^2 = 1/2, E relu'(z)^2 = 1/2
    >>> round(10 ** m.log10_m2, 12), m.d2
    (0.5, 0.5)
    """
    act = activations.get(activation)
    if act.homogeneous and log10_q > -math.inf or log10_q > _MID:
        return _far_moments(act, log10_q)
    if log10_q < -_MID:
        return _near_moments(act, log10_q) if log10_q > -math.inf else _quad_moments(act, 0.0)
    return _quad_moments(act, 10.0**log10_q)


@lru_cache(maxsize=4096)
def shifted_moments(activation: str, std: float, mean: float) -> Moments:
    """Moments of phi(mean + std * z): what an activation after a norm sees."""
    return _quad_moments(activations.get(activation), std * std, mean)


def shifted_moments_log(activation: str, log10_std: float, mean: float) -> Moments:
    """shifted_moments for a std given by its log10, exact however small: at mean 0 the
    moments of phi(sqrt(q) z); elsewhere, below 10^-75, phi's tangent at the mean,
    phi(mean) + phi'(mean) std z (the next term is std^2 smaller).

    >>> m = shifted_moments_log("tanh", -400.0, 0.5)           # Var = sech^4(0.5) 10^-800
    >>> round(m.log10_var + 800, 6) == round(4 * math.log10(1 / math.cosh(0.5)), 6)
    True
    """
    if mean == 0.0:
        return moments(activation, 2 * log10_std)
    if 2 * log10_std >= -_MID:
        return shifted_moments(activation, 10.0**log10_std, mean)
    act = activations.get(activation)
    f0, d0 = float(act.fn(np.array([mean]))[0]), float(act.deriv(np.array([mean]))[0])
    log10_var = 2 * (_log10(abs(d0)) + log10_std)
    log10_m2 = _log10_add(2 * _log10(abs(f0)), log10_var)
    rho = math.copysign(10.0 ** (_log10(abs(f0)) - 0.5 * log10_m2), f0) if f0 else 0.0
    return Moments(log10_m2, rho, log10_var, 2 * _log10(abs(d0)))


def _log10_add(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    return float(np.logaddexp(a * _LN10, b * _LN10) / _LN10)


# -- the length map, its attractors, criticality ---------------------------------------

def length_map(activation: str, q: float, sigma_w2: float, sigma_b2: float) -> float:
    """One step of the length map: the next layer's pre-activation variance."""
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
    """q' = c q + sigma_b2: globally attracting below c = 1, marginal at it."""
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


def chi1(activation: str, sigma_w2: float, sigma_b2: float, q: float | None = None,
         q0: float = 1.0) -> float:
    """sigma_w2 * E[phi'(sqrt(q) z)^2], at the attractor reached from q0 unless q is given.
    At q = 0 a kink counts with both its sides (the q -> 0 limit).

    >>> round(chi1("selu", 1 / 3, 0.0), 4)           # (lambda^2 + (lambda alpha)^2) / 6
    0.6991
    """
    if q is None:
        q = fixed_point(activation, sigma_w2, sigma_b2, q0)
    log10_q = math.log10(q) if q > 0 else -math.inf
    return float(sigma_w2 * moments(activation, min(log10_q, 4 * _MID)).d2)


def critical_sigma_w2(activation: str, sigma_b2: float, q0: float = 1.0) -> float:
    """The smallest sigma_w2 where chi1 at the attractor reached from q0 reaches 1: the
    edge of chaos (inf if chi1 stays below 1 up to sigma_w2 = 10^4). Where the attractor
    jumps (gelu, silu: from q* = 0 to the runaway branch) the edge is the jump.

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
    """Depth scale of correlations in the ordered phase, -1 / ln(chi1); inf at chi1 >= 1."""
    if chi1_value >= 1.0:
        return math.inf
    if chi1_value <= 0.0:
        return 0.0
    return -1.0 / math.log(chi1_value)


def gradient_depth_scale(chi1_value: float) -> float:
    """Layers over which gradient variance changes by a factor e: 1 / |ln chi1|
    (inf within REL_TOL of chi1 = 1, 0 where chi1 = 0: the gradient is gone at once)."""
    if abs(chi1_value - 1.0) <= REL_TOL:
        return math.inf
    if chi1_value <= 0.0:
        return 0.0
    return 1.0 / abs(math.log(chi1_value))


# -- the prediction for a whole spec --------------------------------------------------

@dataclass(frozen=True)
class Prediction:
    log10_preact_var: np.ndarray     # (depth,); -inf where the signal is exactly zero
    log10_act_var: np.ndarray
    chi1: np.ndarray                 # per layer, at that layer's q; always finite
    log10_grad_var: np.ndarray       # relative to the last layer's, anchored there by caller
    covers_norm: bool                # False where the gradient prediction does not model the spec
    covers_forward: bool = True      # False where the forward prediction does not hold


# A normalized set of fewer values than this is visibly non-Gaussian (two values
# normalize to exactly +-1), which the mean-field forward prediction assumes.
MIN_GAUSSIAN_SET = 16
# BatchNorm keeps each example's overall scale relative to the batch; where the block
# multiplies that scale's spread by more than this per layer, examples drift apart
# (a few carry the signal, the rest go quiet) and no single-example map describes it.
MAX_SCALE_GAIN = 1.05


def norm_set_size(spec: NetworkSpec) -> int:
    """How many values share one set of normalization statistics.

    >>> norm_set_size(NetworkSpec(norm="instance", spatial=2))
    2
    """
    kind = "layer" if spec.norm == "none" else spec.norm   # no norm: one example's units
    return norms.statistics_set_size(kind, (spec.batch, spec.width, spec.spatial), spec.groups)


def input_q0(spec: NetworkSpec) -> float:
    """E[x^2] of the network's input, where the length map starts."""
    return 1.0 if spec.input_dist == "normal" else 1.0 / 3.0     # U[0,1]: E[x^2] = 1/3


def _input_rho(spec: NetworkSpec) -> float:
    """E[x] / sqrt(E[x^2]) of the input: 0 for N(0, 1), (1/2) / sqrt(1/3) for U[0, 1]."""
    return 0.0 if spec.input_dist == "normal" else math.sqrt(0.75)


@dataclass
class _Stream:
    """The residual stream (or the layer input), per example over units: log10 of its
    second moment s, and rho = its mean over units / sqrt(s). Every unit's mean is the
    same in expectation over the weights, so a branch with a nonzero mean adds to the
    stream's mean coherently, layer after layer, and E[x^2] = Var + mean^2 grows faster
    than the variances alone would."""
    log10_s: float
    rho: float

    def add(self, log10_alpha: float, branch: "Moments") -> None:
        """x + alpha f: s' = s + 2 alpha m E[f] + alpha^2 E[f^2], written relative to the
        larger of the two parts so that nothing overflows."""
        if branch.log10_m2 == -math.inf:
            return
        if self.log10_s == -math.inf:
            self.log10_s, self.rho = 2 * log10_alpha + branch.log10_m2, branch.rho
            return
        la = log10_alpha + 0.5 * (branch.log10_m2 - self.log10_s)   # alpha sqrt(E f^2 / s)
        r, p = self.rho, branch.rho
        if la <= 0:
            a = 10.0**la
            growth, mean = 1.0 + 2 * r * p * a + a * a, r + p * a
        else:
            a = 10.0**-la                                           # the branch dominates
            growth, mean = a * a + 2 * r * p * a + 1.0, r * a + p
        growth = max(growth, 0.0)
        self.log10_s += _log10(growth) + (2 * la if la > 0 else 0.0)
        self.rho = mean / math.sqrt(growth) if growth > 0 else 0.0


_LOG10_EPS = math.log10(NORM_EPS)


def _log10_share(log10_v: float) -> float:
    """log10 of v / (v + eps): the normalized variance left after a norm with PyTorch's
    eps, which no longer reaches 1 once the signal is as small as eps (and is v / eps,
    however small, below it).

    >>> _log10_share(-600.0)                  # 10^-600 / 10^-5
    -595.0
    """
    if log10_v == -math.inf:
        return -math.inf
    return log10_v - _log10_add(log10_v, _LOG10_EPS)


def predict(spec: NetworkSpec, anchor_log10_grad_var: float = 0.0) -> Prediction:
    """Per-layer mean-field prediction for `spec`.

    The stream entering each layer is tracked by its second moment and its mean (which a
    branch with a nonzero mean, such as relu's, builds up across residual layers). Norms
    are modelled as what they do: zero mean and unit variance (shrunk by PyTorch's eps
    where the signal is that small), times gamma, plus beta. Gradients are predicted,
    anchored at the last layer's value you pass in, for residual-free networks without a
    norm or with LayerNorm or RMSNorm before the activation; `covers_norm` is False for
    the rest. A signal that is exactly zero has log10 variance -inf.

    >>> p = predict(NetworkSpec(depth=3, activation="relu", init="kaiming_normal"))
    >>> p.log10_preact_var.round(6).tolist()      # He: q = 2 E[x^2] at every layer
    [0.30103, 0.30103, 0.30103]
    """
    lsw2 = math.log10(spec.sigma_w2)
    lsb2 = _log10(spec.bias_var)
    stream = _Stream(math.log10(input_q0(spec)), _input_rho(spec))
    pre, actv, log_chi = [], [], []
    for _ in range(spec.depth):
        log_q = _log10_add(lsw2 + stream.log10_s, lsb2)
        branch, act_m, lc = _block(spec, stream, log_q, lsw2)
        pre.append(log_q)
        actv.append(act_m.log10_var)
        log_chi.append(lc)
        if spec.residual:
            stream.add(math.log10(spec.residual_scale), branch)
        else:
            stream = _Stream(branch.log10_m2, branch.rho)
    log_chi = np.array(log_chi)
    # E[g_l^2] = chi_l * E[g_{l+1}^2]: cumulative product from the last layer down
    tail = np.concatenate([np.cumsum(log_chi[:-1][::-1])[::-1], [0.0]])
    with np.errstate(over="ignore"):
        chis = 10.0**log_chi
    return Prediction(np.array(pre), np.array(actv), chis, anchor_log10_grad_var + tail,
                      covers_norm=not (spec.residual or _norm_after(spec) or _couples_units(spec)
                                       or np.isneginf(log_chi).any()),   # a zero gradient: no curve to draw
                      covers_forward=_covers_forward(spec))


def _norm_before(spec) -> bool:
    return spec.norm != "none" and spec.norm_position == "before"


def _norm_after(spec) -> bool:
    return spec.norm != "none" and spec.norm_position == "after"


def _block(spec, stream: _Stream, log_q: float, lsw2: float):
    """One layer from its pre-activation variance: (the block output's moments, the
    activation's moments, log10 chi1)."""
    name, log_gamma = spec.activation, math.log10(spec.norm_gamma)
    if _norm_before(spec):
        log_v = _normalizer_log10_var(spec, stream, log_q, lsw2)
        a = shifted_moments_log(name, log_gamma + 0.5 * _log10_share(log_v), spec.norm_beta)
        # backward through the norm divides by its std, sqrt(v + eps)
        log_chi = lsw2 + 2 * log_gamma + a.log10_d2 - _log10_add(log_v, _LOG10_EPS)
    else:
        a = moments(name, log_q)
        log_chi = lsw2 + a.log10_d2
    if not _norm_after(spec):
        return a, a, log_chi
    return _after_norm(spec, a), a, log_chi


def _normalizer_log10_var(spec, stream: _Stream, log_q: float, lsw2: float) -> float:
    """The variance a norm before the activation divides by. Per example (layer, group,
    RMS): q. BatchNorm, per unit over the batch: each unit's offset (its bias, and the
    stream's mean through its weights) is constant over examples and drops out, leaving
    sigma_w2 Var(x) = sigma_w2 s (1 - rho^2)."""
    if spec.norm != "batch":
        return log_q
    return lsw2 + stream.log10_s + _log10(1.0 - stream.rho**2)


def _after_norm(spec, a: Moments) -> Moments:
    """gamma * x_hat + beta for the activation's output a. Centred norms: x_hat has zero
    mean and variance Var a / (Var a + eps). RMSNorm keeps the mean: x_hat = a /
    sqrt(E a^2 + eps), so E x_hat = rho sqrt(share) with share = E a^2 / (E a^2 + eps).
    In log10, relative to the larger of gamma sqrt(share) and |beta|: share can be far
    below float64's range."""
    b, rho = spec.norm_beta, (a.rho if spec.norm == "rms" else 0.0)
    share = _log10_share(a.log10_m2 if spec.norm == "rms" else a.log10_var)
    log_spread = math.log10(spec.norm_gamma) + 0.5 * share     # log10 gamma sqrt(share)
    top = max(log_spread, _log10(abs(b)))
    if top == -math.inf:
        return Moments(-math.inf, 0.0, -math.inf, a.log10_d2)
    spread = 10.0 ** (log_spread - top)
    shift = math.copysign(10.0 ** (_log10(abs(b)) - top), b) if b else 0.0
    m1 = spread * rho + shift                                 # E[out] / 10^top
    m2 = m1 * m1 + spread * spread * (1 - rho * rho)
    log10_var = 2 * log_spread + _log10(1 - rho * rho)
    return Moments(2 * top + _log10(m2), m1 / math.sqrt(m2) if m2 > 0 else 0.0, log10_var,
                   a.log10_d2)


def _couples_units(spec: NetworkSpec) -> bool:
    """Norms whose backward pass the per-example chi1 above does not describe: BatchNorm
    (statistics over the batch couple the examples, whose correlations the single-input
    map does not track), InstanceNorm and GroupNorm with G > 1 (small sets, whose mean
    carries the activation's offset: their variance is not q). LayerNorm and RMSNorm
    average over every unit of an example, as the theory does."""
    return spec.norm == "batch" or spec.norm == "instance" or (
        spec.norm == "group" and spec.groups > 1)


def _covers_forward(spec: NetworkSpec) -> bool:
    return norm_set_size(spec) >= MIN_GAUSSIAN_SET and batch_scale_gain(spec) <= MAX_SCALE_GAIN


def batch_scale_gain(spec: NetworkSpec) -> float:
    """How much one BatchNorm block multiplies the spread of examples' overall scales
    (d ln E[phi(gamma sqrt(v) z + beta)^2] / d ln v at v = 1; 1 for relu at beta = 0).
    BatchNorm normalizes each unit over the batch, so an example that arrives larger
    than the rest stays larger; above 1 the spread grows layer by layer (relu with a
    strongly negative beta: the larger examples switch on ever more units). LayerNorm,
    GroupNorm and RMSNorm rescale each example themselves: 0 for them and for no norm.

    >>> round(batch_scale_gain(NetworkSpec(norm="batch", activation="relu")), 6)
    1.0
    >>> batch_scale_gain(NetworkSpec(norm="batch", activation="relu", norm_beta=-1.35)) > 2
    True
    """
    if spec.norm != "batch" or spec.activation == "linear":
        return 0.0
    h = 0.05
    g, b = spec.norm_gamma, spec.norm_beta
    if spec.norm_position == "before":
        up = shifted_moments(spec.activation, g * math.exp(h / 2), b).log10_m2
        down = shifted_moments(spec.activation, g * math.exp(-h / 2), b).log10_m2
    else:   # the activation sees the pre-activation itself: the length map's own slope
        log_q = math.log10(spec.sigma_w2 * (g * g + b * b) + spec.bias_var)
        up = moments(spec.activation, log_q + h / _LN10 / 2).log10_m2
        down = moments(spec.activation, log_q - h / _LN10 / 2).log10_m2
    if not (math.isfinite(up) and math.isfinite(down)):
        return 0.0
    return (up - down) * _LN10 / (2 * h if spec.norm_position == "before" else h)

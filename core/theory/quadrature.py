"""Gaussian expectations and the moments of each activation, exact for any variance.

Everything the mean-field maps need is an expectation over a Gaussian pre-activation,
E_z[f(sqrt(q) z)], z ~ N(0, 1). Here it is computed by composite Gauss-Legendre
quadrature on panels that resolve each activation's features (the numerical fallback
that works for every activation), and, where q leaves float64's range, by the
activation's asymptotic forms, which are exact there (`moments` in log10).

Closed forms the quadrature is checked against live in the tests: E[relu(sqrt(q) z)^2]
= q / 2 (He et al. 2015, "Delving deep into rectifiers", section 2.2), and for
homogeneous activations every moment scales exactly with q.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import activations

_LN10 = math.log(10.0)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(10)
_MID = 150.0        # |log10 q| beyond which the asymptotic forms are exact to float64
_TINY = np.array([-1e-300, 1e-300])     # both sides of a kink at 0


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



# -- two correlated inputs ---------------------------------------------------------------

_GL6_X, _GL6_W = np.polynomial.legendre.leggauss(6)


def bivariate_expectation(f, g, q: float, c: float) -> float:
    """E[f(u1) g(u2)] for (u1, u2) Gaussian with variances q and correlation c, q > 0.

    u1 over its own panels; u2 given u1 is N(c u1, q (1 - c^2)), over panels about that
    mean with the one containing u2 = 0 split there, so a kink at 0 (relu) or a jump
    (relu') lies on a panel edge in both variables. Near |c| = 1 the inner expectation
    turns over within q (1 - c^2) of u1 = 0, so the outer panels are graded down to that
    width there. At |c| = 1, u2 = c u1.

    >>> round(bivariate_expectation(lambda u: u, lambda u: u, 2.0, 0.3), 9)       # q c
    0.6
    >>> relu = lambda u: np.maximum(u, 0)
    >>> abs(bivariate_expectation(relu, relu, 1.0, 0.0) - 1 / (2 * math.pi)) < 1e-10
    True
    """
    if abs(c) >= 1.0:
        return gaussian_expectation(lambda u: f(u) * g(math.copysign(1.0, c) * u), q)
    var = q * (1.0 - c * c)
    u1, w1 = _outer_nodes(q, math.sqrt(var))
    u2, w2 = _conditional_nodes(c * u1, var)
    return float(w1 @ (f(u1) * np.sum(w2 * g(u2), axis=1)))


def _pair_panels(q: float) -> np.ndarray:
    """Panel edges for u ~ N(0, q): out to 10 sigma, one sigma per panel, but none wider
    than 1 where activations have their features (|u| < 20): tanh's poles sit at
    +-i pi / 2, and 6 nodes on a panel of half-width 1 beside them lose ~1e-7."""
    s = math.sqrt(q)
    fine = min(20.0, 10.0 * s)
    inner = np.linspace(-fine, fine, 2 * max(4, int(math.ceil(fine / min(1.0, s)))) + 1)
    if 10.0 * s <= fine:
        return inner
    outer = np.linspace(fine, 10.0 * s, int(math.ceil((10.0 * s - fine) / s)) + 1)[1:]
    return np.concatenate([-outer[::-1], inner, outer])


def _gl6(a: np.ndarray, b: np.ndarray, mean, var: float) -> tuple[np.ndarray, np.ndarray]:
    """6-point Gauss-Legendre on panels [a, b] (any leading shape), weighted by the
    N(mean, var) density: one sigma per panel, where 6 nodes integrate the Gaussian
    factor to ~1e-10."""
    half = 0.5 * (b - a)[..., None]
    u = half * _GL6_X + 0.5 * (a + b)[..., None]
    mean = np.asarray(mean)[..., None, None] if np.ndim(mean) else mean
    density = np.exp(-0.5 * (u - mean) ** 2 / var) / math.sqrt(2 * math.pi * var)
    return u, half * _GL6_W * density


def _outer_nodes(q: float, sd_cond: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes for u1 ~ N(0, q): `_pair_panels`, plus edges at +-sd_cond * 2^k / 2
    up to 4 sqrt(q), where the conditional expectation of the other input turns over."""
    edges = _pair_panels(q)
    s = math.sqrt(q)
    if sd_cond < 0.5 * s:
        graded = 0.5 * sd_cond * 2.0 ** np.arange(int(math.log2(4 * s / sd_cond)) + 1)
        edges = np.unique(np.concatenate([edges, graded, -graded]))
    u, w = _gl6(edges[:-1], edges[1:], 0.0, q)
    return u.ravel(), w.ravel()


def _conditional_nodes(means: np.ndarray, var: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights, one row per mean, for u ~ N(mean, var): `_panels` about each
    mean at one sigma each, and the panel that contains u = 0 cut in two there (its
    second half is an extra panel, of zero length where 0 is outside every panel)."""
    edges = _pair_panels(var)
    a = means[:, None] + edges[None, :-1]
    b = means[:, None] + edges[None, 1:]
    rows = np.arange(len(means))
    k = np.clip(np.sum(a <= 0.0, axis=1) - 1, 0, a.shape[1] - 1)      # panel holding 0
    inside = (a[rows, k] < 0.0) & (0.0 < b[rows, k])
    extra_b = np.where(inside, b[rows, k], 0.0)
    b[rows, k] = np.where(inside, 0.0, b[rows, k])
    a = np.concatenate([a, np.zeros((len(means), 1))], axis=1)
    b = np.concatenate([b, extra_b[:, None]], axis=1)
    u, w = _gl6(a, b, means, var)
    return u.reshape(len(means), -1), w.reshape(len(means), -1)

"""The correlation map of two inputs, its fixed point c*, and the depth scales xi_c, xi_q.

Two inputs whose pre-activations have variance q and correlation c at one layer have, at
the next (Poole et al. 2016, "Exponential expressivity in deep neural networks through
transient chaos", section 2; Schoenholz et al. 2017, "Deep information propagation")

    c_{l+1} = (sigma_w2 E[phi(u1) phi(u2)] + sigma_b2) / q_{l+1},

with (u1, u2) Gaussian, variances q_l and correlation c_l, and q_{l+1} the length map.
c = 1 is always fixed; its slope there is chi1 (Price's theorem: d/dc E[phi phi] =
q E[phi' phi']). Below chi1 = 1 (ordered) c = 1 attracts: every input collapses onto the
same vector. Above it (chaotic) a c* < 1 attracts: nearby inputs decorrelate. The
approach to c* is exponential with depth scale xi_c = -1 / ln chi_c, chi_c = sigma_w2
E[phi'(u1) phi'(u2)] at (q*, c*), which diverges on the critical line.

Positively homogeneous activations (linear, relu, leaky relu) have closed forms, the
arc-cosine kernels of Cho & Saul 2009 ("Kernel methods for deep learning"); the rest go
through `quadrature.bivariate_expectation`.

>>> s = depth_scales("relu", 1.0, 0.5)      # q* = 0.5 / (1 - 1/2) = 1; chi1 = 1/2
>>> s.q_star, s.c_star, s.chi_c, round(s.xi_c, 6) == round(1 / math.log(2), 6)
(1.0, 1.0, 0.5, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .. import activations, normal
from . import criticality
from .length_map import REL_TOL, _root, fixed_point
from .quadrature import (_GL6_W, _GL6_X, _MID, _conditional_nodes, _slope2, _slopes0,
                         bivariate_expectation, gaussian_expectation)


# -- closed forms for positively homogeneous activations --------------------------------

def _arccos1(c: float) -> float:
    """E[relu(u1) relu(u2)] / q: Cho & Saul 2009's arc-cosine kernel of degree 1, halved,
    (sqrt(1 - c^2) + (pi - arccos c) c) / (2 pi)."""
    c = min(1.0, max(-1.0, c))
    return (math.sqrt(1.0 - c * c) + (math.pi - math.acos(c)) * c) / (2 * math.pi)


def _arccos0(c: float) -> float:
    """P(u1 > 0, u2 > 0) = (pi - arccos c) / (2 pi): the degree-0 arc-cosine kernel, halved."""
    return (math.pi - math.acos(min(1.0, max(-1.0, c)))) / (2 * math.pi)


def _two_slope(pos: float, neg: float, c: float, deriv: bool) -> float:
    """E[phi(u1) phi(u2)] / q (or E[phi'(u1) phi'(u2)]) for phi = pos * u above 0 and
    neg * u below: phi = pos relu(u) - neg relu(-u), and (u1, -u2) has correlation -c."""
    if deriv:
        same = _arccos0(c)
        return (pos * pos + neg * neg) * same + 2 * pos * neg * (0.5 - same)
    return (pos * pos + neg * neg) * _arccos1(c) - 2 * pos * neg * _arccos1(-c)


def _step_kernel(pos: float, neg: float, c: float) -> float:
    """E[phi(u1) phi(u2)] for phi = pos above 0 and neg below (a bounded activation at
    q -> inf): P(same side) = 2 * arccos0(c)."""
    same = _arccos0(c)
    return (pos * pos + neg * neg) * same + 2 * pos * neg * (0.5 - same)


# -- E[phi(u1) phi(u2)] at any q -----------------------------------------------------------

def cross_moment(activation: str, q: float, c: float, deriv: bool = False) -> float:
    """E[phi(u1) phi(u2)] (deriv: E[phi'(u1) phi'(u2)]) for pre-activations of variance q
    and correlation c. Exact closed forms for homogeneous activations; past 10^+-150 the
    activation's asymptotes (as `quadrature.moments`); quadrature in between.

    >>> round(cross_moment("relu", 2.0, 0.0), 12) == round(1 / math.pi, 12)    # 2 * (1/2pi)
    True
    """
    act = activations.get(activation)
    if act.homogeneous:
        scale = 1.0 if deriv else q
        return scale * _two_slope(act.pos_slope, act.neg_slope, c, deriv)
    if q > 10.0**_MID:
        return _far_cross(act, q, c, deriv)
    if q < 10.0**-_MID:
        return _near_cross(act, q, c, deriv)
    if q >= SPLIT_Q and _slope2(act) > 0:
        return _split_cross(act, q, c, deriv)
    f = act.deriv if deriv else act.fn
    return bivariate_expectation(f, f, q, c)


def _far_cross(act, q: float, c: float, deriv: bool) -> float:
    """q beyond 10^150 (or the q -> inf kernel per unit q, at q = 1): phi ~ slope * u +
    limit on each side. A bounded activation is a step there, whose derivative's cross
    moment vanishes next to its square."""
    if _slope2(act) > 0:
        return (1.0 if deriv else q) * _two_slope(act.pos_slope, act.neg_slope, c, deriv)
    return 0.0 if deriv else _step_kernel(act.pos_limit, act.neg_limit, c)


def _near_cross(act, q: float, c: float, deriv: bool) -> float:
    """q below 10^-150: phi ~ phi(0) + slope * u on each side of 0."""
    phi0, lo, hi = _slopes0(act.name)
    if deriv:
        return _two_slope(hi, lo, c, True)
    return phi0 * phi0 + q * _two_slope(hi, lo, c, False)


# -- E[phi phi] at large q: the asymptotes in closed form, the rest near 0 ----------------
#
# An activation with linear asymptotes (gelu, silu, elu, selu) is phi = A + r, A(u) =
# a relu(u) - b relu(-u) + P [u > 0] + N [u < 0] its asymptotes and r = phi - A a
# remainder that vanishes within a few units of 0 (Gaussian tails for gelu, exponential
# for the rest). Then E[phi phi] = E[A A] + 2 E[A(u1) r(u2)] + E[r(u1) r(u2)]: the first
# in closed form (arc-cosine kernels and E[relu(u1) [u2 > 0]] = sqrt(q) (1 + c) /
# (2 sqrt(2 pi))), the others integrals over the few units where r lives, so their cost
# does not grow with q as a quadrature over the whole Gaussian's reach does. The same
# holds for phi' = A' + r' (A' a step of heights a and b).

# From q = 16 the split costs a fraction of the bivariate quadrature and agrees with a
# brute-force double integral to 1e-9; past q ~ 10^3 the quadrature, whose panels follow
# the Gaussian, lets r fall between them (1e-3 off at 10^6), and only the split is exact.
SPLIT_Q = 16.0
_REMAINDER_TOL = 1e-17


def _asymptote(act, deriv: bool) -> tuple[float, float, float, float]:
    """(a, b, P, N) of A, the asymptotes of phi (deriv: of phi')."""
    if deriv:
        return 0.0, 0.0, act.pos_slope, act.neg_slope
    return act.pos_slope, act.neg_slope, act.pos_limit, act.neg_limit


def _asymptote_at(shape, u: np.ndarray) -> np.ndarray:
    a, b, P, N = shape
    return np.where(u > 0, a * u + P, b * u + N)


def _relu_step(c: float) -> float:
    """E[relu(u1) [u2 > 0]] / sqrt(q), u1 and u2 standard with correlation c."""
    return (1.0 + c) / (2.0 * math.sqrt(2.0 * math.pi))


def _asymptote_cross(shape, q: float, c: float) -> float:
    """E[A(u1) A(u2)]: slopes with slopes, steps with steps, and each with the other."""
    a, b, P, N = shape
    mixed = a * P * _relu_step(c) + a * N * _relu_step(-c) - b * P * _relu_step(-c) \
        - b * N * _relu_step(c)
    return q * _two_slope(a, b, c, False) + 2 * math.sqrt(q) * mixed + _step_kernel(P, N, c)


@lru_cache(maxsize=None)
def _reach(name: str, deriv: bool) -> float:
    """Where phi - A (or phi' - A') has fallen below _REMAINDER_TOL for good."""
    act = activations.get(name)
    f = act.deriv if deriv else act.fn
    u = np.linspace(-200.0, 200.0, 3201)
    big = np.abs(f(u) - _asymptote_at(_asymptote(act, deriv), u)) > _REMAINDER_TOL
    return float(np.abs(u[big]).max()) + 1.0 if big.any() else 1.0


def _local_nodes(reach: float, sd_cond: float) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes (unit weight) over [-reach, reach]: panels of width 1 out to
    8, then 2, then 4 (the remainders decay at least exponentially, at rate 1), an edge at
    the kink at 0, and edges graded down to sd_cond about it, where the conditional
    expectation of the other input turns over."""
    def side(top):
        return np.unique(np.concatenate([np.arange(0.0, min(8.0, top), 1.0),
                                         np.arange(8.0, min(20.0, top), 2.0),
                                         np.arange(20.0, top, 4.0), [top]]))
    edges = side(reach)
    if 0.0 < sd_cond < 0.5:
        edges = np.unique(np.concatenate([edges, 0.5 * sd_cond * 2.0 ** np.arange(
            int(math.log2(1.0 / sd_cond)) + 1)]))
    edges = np.concatenate([-edges[:0:-1], edges])
    half = 0.5 * (edges[1:] - edges[:-1])[:, None]
    u = half * _GL6_X + 0.5 * (edges[1:] + edges[:-1])[:, None]
    return u.ravel(), (half * _GL6_W).ravel()


def _normal_pdf(x: np.ndarray, var: float) -> np.ndarray:
    return np.exp(-0.5 * x * x / var) / math.sqrt(2.0 * math.pi * var)


def _split_cross(act, q: float, c: float, deriv: bool) -> float:
    """E[f(u1) f(u2)], f = phi or phi', as asymptotes plus remainder (see above)."""
    shape = _asymptote(act, deriv)
    f = act.deriv if deriv else act.fn
    var = q * (1.0 - c * c)                     # of u1 given u2 (and u2 given u1)
    sd = math.sqrt(max(var, 0.0))
    u, unit = _local_nodes(_reach(act.name, deriv), sd)
    r = f(u) - _asymptote_at(shape, u)
    w = unit * _normal_pdf(u, q)
    given = _asymptote_given(shape, c * u, sd)  # E[A(u1) | u2 = u]
    return (_asymptote_cross(shape, q, c) + 2.0 * float(w @ (r * given))
            + float(w @ (r * _remainder_given(f, shape, c * u, var, u, unit * r))))


def _asymptote_given(shape, mean: np.ndarray, sd: float) -> np.ndarray:
    """E[A(x)] for x ~ N(mean, sd^2), each mean: relu's and the step's Gaussian means."""
    if sd == 0.0:
        return _asymptote_at(shape, mean)
    a, b, P, N = shape
    z = mean / sd
    up, down = normal.cdf(z), normal.cdf(-z)
    bump = sd * np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return a * (mean * up + bump) - b * (-mean * down + bump) + P * up + N * down


def _remainder_given(f, shape, mean: np.ndarray, var: float, u: np.ndarray,
                     wr: np.ndarray) -> np.ndarray:
    """E[r(x)] for x ~ N(mean, var), each mean: over the local nodes `u` (`wr`: their
    weights times r there) when the density is wider than their widest panel, else over
    nodes about each mean."""
    if var >= 16.0:
        return _normal_pdf(u[None, :] - mean[:, None], var) @ wr
    if var <= 0.0:
        return f(mean) - _asymptote_at(shape, mean)
    x, wx = _conditional_nodes(mean, var)
    return np.sum(wx * (f(x) - _asymptote_at(shape, x)), axis=1)


# -- the map and its fixed point ---------------------------------------------------------

def correlation_step(activation: str, q: float, c: float, sigma_w2: float,
                     sigma_b2: float) -> tuple[float, float]:
    """(q_{l+1}, c_{l+1}) from (q_l, c_l). Both from the same expectation (q_{l+1} is the
    cross moment at c = 1), so c = 1 maps to exactly 1. At q = inf sigma_b2 no longer
    counts and the map is that of phi's asymptotes; two signals that are both exactly
    zero count as identical (c = 1).

    >>> q, c = correlation_step("linear", 1.0, 0.5, 2.0, 1.0)   # (2 * 0.5 + 1) / (2 + 1)
    >>> q, round(c, 12)
    (3.0, 0.666666666667)
    """
    if q == math.inf:
        act = activations.get(activation)
        return math.inf, _clip(_far_cross(act, 1.0, c, False) / _far_cross(act, 1.0, 1.0, False))
    top = sigma_w2 * cross_moment(activation, q, 1.0) + sigma_b2
    if top <= 0.0:
        return 0.0, 1.0
    return top, _clip((sigma_w2 * cross_moment(activation, q, c) + sigma_b2) / top)


def _clip(c: float) -> float:
    return min(1.0, max(-1.0, c))


def correlation_map(activation: str, c: float, q: float, sigma_w2: float, sigma_b2: float) -> float:
    """c_{l+1} from c_l = c for two inputs whose pre-activations have variance q."""
    return correlation_step(activation, q, c, sigma_w2, sigma_b2)[1]


def first_layer(q0: float, c0: float, sigma_w2: float, sigma_b2: float) -> tuple[float, float]:
    """(q_1, c_1): the first layer's pre-activations for two inputs with E[x^2] = q0 and
    correlation c0 (h = x W + b: only the inputs' second moments count)."""
    q1 = sigma_w2 * q0 + sigma_b2
    return q1, (sigma_w2 * q0 * c0 + sigma_b2) / q1 if q1 > 0 else 1.0


def correlation_trajectory(activation: str, sigma_w2: float, sigma_b2: float, c0: float,
                           depth: int, q0: float = 1.0) -> np.ndarray:
    """c_l for l = 1..depth: the pre-activations' correlation, layer by layer, for two
    inputs with E[x^2] = q0 and correlation c0. Costs `depth` cross moments (closed forms
    for homogeneous activations, a bivariate quadrature for the rest).

    >>> c = correlation_trajectory("relu", 2.0, 0.0, 0.0, 3)      # c_2 = k(0) = 1/pi
    >>> float(c[0]), bool(abs(c[1] - 1 / math.pi) < 1e-15)
    (0.0, True)
    """
    q, c = first_layer(q0, c0, sigma_w2, sigma_b2)
    out = np.empty(depth)
    for i in range(depth):
        out[i] = c
        q, c = correlation_step(activation, q, c, sigma_w2, sigma_b2)
    return out


def _map_slope(activation: str, q: float, c: float, sigma_w2: float, sigma_b2: float) -> float:
    """d c_{l+1} / d c_l = sigma_w2 q E[phi'(u1) phi'(u2)] / q_{l+1} (Price's theorem),
    chi_c at q*. At q = inf (unbounded phi only) the asymptotes' kernel; at q = 0 (phi(0)
    = 0, no bias) phi's tangents at 0: a linear network, whose map is the identity when
    the two slopes agree."""
    act = activations.get(activation)
    if q == math.inf:
        return _far_cross(act, 1.0, c, True) / _far_cross(act, 1.0, 1.0, False)
    if q == 0.0:
        _, lo, hi = _slopes0(act.name)
        return _two_slope(hi, lo, c, True) / _two_slope(hi, lo, 1.0, False)
    top = sigma_w2 * cross_moment(activation, q, 1.0) + sigma_b2
    return sigma_w2 * q * cross_moment(activation, q, c, deriv=True) / top


def c_star(activation: str, sigma_w2: float, sigma_b2: float, q0: float = 1.0) -> float:
    """The correlation two inputs reach at depth: 1 where c = 1 attracts (the ordered
    phase, chi1 <= 1), else the stable fixed point c* < 1 of the map at q* (Poole et al.
    2016; Schoenholz et al. 2017), between -1 and 1 since |c_{l+1}| <= 1.

    >>> c_star("tanh", 1.0, 0.05)
    1.0
    >>> abs(c_star("tanh", 4.0, 0.0)) < 1e-12           # odd phi, no bias: c* = 0
    True
    """
    q = fixed_point(activation, sigma_w2, sigma_b2, q0)
    if _map_slope(activation, q, 1.0, sigma_w2, sigma_b2) <= 1.0 + REL_TOL:
        return 1.0
    gap = lambda c: correlation_step(activation, q, c, sigma_w2, sigma_b2)[1] - c
    hi = _inside(gap, 1.0, lambda g: g < 0.0)
    if hi is None:
        return 1.0                           # c = 1 repels too weakly to resolve
    lo = _inside(gap, -1.0, lambda g: g > 0.0)   # c = -1 is fixed too for odd phi, no bias
    if lo is None:
        return -1.0
    return _clip(_root(gap, lo, hi, gap(lo), gap(hi)))


def _inside(gap, end: float, ok) -> float | None:
    """The point nearest `end` (itself, then 1e-3, 1e-5 ... 1e-9 inside) where ok(gap)."""
    if ok(gap(end)):
        return end
    for k in range(3, 11, 2):
        c = end - math.copysign(10.0**-k, end)
        if ok(gap(c)):
            return c
    return None


# -- depth scales ----------------------------------------------------------------------

@dataclass(frozen=True)
class DepthScales:
    """Where a (phi, sigma_w2, sigma_b2) network takes two inputs, and how fast."""
    q_star: float      # the length map's attractor reached from q0 (0 or inf possible)
    c_star: float      # the correlation map's attractor
    chi1: float        # slope of the correlation map at c = 1
    chi_c: float       # slope of the correlation map at c*
    xi_c: float        # -1 / ln chi_c: layers over which |c_l - c*| shrinks by e
    xi_q: float        # -1 / ln L'(q*): layers over which |q_l - q*| shrinks by e


def depth_scales(activation: str, sigma_w2: float, sigma_b2: float, q0: float = 1.0) -> DepthScales:
    """q*, c*, chi1, chi_c, xi_c and xi_q (Schoenholz et al. 2017, section 3). chi_c is the
    correlation map's slope at c*: sigma_w2 E[phi'(u1) phi'(u2)] at (q*, c*), chi1 itself
    where c* = 1 and q* is finite; xi_c diverges where chi_c reaches 1, on the critical
    line. At q* = 0 or inf the limits of the map's slope (see `_map_slope`)."""
    q = fixed_point(activation, sigma_w2, sigma_b2, q0)
    cs = c_star(activation, sigma_w2, sigma_b2, q0)
    chi1 = criticality.chi1(activation, sigma_w2, sigma_b2, q=q)
    if cs == 1.0 and 0.0 < q < math.inf:
        chi_c = chi1
    else:
        chi_c = _map_slope(activation, q, cs, sigma_w2, sigma_b2)
    slope_q = abs(length_map_slope(activation, q, sigma_w2))
    return DepthScales(q, cs, chi1, chi_c, criticality.xi_c(chi_c), criticality.xi_c(slope_q))


def length_map_slope(activation: str, q: float, sigma_w2: float) -> float:
    """dq_{l+1}/dq_l = sigma_w2 E[u phi(u) phi'(u)] / q by Stein's lemma, which is
    Schoenholz et al. 2017's chi1 + sigma_w2 E[phi''(u) phi(u)] without phi'' (relu has
    none). At q = 0: sigma_w2 times phi's mean slope squared at 0; at q = inf: sigma_w2
    times its asymptotic slope squared.

    >>> length_map_slope("relu", 3.0, 2.0)                 # He: every q is fixed
    1.0
    """
    act = activations.get(activation)
    if act.homogeneous or q > 10.0**_MID:
        return sigma_w2 * _slope2(act)
    if q < 10.0**-_MID:
        _, lo, hi = _slopes0(act.name)
        return sigma_w2 * 0.5 * (lo * lo + hi * hi)
    return sigma_w2 * gaussian_expectation(lambda u: u * act.fn(u) * act.deriv(u), q) / q

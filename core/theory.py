"""Mean-field theory of signal propagation (Poole et al. 2016, Schoenholz et al. 2017).

Weights W ~ N(0, sigma_w2 / fan_in), biases ~ N(0, sigma_b2). A wide network's
pre-activations are Gaussian with variance q, which obeys the *length map*

    q_{l+1} = sigma_w2 * E_z[phi(sqrt(q_l) z)^2] + sigma_b2,     z ~ N(0, 1)

and gradients are multiplied, layer by layer, by

    chi1 = sigma_w2 * E_z[phi'(sqrt(q) z)^2]       (< 1 ordered: vanish, > 1 chaotic: explode).

>>> round(critical_sigma_w2("relu", 0.0), 6)        # He initialization: 2 / fan_in
2.0
>>> round(critical_sigma_w2("tanh", 0.05), 2)       # the tanh critical line at sigma_b^2 = 0.05
1.76
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import activations
from .spec import NetworkSpec

_LN10 = math.log(10.0)
_GL_X, _GL_W = np.polynomial.legendre.leggauss(10)
_MID = 150.0        # |log10 q| beyond which the asymptotic forms are exact to float64


# -- Gaussian expectations ------------------------------------------------------------

def _panels(q: float) -> np.ndarray:
    """Breakpoints in u = sqrt(q) z: fine panels where activations have their features
    (|u| < ~20, always with a breakpoint at 0 for kinks), coarse ones out to 10 sigma.
    Plain Gauss-Hermite in z would step over features narrower than its node spacing,
    which is what sech^4(sqrt(q) z) becomes once q is large."""
    s = math.sqrt(q)
    reach = 10.0 * s
    fine = min(20.0, reach)
    inner = np.linspace(-fine, fine, 2 * max(8, int(math.ceil(fine / min(0.5, s / 4)))) + 1)
    if reach <= fine:
        return inner
    outer = np.linspace(fine, reach, 41)[1:]
    return np.concatenate([-outer[::-1], inner, outer])


def gaussian_expectation(f, q: float) -> float:
    """E_z[f(sqrt(q) z)] for z ~ N(0, 1), by composite Gauss-Legendre quadrature in u.

    >>> round(gaussian_expectation(lambda u: u * u, 3.0), 12)
    3.0
    """
    if q <= 0:
        return float(f(np.zeros(1))[0])
    edges = _panels(q)
    a, b = edges[:-1, None], edges[1:, None]
    u = 0.5 * (b - a) * _GL_X + 0.5 * (a + b)
    w = 0.5 * (b - a) * _GL_W
    density = np.exp(-0.5 * u * u / q) / math.sqrt(2.0 * math.pi * q)
    return float(np.sum(w * density * f(u)))


@lru_cache(maxsize=None)
def _tail_constants(name: str) -> tuple[float, float]:
    """For activations with zero slope at infinity: integral of phi'^2, so that
    E[phi'(sqrt(q) z)^2] -> K / sqrt(2 pi q) for large q; and phi(0)."""
    act = activations.get(name)
    u = np.linspace(-60.0, 60.0, 240001)
    k = float(np.trapezoid(act.deriv(u) ** 2, u))
    return k, float(act.fn(np.zeros(1))[0])


def _log10_second_moment(act, log10_q: float) -> float:
    """log10 E[phi(sqrt(q) z)^2], exact in log space for any q."""
    ps, ns, pl, nl = act.pos_slope, act.neg_slope, act.pos_limit, act.neg_limit
    if act.homogeneous or log10_q > _MID:
        slope2 = 0.5 * (ps * ps + ns * ns)
        if slope2 > 0:
            return math.log10(slope2) + log10_q
        return math.log10(0.5 * (pl * pl + nl * nl))
    if log10_q < -_MID:
        d0 = act.deriv(np.array([-1e-300, 1e-300]))
        phi0 = _tail_constants(act.name)[1]
        slope2 = 0.5 * float(d0[0] ** 2 + d0[1] ** 2)
        return _log10_add(2 * math.log10(abs(phi0)) if phi0 else -math.inf,
                          math.log10(slope2) + log10_q)
    m2 = gaussian_expectation(lambda u: act.fn(u) ** 2, 10.0**log10_q)
    return math.log10(m2) if m2 > 0 else -math.inf


def _log10_var_phi(act, log10_q: float) -> float:
    """log10 Var[phi(sqrt(q) z)], the activation variance the theory predicts."""
    if act.homogeneous or log10_q > _MID:
        ps, ns = act.pos_slope, act.neg_slope
        c = 0.5 * (ps * ps + ns * ns) - ((ps - ns) / math.sqrt(2 * math.pi)) ** 2
        if c > 0:
            return math.log10(c) + log10_q
        return math.log10(0.5 * (act.pos_limit**2 + act.neg_limit**2)
                          - (0.5 * (act.pos_limit + act.neg_limit)) ** 2)
    if log10_q < -_MID:
        d0 = act.deriv(np.array([-1e-300, 1e-300]))
        c = 0.5 * float(d0[0] ** 2 + d0[1] ** 2) - (float(d0[1] - d0[0]) / math.sqrt(2 * math.pi)) ** 2
        return math.log10(c) + log10_q
    q = 10.0**log10_q
    m1 = gaussian_expectation(act.fn, q)
    var = gaussian_expectation(lambda u: (act.fn(u) - m1) ** 2, q)
    return math.log10(var) if var > 0 else -math.inf


def _deriv_second_moment(act, q: float) -> float:
    """E[phi'(sqrt(q) z)^2]."""
    if act.homogeneous:
        return 0.5 * (act.pos_slope**2 + act.neg_slope**2)
    if q > 10.0**_MID:
        slope2 = 0.5 * (act.pos_slope**2 + act.neg_slope**2)
        return slope2 if slope2 > 0 else _tail_constants(act.name)[0] / math.sqrt(2 * math.pi * q)
    return gaussian_expectation(lambda u: act.deriv(u) ** 2, q)


def _log10_add(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    return float(np.logaddexp(a * _LN10, b * _LN10) / _LN10)


# -- maps, fixed points, criticality --------------------------------------------------

def length_map(activation: str, q: float, sigma_w2: float, sigma_b2: float) -> float:
    """One step of the length map: the next layer's pre-activation variance."""
    act = activations.get(activation)
    return sigma_w2 * gaussian_expectation(lambda u: act.fn(u) ** 2, q) + sigma_b2


def fixed_point(activation: str, sigma_w2: float, sigma_b2: float) -> float:
    """The stable fixed point q* of the length map (inf if q grows without bound).

    >>> fixed_point("linear", 0.5, 1.0)              # q = 0.5 q + 1
    2.0
    """
    act = activations.get(activation)
    if act.homogeneous:
        c = sigma_w2 * 0.5 * (act.pos_slope**2 + act.neg_slope**2)
        if c < 1.0:
            return sigma_b2 / (1.0 - c)
        return 0.0 if (c == 1.0 and sigma_b2 == 0.0) else math.inf

    def gap(log10_q):         # > 0 where the map pushes q up
        return _log10_add(math.log10(sigma_w2) + _log10_second_moment(act, log10_q),
                          math.log10(sigma_b2) if sigma_b2 > 0 else -math.inf) - log10_q

    grid = np.linspace(-12.0, 12.0, 97)
    gaps = [gap(g) for g in grid]
    if gaps[-1] > 0:
        return math.inf
    if all(g <= 0 for g in gaps):
        return 0.0
    # the stable fixed point: the last crossing from "pushed up" to "pushed down"
    k = max(i for i in range(len(grid) - 1) if gaps[i] > 0 >= gaps[i + 1])
    lo, hi = grid[k], grid[k + 1]
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if gap(mid) > 0 else (lo, mid)
    return 10.0 ** (0.5 * (lo + hi))


def chi1(activation: str, sigma_w2: float, sigma_b2: float, q: float | None = None) -> float:
    """sigma_w2 * E[phi'(sqrt(q) z)^2], at the fixed point q* unless q is given."""
    act = activations.get(activation)
    if q is None:
        q = fixed_point(activation, sigma_w2, sigma_b2)
    if math.isinf(q):
        q = 10.0 ** (2 * _MID)
    return sigma_w2 * _deriv_second_moment(act, q)


def critical_sigma_w2(activation: str, sigma_b2: float) -> float:
    """The sigma_w2 where chi1 = 1: the edge of chaos, where depth is free (inf if chi1
    stays below 1 up to sigma_w2 = 10^4).

    >>> 16 < critical_sigma_w2("sigmoid", 0.0) < 1e4     # phi' <= 1/4: chi1 <= sigma_w2 / 16
    True
    """
    lo, hi = math.log10(0.05), 4.0
    if chi1(activation, 10.0**hi, sigma_b2) < 1.0:
        return math.inf
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if chi1(activation, 10.0**mid, sigma_b2) < 1.0:
            lo = mid
        else:
            hi = mid
    return 10.0 ** (0.5 * (lo + hi))


def xi_c(chi1_value: float) -> float:
    """Depth scale of correlations in the ordered phase, -1 / ln(chi1); inf at chi1 >= 1."""
    if chi1_value >= 1.0:
        return math.inf
    if chi1_value <= 0.0:
        return 0.0
    return -1.0 / math.log(chi1_value)


def gradient_depth_scale(chi1_value: float) -> float:
    """Layers over which gradient variance changes by a factor e: 1 / |ln chi1|."""
    return math.inf if chi1_value == 1.0 else 1.0 / abs(math.log(chi1_value))


# -- the prediction for a whole spec --------------------------------------------------

@dataclass(frozen=True)
class Prediction:
    log10_preact_var: np.ndarray     # (depth,)
    log10_act_var: np.ndarray
    chi1: np.ndarray                 # per layer, at that layer's q
    log10_grad_var: np.ndarray       # relative to the last layer's, anchored there by caller
    covers_norm: bool                # False where the gradient prediction does not model the spec
    covers_forward: bool = True      # False where normalized sets are too small to be Gaussian


# A normalized set of fewer values than this is visibly non-Gaussian (two values
# normalize to exactly +-1), which the mean-field forward prediction assumes.
MIN_GAUSSIAN_SET = 16


def norm_set_size(spec: NetworkSpec) -> int:
    """How many values share one set of normalization statistics.

    >>> norm_set_size(NetworkSpec(norm="instance", spatial=2))
    2
    """
    sizes = {"none": spec.width * spec.spatial, "batch": spec.batch * spec.spatial,
             "layer": spec.width * spec.spatial, "rms": spec.width * spec.spatial,
             "instance": spec.spatial, "group": spec.width // spec.groups * spec.spatial}
    return sizes[spec.norm]


def _input_second_moment(spec: NetworkSpec) -> float:
    return 1.0 if spec.input_dist == "normal" else 1.0 / 3.0     # U[0,1]: E[x^2] = 1/3


def predict(spec: NetworkSpec, anchor_log10_grad_var: float = 0.0) -> Prediction:
    """Per-layer mean-field prediction for `spec`.

    Normalization is modelled as what it guarantees: unit variance (times gamma^2,
    plus beta^2) where it acts. Gradients are predicted, anchored at the last layer's
    value you pass in, for residual-free networks without a norm or with LayerNorm or
    RMSNorm before the activation; `covers_norm` is False for the rest."""
    act = activations.get(spec.activation)
    sw2 = spec.sigma_w2
    lsw2 = math.log10(sw2)
    lsb2 = math.log10(spec.bias_var) if spec.bias_var > 0 else -math.inf
    g2, b2 = spec.norm_gamma**2, spec.norm_beta**2
    centred = spec.norm != "rms"
    norm_before = spec.norm != "none" and spec.norm_position == "before"
    norm_after = spec.norm != "none" and spec.norm_position == "after"
    log_stream = math.log10(_input_second_moment(spec))    # E[x^2] of the layer input
    pre, actv, chis = [], [], []
    for _ in range(spec.depth):
        log_q = _log10_add(lsw2 + log_stream, lsb2)
        pre.append(log_q)
        if norm_before:      # the activation sees gamma * z + beta, z ~ N(0, 1)
            m1, m2, v = _shifted_moments(act, spec.norm_gamma, spec.norm_beta)
            actv.append(v)
            log_f2 = m2
            # backward through the norm divides by the pre-activation's std
            chis.append(sw2 * _shifted_deriv_moment(act, spec.norm_gamma, spec.norm_beta)
                        * g2 / 10.0**log_q)
        else:
            actv.append(_log10_var_phi(act, log_q))
            log_f2 = _log10_second_moment(act, log_q)
            chis.append(sw2 * _deriv_second_moment(act, 10.0**min(log_q, 2 * _MID)))
        if norm_after:
            # centred norms: E[(gamma x_hat + beta)^2] = gamma^2 + beta^2; RMSNorm's x_hat
            # keeps the activation's mean, E[x_hat] = E[phi] / sqrt(E[phi^2])
            cross = 0.0
            if not centred and spec.norm_beta:
                cross = 2 * spec.norm_gamma * spec.norm_beta * _normalized_mean(act, log_q)
            log_f2 = math.log10(g2 + b2 + cross)
        if spec.residual:
            log_stream = _log10_add(log_stream, 2 * math.log10(spec.residual_scale) + log_f2)
        else:
            log_stream = log_f2
    chis = np.array(chis)
    with np.errstate(divide="ignore"):
        log_chi = np.log10(chis)
    # E[g_l^2] = chi_l * E[g_{l+1}^2]: cumulative product from the last layer down
    tail = np.concatenate([np.cumsum(log_chi[:-1][::-1])[::-1], [0.0]])
    return Prediction(np.array(pre), np.array(actv), chis, anchor_log10_grad_var + tail,
                      covers_norm=not (spec.residual or norm_after or _couples_units(spec)),
                      covers_forward=norm_set_size(spec) >= MIN_GAUSSIAN_SET)


def _couples_units(spec: NetworkSpec) -> bool:
    """Norms whose backward pass the per-example chi1 above does not describe: BatchNorm
    (statistics over the batch couple the examples, whose correlations the single-input
    map does not track), InstanceNorm and GroupNorm with G > 1 (small sets, whose mean
    carries the activation's offset: their variance is not q). LayerNorm and RMSNorm
    average over every unit of an example, as the theory does."""
    return spec.norm == "batch" or spec.norm == "instance" or (
        spec.norm == "group" and spec.groups > 1)


def _shifted_moments(act, gamma: float, beta: float) -> tuple[float, float, float]:
    """E[phi(gamma z + beta)], and log10 of its second moment and of its variance."""
    m1 = gaussian_expectation(lambda u: act.fn(gamma * u + beta), 1.0)
    m2 = gaussian_expectation(lambda u: act.fn(gamma * u + beta) ** 2, 1.0)
    var = gaussian_expectation(lambda u: (act.fn(gamma * u + beta) - m1) ** 2, 1.0)
    return (m1, math.log10(m2) if m2 > 0 else -math.inf,
            math.log10(var) if var > 0 else -math.inf)


def _shifted_deriv_moment(act, gamma: float, beta: float) -> float:
    return gaussian_expectation(lambda u: act.deriv(gamma * u + beta) ** 2, 1.0)


def _normalized_mean(act, log10_q: float) -> float:
    q = 10.0 ** min(max(log10_q, -_MID), _MID)
    m1 = gaussian_expectation(act.fn, q)
    m2 = gaussian_expectation(lambda u: act.fn(u) ** 2, q)
    return m1 / math.sqrt(m2) if m2 > 0 else 0.0

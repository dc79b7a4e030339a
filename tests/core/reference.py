"""Independent reference implementations the core tests compare against.

Nothing here imports the code under test's numerics: special functions are written out
(recurrence + asymptotic series), Gaussian expectations use NumPy's Gauss-Hermite rule,
and the chi-square facts are textbook ones:

    if S ~ chi2_k then E[ln S] = digamma(k/2) + ln 2 and Var[ln S] = trigamma(k/2).
"""

from __future__ import annotations

import math

import numpy as np

EULER_GAMMA = 0.57721566490153286060651209008240243


def digamma(x: float) -> float:
    """psi(x) for x > 0: push x above 12 with psi(x) = psi(x + 1) - 1/x, then the
    asymptotic series ln x - 1/(2x) - sum B_2k / (2k x^2k)."""
    if not x > 0:
        raise ValueError("digamma here is for x > 0")
    acc = 0.0
    while x < 12.0:
        acc -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    series = f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132)))))
    return acc + math.log(x) - 0.5 / x - series


def trigamma(x: float) -> float:
    """psi'(x) for x > 0: psi'(x) = psi'(x + 1) + 1/x^2, then
    1/x + 1/(2x^2) + sum B_2k / x^(2k+1)."""
    if not x > 0:
        raise ValueError("trigamma here is for x > 0")
    acc = 0.0
    while x < 12.0:
        acc += 1.0 / (x * x)
        x += 1.0
    f = 1.0 / (x * x)
    series = (1 / x) * (1 + f * (1 / 6 - f * (1 / 30 - f * (1 / 42 - f * (1 / 30 - f * 5 / 66)))))
    return acc + 0.5 * f + series


def e_log_chi2(k: float) -> float:
    """E[ln S], S ~ chi2_k."""
    return digamma(k / 2) + math.log(2.0)


def var_log_chi2(k: float) -> float:
    """Var[ln S], S ~ chi2_k."""
    return trigamma(k / 2)


def log_binomial_pmf(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2)


def relu_square_sum_log_moments(n: int) -> tuple[float, float]:
    """E and Var of ln sum_j relu(z_j)^2 over n iid standard normals.

    The sum is chi2_K with K ~ Binomial(n, 1/2) (the positive z's); K = 0, which has
    probability 2^-n, is left out (it is below 1e-30 for the widths used)."""
    ks = range(1, n + 1)
    p = np.array([math.exp(log_binomial_pmf(n, k)) for k in ks])
    m = np.array([e_log_chi2(k) for k in ks])
    v = np.array([var_log_chi2(k) for k in ks])
    mean = float(np.sum(p * m))
    var = float(np.sum(p * v) + np.sum(p * (m - mean) ** 2))   # law of total variance
    return mean, var


_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(160)
_GH_W = _GH_W / _GH_W.sum()            # probabilists' weights -> expectation under N(0, 1)


def gauss_hermite(f, q: float) -> float:
    """E_z[f(sqrt(q) z)], z ~ N(0, 1), by 160-point Gauss-Hermite (fine for smooth f and
    moderate q; not for kinks or features narrow compared with sqrt(q))."""
    return float(np.sum(_GH_W * f(math.sqrt(q) * _GH_X)))


def true_value(stored, scale) -> np.ndarray:
    """stored * 10**scale for scales float64 can represent."""
    return np.asarray(stored, dtype=np.float64) * 10.0 ** scale


_TZ = np.linspace(-12.0, 12.0, 48_001)        # N(0, 1) mass beyond 12 sd is ~1e-32
_TW = np.exp(-0.5 * _TZ**2) / math.sqrt(2 * math.pi) * (_TZ[1] - _TZ[0])
_MID = len(_TZ) // 2                           # the node at z = 0


def gauss_trapezoid(f, q: float) -> float:
    """E_z[f(sqrt(q) z)] by the trapezoid rule in z with step 5e-4: exponentially
    accurate for analytic f (error ~ exp(-2 pi d / step), d the distance from the real
    axis to f(sqrt(q) z)'s nearest singularity: pi / (2 sqrt q) for tanh), second order
    for functions with a kink or a jump at 0 (f(0) is taken as the mean of its one-sided
    limits, which is the trapezoid rule on each half line). For q up to ~100."""
    vals = np.asarray(f(math.sqrt(q) * _TZ), dtype=np.float64)
    tiny = np.array([-1e-300, 1e-300])
    vals[_MID] = float(np.mean(f(tiny)))
    return float(np.sum(_TW * vals))


def batch_running_stats(batches, momentum: float = 0.1):
    """PyTorch's BatchNorm running statistics over (batch, positions, channels) arrays,
    written out plainly: start at mean 0, var 1; update with the unbiased batch variance."""
    running_mean = running_var = None
    for x in batches:
        n = x.shape[0] * x.shape[1]
        mean = x.mean(axis=(0, 1))
        var_unbiased = x.var(axis=(0, 1)) * n / max(n - 1, 1)
        if running_mean is None:
            running_mean, running_var = np.zeros_like(mean), np.ones_like(var_unbiased)
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var_unbiased
    return running_mean, running_var


def normalize_eval(x: np.ndarray, running_mean, running_var, eps: float = 1e-5) -> np.ndarray:
    """BatchNorm in eval mode: the running statistics stand in for the batch's."""
    return (x - running_mean) / np.sqrt(running_var + eps)


def iterate_length_map(phi, sw2: float, sb2: float, q0: float = 1.0, steps: int = 3000) -> float:
    """The length map iterated by brute force with gauss_trapezoid: q_1 = sw2 q0 + sb2, then
    q' = sw2 E[phi(sqrt(q) z)^2] + sb2 until q settles (returned), dies (0) or runs away
    past 10^4 (inf)."""
    q = sw2 * q0 + sb2
    for _ in range(steps):
        new = sw2 * gauss_trapezoid(lambda u: phi(u) ** 2, q) + sb2
        if new > 1e4:
            return math.inf
        if new < 1e-30 or abs(new - q) <= 1e-14 * q:
            return new if new >= 1e-30 else 0.0
        q = new
    return q


def chi_at(dphi, sw2: float, q: float) -> float:
    """chi1 = sw2 E[phi'(sqrt(q) z)^2] by gauss_trapezoid."""
    return sw2 * gauss_trapezoid(lambda u: dphi(u) ** 2, q)


def gauss_hermite_pair(f, g, q: float, c: float) -> float:
    """E[f(u1) g(u2)], (u1, u2) with variances q and correlation c, by a 160 x 160
    Gauss-Hermite product rule in u1 = sqrt(q) z1, u2 = sqrt(q) (c z1 + sqrt(1 - c^2) z2)
    (smooth f, g and q up to ~2: at q = 10 tanh is already off by 1e-5)."""
    s = math.sqrt(q)
    z1, z2 = _GH_X[:, None], _GH_X[None, :]
    vals = f(s * z1) * g(s * (c * z1 + math.sqrt(1.0 - c * c) * z2))
    return float(_GH_W @ vals @ _GH_W)


def iterate_correlation_map(phi, sw2: float, sb2: float, q: float, c: float, steps: int):
    """The correlation map iterated with gauss_hermite_pair at a fixed q (the length map's
    fixed point): [c_0, c_1, ..., c_steps]."""
    cs = [c]
    for _ in range(steps):
        c = (sw2 * gauss_hermite_pair(phi, phi, q, c) + sb2) / (sw2 * gauss_hermite(lambda u: phi(u) ** 2, q) + sb2)
        cs.append(c)
    return cs


_GL8_X, _GL8_W = np.polynomial.legendre.leggauss(8)


def _composite(edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.unique(edges)
    a, b = edges[:-1, None], edges[1:, None]
    return ((b - a) / 2 * _GL8_X + (a + b) / 2).ravel(), ((b - a) / 2 * _GL8_W).ravel()


def _dense_nodes(q: float, reach: float, sd: float = math.inf) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for u ~ N(0, q): 8-point Gauss-Legendre panels a quarter wide
    within `reach` of 0 (where activations have their features), 1/33 of sqrt(q) wide out
    to 12 sqrt(q), and 1/4 of sd wide within 12 sd of 0 when sd < 1."""
    s = math.sqrt(q)
    edges = np.concatenate([np.arange(-reach, reach + 1e-9, 0.25), np.linspace(-12 * s, 12 * s, 801)])
    if sd < 1.0:
        edges = np.concatenate([edges, sd * np.linspace(-12, 12, 97)])
    u, w = _composite(edges)
    w = w * np.exp(-u * u / (2 * q)) / math.sqrt(2 * math.pi * q)
    return u[w > 1e-300], w[w > 1e-300]


def dense_single(f, q: float, reach: float = 45.0) -> float:
    """E[f(u)], u ~ N(0, q), by brute force at any q (`_dense_nodes`)."""
    u, w = _dense_nodes(q, reach)
    return float(w @ f(u))


def dense_pair(f, g, q: float, c: float, reach: float = 45.0) -> float:
    """E[f(u1) g(u2)] by brute force at any q: u1 over `_dense_nodes`; u2 given u1 over
    the same quarter-wide panels near 0 and panels an eighth of the conditional sigma wide
    about its mean. Slow (about a second a call): a check for where a Gaussian's panels
    and an activation's disagree in scale."""
    sd = math.sqrt(q * (1.0 - c * c))
    u1, w1 = _dense_nodes(q, reach, sd)
    near = np.arange(-reach, reach + 1e-9, 0.25)
    inner = np.empty(len(u1))
    for i, x in enumerate(u1):
        u2, w2 = _composite(np.concatenate([near, c * x + sd * np.linspace(-12, 12, 193)]))
        w2 = w2 * np.exp(-(u2 - c * x) ** 2 / (2 * sd * sd)) / math.sqrt(2 * math.pi * sd * sd)
        inner[i] = w2 @ g(u2)
    return float(w1 @ (f(u1) * inner))

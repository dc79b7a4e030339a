"""Dynamical isometry: the moments of the input-output Jacobian's squared singular values.

For a wide network J = D_L W_L ... D_1 W_1, free probability multiplies the S-transforms
of the layers' W W^T and D^2 (Pennington, Schoenholz & Ganguli 2017, "Resurrecting the
sigmoid in deep learning through dynamical isometry"). To first order in z that makes
the mean of J J^T's spectrum a product and its variance / mean^2 a sum over layers:

    mean = prod_l sigma_w2 mu1(q_l),
    variance / mean^2 = sum_l (mu2(q_l) / mu1(q_l)^2 - 1 - s1),

with mu_k = E[phi'(sqrt(q) z)^(2k)], s1 = -1 for Gaussian weights (Marchenko-Pastur:
E (W W^T)^2 = 2) and 0 for orthogonal ones. At criticality (mean 1) this is their
sigma^2_{JJ^T} = L (mu2 / mu1^2 - 1 - s1): L for a deep linear Gaussian network (Saxe et
al. 2014's setting), 0 for an orthogonal one, 2L for relu with He's Gaussian weights.

>>> m = jacobian_moments("linear", 1.0, 0.0, depth=100)
>>> m.log10_mean, m.rel_var
(0.0, 100.0)
>>> jacobian_moments("linear", 1.0, 0.0, depth=100, orthogonal=True).rel_var
0.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .. import activations
from .length_map import length_map
from .quadrature import _MID, _slopes0, gaussian_expectation


@dataclass(frozen=True)
class SpectrumMoments:
    log10_mean: float      # log10 of the mean squared singular value of dx_L/dx_0
    rel_var: float         # its variance / mean^2 (inf where phi' is spikier than any moment)

    @property
    def log10_var(self) -> float:
        return 2 * self.log10_mean + (math.log10(self.rel_var) if self.rel_var > 0 else -math.inf)


def slope_moments(activation: str, q: float) -> tuple[float, float]:
    """(mu1, mu2) = (E[phi'^2], E[phi'^4]) at pre-activation variance q; phi's tangents at
    0 below q = 10^-150 and its asymptotes above 10^150 (where a bounded activation's
    mu1 -> 0 and its mu2 / mu1^2 -> inf: returned as (0, inf)).

    >>> slope_moments("relu", 3.0)                     # phi' is 0 or 1: both 1/2
    (0.5, 0.5)
    """
    act = activations.get(activation)
    if act.homogeneous or q > 10.0**_MID:
        lo, hi = act.neg_slope, act.pos_slope
        if lo == hi == 0.0:
            return 0.0, math.inf
    elif q < 10.0**-_MID:
        _, lo, hi = _slopes0(act.name)
    else:
        d = act.deriv
        return (gaussian_expectation(lambda u: d(u) ** 2, q),
                gaussian_expectation(lambda u: d(u) ** 4, q))
    return 0.5 * (lo**2 + hi**2), 0.5 * (lo**4 + hi**4)


def jacobian_moments(activation: str, sigma_w2: float, sigma_b2: float, depth: int,
                     orthogonal: bool = False, q0: float = 1.0) -> SpectrumMoments:
    """The mean and relative variance of the squared singular values of dx_L/dx_0 for a
    wide network of `depth` layers without norms or residuals, each layer at the q_l the
    length map reaches from q0 (Pennington et al. 2017, see the module docstring)."""
    s1 = 0.0 if orthogonal else -1.0
    q = sigma_w2 * q0 + sigma_b2
    log10_mean, rel_var = 0.0, 0.0
    for layer in range(depth):
        mu1, mu2 = slope_moments(activation, q)
        if mu1 == 0.0:
            return SpectrumMoments(-math.inf, math.inf)
        nxt = length_map(activation, q, sigma_w2, sigma_b2) if math.isfinite(q) else q
        repeat = depth - layer if nxt == q else 1        # at q*, every later layer is alike
        log10_mean += repeat * math.log10(sigma_w2 * mu1)
        rel_var += repeat * (mu2 / (mu1 * mu1) - 1.0 - s1)
        if repeat > 1:
            break
        q = nxt
    return SpectrumMoments(log10_mean, rel_var)

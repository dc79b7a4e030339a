"""Finite width: how much the size of the signal varies from one draw of the weights to
the next (Hanin & Rolnick 2018, "How to start training: the effect of initialization and
architecture").

For a positively homogeneous phi without bias each layer multiplies ||x||^2 by an
independent factor sigma_w2 (1/n) sum_j phi(g_j)^2, g_j ~ N(0, 1) (given the layer's
input, Gaussian weights make its pre-activations iid). Over n units that factor has
relative variance kappa / n, kappa = E[phi^4] / E[phi^2]^2 - 1, so at large width

    Var ln(||x_L||^2 / ||x_0||^2) = sum_l kappa / n_l,
    E   ln(||x_L||^2 / ||x_0||^2) = sum_l (ln(sigma_w2 E[phi^2]) - kappa / (2 n_l)).

For relu E[phi^4] / E[phi^2]^2 = (3/2) / (1/4) = 6: kappa = 5, Hanin & Rolnick's
5 sum 1/n_l. A deep narrow network can start dead or exploded although its mean is fine.

>>> law = log_norm_law("relu", 2.0, [100] * 20)
>>> round(law.variance, 12), round(law.mean, 12)              # 5 * 20 / 100
(1.0, -0.5)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from .. import activations


@dataclass(frozen=True)
class LogNormLaw:
    mean: float          # E ln(||x_L||^2 / ||x_0||^2)
    variance: float      # Var ln(||x_L||^2 / ||x_0||^2)


def log_norm_law(activation: str, sigma_w2: float, widths: Sequence[int]) -> LogNormLaw:
    """The large-width law above for layers of `widths` units (zero bias). Only for
    positively homogeneous activations (linear, relu, leaky relu), whose factors do not
    depend on the signal's size."""
    act = activations.get(activation)
    if not act.homogeneous:
        raise ValueError(f"activation={activation!r}: the finite-width law here is for linear, "
                         "relu and leaky_relu (positively homogeneous, no bias)")
    if any(n < 1 for n in widths):
        raise ValueError(f"widths={tuple(widths)} must be at least 1 unit each")
    p2, n2 = act.pos_slope**2, act.neg_slope**2
    kappa = 6 * (p2 * p2 + n2 * n2) / (p2 + n2) ** 2 - 1      # E g^4 = 3 on each half line
    inv = sum(1.0 / n for n in widths)
    gain = math.log(sigma_w2 * 0.5 * (p2 + n2))
    return LogNormLaw(len(widths) * gain - 0.5 * kappa * inv, kappa * inv)

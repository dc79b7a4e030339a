"""Where a network sits in the mean-field phase diagram: ordered, critical or chaotic.

For an activation and a bias variance sigma_b2, the *critical line* is the sigma_w2 at which
chi1 = 1 at the length map's fixed point q*. Below it (ordered phase) gradients shrink by
chi1 < 1 per layer on their way back to the input; above it (chaotic phase) they grow.

The line is traced parametrically (Poole et al. 2016): for each fixed point q, the pair

    sigma_w2 = 1 / E[phi'(sqrt(q) z)^2]            (chi1 = 1 at q)
    sigma_b2 = q - sigma_w2 * E[phi(sqrt(q) z)^2]   (q is a fixed point of the length map)

is a point on it, kept where sigma_b2 >= 0 and the fixed point is stable. That costs two
quadratures a point, instead of a root search inside a root search.

>>> sb2, sw2 = critical_line("relu")
>>> float(sw2[0]), float(sw2[-1])                  # He: 2 at every bias variance
(2.0, 2.0)
>>> round(critical_sigma_w2_at("tanh", 0.05), 2)   # FACTS.md: about 1.761
1.76
>>> p = phase_point("tanh", 1.0, 0.0)             # tanh with Var(W) = 1 / fan_in
>>> p.phase, round(p.chi1, 3)
('critical', 1.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import activations, theory

CRITICAL_TOLERANCE = 0.01      # |ln chi1| below this counts as critical
LOG10_Q_GRID = np.linspace(-6.0, 8.0, 141)


@dataclass(frozen=True)
class PhasePoint:
    activation: str
    sigma_w2: float
    sigma_b2: float
    q_star: float              # stable fixed point of the length map (inf: unbounded)
    chi1: float                # gradient factor per layer at q*
    phase: str                 # "ordered" (gradients vanish), "critical", "chaotic" (explode)
    depth_scale: float         # layers over which the gradient variance changes by e
    critical_sigma_w2: float   # on the critical line at this sigma_b2 (nan: none in range)


def critical_line(activation: str, sigma_b2_max: float = 1.0,
                  points: int = 21) -> tuple[np.ndarray, np.ndarray]:
    """(sigma_b2, sigma_w2) along the critical line at `points` bias variances from 0 to
    sigma_b2_max; sigma_w2 is nan where the line does not reach.

    Homogeneous activations (linear, relu, leaky_relu) have chi1 independent of q, so their
    line is flat: sigma_w2 = 1 / E[phi'^2] for every bias variance. Otherwise, for each
    sigma_b2 the fixed point q on the line solves b(q) = sigma_b2 (see the module note);
    where several stable ones exist, the largest is taken, as `theory.fixed_point` does."""
    act = activations.get(activation)
    targets = np.linspace(0.0, sigma_b2_max, points)
    if act.homogeneous:
        return targets, np.full_like(targets, 1.0 / _slope_inf_squared(act))

    def on_line(log_q):            # (b(q), sigma_w2(q)) of the point with fixed point q
        q = 10.0**log_q
        d2 = theory.gaussian_expectation(lambda u: act.deriv(u) ** 2, q)
        w = 1.0 / d2 if d2 > 0 else math.inf
        return q - w * theory.gaussian_expectation(lambda u: act.fn(u) ** 2, q), w

    grid = [on_line(g) for g in LOG10_Q_GRID]
    b_grid = np.array([b for b, _ in grid])
    sw2 = np.full(points, math.nan)
    for i, t in enumerate(targets):
        above = b_grid > t
        for k in np.flatnonzero(above[:-1] != above[1:])[::-1]:     # largest q first
            lo, hi = LOG10_Q_GRID[k], LOG10_Q_GRID[k + 1]
            for _ in range(30):
                mid = 0.5 * (lo + hi)
                if (on_line(mid)[0] > t) == above[k]:
                    lo = mid
                else:
                    hi = mid
            log_q = 0.5 * (lo + hi)
            w = on_line(log_q)[1]
            if math.isfinite(w) and _stable(act, w, 10.0**log_q):
                sw2[i] = w
                break
    # No finite q on the line: chi1 reaches 1 only in a limit. As q -> inf where the
    # activation keeps a slope (relu-like tails); at sigma_b2 = 0 also as q* -> 0 where
    # phi(0) = 0. The smaller sigma_w2 is where chi1 first reaches 1.
    no_root = np.isnan(sw2)
    limits = np.full(points, math.inf)
    if _slope_inf_squared(act) > 0:
        limits[:] = 1.0 / _slope_inf_squared(act)
    if targets[0] == 0 and act.fn(np.zeros(1))[0] == 0 and _slope0_squared(act) > 0:
        limits[0] = min(limits[0], 1.0 / _slope0_squared(act))
    sw2[no_root & np.isfinite(limits)] = limits[no_root & np.isfinite(limits)]
    return targets, sw2


def critical_sigma_w2_at(activation: str, sigma_b2: float, line=None) -> float:
    """The critical sigma_w2 at this bias variance, read off the line (nan: none found)."""
    sb2, sw2 = critical_line(activation, max(1.0, sigma_b2)) if line is None else line
    ok = np.isfinite(sw2)
    if not ok.any() or not sb2[ok][0] <= sigma_b2 <= sb2[ok][-1]:
        return math.nan
    return float(np.interp(sigma_b2, sb2[ok], sw2[ok]))


def phase_point(activation: str, sigma_w2: float, sigma_b2: float, line=None) -> PhasePoint:
    """chi1 at the fixed point and the phase it puts the network in."""
    q = theory.fixed_point(activation, sigma_w2, sigma_b2)
    chi = theory.chi1(activation, sigma_w2, sigma_b2, q)
    log_chi = math.log(chi) if chi > 0 else -math.inf
    if abs(log_chi) < CRITICAL_TOLERANCE:
        phase = "critical"
    else:
        phase = "ordered" if log_chi < 0 else "chaotic"
    return PhasePoint(activation, float(sigma_w2), float(sigma_b2), float(q), float(chi), phase,
                      theory.gradient_depth_scale(chi) if chi > 0 else 0.0,
                      critical_sigma_w2_at(activation, sigma_b2, line))


def _stable(act, sigma_w2: float, q: float) -> bool:
    """The fixed point q is stable when the length map's slope there is below 1."""
    h = 1e-3 * q
    up = theory.gaussian_expectation(lambda u: act.fn(u) ** 2, q + h)
    down = theory.gaussian_expectation(lambda u: act.fn(u) ** 2, q - h)
    return sigma_w2 * (up - down) / (2 * h) < 1.0


def _slope_inf_squared(act) -> float:
    return 0.5 * (act.pos_slope**2 + act.neg_slope**2)


def _slope0_squared(act) -> float:
    d = act.deriv(np.array([-1e-12, 1e-12]))
    return float(0.5 * (d[0] ** 2 + d[1] ** 2))

"""Where a network sits in the mean-field phase diagram: ordered, critical or chaotic.

For an activation and a bias variance sigma_b2, the *critical line* is the sigma_w2 at which
chi1 = 1 at the fixed point q* the input's signal reaches (theory.fixed_point, from the
input's q0 = E[x^2]). Below it (ordered phase) gradients shrink by chi1 < 1 per layer on
their way back to the input; above it (chaotic phase) they grow. Each point of the line is
theory.critical_sigma_w2's root, so the line and a single point's critical sigma_w2 agree.

Where the length map has two attractors (gelu and silu: a stable q* and a runaway branch),
which one the signal reaches depends on where it starts: `PhasePoint.attractors` lists
them all and `bistable` flags it, so a diagram can shade those regions.

>>> sb2, sw2 = critical_line("relu")
>>> float(sw2[0]), float(sw2[-1])                  # He: 2 at every bias variance
(2.0, 2.0)
>>> round(critical_sigma_w2_at("tanh", 0.05), 3)   # FACTS.md: about 1.761
1.761
>>> p = phase_point("tanh", 1.0, 0.0)             # tanh with Var(W) = 1 / fan_in
>>> p.phase, round(p.chi1, 3)
('critical', 1.0)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import activations, theory

CRITICAL_TOLERANCE = 0.01      # |ln chi1| below this counts as critical


@dataclass(frozen=True)
class PhasePoint:
    activation: str
    sigma_w2: float
    sigma_b2: float
    q_star: float              # the attractor the input's signal reaches (inf: unbounded)
    chi1: float                # gradient factor per layer at q*
    phase: str                 # "ordered" (gradients vanish), "critical", "chaotic" (explode)
    depth_scale: float         # layers over which the gradient variance changes by e
    critical_sigma_w2: float   # on the critical line at this sigma_b2 (nan: none in range)
    attractors: tuple = ()     # every attractor of the length map, smallest first
    bistable: bool = False     # more than one: the phase depends on where the signal starts


# The app's phase diagrams (sigma_b2 from 0 to 1, 21 points, N(0, 1) input) are computed
# once by `python -m core.phase` and stored beside this file: gelu's line alone costs
# seconds of quadrature, too slow for the first student who picks gelu. A test checks
# the stored lines against `trace_critical_line`.
LINE_TABLE = Path(__file__).with_name("critical_lines.json")
TABLE_ARGS = dict(sigma_b2_max=1.0, points=21, q0=1.0)
# The same table holds the critical sigma_w2 at the bias variances the app's slider offers,
# for both of its inputs (N(0, 1): q0 = 1; U[0, 1]: q0 = 1/3): a page's first network with
# a new activation would otherwise wait a quarter second for the root finder.
STORED_SIGMA_B2 = (0.0, 1e-4, 1e-3, 0.01, 0.05, 0.1, 0.5, 1.0)
STORED_Q0 = (1.0, 1.0 / 3.0)


@lru_cache(maxsize=1)
def _stored() -> dict:
    try:
        return json.loads(LINE_TABLE.read_text())
    except (OSError, ValueError):
        return {}


def _stored_lines() -> dict:
    return _stored().get("lines", {})


def _point_key(sigma_b2: float, q0: float) -> str:
    return f"{sigma_b2:.6g}/{q0:.6g}"


def critical_line(activation: str, sigma_b2_max: float = 1.0, points: int = 21,
                  q0: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(sigma_b2, sigma_w2) along the critical line, as `trace_critical_line` computes it,
    read from the stored table when the arguments are the app's (TABLE_ARGS)."""
    stored = _stored_lines().get(activation)
    if stored is not None and dict(sigma_b2_max=sigma_b2_max, points=points, q0=q0) == TABLE_ARGS:
        sw2 = np.array([math.nan if w is None else w for w in stored], dtype=float)
        return np.linspace(0.0, sigma_b2_max, points), sw2
    return trace_critical_line(activation, sigma_b2_max, points, q0)


def trace_critical_line(activation: str, sigma_b2_max: float = 1.0, points: int = 21,
                        q0: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(sigma_b2, sigma_w2) along the critical line at `points` bias variances from 0 to
    sigma_b2_max; sigma_w2 is nan where chi1 stays below 1 up to sigma_w2 = 10^4.

    >>> sb2, sw2 = trace_critical_line("gelu", 0.05, points=2)   # the jump to the runaway branch
    >>> [round(float(w), 3) for w in sw2]
    [2.155, 2.105]
    """
    targets = np.linspace(0.0, sigma_b2_max, points)
    return targets, np.array([critical_sigma_w2_at(activation, float(b), q0) for b in targets])


@lru_cache(maxsize=256)
def critical_sigma_w2_at(activation: str, sigma_b2: float, q0: float = 1.0) -> float:
    """The critical sigma_w2 at this bias variance (nan: none below 10^4), root-found by
    `theory.critical_sigma_w2`; kept per (activation, sigma_b2, q0), since a page asks
    for it once per network it shows (the initialization table: once per scheme)."""
    points = _stored().get("points", {}).get(activation, {})
    key = _point_key(sigma_b2, q0)
    if key in points:
        return math.nan if points[key] is None else float(points[key])
    return _root(activation, sigma_b2, q0)


def _root(activation: str, sigma_b2: float, q0: float) -> float:
    w = theory.critical_sigma_w2(activation, sigma_b2, q0)
    return w if math.isfinite(w) else math.nan


def phase_point(activation: str, sigma_w2: float, sigma_b2: float,
                q0: float = 1.0) -> PhasePoint:
    """chi1 at the attractor the input reaches, and the phase it puts the network in.

    >>> p = phase_point("gelu", 2.0, 0.05)         # settles at q* = 0.1245, not the runaway
    >>> round(p.q_star, 4), round(p.chi1, 3), p.phase, p.bistable
    (0.1245, 0.627, 'ordered', True)
    """
    q = theory.fixed_point(activation, sigma_w2, sigma_b2, q0)
    chi = theory.chi1(activation, sigma_w2, sigma_b2, q)
    log_chi = math.log(chi) if chi > 0 else -math.inf
    if abs(log_chi) < CRITICAL_TOLERANCE:
        phase = "critical"
    else:
        phase = "ordered" if log_chi < 0 else "chaotic"
    found = theory.attractors(activation, sigma_w2, sigma_b2)
    return PhasePoint(activation, float(sigma_w2), float(sigma_b2), float(q), float(chi), phase,
                      theory.gradient_depth_scale(chi),
                      critical_sigma_w2_at(activation, float(sigma_b2), q0),
                      tuple(float(a) for a in found), len(found) > 1)


def write_line_table(path: Path = LINE_TABLE) -> None:
    """Compute the app's critical lines and points of every activation, and store them
    (nan as null)."""
    def plain(w):
        return None if math.isnan(w) else float(w)
    lines = {name: [plain(_root(name, float(b), TABLE_ARGS["q0"]))
                    for b in np.linspace(0.0, TABLE_ARGS["sigma_b2_max"], TABLE_ARGS["points"])]
             for name in activations.ACTIVATIONS}
    points = {name: {_point_key(b, q0): plain(_root(name, b, q0))
                     for b in STORED_SIGMA_B2 for q0 in STORED_Q0}
              for name in activations.ACTIVATIONS}
    path.write_text(json.dumps(dict(lines=lines, points=points), indent=1) + "\n")


if __name__ == "__main__":
    write_line_table()

"""What the Depth scales view compares for one network, each part computed together and
within a budget, so that a notebook gets the numbers the page draws:

- `correlations`: two inputs' correlation c_l through the spec's network, measured on
  pairs and predicted by the correlation map, with q*, c*, chi1 and xi_c (order and
  chaos: Poole et al. 2016; Schoenholz et al. 2017);
- `isometry`: the squared singular values of the input-output Jacobian with Gaussian
  and with orthogonal weights of the same sigma_w2, measured and predicted by free
  probability (Pennington, Schoenholz & Ganguli 2017);
- `finite_width`: ln(||x_L||^2 / ||x_0||^2) over draws of the weights, against Hanin &
  Rolnick 2018's law;
- `xi_c_curve`: xi_c along sigma_w2 at one bias variance, the depth scale a
  trainability grid is read against (Schoenholz et al. 2017: depth below about 6 xi_c
  trains).

Budgets are in the units the experiments count (flops, weights drawn); None runs the
spec as asked. The app's are its server's policy (ui.capacity).

>>> from core.spec import NetworkSpec
>>> c = correlations(NetworkSpec(depth=5, width=64, activation="tanh", weight_var=1 / 64,
...                              bias_var=0.05), c0=0.5, pairs=4)
>>> c.measured.shape, c.predicted.shape, c.scales.c_star       # ordered: c* = 1
((5, 4), (5,), 1.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .. import activations
from ..spec import RANGES, Fix, NetworkSpec, fit_norm
from ..theory import (DepthScales, LogNormLaw, SpectrumMoments, correlation_trajectory,
                      depth_scales, input_q0, jacobian_moments, log_norm_law)
from .correlation import pair_correlations
from .finite_width import log_norm_ratios
from .jacobian import jacobian_flops, jacobian_spectrum, spectrum_moments

C0 = 0.5            # the pairs' starting correlation: far from 1 and from c* alike
PAIRS = 16


def plain(spec: NetworkSpec) -> bool:
    """Whether the mean-field maps describe the spec: no normalization, no residual."""
    return spec.norm == "none" and not spec.residual


def scales(spec: NetworkSpec) -> DepthScales:
    """q*, c*, chi1, chi_c, xi_c, xi_q of the spec's activation, sigma_w2 and sigma_b2,
    from its input's q0."""
    return depth_scales(spec.activation, spec.sigma_w2, spec.bias_var, input_q0(spec))


# -- order and chaos ------------------------------------------------------------------

@dataclass(frozen=True)
class Correlations:
    c0: float
    measured: np.ndarray            # (depth, pairs): each pair's cosine similarity of h_l
    predicted: np.ndarray | None    # (depth,): the map's c_l; None where it does not apply
    scales: DepthScales

    @property
    def mean(self) -> np.ndarray:
        """The pairs' mean per layer (NaN at a layer where no pair is defined)."""
        return _nan_stat(np.nanmean, self.measured)

    @property
    def low(self) -> np.ndarray:
        return _nan_stat(np.nanmin, self.measured)

    @property
    def high(self) -> np.ndarray:
        return _nan_stat(np.nanmax, self.measured)


def _nan_stat(fn, values: np.ndarray) -> np.ndarray:
    out = np.full(values.shape[0], np.nan)
    some = ~np.all(np.isnan(values), axis=1)
    out[some] = fn(values[some], axis=1)
    return out


def correlations(spec: NetworkSpec, c0: float = C0, pairs: int = PAIRS) -> Correlations:
    """`pairs` pairs of inputs with correlation c0 through the spec's network (one forward
    pass), and the map's c_l for a plain network (`plain`)."""
    measured = pair_correlations(spec, c0, pairs)
    predicted = None
    if plain(spec):
        predicted = correlation_trajectory(spec.activation, spec.sigma_w2, spec.bias_var, c0,
                                           spec.depth, input_q0(spec))
    return Correlations(float(c0), measured, predicted, scales(spec))


# -- dynamical isometry -----------------------------------------------------------------

MAX_INPUTS = 2     # inputs whose spectra are pooled: each costs a QR per layer and input
MIN_WIDTH = 8
WEIGHTS = ("Gaussian", "orthogonal")


@dataclass(frozen=True)
class Spectrum:
    """One weight draw's squared singular values at each depth, pooled over the inputs."""
    spec: NetworkSpec
    log10_sv2: np.ndarray                          # (len(depths), inputs * width)
    predicted: tuple[SpectrumMoments | None, ...]  # per depth; None: not a plain network

    def measured(self, i: int) -> tuple[float, float]:
        """(log10 of the mean, variance / mean^2) at the i-th depth."""
        return spectrum_moments(self.log10_sv2[i])


@dataclass(frozen=True)
class Isometry:
    depths: tuple[int, ...]
    spectra: dict[str, Spectrum]      # WEIGHTS -> the spectrum with those weights
    inputs: int
    fixes: tuple[Fix, ...]            # the width the budget took, if it shrank


def isometry_depths(depth: int) -> tuple[int, ...]:
    """A quarter, half and all of the network: where the spread grows.

    >>> isometry_depths(100), isometry_depths(2)
    ((25, 50, 100), (1, 2))
    """
    return tuple(sorted({max(1, round(depth / 4)), max(1, round(depth / 2)), depth}))


def weight_specs(spec: NetworkSpec, width: int | None = None) -> dict[str, NetworkSpec]:
    """The spec at `width` with Gaussian N(0, sigma_w2 / width) and with orthogonal weights
    of gain sqrt(sigma_w2): the same sigma_w2 (within the gain's range)."""
    width = spec.width if width is None else width
    lo, hi = RANGES["gain"]
    gain = min(max(math.sqrt(spec.sigma_w2), lo), hi)
    at = at_width(spec, width)
    return {"Gaussian": at.replace(init="custom", weight_var=spec.sigma_w2 / width, gain=None),
            "orthogonal": at.replace(init="orthogonal", gain=gain)}


def at_width(spec: NetworkSpec, width: int) -> NetworkSpec:
    """The spec at another width, its normalization's groups fitted to it; a custom init
    keeps its sigma_w2 (every other scheme is defined through fan_in and keeps it)."""
    changes = dict(width=width)
    if spec.init == "custom":
        lo, hi = RANGES["weight_var"]
        changes["weight_var"] = min(max(spec.sigma_w2 / width, lo), hi)
    return spec.replace(**fit_norm(vars(spec) | changes)[0])


def isometry(spec: NetworkSpec, depths: Sequence[int] | None = None,
             max_flops: float | None = None) -> Isometry:
    """Both weight draws' Jacobian spectra at `depths` (default `isometry_depths`), in
    float64, the width halved (sigma_w2 kept) until one input of each fits `max_flops`,
    then as many inputs as fit (up to MAX_INPUTS; None: the spec's width, MAX_INPUTS
    inputs). Refused for a normalized network (ValueError, as `jacobian_spectrum`)."""
    depths = isometry_depths(spec.depth) if depths is None else tuple(depths)
    width, inputs = isometry_plan(spec, len(depths), max_flops)
    spectra = {}
    predicted = _predicted(spec, depths)
    for label, s in weight_specs(spec, width).items():
        s = s.replace(dtype="float64")
        found = jacobian_spectrum(s, depths, inputs).log10_sv2
        spectra[label] = Spectrum(s, found.reshape(len(found), -1), predicted[label])
    fixes = (Fix("width", spec.width, width, "budget"),) if width != spec.width else ()
    return Isometry(tuple(depths), spectra, inputs, fixes)


def isometry_plan(spec: NetworkSpec, readouts: int,
                  max_flops: float | None) -> tuple[int, int]:
    """(width, inputs) of `isometry`: the width halved until one input of each weight draw
    fits `max_flops` (not below MIN_WIDTH), then as many inputs as fit, up to MAX_INPUTS."""
    if max_flops is None:
        return spec.width, MAX_INPUTS
    width = spec.width
    per_input = lambda w: len(WEIGHTS) * jacobian_flops(w, spec.depth, 1, readouts)
    while width // 2 >= MIN_WIDTH and per_input(width) > max_flops:
        width //= 2
    return width, max(1, min(MAX_INPUTS, int(max_flops // per_input(width))))


def _predicted(spec: NetworkSpec, depths) -> dict[str, tuple]:
    """Both weight draws' predicted moments at each depth (None: not a plain network).
    Free probability's two differ only in the weights' s1 (-1 Gaussian, 0 orthogonal),
    one per layer in variance / mean^2, on the same q_l: the orthogonal moments are the
    Gaussian ones less the depth (theory.isometry), which halves the quadrature."""
    if not plain(spec):
        return {w: (None,) * len(depths) for w in WEIGHTS}
    gauss = tuple(jacobian_moments(spec.activation, spec.sigma_w2, spec.bias_var, d,
                                   q0=input_q0(spec)) for d in depths)
    orth = tuple(SpectrumMoments(g.log10_mean, g.rel_var - d if math.isfinite(g.rel_var)
                                 else g.rel_var) for g, d in zip(gauss, depths))
    return {"Gaussian": gauss, "orthogonal": orth}


# -- finite width -----------------------------------------------------------------------

MIN_SEEDS = 8
MAX_SEEDS = 100
EXAMPLES = 8                  # inputs per draw: the marginal law is the same for each


@dataclass(frozen=True)
class FiniteWidth:
    log_ratios: np.ndarray        # (seeds, examples): ln(||x_L||^2 / ||x_0||^2)
    law: LogNormLaw | None        # Hanin & Rolnick's, where it applies
    no_law: str | None            # why not: "activation", "bias", "norm", "residual", "orthogonal"
    width: int                    # the width run (the spec's, unless the budget shrank it)
    depth: int
    fixes: tuple[Fix, ...]

    @property
    def kappa(self) -> float:
        """The law's variance per unit of sum 1/n_l (5 for relu, 2 for linear layers);
        NaN without a law."""
        if self.law is None:
            return math.nan
        return round(self.law.variance * self.width / self.depth, 9)

    @property
    def finite(self) -> np.ndarray:
        """The ratios that are numbers (not a dead output's -inf, nor an overflow's inf)."""
        flat = self.log_ratios.ravel()
        return flat[np.isfinite(flat)]


def law_missing(spec: NetworkSpec) -> str | None:
    """Why the finite-width law does not describe the spec (None: it does). It is for a
    positively homogeneous activation without bias, layers of iid weights (not
    orthogonal), no norm and no residual connection."""
    if not activations.get(spec.activation).homogeneous:
        return "activation"
    for why, off in (("bias", spec.bias_var > 0), ("norm", spec.norm != "none"),
                     ("residual", spec.residual), ("orthogonal", spec.init == "orthogonal")):
        if off:
            return why
    return None


def seed_count(spec: NetworkSpec, max_weights: float | None) -> int:
    """Draws of the weights that fit `max_weights`, between MIN_SEEDS and MAX_SEEDS (None:
    MAX_SEEDS).

    >>> [seed_count(NetworkSpec(depth=d, width=100), 3e6) for d in (10, 60)]
    [30, 8]
    """
    if max_weights is None:
        return MAX_SEEDS
    per_seed = spec.depth * spec.width**2
    return int(min(MAX_SEEDS, max(MIN_SEEDS, max_weights // per_seed)))


def finite_width(spec: NetworkSpec, max_weights: float | None = None,
                 examples: int = EXAMPLES) -> FiniteWidth:
    """ln(||x_L||^2 / ||x_0||^2) of `examples` inputs under each of `seed_count` draws,
    in float64 at the spec's own width (the law is about the width): a network too big
    for MIN_SEEDS draws within 4 x max_weights runs narrower, and says so."""
    width = spec.width
    while (max_weights is not None and width // 2 >= MIN_WIDTH
           and MIN_SEEDS * spec.depth * width**2 > 4 * max_weights):
        width //= 2
    run = at_width(spec, width).replace(dtype="float64")
    ratios = log_norm_ratios(run, seed_count(run, max_weights), examples)
    missing = law_missing(spec)
    law = None if missing else log_norm_law(spec.activation, run.sigma_w2, [width] * spec.depth)
    fixes = (Fix("width", spec.width, width, "budget"),) if width != spec.width else ()
    return FiniteWidth(ratios, law, missing, width, spec.depth, fixes)


# -- the depth scale along sigma_w2 -----------------------------------------------------

def xi_c_curve(activation: str, sigma_b2: float, sigma_w2s: Sequence[float],
               q0: float = 1.0) -> np.ndarray:
    """xi_c at each sigma_w2 (inf on the critical line itself).

    >>> xi = xi_c_curve("relu", 0.5, [1.0, 2.0])    # q* = 1, chi_c = chi1 = sigma_w2 / 2
    >>> round(float(xi[0]), 6) == round(1 / math.log(2), 6), float(xi[1])
    (True, inf)
    """
    return np.array([depth_scales(activation, float(s), sigma_b2, q0).xi_c for s in sigma_w2s])


# -- reading a trainability grid against xi_c -----------------------------------------------

def trained_depth(depths: Sequence[int], trains: np.ndarray) -> np.ndarray:
    """Per column of a depth x sigma_w2 grid (`trains`: bool), the deepest depth up to which
    every depth trained (0: not even the shallowest).

    >>> trained_depth((5, 10, 20), np.array([[1, 1], [1, 0], [0, 1]], dtype=bool)).tolist()
    [10, 5]
    """
    ok = np.cumprod(np.asarray(trains, dtype=bool), axis=0).astype(bool)
    d = np.asarray(depths)
    return np.array([int(d[col].max()) if col.any() else 0 for col in ok.T])


def boundary_multiples(depths: Sequence[int], trains: np.ndarray,
                       xi_c: np.ndarray) -> np.ndarray:
    """Per column whose boundary lies inside the grid (some depth does not train, the
    shallowest does) and whose xi_c is finite: the deepest depth that trains over xi_c,
    the multiple of xi_c up to which networks trained (Schoenholz et al. 2017 found
    about 6). NaN elsewhere.

    >>> boundary_multiples((5, 10, 20), np.array([[1, 1], [1, 1], [0, 1]], dtype=bool),
    ...                    np.array([2.0, 4.0])).tolist()
    [5.0, nan]
    """
    deepest = trained_depth(depths, trains).astype(float)
    inside = (deepest > 0) & (deepest < max(depths)) & np.isfinite(xi_c) & (np.asarray(xi_c) > 0)
    return np.where(inside, deepest / np.where(inside, xi_c, 1.0), np.nan)


@dataclass(frozen=True)
class Boundary:
    """Where one grid's columns stopped training, as multiples of their xi_c, on each
    side of the critical sigma_w2 (`boundary_multiples`; only columns whose xi_c is within
    the grid's depth, where the boundary can be xi_c's doing)."""
    steps: int
    ordered: np.ndarray       # columns below the critical sigma_w2
    chaotic: np.ndarray       # columns above it


def boundary_sides(depths: Sequence[int], sigma_w2s: Sequence[float], trains: np.ndarray,
                   xi_c: np.ndarray, critical: float, steps: int) -> Boundary:
    """The boundary multiples of a grid trained `steps` steps, split at `critical`.

    >>> b = boundary_sides((5, 10, 20), (1.0, 3.0), np.array([[1, 1], [1, 1], [0, 1]], bool),
    ...                    np.array([2.0, 4.0]), 2.0, 500)
    >>> b.ordered.tolist(), b.chaotic.tolist()
    ([5.0], [])
    """
    m = boundary_multiples(depths, trains, xi_c)
    ok = np.isfinite(m) & (np.asarray(xi_c) <= max(depths))
    s = np.asarray(sigma_w2s, dtype=float)
    return Boundary(int(steps), m[ok & (s < critical)], m[ok & (s > critical)])


def spread_within(depths: Sequence[int], cost, budget: float) -> tuple[int, ...]:
    """The most depths, spread evenly from the shallowest to the deepest, whose costs
    (`cost(depth)`) add up to at most `budget`; the shallowest alone if nothing fits.

    >>> spread_within((5, 10, 15, 20, 25, 30), lambda d: d, 60)
    (5, 15, 30)
    """
    depths = tuple(depths)
    for k in range(len(depths), 1, -1):
        picked = tuple(depths[i] for i in sorted({round(j * (len(depths) - 1) / (k - 1))
                                                  for j in range(k)}))
        if sum(cost(d) for d in picked) <= budget:
            return picked
    return depths[:1]

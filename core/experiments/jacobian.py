"""Singular values of the input-output Jacobian dx_l/dx_0, layer by layer, in log scale.

The Jacobian of l layers at an input is the product B_l ... B_1 with B = D W^T (D the
activation's slopes there; I + alpha D W^T with a residual connection). Its singular
values spread exponentially with depth: at depth 200 some are 10^-300 of the largest,
below what an SVD of the product in float64 resolves. So the product is kept the way
Lyapunov exponents are computed: B_l Q_{l-1} = Q_l R_l, and T_l = R_l T_{l-1} held as
row scales in log (ln) times rows of norm 1 (Benettin et al. 1980's QR method). T's rows
are then graded, and its singular values come from SVDs of overlapping diagonal blocks,
each spanning a bounded range of scales (see `_graded_singular_values`). Units with
phi' = 0 (relu's off side) are dropped from the product, so the Jacobian's exact zeros
come out as log10 = -inf, not as rounding noise.

Pennington, Schoenholz & Ganguli 2017 ("Resurrecting the sigmoid in deep learning
through dynamical isometry") predict the mean and variance of the squared singular
values: `theory.isometry.jacobian_moments`.

>>> from core.spec import NetworkSpec
>>> s = jacobian_spectrum(NetworkSpec(depth=50, width=32, activation="linear",
...                                   init="orthogonal", gain=1.0), depths=(10, 50))
>>> s.log10_sv2.shape, bool(np.abs(s.log10_sv2).max() < 1e-12)        # orthogonal: all 1
((2, 1, 32), True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .. import activations
from ..propagate import forward_backward, make_params
from ..spec import NetworkSpec
from ..stages import act_deriv

WINDOW = math.log(1e4)      # ln-range of the singular values one block reports
MARGIN = math.log(1e4)      # ln-range of context on each side: couplings beyond it are ~1e-8


@dataclass(frozen=True)
class JacobianSpectrum:
    depths: tuple[int, ...]     # number of layers each spectrum is taken after
    log10_sv2: np.ndarray       # (len(depths), inputs, width): log10 squared singular values,
                                # descending; -inf where the Jacobian is exactly singular


def jacobian_spectrum(spec: NetworkSpec, depths: Sequence[int] | None = None,
                      inputs: int = 1) -> JacobianSpectrum:
    """The squared singular values of dx_l/dx_0 at `inputs` inputs of the spec's input
    distribution, after each number of layers in `depths` (default: the whole network).
    In float64 from the spec's own weights; with spatial positions, at the first one
    (each position is its own copy of the network). Cost in `jacobian_flops`.

    Networks with a normalization are refused: a norm's Jacobian couples the units (and,
    for BatchNorm, the examples) beyond D W^T."""
    if spec.norm != "none":
        raise ValueError(f"norm={spec.norm!r}: the Jacobian spectrum is for networks without "
                         "normalization")
    depths = _check_depths(spec.depth, depths)
    if inputs < 1:
        raise ValueError(f"inputs={inputs}: at least one input is needed")
    run = spec.replace(batch=inputs)
    params = make_params(run)
    slopes = _slopes(run, params)                  # (depth, inputs, width)
    out = np.empty((len(depths), inputs, spec.width))
    for i in range(inputs):
        out[:, i] = _spectra(params.weights, slopes[:, i], depths, spec)
    return JacobianSpectrum(depths, out)


def _check_depths(depth: int, depths: Sequence[int] | None) -> tuple[int, ...]:
    if depths is None:
        return (depth,)
    chosen = tuple(sorted({int(d) for d in depths}))
    if not chosen or chosen[0] < 1 or chosen[-1] > depth:
        raise ValueError(f"depths={tuple(depths)} must be layers 1 to {depth}")
    return chosen


def _slopes(spec: NetworkSpec, params) -> np.ndarray:
    """phi' at every layer and input, from the engine's forward pass."""
    act = activations.get(spec.activation)
    out = np.empty((spec.depth, spec.batch, spec.width))

    def observe(layer):
        d = act_deriv(act, layer.u.astype(np.float64), layer.u_scale)
        out[layer.index] = d.reshape(spec.batch, -1, spec.width)[:, 0]

    forward_backward(spec, params, on_forward=observe, backward=False)
    return out


def _spectra(weights, slopes: np.ndarray, depths: tuple[int, ...], spec: NetworkSpec) -> np.ndarray:
    """log10 squared singular values after each depth in `depths`, for one input."""
    n = spec.width
    q = np.eye(n)                        # orthonormal columns (n x r)
    log_scale = np.zeros(n)              # ln row scales of T (r,)
    rows = np.eye(n)                     # T's rows, norm 1 (r x n)
    found, want = [], set(depths)
    for layer, (w, d) in enumerate(zip(weights, slopes), start=1):
        c = d[:, None] * (w.T.astype(np.float64) @ q)
        if spec.residual:
            c = q + spec.residual_scale * c
            live = np.ones(n, dtype=bool)
        else:
            live = d != 0.0
        if not live.any():                          # every unit off: dx_l/dx_0 = 0
            found += [np.full(n, -np.inf)] * sum(1 for k in depths if k >= layer)
            break
        q_live, r = np.linalg.qr(c[live])
        q = np.zeros((n, q_live.shape[1]))
        q[live] = q_live
        rows, log_scale = _step_rows(r, rows, log_scale)
        # a row that underflowed to zero carries nothing float64 resolves: its singular
        # value is reported as 0, and its 0/0 must not reach the next layer as NaN
        resolved = np.isfinite(log_scale)
        if not resolved.all():
            q, rows, log_scale = q[:, resolved], rows[resolved], log_scale[resolved]
        if layer in want:
            found.append(_log10_sv2(rows, log_scale, n))
    return np.array(found)


def _step_rows(r: np.ndarray, rows: np.ndarray, log_scale: np.ndarray):
    """T' = R T with T = diag(e^log_scale) rows: R diag(e^s) = diag(e^s') S with S_ij =
    R_ij e^(s_j - s_i), which the QR ordering keeps at most ~1 (R is upper trapezoidal
    and rows further down grew less)."""
    k = r.shape[0]
    gap = np.clip(log_scale[None, :] - log_scale[:k, None], -745.0, 700.0)
    new = (r * np.exp(gap)) @ rows
    norms = np.linalg.norm(new, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        new = new / norms[:, None]
        return new, log_scale[:k] + np.log(norms)


def _log10_sv2(rows: np.ndarray, log_scale: np.ndarray, n: int) -> np.ndarray:
    """All n squared singular values of diag(e^log_scale) rows, descending, in log10."""
    keep = np.isfinite(log_scale)
    out = np.full(n, -np.inf)
    if not keep.any():
        return out
    ln_sv = _graded_singular_values(rows[keep], log_scale[keep])
    out[:len(ln_sv)] = 2 * ln_sv / math.log(10)
    return out


def _graded_singular_values(rows: np.ndarray, log_scale: np.ndarray) -> np.ndarray:
    """ln singular values of G = diag(e^s) rows (rows of norm 1, well conditioned). Sorted
    by s, G = diag(e^s) L Q (LQ of the rows, scale-free) = X diag(e^s) Q, X = e^s L e^-s
    lower triangular with entries damped below the diagonal; with X = Q' R, the singular
    values are those of R diag(e^s): upper triangular, its columns graded. A diagonal
    block of it is exactly the part of those columns orthogonal to the larger ones; the
    smaller ones beyond it shift its singular values by a relative (e^-MARGIN)^2. So each
    block reports the singular values of its middle WINDOW, with MARGIN on either side."""
    order = np.argsort(-log_scale, kind="stable")
    s, rows = log_scale[order], rows[order]
    lower = np.linalg.qr(rows.T)[1].T
    x = lower * np.exp(np.clip(s[:, None] - s[None, :], -745.0, 0.0))
    upper = np.linalg.qr(x)[1]
    out, start = [], 0
    while start < len(s):
        end = int(np.searchsorted(-s, -(s[start] - WINDOW), side="right"))
        lo = int(np.searchsorted(-s, -(s[start] + MARGIN), side="left"))
        hi = int(np.searchsorted(-s, -(s[end - 1] - MARGIN), side="right"))
        block = upper[lo:hi, lo:hi] * np.exp(s[lo:hi] - s[lo])[None, :]
        sv = np.linalg.svd(block, compute_uv=False)
        with np.errstate(divide="ignore"):
            out.append(np.log(sv[start - lo:end - lo]) + s[lo])
        start = end
    return -np.sort(-np.concatenate(out))


def spectrum_moments(log10_sv2: np.ndarray) -> tuple[float, float]:
    """(log10 of the mean, variance / mean^2) of squared singular values given in log10,
    over the last axis and everything before it: the quantities free probability
    predicts, computed without leaving float range.

    >>> m, v = spectrum_moments(np.log10(np.array([1.0, 3.0])))      # mean 2, variance 1
    >>> round(10**m, 12), round(v, 12)
    (2.0, 0.25)
    """
    x = np.asarray(log10_sv2, dtype=float).ravel()
    top = float(np.max(x))
    if top == -math.inf:
        return -math.inf, 0.0
    y = 10.0 ** (x - top)
    m1 = float(np.mean(y))
    return top + math.log10(m1), float(np.mean(y * y)) / (m1 * m1) - 1.0


def jacobian_flops(width: int, depth: int, inputs: int = 1, readouts: int = 1) -> float:
    """Floating-point operations of `jacobian_spectrum`: per layer and input a product
    D W^T Q, a QR and the rows' update (about 5 width^3); per readout two QRs and the
    block SVDs (at most about 10 width^3)."""
    return float(inputs) * width**3 * (5.0 * depth + 10.0 * readouts)


def jacobian_bytes(width: int, depth: int, inputs: int = 1, readouts: int = 1) -> int:
    """Memory held at once: the weights (the engine's draws), the slopes of every layer,
    four width x width working arrays, and the result."""
    return 8 * (depth * width * width + depth * inputs * width + 4 * width * width
                + readouts * inputs * width)

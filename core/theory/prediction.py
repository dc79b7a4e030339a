"""The mean-field prediction for a whole NetworkSpec, layer by layer.

The length map (Poole et al. 2016) and the gradient recursion (Schoenholz et al. 2017)
applied to what the sidebar builds: the input's second moment and mean, residual streams
whose mean adds up coherently, and norms modelled as what they do (zero mean and unit
variance, shrunk by PyTorch's eps, times gamma, plus beta). Where the single-example
theory does not describe a spec (small normalization sets, BatchNorm that lets examples
drift apart, norms that couple units in the backward pass) the prediction says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import norms
from ..norms import EPS as NORM_EPS
from ..spec import NetworkSpec
from .quadrature import _LN10, Moments, _log10, _log10_add, moments, shifted_moments, shifted_moments_log


@dataclass(frozen=True)
class Prediction:
    log10_preact_var: np.ndarray     # (depth,); -inf where the signal is exactly zero
    log10_act_var: np.ndarray
    chi1: np.ndarray                 # per layer, at that layer's q; always finite
    log10_grad_var: np.ndarray       # relative to the last layer's, anchored there by caller
    covers_norm: bool                # False where the gradient prediction does not model the spec
    covers_forward: bool = True      # False where the forward prediction does not hold


# A normalized set of fewer values than this is visibly non-Gaussian (two values
# normalize to exactly +-1), which the mean-field forward prediction assumes.
MIN_GAUSSIAN_SET = 16
# BatchNorm keeps each example's overall scale relative to the batch; where the block
# multiplies that scale's spread by more than this per layer, examples drift apart
# (a few carry the signal, the rest go quiet) and no single-example map describes it.
MAX_SCALE_GAIN = 1.05


def norm_set_size(spec: NetworkSpec) -> int:
    """How many values share one set of normalization statistics.

    >>> norm_set_size(NetworkSpec(norm="instance", spatial=2))
    2
    """
    kind = "layer" if spec.norm == "none" else spec.norm   # no norm: one example's units
    return norms.statistics_set_size(kind, (spec.batch, spec.width, spec.spatial), spec.groups)


def input_q0(spec: NetworkSpec) -> float:
    """E[x^2] of the network's input, where the length map starts."""
    return 1.0 if spec.input_dist == "normal" else 1.0 / 3.0     # U[0,1]: E[x^2] = 1/3


def _input_rho(spec: NetworkSpec) -> float:
    """E[x] / sqrt(E[x^2]) of the input: 0 for N(0, 1), (1/2) / sqrt(1/3) for U[0, 1]."""
    return 0.0 if spec.input_dist == "normal" else math.sqrt(0.75)


@dataclass
class _Stream:
    """The residual stream (or the layer input), per example over units: log10 of its
    second moment s, and rho = its mean over units / sqrt(s). Every unit's mean is the
    same in expectation over the weights, so a branch with a nonzero mean adds to the
    stream's mean coherently, layer after layer, and E[x^2] = Var + mean^2 grows faster
    than the variances alone would."""
    log10_s: float
    rho: float

    def add(self, log10_alpha: float, branch: "Moments") -> None:
        """x + alpha f: s' = s + 2 alpha m E[f] + alpha^2 E[f^2], written relative to the
        larger of the two parts so that nothing overflows. Without the mean term this is
        the residual recursion of Yang & Schoenholz 2017 ("Mean field residual networks:
        on the edge of chaos")."""
        if branch.log10_m2 == -math.inf:
            return
        if self.log10_s == -math.inf:
            self.log10_s, self.rho = 2 * log10_alpha + branch.log10_m2, branch.rho
            return
        la = log10_alpha + 0.5 * (branch.log10_m2 - self.log10_s)   # alpha sqrt(E f^2 / s)
        r, p = self.rho, branch.rho
        if la <= 0:
            a = 10.0**la
            growth, mean = 1.0 + 2 * r * p * a + a * a, r + p * a
        else:
            a = 10.0**-la                                           # the branch dominates
            growth, mean = a * a + 2 * r * p * a + 1.0, r * a + p
        growth = max(growth, 0.0)
        self.log10_s += _log10(growth) + (2 * la if la > 0 else 0.0)
        self.rho = mean / math.sqrt(growth) if growth > 0 else 0.0


_LOG10_EPS = math.log10(NORM_EPS)


def _log10_share(log10_v: float) -> float:
    """log10 of v / (v + eps): the normalized variance left after a norm with PyTorch's
    eps, which no longer reaches 1 once the signal is as small as eps (and is v / eps,
    however small, below it).

    >>> _log10_share(-600.0)                  # 10^-600 / 10^-5
    -595.0
    """
    if log10_v == -math.inf:
        return -math.inf
    return log10_v - _log10_add(log10_v, _LOG10_EPS)


def predict(spec: NetworkSpec, anchor_log10_grad_var: float = 0.0) -> Prediction:
    """Per-layer mean-field prediction for `spec`.

    The stream entering each layer is tracked by its second moment and its mean (which a
    branch with a nonzero mean, such as relu's, builds up across residual layers). Norms
    are modelled as what they do: zero mean and unit variance (shrunk by PyTorch's eps
    where the signal is that small), times gamma, plus beta. Gradients are predicted,
    anchored at the last layer's value you pass in, for residual-free networks without a
    norm or with LayerNorm or RMSNorm before the activation; `covers_norm` is False for
    the rest. A signal that is exactly zero has log10 variance -inf.

    >>> p = predict(NetworkSpec(depth=3, activation="relu", init="kaiming_normal"))
    >>> p.log10_preact_var.round(6).tolist()      # He: q = 2 E[x^2] at every layer
    [0.30103, 0.30103, 0.30103]
    """
    lsw2 = math.log10(spec.sigma_w2)
    lsb2 = _log10(spec.bias_var)
    stream = _Stream(math.log10(input_q0(spec)), _input_rho(spec))
    pre, actv, log_chi = [], [], []
    for _ in range(spec.depth):
        log_q = _log10_add(lsw2 + stream.log10_s, lsb2)
        branch, act_m, lc = _block(spec, stream, log_q, lsw2)
        pre.append(log_q)
        actv.append(act_m.log10_var)
        log_chi.append(lc)
        if spec.residual:
            stream.add(math.log10(spec.residual_scale), branch)
        else:
            stream = _Stream(branch.log10_m2, branch.rho)
    log_chi = np.array(log_chi)
    # E[g_l^2] = chi_l * E[g_{l+1}^2] (Schoenholz et al. 2017, section 4): cumulative
    # product from the last layer down
    tail = np.concatenate([np.cumsum(log_chi[:-1][::-1])[::-1], [0.0]])
    with np.errstate(over="ignore"):
        chis = 10.0**log_chi
    return Prediction(np.array(pre), np.array(actv), chis, anchor_log10_grad_var + tail,
                      covers_norm=not (spec.residual or _norm_after(spec) or _couples_units(spec)
                                       or np.isneginf(log_chi).any()),   # a zero gradient: no curve to draw
                      covers_forward=_covers_forward(spec))


def _norm_before(spec) -> bool:
    return spec.norm != "none" and spec.norm_position == "before"


def _norm_after(spec) -> bool:
    return spec.norm != "none" and spec.norm_position == "after"


def _block(spec, stream: _Stream, log_q: float, lsw2: float):
    """One layer from its pre-activation variance: (the block output's moments, the
    activation's moments, log10 chi1)."""
    name, log_gamma = spec.activation, math.log10(spec.norm_gamma)
    if _norm_before(spec):
        log_v = _normalizer_log10_var(spec, stream, log_q, lsw2)
        a = shifted_moments_log(name, log_gamma + 0.5 * _log10_share(log_v), spec.norm_beta)
        # backward through the norm divides by its std, sqrt(v + eps)
        log_chi = lsw2 + 2 * log_gamma + a.log10_d2 - _log10_add(log_v, _LOG10_EPS)
    else:
        a = moments(name, log_q)
        log_chi = lsw2 + a.log10_d2
    if not _norm_after(spec):
        return a, a, log_chi
    return _after_norm(spec, a), a, log_chi


def _normalizer_log10_var(spec, stream: _Stream, log_q: float, lsw2: float) -> float:
    """The variance a norm before the activation divides by. Per example (layer, group,
    RMS): q. BatchNorm, per unit over the batch: each unit's offset (its bias, and the
    stream's mean through its weights) is constant over examples and drops out, leaving
    sigma_w2 Var(x) = sigma_w2 s (1 - rho^2)."""
    if spec.norm != "batch":
        return log_q
    return lsw2 + stream.log10_s + _log10(1.0 - stream.rho**2)


def _after_norm(spec, a: Moments) -> Moments:
    """gamma * x_hat + beta for the activation's output a. Centred norms (BatchNorm, Ioffe
    & Szegedy 2015; LayerNorm, Ba et al. 2016; GroupNorm, Wu & He 2018): x_hat has zero
    mean and variance Var a / (Var a + eps). RMSNorm (Zhang & Sennrich 2019) keeps the mean: x_hat = a /
    sqrt(E a^2 + eps), so E x_hat = rho sqrt(share) with share = E a^2 / (E a^2 + eps).
    In log10, relative to the larger of gamma sqrt(share) and |beta|: share can be far
    below float64's range."""
    b, rho = spec.norm_beta, (a.rho if spec.norm == "rms" else 0.0)
    share = _log10_share(a.log10_m2 if spec.norm == "rms" else a.log10_var)
    log_spread = math.log10(spec.norm_gamma) + 0.5 * share     # log10 gamma sqrt(share)
    top = max(log_spread, _log10(abs(b)))
    if top == -math.inf:
        return Moments(-math.inf, 0.0, -math.inf, a.log10_d2)
    spread = 10.0 ** (log_spread - top)
    shift = math.copysign(10.0 ** (_log10(abs(b)) - top), b) if b else 0.0
    m1 = spread * rho + shift                                 # E[out] / 10^top
    m2 = m1 * m1 + spread * spread * (1 - rho * rho)
    log10_var = 2 * log_spread + _log10(1 - rho * rho)
    return Moments(2 * top + _log10(m2), m1 / math.sqrt(m2) if m2 > 0 else 0.0, log10_var,
                   a.log10_d2)


def _couples_units(spec: NetworkSpec) -> bool:
    """Norms whose backward pass the per-example chi1 above does not describe: BatchNorm
    (statistics over the batch couple the examples, whose correlations the single-input
    map does not track), InstanceNorm and GroupNorm with G > 1 (small sets, whose mean
    carries the activation's offset: their variance is not q). LayerNorm and RMSNorm
    average over every unit of an example, as the theory does."""
    return spec.norm == "batch" or spec.norm == "instance" or (
        spec.norm == "group" and spec.groups > 1)


def _covers_forward(spec: NetworkSpec) -> bool:
    return norm_set_size(spec) >= MIN_GAUSSIAN_SET and batch_scale_gain(spec) <= MAX_SCALE_GAIN


def batch_scale_gain(spec: NetworkSpec) -> float:
    """How much one BatchNorm block multiplies the spread of examples' overall scales
    (d ln E[phi(gamma sqrt(v) z + beta)^2] / d ln v at v = 1; 1 for relu at beta = 0).
    BatchNorm normalizes each unit over the batch, so an example that arrives larger
    than the rest stays larger; above 1 the spread grows layer by layer (relu with a
    strongly negative beta: the larger examples switch on ever more units). LayerNorm,
    GroupNorm and RMSNorm rescale each example themselves: 0 for them and for no norm.

    >>> round(batch_scale_gain(NetworkSpec(norm="batch", activation="relu")), 6)
    1.0
    >>> batch_scale_gain(NetworkSpec(norm="batch", activation="relu", norm_beta=-1.35)) > 2
    True
    """
    if spec.norm != "batch" or spec.activation == "linear":
        return 0.0
    h = 0.05
    g, b = spec.norm_gamma, spec.norm_beta
    if spec.norm_position == "before":
        up = shifted_moments(spec.activation, g * math.exp(h / 2), b).log10_m2
        down = shifted_moments(spec.activation, g * math.exp(-h / 2), b).log10_m2
    else:   # the activation sees the pre-activation itself: the length map's own slope
        log_q = math.log10(spec.sigma_w2 * (g * g + b * b) + spec.bias_var)
        up = moments(spec.activation, log_q + h / _LN10 / 2).log10_m2
        down = moments(spec.activation, log_q - h / _LN10 / 2).log10_m2
    if not (math.isfinite(up) and math.isfinite(down)):
        return 0.0
    return (up - down) * _LN10 / (2 * h if spec.norm_position == "before" else h)

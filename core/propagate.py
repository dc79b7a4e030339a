"""Forward and backward propagation through the network a `NetworkSpec` describes.

One layer, on a channels-last tensor x of shape (batch, positions, width):

    h = x @ W + b                       pre-activation ("preact")
    u = norm(h)   or  h                 what the activation sees
    a = phi(u)                          activation
    f = a         or  norm(a)           block output (norm after the activation)
    x_next = f    or  x + alpha * f     residual

In float64 every tensor travels with a log10 scale (`core.scaled`), so nothing
overflows; in float32 and float16 the tensors are plain and overflow as on hardware.
Observers receive each layer's tensors as they are made, so statistics are taken
without keeping every tensor alive.

Saturation in float64: tanh' and sigmoid' come from the output (1 - t^2, s (1 - s))
except where that would cancel (|t| > 1 - 2^-10 on the [-1, 1] scale); there they come
from the input, with the layer's log10 scale carrying values below 1e-308, so they stay
nonzero for any |u| < 1e308. The limit that remains: a value that rounds to its
activation's limit is stored as that limit (tanh = +-1 past |u| ~ 19, elu = -alpha
below u ~ -37, gelu = 0 below u ~ -37.5), and elu', selu' and gelu' underflow to 0
below u ~ -745, -745 and -37.5. Only a layer whose every pre-activation is past such a
point reports a variance or gradient of exactly 0 (log10 = -inf).

>>> from core.spec import NetworkSpec
>>> spec = NetworkSpec(depth=3, width=8, batch=4, activation="relu")
>>> params = make_params(spec)
>>> out = forward_backward(spec, params)
>>> round(out.loss, 3) > 0
True
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import activations, initializers, norms
from .loss import softmax_cross_entropy
from .scaled import BIG, add_scaled, renorm, unscale
from .spec import CACHED_DRAWS_BYTES, NetworkSpec


@dataclass
class Params:
    """Everything random in one run: inputs, weights, biases, readout and labels."""
    x0: np.ndarray                  # (batch, positions, width)
    weights: list[np.ndarray]       # depth x (width, width), h = x @ W
    biases: list[np.ndarray]        # depth x (width,), zeros when bias_var = 0
    w_out: np.ndarray               # (width, classes), before readout_scale
    labels: np.ndarray              # (batch,) integers
    # Per layer (width,) norm scale and shift, in place of the spec's scalar norm_gamma
    # and norm_beta: a trainer's learned ones. Given, the backward pass also returns
    # their gradients (LayerBackward.grad_gamma, grad_beta).
    gammas: list[np.ndarray] | None = None
    betas: list[np.ndarray] | None = None


def make_params(spec: NetworkSpec) -> Params:
    """Draw a network from its spec; the same seed always gives the same network.

    The stream: one np.random.default_rng(seed) draws, in order, x0, the depth weight
    matrices in their scheme's family (standard normal, standard uniform, or Haar
    orthogonal), the biases (standard normal, only when bias_var > 0), w_out and the
    labels; each scheme then scales its family's draw, exactly as rng.normal(0, std) and
    rng.uniform(-b, b) would. Settings that change only a scale (Var(W), gain, the
    scheme within a family, the activation, bias_var > 0) reuse the cached draws.

    >>> spec = NetworkSpec(depth=2, width=4, batch=3, weight_var=0.5)
    >>> bool((make_params(spec.replace(weight_var=2.0)).weights[1]
    ...       == 2 * make_params(spec).weights[1]).all())
    True
    """
    base = _base_draws(spec)
    gain, fan_in, fan_out = spec.effective_gain, spec.fan_in, spec.fan_out
    if base.family == "orthogonal":
        weights = [gain * z for z in base.weights]
    elif base.family == "uniform":
        b = initializers.uniform_bound(spec.init, fan_in, fan_out, gain)
        weights = [z * (2 * b) - b for z in base.weights]      # rng.uniform(-b, b): low + range * U
    else:
        std = math.sqrt(initializers.weight_var(spec.init, fan_in, fan_out, gain, spec.weight_var))
        weights = [std * z for z in base.weights]
    bias_std = math.sqrt(spec.bias_var)
    biases = [bias_std * z if bias_std else np.zeros(spec.width) for z in base.biases]
    return Params(base.x0.copy(), weights, biases, base.w_out.copy(), base.labels.copy())


@dataclass(frozen=True)
class _Draws:
    family: str
    x0: np.ndarray
    weights: list[np.ndarray]
    biases: list            # standard normal draws, or None per layer when bias_var = 0
    w_out: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class _Stream:
    """One seed's draws in stream order, as far as a network has needed them: x0, then
    the weight matrices; and the generator's state after x0 and k matrices (states[k]),
    from which a network of depth k draws the rest (biases, w_out, labels). Layer k's
    matrix is the same for every depth, so a new depth reuses the layers drawn before
    (the Haar-orthogonal ones cost a QR each)."""
    x0: np.ndarray
    weights: tuple[np.ndarray, ...]
    states: tuple[dict, ...]

    @property
    def nbytes(self) -> int:
        return self.x0.nbytes + sum(w.nbytes for w in self.weights)


BASE_CACHE_BYTES = 2 * CACHED_DRAWS_BYTES    # the draws of a few recent shapes; a class shares them
_base_cache: OrderedDict = OrderedDict()
_base_lock = threading.Lock()


def weight_family(init: str) -> str:
    """The random draw a scheme scales: "normal", "uniform" or "orthogonal". Two specs
    that differ only in a scale within one family draw the same unscaled numbers."""
    if init == "orthogonal":
        return "orthogonal"
    return "uniform" if init in initializers.UNIFORM else "normal"


def _base_draws(spec: NetworkSpec) -> _Draws:
    """The unscaled random numbers of `spec`: its stream's x0 and first `depth` matrices
    (from a small LRU cache bounded in bytes, extended when a deeper network asks), then
    biases, w_out and labels drawn on from the state after them."""
    family = weight_family(spec.init)
    stream = _stream(spec, family)
    rng = np.random.default_rng(spec.seed)
    rng.bit_generator.state = stream.states[spec.depth]
    biases = [rng.standard_normal(spec.width) if spec.bias_var > 0 else None
              for _ in range(spec.depth)]
    w_out = rng.standard_normal((spec.width, spec.classes))
    labels = rng.integers(0, spec.classes, spec.batch)
    for arr in (w_out, labels, *(z for z in biases if z is not None)):
        arr.setflags(write=False)
    return _Draws(family, stream.x0, list(stream.weights[:spec.depth]), biases, w_out, labels)


def _stream(spec: NetworkSpec, family: str) -> _Stream:
    key = (spec.seed, spec.batch, spec.spatial, spec.width, spec.input_dist, family)
    with _base_lock:
        stream = _base_cache.get(key)
        if stream is not None:
            _base_cache.move_to_end(key)
    if stream is not None and len(stream.weights) >= spec.depth:
        return stream
    stream = _extend(spec, family, stream)
    if stream.nbytes <= CACHED_DRAWS_BYTES:
        with _base_lock:
            old = _base_cache.get(key)
            if old is None or len(old.weights) < len(stream.weights):
                _base_cache[key] = stream
            total = sum(d.nbytes for d in _base_cache.values())
            while total > BASE_CACHE_BYTES:
                total -= _base_cache.popitem(last=False)[1].nbytes
    return stream


def _extend(spec: NetworkSpec, family: str, stream: _Stream | None) -> _Stream:
    """`stream` (or a new one) drawn on to spec.depth matrices; arrays read-only, as
    every Params drawn from the cache shares them."""
    rng = np.random.default_rng(spec.seed)
    if stream is None:
        x0 = draw_inputs(spec, rng)
        x0.setflags(write=False)
        stream = _Stream(x0, (), (rng.bit_generator.state,))
    else:
        rng.bit_generator.state = stream.states[-1]
    weights, states = list(stream.weights), list(stream.states)
    square = (spec.fan_in, spec.fan_out)
    for _ in range(len(weights), spec.depth):
        if family == "orthogonal":
            w = initializers.sample_weights("orthogonal", *square, rng)
        elif family == "uniform":
            w = rng.random(square)
        else:
            w = rng.standard_normal(square)
        w.setflags(write=False)
        weights.append(w)
        states.append(rng.bit_generator.state)
    return _Stream(stream.x0, tuple(weights), tuple(states))


def draw_inputs(spec: NetworkSpec, rng: np.random.Generator, count: int | None = None):
    """`count` examples (the spec's batch by default) from its input distribution:
    N(0, 1), or pixel-like U[0, 1], shaped (examples, positions, width)."""
    shape = (spec.batch if count is None else count, spec.spatial, spec.width)
    return rng.standard_normal(shape) if spec.input_dist == "normal" else rng.random(shape)


# -- activations on scaled tensors ----------------------------------------------------

def act_forward(act: activations.Activation, u: np.ndarray, scale: float):
    """phi(u * 10**scale) as (stored, scale)."""
    if act.homogeneous:
        return act.fn(u), scale
    if scale > BIG:                          # far tails: phi ~ slope * u + limit
        const = np.where(u > 0, act.pos_limit, np.where(u < 0, act.neg_limit, 0.0))
        if act.pos_slope == act.neg_slope == 0.0:
            return const.astype(u.dtype), 0.0
        return add_scaled(np.where(u > 0, act.pos_slope, act.neg_slope) * u, scale, const, 0.0)
    if scale < -BIG:                         # near zero: phi(0) + phi'(0) u
        slope = act.deriv(u * 10.0**-BIG)
        phi0 = act.fn(np.zeros(1))[0]
        if phi0 == 0:                        # keep the scale: adding 0 would underflow u
            return slope * u, scale
        return add_scaled(slope * u, scale, np.full_like(u, phi0), 0.0)
    return act.fn(u * 10.0**scale if scale else u), 0.0


def local_grad(act: activations.Activation, t: np.ndarray, scale: float) -> np.ndarray:
    """phi' at the layer, from phi's output t when the activation allows it, else from
    its input (see act_deriv); a plain array. Near a bounded activation's limits the
    output-based form cancels: `saturated_fix` and `local_grad_scaled` repair that."""
    if act.deriv_from_output is None:
        return act_deriv(act, t, scale)
    if act.homogeneous or not scale:
        return act.deriv_from_output(t)
    return act.deriv_from_output(t * 10.0**scale)


# |phi on the [-1, 1] scale| beyond which phi' is taken from the input: there 1 - t^2
# (or s (1 - s)) is below ~2e-3, and the rounding of t would cost it more than ~2e-13.
SATURATED = 1.0 - 2.0**-10


def saturated_fix(act: activations.Activation, a: np.ndarray, a_scale: float,
                  u: np.ndarray, u_scale: float):
    """(flat indices, ln phi'(u) there) where phi' from the output a would have cancelled,
    or None. Float64 runs only: float32/16 keep the hardware's output-based phi'.

    >>> from core.activations import get
    >>> u = np.array([0.5, 30.0]); idx, log_d = saturated_fix(get("tanh"), np.tanh(u), 0.0, u, 0.0)
    >>> idx.tolist(), round(float(log_d[0]), 6)         # ln sech^2 30 = ln 4 - 60
    ([1], -58.613706)
    """
    if act.log_deriv is None or a.dtype != np.float64 or a_scale:
        return None                          # a_scale != 0: |a| far below 1, no saturation
    idx = np.flatnonzero(np.abs(act.to_level(a)) > SATURATED)
    if not idx.size:
        return None
    with np.errstate(over="ignore"):         # |u| past 1e308: ln phi' = -inf, phi' = 0
        mag = np.abs(u.reshape(-1)[idx]) * 10.0**u_scale if u_scale else u.reshape(-1)[idx]
    return idx, act.log_deriv(mag)


def local_grad_scaled(act: activations.Activation, t: np.ndarray, scale: float,
                      fix=None) -> tuple[np.ndarray, float]:
    """local_grad with `saturated_fix`'s values put in, as (stored, log10 scale): where
    every unit is saturated the scale carries phi' below float64's range (sech^2 400 ~
    1e-347), so the gradient stays nonzero and its log10 variance exact."""
    d = local_grad(act, t, scale)
    if fix is None:
        return d, 0.0
    idx, log_d = fix
    top = float(log_d.max()) if idx.size == d.size else 0.0
    top = top if math.isfinite(top) else 0.0
    d = np.array(d, dtype=np.float64)        # a fresh array: the fix writes into it
    d.reshape(-1)[idx] = np.exp(log_d - top)
    return d, top / math.log(10.0)


def act_deriv(act: activations.Activation, u: np.ndarray, scale: float) -> np.ndarray:
    """phi'(u * 10**scale), a plain array (derivatives need no scale)."""
    if act.homogeneous:
        return act.deriv(u)
    if scale > BIG:
        return np.where(u > 0, act.pos_slope, act.neg_slope).astype(u.dtype)
    return act.deriv(u * 10.0 ** max(scale, -BIG) if scale else u)


# -- one run --------------------------------------------------------------------------

@dataclass
class LayerForward:
    """One layer's forward tensors (stored arrays and their log10 scales)."""
    index: int
    x: np.ndarray
    x_scale: float
    preact: np.ndarray
    preact_scale: float
    u: np.ndarray
    u_scale: float
    act: np.ndarray
    act_scale: float
    out: np.ndarray
    out_scale: float
    norm: norms.NormCache | None = None     # the layer's normalization, with its statistics


@dataclass
class LayerBackward:
    index: int
    grad_preact: np.ndarray           # dL/dh
    grad_preact_scale: float
    layer_input: np.ndarray = field(repr=False)     # x, stored: dL/dW = x^T dL/dh
    grad_weight_scale: float = 0.0
    underflow: bool = False     # the format rounded this layer's nonzero dL/dh to all zeros
    # Why dL/dh is all zeros here though dL/d(out) is not, where the format did not round
    # it: "off" (phi' = 0 wherever the gradient arrives), "norm" (the normalization's
    # backward step, exact in float64), "certain" (the softmax's, last layer: `_readout_zero`);
    # None otherwise (`_why_zero`)
    zero_cause: str | None = None
    # With Params.gammas: dL/dgamma and dL/dbeta of the layer's norm, (width,) each,
    # true = stored * 10**grad_affine_scale; None without a norm or without Params.gammas
    grad_gamma: np.ndarray | None = None
    grad_beta: np.ndarray | None = None
    grad_affine_scale: float = 0.0

    @functools.cached_property
    def grad_weight(self) -> np.ndarray:
        """dL/dW, shape (width, width), true = stored * 10**grad_weight_scale: computed
        when an observer asks (the per-layer curves of a comparison do not: a third of
        the layer's products saved)."""
        width = self.grad_preact.shape[-1]
        return _matmul(self.layer_input.reshape(-1, width).T, self.grad_preact.reshape(-1, width))


@dataclass
class RunOutput:
    loss: float
    log10_loss: float
    logits: np.ndarray
    logits_scale: float
    grad_input: np.ndarray = field(repr=False)
    grad_input_scale: float = 0.0
    grad_logits: np.ndarray | None = field(default=None, repr=False)   # dL/dlogits, true units


def _matmul(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x @ w over the last axis; float16 accumulates in float32 and rounds, as GPUs do."""
    lead = x.shape[:-1]
    x2 = x.reshape(-1, x.shape[-1])               # one GEMM, not a batch of GEMVs
    if x.dtype == np.float16:
        y = (x2.astype(np.float32) @ w.astype(np.float32)).astype(np.float16)
    else:
        y = x2 @ w
    return y.reshape(*lead, w.shape[-1])


def forward_backward(spec: NetworkSpec, params: Params,
                     on_forward: Callable[[LayerForward], None] | None = None,
                     on_backward: Callable[[LayerBackward], None] | None = None,
                     norm_stats: list | None = None, backward: bool = True) -> RunOutput:
    """Run the network forward, compute the loss, and backpropagate to every layer.

    norm_stats: per layer, the (mean, var) BatchNorm uses in eval mode instead of the
    batch's (PyTorch's running statistics); None is training mode.
    backward=False stops after the loss (grad_input is then None)."""
    if spec.dtype == "float64":
        return _forward_backward(spec, params, on_forward, on_backward, norm_stats, backward)
    # float32/16 overflow on purpose, as on hardware: that is the lesson, not a warning
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _forward_backward(spec, params, on_forward, on_backward, norm_stats, backward)


# Names in the layer loop: every tensor t travels with its log10 scale, written t_s
# (true value = t * 10**t_s). x: layer input, h: pre-activation, u: what the activation
# sees, a: activation, f: block output, out: next layer's input; g_*: dL/d of that tensor.

def _forward_backward(spec, params, on_forward, on_backward, norm_stats, backward) -> RunOutput:
    dtype = np.dtype(spec.dtype)
    exact = dtype == np.float64          # log-scale bookkeeping only where it can be exact
    act = activations.get(spec.activation)
    use_norm = spec.norm != "none"
    alpha = spec.residual_scale
    learned = params.gammas is not None      # per-channel gamma, beta, and their gradients

    def settle(t, s, ms=None):
        """Keep the stored part near 1 (float64) or fold the scale in (float32/16)."""
        if exact:
            return renorm(t, s, ms)
        return (t * dtype.type(10.0**s), 0.0) if s else (t, 0.0)

    def gamma_beta(i):
        if learned:
            return params.gammas[i].astype(dtype, copy=False), params.betas[i]
        return dtype.type(spec.norm_gamma), spec.norm_beta

    def affine(t, s, i):
        gamma, beta = gamma_beta(i)
        if learned or gamma != 1.0:
            t = t * gamma
        if learned or beta != 0.0:
            return settle(*add_scaled(t, s, np.broadcast_to(np.asarray(beta, t.dtype), t.shape), 0.0))
        return t, s

    def norm_fwd(t, s, i):
        fixed = None if norm_stats is None else norm_stats[i]
        t, s, cache = norms.normalize(t, s, spec.norm, spec.groups, stats=fixed)
        t, s = settle(t, s)
        return (*affine(t, s, i), cache)

    def norm_bwd(g, g_s, cache, i):
        """dL/d(norm input) from dL/d(norm output); with learned gamma, beta also theirs."""
        gamma = gamma_beta(i)[0]
        affine_grads = {}
        if learned:
            xhat = cache.xhat.reshape(g.shape)
            rows = tuple(range(g.ndim - 1))
            affine_grads = dict(grad_gamma=(g * xhat).sum(axis=rows) * 10.0**cache.out_scale,
                                grad_beta=g.sum(axis=rows), grad_affine_scale=g_s)
        return (*settle(*norms.normalize_backward(g * gamma, g_s, cache)), affine_grads)

    # no copy in float64: at depth 200 and width 1024 the weights alone are 1.6 GB
    weights = [w.astype(dtype, copy=False) for w in params.weights]
    biases = [b.astype(dtype, copy=False) for b in params.biases]
    x, x_s = params.x0.astype(dtype), 0.0
    saved = []                           # per layer, what its backward step needs
    for i, (w, b) in enumerate(zip(weights, biases)):
        # zero biases are skipped (adding 0 can round a tiny scaled h); trained ones are not
        h, h_s = settle(*add_scaled(_matmul(x, w), x_s, b, 0.0)) if spec.bias_var or b.any() \
            else settle(_matmul(x, w), x_s)
        norm_before = norm_after = None
        if use_norm and spec.norm_position == "before":
            u, u_s, norm_before = norm_fwd(h, h_s, i)
        else:
            u, u_s = h, h_s
        if backward and act.with_slope is not None and abs(u_s) <= BIG:
            a, d = act.with_slope(_true(u, u_s))   # phi and phi' share their costly part
            (a, a_s), slope = settle(a, 0.0), (d, 0.0)
        else:
            a, a_s = settle(*act_forward(act, u, u_s))
            slope = None
        if use_norm and spec.norm_position == "after":
            f, f_s, norm_after = norm_fwd(a, a_s, i)
        else:
            f, f_s = a, a_s
        if spec.residual:
            out, out_s = settle(*add_scaled(x, x_s, f * dtype.type(alpha), f_s))
        else:
            out, out_s = f, f_s
        if on_forward is not None:
            on_forward(LayerForward(i, x, x_s, h, h_s, u, u_s, a, a_s, out, out_s,
                                    norm_before or norm_after))
        if backward:
            slope = slope or _slope(act, u, u_s, a, a_s, exact)
            saved.append((x, x_s, *slope, norm_before, norm_after))
        x, x_s = out, out_s

    run = _readout(spec, params, x, x_s, dtype)
    if not backward:
        return RunOutput(run.loss, run.log10_loss, run.logits, run.logits_scale, None)
    g, g_s = run.pop_grad()                  # dL/d(out) of the last layer
    # the layer above (or the readout) rounded dL/dx to all zeros, or made it zero itself
    lost_above, zero_above = _readout_zero(run.grad_logits, g)
    for i in range(spec.depth - 1, -1, -1):
        x_in, x_in_s, d, d_s, norm_before, norm_after = saved[i]
        g_f, g_f_s = (g * dtype.type(alpha) if spec.residual else g), g_s
        affine_grads = {}
        if norm_after is not None:
            g_f, g_f_s, affine_grads = norm_bwd(g_f, g_f_s, norm_after, i)
        g_a, g_a_s = (g_f, g_f_s) if d is None else (g_f * d, g_f_s + d_s)
        if norm_before is not None:
            g_h, g_h_s, affine_grads = norm_bwd(g_a, g_a_s, norm_before, i)
        else:
            g_h, g_h_s = settle(g_a, g_a_s)
        h_live = bool(g_h.any())
        if on_backward is not None:
            lost, cause = lost_above, zero_above
            if not (h_live or lost_above) and g.any():
                lost, cause = _why_zero(act, g_f, d, g_a, norm_after is not None, exact)
            on_backward(LayerBackward(i, g_h, g_h_s, x_in, x_in_s + g_h_s, lost, cause,
                                      **affine_grads))
        g_x = _matmul(g_h, weights[i].T)
        if spec.residual:
            g, g_s = settle(*add_scaled(g_x, g_h_s, g, g_s))
        else:
            g, g_s = settle(g_x, g_h_s)
        lost_above, zero_above = h_live and not g.any(), None
        saved[i] = None                       # free layer i's tensors as soon as possible
    return RunOutput(run.loss, run.log10_loss, run.logits, run.logits_scale, g, g_s,
                     run.grad_logits)


def _slope(act, u, u_s, a, a_s, exact: bool) -> tuple[np.ndarray | None, float]:
    """phi' at the layer as (stored, log10 scale), None for the identity (phi' = 1).

    Taken in the forward pass, while a is still in the cache (the backward pass would
    fetch a back from memory for it); the price is one more layer-sized array held until
    the backward pass where a is the next layer's input, held anyway. From phi's
    output where possible (as autograd does), with `saturated_fix` where that cancels;
    else from u (gelu's comes with phi, from Activation.with_slope, where phi is
    evaluated at u's true values)."""
    if act.identity:
        return None, 0.0
    if act.deriv_from_output is None:
        return local_grad_scaled(act, u, u_s)
    fix = saturated_fix(act, a, a_s, u, u_s) if exact else None
    return local_grad_scaled(act, a, a_s, fix)


def _true(t: np.ndarray, scale: float) -> np.ndarray:
    return t * 10.0**scale if scale else t


def _why_zero(act, g_f, d, g_a, norm_after: bool, exact: bool) -> tuple[bool, str | None]:
    """Why a layer's dL/dh is all zeros though dL/d(out) is not, as (rounded by the format,
    cause by construction). phi' = 0 wherever the gradient arrives: relu's units off
    ("off"), unless a phi' or product was rounded (`_backward_lost`). A normalization's
    backward step, which takes out of the gradient what would change its inputs' mean
    and spread: exact in float64 ("norm"); in float32/16 counted as the format's rounding
    (simulate asks `constant_readout` whether the network itself makes it zero)."""
    if not g_f.any():                      # the norm after the activation (or alpha)
        return (False, "norm") if norm_after and exact else (True, None)
    if not g_a.any():
        return (True, None) if _backward_lost(act, g_f, d) else (False, "off")
    return (False, "norm") if exact else (True, None)       # the norm before it


def _readout_zero(grad_logits, g) -> tuple[bool, str | None]:
    """Why dL/d(out) of the last layer is all zeros, if it is, as (rounded, cause). The
    softmax's dL/dlogits = p - onehot is exactly zero only where every example's right
    class rounds to probability exactly 1: the network is certain, and right, on the
    whole batch ("certain"). A nonzero dL/dlogits that the product with W_out rounded
    to zeros is the format's doing."""
    if g.any():
        return False, None
    return (True, None) if grad_logits.any() else (False, "certain")


# phi(-h) = -phi(h)
_ODD = frozenset({"linear", "tanh"})


def constant_readout(spec: NetworkSpec) -> str | None:
    """Why the readout sees the same numbers for every input, by construction, or None.

    The readout averages the last layer's output over positions, and InstanceNorm
    normalizes each channel over those same positions. After the activation
    ("instance_after") every channel's average over them is then beta, whatever the
    input. Before it, over two positions ("instance_pair"), the two values come out as
    +gamma and -gamma (to within eps), and an odd activation with beta = 0 keeps them
    opposite: their average is 0. Either way the loss cannot change and every gradient
    is zero. A residual connection adds the layer's input, which does vary.

    >>> constant_readout(NetworkSpec(norm="instance", spatial=2, activation="tanh"))
    'instance_pair'
    >>> constant_readout(NetworkSpec(norm="instance", spatial=2, activation="relu")) is None
    True
    """
    if spec.norm != "instance" or spec.residual:
        return None
    if spec.norm_position == "after":
        return "instance_after"
    if spec.spatial == 2 and spec.norm_beta == 0 and spec.activation in _ODD:
        return "instance_pair"
    return None


def _backward_lost(act, g_f, d) -> bool:
    """Whether dL/dh = dL/df * phi'(u), all zeros, is so only because the format rounded
    it: some dL/df is nonzero where phi' is nonzero (every activation's phi' is, except
    relu's below zero, so a phi' of exactly 0 elsewhere is itself a rounding)."""
    live = g_f != 0
    if act.exact_zero_side:
        live &= d != 0
    return bool(live.any())


@dataclass
class _Readout:
    loss: float
    log10_loss: float
    logits: np.ndarray
    logits_scale: float
    grad: np.ndarray
    grad_scale: float
    grad_logits: np.ndarray

    def pop_grad(self):
        g, self.grad = self.grad, None
        return g, self.grad_scale


def _readout(spec, params, x, xs, dtype) -> _Readout:
    """Softmax cross-entropy of readout_scale * mean_positions(x) @ W_out against the labels."""
    pooled = x.mean(axis=1) if spec.spatial > 1 else x[:, 0, :]
    w_out = (params.w_out * spec.readout_scale).astype(dtype)
    z = _matmul(pooled, w_out)                       # true logits = z * 10**xs
    log10_loss, probs = softmax_cross_entropy(z, xs, params.labels)
    probs[np.arange(spec.batch), params.labels] -= 1.0
    g_logits = probs / dtype.type(spec.batch)
    g_pooled = _matmul(g_logits, w_out.T)
    g = np.repeat(g_pooled[:, None, :] / dtype.type(spec.spatial), spec.spatial, axis=1)
    return _Readout(unscale(log10_loss), log10_loss, z, xs, g, 0.0, g_logits)

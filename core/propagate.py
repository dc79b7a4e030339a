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

>>> from core.spec import NetworkSpec
>>> spec = NetworkSpec(depth=3, width=8, batch=4, activation="relu")
>>> params = make_params(spec)
>>> out = forward_backward(spec, params)
>>> round(out.loss, 3) > 0
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from . import activations, initializers, norms
from .scaled import add_scaled, renorm
from .spec import NetworkSpec

BIG = 290.0        # beyond 10**BIG a non-homogeneous activation is taken by its asymptotes


@dataclass
class Params:
    """Everything random in one run: inputs, weights, biases, readout and labels."""
    x0: np.ndarray                  # (batch, positions, width)
    weights: list[np.ndarray]       # depth x (width, width), h = x @ W
    biases: list[np.ndarray]        # depth x (width,), zeros when bias_var = 0
    w_out: np.ndarray               # (width, classes), before readout_scale
    labels: np.ndarray              # (batch,) integers


def make_params(spec: NetworkSpec) -> Params:
    """Draw a network from its spec; the same seed always gives the same network."""
    rng = np.random.default_rng(spec.seed)
    shape = (spec.batch, spec.spatial, spec.width)
    x0 = rng.standard_normal(shape) if spec.input_dist == "normal" else rng.random(shape)
    weights = [initializers.sample_weights(spec.init, spec.fan_in, spec.fan_out, rng,
                                           spec.effective_gain, spec.weight_var)
               for _ in range(spec.depth)]
    bias_std = math.sqrt(spec.bias_var)
    biases = [rng.normal(0.0, bias_std, spec.width) if bias_std else np.zeros(spec.width)
              for _ in range(spec.depth)]
    w_out = rng.standard_normal((spec.width, spec.classes))
    labels = rng.integers(0, spec.classes, spec.batch)
    return Params(x0, weights, biases, w_out, labels)


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
    its input (see act_deriv); a plain array, since derivatives need no scale."""
    if act.deriv_from_output is None:
        return act_deriv(act, t, scale)
    if act.homogeneous or not scale:
        return act.deriv_from_output(t)
    return act.deriv_from_output(t * 10.0**scale)


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


@dataclass
class LayerBackward:
    index: int
    grad_preact: np.ndarray           # dL/dh
    grad_preact_scale: float
    grad_weight: np.ndarray           # dL/dW, shape (width, width)
    grad_weight_scale: float


@dataclass
class RunOutput:
    loss: float
    log10_loss: float
    logits: np.ndarray
    logits_scale: float
    grad_input: np.ndarray = field(repr=False)
    grad_input_scale: float = 0.0


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
                     on_backward: Callable[[LayerBackward], None] | None = None) -> RunOutput:
    """Run the network forward, compute the loss, and backpropagate to every layer."""
    if spec.dtype == "float64":
        return _forward_backward(spec, params, on_forward, on_backward)
    # float32/16 overflow on purpose, as on hardware: that is the lesson, not a warning
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _forward_backward(spec, params, on_forward, on_backward)


def _forward_backward(spec, params, on_forward, on_backward) -> RunOutput:
    dtype = np.dtype(spec.dtype)
    exact = dtype == np.float64          # log-scale bookkeeping only where it can be exact
    act = activations.get(spec.activation)
    use_norm = spec.norm != "none"
    gamma, beta, alpha = spec.norm_gamma, spec.norm_beta, spec.residual_scale

    def settle(t, s, ms=None):
        """Keep the stored part near 1 (float64) or fold the scale in (float32/16)."""
        if exact:
            return renorm(t, s, ms)
        return (t * dtype.type(10.0**s), 0.0) if s else (t, 0.0)

    def affine(t, s):
        if gamma != 1.0:
            t = t * dtype.type(gamma)
        if beta != 0.0:
            return settle(*add_scaled(t, s, np.full_like(t, beta), 0.0))
        return t, s

    def norm_fwd(t, s):
        t, s, cache = norms.normalize(t, s, spec.norm, spec.groups)
        t, s = settle(t, s)
        return (*affine(t, s), cache)

    # no copy in float64: at depth 200 and width 1024 the weights alone are 1.6 GB
    weights = [w.astype(dtype, copy=False) for w in params.weights]
    biases = [b.astype(dtype, copy=False) for b in params.biases]
    x, xs = params.x0.astype(dtype), 0.0
    saved = []
    for i, (w, b) in enumerate(zip(weights, biases)):
        h, hs = settle(*add_scaled(_matmul(x, w), xs, b, 0.0)) if spec.bias_var else \
            settle(_matmul(x, w), xs)
        ncache_before = ncache_after = None
        if use_norm and spec.norm_position == "before":
            u, us, ncache_before = norm_fwd(h, hs)
        else:
            u, us = h, hs
        a, as_ = settle(*act_forward(act, u, us))
        if use_norm and spec.norm_position == "after":
            f, fs, ncache_after = norm_fwd(a, as_)
        else:
            f, fs = a, as_
        if spec.residual:
            out, outs = settle(*add_scaled(x, xs, f * dtype.type(alpha), fs))
        else:
            out, outs = f, fs
        if on_forward is not None:
            on_forward(LayerForward(i, x, xs, h, hs, u, us, a, as_, out, outs))
        # phi' from phi's output where possible (as autograd does), else from its input
        local = (a, as_) if act.deriv_from_output else (u, us)
        saved.append((x, xs, *local, ncache_before, ncache_after))
        x, xs = out, outs

    run = _readout(spec, params, x, xs, dtype)
    g, gs = run.pop_grad()
    for i in range(spec.depth - 1, -1, -1):
        xi, xis, t, ts, nb, na = saved[i]
        g_f = g * dtype.type(alpha) if spec.residual else g
        gfs = gs
        if na is not None:
            g_f, gfs = settle(*norms.normalize_backward(g_f * dtype.type(gamma), gfs, na))
        g_h = g_f * local_grad(act, t, ts)
        ghs = gfs
        if nb is not None:
            g_h, ghs = norms.normalize_backward(g_h * dtype.type(gamma), ghs, nb)
        g_h, ghs = settle(g_h, ghs)
        flat_x = xi.reshape(-1, spec.width)
        flat_g = g_h.reshape(-1, spec.width)
        if on_backward is not None:
            on_backward(LayerBackward(i, g_h, ghs, _matmul(flat_x.T, flat_g), xis + ghs))
        g_x = _matmul(g_h, weights[i].T)
        if spec.residual:
            g, gs = settle(*add_scaled(g_x, ghs, g, gs))
        else:
            g, gs = settle(g_x, ghs)
        saved[i] = None                       # free layer i's tensors as soon as possible
    return RunOutput(run.loss, run.log10_loss, run.logits, run.logits_scale, g, gs)


@dataclass
class _Readout:
    loss: float
    log10_loss: float
    logits: np.ndarray
    logits_scale: float
    grad: np.ndarray
    grad_scale: float

    def pop_grad(self):
        g, self.grad = self.grad, None
        return g, self.grad_scale


def _readout(spec, params, x, xs, dtype) -> _Readout:
    """Softmax cross-entropy of readout_scale * mean_positions(x) @ W_out against the labels."""
    pooled = x.mean(axis=1) if spec.spatial > 1 else x[:, 0, :]
    w_out = (params.w_out * spec.readout_scale).astype(dtype)
    z = _matmul(pooled, w_out)                       # true logits = z * 10**xs
    rows = np.arange(spec.batch)
    labels = params.labels
    if xs <= BIG:
        zt = z * dtype.type(10.0**xs) if xs else z
        zmax = zt.max(axis=1, keepdims=True)
        shifted = zt - zmax
        lse = np.log(np.exp(shifted).sum(axis=1))
        per_example = lse - shifted[rows, labels]
        loss = float(np.mean(per_example, dtype=np.float64))
        log10_loss = math.log10(loss) if loss > 0 else -math.inf
        probs = np.exp(shifted - lse[:, None])
    else:
        # Logits beyond 1e290: softmax is one-hot on the largest, the loss is the gap to it.
        gap = float(np.mean(z.max(axis=1) - z[rows, labels], dtype=np.float64))
        log10_loss = math.log10(gap) + xs if gap > 0 else -math.inf
        loss = 10.0**log10_loss if log10_loss < 308.25 else math.inf
        probs = np.zeros_like(z)
        probs[rows, z.argmax(axis=1)] = 1.0
    probs[rows, labels] -= 1.0
    g_logits = probs / dtype.type(spec.batch)
    g_pooled = _matmul(g_logits, w_out.T)
    g = np.repeat(g_pooled[:, None, :] / dtype.type(spec.spatial), spec.spatial, axis=1)
    return _Readout(loss, log10_loss, z, xs, g, 0.0)

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
from .loss import softmax_cross_entropy
from .scaled import BIG, add_scaled, renorm, unscale
from .spec import NetworkSpec


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
    x0 = draw_inputs(spec, rng)
    weights = [initializers.sample_weights(spec.init, spec.fan_in, spec.fan_out, rng,
                                           spec.effective_gain, spec.weight_var)
               for _ in range(spec.depth)]
    bias_std = math.sqrt(spec.bias_var)
    biases = [rng.normal(0.0, bias_std, spec.width) if bias_std else np.zeros(spec.width)
              for _ in range(spec.depth)]
    w_out = rng.standard_normal((spec.width, spec.classes))
    labels = rng.integers(0, spec.classes, spec.batch)
    return Params(x0, weights, biases, w_out, labels)


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
    norm: norms.NormCache | None = None     # the layer's normalization, with its statistics


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

    def norm_fwd(t, s, i):
        fixed = None if norm_stats is None else norm_stats[i]
        t, s, cache = norms.normalize(t, s, spec.norm, spec.groups, stats=fixed)
        t, s = settle(t, s)
        return (*affine(t, s), cache)

    # no copy in float64: at depth 200 and width 1024 the weights alone are 1.6 GB
    weights = [w.astype(dtype, copy=False) for w in params.weights]
    biases = [b.astype(dtype, copy=False) for b in params.biases]
    x, x_s = params.x0.astype(dtype), 0.0
    saved = []                           # per layer, what its backward step needs
    for i, (w, b) in enumerate(zip(weights, biases)):
        h, h_s = settle(*add_scaled(_matmul(x, w), x_s, b, 0.0)) if spec.bias_var else \
            settle(_matmul(x, w), x_s)
        norm_before = norm_after = None
        if use_norm and spec.norm_position == "before":
            u, u_s, norm_before = norm_fwd(h, h_s, i)
        else:
            u, u_s = h, h_s
        a, a_s = settle(*act_forward(act, u, u_s))
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
            # phi' from phi's output where possible (as autograd does), else from its input
            local = (a, a_s) if act.deriv_from_output else (u, u_s)
            saved.append((x, x_s, *local, norm_before, norm_after))
        x, x_s = out, out_s

    run = _readout(spec, params, x, x_s, dtype)
    if not backward:
        return RunOutput(run.loss, run.log10_loss, run.logits, run.logits_scale, None)
    g, g_s = run.pop_grad()                  # dL/d(out) of the last layer
    for i in range(spec.depth - 1, -1, -1):
        x_in, x_in_s, t, t_s, norm_before, norm_after = saved[i]
        g_f, g_f_s = (g * dtype.type(alpha) if spec.residual else g), g_s
        if norm_after is not None:
            g_f, g_f_s = settle(*norms.normalize_backward(g_f * dtype.type(gamma), g_f_s,
                                                          norm_after))
        g_h, g_h_s = g_f * local_grad(act, t, t_s), g_f_s
        if norm_before is not None:
            g_h, g_h_s = norms.normalize_backward(g_h * dtype.type(gamma), g_h_s, norm_before)
        g_h, g_h_s = settle(g_h, g_h_s)
        if on_backward is not None:
            g_w = _matmul(x_in.reshape(-1, spec.width).T, g_h.reshape(-1, spec.width))
            on_backward(LayerBackward(i, g_h, g_h_s, g_w, x_in_s + g_h_s))
        g_x = _matmul(g_h, weights[i].T)
        if spec.residual:
            g, g_s = settle(*add_scaled(g_x, g_h_s, g, g_s))
        else:
            g, g_s = settle(g_x, g_h_s)
        saved[i] = None                       # free layer i's tensors as soon as possible
    return RunOutput(run.loss, run.log10_loss, run.logits, run.logits_scale, g, g_s)


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
    log10_loss, probs = softmax_cross_entropy(z, xs, params.labels)
    probs[np.arange(spec.batch), params.labels] -= 1.0
    g_logits = probs / dtype.type(spec.batch)
    g_pooled = _matmul(g_logits, w_out.T)
    g = np.repeat(g_pooled[:, None, :] / dtype.type(spec.spatial), spec.spatial, axis=1)
    return _Readout(unscale(log10_loss), log10_loss, z, xs, g, 0.0)

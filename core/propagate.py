"""Forward and backward propagation through the network a `NetworkSpec` describes.

One layer, on a channels-last tensor x of shape (batch, positions, width):

    h = x @ W + b                       pre-activation ("preact")
    u = norm(h)   or  h                 what the activation sees
    a = phi(u)                          activation
    f = a         or  norm(a)           block output (norm after the activation)
    x_next = f    or  x + alpha * f     residual

Each line is a stage of `core.stages`, its forward step beside its backward step;
`Layer` composes them, and `forward_backward` runs the layers, the loss and back.

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
from .scaled import unscale
from .spec import CACHED_DRAWS_BYTES, NetworkSpec
from .stages import Linear, Norm, Phi, Precision, Residual, matmul


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
        return matmul(self.layer_input.reshape(-1, width).T, self.grad_preact.reshape(-1, width))


@dataclass
class RunOutput:
    loss: float
    log10_loss: float
    logits: np.ndarray
    logits_scale: float
    grad_input: np.ndarray = field(repr=False)
    grad_input_scale: float = 0.0
    grad_logits: np.ndarray | None = field(default=None, repr=False)   # dL/dlogits, true units


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


def _forward_backward(spec, params, on_forward, on_backward, norm_stats, backward) -> RunOutput:
    layers = _layers(spec, params, norm_stats, backward)
    x, x_s = params.x0.astype(spec.dtype), 0.0
    for layer in layers:
        x, x_s = layer.forward(x, x_s, on_forward)
    run = _readout(spec, params, x, x_s, np.dtype(spec.dtype))
    if not backward:
        return RunOutput(run.loss, run.log10_loss, run.logits, run.logits_scale, None)
    g, g_s = run.pop_grad()                  # dL/d(out) of the last layer
    above = _readout_zero(run.grad_logits, g)
    for layer in reversed(layers):
        g, g_s, above = layer.backward(g, g_s, above, on_backward)
    return RunOutput(run.loss, run.log10_loss, run.logits, run.logits_scale, g, g_s,
                     run.grad_logits)


def _layers(spec, params, norm_stats, backward) -> list[Layer]:
    p = Precision(spec.dtype)
    phi = Phi(activations.get(spec.activation), p, backward)
    residual = Residual(spec.residual_scale if spec.residual else None, p)
    # no copy in float64: at depth 200 and width 1024 the weights alone are 1.6 GB
    linears = [Linear(w.astype(p.dtype, copy=False), b.astype(p.dtype, copy=False),
                      spec.bias_var > 0, p) for w, b in zip(params.weights, params.biases)]
    layers = []
    for i, linear in enumerate(linears):
        norm = _norm(spec, params, None if norm_stats is None else norm_stats[i], i, p)
        before, after = (norm, None) if spec.norm_position == "before" else (None, norm)
        layers.append(Layer(i, linear, before, phi, after, residual, keep=backward))
    return layers


def _norm(spec, params, stats, i: int, p: Precision) -> Norm | None:
    """Layer i's normalization: the spec's scalar gamma and beta, or Params' per-channel
    ones (which then get gradients), or None."""
    if spec.norm == "none":
        return None
    if params.gammas is None:
        return Norm(spec.norm, spec.groups, p.dtype.type(spec.norm_gamma), spec.norm_beta,
                    False, p, stats)
    return Norm(spec.norm, spec.groups, params.gammas[i].astype(p.dtype, copy=False),
                params.betas[i], True, p, stats)


# Names in a layer: every tensor t travels with its log10 scale, written t_s (true value
# = t * 10**t_s). x: layer input, h: pre-activation, u: what the activation sees, a:
# activation, f: block output, out: next layer's input; g_*: dL/d of that tensor.

class Layer:
    """One layer of the recipe (module docstring) composed of its stages (`core.stages`).
    Between its forward and backward steps it holds what the backward step needs: its
    input x, phi' and its norm's statistics."""
    __slots__ = ("index", "linear", "norm_before", "phi", "norm_after", "residual", "keep",
                 "saved")

    def __init__(self, index: int, linear: Linear, norm_before: Norm | None, phi: Phi,
                 norm_after: Norm | None, residual: Residual, keep: bool):
        self.index, self.linear, self.phi, self.residual = index, linear, phi, residual
        self.norm_before, self.norm_after, self.keep = norm_before, norm_after, keep
        self.saved = None

    def forward(self, x, x_s, observe) -> tuple[np.ndarray, float]:
        h, h_s = self.linear.forward(x, x_s)
        u, u_s, before = (h, h_s, None) if self.norm_before is None \
            else self.norm_before.forward(h, h_s)
        a, a_s, slope = self.phi.forward(u, u_s)
        f, f_s, after = (a, a_s, None) if self.norm_after is None \
            else self.norm_after.forward(a, a_s)
        out, out_s = self.residual.forward(x, x_s, f, f_s)
        if observe is not None:
            observe(LayerForward(self.index, x, x_s, h, h_s, u, u_s, a, a_s, out, out_s,
                                 before or after))
        if self.keep:                    # phi' after the observer: one array less at its peak
            self.saved = (x, x_s, slope or self.phi.slope(u, u_s, a, a_s), before, after)
        return out, out_s

    def backward(self, g, g_s, above: tuple[bool, str | None], observe):
        """(dL/dx, its scale, the `above` of the layer below) from dL/d(out). above:
        whether the format rounded the dL/d(out) arriving here to all zeros, and what
        made it zero by construction (`_readout_zero`)."""
        x, x_s, slope, before, after = self.saved
        self.saved = None                # free this layer's tensors as soon as possible
        g_f, g_f_s = self.residual.backward(g, g_s)
        g_a, g_a_s, grads = (g_f, g_f_s, {}) if after is None \
            else self.norm_after.backward(g_f, g_f_s, after)
        g_u, g_u_s = self.phi.backward(g_a, g_a_s, slope, settle=before is None)
        g_h, g_h_s, grads = (g_u, g_u_s, grads) if before is None \
            else self.norm_before.backward(g_u, g_u_s, before)
        h_live = bool(g_h.any())
        if observe is not None:
            lost, cause = above
            if not (h_live or lost) and g.any():
                lost, cause = _why_zero(self.phi.act, g_a, slope[0], g_u, after is not None,
                                        self.phi.p.exact)
            observe(LayerBackward(self.index, g_h, g_h_s, x, x_s + g_h_s, lost, cause, **grads))
        g_x, g_x_s = self.residual.join(*self.linear.backward(g_h, g_h_s), g, g_s)
        return g_x, g_x_s, (h_live and not g_x.any(), None)


def _why_zero(act, g_a, d, g_u, norm_after: bool, exact: bool) -> tuple[bool, str | None]:
    """Why a layer's dL/dh is all zeros though dL/d(out) is not, as (rounded by the format,
    cause by construction). phi' = 0 wherever the gradient arrives: relu's units off
    ("off"), unless a phi' or product was rounded (`_backward_lost`). A normalization's
    backward step, which takes out of the gradient what would change its inputs' mean
    and spread: exact in float64 ("norm"); in float32/16 counted as the format's rounding
    (simulate asks `constant_readout` whether the network itself makes it zero)."""
    if not g_a.any():                      # the norm after the activation (or alpha)
        return (False, "norm") if norm_after and exact else (True, None)
    if not g_u.any():
        return (True, None) if _backward_lost(act, g_a, d) else (False, "off")
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


def _backward_lost(act, g_a, d) -> bool:
    """Whether dL/du = dL/da * phi'(u), all zeros, is so only because the format rounded
    it: some dL/da is nonzero where phi' is nonzero (every activation's phi' is, except
    relu's below zero, so a phi' of exactly 0 elsewhere is itself a rounding)."""
    live = g_a != 0
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
    z = matmul(pooled, w_out)                       # true logits = z * 10**xs
    log10_loss, probs = softmax_cross_entropy(z, xs, params.labels)
    probs[np.arange(spec.batch), params.labels] -= 1.0
    g_logits = probs / dtype.type(spec.batch)
    g_pooled = matmul(g_logits, w_out.T)
    g = np.repeat(g_pooled[:, None, :] / dtype.type(spec.spatial), spec.spatial, axis=1)
    return _Readout(unscale(log10_loss), log10_loss, z, xs, g, 0.0, g_logits)

"""The stages of one layer, each with its forward step and its backward step side by side.

    Linear    h = x @ W + b               dL/dx = dL/dh @ W^T     (dL/dW = x^T dL/dh)
    Norm      y = gamma norm(t) + beta    dL/dt = norms.normalize_backward(gamma dL/dy)
    Phi       a = phi(u)                  dL/du = dL/da * phi'(u)
    Residual  out = x + alpha f           dL/df = alpha dL/dout,  dL/dx += dL/dout

Every tensor t travels with its log10 scale t_s (true value = t * 10**t_s, `core.scaled`);
a stage takes and returns such pairs, and the run's `Precision` decides what a scale
means. A forward step returns what its backward step will need (a norm's statistics,
phi'); `core.propagate.Layer` composes the stages and holds that in between.

>>> p = Precision("float64")
>>> x = np.ones((2, 1, 3)); lin = Linear(np.eye(3), np.zeros(3), False, p)
>>> h, h_s = lin.forward(x, 0.0)
>>> g_x, g_x_s = lin.backward(np.full_like(h, 0.5), h_s)
>>> h.tolist() == x.tolist(), g_x[0, 0].tolist()
(True, [0.5, 0.5, 0.5])
"""

from __future__ import annotations

import math

import numpy as np

from . import activations, norms
from .scaled import BIG, add_scaled, renorm, true_units


class Precision:
    """The run's number format. float64 keeps each tensor's stored part near 1 and its
    magnitude in the log10 scale, so nothing overflows; float32/16 fold the scale into
    the values, which then overflow and round as on hardware."""

    def __init__(self, dtype: str):
        self.dtype = np.dtype(dtype)
        self.exact = self.dtype == np.float64     # log-scale bookkeeping only where it can be exact

    def settle(self, t: np.ndarray, s: float) -> tuple[np.ndarray, float]:
        """(t, s) with the stored part near 1 (float64), or the scale folded in."""
        if self.exact:
            return renorm(t, s)
        return (t * self.dtype.type(10.0**s), 0.0) if s else (t, 0.0)


def matmul(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """x @ w over the last axis; float16 accumulates in float32 and rounds, as GPUs do."""
    lead = x.shape[:-1]
    x2 = x.reshape(-1, x.shape[-1])               # one GEMM, not a batch of GEMVs
    if x.dtype == np.float16:
        y = (x2.astype(np.float32) @ w.astype(np.float32)).astype(np.float16)
    else:
        y = x2 @ w
    return y.reshape(*lead, w.shape[-1])


class Linear:
    """h = x @ W + b, in the run's dtype. dL/dW = x^T dL/dh is left to whoever asks
    (`core.propagate.LayerBackward.grad_weight`)."""
    __slots__ = ("w", "b", "with_bias", "p")      # one per layer: no __dict__ each

    def __init__(self, w: np.ndarray, b: np.ndarray, with_bias: bool, p: Precision):
        # zero biases are skipped (adding 0 can round a tiny scaled h); trained ones are not
        self.w, self.b, self.with_bias, self.p = w, b, with_bias or bool(b.any()), p

    def forward(self, x, x_s):
        if self.with_bias:
            return self.p.settle(*add_scaled(matmul(x, self.w), x_s, self.b, 0.0))
        return self.p.settle(matmul(x, self.w), x_s)

    def backward(self, g_h, g_h_s):
        """dL/dx, not settled: `Residual.join` settles it with the skip's share."""
        return matmul(g_h, self.w.T), g_h_s


class Norm:
    """y = gamma * normalize(t) + beta (`core.norms`): gamma and beta are the spec's
    scalars, or per channel (width,) arrays when learned, which also get gradients.
    `stats` = (mean, var) puts BatchNorm in eval mode (PyTorch's running statistics)."""
    __slots__ = ("kind", "groups", "stats", "p", "gamma", "beta", "learned")

    def __init__(self, kind: str, groups: int, gamma, beta, learned: bool, p: Precision,
                 stats=None):
        self.kind, self.groups, self.stats, self.p = kind, groups, stats, p
        self.gamma, self.beta, self.learned = gamma, beta, learned

    def forward(self, t, s):
        """(y, y_s, cache): the cache is what `backward` needs."""
        t, s, cache = norms.normalize(t, s, self.kind, self.groups, stats=self.stats)
        t, s = self.p.settle(t, s)
        if self.learned or self.gamma != 1.0:
            t = t * self.gamma
        if self.learned or self.beta != 0.0:
            beta = np.broadcast_to(np.asarray(self.beta, t.dtype), t.shape)
            t, s = self.p.settle(*add_scaled(t, s, beta, 0.0))
        return t, s, cache

    def backward(self, g, g_s, cache):
        """(dL/dt, its scale, the LayerBackward fields of dL/dgamma and dL/dbeta if learned)."""
        grads = {}
        if self.learned:
            xhat, rows = cache.xhat.reshape(g.shape), tuple(range(g.ndim - 1))
            grads = dict(grad_gamma=(g * xhat).sum(axis=rows) * 10.0**cache.out_scale,
                         grad_beta=g.sum(axis=rows), grad_affine_scale=g_s)
        return (*self.p.settle(*norms.normalize_backward(g * self.gamma, g_s, cache)), grads)


class Phi:
    """a = phi(u), the activation. phi' is taken in the forward pass, while a is still in
    the cache (the backward pass would fetch a back from memory for it); the price is one
    more layer-sized array held until the backward pass, where a is the next layer's
    input, held anyway."""

    def __init__(self, act: activations.Activation, p: Precision, backward_follows: bool):
        self.act, self.p, self.backward_follows = act, p, backward_follows

    def forward(self, u, u_s):
        """(a, a_s, slope): slope is phi' as (stored, log10 scale) where it comes with phi
        (gelu's, evaluated at u's true values), else None, left to `slope`."""
        act = self.act
        if self.backward_follows and act.with_slope is not None and abs(u_s) <= BIG:
            a, d = act.with_slope(true_units(u, u_s))       # phi and phi' share their costly part
            return (*self.p.settle(a, 0.0), (d, 0.0))
        return (*self.p.settle(*act_forward(act, u, u_s)), None)

    def slope(self, u, u_s, a, a_s) -> tuple[np.ndarray | None, float]:
        """phi' as (stored, log10 scale), None for the identity (phi' = 1). From phi's
        output where possible (as autograd does), with `saturated_fix` where that
        cancels; else from u."""
        act = self.act
        if act.identity:
            return None, 0.0
        if act.deriv_from_output is None:
            return local_grad_scaled(act, u, u_s)
        fix = saturated_fix(act, a, a_s, u, u_s) if self.p.exact else None
        return local_grad_scaled(act, a, a_s, fix)

    def backward(self, g_a, g_a_s, slope, settle: bool = True):
        """dL/du; settle=False leaves it as it is for a norm before phi, which settles
        what it returns."""
        d, d_s = slope
        g_u, g_u_s = (g_a, g_a_s) if d is None else (g_a * d, g_a_s + d_s)
        return self.p.settle(g_u, g_u_s) if settle else (g_u, g_u_s)


class Residual:
    """out = x + alpha * f; alpha None is a plain chain, out = f."""

    def __init__(self, alpha: float | None, p: Precision):
        self.alpha = None if alpha is None else p.dtype.type(alpha)
        self.p = p

    def forward(self, x, x_s, f, f_s):
        if self.alpha is None:
            return f, f_s
        return self.p.settle(*add_scaled(x, x_s, f * self.alpha, f_s))

    def backward(self, g, g_s):
        """dL/df; the skip's share of dL/dx, dL/dout itself, is added by `join`."""
        return (g, g_s) if self.alpha is None else (g * self.alpha, g_s)

    def join(self, g_x, g_x_s, g, g_s):
        """dL/dx, settled: the branch's dL/dx plus, along the skip, dL/dout."""
        if self.alpha is None:
            return self.p.settle(g_x, g_x_s)
        return self.p.settle(*add_scaled(g_x, g_x_s, g, g_s))


# -- phi and phi' on scaled tensors -----------------------------------------------------

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


def act_deriv(act: activations.Activation, u: np.ndarray, scale: float) -> np.ndarray:
    """phi'(u * 10**scale), a plain array (derivatives need no scale)."""
    if act.homogeneous:
        return act.deriv(u)
    if scale > BIG:
        return np.where(u > 0, act.pos_slope, act.neg_slope).astype(u.dtype)
    return act.deriv(u * 10.0 ** max(scale, -BIG) if scale else u)


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

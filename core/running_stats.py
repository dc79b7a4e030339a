"""BatchNorm in eval mode: running statistics accumulated over k training batches.

In training mode BatchNorm divides by the statistics of the batch in hand. On the way it
keeps running averages (PyTorch's convention, see FACTS.md): starting from mean 0 and
variance 1, after every training batch

    running_mean = (1 - momentum) * running_mean + momentum * batch_mean
    running_var  = (1 - momentum) * running_var  + momentum * unbiased_batch_var

and in eval mode it uses those instead. After k batches the starting values still weigh
(1 - momentum)^k (0.35 after 10 batches at momentum 0.1), so a layer whose input variance
is far from 1 is mis-normalized in eval mode, and every later layer inherits the error:
the train/eval mismatch.

Everything here runs in plain float64 (BatchNorm keeps every layer's values near unit
size, so nothing needs the log-scale bookkeeping of `core.propagate`); the layer is the
same: h = x W + b -> [BN] -> phi -> [BN] -> (x + alpha f).

>>> from core.spec import NetworkSpec
>>> spec = NetworkSpec(depth=3, width=16, batch=32, weight_var=1.0, norm="batch")
>>> few, many = train_eval(spec, 1), train_eval(spec, 200)
>>> bool(few.mismatch[-1] > 2 * many.mismatch[-1])     # more batches, less mismatch
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import activations, budget
from .norms import EPS, MOMENTUM
from .propagate import Params, make_params
from .readout import cross_entropy
from .spec import NetworkSpec


@dataclass(frozen=True)
class TrainEval:
    spec: NetworkSpec               # the BatchNorm network that was run
    train_batches: int
    momentum: float
    running_mean: np.ndarray        # (depth, width) after the k training batches
    running_var: np.ndarray         # (depth, width)
    log10_batch_var: np.ndarray     # (depth,) channel-mean variance train mode divides by (eval batch)
    log10_running_var: np.ndarray   # (depth,) channel-mean running variance eval mode divides by
    train_log10_act_var: np.ndarray     # (depth,) activation variance, train mode, eval batch
    eval_log10_act_var: np.ndarray      # (depth,) the same batch in eval mode
    mismatch: np.ndarray            # (depth,) ||out_eval - out_train|| / ||out_train|| per layer
    train_loss: float
    eval_loss: float
    note: str | None = None

    @property
    def start_weight(self) -> float:
        """How much of the starting values (mean 0, var 1) the running stats still hold."""
        return (1 - self.momentum) ** self.train_batches


def forward(spec: NetworkSpec, params: Params, x: np.ndarray, stats=None):
    """One pass over the batch x. stats=None: train mode, using and returning each layer's
    batch statistics [(mean, biased var, unbiased var)]; else eval mode with the given
    [(running_mean, running_var)]. Returns (per-layer outputs, per-layer activations,
    batch statistics or None, logits)."""
    act = activations.get(spec.activation)
    gamma, beta, alpha = spec.norm_gamma, spec.norm_beta, spec.residual_scale
    batch_stats, outs, acts = [], [], []

    def bn(t, i):
        if stats is None:
            n = t.shape[0] * t.shape[1]
            mean = t.mean(axis=(0, 1))
            var = t.var(axis=(0, 1))
            batch_stats.append((mean, var, var * n / max(n - 1, 1)))
        else:
            mean, var = stats[i]
        return gamma * (t - mean) / np.sqrt(var + EPS) + beta

    with np.errstate(over="ignore", invalid="ignore"):
        for i, (w, b) in enumerate(zip(params.weights, params.biases)):
            h = (x.reshape(-1, x.shape[-1]) @ w).reshape(x.shape) + b   # one GEMM
            u = bn(h, i) if spec.norm_position == "before" else h
            a = act.fn(u)
            f = bn(a, i) if spec.norm_position == "after" else a
            out = x + alpha * f if spec.residual else f
            acts.append(a)
            outs.append(out)
            x = out
        pooled = x.mean(axis=1)
        logits = pooled @ (params.w_out * spec.readout_scale)
    return outs, acts, (batch_stats if stats is None else None), logits


def _log10_var(a: np.ndarray) -> float:
    v = float(np.var(a))
    if not math.isfinite(v):
        return math.nan
    return math.log10(v) if v > 0 else -math.inf


def _draw_batches(spec: NetworkSpec, k: int):
    rng = np.random.default_rng([spec.seed, 23])
    shape = (spec.batch, spec.spatial, spec.width)
    for _ in range(k):
        yield rng.standard_normal(shape) if spec.input_dist == "normal" else rng.random(shape)


def train_eval(spec: NetworkSpec, k: int, momentum: float = MOMENTUM,
               params: Params | None = None, batches=None) -> TrainEval:
    """Accumulate running statistics over k training batches, then run the spec's own batch
    (its x0) in train mode and in eval mode and compare them layer by layer.

    The network is the spec with norm="batch" (whatever its norm). Training batches are
    fresh draws from the input distribution, or `batches` if given."""
    spec = spec.replace(norm="batch", groups=1)
    if spec.batch * spec.spatial < 2:
        spec = spec.replace(batch=2)
    params = make_params(spec) if params is None else params
    depth, width = spec.depth, spec.width
    running_mean = np.zeros((depth, width))
    running_var = np.ones((depth, width))
    for x in (_draw_batches(spec, k) if batches is None else batches):
        _, _, st, _ = forward(spec, params, x)
        for i, (mean, _, var_unbiased) in enumerate(st):
            running_mean[i] = (1 - momentum) * running_mean[i] + momentum * mean
            running_var[i] = (1 - momentum) * running_var[i] + momentum * var_unbiased
    x0 = params.x0
    outs_t, acts_t, st, logits_t = forward(spec, params, x0)
    outs_e, acts_e, _, logits_e = forward(spec, params, x0,
                                          list(zip(running_mean, running_var)))
    with np.errstate(over="ignore", invalid="ignore"):
        mismatch = np.array([float(np.linalg.norm(e - t) / np.linalg.norm(t))
                             for e, t in zip(outs_e, outs_t)])
    return TrainEval(
        spec=spec, train_batches=k, momentum=momentum,
        running_mean=running_mean, running_var=running_var,
        log10_batch_var=np.array([_log10_var_mean(v) for _, v, _ in st]),
        log10_running_var=np.array([_log10_var_mean(v) for v in running_var]),
        train_log10_act_var=np.array([_log10_var(a) for a in acts_t]),
        eval_log10_act_var=np.array([_log10_var(a) for a in acts_e]),
        mismatch=mismatch,
        train_loss=_loss(logits_t, params.labels), eval_loss=_loss(logits_e, params.labels))


def _log10_var_mean(v: np.ndarray) -> float:
    m = float(np.mean(v))
    return math.log10(m) if m > 0 and math.isfinite(m) else math.nan


def _loss(logits: np.ndarray, labels: np.ndarray) -> float:
    if not np.isfinite(logits).all():
        return math.nan
    v = cross_entropy(logits, 0.0, labels)
    return 10.0**v if math.isfinite(v) else (0.0 if v == -math.inf else math.nan)


def train_eval_within_budget(spec: NetworkSpec, k: int, momentum: float = MOMENTUM) -> TrainEval:
    """train_eval on a network small enough for a live page (see core.budget)."""
    examples = (k + 2) * spec.batch * spec.spatial
    small, note = budget.fit(spec, runs=1, examples=examples, weight_draws=1)
    res = train_eval(small, k, momentum)
    return TrainEval(**{**vars(res), "note": note})

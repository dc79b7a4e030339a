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

The network runs through the same layer code as every other run (`core.propagate`),
in float64; eval mode hands it the running statistics in place of the batch's.

>>> from core.spec import NetworkSpec
>>> spec = NetworkSpec(depth=3, width=16, batch=32, weight_var=1.0, norm="batch")
>>> few, many = train_eval(spec, 1), train_eval(spec, 200)
>>> bool(few.mismatch[-1] > 2 * many.mismatch[-1])     # more batches, less mismatch
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .. import norms, stats
from ..norms import MOMENTUM, RUNNING_START
from ..propagate import Params, draw_inputs, forward_backward, make_params
from ..spec import Fix, NetworkSpec
from . import budget


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
    shrunk: tuple[Fix, ...] = ()    # what the budget changed (core.experiments.budget)

    @property
    def start_weight(self) -> float:
        """How much of the starting values (mean 0, var 1) the running stats still hold."""
        return (1 - self.momentum) ** self.train_batches


@dataclass
class _Pass:
    """One forward pass over a batch: per layer the true outputs, the activations'
    log10 variance, and (train mode) the BatchNorm cache with the batch's statistics."""
    outs: list
    log10_act_var: list
    caches: list
    loss: float


def forward(spec: NetworkSpec, params: Params, x: np.ndarray, running=None) -> _Pass:
    """The spec's network on batch x: train mode, or eval mode with `running`, a
    [(mean, var)] per layer."""
    run_params = Params(x, params.weights, params.biases, params.w_out, params.labels)
    got = _Pass([], [], [], math.nan)

    def on_forward(t):
        with np.errstate(over="ignore", invalid="ignore"):
            got.outs.append(t.out * 10.0**t.out_scale)
        got.log10_act_var.append(stats.moments(t.act, t.act_scale)[1])
        got.caches.append(t.norm)

    got.loss = forward_backward(spec, run_params, on_forward, norm_stats=running,
                                backward=False).loss
    return got


def _draw_batches(spec: NetworkSpec, k: int):
    rng = np.random.default_rng([spec.seed, 23])
    for _ in range(k):
        yield draw_inputs(spec, rng)


def train_eval(spec: NetworkSpec, k: int, momentum: float = MOMENTUM,
               params: Params | None = None, batches=None) -> TrainEval:
    """Accumulate running statistics over k training batches, then run the spec's own batch
    (its x0) in train mode and in eval mode and compare them layer by layer.

    The network is the spec with norm="batch" (whatever its norm), in float64. Training
    batches are fresh draws from the input distribution, or `batches` if given."""
    spec = spec.replace(norm="batch", groups=1, dtype="float64")
    if spec.batch * spec.spatial < 2:
        spec = spec.replace(batch=2)
    params = make_params(spec) if params is None else params
    mean0, var0 = RUNNING_START
    running_mean = np.full((spec.depth, spec.width), mean0)
    running_var = np.full((spec.depth, spec.width), var0)
    for x in (_draw_batches(spec, k) if batches is None else batches):
        for i, cache in enumerate(forward(spec, params, x).caches):
            running_mean[i] = norms.update_running(running_mean[i], cache.mean.reshape(-1),
                                                   momentum)
            running_var[i] = norms.update_running(running_var[i], norms.unbiased(cache),
                                                  momentum)
    train = forward(spec, params, params.x0)
    evals = forward(spec, params, params.x0, list(zip(running_mean, running_var)))
    with np.errstate(over="ignore", invalid="ignore"):
        mismatch = np.array([float(np.linalg.norm(e - t) / np.linalg.norm(t))
                             for e, t in zip(evals.outs, train.outs)])
    return TrainEval(
        spec=spec, train_batches=k, momentum=momentum,
        running_mean=running_mean, running_var=running_var,
        log10_batch_var=np.array([_log10_mean(c.var) for c in train.caches]),
        log10_running_var=np.array([_log10_mean(v) for v in running_var]),
        train_log10_act_var=np.array(train.log10_act_var),
        eval_log10_act_var=np.array(evals.log10_act_var),
        mismatch=mismatch, train_loss=train.loss, eval_loss=evals.loss)


def _log10_mean(v: np.ndarray) -> float:
    m = float(np.mean(v))
    return math.log10(m) if m > 0 and math.isfinite(m) else math.nan


def train_eval_within_budget(spec: NetworkSpec, k: int, momentum: float = MOMENTUM,
                             limits: budget.Limits | None = None) -> TrainEval:
    """train_eval on a network and a number of batches within `limits` (forward passes
    only: a live page's are ui.capacity's; None: as asked)."""
    if limits is None:
        return train_eval(spec, k, momentum)
    examples = (k + 2) * spec.batch * spec.spatial
    small, shrunk = budget.fit(spec, 1, limits, examples=examples, weight_draws=1)
    used = max(1, budget.affordable_batches(small, k + 2, limits) - 2)
    if used < k:
        shrunk += (Fix("train_batches", k, used, "budget"),)
    return replace(train_eval(small, used, momentum), shrunk=shrunk)

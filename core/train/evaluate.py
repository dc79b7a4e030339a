"""Evaluation: the validation loss of a network being trained or trained, in eval mode
(BatchNorm's running statistics) and in train mode (each batch normalized by its own)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import data
from ..loss import softmax_cross_entropy
from ..propagate import LayerForward, Params, forward_backward
from ..scaled import unscale
from ..spec import NetworkSpec
from .config import TrainConfig, train_spec
from .log import BatchModeLosses, TrainLog
from .params import embed

BATCH_MODE_SIZES = (2, 3, 4, 8, 32)     # BatchNorm's train mode measured at these batches
BATCH_MODE_EXAMPLES = 512               # on the first this many validation examples


def run_params(params: dict, contexts: np.ndarray, labels: np.ndarray) -> Params:
    """The engine's Params for these examples: x0 from the embedding, gamma and beta
    only when the network has a norm."""
    has_norm = bool(params["gammas"])
    return Params(embed(params["embedding"], contexts), params["weights"], params["biases"],
                  params["w_out"], labels, params["gammas"] if has_norm else None,
                  params["betas"] if has_norm else None)


def validation_losses(run_spec: NetworkSpec, params: dict, contexts: np.ndarray,
                      labels: np.ndarray, running: list | None) -> tuple[float, float]:
    """(eval-mode loss, the examples as one batch in train mode) of the network being
    trained; without BatchNorm's running statistics the two are one pass."""
    spec = run_spec.replace(batch=len(labels))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        run = run_params(params, contexts, labels)
        batch_stats = forward_backward(spec, run, backward=False).loss
        eval_mode = (forward_backward(spec, run, norm_stats=running, backward=False).loss
                     if running is not None else batch_stats)
    return eval_mode, batch_stats


def batch_mode_losses(spec: NetworkSpec, config: TrainConfig, params: dict, running: list,
                      sizes: Sequence[int] = BATCH_MODE_SIZES,
                      examples: int = BATCH_MODE_EXAMPLES) -> BatchModeLosses:
    """A BatchNorm network's validation loss on the first `examples` validation
    examples in train mode, at each batch size (consecutive batches, each normalized by
    its own statistics: `valid_loss(log, size)`), and in eval mode (running statistics).

    One forward pass a size: the examples as `examples // size` rows of `size` positions,
    where InstanceNorm's statistics (per row and channel, over the positions) are
    exactly BatchNorm's over each batch; the loss is taken per position, not pooled.

    >>> from core.train import train
    >>> cfg = TrainConfig(steps=20, batch=8, dtype="float64")
    >>> log = train(NetworkSpec(depth=2, width=8, norm="batch"), cfg)
    >>> fast = batch_mode_losses(log.spec, log.config, log.final, log.running, (2, 4))
    >>> [round(v, 10) for v in fast.train_mode] == [round(valid_loss(log, b), 10) for b in (2, 4)]
    True
    """
    ds = data.load(config.split_seed)
    vx, vy = ds.valid_x[:examples], ds.valid_y[:examples]
    base = train_spec(spec, len(vy), config.dtype)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        train_mode = tuple(_grouped_loss(base, params, vx, vy, size) for size in sizes)
        eval_mode = forward_backward(base, run_params(params, vx, vy), norm_stats=running,
                                     backward=False).loss
    return BatchModeLosses(tuple(sizes), train_mode, eval_mode)


def _grouped_loss(base: NetworkSpec, params: dict, vx, vy, size: int) -> float:
    """Mean loss of consecutive batches of `size` in train mode (see batch_mode_losses)."""
    rows = len(vy) // size
    n = rows * size
    x0 = embed(params["embedding"], vx[:n])[:, 0, :].reshape(rows, size, -1)
    spec = base.replace(norm="instance", batch=rows, spatial=size)
    last = {}

    def keep_last(t: LayerForward):
        if t.index == spec.depth - 1:
            last["out"], last["scale"] = t.out.reshape(n, -1), t.out_scale

    run = Params(x0, params["weights"], params["biases"], params["w_out"], vy[:rows],
                 params["gammas"] or None, params["betas"] or None)
    forward_backward(spec, run, on_forward=keep_last, backward=False)
    w_out = np.asarray(params["w_out"]).astype(last["out"].dtype)
    log10_loss, _ = softmax_cross_entropy(last["out"] @ w_out, last["scale"], vy[:n])
    return unscale(log10_loss)


def valid_loss(log: TrainLog, batch_size: int | None = None, examples: int = 512) -> float:
    """The trained network's loss on the first `examples` validation examples: BatchNorm
    in eval mode (batch_size None: running statistics) or in train mode on consecutive
    batches of `batch_size` >= 2 (each normalized by its own statistics). Needs a log
    with its parameters (`log(params=True)`, as `train` returns).

    >>> from core.train import train
    >>> log = train(NetworkSpec(depth=2, width=8, norm="batch"), TrainConfig(steps=20, batch=8))
    >>> valid_loss(log, 2) > valid_loss(log, 256) > 0
    True
    """
    if log.final is None:
        raise ValueError("this log has no parameters: take it with log(params=True)")
    ds = data.load(log.config.split_seed)
    vx, vy = ds.valid_x[:examples], ds.valid_y[:examples]

    def loss_on(lo: int, hi: int, running) -> float:
        params = run_params(log.final, vx[lo:hi], vy[lo:hi])
        spec = train_spec(log.spec, hi - lo, log.config.dtype)
        return forward_backward(spec, params, norm_stats=running, backward=False).loss

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if batch_size is None:
            return loss_on(0, len(vy), log.running)
        n = len(vy) // batch_size * batch_size
        return float(np.mean([loss_on(s, s + batch_size, None) for s in range(0, n, batch_size)]))

"""Normalization layers on (batch, positions, channels) tensors, forward and backward.

Tensors are channels-last, (batch, positions, channels), so that a 1x1 channel-mixing
layer is one matrix product; the axes below are named, not numbered.

Each normalization subtracts a mean (except RMSNorm) and divides by
sqrt(biased variance + eps) over a set of axes, as PyTorch does in training mode:

| norm     | statistics over                      | one set per            |
|----------|--------------------------------------|------------------------|
| batch    | examples and positions               | channel                |
| layer    | channels and positions               | example                |
| group    | C/G channels and positions           | (example, group)       |
| instance | positions                            | (example, channel)     |
| rms      | channels and positions, no mean      | example                |

The forward pass accepts a log10 scale factor (see `core.scaled`), so a tensor whose
true variance is 1e-400 is normalized exactly: eps then dominates, as it would.

>>> import numpy as np
>>> x = np.arange(8.0).reshape(4, 1, 2)          # 4 examples, 1 position, 2 channels
>>> y, scale, cache = normalize(x, 0.0, "batch")
>>> np.round(y[:, 0, 0] * 10**scale, 4).tolist()  # channel 0: 0, 2, 4, 6 standardized
[-1.3416, -0.4472, 0.4472, 1.3416]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EPS = 1e-5                  # PyTorch's default for every normalization here
MOMENTUM = 0.1              # BatchNorm running statistics
RUNNING_START = (0.0, 1.0)  # PyTorch's running mean and variance before any batch

_LN10 = math.log(10.0)


@dataclass
class NormCache:
    kind: str
    groups: int
    xhat: np.ndarray          # stored normalized values (grouped view), true = xhat * 10**out_scale
    log_mult: np.ndarray      # per set: log10 of (10**in_scale / sqrt(var_true + eps))
    in_scale: float
    out_scale: float
    mean: np.ndarray | None = None    # the set's true mean (None for RMSNorm)
    var: np.ndarray | None = None     # the set's true biased variance; NaN past float64
    fixed: bool = False               # eval mode: statistics given, not taken from x


def _mean(x: np.ndarray, axes: tuple, dtype=None) -> np.ndarray:
    """np.mean(x, axes, dtype, keepdims=True): the same sum and division (float16 summed
    in float32, as np.mean does), without np.mean's Python layers, which cost more than
    the arithmetic at a comparison's array sizes."""
    count = math.prod(x.shape[a] for a in axes)
    if dtype is None and x.dtype == np.float16:
        return (np.add.reduce(x, axis=axes, dtype=np.float32, keepdims=True) / count
                ).astype(np.float16)
    return np.add.reduce(x, axis=axes, dtype=dtype, keepdims=True) / count


def _grouped(x: np.ndarray, kind: str, groups: int):
    """A view of x and the axes its statistics run over."""
    b, p, c = x.shape
    if kind == "batch":
        return x, (0, 1)
    if kind in ("layer", "rms"):
        return x, (1, 2)
    if kind == "instance":
        return x, (1,)
    if kind == "group":
        return x.reshape(b, p, groups, c // groups), (1, 3)
    raise ValueError(f"norm={kind!r} is not a normalization")


def normalize(x: np.ndarray, scale: float, kind: str, groups: int = 1, eps: float = EPS,
              stats: tuple[np.ndarray, np.ndarray] | None = None):
    """x_hat = (x - mean) / sqrt(var + eps), returned as (stored, log10_scale, cache).

    With `stats` = (mean, var) in true units, BatchNorm's eval mode: those statistics
    (PyTorch's running averages) stand in for the batch's."""
    xg, axes = _grouped(x, kind, groups)
    if stats is not None:
        if kind != "batch":
            raise ValueError(f"given statistics are BatchNorm's eval mode, not {kind!r}'s")
        mean, var = (np.asarray(v, dtype=np.float64) for v in stats)
        centered = xg - (mean * 10.0**-scale).astype(x.dtype)
        with np.errstate(divide="ignore"):
            log_var_true = np.log(var)
        return _finish(x, centered, log_var_true, kind, groups, scale, eps, mean, var,
                       fixed=True)
    stats_dtype = np.float64                      # statistics in float64, like cuDNN's fp32 accumulators
    if kind == "rms":
        centered, mean = xg, None
        var = _mean(np.square(xg, dtype=stats_dtype), axes)
    else:
        mean = _mean(xg, axes, stats_dtype)
        centered = xg - mean.astype(x.dtype, copy=False)
        var = _mean(np.square(centered, dtype=stats_dtype), axes)
    # log10 sqrt(var * 10**(2 scale) + eps), without forming 10**(2 scale)
    with np.errstate(divide="ignore", over="ignore"):
        log_var_true = np.log(var) + 2.0 * scale * _LN10
        true_mean = None if mean is None else mean * 10.0**scale
        true_var = np.exp(log_var_true)
    return _finish(x, centered, log_var_true, kind, groups, scale, eps, true_mean, true_var)


def _finish(x, centered, log_var_true, kind, groups, scale, eps, mean, var, fixed=False):
    """Divide the centred values by sqrt(var + eps), keeping the factor in the log10 scale."""
    log_denom = 0.5 * np.logaddexp(log_var_true, math.log(eps)) / _LN10
    log_mult = scale - log_denom
    out_scale = float(log_mult.max())
    xhat = centered * (10.0 ** (log_mult - out_scale)).astype(x.dtype, copy=False)
    cache = NormCache(kind, groups, xhat, log_mult, scale, out_scale, mean, var, fixed)
    # A copy, not a view of cache.xhat: callers may rescale the output in place
    # (scaled.renorm), which must not change what the backward pass reads.
    return xhat.reshape(x.shape).copy(), out_scale, cache


def normalize_backward(grad: np.ndarray, grad_scale: float, cache: NormCache):
    """dL/dx from dL/dx_hat, as (stored, log10_scale).

    dx = (g - mean(g) - x_hat * mean(g * x_hat)) / sqrt(var + eps), per statistics set
    (RMSNorm has no mean(g) term)."""
    gg, axes = _grouped(grad, cache.kind, cache.groups)
    mult = (10.0 ** (cache.log_mult - cache.out_scale)).astype(grad.dtype, copy=False)
    if cache.fixed:                       # eval mode: a fixed per-channel affine map
        return (gg * mult).reshape(grad.shape), grad_scale + cache.out_scale - cache.in_scale
    xhat_true = cache.xhat * 10.0 ** cache.out_scale     # bounded by sqrt(set size)
    proj = _mean(gg * xhat_true, axes)
    dx = gg - xhat_true * proj
    if cache.kind != "rms":
        dx -= _mean(gg, axes)
    dx *= mult
    return dx.reshape(grad.shape), grad_scale + cache.out_scale - cache.in_scale


def update_running(running: np.ndarray, batch_value: np.ndarray,
                   momentum: float = MOMENTUM) -> np.ndarray:
    """PyTorch's BatchNorm running average: (1 - momentum) * running + momentum * batch.
    Running means start at 0 and running variances at 1, and the variance fed in is the
    batch's unbiased one (see `unbiased`).

    >>> update_running(np.ones(1), np.array([0.0])).tolist()      # 0.9 * 1 + 0.1 * 0
    [0.9]
    """
    return (1 - momentum) * running + momentum * batch_value


def unbiased(cache: NormCache) -> np.ndarray:
    """A BatchNorm cache's per-channel variance with Bessel's correction, n / (n - 1)."""
    n = cache.xhat.shape[0] * cache.xhat.shape[1]
    return cache.var.reshape(-1) * n / max(n - 1, 1)


# -- which values share statistics -------------------------------------------------------

def statistics_set(kind: str, shape: tuple[int, int, int], cell: tuple[int, int, int],
                   groups: int = 1, examples=None, channels=None, positions=None) -> np.ndarray:
    """Which (example, channel, position) cells share the statistics of `cell`, i.e. are
    averaged together with it by `normalize(..., kind, groups)`.

    `shape` and `cell` are (batch, channels, positions), the order the picture is drawn in
    (tensors themselves are channels-last). The result is a bool array indexed
    [example, channel, position]; give index lists to evaluate only a sub-grid of it.

    >>> m = statistics_set("batch", (4, 3, 2), (0, 1, 0))     # channel 1, every example
    >>> int(m.sum()), bool(m[:, 1, :].all())
    (8, True)
    >>> int(statistics_set("group", (4, 6, 2), (1, 0, 0), groups=3).sum())   # 2 ch x 2 pos
    4
    """
    batch, chans, poss = shape
    n0, c0, p0 = cell
    if not (0 <= n0 < batch and 0 <= c0 < chans and 0 <= p0 < poss):
        raise ValueError(f"cell {cell} is outside the shape {shape}")
    if kind == "group" and chans % groups:
        raise ValueError(f"groups={groups} must divide channels={chans}")
    n = np.arange(batch) if examples is None else np.asarray(examples)
    c = np.arange(chans) if channels is None else np.asarray(channels)
    p = np.arange(poss) if positions is None else np.asarray(positions)
    same_n = (n == n0)[:, None, None]
    same_c = (c == c0)[None, :, None]
    every_p = np.ones((1, 1, p.size), dtype=bool)
    if kind == "batch":
        mask = same_c & np.ones((n.size, 1, 1), dtype=bool)
    elif kind in ("layer", "rms"):
        mask = same_n & np.ones((1, c.size, 1), dtype=bool)
    elif kind == "instance":
        mask = same_n & same_c
    elif kind == "group":
        size = chans // groups
        mask = same_n & (c // size == c0 // size)[None, :, None]
    else:
        raise ValueError(f"norm={kind!r} is not a normalization")
    return mask & every_p


def statistics_set_size(kind: str, shape: tuple[int, int, int], groups: int = 1) -> int:
    """How many values share one mean and variance: the size of every statistics_set.

    >>> statistics_set_size("batch", (256, 100, 4)), statistics_set_size("group", (256, 100, 4), 5)
    (1024, 80)
    """
    batch, chans, poss = shape
    return {"batch": batch * poss, "layer": chans * poss, "rms": chans * poss,
            "instance": poss, "group": chans // max(groups, 1) * poss}[kind]


def picture_indices(shape: tuple[int, int, int], groups: int = 1, max_examples: int = 6,
                    max_channels: int = 12, max_positions: int = 4):
    """A few examples, channels and positions that show every kind of set in a small
    picture of a big tensor: the first examples, channels from up to four groups
    (so group boundaries show, with at least two channels each), the first positions.

    >>> picture_indices((256, 100, 1), groups=4)[1]     # 3 channels from each of 4 groups
    [0, 1, 2, 25, 26, 27, 50, 51, 52, 75, 76, 77]
    """
    batch, chans, poss = shape
    examples = list(range(min(batch, max_examples)))
    positions = list(range(min(poss, max_positions)))
    if chans <= max_channels:
        channels = list(range(chans))
    else:
        shown = max(1, min(groups, 4, max_channels // 2))    # >= 2 channels a group
        size = chans // max(groups, 1)
        per = max(1, max_channels // shown)
        channels = [g * size + k for g in range(shown) for k in range(min(per, size))]
    return examples, channels, positions

"""The update rules, each PyTorch's with its defaults: one small class per optimizer.

An optimizer sees the parameters one array at a time: `delta(i, g, t)` is what array
i loses at step t (1-based) given its gradient g, and its state changes in place. One
array at a time, so a step never holds a second copy of every parameter.

>>> p, g = np.array([1.0, -2.0]), np.array([3.0, -0.5])
>>> SGD([p], lr=0.1).delta(0, g, 1).tolist()                 # lr g
[0.30000000000000004, -0.05]
>>> Adam([p], lr=0.1).delta(0, g, 1).round(6).tolist()       # first step: lr sign(g)
[0.1, -0.1]
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

SGD_MOMENTUM = 0.9                  # torch.optim.SGD has none by default: the usual one
ADAM_BETAS = (0.9, 0.999)           # torch.optim.Adam's defaults
ADAM_EPS = 1e-8


class Optimizer:
    """An update rule with `buffers` state arrays per parameter array (`state[k][i]`,
    the shape of parameter i), all starting at zero."""
    name = ""
    buffers = 0

    def __init__(self, params: Sequence[np.ndarray], lr: float):
        self.lr = lr
        self.state = [[np.zeros_like(p) for p in params] for _ in range(self.buffers)]

    def delta(self, i: int, g: np.ndarray, t: int) -> np.ndarray:
        """What parameter array i loses at step t (1-based), its gradient being g."""
        raise NotImplementedError


class SGD(Optimizer):
    """torch.optim.SGD(lr), no momentum: p <- p - lr g
    (https://pytorch.org/docs/stable/generated/torch.optim.SGD.html)."""
    name = "sgd"

    def delta(self, i, g, t):
        return self.lr * g


class Momentum(Optimizer):
    """torch.optim.SGD(lr, momentum=0.9), no dampening or Nesterov: b <- mu b + g,
    p <- p - lr b. PyTorch's buffer starts as the first gradient, which is mu 0 + g.

    >>> opt = Momentum([np.zeros(1)], lr=1.0)
    >>> [round(float(opt.delta(0, np.ones(1), t)[0]), 6) for t in (1, 2, 3)]   # 1, 1.9, 2.71
    [1.0, 1.9, 2.71]
    """
    name, buffers = "momentum", 1

    def delta(self, i, g, t):
        buf = self.state[0][i]
        buf *= SGD_MOMENTUM
        buf += g
        return self.lr * buf


class Adam(Optimizer):
    """torch.optim.Adam(lr), betas (0.9, 0.999), eps 1e-8, no weight decay
    (https://pytorch.org/docs/stable/generated/torch.optim.Adam.html; Kingma and Ba
    2015, Algorithm 1): m <- b1 m + (1 - b1) g, v <- b2 v + (1 - b2) g^2,
    p <- p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)."""
    name, buffers = "adam", 2

    def delta(self, i, g, t):
        b1, b2 = ADAM_BETAS
        m, v = self.state[0][i], self.state[1][i]
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * g * g
        return self.lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + ADAM_EPS)


BY_NAME = {rule.name: rule for rule in (SGD, Momentum, Adam)}
OPTIMIZERS = tuple(BY_NAME)
OPTIMIZER_BUFFERS = {name: rule.buffers for name, rule in BY_NAME.items()}   # state arrays


def make(name: str, params: Sequence[np.ndarray], lr: float) -> Optimizer:
    """The optimizer called `name` (one of OPTIMIZERS) over these parameter arrays."""
    return BY_NAME[name](params, lr)

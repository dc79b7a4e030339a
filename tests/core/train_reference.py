"""An independent re-derivation of one training step on makemore's task: plain NumPy,
written from the formulas (PyTorch's conventions, FACTS.md), sharing no code with
core.propagate or core.train. Gradients come from central finite differences, not from
any backward pass, so the trainer's backpropagation is checked against calculus alone.

The parameters are a dict in the layout core.train documents for a replay:
embedding (3, 27, width), weights [(width, width)], biases [(width,)], gammas and betas
[(width,)] (empty without a norm), w_out (width, 27).
"""

from __future__ import annotations

import copy

import numpy as np

EPS = 1e-5          # PyTorch's norm eps
ACT = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0), "linear": lambda z: z}


def norm(z, kind, gamma, beta):
    if kind == "batch":                       # per channel, over the batch, biased variance
        mean, var = z.mean(axis=0), z.var(axis=0)
    else:                                     # layer: per example, over the channels
        mean, var = z.mean(axis=1, keepdims=True), z.var(axis=1, keepdims=True)
    return gamma * (z - mean) / np.sqrt(var + EPS) + beta


def loss(params, contexts, labels, activation="tanh", kind="none", position="before",
         residual=False, alpha=1.0):
    """Mean cross-entropy of the network on these examples, norms in training mode."""
    x = sum(params["embedding"][p, contexts[:, p]] for p in range(contexts.shape[1]))
    for i, (w, b) in enumerate(zip(params["weights"], params["biases"])):
        h = x @ w + b
        if kind != "none" and position == "before":
            h = norm(h, kind, params["gammas"][i], params["betas"][i])
        f = ACT[activation](h)
        if kind != "none" and position == "after":
            f = norm(f, kind, params["gammas"][i], params["betas"][i])
        x = x + alpha * f if residual else f
    z = x @ params["w_out"]
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -logp[np.arange(len(labels)), labels].mean()


def arrays(params):
    """Every parameter array in core.train.PARAM_GROUPS order."""
    out = []
    for group in ("embedding", "weights", "biases", "gammas", "betas", "w_out"):
        v = params[group]
        out.extend(v if isinstance(v, list) else [v])
    return out


def numeric_grads(params, contexts, labels, h=1e-6, **net):
    """Central differences of `loss` with respect to every entry of every parameter."""
    params = copy.deepcopy(params)
    grads = []
    for a in arrays(params):
        g = np.zeros_like(a)
        for j in np.ndindex(a.shape):
            keep = a[j]
            a[j] = keep + h
            up = loss(params, contexts, labels, **net)
            a[j] = keep - h
            down = loss(params, contexts, labels, **net)
            a[j] = keep
            g[j] = (up - down) / (2 * h)
        grads.append(g)
    return grads


def step(params, grads, lr, optimizer, state, t):
    """One update in place, as torch.optim.SGD (momentum 0.9) or Adam (0.9, 0.999, 1e-8)
    write it; `state` is a dict of per-array buffers, t the 1-based step."""
    for i, (p, g) in enumerate(zip(arrays(params), grads)):
        if optimizer == "sgd":
            p -= lr * g
        elif optimizer == "momentum":
            buf = state.setdefault(("buf", i), np.zeros_like(p))
            buf[...] = 0.9 * buf + g
            p -= lr * buf
        else:
            m = state.setdefault(("m", i), np.zeros_like(p))
            v = state.setdefault(("v", i), np.zeros_like(p))
            m[...] = 0.9 * m + 0.1 * g
            v[...] = 0.999 * v + 0.001 * g * g
            p -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)

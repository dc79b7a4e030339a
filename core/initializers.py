"""Weight initialization schemes, with the formulas of PyTorch's `torch.nn.init`.

A weight matrix here has shape (fan_in, fan_out) because layers compute h = x @ W;
PyTorch stores the transpose, (out, in), with the same fan_in and fan_out.

>>> from core.initializers import weight_var
>>> round(weight_var("kaiming_normal", fan_in=100, fan_out=100, gain=2 ** 0.5), 12)  # He: 2/fan_in
0.02
>>> round(weight_var("torch_default", fan_in=100, fan_out=100), 6)        # U(-1/10, 1/10)
0.003333
"""

from __future__ import annotations

import math

import numpy as np

SCHEMES = (
    "custom",             # N(0, weight_var): the "Var(W)" slider
    "xavier_normal",
    "xavier_uniform",
    "kaiming_normal",     # fan_in mode
    "kaiming_uniform",
    "kaiming_normal_fan_out",
    "kaiming_uniform_fan_out",
    "lecun_normal",
    "orthogonal",
    "torch_default",      # nn.Linear: kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in))
)

# Schemes whose entries are uniform rather than normal.
UNIFORM = {"xavier_uniform", "kaiming_uniform", "kaiming_uniform_fan_out", "torch_default"}
# Schemes that ignore the gain argument, as PyTorch's do.
GAINLESS = {"custom", "lecun_normal", "torch_default"}


def weight_var(scheme: str, fan_in: int, fan_out: int, gain: float = 1.0,
               custom_var: float = 1.0) -> float:
    """Per-entry variance Var(W) the scheme draws from."""
    if scheme == "custom":
        return float(custom_var)
    if scheme in ("xavier_normal", "xavier_uniform"):
        return gain**2 * 2.0 / (fan_in + fan_out)
    if scheme in ("kaiming_normal", "kaiming_uniform"):
        return gain**2 / fan_in
    if scheme in ("kaiming_normal_fan_out", "kaiming_uniform_fan_out"):
        return gain**2 / fan_out
    if scheme == "lecun_normal":
        return 1.0 / fan_in
    if scheme == "orthogonal":
        # Entries of a gain-scaled orthogonal (fan_in x fan_out) matrix: the squared
        # Frobenius norm gain^2 * min(fan_in, fan_out) is spread over all entries.
        return gain**2 * min(fan_in, fan_out) / (fan_in * fan_out)
    if scheme == "torch_default":
        return 1.0 / (3.0 * fan_in)            # U(-b, b) has variance b^2 / 3
    raise ValueError(f"init={scheme!r} is not one of {list(SCHEMES)}")


def uniform_bound(scheme: str, fan_in: int, fan_out: int, gain: float = 1.0) -> float:
    """Half-width b of U(-b, b) for the uniform schemes (sqrt(3) times the std)."""
    if scheme not in UNIFORM:
        raise ValueError(f"init={scheme!r} is not a uniform scheme")
    return math.sqrt(3.0 * weight_var(scheme, fan_in, fan_out, gain))


def sample_weights(scheme: str, fan_in: int, fan_out: int, rng: np.random.Generator,
                   gain: float = 1.0, custom_var: float = 1.0) -> np.ndarray:
    """One (fan_in, fan_out) float64 weight matrix drawn from the scheme."""
    if scheme == "orthogonal":
        return gain * _orthogonal(fan_in, fan_out, rng)
    if scheme in UNIFORM:
        b = uniform_bound(scheme, fan_in, fan_out, gain)
        return rng.uniform(-b, b, size=(fan_in, fan_out))
    std = math.sqrt(weight_var(scheme, fan_in, fan_out, gain, custom_var))
    return rng.normal(0.0, std, size=(fan_in, fan_out))


def _orthogonal(rows: int, cols: int, rng: np.random.Generator) -> np.ndarray:
    """Haar-random matrix with orthonormal rows or columns (PyTorch's QR recipe)."""
    flat = rng.normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))                   # makes the distribution uniform (Haar)
    return q if rows >= cols else q.T

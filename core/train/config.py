"""How to train (`TrainConfig`, every field checked) and what can be trained: the spec
of one training step and the networks the task cannot train."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from .. import data
from ..spec import NetworkSpec
from .optimizers import OPTIMIZERS

DTYPES = ("float32", "float64")     # what the layers compute in; parameters stay float64
# (low, high) of TrainConfig's numeric fields; all but lr are whole numbers
CONFIG_RANGES = {"steps": (0, 200_000), "batch": (1, 4096), "lr": (1e-6, 100.0),
                 "eval_every": (1, 100_000), "record_every": (1, 100_000),
                 "valid_examples": (2, 100_000), "split_seed": (0, 2**32 - 1)}
INT_FIELDS = ("steps", "batch", "eval_every", "record_every", "valid_examples", "split_seed")


@dataclass(frozen=True)
class TrainConfig:
    """How to train. Every field is checked: whole numbers are ints (not bools, not
    10.5), lr a finite number, each within CONFIG_RANGES; a bad one raises ValueError
    naming it.

    >>> TrainConfig(steps=10.5)
    Traceback (most recent call last):
    ...
    ValueError: steps=10.5 must be a whole number (an int), from 0 to 200000
    """
    steps: int = 2000
    batch: int = 32
    lr: float = 0.1
    optimizer: str = "sgd"
    eval_every: int = 100           # validation loss every this many steps (and at the end)
    record_every: int = 20          # per-layer statistics every this many steps
    valid_examples: int = 1000      # the first this many validation examples
    split_seed: int = 0             # which names are training and which validation
    dtype: str = "float32"          # the forward and backward pass, as PyTorch's default

    def __post_init__(self):
        for name, allowed in (("optimizer", OPTIMIZERS), ("dtype", DTYPES)):
            value = getattr(self, name)
            if not isinstance(value, str) or value not in allowed:
                raise ValueError(f"{name}={value!r} is not one of {list(allowed)}")
        for name, (lo, hi) in CONFIG_RANGES.items():
            # the dataclass is frozen: store the checked value as a plain int or float
            object.__setattr__(self, name, _checked_number(name, getattr(self, name), lo, hi))


def _checked_number(name: str, value, lo: float, hi: float) -> int | float:
    """`value` as an int (INT_FIELDS) or a float, if it is one and lies in [lo, hi]."""
    whole = name in INT_FIELDS
    kind = numbers.Integral if whole else numbers.Real
    if (not isinstance(value, kind) or isinstance(value, (bool, np.bool_))
            or not math.isfinite(value)):
        what = "a whole number (an int)" if whole else "a finite number"
        raise ValueError(f"{name}={value!r} must be {what}, from {lo:g} to {hi:g}")
    if not lo <= value <= hi:
        raise ValueError(f"{name}={value!r} is out of range: allowed {lo:g} to {hi:g}")
    return int(value) if whole else float(value)


def train_spec(spec: NetworkSpec, batch: int, dtype: str = "float32") -> NetworkSpec:
    """The spec of one training step: the network as given, on `batch` examples of one
    position, 27 classes, in `dtype`, readout scale folded into W_out and gamma, beta
    into the learned per-channel arrays (so the engine reads them from Params)."""
    return spec.replace(batch=batch, spatial=1, classes=data.TOKENS, dtype=dtype,
                        input_dist="normal", readout_scale=1.0, norm_gamma=1.0, norm_beta=0.0)


def check_trainable(spec: NetworkSpec, batch: int) -> str | None:
    """Why this network cannot be trained as asked, or None."""
    if spec.norm == "instance":
        return ("InstanceNorm averages over positions, and the training network sees one "
                "(its embedding), so every value would normalize to 0.")
    if spec.norm == "batch" and batch < 2:
        return ("BatchNorm needs at least two examples in a batch: with one, every value "
                "equals its batch mean and normalizes to 0 (PyTorch refuses too).")
    return None

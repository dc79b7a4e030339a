"""How much one example's activations depend on the *other* examples in its batch.

BatchNorm normalizes each channel with the mean and variance of the current batch, so an
example's output changes when its batchmates change, the more so the smaller the batch.
LayerNorm and GroupNorm take their statistics from the example alone: changing the
batchmates changes nothing.

The measurement: run the same network (same weights) on two batches that share example 0
and differ in every other example; at each layer, the relative change of example 0's
output, ||out_A[0] - out_B[0]|| / ||out_A[0]||.

>>> from core.spec import NetworkSpec
>>> spec = NetworkSpec(depth=4, width=16, batch=8, weight_var=1 / 16)
>>> bn2 = batchmate_sensitivity(spec, "batch", 2)
>>> ln2 = batchmate_sensitivity(spec, "layer", 2)
>>> bool(bn2.sensitivity.min() > 0.05), float(ln2.sensitivity.max()) < 1e-12
(True, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import budget
from .norm_lineup import variant
from ..propagate import Params, draw_inputs, forward_backward, make_params
from ..spec import Fix, NetworkSpec

BATCHES = (2, 8, 32, 256)
OTHERS_BATCH = 8            # LayerNorm / GroupNorm: any batch gives the same answer


@dataclass(frozen=True)
class BatchRun:
    norm: str
    batch: int
    sensitivity: np.ndarray       # (depth,) relative change of example 0's layer output
    log10_act_var: np.ndarray     # (depth,) activation variance over batch A
    act_mean: np.ndarray          # (depth,) activation mean over batch A


def _inputs(spec: NetworkSpec, count: int) -> np.ndarray:
    """`count` fresh examples from the spec's input distribution (seeded by the spec)."""
    return draw_inputs(spec, np.random.default_rng([spec.seed, 17]), count)


def _run(spec: NetworkSpec, params: Params, x0: np.ndarray):
    """Example 0's output (stored, scale) and the activation moments at every layer."""
    outs, moments = [], []
    run_params = Params(x0, params.weights, params.biases, params.w_out,
                        np.zeros(x0.shape[0], dtype=np.int64))

    def on_forward(t):
        outs.append((np.array(t.out[0], dtype=np.float64), t.out_scale))
        a = t.act.astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            var = float(a.var())
            mean = float(a.mean())
        log_var = math.log10(var) + 2 * t.act_scale if var > 0 else (
            -math.inf if var == 0 else math.nan)
        moments.append((log_var, mean * 10.0**t.act_scale if abs(t.act_scale) < 300 else math.nan))

    forward_backward(spec.replace(batch=x0.shape[0]), run_params, on_forward)
    return outs, moments


def _relative_change(a, b) -> float:
    (xa, sa), (xb, sb) = a, b
    top = max(sa, sb)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        da = xa * 10.0 ** (sa - top)
        db = xb * 10.0 ** (sb - top)
        base = float(np.linalg.norm(da))
        if not math.isfinite(base) or not np.isfinite(db).all():
            return math.nan
        return float(np.linalg.norm(da - db)) / base if base > 0 else 0.0


def batchmate_sensitivity(spec: NetworkSpec, norm: str, batch: int, groups: int = 4,
                          params: Params | None = None, pool: np.ndarray | None = None) -> BatchRun:
    """The spec's network with `norm` ("batch", "layer", "group", "rms" or "none") at
    `batch`: how much example 0 depends on its batchmates. Batch A is the pool's first
    `batch` examples; batch B is example 0 with the pool's next batch - 1 examples."""
    if norm == "instance":
        raise ValueError("InstanceNorm needs positions; compare batch/layer/group/rms/none")
    s = variant(spec.replace(batch=batch), norm, groups).spec
    params = make_params(spec) if params is None else params
    pool = _inputs(spec, 2 * batch) if pool is None else pool
    batch_a = pool[:batch]
    batch_b = np.concatenate([pool[:1], pool[batch:2 * batch - 1]])
    outs_a, moments = _run(s, params, batch_a)
    outs_b, _ = _run(s, params, batch_b)
    sens = np.array([_relative_change(a, b) for a, b in zip(outs_a, outs_b)])
    return BatchRun(norm, batch, sens,
                    np.array([m[0] for m in moments]), np.array([m[1] for m in moments]))


@dataclass(frozen=True)
class BatchDependence:
    runs: list[BatchRun]
    shrunk: tuple[Fix, ...]         # what the budget changed (core.experiments.budget)


def batch_dependence(spec: NetworkSpec, batches=BATCHES, others=("layer", "group"),
                     groups: int = 4, limits: budget.Limits | None = None) -> BatchDependence:
    """BatchNorm at every batch size in `batches`, and the `others` at OTHERS_BATCH, all on
    the same weights and the same example 0, within `limits` (forward passes only;
    None: as asked)."""
    examples = 2 * (sum(batches) + OTHERS_BATCH * len(others)) * spec.spatial
    spec, shrunk = budget.fit(spec, 1, limits, examples=examples, weight_draws=1)
    largest = max(max(batches), OTHERS_BATCH)
    params = make_params(spec)
    pool = _inputs(spec, 2 * largest)
    runs = [batchmate_sensitivity(spec, "batch", b, groups, params, pool) for b in batches]
    runs += [batchmate_sensitivity(spec, n, OTHERS_BATCH, groups, params, pool) for n in others]
    return BatchDependence(runs, shrunk)

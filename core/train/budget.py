"""Fitting a request to the task and to a budget, and what a request costs.

`fit_request` and `fit_runs` adapt the sidebar's networks to the task (one position,
a batch BatchNorm can use). `fit_budget` shrinks them to limits it is given (the
caller's: the app's are in ui.capacity) of multiply-adds (`train_macs`) and memory
(`memory_bytes`), and says what it changed. The estimates are the cost model; the
limits are not here.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Mapping, Sequence

import numpy as np

from .. import data, stats
from ..spec import RANGES, Fix, NetworkSpec, fit_norm
from .config import CONFIG_RANGES, TrainConfig
from .evaluate import BATCH_MODE_EXAMPLES, BATCH_MODE_SIZES
from .log import STAT_NAMES
from .optimizers import OPTIMIZER_BUFFERS
from .params import param_count
from .recorder import HIST_LAYERS


def fit_request(spec: NetworkSpec, batch: int) -> tuple[NetworkSpec, int, tuple[Fix, ...]]:
    """(spec, batch, fixes): the sidebar's network and a batch size as the task can train
    them. The network sees one position (the context's embedding), so InstanceNorm,
    which would normalize every value to 0 there, becomes LayerNorm, and extra spatial
    positions go; then the normalization's own shape rule (core.spec.fit_norm) applies
    to that one position and the training batch: BatchNorm gets at least two examples,
    GroupNorm at least two values a group. Each change is a core.spec.Fix; the
    precision field is left at float64 (training computes in TrainConfig.dtype).

    >>> spec, batch, fixes = fit_request(NetworkSpec(norm="batch", spatial=4), 1)
    >>> spec.spatial, batch, [(f.field, f.asked, f.used, f.why) for f in fixes]
    (1, 2, [('spatial', 4, 1, 'train_one_position'), ('batch', 1, 2, 'batch_needs_two')])
    >>> fit_request(NetworkSpec(norm="instance", spatial=4), 32)[2][0].why
    'train_instance_norm'
    >>> spec, _, fixes = fit_request(NetworkSpec(width=16, norm="group", groups=16, spatial=4), 32)
    >>> spec.groups, [f.why for f in fixes]
    (8, ['train_one_position', 'groups_divide_width'])
    """
    fixes = []
    values = vars(spec) | {"spatial": 1, "batch": batch, "dtype": "float64"}
    if spec.norm == "instance":
        fixes.append(Fix("norm", spec.norm, "layer", "train_instance_norm"))
        values["norm"] = "layer"
    elif spec.spatial > 1:
        fixes.append(Fix("spatial", spec.spatial, 1, "train_one_position"))
    values, shape_fixes = fit_norm(values)
    batch = values.pop("batch")
    return spec.replace(**values), batch, tuple(fixes + shape_fixes)


def fit_runs(specs: Mapping[str, NetworkSpec], batch: int
             ) -> tuple[dict[str, NetworkSpec], int, dict[str, tuple[Fix, ...]]]:
    """(specs, batch, fixes by label): every run of a request through `fit_request`, at
    one batch, the largest any run needs (BatchNorm's two), so the runs compare on the
    same examples. The fixes are each run's own at the batch asked.

    >>> specs, batch, fixes = fit_runs({"as set": NetworkSpec(),
    ...                                 "with BatchNorm": NetworkSpec(norm="batch")}, 1)
    >>> batch, fixes["as set"], [f.why for f in fixes["with BatchNorm"]]
    (2, (), ['batch_needs_two'])
    """
    fitted = {label: fit_request(spec, batch) for label, spec in specs.items()}
    common = max(b for _, b, _ in fitted.values())
    specs = {label: fit_request(spec, common)[0] for label, (spec, _, _) in fitted.items()}
    return specs, common, {label: fixes for label, (_, _, fixes) in fitted.items()}


MIN_BUDGET_WIDTH = 16


def fit_budget(specs: Sequence[NetworkSpec], config: TrainConfig, max_macs: float,
               max_bytes: float = math.inf
               ) -> tuple[list[NetworkSpec], TrainConfig, tuple[Fix, ...]]:
    """(specs, config, fixes): runs trained side by side (all of one width) within
    `max_bytes` of memory (`memory_bytes`) and `max_macs` multiply-adds in all
    (`train_macs`). Over memory, the larger part halves: the activations kept for
    backprop through the batch (down to what the norm needs), the rest through the width
    (down to MIN_BUDGET_WIDTH, see `narrower`). Over the multiply-adds: fewer validation
    examples (down to 250), then fewer steps (whole hundreds, at least 10). Each change
    is a Fix with why="train_budget", or the norm's own if a narrower width moves its
    groups.

    >>> big = [NetworkSpec(depth=200, width=256)] * 4
    >>> small, cfg, fixes = fit_budget(big, TrainConfig(batch=256), 1e11, 2**28)
    >>> [(f.field, f.asked, f.used) for f in fixes]
    [('width', 256, 128), ('steps', 2000, 10), ('valid_examples', 1000, 250)]
    >>> memory_bytes(small, cfg) <= 2**28
    True
    >>> fit_budget([NetworkSpec()], TrainConfig(), 1e11, 2**28)[2]
    ()
    """
    fitted, fixed = _fit_memory(list(specs), config, max_bytes)
    while train_macs(fitted, fixed) > max_macs and fixed.valid_examples > 250:
        fixed = replace(fixed, valid_examples=max(250, fixed.valid_examples // 2))
    if train_macs(fitted, fixed) > max_macs:
        at_zero = train_macs(fitted, replace(fixed, steps=0))
        per_step = (train_macs(fitted, replace(fixed, steps=1000)) - at_zero) / 1000
        room = (max_macs - at_zero) / max(per_step, 1e-9)
        steps = room // 100 * 100 if room >= 100 else room
        fixed = _fewer_steps(fixed, int(max(10, min(fixed.steps, steps))))
    fixes = [Fix("width", s.width, f.width, "train_budget")
             for s, f in zip(specs[:1], fitted) if f.width != s.width]
    fixes += [Fix("groups", s.groups, f.groups, "groups_divide_width")
              for s, f in zip(specs, fitted) if f.groups != s.groups][:1]
    fixes += [Fix(name, getattr(config, name), getattr(fixed, name), "train_budget")
              for name in ("batch", "steps", "valid_examples")
              if getattr(fixed, name) != getattr(config, name)]
    return fitted, fixed, tuple(fixes)


def _fewer_steps(config: TrainConfig, steps: int) -> TrainConfig:
    """The config at fewer steps, recording at most as many rows as before (its
    interval shrinks in proportion, rounded up).

    >>> c = _fewer_steps(TrainConfig(steps=20000, record_every=200), 1000)
    >>> c.steps, c.record_every, records_for(c) <= records_for(TrainConfig(steps=20000, record_every=200))
    (1000, 10, True)
    """
    every = max(1, math.ceil(config.record_every * steps / max(config.steps, 1)))
    return replace(config, steps=steps, record_every=every)


def _fit_memory(specs: list[NetworkSpec], config: TrainConfig, max_bytes: float):
    """(specs, config) within max_bytes: see fit_budget. At the narrowest width and the
    smallest batch, what is left is the summary: rows of statistics (every layer's),
    then the steps' losses; fewer rows (a longer record interval), then fewer steps."""
    floor = 2 if any(s.norm == "batch" for s in specs) else 1

    def over() -> bool:
        return bool(specs) and memory_bytes(specs, config) > max_bytes
    while over():
        width, total = specs[0].width, memory_bytes(specs, config)
        acts = max(activation_bytes(s, config) for s in specs)
        if config.batch > floor and (2 * acts >= total or width <= MIN_BUDGET_WIDTH):
            config = replace(config, batch=max(floor, config.batch // 2))
        elif width > MIN_BUDGET_WIDTH:
            specs = [narrower(s, max(MIN_BUDGET_WIDTH, width // 2)) for s in specs]
        else:
            break
    while over() and records_for(config) > 2:
        config = replace(config, record_every=min(2 * config.record_every,
                                                  CONFIG_RANGES["record_every"][1]))
    while over() and config.steps > 10:
        config = _fewer_steps(config, max(10, config.steps // 2))
    return specs, config


def narrower(spec: NetworkSpec, width: int) -> NetworkSpec:
    """The network at a smaller width with its statistics kept: for init="custom" Var(W)
    times the width ratio (fan_in x Var(W), each layer's factor, unchanged; the other
    inits are defined through fan_in), and the readout scale times its square root (the
    logits' spread, readout_scale^2 x width x E[x^2], unchanged); both within
    core.spec.RANGES, then the norm's shape rule.

    >>> small = narrower(NetworkSpec(width=256, weight_var=0.01, readout_scale=0.01), 64)
    >>> small.width, small.sigma_w2 == NetworkSpec(width=256, weight_var=0.01).sigma_w2
    (64, True)
    >>> round(small.readout_scale, 6)
    0.02
    """
    ratio = spec.width / width
    changes = {"width": width,
               "readout_scale": _within("readout_scale", spec.readout_scale * math.sqrt(ratio))}
    if spec.init == "custom":
        changes["weight_var"] = _within("weight_var", spec.weight_var * ratio)
    return spec.replace(**fit_norm(vars(spec) | changes)[0])


def _within(name: str, value: float) -> float:
    lo, hi = RANGES[name]
    return min(max(value, lo), hi)


def train_macs(specs: Sequence[NetworkSpec], config: TrainConfig) -> float:
    """Multiply-adds of training these runs: every step, every validation pass, and
    for BatchNorm the losses by batch size at the end (`batch_mode_losses`)."""
    total, evals = 0.0, validation_passes(config)
    for spec in specs:
        forward = spec.depth * spec.width**2
        per_eval = config.valid_examples * forward * (2 if spec.norm == "batch" else 1)
        total += config.steps * macs_per_step(spec, config.batch) + evals * per_eval
        if spec.norm == "batch":
            passes = len(BATCH_MODE_SIZES) + 1
            total += passes * (BATCH_MODE_EXAMPLES * forward + spec.depth * LAYER_MACS)
    return total


def record_every_for(steps: int, records: int = 100) -> int:
    """The recording interval that keeps about `records` rows of statistics.

    >>> record_every_for(2000), record_every_for(50)
    (20, 1)
    """
    return max(1, steps // records)


LAYER_MACS = 1.5e6      # a layer's fixed cost in a training step (activation, norm, calls)


def macs_per_step(spec: NetworkSpec, batch: int) -> float:
    """Multiply-adds of one training step: three products per layer (x W, g W^T, x^T g)
    and the readout's, plus a per-layer allowance for the rest (activation, norm,
    bookkeeping), which dominates at small batches."""
    per_layer = 3 * batch * spec.width**2 + LAYER_MACS
    return spec.depth * per_layer + 3 * batch * spec.width * data.TOKENS


# -- memory ---------------------------------------------------------------------------------
# Estimates of what the page's trainers hold (no replay): an upper bound on what
# tracemalloc measures (tests/core/test_train_memory.py holds them to it). The engine's
# cache of base draws (core.propagate, at most 64 MB for the whole process, shared by
# every page) is not a request's and is not counted.

MEMORY_MARGIN = 1.15        # for what the estimate does not itemize (small arrays, headers)

LAYER_OVERHEAD = 2048       # bytes a record row costs beyond its arrays (dicts, headers)
STEP_LAYER_BYTES = 4096     # a layer's Python objects in one step (tensors' headers, caches,
                            # its statistics): what counts at depth 1000, width 16


def validation_passes(config: TrainConfig) -> int:
    """Validation passes of a full run, at most: step 0, every eval_every steps, and the
    last step (counted apart even where it is one of them: a bound for the budgets).

    >>> validation_passes(TrainConfig(steps=100, eval_every=20))
    7
    """
    return config.steps // config.eval_every + 2


def records_for(config: TrainConfig) -> int:
    """Rows of per-layer statistics a full run keeps (step 0, then every record_every).

    >>> records_for(TrainConfig(steps=100, record_every=20)), records_for(TrainConfig(steps=0))
    (6, 0)
    """
    steps, every = config.steps, config.record_every
    return 0 if steps == 0 else steps // every + (every > 1)


def summary_bytes(spec: NetworkSpec, config: TrainConfig) -> float:
    """Bytes of a run's summary (`Trainer.summary`): the loss per step, validation
    losses, per-layer statistics per record and HIST_LAYERS histograms per record."""
    rows = records_for(config)
    per_row = len(STAT_NAMES) * spec.depth * 8 + HIST_LAYERS * stats.BINS * 4 + LAYER_OVERHEAD
    evals = validation_passes(config)
    edges = HIST_LAYERS * (stats.BINS + 1) * 8
    return config.steps * 8 + evals * 3 * 8 + rows * per_row + edges + 8 * len(BATCH_MODE_SIZES)


def activation_bytes(spec: NetworkSpec, config: TrainConfig) -> float:
    """What one step of this run keeps for backprop, per layer and example: its input,
    phi' and, with a norm, the normalized values; and a few layer-sized temporaries."""
    kept = 3 if spec.norm != "none" else 2
    item = np.dtype(config.dtype).itemsize
    return (kept * spec.depth + 8) * config.batch * spec.width * item


def memory_bytes(specs: Sequence[NetworkSpec], config: TrainConfig) -> float:
    """Estimated peak bytes of these runs trained side by side, as the page trains them
    (every trainer alive, one step at a time): per run for the whole run its float64
    parameters, the optimizer's state (none for SGD, one copy for momentum, two for
    Adam) and its summary as it grows; for the run stepping, its weights in the
    compute precision, their gradients, the activations kept for backprop (or a
    validation or batch-mode pass, the larger) and the update's temporaries.

    >>> spec, cfg = NetworkSpec(depth=200, width=256), TrainConfig(batch=256)
    >>> extra = memory_bytes([spec], replace(cfg, optimizer="adam")) - memory_bytes([spec], cfg)
    >>> round(extra / MEMORY_MARGIN / (8 * param_count(spec)), 6)       # Adam's m and v
    2.0
    """
    held = sum(param_count(s) * 8 * (1 + OPTIMIZER_BUFFERS[config.optimizer])
               + 2 * summary_bytes(s, config) for s in specs)
    step = max((_step_bytes(s, config) for s in specs), default=0.0)
    return MEMORY_MARGIN * (held + step)


def _step_bytes(spec: NetworkSpec, config: TrainConfig) -> float:
    item = np.dtype(config.dtype).itemsize
    w, d = spec.width, spec.depth
    weights = d * w * w + w * data.TOKENS
    cast = weights * item if item < 8 else 0            # float64 computes on the parameters
    grads = param_count(spec) * item + data.BLOCK * data.TOKENS * w * 8
    passes = [activation_bytes(spec, config)]
    for examples in (config.valid_examples, BATCH_MODE_EXAMPLES if spec.norm == "batch" else 0):
        passes.append(10 * examples * w * item)         # forward only: a layer's temporaries
    onehot = config.batch * data.BLOCK * data.BLOCK * data.TOKENS * 8
    return cast + grads + max(passes) + 6 * w * w * 8 + onehot + d * STEP_LAYER_BYTES

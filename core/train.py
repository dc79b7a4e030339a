"""Train the network a `NetworkSpec` describes on makemore's task, in plain NumPy.

The task (`core.data`): predict the next character of a name from the three before it.
The model: a learned embedding, the spec's hidden layers, a 27-way softmax.

    x0     = E[0, c1] + E[1, c2] + E[2, c3]       one learned (27, width) table per
                                                  context position: the first hidden width
    layers = the spec's depth x (h = x W + b -> [norm] -> activation -> [norm] -> [x + alpha f])
    logits = x_L @ W_out                          W_out = readout_scale * N(0, 1) at init

The embedding is makemore's table C and its first Linear folded into one: a one-hot
context of 3 x 27 tokens times an (81, width) matrix. Its entries start as N(0, 1/3),
so x0 has variance 1 like the other pages' inputs, and the hidden weights are exactly
`make_params(spec)`'s: at step 0 the network is the one every other page simulates.

Every step runs the one layer recipe, `core.propagate.forward_backward`, in float32
(PyTorch's default; TrainConfig(dtype="float64") for exact checks), with the parameters
kept in float64: minibatch SGD, SGD with momentum or Adam (PyTorch's update rules and
defaults) update
the embedding, every weight and bias, the norms' per-channel gamma and beta (as PyTorch
trains them) and W_out. The readout has no bias. BatchNorm keeps PyTorch's running
statistics (momentum 0.1, unbiased variance), which validation in eval mode uses.

>>> from core.spec import NetworkSpec
>>> log = train(NetworkSpec(depth=2, width=16), TrainConfig(steps=30, batch=16))
>>> log.steps_done, bool(log.loss[-5:].mean() < log.loss[:5].mean())
(30, True)

`TrainLog` holds the per-step loss, validation loss every `eval_every` steps, per-layer
statistics every `record_every` steps and the run's `status`. Parameter sets are large
(8 bytes a weight: 105 MB at depth 200, width 256), so a log carries them only when
asked: the final parameters and BatchNorm's running statistics with `log(params=True)`
(`train` returns such a log), and, from a `Trainer(..., replay=True)`, the initial
parameters (`initial`) and the training examples of every step (`batches`, indices into
`core.data.load(split_seed).train_x`) for a replay elsewhere. What the Training page
keeps (`Trainer.summary`) is the curves and statistics it draws, and for BatchNorm the
validation loss by batch size (`batch_mode_losses`), no parameter set.
"""

from __future__ import annotations

import enum
import math
import numbers
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import numpy as np

from . import activations, data, norms, stats
from .loss import softmax_cross_entropy
from .norms import RUNNING_START
from .propagate import LayerBackward, LayerForward, Params, forward_backward, make_params
from .scaled import unscale
from .spec import RANGES, Fix, NetworkSpec, fit_norm

OPTIMIZERS = ("sgd", "momentum", "adam")
OPTIMIZER_BUFFERS = {"sgd": 0, "momentum": 1, "adam": 2}   # state arrays, each the parameters' size
DTYPES = ("float32", "float64")     # what the layers compute in; parameters stay float64
ADAM_BETAS = (0.9, 0.999)           # PyTorch's defaults
ADAM_EPS = 1e-8
SGD_MOMENTUM = 0.9
# (low, high) of TrainConfig's numeric fields; all but lr are whole numbers
CONFIG_RANGES = {"steps": (0, 200_000), "batch": (1, 4096), "lr": (1e-6, 100.0),
                 "eval_every": (1, 100_000), "record_every": (1, 100_000),
                 "valid_examples": (2, 100_000), "split_seed": (0, 2**32 - 1)}
INT_FIELDS = ("steps", "batch", "eval_every", "record_every", "valid_examples", "split_seed")
LOSS_LIMIT = 1e6                    # a loss past this (or inf/NaN) has diverged
HIST_LAYERS = 6                     # layers whose activation histograms a log keeps
BATCH_MODE_SIZES = (2, 3, 4, 8, 32)     # BatchNorm's train mode measured at these batches
BATCH_MODE_EXAMPLES = 512               # on the first this many validation examples


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


class Status(enum.Enum):
    """Where a run is: exactly one of these at any time (TrainLog.status)."""
    WAITING = "waiting"             # no step tried yet
    TRAINING = "training"           # some steps taken, more to come
    FINISHED = "finished"           # every step taken
    DIVERGED = "diverged"           # a step after the first gave a non-finite loss or gradient
    CANNOT_START = "cannot_start"   # the first step did: the untrained network cannot train


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
    total = 0.0
    for spec in specs:
        evals = config.steps // config.eval_every + 2
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


def param_count(spec: NetworkSpec) -> int:
    """Trainable numbers: embedding, hidden weights and biases, gamma and beta per
    channel when there is a norm, W_out.

    >>> param_count(NetworkSpec(depth=2, width=4))          # 3*27*4 + 2*(16+4) + 4*27
    472
    """
    w, d = spec.width, spec.depth
    norm = 2 * d * w if spec.norm != "none" else 0
    return data.BLOCK * data.TOKENS * w + d * (w * w + w) + norm + w * data.TOKENS


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
    evals = config.steps // config.eval_every + 2
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


# -- parameters and their state ------------------------------------------------------------

PARAM_GROUPS = ("embedding", "weights", "biases", "gammas", "betas", "w_out")


def initial_params(spec: NetworkSpec) -> dict[str, np.ndarray | list[np.ndarray]]:
    """The trainable parameters at step 0 (fresh arrays): the hidden weights and biases of
    `make_params(spec)`, the readout W_out = readout_scale * its N(0, 1) draw, the
    embedding from its own stream (seed, 1), gamma = norm_gamma and beta = norm_beta per
    channel when the spec has a norm (else empty lists)."""
    drawn = make_params(spec)
    rng = np.random.default_rng([spec.seed, 1])
    emb = rng.standard_normal((data.BLOCK, data.TOKENS, spec.width)) / math.sqrt(data.BLOCK)
    has_norm = spec.norm != "none"
    return {
        "embedding": emb,
        # fresh arrays from make_params: taken as they are, not copied (a copy of every
        # weight would double the parameters' memory while the trainer starts)
        "weights": [np.asarray(w, dtype=np.float64) for w in drawn.weights],
        "biases": [np.asarray(b, dtype=np.float64) for b in drawn.biases],
        "gammas": [np.full(spec.width, spec.norm_gamma) for _ in range(spec.depth)] if has_norm else [],
        "betas": [np.full(spec.width, spec.norm_beta) for _ in range(spec.depth)] if has_norm else [],
        "w_out": np.array(drawn.w_out, dtype=np.float64) * spec.readout_scale,
    }


def flat(params: dict) -> list[np.ndarray]:
    """Every parameter array, in PARAM_GROUPS order (the optimizer's state lines up)."""
    out = []
    for group in PARAM_GROUPS:
        value = params[group]
        out.extend(value if isinstance(value, list) else [value])
    return out


def copy_params(params: dict) -> dict:
    return {k: [a.copy() for a in v] if isinstance(v, list) else v.copy()
            for k, v in params.items()}


def embed_grad(g_x0: np.ndarray, contexts: np.ndarray, shape: tuple) -> np.ndarray:
    """dL/dE from dL/dx0 (examples, width): each example's gradient lands on the row of
    its token at each position, summed over repeats (one one-hot product, no loop).

    >>> g = embed_grad(np.ones((2, 1)), np.array([[0, 1], [0, 0]]), (2, 3, 1))
    >>> g[:, :, 0].tolist()
    [[2.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    """
    block, tokens, width = shape
    rows = (contexts + tokens * np.arange(block)).reshape(-1)          # (examples * block,)
    onehot = np.zeros((rows.size, block * tokens))
    onehot[np.arange(rows.size), rows] = 1.0
    return (onehot.T @ np.repeat(g_x0, block, axis=0)).reshape(shape)


def embed(emb: np.ndarray, contexts: np.ndarray) -> np.ndarray:
    """x0 (examples, 1, width) = sum over positions p of emb[p, token at p]."""
    x0 = emb[0, contexts[:, 0]].copy()
    for p in range(1, contexts.shape[1]):
        x0 += emb[p, contexts[:, p]]
    return x0[:, None, :]


# -- the log --------------------------------------------------------------------------------

LAYER_STATS = ("saturated", "input_mean", "input_std", "preact_mean", "preact_std",
               "seen_mean", "seen_std")           # taken as each layer passes forward
STAT_NAMES = LAYER_STATS + ("update_ratio", "grad_ratio")   # and after the update


@dataclass(frozen=True)
class BatchModeLosses:
    """A trained BatchNorm network's validation loss in train mode, each batch of
    `sizes[i]` examples normalized by its own statistics, and in eval mode (running
    statistics), on the first BATCH_MODE_EXAMPLES validation examples."""
    sizes: tuple[int, ...]
    train_mode: tuple[float, ...]
    eval_mode: float


@dataclass
class TrainLog:
    spec: NetworkSpec                   # the network trained (as asked: readout_scale etc.)
    config: TrainConfig
    steps_done: int
    loss: np.ndarray                    # minibatch loss before each step's update (and the failed step's)
    eval_steps: np.ndarray              # steps after which validation ran (0 = at init)
    valid_loss: np.ndarray              # eval mode (BatchNorm: running statistics)
    valid_loss_batch_stats: np.ndarray | None   # BatchNorm only: the validation set as one batch
    record_steps: np.ndarray            # (records,) steps whose statistics are kept
    hist_layers: tuple[int, ...]        # the layers (1-based) whose histograms are kept
    act_hist: np.ndarray                # (records, len(hist_layers), bins) float32 share per bin
    hist_edges: np.ndarray              # (len(hist_layers), bins + 1) fixed for the whole run
    saturated: np.ndarray               # (records, depth) |a| > spec.saturation_threshold, or off
    input_mean: np.ndarray              # (records, depth) of each layer's input x
    input_std: np.ndarray
    preact_mean: np.ndarray             # (records, depth) of h = x W + b
    preact_std: np.ndarray
    seen_mean: np.ndarray               # (records, depth) of what the activation sees (h normalized)
    seen_std: np.ndarray
    update_ratio: np.ndarray            # (records, depth) log10 std(update of W) / std(W)
    grad_ratio: np.ndarray              # (records, depth) log10 std(dL/dW) / std(W)
    failed_at: int | None = None        # the step whose loss or gradient was not finite
    batch_mode: BatchModeLosses | None = None       # BatchNorm, in a summary
    initial: dict | None = field(default=None, repr=False)      # replay: parameters at step 0
    batches: np.ndarray | None = field(default=None, repr=False)    # replay: (steps_done, batch)
    running: list | None = field(default=None, repr=False)  # params=True, BatchNorm: [(mean, var)]
    final: dict | None = field(default=None, repr=False)    # params=True: after the last step

    @property
    def status(self) -> Status:
        """The run's one state (Status), read from its step count and failure."""
        if self.failed_at is not None:
            return Status.CANNOT_START if self.failed_at == 0 else Status.DIVERGED
        if self.steps_done >= self.config.steps:
            return Status.FINISHED
        return Status.TRAINING if self.steps_done else Status.WAITING

    @property
    def uniform_loss(self) -> float:
        """-ln(1/27): the loss of a network that knows nothing and says so."""
        return math.log(data.TOKENS)

    @property
    def initial_loss(self) -> float:
        return float(self.loss[0]) if self.loss.size else math.nan

    @property
    def depth(self) -> int:
        return self.spec.depth


# -- the trainer ------------------------------------------------------------------------------

class Trainer:
    """Training that can be advanced in chunks (`run(n)`) and read at any point (`log()`).
    `replay=True` also keeps the initial parameters and every step's examples.

    >>> t = Trainer(NetworkSpec(depth=2, width=8), TrainConfig(steps=20, batch=8))
    >>> t.run(5); t.step, t.done, t.log().status.name
    (5, False, 'TRAINING')
    >>> t.run(100); t.step, t.done, t.log().status.name
    (20, True, 'FINISHED')
    """

    def __init__(self, spec: NetworkSpec, config: TrainConfig = TrainConfig(),
                 replay: bool = False):
        why = check_trainable(spec, config.batch)
        if why:
            raise ValueError(why)
        self.spec, self.config = spec, config
        self.run_spec = train_spec(spec, config.batch, config.dtype)
        self.act = activations.get(spec.activation)
        self.data = data.load(config.split_seed)
        nv = min(config.valid_examples, len(self.data.valid_y))
        self.valid = (self.data.valid_x[:nv], self.data.valid_y[:nv])
        self.params = initial_params(spec)
        self.initial = copy_params(self.params) if replay else None
        self.batches = np.zeros((config.steps, config.batch), dtype=np.int32) if replay else None
        # the optimizer's state: none for SGD, momentum's buffer, Adam's m and v
        self.state = [[np.zeros_like(p) for p in flat(self.params)]
                      for _ in range(OPTIMIZER_BUFFERS[config.optimizer])]
        self.rng = np.random.default_rng([spec.seed, 2])                  # minibatch stream
        self.step = 0
        self.failed_at: int | None = None
        self.last_batch: np.ndarray | None = None       # the examples of the step last tried
        self.losses = np.full(config.steps, np.nan)
        mean0, var0 = RUNNING_START
        self.running = ([(np.full(spec.width, mean0), np.full(spec.width, var0))
                         for _ in range(spec.depth)] if spec.norm == "batch" else None)
        self.evals: list[tuple[int, float, float]] = []
        self.records: list[dict] = []
        self.hist_layers = tuple(stats.spread_layers(1, spec.depth, HIST_LAYERS))
        self.edges: dict[int, np.ndarray] = {}
        self._batch_mode: tuple[int, BatchModeLosses] | None = None
        self._evaluate()

    @property
    def done(self) -> bool:
        return self.step >= self.config.steps or self.failed_at is not None

    def run(self, steps: int) -> None:
        """Advance up to `steps` steps (fewer at the end or on divergence)."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for _ in range(steps):
                if self.done:
                    return
                self._one_step()

    # -- one step ---------------------------------------------------------------------

    def _one_step(self) -> None:
        cfg, k = self.config, self.step
        idx = self.rng.integers(0, len(self.data.train_y), cfg.batch)
        self.last_batch = idx
        if self.batches is not None:
            self.batches[k] = idx
        record = (k + 1) % cfg.record_every == 0 or k == 0
        loss, grads, seen = self._loss_and_grads(self.data.train_x[idx], self.data.train_y[idx],
                                                 record)
        self.losses[k] = loss
        if not (math.isfinite(loss) and loss < LOSS_LIMIT) or not all_finite(grads):
            self.failed_at = k          # a parameter gone non-finite shows in the next loss
            return
        updates = self._update(grads, record)
        self.step = k + 1
        if record:
            self.records.append(self._record(k, seen, grads, updates))
        if self.step % cfg.eval_every == 0 or self.step == cfg.steps:
            self._evaluate()

    def _run_params(self, contexts, labels) -> Params:
        p = self.params
        has_norm = bool(p["gammas"])
        return Params(embed(p["embedding"], contexts), p["weights"], p["biases"], p["w_out"],
                      labels, p["gammas"] if has_norm else None, p["betas"] if has_norm else None)

    def _loss_and_grads(self, contexts, labels, record: bool = False):
        """(minibatch loss, gradients in `flat` order, per-layer statistics if `record`),
        from one forward_backward; BatchNorm's running statistics are updated on the way.
        The statistics are taken as each layer passes: no layer's tensors are copied."""
        spec, depth = self.run_spec, self.spec.depth
        seen: list = [None] * depth if record else []
        last = {}
        grads_w, grads_b = [None] * depth, [None] * depth
        grads_g, grads_be = [None] * depth, [None] * depth

        def on_forward(t: LayerForward):
            if self.running is not None:
                mean, var = self.running[t.index]
                self.running[t.index] = (norms.update_running(mean, t.norm.mean.reshape(-1)),
                                         norms.update_running(var, norms.unbiased(t.norm)))
            if record:
                seen[t.index] = self._layer_stats(t)
            if t.index == depth - 1:
                last["out"] = _true(t.out, t.out_scale).reshape(-1, spec.width)

        def on_backward(t: LayerBackward):
            i = t.index
            grads_w[i] = _true(t.grad_weight, t.grad_weight_scale)
            grads_b[i] = _true(t.grad_preact.sum(axis=(0, 1)), t.grad_preact_scale)
            if t.grad_gamma is not None:
                grads_g[i] = _true(t.grad_gamma, t.grad_affine_scale)
                grads_be[i] = _true(t.grad_beta, t.grad_affine_scale)

        params = self._run_params(contexts, labels)
        out = forward_backward(spec, params, on_forward, on_backward)
        g_x0 = _true(out.grad_input, out.grad_input_scale)[:, 0, :]
        g_emb = embed_grad(g_x0, contexts, self.params["embedding"].shape)
        g_out = last["out"].T @ out.grad_logits
        has_norm = bool(self.params["gammas"])
        grads = ([g_emb] + grads_w + grads_b + (grads_g + grads_be if has_norm else [])
                 + [g_out])
        return out.loss, grads, seen

    def _update(self, grads, record: bool) -> list[float]:
        """One optimizer step in place; with `record`, the std of the step applied to each
        hidden weight matrix (what the update:data ratio divides)."""
        cfg, t = self.config, self.step + 1
        weight_ids = range(1, 1 + self.spec.depth)
        update_std = []
        for i, (p, g) in enumerate(zip(flat(self.params), grads)):
            if cfg.optimizer == "sgd":
                delta = cfg.lr * g
            elif cfg.optimizer == "momentum":           # torch.optim.SGD(momentum=0.9)
                buf = self.state[0][i]
                buf *= SGD_MOMENTUM
                buf += g
                delta = cfg.lr * buf
            else:                                       # torch.optim.Adam
                b1, b2 = ADAM_BETAS
                m, v = self.state[0][i], self.state[1][i]
                m *= b1
                m += (1 - b1) * g
                v *= b2
                v += (1 - b2) * g * g
                delta = cfg.lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + ADAM_EPS)
            p -= delta
            if record and i in weight_ids:
                update_std.append(float(delta.std()))
        return update_std

    # -- what is recorded -------------------------------------------------------------

    def _layer_stats(self, t: LayerForward) -> dict:
        """One layer's statistics as it passes (true units; the engine may rescale its
        arrays in place afterwards): means and stds, the share saturated or off, and
        for the histogram layers their counts on edges fixed at the first record."""
        x, h = _true(t.x, t.x_scale), _true(t.preact, t.preact_scale)
        u, a = _true(t.u, t.u_scale), _true(t.act, t.act_scale)
        row = {"saturated": self._saturated(u, a)}
        for name, arr in (("input", x), ("preact", h), ("seen", u)):
            row[f"{name}_mean"], row[f"{name}_std"] = float(arr.mean()), float(arr.std())
        layer = t.index + 1
        if layer in self.hist_layers:
            if layer not in self.edges:
                self.edges[layer] = self._edges(a)
            counts = stats.histogram(a, self.edges[layer])
            row["hist"] = counts / max(counts.sum(), 1)
        return row

    def _record(self, k: int, seen: list, grads, update_std: list[float]) -> dict:
        depth = self.spec.depth
        row = {"step": k, "hist": np.array([seen[n - 1]["hist"] for n in self.hist_layers],
                                           dtype=np.float32)}
        for name in LAYER_STATS:
            row[name] = np.array([s[name] for s in seen])
        row["update_ratio"], row["grad_ratio"] = np.zeros(depth), np.zeros(depth)
        for i in range(depth):
            w_std = float(self.params["weights"][i].std())
            row["update_ratio"][i] = _log10_ratio(update_std[i], w_std)
            row["grad_ratio"][i] = _log10_ratio(float(grads[1 + i].std()), w_std)
        return row

    def _edges(self, act_values: np.ndarray) -> np.ndarray:
        """Histogram edges fixed for the whole run: a bounded activation's range, or
        +-4 times the layer's rms at step 0 (from just below 0 when the values are
        nearly all >= 0, as relu's are)."""
        if self.act.bounded is not None:
            return stats.fixed_edges(*self.act.bounded)
        rms = float(np.sqrt(np.mean(np.square(act_values, dtype=np.float64))))
        span = 4 * rms if rms > 0 and math.isfinite(rms) else 1.0
        lo = -0.25 * span if np.mean(act_values < 0) < 0.05 else -span
        return stats.fixed_edges(lo, span)

    def _saturated(self, u: np.ndarray, a: np.ndarray) -> float:
        act = self.act
        unit = act.to_unit(a) if act.bounded is not None else None
        frac, _, _ = stats.saturation(act, unit, u, self.spec.saturation_threshold,
                                      self.spec.dead_threshold)
        return float(frac)

    # -- validation -------------------------------------------------------------------

    def _evaluate(self) -> None:
        """Validation loss now: eval mode (running statistics) and, with BatchNorm, the
        validation examples as one batch (train mode's statistics)."""
        vx, vy = self.valid
        spec = self.run_spec.replace(batch=len(vy))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            params = self._run_params(vx, vy)
            batch_stats = forward_backward(spec, params, backward=False).loss
            running = (forward_backward(spec, params, norm_stats=self.running,
                                        backward=False).loss
                       if self.running is not None else batch_stats)
        self.evals.append((self.step, running, batch_stats))

    # -- reading it out ---------------------------------------------------------------

    def log(self, params: bool = False) -> TrainLog:
        """A snapshot of the run so far (arrays copied: training may go on); with
        `params`, the parameters and BatchNorm's running statistics too (copies)."""
        n, recs, depth = self.step, self.records, self.spec.depth
        stacked = {name: np.array([r[name] for r in recs]).reshape(len(recs), depth)
                   for name in STAT_NAMES}
        bins = stats.BINS
        ev = np.array(self.evals, dtype=float).reshape(-1, 3)
        edges = [self.edges.get(layer, np.zeros(bins + 1)) for layer in self.hist_layers]
        return TrainLog(
            spec=self.spec, config=self.config, steps_done=n,
            loss=self.losses[:n + (self.failed_at is not None)].copy(),
            eval_steps=ev[:, 0].astype(int), valid_loss=ev[:, 1].copy(),
            valid_loss_batch_stats=ev[:, 2].copy() if self.running is not None else None,
            record_steps=np.array([r["step"] for r in recs], dtype=int),
            hist_layers=self.hist_layers,
            act_hist=np.array([r["hist"] for r in recs], dtype=np.float32).reshape(
                len(recs), len(self.hist_layers), bins),
            hist_edges=np.array(edges), failed_at=self.failed_at,
            initial=self.initial,
            batches=None if self.batches is None else self.batches[:n].copy(),
            running=self._running_copy() if params else None,
            final=copy_params(self.params) if params else None, **stacked)

    def summary(self) -> TrainLog:
        """What the Training page keeps of the run so far: the log without parameters,
        and for BatchNorm the validation loss by batch size (`batch_mode_losses`,
        computed once per step count)."""
        log = self.log()
        if self.running is not None and self.step:
            if self._batch_mode is None or self._batch_mode[0] != self.step:
                self._batch_mode = (self.step, batch_mode_losses(
                    self.spec, self.config, self.params, self.running))
            log.batch_mode = self._batch_mode[1]
        return log

    def _running_copy(self) -> list | None:
        return None if self.running is None else [(m.copy(), v.copy()) for m, v in self.running]


def batch_mode_losses(spec: NetworkSpec, config: TrainConfig, params: dict, running: list,
                      sizes: Sequence[int] = BATCH_MODE_SIZES,
                      examples: int = BATCH_MODE_EXAMPLES) -> BatchModeLosses:
    """A BatchNorm network's validation loss on the first `examples` validation
    examples in train mode, at each batch size (consecutive batches, each normalized by
    its own statistics: `valid_loss(log, size)`), and in eval mode (running statistics).

    One forward pass a size: the examples as `examples // size` rows of `size` positions,
    where InstanceNorm's statistics (per row and channel, over the positions) are
    exactly BatchNorm's over each batch; the loss is taken per position, not pooled.

    >>> cfg = TrainConfig(steps=20, batch=8, dtype="float64")
    >>> log = train(NetworkSpec(depth=2, width=8, norm="batch"), cfg)
    >>> fast = batch_mode_losses(log.spec, log.config, log.final, log.running, (2, 4))
    >>> [round(v, 10) for v in fast.train_mode] == [round(valid_loss(log, b), 10) for b in (2, 4)]
    True
    """
    ds = data.load(config.split_seed)
    vx, vy = ds.valid_x[:examples], ds.valid_y[:examples]
    base = train_spec(spec, len(vy), config.dtype)
    gammas = params["gammas"] or None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        train_mode = tuple(_grouped_loss(base, params, vx, vy, size, gammas) for size in sizes)
        pooled = Params(embed(params["embedding"], vx), params["weights"], params["biases"],
                        params["w_out"], vy, gammas, params["betas"] or None)
        eval_mode = forward_backward(base, pooled, norm_stats=running, backward=False).loss
    return BatchModeLosses(tuple(sizes), train_mode, eval_mode)


def _grouped_loss(base: NetworkSpec, params: dict, vx, vy, size: int, gammas) -> float:
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
                 gammas, params["betas"] or None)
    forward_backward(spec, run, on_forward=keep_last, backward=False)
    w_out = np.asarray(params["w_out"]).astype(last["out"].dtype)
    log10_loss, _ = softmax_cross_entropy(last["out"] @ w_out, last["scale"], vy[:n])
    return unscale(log10_loss)


def valid_loss(log: TrainLog, batch_size: int | None = None, examples: int = 512) -> float:
    """The trained network's loss on the first `examples` validation examples: BatchNorm
    in eval mode (batch_size None: running statistics) or in train mode on consecutive
    batches of `batch_size` >= 2 (each normalized by its own statistics). Needs a log
    with its parameters (`log(params=True)`, as `train` returns).

    >>> log = train(NetworkSpec(depth=2, width=8, norm="batch"), TrainConfig(steps=20, batch=8))
    >>> valid_loss(log, 2) > valid_loss(log, 256) > 0
    True
    """
    if log.final is None:
        raise ValueError("this log has no parameters: take it with log(params=True)")
    ds = data.load(log.config.split_seed)
    vx, vy = ds.valid_x[:examples], ds.valid_y[:examples]
    p = log.final
    gammas = p["gammas"] or None

    def loss_on(lo: int, hi: int, running) -> float:
        params = Params(embed(p["embedding"], vx[lo:hi]), p["weights"], p["biases"],
                        p["w_out"], vy[lo:hi], gammas, p["betas"] or None)
        spec = train_spec(log.spec, hi - lo, log.config.dtype)
        return forward_backward(spec, params, norm_stats=running, backward=False).loss

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if batch_size is None:
            return loss_on(0, len(vy), log.running)
        n = len(vy) // batch_size * batch_size
        return float(np.mean([loss_on(s, s + batch_size, None) for s in range(0, n, batch_size)]))


def train(spec: NetworkSpec, config: TrainConfig = TrainConfig(), replay: bool = False) -> TrainLog:
    """Train `spec` for config.steps steps (fewer if it diverges) and return the log,
    with the final parameters (and, with `replay`, the initial ones and every batch)."""
    trainer = Trainer(spec, config, replay=replay)
    trainer.run(config.steps)
    return trainer.log(params=True)


# -- small helpers ------------------------------------------------------------------------

def _true(stored: np.ndarray, scale: float) -> np.ndarray:
    """A tensor in true units (inf where the log10 scale passes float64's range; float32
    runs carry no scale)."""
    return stored * 10.0**scale if scale else stored


def all_finite(arrays) -> bool:
    """Whether every value of every array is finite. Read from each array's largest and
    smallest value (NaN wins both), so nothing is squared or summed: a float32 gradient
    of 1e25 is finite, though its square is not.

    >>> all_finite([np.full(3, 1e25, dtype=np.float32)]), all_finite([np.array([1.0, np.nan])])
    (True, False)
    """
    for a in arrays:
        if a.size and not (math.isfinite(a.max()) and math.isfinite(a.min())):
            return False
    return True


def _log10_ratio(num: float, den: float) -> float:
    return math.log10(num / den) if num > 0 and den > 0 and math.isfinite(num / den) else math.nan

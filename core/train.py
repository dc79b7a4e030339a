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
statistics every `record_every` steps, and, for a replay elsewhere, the initial
parameters (`initial`) and the training examples of every step (`batches`, indices into
`core.data.load(split_seed).train_x`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from . import activations, data, norms, stats
from .norms import MOMENTUM, RUNNING_START
from .propagate import LayerBackward, LayerForward, Params, forward_backward, make_params
from .spec import Fix, NetworkSpec, fit_norm

OPTIMIZERS = ("sgd", "momentum", "adam")
DTYPES = ("float32", "float64")     # what the layers compute in; parameters stay float64
ADAM_BETAS = (0.9, 0.999)           # PyTorch's defaults
ADAM_EPS = 1e-8
SGD_MOMENTUM = 0.9
# (low, high) of TrainConfig's numeric fields
CONFIG_RANGES = {"steps": (0, 200_000), "batch": (1, 4096), "lr": (1e-6, 100.0),
                 "eval_every": (1, 100_000), "record_every": (1, 100_000),
                 "valid_examples": (2, 100_000), "split_seed": (0, 2**32 - 1)}
LOSS_LIMIT = 1e6                    # a loss past this (or inf/NaN) has diverged


@dataclass(frozen=True)
class TrainConfig:
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
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer={self.optimizer!r} is not one of {list(OPTIMIZERS)}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype={self.dtype!r} is not one of {list(DTYPES)}")
        for name, (lo, hi) in CONFIG_RANGES.items():
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and not isinstance(value, bool)
                    and math.isfinite(value) and lo <= value <= hi):
                raise ValueError(f"{name}={value!r} is out of range: allowed {lo:g} to {hi:g}")


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


def fit_budget(spec: NetworkSpec, config: TrainConfig, runs: int, max_macs: float):
    """(config, fixes): `runs` trainings of this size within max_macs multiply-adds in
    all; first fewer validation examples (down to 250), then fewer steps (whole
    hundreds, at least 10), each recorded as a core.spec.Fix with why="train_budget".

    >>> from core.spec import NetworkSpec
    >>> cfg, fixes = fit_budget(NetworkSpec(depth=200), TrainConfig(steps=5000), 1, 2e10)
    >>> cfg.steps < 5000, [f.field for f in fixes]
    (True, ['steps', 'valid_examples'])
    >>> fit_budget(NetworkSpec(), TrainConfig(), 1, 1e11)[1]
    ()
    """
    def cost(c: TrainConfig) -> float:
        evals = c.steps // c.eval_every + 2
        per_eval = c.valid_examples * spec.depth * spec.width**2 * (2 if spec.norm == "batch" else 1)
        return runs * (c.steps * macs_per_step(spec, c.batch) + evals * per_eval)

    fixed = config
    while cost(fixed) > max_macs and fixed.valid_examples > 250:
        fixed = replace(fixed, valid_examples=max(250, fixed.valid_examples // 2))
    if cost(fixed) > max_macs:
        per_step = cost(replace(fixed, steps=1000)) - cost(replace(fixed, steps=0))
        room = (max_macs - cost(replace(fixed, steps=0))) / max(per_step, 1.0) * 1000
        steps = room // 100 * 100 if room >= 100 else room
        fixed = replace(fixed, steps=int(max(10, min(fixed.steps, steps))))
    fixes = tuple(Fix(name, getattr(config, name), getattr(fixed, name), "train_budget")
                  for name in ("steps", "valid_examples")
                  if getattr(fixed, name) != getattr(config, name))
    return fixed, fixes


def record_every_for(steps: int, records: int = 100) -> int:
    """The recording interval that keeps about `records` rows of statistics.

    >>> record_every_for(2000), record_every_for(50)
    (20, 1)
    """
    return max(1, steps // records)


def macs_per_step(spec: NetworkSpec, batch: int) -> float:
    """Multiply-adds of one training step: three products per layer (x W, g W^T, x^T g)
    and the readout's, plus a per-layer allowance for the rest (activation, norm,
    bookkeeping), which dominates at small batches."""
    per_layer = 3 * batch * spec.width**2 + 1.5e6
    return spec.depth * per_layer + 3 * batch * spec.width * data.TOKENS


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
        "weights": [np.array(w, dtype=np.float64) for w in drawn.weights],
        "biases": [np.array(b, dtype=np.float64) for b in drawn.biases],
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

@dataclass
class TrainLog:
    spec: NetworkSpec                   # the network trained (as asked: readout_scale etc.)
    config: TrainConfig
    steps_done: int
    loss: np.ndarray                    # (steps_done,) minibatch loss before each step's update
    eval_steps: np.ndarray              # steps after which validation ran (0 = at init)
    valid_loss: np.ndarray              # eval mode (BatchNorm: running statistics)
    valid_loss_batch_stats: np.ndarray | None   # BatchNorm only: the validation set as one batch
    record_steps: np.ndarray            # (records,) steps whose statistics are kept
    act_hist: np.ndarray                # (records, depth, bins) float32 share of values per bin
    hist_edges: np.ndarray              # (depth, bins + 1) fixed per layer for the whole run
    saturated: np.ndarray               # (records, depth) |a| > spec.saturation_threshold, or off
    input_mean: np.ndarray              # (records, depth) of each layer's input x
    input_std: np.ndarray
    preact_mean: np.ndarray             # (records, depth) of h = x W + b
    preact_std: np.ndarray
    seen_mean: np.ndarray               # (records, depth) of what the activation sees (h normalized)
    seen_std: np.ndarray
    update_ratio: np.ndarray            # (records, depth) log10 std(update of W) / std(W)
    grad_ratio: np.ndarray              # (records, depth) log10 std(dL/dW) / std(W)
    initial: dict = field(repr=False)   # the parameters at step 0 (see initial_params)
    batches: np.ndarray = field(repr=False)   # (steps_done, batch) int32 training-example indices
    diverged_at: int | None = None      # the step whose loss or parameters stopped being finite
    running: list | None = field(default=None, repr=False)   # BatchNorm [(mean, var)] per layer
    final: dict | None = field(default=None, repr=False)     # the parameters after the last step

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

    >>> t = Trainer(NetworkSpec(depth=2, width=8), TrainConfig(steps=20, batch=8))
    >>> t.run(5); t.step, t.done
    (5, False)
    >>> t.run(100); t.step, t.done
    (20, True)
    """

    def __init__(self, spec: NetworkSpec, config: TrainConfig = TrainConfig()):
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
        self.initial = copy_params(self.params)
        self.state = [np.zeros_like(p) for p in flat(self.params)]        # momentum / Adam m
        self.state2 = [np.zeros_like(p) for p in flat(self.params)]       # Adam v
        self.rng = np.random.default_rng([spec.seed, 2])                  # minibatch stream
        self.step = 0
        self.diverged_at: int | None = None
        self.batches = np.zeros((config.steps, config.batch), dtype=np.int32)
        self.losses = np.full(config.steps, np.nan)
        mean0, var0 = RUNNING_START
        self.running = ([(np.full(spec.width, mean0), np.full(spec.width, var0))
                         for _ in range(spec.depth)] if spec.norm == "batch" else None)
        self.evals: list[tuple[int, float, float]] = []
        self.records: list[dict] = []
        self.edges: np.ndarray | None = None
        self._evaluate()

    @property
    def done(self) -> bool:
        return self.step >= self.config.steps or self.diverged_at is not None

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
        self.batches[k] = idx
        record = (k + 1) % cfg.record_every == 0 or k == 0
        loss, grads, seen = self._loss_and_grads(self.data.train_x[idx], self.data.train_y[idx],
                                                 record)
        self.losses[k] = loss
        if not (math.isfinite(loss) and loss < LOSS_LIMIT) or not _all_finite(grads):
            self.diverged_at = k        # a parameter gone non-finite shows in the next loss
            return
        old = [w.copy() for w in self.params["weights"]] if record else None
        self._update(grads)
        self.step = k + 1
        if record:
            self.records.append(self._record(k, seen, grads, old))
        if self.step % cfg.eval_every == 0 or self.step == cfg.steps:
            self._evaluate()

    def _run_params(self, contexts, labels) -> Params:
        p = self.params
        has_norm = bool(p["gammas"])
        return Params(embed(p["embedding"], contexts), p["weights"], p["biases"], p["w_out"],
                      labels, p["gammas"] if has_norm else None, p["betas"] if has_norm else None)

    def _loss_and_grads(self, contexts, labels, record: bool = False):
        """(minibatch loss, gradients in `flat` order, per-layer tensors if `record`),
        from one forward_backward; BatchNorm's running statistics are updated on the way."""
        spec, depth = self.run_spec, self.spec.depth
        seen: dict = {"forward": [None] * depth} if record else {}
        last = {}
        grads_w, grads_b = [None] * depth, [None] * depth
        grads_g, grads_be = [None] * depth, [None] * depth

        def on_forward(t: LayerForward):
            if self.running is not None:
                mean, var = self.running[t.index]
                self.running[t.index] = (norms.update_running(mean, t.norm.mean.reshape(-1)),
                                         norms.update_running(var, norms.unbiased(t.norm)))
            if record:
                seen["forward"][t.index] = _layer_view(t)
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

    def _update(self, grads) -> None:
        cfg, t = self.config, self.step + 1
        for i, (p, g) in enumerate(zip(flat(self.params), grads)):
            if cfg.optimizer == "sgd":
                p -= cfg.lr * g
            elif cfg.optimizer == "momentum":           # torch.optim.SGD(momentum=0.9)
                buf = self.state[i]
                buf *= SGD_MOMENTUM
                buf += g
                p -= cfg.lr * buf
            else:                                       # torch.optim.Adam
                b1, b2 = ADAM_BETAS
                m, v = self.state[i], self.state2[i]
                m *= b1
                m += (1 - b1) * g
                v *= b2
                v += (1 - b2) * g * g
                m_hat = m / (1 - b1**t)
                v_hat = v / (1 - b2**t)
                p -= cfg.lr * m_hat / (np.sqrt(v_hat) + ADAM_EPS)

    # -- what is recorded -------------------------------------------------------------

    def _record(self, k: int, seen: dict, grads, old) -> dict:
        spec = self.spec
        layers = seen["forward"]
        if self.edges is None:
            self.edges = np.array([self._edges(v["act"]) for v in layers])
        depth = spec.depth
        row = dict(step=k, hist=np.zeros((depth, stats.BINS), dtype=np.float32))
        for name in ("saturated", "input_mean", "input_std", "preact_mean", "preact_std",
                     "seen_mean", "seen_std", "update_ratio", "grad_ratio"):
            row[name] = np.zeros(depth)
        for i, v in enumerate(layers):
            counts = stats.histogram(v["act"], self.edges[i])
            row["hist"][i] = counts / max(counts.sum(), 1)
            row["saturated"][i] = self._saturated(v)
            for name, arr in (("input", v["x"]), ("preact", v["h"]), ("seen", v["u"])):
                row[f"{name}_mean"][i] = float(arr.mean())
                row[f"{name}_std"][i] = float(arr.std())
            w_std = float(self.params["weights"][i].std())
            update = self.params["weights"][i] - old[i]
            row["update_ratio"][i] = _log10_ratio(float(update.std()), w_std)
            row["grad_ratio"][i] = _log10_ratio(float(grads[1 + i].std()), w_std)
        return row

    def _edges(self, act_values: np.ndarray) -> np.ndarray:
        """Histogram edges fixed for the whole run: a bounded activation's range, or
        +-4 times the layer's rms at step 0 (from just below 0 when the values are
        nearly all >= 0, as relu's are)."""
        if self.act.bounded is not None:
            return stats.fixed_edges(*self.act.bounded)
        rms = float(np.sqrt(np.mean(act_values**2)))
        span = 4 * rms if rms > 0 and math.isfinite(rms) else 1.0
        lo = -0.25 * span if np.mean(act_values < 0) < 0.05 else -span
        return stats.fixed_edges(lo, span)

    def _saturated(self, v: dict) -> float:
        act = self.act
        unit = act.to_unit(v["act"]) if act.bounded is not None else None
        frac, _, _ = stats.saturation(act, unit, v["u"], self.spec.saturation_threshold,
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

    def log(self) -> TrainLog:
        """A snapshot of the run so far (arrays copied: training may go on)."""
        n, recs = self.step, self.records
        stacked = {name: np.array([r[name] for r in recs]).reshape(len(recs), self.spec.depth)
                   for name in ("saturated", "input_mean", "input_std", "preact_mean",
                                "preact_std", "seen_mean", "seen_std", "update_ratio",
                                "grad_ratio")}
        losses = self.losses[:n + (self.diverged_at is not None)]
        ev = np.array(self.evals, dtype=float).reshape(-1, 3)
        return TrainLog(
            spec=self.spec, config=self.config, steps_done=n,
            loss=losses.copy(), eval_steps=ev[:, 0].astype(int), valid_loss=ev[:, 1].copy(),
            valid_loss_batch_stats=ev[:, 2].copy() if self.running is not None else None,
            record_steps=np.array([r["step"] for r in recs], dtype=int),
            act_hist=np.array([r["hist"] for r in recs], dtype=np.float32).reshape(
                len(recs), self.spec.depth, stats.BINS),
            hist_edges=(self.edges if self.edges is not None else
                        np.zeros((self.spec.depth, stats.BINS + 1))).copy(),
            initial=self.initial, batches=self.batches[:n].copy(),
            diverged_at=self.diverged_at,
            running=None if self.running is None else [(m.copy(), v.copy()) for m, v in self.running],
            final=copy_params(self.params), **stacked)


def valid_loss(log: TrainLog, batch_size: int | None = None, examples: int = 512) -> float:
    """The trained network's loss on the first `examples` validation examples: BatchNorm
    in eval mode (batch_size None: running statistics) or in train mode on consecutive
    batches of `batch_size` >= 2 (each normalized by its own statistics).

    >>> log = train(NetworkSpec(depth=2, width=8, norm="batch"), TrainConfig(steps=20, batch=8))
    >>> valid_loss(log, 2) > valid_loss(log, 256) > 0
    True
    """
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


def train(spec: NetworkSpec, config: TrainConfig = TrainConfig()) -> TrainLog:
    """Train `spec` for config.steps steps (fewer if it diverges) and return the log."""
    trainer = Trainer(spec, config)
    trainer.run(config.steps)
    return trainer.log()


# -- small helpers ------------------------------------------------------------------------

def _true(stored: np.ndarray, scale: float) -> np.ndarray:
    """A tensor in true units (inf where the log10 scale passes float64's range; float32
    runs carry no scale)."""
    return stored * 10.0**scale if scale else stored


def _layer_view(t: LayerForward) -> dict:
    """A layer's input, pre-activation, what the activation sees and its output, in true
    units (copies: the engine may rescale its arrays in place)."""
    return {"x": _true(t.x, t.x_scale).copy(), "h": _true(t.preact, t.preact_scale).copy(),
            "u": _true(t.u, t.u_scale).copy(), "act": _true(t.act, t.act_scale).copy()}


def _all_finite(arrays) -> bool:
    """Whether every value is finite (and their squares sum below float64's limit: a
    gradient that large has diverged anyway); one BLAS pass per array."""
    total = 0.0
    for a in arrays:
        flat_a = a.reshape(-1)
        total += float(np.dot(flat_a, flat_a))
    return math.isfinite(total)


def _log10_ratio(num: float, den: float) -> float:
    return math.log10(num / den) if num > 0 and den > 0 and math.isfinite(num / den) else math.nan

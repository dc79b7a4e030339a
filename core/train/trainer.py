"""The trainer: one step is a minibatch, one forward_backward, one optimizer update;
statistics are recorded and validation run at the config's intervals."""

from __future__ import annotations

import math

import numpy as np

from .. import data, norms
from ..norms import RUNNING_START
from ..propagate import LayerBackward, LayerForward, forward_backward
from ..spec import NetworkSpec
from . import optimizers
from .config import TrainConfig, check_trainable, train_spec
from .evaluate import batch_mode_losses, run_params, validation_losses
from .log import BatchModeLosses, TrainLog
from .params import copy_params, embed_grad, flat, initial_params
from ..scaled import true_units
from .recorder import Recorder

LOSS_LIMIT = 1e6                    # a loss past this (or inf/NaN) has diverged


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
        self.data = data.load(config.split_seed)
        nv = min(config.valid_examples, len(self.data.valid_y))
        self.valid = (self.data.valid_x[:nv], self.data.valid_y[:nv])
        self.params = initial_params(spec)
        self.initial = copy_params(self.params) if replay else None
        self.batches = np.zeros((config.steps, config.batch), dtype=np.int32) if replay else None
        self.optimizer = optimizers.make(config.optimizer, flat(self.params), config.lr)
        self.rng = np.random.default_rng([spec.seed, 2])                  # minibatch stream
        self.step = 0
        self.failed_at: int | None = None
        self.last_batch: np.ndarray | None = None       # the examples of the step last tried
        self.losses = np.full(config.steps, np.nan)
        mean0, var0 = RUNNING_START
        self.running = ([(np.full(spec.width, mean0), np.full(spec.width, var0))
                         for _ in range(spec.depth)] if spec.norm == "batch" else None)
        self.evals: list[tuple[int, float, float]] = []
        self.recorder = Recorder(spec)
        self._batch_mode: tuple[int, BatchModeLosses] | None = None
        self._evaluate()

    @property
    def state(self) -> list[list[np.ndarray]]:
        """The optimizer's state: none for SGD, momentum's buffer, Adam's m and v."""
        return self.optimizer.state

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
            depth = self.spec.depth
            self.recorder.row(k, seen, self.params["weights"], grads[1:1 + depth], updates)
        if self.step % cfg.eval_every == 0 or self.step == cfg.steps:
            self._evaluate()

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
                seen[t.index] = self.recorder.layer(t)
            if t.index == depth - 1:
                last["out"] = true_units(t.out, t.out_scale).reshape(-1, spec.width)

        def on_backward(t: LayerBackward):
            i = t.index
            grads_w[i] = true_units(t.grad_weight, t.grad_weight_scale)
            grads_b[i] = true_units(t.grad_preact.sum(axis=(0, 1)), t.grad_preact_scale)
            if t.grad_gamma is not None:
                grads_g[i] = true_units(t.grad_gamma, t.grad_affine_scale)
                grads_be[i] = true_units(t.grad_beta, t.grad_affine_scale)

        params = run_params(self.params, contexts, labels)
        out = forward_backward(spec, params, on_forward, on_backward)
        g_x0 = true_units(out.grad_input, out.grad_input_scale)[:, 0, :]
        g_emb = embed_grad(g_x0, contexts, self.params["embedding"].shape)
        g_out = last["out"].T @ out.grad_logits
        has_norm = bool(self.params["gammas"])
        grads = ([g_emb] + grads_w + grads_b + (grads_g + grads_be if has_norm else [])
                 + [g_out])
        return out.loss, grads, seen

    def _update(self, grads, record: bool) -> list[float]:
        """One optimizer step in place; with `record`, the std of the step applied to each
        hidden weight matrix (what the update:data ratio divides)."""
        t = self.step + 1
        weight_ids = range(1, 1 + self.spec.depth)
        update_std = []
        for i, (p, g) in enumerate(zip(flat(self.params), grads)):
            delta = self.optimizer.delta(i, g, t)
            p -= delta
            if record and i in weight_ids:
                update_std.append(float(delta.std()))
        return update_std

    def _evaluate(self) -> None:
        """Validation loss now: eval mode (running statistics) and, with BatchNorm, the
        validation examples as one batch (train mode's statistics)."""
        self.evals.append((self.step, *validation_losses(self.run_spec, self.params,
                                                         *self.valid, self.running)))

    # -- reading it out ---------------------------------------------------------------

    def log(self, params: bool = False) -> TrainLog:
        """A snapshot of the run so far (arrays copied: training may go on); with
        `params`, the parameters and BatchNorm's running statistics too (copies)."""
        n = self.step
        ev = np.array(self.evals, dtype=float).reshape(-1, 3)
        return TrainLog(
            spec=self.spec, config=self.config, steps_done=n,
            loss=self.losses[:n + (self.failed_at is not None)].copy(),
            eval_steps=ev[:, 0].astype(int), valid_loss=ev[:, 1].copy(),
            valid_loss_batch_stats=ev[:, 2].copy() if self.running is not None else None,
            failed_at=self.failed_at, initial=self.initial,
            batches=None if self.batches is None else self.batches[:n].copy(),
            running=self._running_copy() if params else None,
            final=copy_params(self.params) if params else None, **self.recorder.arrays())

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


def train(spec: NetworkSpec, config: TrainConfig = TrainConfig(), replay: bool = False) -> TrainLog:
    """Train `spec` for config.steps steps (fewer if it diverges) and return the log,
    with the final parameters (and, with `replay`, the initial ones and every batch)."""
    trainer = Trainer(spec, config, replay=replay)
    trainer.run(config.steps)
    return trainer.log(params=True)


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

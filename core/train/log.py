"""What a run leaves: `TrainLog` (losses, validation losses, per-layer statistics,
histograms, its `Status`) and BatchNorm's losses by batch size."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

import numpy as np

from .. import data
from ..spec import NetworkSpec
from .config import TrainConfig

LAYER_STATS = ("saturated", "input_mean", "input_std", "preact_mean", "preact_std",
               "seen_mean", "seen_std")           # taken as each layer passes forward
STAT_NAMES = LAYER_STATS + ("update_ratio", "grad_ratio")   # and after the update


class Status(enum.Enum):
    """Where a run is: exactly one of these at any time (TrainLog.status)."""
    WAITING = "waiting"             # no step tried yet
    TRAINING = "training"           # some steps taken, more to come
    FINISHED = "finished"           # every step taken
    DIVERGED = "diverged"           # a step after the first gave a non-finite loss or gradient
    CANNOT_START = "cannot_start"   # the first step did: the untrained network cannot train


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

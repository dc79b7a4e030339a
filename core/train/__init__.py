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
defaults, `optimizers`) update the embedding, every weight and bias, the norms'
per-channel gamma and beta (as PyTorch trains them) and W_out. The readout has no
bias. BatchNorm keeps PyTorch's running statistics (momentum 0.1, unbiased variance),
which validation in eval mode uses.

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

The modules, each importable alone and all re-exported here:

| module       | what                                                                  |
|--------------|-----------------------------------------------------------------------|
| config       | `TrainConfig` and its checks; the spec of a step; what cannot train   |
| params       | the parameters' layout and values at step 0; the embedding            |
| optimizers   | SGD, momentum, Adam: PyTorch's update rules, one class each           |
| recorder     | the per-layer statistics and histograms a run keeps                   |
| evaluate     | validation losses, eval and train mode, by batch size                 |
| log          | `TrainLog`, `Status`                                                  |
| trainer      | `Trainer` (one step: minibatch, forward_backward, update) and `train` |
| budget       | fitting a request to the task and to given limits; its cost estimates |
"""

from .budget import (LAYER_MACS, MEMORY_MARGIN, MIN_BUDGET_WIDTH, activation_bytes, fit_budget,
                     fit_request, fit_runs, macs_per_step, memory_bytes, narrower,
                     record_every_for, records_for, summary_bytes, train_macs)
from .config import (CONFIG_RANGES, DTYPES, INT_FIELDS, TrainConfig, check_trainable,
                     train_spec)
from .evaluate import BATCH_MODE_EXAMPLES, BATCH_MODE_SIZES, batch_mode_losses, valid_loss
from .log import LAYER_STATS, STAT_NAMES, BatchModeLosses, Status, TrainLog
from .optimizers import (ADAM_BETAS, ADAM_EPS, OPTIMIZER_BUFFERS, OPTIMIZERS, SGD_MOMENTUM,
                         Adam, Momentum, Optimizer, SGD)
from .params import PARAM_GROUPS, copy_params, embed, embed_grad, flat, initial_params, param_count
from .recorder import HIST_LAYERS, Recorder
from .trainer import LOSS_LIMIT, Trainer, all_finite, train

__all__ = [
    "LAYER_MACS", "MEMORY_MARGIN", "MIN_BUDGET_WIDTH", "activation_bytes", "fit_budget",
    "fit_request", "fit_runs", "macs_per_step", "memory_bytes", "narrower", "record_every_for",
    "records_for", "summary_bytes", "train_macs",
    "CONFIG_RANGES", "DTYPES", "INT_FIELDS", "TrainConfig", "check_trainable", "train_spec",
    "BATCH_MODE_EXAMPLES", "BATCH_MODE_SIZES", "batch_mode_losses", "valid_loss",
    "LAYER_STATS", "STAT_NAMES", "BatchModeLosses", "Status", "TrainLog",
    "ADAM_BETAS", "ADAM_EPS", "OPTIMIZER_BUFFERS", "OPTIMIZERS", "SGD_MOMENTUM", "Adam",
    "Momentum", "Optimizer", "SGD",
    "PARAM_GROUPS", "copy_params", "embed", "embed_grad", "flat", "initial_params",
    "param_count",
    "HIST_LAYERS", "Recorder",
    "LOSS_LIMIT", "Trainer", "all_finite", "train",
]

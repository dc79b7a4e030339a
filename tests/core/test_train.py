"""The trainer against an independent re-derivation (tests/core/train_reference.py:
plain NumPy forward, finite-difference gradients, hand-written optimizer steps), the
makemore facts it must reproduce, and hostile settings."""

import math

import numpy as np
import pytest

from core import data
from core.spec import NetworkSpec
from core.train import (Status, TrainConfig, Trainer, all_finite, check_trainable,
                        initial_params, train)

from . import train_reference as ref

NETS = {
    "tanh": (NetworkSpec(depth=2, width=4, weight_var=0.3, bias_var=0.1), {}),
    "tanh, BatchNorm before": (
        NetworkSpec(depth=2, width=4, weight_var=0.3, bias_var=0.1, norm="batch",
                    norm_gamma=1.3, norm_beta=0.2),
        dict(kind="batch")),
    "relu, LayerNorm after, residual": (
        NetworkSpec(depth=2, width=4, activation="relu", weight_var=0.5, norm="layer",
                    norm_position="after", residual=True, residual_scale=0.5),
        dict(activation="relu", kind="layer", position="after", residual=True, alpha=0.5)),
}


def _net_kwargs(spec, extra):
    return dict(activation=spec.activation) | extra


@pytest.mark.parametrize("name", NETS)
def test_loss_and_gradients_match_finite_differences(name):
    """Every parameter's gradient (embedding, W, b, gamma, beta, W_out) from the engine's
    backward pass equals the central difference of an independent forward pass."""
    spec, extra = NETS[name]
    trainer = Trainer(spec, TrainConfig(steps=1, batch=6, dtype="float64"))
    ctx, labels = trainer.data.train_x[:6], trainer.data.train_y[:6]
    loss, grads, _ = trainer._loss_and_grads(ctx, labels)
    net = _net_kwargs(spec, extra)
    assert loss == pytest.approx(ref.loss(initial_params(spec), ctx, labels, **net), rel=1e-12)
    numeric = ref.numeric_grads(initial_params(spec), ctx, labels, **net)
    assert len(grads) == len(numeric)
    for g, n in zip(grads, numeric):
        np.testing.assert_allclose(g, n, atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_replay_from_initial_parameters_and_batches(optimizer):
    """A replay elsewhere: the log's initial parameters and minibatch indices, pushed
    through the reference's forward, finite differences and hand-written update rule,
    give the same losses and the same final parameters. (Not the BatchNorm-before net:
    there the biases' gradient is exactly 0, and Adam would scale rounding noise up.)"""
    spec, extra = NETS["relu, LayerNorm after, residual"]
    cfg = TrainConfig(steps=3, batch=5, lr=0.05, optimizer=optimizer, dtype="float64")
    log = train(spec, cfg, replay=True)
    ds = data.load(cfg.split_seed)
    params, state = {k: [a.copy() for a in v] if isinstance(v, list) else v.copy()
                     for k, v in log.initial.items()}, {}
    net = _net_kwargs(spec, extra)
    for t, idx in enumerate(log.batches, start=1):
        ctx, labels = ds.train_x[idx], ds.train_y[idx]
        assert log.loss[t - 1] == pytest.approx(ref.loss(params, ctx, labels, **net), rel=1e-9)
        ref.step(params, ref.numeric_grads(params, ctx, labels, **net), cfg.lr, optimizer,
                 state, t)
    for mine, theirs in zip(ref.arrays(log.final), ref.arrays(params)):
        np.testing.assert_allclose(mine, theirs, atol=1e-8)


def test_batchnorm_running_statistics_follow_pytorch():
    """running = 0.9 running + 0.1 batch statistic (unbiased variance), from mean 0 and
    variance 1, recomputed here from each step's own pre-activations."""
    spec, _ = NETS["tanh, BatchNorm before"]
    log = train(spec, TrainConfig(steps=2, batch=5, lr=0.05, dtype="float64"), replay=True)
    ds = data.load(0)
    mean, var = np.zeros(spec.width), np.ones(spec.width)
    params = log.initial
    x = sum(params["embedding"][p, ds.train_x[log.batches[0]][:, p]] for p in range(3))
    h = x @ params["weights"][0] + params["biases"][0]
    mean = 0.9 * mean + 0.1 * h.mean(axis=0)
    var = 0.9 * var + 0.1 * h.var(axis=0, ddof=1)
    # only the first step can be recomputed from the initial parameters: check layer 1
    # of a one-step run
    one = train(spec, TrainConfig(steps=1, batch=5, lr=0.05, dtype="float64"))
    np.testing.assert_allclose(one.running[0][0], mean, rtol=1e-12)
    np.testing.assert_allclose(one.running[0][1], var, rtol=1e-12)
    assert log.valid_loss_batch_stats is not None


def test_float32_training_follows_float64():
    """The page trains in float32, as PyTorch does by default: the same run in float64
    stays within float32's rounding over a hundred steps."""
    spec = NetworkSpec(depth=4, width=32, readout_scale=0.01, norm="batch")
    lo = train(spec, TrainConfig(steps=100, dtype="float32"), replay=True)
    hi = train(spec, TrainConfig(steps=100, dtype="float64"), replay=True)
    np.testing.assert_allclose(lo.loss, hi.loss, rtol=1e-3)
    np.testing.assert_array_equal(lo.batches, hi.batches)


def test_confidently_wrong_and_fixed_readout():
    """Karpathy's numbers: a 27-way classifier that knows nothing starts at -ln(1/27) =
    3.2958; the readout scaled by 0.01 starts there; a full-size readout on saturated
    tanh layers starts several times higher (his 27)."""
    assert math.log(27) == pytest.approx(3.2958, abs=1e-4)
    fixed = train(NetworkSpec(depth=5, weight_var=0.1, readout_scale=0.01), TrainConfig(steps=1))
    wrong = train(NetworkSpec(depth=5, weight_var=0.1), TrainConfig(steps=1))
    assert fixed.initial_loss == pytest.approx(3.2958, abs=0.02)
    assert wrong.initial_loss > 4 * 3.2958
    assert fixed.uniform_loss == pytest.approx(3.2958, abs=1e-4)


def test_training_learns_and_is_deterministic():
    spec = NetworkSpec(depth=3, width=32, readout_scale=0.01)
    cfg = TrainConfig(steps=300, batch=32, lr=0.1)
    a, b = train(spec, cfg, replay=True), train(spec, cfg, replay=True)
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.batches, b.batches)
    assert a.valid_loss[-1] < a.valid_loss[0] - 0.5          # it learns something real
    assert a.record_steps[0] == 0 and len(a.record_steps) == a.update_ratio.shape[0]


def test_update_ratio_is_the_applied_step_over_the_weights():
    """For plain SGD the recorded update:data ratio is log10(std(lr * dL/dW) / std(W))
    and the grad:data ratio log10(std(dL/dW) / std(W)): they differ by log10(lr)."""
    log = train(NetworkSpec(depth=3, width=16), TrainConfig(steps=40, lr=0.05, record_every=10))
    np.testing.assert_allclose(log.update_ratio - log.grad_ratio, math.log10(0.05), atol=0.02)


def test_hostile_settings_stop_cleanly():
    """Learning rate 10 diverges (or not) without a single NaN among the recorded losses
    before the step that failed; BatchNorm at batch 1 and InstanceNorm are refused with
    a reason."""
    log = train(NetworkSpec(depth=5, weight_var=1.0), TrainConfig(steps=300, lr=10.0))
    end = log.steps_done
    assert np.isfinite(log.loss[:end]).all()
    assert "two examples" in check_trainable(NetworkSpec(norm="batch"), 1)
    assert check_trainable(NetworkSpec(norm="instance", spatial=4), 32)
    with pytest.raises(ValueError):
        Trainer(NetworkSpec(norm="batch"), TrainConfig(batch=1))
    with pytest.raises(ValueError):
        TrainConfig(lr=float("nan"))


def test_exploding_network_cannot_start():
    """Linear layers with Var(W) = 1 at width 100: logits near 10^15, a loss past
    LOSS_LIMIT before any step: the first step fails, none is taken."""
    log = train(NetworkSpec(depth=30, activation="linear", weight_var=1.0), TrainConfig(steps=5))
    assert log.failed_at == 0 and log.steps_done == 0
    assert log.status is Status.CANNOT_START


def test_split_is_fixed_by_seed_and_names_never_shared():
    a, b = data.load(0), data.load(0)
    assert a is b or np.array_equal(a.train_y, b.train_y)
    assert not np.array_equal(data.load(1).train_y[:50], a.train_y[:50])
    names = data.names()
    assert len(names) == len(set(names)) > 5000
    assert set("".join(names)) <= set(data.VOCAB[1:])
    # examples per name = letters + 1 (the end token): the split partitions the names
    total = sum(len(n) + 1 for n in names)
    assert len(a.train_y) + len(a.valid_y) == total


@pytest.mark.parametrize("field, value", [
    ("steps", 10.5), ("steps", True), ("batch", 2.0), ("batch", 0), ("batch", False),
    ("eval_every", "100"), ("record_every", None), ("valid_examples", 1), ("split_seed", -1),
    ("lr", float("inf")), ("lr", True), ("lr", "0.1"), ("lr", 0.0), ("optimizer", ["sgd"]),
    ("optimizer", np.array(["sgd", "adam"])), ("dtype", "float16")])
def test_config_fields_of_the_wrong_type_or_range_are_refused_by_name(field, value):
    """Whole numbers must be ints (not floats, not bools), lr a finite number in range,
    the choices strings from their lists: each refused with a ValueError naming the
    field, before a Trainer could fail on it."""
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: value})


def test_config_takes_numpy_and_int_values_as_plain_numbers():
    cfg = TrainConfig(steps=np.int64(3), batch=np.int32(4), lr=1)
    assert (type(cfg.steps), type(cfg.batch), type(cfg.lr)) == (int, int, float)
    assert cfg == TrainConfig(steps=3, batch=4, lr=1.0)
    assert train(NetworkSpec(depth=2, width=8), cfg).steps_done == 3


def test_gradients_near_1e25_in_float32_are_finite():
    """A float32 gradient of 1e25 is finite (its square, 1e50, is not a float32): the
    check reads values, it squares nothing."""
    big = np.full((64, 64), 1.9e26, dtype=np.float32)
    assert all_finite([big, np.ones(3, dtype=np.float32)])
    assert not all_finite([big, np.array([1.0, np.inf], dtype=np.float32)])
    assert not all_finite([np.array([np.nan, 1.0], dtype=np.float32)])
    assert all_finite([np.zeros(0, dtype=np.float32)])


def test_a_run_with_huge_finite_gradients_is_not_called_diverged():
    """ReLU with BatchNorm at batch 2: at some step the gradients reach about 1e25 while
    the loss is near 2.5 and every value is finite. No divergence is reported unless
    the failing step's loss or a gradient really is not finite (rechecked in float64)."""
    spec = NetworkSpec(activation="relu", norm="batch", weight_var=1.0)
    trainer = Trainer(spec, TrainConfig(batch=2, lr=0.1, steps=50))
    largest, measure = [0.0], trainer._loss_and_grads

    def spy(*args, **kwargs):
        loss, grads, seen = measure(*args, **kwargs)
        largest[0] = max([largest[0]] + [float(np.abs(g.astype(np.float64)).max()) for g in grads])
        return loss, grads, seen
    trainer._loss_and_grads = spy
    while not trainer.done:
        k = trainer.step
        trainer.run(1)
        if trainer.failed_at is None:
            continue
        idx = trainer.last_batch
        loss, grads, _ = trainer._loss_and_grads(trainer.data.train_x[idx],
                                                 trainer.data.train_y[idx])
        assert trainer.failed_at == k
        assert not (math.isfinite(loss) and loss < 1e6) or not all(
            np.isfinite(g.astype(np.float64)).all() for g in grads)
    log = trainer.log()
    assert largest[0] > 1e20                    # squared in float32, these overflow
    assert log.failed_at is None and log.steps_done == 50
    assert np.isfinite(log.loss).all()

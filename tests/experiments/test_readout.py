"""core.readout: the initial loss at every readout scale from one forward pass, against
full simulations at each scale, FACTS.md's log(27), and a by-hand softmax."""

import math

import numpy as np
import pytest

from core import NetworkSpec, simulate
from core.experiments import readout

SMALL = dict(depth=4, width=24, batch=48)



@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
@pytest.mark.parametrize("norm", ["none", "batch"])
def test_sweep_equals_full_runs_at_every_scale(activation, norm):
    spec = NetworkSpec(**SMALL, activation=activation, norm=norm, weight_var=2 / 24)
    scales = (0.001, 0.1, 1.0, 7.0, 300.0)
    sweep = readout.readout_sweep(spec, scales)
    for s, loss in zip(scales, sweep.loss):
        assert loss == pytest.approx(simulate(spec.replace(readout_scale=s)).loss, rel=1e-10)


def test_knows_nothing_is_log_27():
    sweep = readout.readout_sweep(NetworkSpec(**SMALL), (1e-6,))
    assert sweep.loss_uniform == pytest.approx(3.2958, abs=1e-4)    # FACTS.md
    assert sweep.loss[0] == pytest.approx(math.log(27), abs=1e-4)


def test_exact_beyond_float64():
    spec = NetworkSpec(depth=200, width=100, batch=16, activation="linear", weight_var=1.0)
    sweep = readout.readout_sweep(spec, (1.0, 1e-3))
    ref = simulate(spec)
    assert sweep.log10_loss[0] == pytest.approx(ref.log10_loss, abs=1e-9)
    assert sweep.log10_loss[1] == pytest.approx(ref.log10_loss - 3, abs=1e-9)
    assert sweep.loss[0] > 1e100
    assert sweep.example_loss(0, 1.0) > 1e100


def test_probabilities_by_hand():
    spec = NetworkSpec(**SMALL, readout_scale=3.0)
    res = simulate(spec, keep_tensors=True)
    t = res.tensors
    x_last = t["out"][-1] * 10.0 ** t["out_log10_scale"][-1]
    logits = x_last.mean(axis=1) @ (t["w_out"] * 3.0)
    sweep = readout.readout_sweep(spec, (3.0,))
    for ex in (0, 5):
        z = logits[ex] - logits[ex].max()
        p = np.exp(z) / np.exp(z).sum()
        assert sweep.probs(ex, 3.0) == pytest.approx(p, rel=1e-9, abs=1e-15)
        label = int(t["labels"][ex])
        assert sweep.example_loss(ex, 3.0) == pytest.approx(-math.log(p[label]), rel=1e-9)
    assert sweep.probs(0, 3.0).sum() == pytest.approx(1.0)


def test_overflowed_run_gives_nan_not_a_number_to_draw():
    spec = NetworkSpec(depth=20, width=100, batch=16, activation="linear", weight_var=0.1,
                       dtype="float16")
    sweep = readout.readout_sweep(spec, (1.0, 0.01))
    assert all(math.isnan(v) for v in sweep.loss)


def test_first_scale_above():
    sweep = readout.readout_sweep(NetworkSpec(**SMALL), readout.SWEEP_SCALES)
    s = sweep.first_scale_above(27.0)
    assert s is not None and sweep.loss[list(sweep.scales).index(s)] >= 27.0
    assert all(v < 27.0 for v in sweep.loss[sweep.scales < s])
    assert sweep.first_scale_above(1e9) is None

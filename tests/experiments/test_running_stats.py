"""core.running_stats: BatchNorm's eval mode after k training batches, against an
independent re-derivation with tests.core.reference.batch_running_stats / normalize_eval, against
the main simulation in train mode, and against PyTorch's conventions (FACTS.md)."""

import math

import numpy as np
import pytest

from core import NetworkSpec, activations, make_params, norms, simulate
from core.experiments import running_stats
from ui import capacity
from tests.core import reference

SPEC = NetworkSpec(depth=4, width=16, batch=32, weight_var=1.0, norm="batch")



def plain_bn_forward(spec, params, x, stats=None):
    """BatchNorm-before-activation network written out again, layer by layer; returns
    the BN inputs and the layer outputs."""
    act = activations.get(spec.activation)
    inputs, outs = [], []
    for i, (w, b) in enumerate(zip(params.weights, params.biases)):
        h = x @ w + b
        inputs.append(h)
        if stats is None:
            u = (h - h.mean(axis=(0, 1))) / np.sqrt(h.var(axis=(0, 1)) + norms.EPS)
        else:
            u = reference.normalize_eval(h, *stats[i])
        x = act.fn(spec.norm_gamma * u + spec.norm_beta)
        outs.append(x)
    return inputs, outs


@pytest.mark.parametrize("k", [1, 3, 12])
def test_running_statistics_re_derived(k):
    params = make_params(SPEC)
    rng = np.random.default_rng(5)
    batches = [rng.normal(size=params.x0.shape) for _ in range(k)]
    got = running_stats.train_eval(SPEC, k, params=params, batches=batches)
    per_layer = [[] for _ in range(SPEC.depth)]
    for x in batches:
        for i, h in enumerate(plain_bn_forward(SPEC, params, x)[0]):
            per_layer[i].append(h)
    stats = [reference.batch_running_stats(seq) for seq in per_layer]
    for i, (mean, var) in enumerate(stats):
        assert got.running_mean[i] == pytest.approx(mean, rel=1e-10, abs=1e-12)
        assert got.running_var[i] == pytest.approx(var, rel=1e-10)
    _, train = plain_bn_forward(SPEC, params, params.x0)
    _, evals = plain_bn_forward(SPEC, params, params.x0, stats)
    for i in range(SPEC.depth):
        expect = np.linalg.norm(evals[i] - train[i]) / np.linalg.norm(train[i])
        assert got.mismatch[i] == pytest.approx(expect, rel=1e-9)
        assert got.eval_log10_act_var[i] == pytest.approx(math.log10(evals[i].var()), abs=1e-10)


def test_one_batch_follows_pytorchs_update():
    """running_var = 0.9 * 1 + 0.1 * unbiased var; running_mean = 0.1 * mean."""
    params = make_params(SPEC)
    x = np.random.default_rng(2).normal(size=params.x0.shape)
    got = running_stats.train_eval(SPEC, 1, params=params, batches=[x])
    h = (x @ params.weights[0] + params.biases[0]).reshape(-1, SPEC.width)
    assert got.running_mean[0] == pytest.approx(0.1 * h.mean(axis=0))
    assert got.running_var[0] == pytest.approx(0.9 + 0.1 * h.var(axis=0, ddof=1))


def test_unbiased_variance_is_the_only_difference_on_the_same_batch():
    """momentum 1 on the eval batch itself: eval divides by the unbiased variance, train by
    the biased one, so a linear layer's output differs by sqrt(n / (n - 1)) exactly."""
    spec = NetworkSpec(depth=1, width=16, batch=32, activation="linear", norm="batch")
    params = make_params(spec)
    got = running_stats.train_eval(spec, 1, momentum=1.0, params=params, batches=[params.x0])
    n = 32
    assert got.mismatch[0] == pytest.approx(1 - math.sqrt((n - 1) / n), rel=1e-3)


@pytest.mark.parametrize("kw", [dict(), dict(norm_position="after"), dict(residual=True),
                                dict(activation="relu", bias_var=0.1, spatial=2)])
def test_train_mode_is_the_simulation(kw):
    spec = SPEC.replace(**kw)
    got = running_stats.train_eval(spec, 2)
    ref = simulate(spec)
    assert got.train_log10_act_var == pytest.approx(ref.log10_act_var, abs=1e-9)
    assert got.train_loss == pytest.approx(ref.loss, rel=1e-9)


def test_more_batches_less_mismatch_and_any_norm_becomes_batch():
    spec = SPEC.replace(norm="layer")
    few, many = running_stats.train_eval(spec, 1), running_stats.train_eval(spec, 100)
    assert few.spec.norm == many.spec.norm == "batch"
    assert many.mismatch[-1] < few.mismatch[-1] / 2
    assert abs(many.log10_running_var[0] - many.log10_batch_var[0]) < \
        abs(few.log10_running_var[0] - few.log10_batch_var[0])


def test_within_budget_notes_the_shrink():
    big = NetworkSpec(depth=50, width=1024, batch=64, norm="batch")
    got = running_stats.train_eval_within_budget(big, 10, limits=capacity.FORWARD_VIEW)
    assert got.spec.width < 1024
    assert [(f.field, f.asked, f.used) for f in got.shrunk] == [("width", 1024, got.spec.width)]
    assert np.isfinite(got.mismatch).all()


def test_start_weight():
    assert running_stats.train_eval(SPEC, 10).start_weight == pytest.approx(0.9**10)

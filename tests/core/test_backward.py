"""The whole backward pass against central finite differences of the loss, in float64,
for every activation x normalization x position x residual combination."""

import copy
import itertools

import numpy as np
import pytest

from core import ACTIVATIONS, NetworkSpec, make_params, simulate
from core.propagate import forward_backward

NORM_CASES = [("none", "before")] + [(n, p) for n in ("batch", "layer", "group", "instance", "rms")
                                     for p in ("before", "after")]
CASES = [(a, n, p, r) for a in sorted(ACTIVATIONS) for (n, p) in NORM_CASES for r in (False, True)]
STEP = 1e-6
EPS64 = np.finfo(np.float64).eps


def make_spec(activation, norm, position, residual):
    i = CASES.index((activation, norm, position, residual))
    affine = i % 2 == 1                    # half the cases with gamma != 1 and beta != 0
    return NetworkSpec(
        depth=3, width=6, batch=5,
        spatial=3 if norm in ("instance", "group") or i % 3 == 0 else 1,
        activation=activation, init="custom", weight_var=1.5 / 6, bias_var=0.1,
        norm=norm, norm_position=position, groups=2,
        norm_gamma=1.3 if affine else 1.0, norm_beta=0.2 if affine else 0.0,
        residual=residual, residual_scale=0.7, classes=4, seed=100 + i)


def loss_and_pattern(spec, params):
    """The loss, and the sign pattern of every activation input (to spot kinks crossed)."""
    signs = []
    out = forward_backward(spec, params, on_forward=lambda t: signs.append(np.sign(t.u)))
    return out.loss, np.concatenate([s.ravel() for s in signs])


def central_difference(spec, params, base, where, index):
    """d loss / d params.<where>[index] by central differences, or None when the step
    crosses a kink of the activation (relu-like at 0), where the difference is invalid
    (`base` is the unperturbed network's sign pattern)."""
    values = []
    for sign in (1, -1):
        p = copy.deepcopy(params)
        target = p.x0 if where == "x0" else p.weights[where]
        target[index] += sign * STEP
        loss, pattern = loss_and_pattern(spec, p)
        if not np.array_equal(pattern, base):
            return None
        values.append(loss)
    return (values[0] - values[1]) / (2 * STEP)


def true(stored, scale):
    return stored * 10.0**scale


@pytest.mark.parametrize("activation,norm,position,residual", CASES)
def test_gradients_match_central_differences(activation, norm, position, residual):
    spec = make_spec(activation, norm, position, residual)
    res = simulate(spec, keep_tensors=True)
    t = res.tensors
    params = make_params(spec)
    # the kept inputs are the ones the run used
    np.testing.assert_array_equal(t["x0"], params.x0)
    for w_kept, w in zip(t["weights"], params.weights):
        np.testing.assert_array_equal(w_kept, w)
    rng = np.random.default_rng(0)
    loss = res.loss
    # rounding of a central difference: a few ulps of the loss over the step
    atol = 50 * EPS64 * max(1.0, abs(loss)) / STEP
    checked, largest = 0, 0.0
    targets = [(layer, tuple(rng.integers(0, spec.width, 2))) for layer in range(spec.depth)
               for _ in range(4)]
    targets += [("x0", (int(rng.integers(spec.batch)), int(rng.integers(spec.spatial)),
                        int(rng.integers(spec.width)))) for _ in range(4)]
    _, base = loss_and_pattern(spec, params)
    for where, index in targets:
        fd = central_difference(spec, params, base, where, index)
        if fd is None:
            continue
        if where == "x0":
            an = true(*t["grad_input"])[index]
        else:
            an = true(t["grad_weight"][where], t["grad_weight_log10_scale"][where])[index]
        assert abs(an - fd) <= 1e-6 * abs(fd) + atol, (where, index, an, fd)
        checked += 1
        largest = max(largest, abs(fd))
    assert checked >= 12                       # kinks are rare: most entries are checked
    # InstanceNorm as the last operation (after the activation, or before a linear one)
    # gives every channel zero mean over positions, and the readout averages positions:
    # the logits are then constant and every gradient is exactly zero, as in PyTorch.
    constant_logits = (norm == "instance" and not residual
                       and (position == "after" or activation == "linear"))
    if constant_logits:
        assert largest <= atol
        assert np.all(np.abs(true(*t["grad_input"])) < 1e-12)
    else:
        assert largest > 100 * atol            # the gradients are not all negligible


def test_loss_reported_by_simulate_is_the_forward_loss():
    spec = make_spec("tanh", "layer", "before", True)
    res = simulate(spec, keep_tensors=True)
    params = make_params(spec)
    assert res.loss == forward_backward(spec, params).loss


@pytest.mark.parametrize("activation", ["tanh", "relu", "gelu"])
def test_grad_preact_is_consistent_with_grad_weight(activation):
    """dL/dW_l = x_l^T dL/dh_l over all examples and positions, from the kept tensors."""
    spec = NetworkSpec(depth=4, width=8, batch=6, spatial=2, activation=activation,
                       weight_var=0.2, bias_var=0.05, norm="layer", seed=3)
    t = simulate(spec, keep_tensors=True).tensors
    x = t["x0"]
    for layer in range(spec.depth):
        g = true(t["grad_preact"][layer], t["grad_preact_log10_scale"][layer])
        gw = true(t["grad_weight"][layer], t["grad_weight_log10_scale"][layer])
        want = np.zeros((spec.width, spec.width))
        for b, p in itertools.product(range(spec.batch), range(spec.spatial)):
            want += np.outer(x[b, p], g[b, p])
        np.testing.assert_allclose(gw, want, rtol=1e-12, atol=1e-14)
        x = true(t["out"][layer], t["out_log10_scale"][layer])

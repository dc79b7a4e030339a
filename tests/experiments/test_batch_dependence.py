"""core.batch_dependence: BatchNorm makes an example depend on its batchmates, less so at
larger batches; LayerNorm and GroupNorm do not, at any batch."""


import numpy as np
import pytest

from core import NetworkSpec, make_params
from core.experiments import batch_dependence
from core.propagate import forward_backward
from ui import capacity

SPEC = NetworkSpec(depth=5, width=32, batch=16, weight_var=1.0)



def test_layer_and_group_norm_ignore_the_batch():
    dep = batch_dependence.batch_dependence(SPEC)
    runs = {(r.norm, r.batch): r for r in dep.runs}
    assert list(runs) == [("batch", 2), ("batch", 8), ("batch", 32), ("batch", 256),
                          ("layer", 8), ("group", 8)]
    for name in (("layer", 8), ("group", 8)):
        assert runs[name].sensitivity.max() < 1e-12
    bn = [runs["batch", b].sensitivity for b in (2, 8, 32, 256)]
    assert all(s.min() > 0.01 for s in bn)
    assert bn[0][0] > bn[1][0] > bn[2][0] > bn[3][0]             # layer 1: falls with the batch


def test_same_batchmates_no_change():
    pool = np.repeat(batch_dependence._inputs(SPEC, 8)[:4], 2, axis=0)    # x0 x0 x1 x1 ...
    pool[4:7] = pool[1:4]                                                # batch B = batch A
    run = batch_dependence.batchmate_sensitivity(SPEC, "batch", 4, pool=pool)
    assert run.sensitivity.max() < 1e-12


def test_activation_moments_are_the_forward_pass():
    params = make_params(SPEC)
    pool = batch_dependence._inputs(SPEC, 16)
    run = batch_dependence.batchmate_sensitivity(SPEC, "layer", 8, params=params, pool=pool)
    acts = []
    spec8 = SPEC.replace(norm="layer", batch=8)
    p8 = type(params)(pool[:8], params.weights, params.biases, params.w_out,
                      np.zeros(8, dtype=np.int64))
    forward_backward(spec8, p8, lambda t: acts.append(t.act * 10.0**t.act_scale))
    assert run.log10_act_var == pytest.approx([np.log10(a.var()) for a in acts], abs=1e-10)


def test_instance_is_refused_and_big_specs_shrink():
    with pytest.raises(ValueError):
        batch_dependence.batchmate_sensitivity(SPEC, "instance", 8)
    big = NetworkSpec(depth=100, width=1024, batch=8)
    dep = batch_dependence.batch_dependence(big, batches=(2,), others=(),
                                            limits=capacity.FORWARD_VIEW)
    assert [(f.field, f.asked) for f in dep.shrunk] == [("width", 1024)]

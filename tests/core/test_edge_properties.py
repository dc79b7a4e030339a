"""Properties over the spec space's edges. Every spec, up to width 4096, depth 2000 and
batch 65536, is either refused with a clear ValueError before anything is allocated, or
fits the memory guard. Simulated at small sizes in every format: any inf or NaN in a
gradient or loss field comes with the pass and the layer where the run overflowed, and a
gradient that is exactly zero at layer 1 comes with why. The mean-field prediction's
log10 fields are never NaN or +inf."""

import math
import tracemalloc

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from core import ACTIVATIONS, NORMS, SCHEMES, NetworkSpec, simulate, theory
from core.spec import DTYPES, MAX_RUN_BYTES, NORM_POSITIONS, RANGES

from .test_properties import specs


def edge(name, inner=()):
    lo, hi = RANGES[name]
    return st.sampled_from(sorted({lo, hi, *inner}))


@st.composite
def edge_fields(draw):
    """Field values at or near the ends of their ranges, combinations left unchecked."""
    return dict(
        depth=draw(edge("depth", (2, 60, 200))), width=draw(edge("width", (3, 64, 1024))),
        batch=draw(edge("batch", (2, 32, 4096))), spatial=draw(edge("spatial", (2, 16))),
        groups=draw(edge("groups", (2, 8))), classes=draw(edge("classes", (27,))),
        norm=draw(st.sampled_from(NORMS)), activation=draw(st.sampled_from(sorted(ACTIVATIONS))),
        dtype=draw(st.sampled_from(DTYPES)), init=draw(st.sampled_from(SCHEMES)),
        norm_position=draw(st.sampled_from(NORM_POSITIONS)), residual=draw(st.booleans()),
        weight_var=draw(edge("weight_var", (1.0,))), bias_var=draw(edge("bias_var")),
        norm_gamma=draw(edge("norm_gamma")), norm_beta=draw(edge("norm_beta", (0.0,))),
        readout_scale=draw(edge("readout_scale")),
    )


@given(edge_fields())
def test_edge_specs_are_refused_before_allocating_or_fit_the_memory_guard(fields):
    tracemalloc.start()
    try:
        spec = NetworkSpec(**fields)
    except ValueError as err:
        msg = str(err)
        assert "=" in msg and ("GiB" in msg or any(f"{k}=" in msg for k in fields))
        spec = None
    allocated = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert allocated < 2**20                         # nothing drawn to decide
    if spec is not None:                             # the weights alone, drawn at 16 B each
        assert 16 * spec.depth * spec.width ** 2 <= MAX_RUN_BYTES


GRADIENT_AND_LOSS = ("grad_var", "log10_grad_var", "weight_grad_ratio",
                     "log10_weight_grad_ratio")


def nonfinite_gradient_or_loss(res) -> bool:
    """NaN, or +inf, in a gradient or loss field. In float64 a linear field is inf past
    10^308 while its log10 field is exact, which is no overflow."""
    fields = [np.asarray(getattr(res, k), dtype=float) for k in GRADIENT_AND_LOSS]
    fields.append(np.array([res.loss, res.log10_loss]))
    if res.spec.dtype == "float64":
        return any(np.isnan(f).any() for f in fields) or res.log10_loss == math.inf or any(
            np.isposinf(getattr(res, k)).any() for k in GRADIENT_AND_LOSS if "log10" in k)
    return any((np.isnan(f) | np.isposinf(f)).any() for f in fields)


@st.composite
def extreme_small_specs(draw):
    """Small networks with the numeric fields at their extremes as often as not."""
    spec = draw(specs())
    extremes = dict(weight_var=st.sampled_from([1e-12, 1e6]), bias_var=st.sampled_from([0.0, 100.0]),
                    norm_gamma=st.sampled_from([1e-3, 100.0]),
                    norm_beta=st.sampled_from([-100.0, 0.0, 100.0]),
                    readout_scale=st.sampled_from([1e-6, 1e3]))
    changes = {k: draw(s) for k, s in extremes.items() if draw(st.booleans())}
    depth = draw(st.sampled_from([spec.depth, 12]))
    return spec.replace(depth=depth, **changes)


@given(extreme_small_specs())
def test_every_inf_or_nan_comes_with_the_pass_and_layer_that_overflowed(spec):
    res = simulate(spec)
    where = res.first_overflow
    if nonfinite_gradient_or_loss(res):
        assert where is not None and spec.dtype != "float64"
        assert where.where in ("forward", "readout", "backward")
        layers = [k for k in (where.layer, where.weight_layer) if k is not None]
        assert layers and all(0 <= k < spec.depth for k in layers)
    if spec.dtype == "float64":
        assert where is None
    if where is None and np.isneginf(res.log10_grad_var[0]):      # zero at layer 1: why
        assert res.grad_underflow_layer is not None or res.grad_zero_cause is not None


@given(extreme_small_specs().map(lambda s: s.replace(depth=200)))
def test_prediction_log10_is_never_nan_or_plus_inf(spec):
    pred = theory.predict(spec, anchor_log10_grad_var=0.0)
    for name in ("log10_preact_var", "log10_act_var", "log10_grad_var"):
        values = getattr(pred, name)
        assert not np.isnan(values).any() and not np.isposinf(values).any(), name
    assert np.isfinite(pred.chi1).all() and (pred.chi1 >= 0).all()

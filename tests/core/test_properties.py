"""Property tests over the whole spec space (small sizes): float64 runs never raise and
never report NaN (nor +inf; -inf only where a variance is exactly zero); float32/16
runs never raise; every per-layer field has shape (depth,)."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from core import ACTIVATIONS, NORMS, SCHEMES, NetworkSpec, simulate
from core.spec import DTYPES, INPUT_DISTS, NORM_POSITIONS

PER_LAYER = ("preact_mean", "preact_var", "log10_preact_var", "act_mean", "act_var",
             "log10_act_var", "log10_out_var", "saturated_frac", "dead_frac", "grad_var",
             "log10_grad_var", "weight_grad_ratio", "log10_weight_grad_ratio")
LOG10 = ("log10_preact_var", "log10_act_var", "log10_out_var", "log10_grad_var",
         "log10_weight_grad_ratio")
# which kept tensor each log10 field is the variance of
SOURCE = {"log10_preact_var": "preact", "log10_act_var": "act", "log10_out_var": "out",
          "log10_grad_var": "grad_preact"}


def log_uniform(lo, hi):
    return st.floats(math.log10(lo), math.log10(hi)).map(lambda e: float(10.0**e)).map(
        lambda v: min(max(v, lo), hi))


@st.composite
def specs(draw, dtypes=DTYPES):
    width = draw(st.integers(2, 12))
    norm = draw(st.sampled_from(NORMS))
    spatial = draw(st.integers(2 if norm == "instance" else 1, 3))
    batch = draw(st.integers(2 if (norm == "batch" and spatial == 1) else 1, 6))
    divisors = [g for g in range(1, width + 1)
                if width % g == 0 and (width // g) * spatial >= 2]
    return NetworkSpec(
        depth=draw(st.integers(1, 4)), width=width, batch=batch, spatial=spatial,
        input_dist=draw(st.sampled_from(INPUT_DISTS)),
        activation=draw(st.sampled_from(sorted(ACTIVATIONS))),
        init=draw(st.sampled_from(SCHEMES)),
        weight_var=draw(log_uniform(1e-12, 1e6)),
        gain=draw(st.none() | log_uniform(1e-3, 100.0)),
        bias_var=draw(st.just(0.0) | log_uniform(1e-6, 100.0)),
        norm=norm, norm_position=draw(st.sampled_from(NORM_POSITIONS)),
        groups=draw(st.sampled_from(divisors)),
        norm_gamma=draw(log_uniform(1e-3, 100.0)),
        norm_beta=draw(st.just(0.0) | st.floats(-100.0, 100.0)),
        residual=draw(st.booleans()), residual_scale=draw(log_uniform(1e-3, 100.0)),
        classes=draw(st.integers(2, 30)), readout_scale=draw(log_uniform(1e-6, 1e3)),
        dtype=draw(st.sampled_from(dtypes)), seed=draw(st.integers(0, 2**32 - 1)),
    )


def check_shapes(res):
    d = res.spec.depth
    for name in PER_LAYER:
        assert np.shape(getattr(res, name)) == (d,), name
    assert res.dead_units.shape == (d, res.spec.width)
    assert res.act_hist.shape[0] == d and res.grad_hist.shape[0] == d
    assert np.all((res.saturated_frac >= 0) & (res.saturated_frac <= 1))
    assert np.all((res.dead_frac >= 0) & (res.dead_frac <= 1))


@settings(max_examples=150)
@given(specs(dtypes=("float64",)))
def test_float64_never_nan(spec):
    res = simulate(spec, keep_tensors=True)
    check_shapes(res)
    assert res.overflow_layer is None
    assert not math.isnan(res.loss) and not math.isnan(res.log10_loss)
    assert res.log10_loss < math.inf
    for name in LOG10:
        v = getattr(res, name)
        assert not np.any(np.isnan(v)), name
        assert not np.any(v == math.inf), name
        if name in SOURCE:
            # -inf means "exactly zero variance": check it against the tensor itself
            for layer in np.flatnonzero(v == -math.inf):
                assert np.var(res.tensors[SOURCE[name]][layer]) == 0, (name, layer)
    for name in ("act_hist", "grad_hist", "weight_grad_hist"):
        counts = getattr(res, name)
        assert np.all(counts >= 0)
    n_act = spec.batch * spec.spatial * spec.width
    assert np.all(res.act_hist.sum(axis=1) == min(n_act, 16384))


@settings(max_examples=80)
@given(specs(dtypes=("float32", "float16")))
def test_low_precision_never_raises(spec):
    res = simulate(spec)
    check_shapes(res)
    assert res.overflow_layer is None or 0 <= res.overflow_layer < spec.depth
    if res.overflow_layer is None:
        # nothing overflowed, so nothing is NaN in the forward statistics
        for name in ("log10_preact_var", "log10_act_var", "log10_out_var"):
            assert not np.any(np.isnan(getattr(res, name))), name


@settings(max_examples=30)
@given(specs(dtypes=("float64",)))
def test_same_seed_same_result(spec):
    a, b = simulate(spec), simulate(spec)
    for name in LOG10:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.loss == b.loss or (math.isnan(a.loss) and math.isnan(b.loss))

"""The memory guard: NetworkSpec refuses a network whose run would hold more than
MAX_RUN_BYTES, before anything is drawn, and `run_bytes` bounds what a run really holds
(measured with tracemalloc, which sees NumPy's allocations)."""

import gc
import tracemalloc

import pytest

from core import NetworkSpec, propagate, simulate
from core.spec import MAX_RUN_BYTES, run_bytes


@pytest.mark.parametrize("kw,weights", [
    (dict(depth=2000, width=4096, batch=32), 2000 * 4096**2),      # 268 GB of float64 weights
    (dict(depth=60, width=4096, batch=1), 60 * 4096**2),           # 8 GB, drawn and scaled: 16
])
def test_weights_over_the_limit_are_refused_naming_bytes_and_limit(kw, weights):
    tracemalloc.start()
    with pytest.raises(ValueError) as err:
        NetworkSpec(**kw)
    allocated = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert allocated < 2**20                                     # refused before drawing
    msg = str(err.value)
    assert f"{16 * weights / 2**30:.1f} GiB" in msg              # the weights' bytes
    assert f"limit is {MAX_RUN_BYTES / 2**30:g} GiB" in msg


def test_readout_over_the_limit_is_refused():
    with pytest.raises(ValueError, match="the readout"):
        NetworkSpec(depth=1, width=2, batch=65536, classes=10000)


def test_a_run_just_under_the_limit_is_accepted():
    NetworkSpec(depth=200, width=1024, batch=2)                  # 3.1 GiB while drawing


def peak_bytes(spec, keep_tensors=False) -> int:
    propagate._base_cache.clear()                                # the run draws its own
    gc.collect()
    tracemalloc.start()
    try:
        simulate(spec, keep_tensors=keep_tensors)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# Each part of the bound leads in one of these: the weights drawn, the weights in a
# float16 run, the layers' values (plain, norms with many small statistics sets,
# residual), the readout's classes, many layers, kept tensors.
MEASURED = [
    (dict(depth=10, width=512, batch=4), False),
    (dict(depth=1, width=2048, batch=2, dtype="float16"), False),
    (dict(depth=10, width=64, batch=2048), False),
    (dict(depth=10, width=64, batch=2048, dtype="float16", activation="linear"), False),
    (dict(depth=10, width=32, batch=1024, spatial=2, norm="instance"), False),
    (dict(depth=10, width=64, batch=256, spatial=4, norm="group", groups=4,
          norm_position="after", residual=True), False),
    (dict(depth=3, width=16, batch=2048, classes=2000), False),
    (dict(depth=600, width=8, batch=2), False),
    (dict(depth=8, width=512, batch=64), True),
]


@pytest.mark.parametrize("kw,keep", MEASURED, ids=[str(k) + (" keep" if keep else "")
                                                  for k, keep in MEASURED])
def test_bound_is_above_the_measured_peak_and_within_twice_it(kw, keep):
    spec = NetworkSpec(**kw)
    peak = peak_bytes(spec, keep)
    bound = run_bytes(vars(spec), keep_tensors=keep).total
    assert peak <= bound <= 2 * peak


def test_keeping_tensors_over_the_limit_is_refused_before_drawing():
    spec = NetworkSpec(depth=200, width=64, batch=8192)          # 1.6 GiB; with its tensors 4.8
    assert run_bytes(vars(spec)).total <= MAX_RUN_BYTES < run_bytes(vars(spec), True).total
    tracemalloc.start()
    with pytest.raises(ValueError, match="memory limit"):
        simulate(spec, keep_tensors=True)
    allocated = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert allocated < 2**20

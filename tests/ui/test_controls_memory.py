"""The sidebar's largest network stays within the core's memory guard: halving the
batch is enough, in every number format and with every normalization."""

import pytest

from core.spec import DTYPES, MAX_RUN_BYTES, NORMS, run_bytes
from ui import controls
from ui.controls import BY_KEY, to_spec

LARGEST = dict(depth=BY_KEY["depth"].hi, width=BY_KEY["width"].hi, batch=max(controls.BATCHES),
               spatial=max(controls.SPATIALS), groups=BY_KEY["groups"].hi, residual=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm", NORMS)
def test_largest_sidebar_network_fits_the_memory_guard_at_the_smallest_batch(dtype, norm):
    values = controls.defaults() | LARGEST | dict(dtype=dtype, norm=norm)
    assert run_bytes(values | dict(batch=min(controls.BATCHES))).total <= MAX_RUN_BYTES
    assert run_bytes(values).total > MAX_RUN_BYTES            # the batch must shrink
    to_spec(values)                                           # NetworkSpec accepts it

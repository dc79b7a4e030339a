"""A new setting computes in a compute process (ui.compute): the same numbers as in the
script's thread, a superseded wait is dropped, and a dead process is replaced."""

import os
import signal
import time

import numpy as np
import pytest

from core import NetworkSpec, simulate
from ui import compute

pytestmark = pytest.mark.skipif(not compute.PROCESSES, reason="no compute processes")


def test_a_process_computes_what_the_thread_computes():
    spec = NetworkSpec(depth=6, width=32, batch=64, activation="gelu", weight_var=0.05)
    far, near = compute.run(simulate, spec), simulate(spec)
    for name in ("log10_preact_var", "log10_act_var", "log10_grad_var", "act_hist",
                 "saturated_frac"):
        assert np.array_equal(getattr(far, name), getattr(near, name)), name
    assert far.loss == near.loss and not compute.waiting_for_place()


def test_a_superseded_wait_is_dropped_and_its_place_comes_back():
    """The session asks for a newer setting while its computation runs: the script stops
    waiting at once; the place is given back when the process has finished the task."""
    class Superseded(Exception):
        pass

    def check():
        if time.perf_counter() - t0 > 0.1:
            raise Superseded

    t0 = time.perf_counter()
    with pytest.raises(Superseded):
        compute.run(time.sleep, 0.6, check=check)
    assert time.perf_counter() - t0 < 0.5                 # did not wait for the sleep
    deadline = time.perf_counter() + 5
    while compute.free_places() < compute.PLACES:
        assert time.perf_counter() < deadline, "the place never came back"
        time.sleep(0.05)


def test_a_killed_process_is_replaced_and_the_setting_still_computes():
    compute.start()
    pool = compute._executor()
    assert compute.run(abs, -3) == 3                    # every process started
    victim = next(iter(pool._processes))
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.3)
    spec = NetworkSpec(depth=3, width=16, batch=32)
    res = compute.run(simulate, spec)
    assert np.array_equal(res.log10_act_var, simulate(spec).log10_act_var)
    assert compute.run(abs, -4) == 4                    # and the next one too
    assert compute._executor() is not pool or victim not in pool._processes
    assert compute.free_places() == compute.PLACES


def test_with_no_processes_a_computation_runs_in_the_calling_thread():
    """compute.set_processes(0), as the benchmarks that measure their own process use it:
    the computation runs here (its thread is this one), then processes again."""
    import threading

    before = compute.PROCESSES
    try:
        compute.set_processes(0)
        assert compute.run(threading.get_ident) == threading.get_ident()
    finally:
        compute.set_processes(before)
    assert compute.run(os.getpid) != os.getpid()

"""A new setting computes in a compute process (ui.compute): the same numbers as in the
script's thread, a superseded wait is dropped, and a dead process is replaced; never
more than SLOTS computations at once."""

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import ExitStack

import numpy as np
import pytest

from core import NetworkSpec, simulate
from ui import compute, cpus

processes = pytest.mark.skipif(not compute.PROCESSES, reason="no compute processes")


@processes
def test_a_process_computes_what_the_thread_computes():
    spec = NetworkSpec(depth=6, width=32, batch=64, activation="gelu", weight_var=0.05)
    far, near = compute.run(simulate, spec), simulate(spec)
    for name in ("log10_preact_var", "log10_act_var", "log10_grad_var", "act_hist",
                 "saturated_frac"):
        assert np.array_equal(getattr(far, name), getattr(near, name)), name
    assert far.loss == near.loss and compute.free_slots() == compute.SLOTS


@processes
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
    while compute.free_slots() < compute.SLOTS:
        assert time.perf_counter() < deadline, "the place never came back"
        time.sleep(0.05)


@processes
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
    assert compute.free_slots() == compute.SLOTS


@processes
def test_with_no_processes_a_computation_runs_in_the_calling_thread():
    """compute.set_processes(0), as the benchmarks that measure their own process use it:
    the computation runs here (its thread is this one), then processes again."""
    before = compute.PROCESSES
    try:
        compute.set_processes(0)
        assert compute.run(threading.get_ident) == threading.get_ident()
    finally:
        compute.set_processes(before)
    assert compute.run(os.getpid) != os.getpid()


def test_at_most_computing_places_compute_at_once():
    """Eight sessions computing at once: never more than compute.SLOTS inside, and every
    one gets its turn."""
    inside, most, done = [0], [0], []
    lock = threading.Lock()

    def session(i):
        with compute.slot(check=lambda: None):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            time.sleep(0.02)
            with lock:
                inside[0] -= 1
        done.append(i)

    threads = [threading.Thread(target=session, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert sorted(done) == list(range(8))
    assert most[0] == compute.SLOTS
    assert compute.free_slots() == compute.SLOTS


def test_a_superseded_run_waiting_for_a_place_is_dropped():
    """While every place is taken, a waiting run's check is called; when it raises (the
    session asked for a newer run), the run leaves without computing and without a
    place."""
    class Superseded(Exception):
        pass

    calls = []

    def check():
        calls.append(1)
        if len(calls) == 3:
            raise Superseded

    with ExitStack() as stack:
        for _ in range(compute.SLOTS):
            stack.enter_context(compute.slot(check=lambda: None))
        assert compute.free_slots() == 0
        computed = []
        try:
            with compute.slot(check=check):
                computed.append(1)
        except Superseded:
            pass
        assert computed == [] and len(calls) == 3
    assert compute.free_slots() == compute.SLOTS         # every place given back


_FAULTS = """
import resource, sys
from core import NetworkSpec, simulate
from ui import compute, cpus
if sys.argv[1] == "keep":
    assert compute.keep_freed_memory()
spec = NetworkSpec(depth=30, activation="gelu", weight_var=0.02)
for _ in range(3):                        # the last run: the allocator has settled
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    simulate(spec)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_a_compute_process_keeps_freed_memory_and_stops_faulting_it_in():
    """glibc gives a layer's freed temporaries back to the kernel and faults them in
    again on the next run (thousands of pages a simulation); a compute process's
    allocator (keep_freed_memory, in every compute process) keeps them instead."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    faults = {mode: int(subprocess.run([sys.executable, "-c", _FAULTS, mode], cwd=root,
                                       capture_output=True, text=True, check=True,
                                       env=os.environ | {"PYTHONPATH": root}).stdout)
              for mode in ("keep", "default")}
    assert faults["keep"] < 100 and faults["default"] > 10 * (faults["keep"] + 10), faults


def _blas_threads() -> list[int]:
    """The BLAS thread counts in force in the calling process (run in a compute one)."""
    import threadpoolctl
    return [p["num_threads"] for p in threadpoolctl.threadpool_info()
            if p["user_api"] == "blas"]


@processes
@pytest.mark.skipif(cpus.env_wins() is not None, reason="a thread variable is set here")
def test_a_compute_process_runs_with_the_plans_blas_threads():
    """Each compute process limits its BLAS threads to the plan's before computing;
    OpenBLAS alone would start one per core."""
    assert compute.run(_blas_threads) == [compute.PLAN.threads]
    assert compute.PLAN.threads == cpus.plan().threads


def test_compute_processes_follow_the_usable_cpus_not_the_core_count(monkeypatch):
    """A one-CPU quota on a many-core host: one compute process, not two."""
    monkeypatch.delenv("LAYERSCOPE_COMPUTE_PROCESSES", raising=False)
    monkeypatch.delenv("LAYERSCOPE_CPUS", raising=False)
    monkeypatch.setattr(cpus, "usable_cpus", lambda *a, **k: 1)
    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    assert compute.processes() == 1
    monkeypatch.setenv("LAYERSCOPE_COMPUTE_PROCESSES", "3")
    assert compute.processes() == 3                    # the variable still overrides
    monkeypatch.setenv("LAYERSCOPE_COMPUTE_PROCESSES", "lots")
    assert compute.processes() == 1

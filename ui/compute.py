"""Where a new setting's core computation runs: in a few compute processes beside the
server, each holding one of a few slots, so that a class's work uses every core.

One Streamlit process runs every session's script as a thread under one interpreter
lock. A simulation is mostly NumPy calls on small arrays and Python between them, so
scripts computing side by side mostly wait for the lock, and hand it back and forth on
every call: with thirty students the hand-offs cost more than the work (bench.load).
So a computation (a pure core function of a spec) runs in one of PROCESSES compute
processes, a process pool started with the server, and the script thread waits for it
without holding the lock. At most SLOTS computations run at once, all sessions
together; a new setting beyond them waits for a slot, and a session that asks for a
newer setting meanwhile stops waiting (its superseded setting is dropped, not
computed).

LAYERSCOPE_COMPUTE_PROCESSES sets the number of processes (default: min(2, the CPUs the
server may use: ui.cpus, which also sets every process's BLAS threads); 0 computes in the
script's own thread, still one computation at a time per slot. A compute process that dies
(out of memory, killed) is replaced, and the setting it was computing is computed again
here.

>>> import math
>>> run(math.sqrt, 16.0)
4.0
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import ctypes
import functools
import math
import multiprocessing
import os
import threading
import time
from concurrent.futures.process import BrokenProcessPool

from . import cpus

WAIT_CHECK_SECONDS = 0.05      # how often a waiting script looks for a newer setting
# A setting that waits for a slot longer than this, plus the spinner's own half
# second, says so: on a hosted box of half a CPU, or behind a class's heavy settings,
# a wait of seconds would otherwise show nothing but the page's old charts.
QUIET_WAIT_SECONDS = 0.5
BUSY_NOTE = ("The server is busy with other visitors' settings: this one waits for its "
             "turn and computes as soon as one of theirs is done.")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


PLAN = cpus.plan()


def processes() -> int:
    """Compute processes to start: LAYERSCOPE_COMPUTE_PROCESSES, else min(2, usable CPUs)."""
    return cpus.plan().processes


PROCESSES = PLAN.processes
# Slots: computations at once. Two on two cores even computing in the script threads:
# one computes while the other's matrix products run on the second core.
SLOTS = max(PROCESSES, 2)

_slots = threading.BoundedSemaphore(SLOTS)
_pool: cf.ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _warm(plan: cpus.Plan) -> None:
    """What a compute process runs first: its imports (core, NumPy) done before a class
    asks, not on the first student's setting, its BLAS threads limited to the server's
    plan, and its allocator told to keep memory."""
    import core.simulate  # noqa: F401
    cpus.limit_threads(plan.threads)
    keep_freed_memory()
    cpus.report("compute", plan)


def limit_threads() -> None:
    """This process's BLAS threads to the plan (ui.cpus), once; reported if asked."""
    cpus.limit_threads(PLAN.threads)
    cpus.report("server", PLAN)


# glibc's malloc maps a block of 128 KB or more fresh from the kernel and unmaps it when
# freed, and gives back the heap's free top past twice that: a layer's temporaries are
# that size, so every simulation would fault their pages in again. Kept instead, up to
# these sizes; blocks past 8 MB still go back at once. `python -m bench.server` counts
# the page faults of a new setting, per page.
MALLOPT = {-3: 8 << 20,       # M_MMAP_THRESHOLD: blocks from the heap up to 8 MB
           -1: 64 << 20,      # M_TRIM_THRESHOLD: the heap keeps up to 64 MB free
           -2: 8 << 20}       # M_TOP_PAD: and grows 8 MB at a time


def keep_freed_memory() -> bool:
    """Tell glibc's malloc to keep freed memory for reuse (MALLOPT); False where the C
    library has no mallopt (musl, macOS): nothing changes there."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (AttributeError, OSError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return all(mallopt(param, value) == 1 for param, value in MALLOPT.items())


# Free memory in the middle of a heap stays the process's: glibc gives back only a
# heap's free top. A run that held hundreds of MB (a Training link's trainers) leaves
# them there once done, in its script thread's own arena, and the server stays that
# large. So a script run during which the server grew by more than TRIM_AFTER_MB gives
# free memory back when it ends. A trim with little to give back is cheap; pages given
# back fault in again when used, which smaller runs, below the mark, do not pay.
# `python -m bench.memory --training 3` shows what the server keeps after each heavy
# visitor (docs/performance.md, "Memory").
TRIM_AFTER_MB = 64


def resident_mb() -> float | None:
    """This process's resident memory (MB), or None where /proc does not say."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * PAGE_BYTES / 2**20
    except (OSError, IndexError, ValueError):
        return None


def give_back_freed_memory() -> bool:
    """malloc_trim(0): free pages in every heap go back to the system; False where the
    C library has no malloc_trim."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return False
    trim(0)
    return True


@contextlib.contextmanager
def giving_back(after_mb: float = TRIM_AFTER_MB):
    """Run the block; if the process grew by more than `after_mb` meanwhile, give its
    free memory back when the block ends (also when it ends in an exception: a newer
    run replacing this one)."""
    before = resident_mb()
    try:
        yield
    finally:
        now = resident_mb()
        if before is not None and now is not None and now - before > after_mb:
            give_back_freed_memory()


_keep_freed_here = functools.cache(keep_freed_memory)
_limit_here = functools.cache(limit_threads)


def set_processes(count: int) -> None:
    """Use `count` compute processes from now on (0: compute in the calling thread), and
    this process's BLAS threads as the plan gives them for that count; for tools that
    measure a computation's CPU or memory in their own process (bench)."""
    global PROCESSES, PLAN, _pool
    with _pool_lock:
        old, _pool = _pool, None
        PROCESSES = max(0, count)
        PLAN = cpus.replan(PLAN, PROCESSES)
    cpus.limit_threads(PLAN.threads)
    if old is not None:
        old.shutdown(wait=False, cancel_futures=True)


def start() -> None:
    """Limit this process's BLAS threads, keep its freed memory, and make the pool of
    compute processes (the shell calls this first on every script run: all happen on
    the first, before any numerical work). The pool starts a process when a task finds
    none idle, so a fresh server's first setting waits for one to start, as it imports
    NumPy and the core, not Streamlit (see run_check). Not all started here: on two
    busy cores that slows the first script's own imports as much as it saves
    (`python -m bench.load --start-server --burst --sessions 20 --seconds 20` times a
    fresh server's first pages)."""
    _limit_here()
    _keep_freed_here()
    if PROCESSES:
        _executor()


def _executor() -> cf.ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            # spawn: a fork of the server would copy its threads' held locks
            _pool = cf.ProcessPoolExecutor(PROCESSES,
                                           mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_warm, initargs=(PLAN,))
        return _pool


def _replace_pool(broken: cf.ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is broken:
            _pool = None
    broken.shutdown(wait=False, cancel_futures=True)


def run_check():
    """This script run's yield check, which ends a run that a newer one replaced (a
    no-op outside a script run). Streamlit is imported here, not with the module: a
    compute process imports this module for its first task and never needs Streamlit,
    whose import would be most of its start."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_run_yield_check
    return get_run_yield_check() or (lambda: None)


def take_slot(check=None) -> None:
    """Wait for a slot; `check` (this script run's yield check, by default) is called
    while waiting and ends a run that a newer one replaced. A wait past
    QUIET_WAIT_SECONDS says why while it lasts (`waiting_note`)."""
    check = check or run_check()
    if _wait(check, QUIET_WAIT_SECONDS):
        return
    with waiting_note():
        _wait(check)


def _wait(check, seconds: float = math.inf) -> bool:
    """Try for a slot for up to about `seconds`, calling `check` between tries;
    whether one was taken."""
    end = time.monotonic() + seconds
    while not _slots.acquire(timeout=WAIT_CHECK_SECONDS):
        check()
        if time.monotonic() >= end:
            return False
    return True


def waiting_note():
    """A note on the page while the block runs, saying that the setting waits for the
    others (Streamlit's spinner: it shows after half a second, goes when the block
    ends, takes no place among the page's elements and is not replayed with a cached
    result); nothing outside a script run."""
    import streamlit as st
    return st.spinner(BUSY_NOTE)


def give_slot(*_) -> None:
    _slots.release()


@contextlib.contextmanager
def slot(check=None):
    """Hold a slot while the block runs (a computation here, in this thread)."""
    take_slot(check)
    try:
        yield
    finally:
        give_slot()


def free_slots() -> int:
    """Slots no computation holds now (0: a new setting would wait)."""
    return _slots._value              # BoundedSemaphore keeps its count there


def here(fn, *args, **kwargs):
    """fn(*args, **kwargs) in this thread, holding a slot (work too small to send)."""
    with slot():
        return fn(*args, **kwargs)


def run(fn, *args, check=None, **kwargs):
    """fn(*args, **kwargs) in a compute process (`fn` a module-level core function, its
    arguments and result picklable), holding a slot until the process is done with it.
    A run that a newer one replaces stops waiting; its slot comes back when the
    process finishes the task it already started."""
    if not PROCESSES:
        with slot(check):
            return fn(*args, **kwargs)
    check = check or run_check()
    take_slot(check)
    pool = _executor()
    try:
        future = pool.submit(fn, *args, **kwargs)
    except (BrokenProcessPool, RuntimeError):
        give_slot()
        _replace_pool(pool)
        return here(fn, *args, **kwargs)
    future.add_done_callback(give_slot)
    while True:
        try:
            return future.result(timeout=WAIT_CHECK_SECONDS)
        except cf.TimeoutError:
            check()
        except (BrokenProcessPool, cf.CancelledError):   # cancelled: another script
            _replace_pool(pool)                            # replaced the broken pool
            return here(fn, *args, **kwargs)

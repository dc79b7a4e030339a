"""How busy this server process is: the page scripts running right now, in all sessions.

One process runs every session's script under one interpreter lock. When more than
`BUSY` scripts run at once, a new setting waits behind the others; then a page runs a
lighter version of the network (`controls.to_spec(light=True)`: a smaller batch), says so,
and catches up by itself once the rush is over (`ui.shell`).

>>> with running():
...     busy()
False
"""

from __future__ import annotations

import contextlib
import threading

from streamlit.runtime.scriptrunner_utils.script_run_context import get_run_yield_check

BUSY = 4                 # scripts running at once, beyond which a new setting runs light
# New settings computed at once in this process, all sessions together. Each session's
# script is a thread, and NumPy hands the interpreter lock back and forth on every call:
# with a class's worth computing at once, the lock's hand-offs cost more than the work
# (bench.load: server CPU per rerun 117 ms at 20 sessions, 229 ms at 30, with no gate).
# Two: one computes while the other's matrix products run on the second core.
COMPUTING = 2
WAIT_CHECK_SECONDS = 0.05

_lock = threading.Lock()
_running = 0


@contextlib.contextmanager
def running():
    """Count this script run while it lasts."""
    global _running
    with _lock:
        _running += 1
    try:
        yield
    finally:
        with _lock:
            _running -= 1


def busy() -> bool:
    return _running > BUSY


@contextlib.contextmanager
def computing(check=None):
    """Hold one of the process's COMPUTING places while a new setting computes. While
    it waits, `check` (this script run's yield check, by default) ends a run that a
    newer one replaced: a student's superseded setting is dropped, not computed.

    >>> with computing():
    ...     waiting_for_place()
    False
    """
    check = check or get_run_yield_check() or (lambda: None)
    while not _places.acquire(timeout=WAIT_CHECK_SECONDS):
        check()
    try:
        yield
    finally:
        _places.release()


_places = threading.BoundedSemaphore(COMPUTING)


def waiting_for_place() -> bool:
    """Whether every computing place is taken (a new setting would wait)."""
    if _places.acquire(blocking=False):
        _places.release()
        return False
    return True


def running_scripts() -> int:
    """Page scripts running right now, in all sessions (this one included)."""
    return _running

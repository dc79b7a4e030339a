"""How busy this server process is: the page scripts running right now, in all sessions.

One process runs every session's script under one interpreter lock. When more than
`BUSY` scripts run at once, a new setting waits behind the others; then a page runs a
lighter version of the network (`controls.to_spec(light=True)`: a smaller batch), says so,
and catches up by itself once the rush is over (`ui.shell`). Where the computing itself
runs, and how many computations at once: `ui.compute`.

>>> with running():
...     busy()
False
"""

from __future__ import annotations

import contextlib
import threading

# Scripts running at once, beyond which a new setting runs light. With the computing in
# ui.compute's processes, a setting costs them about 0.1 s, two at a time: a dozen
# scripts ahead means a wait near a second, the point where a lighter answer first is
# worth its catch-up rerun. (bench.load, 30 sessions for 60 s, twice each: at 4, p95
# 466 and 661 ms, and each run lost a download, its link replaced by a catch-up rerun
# while the session fetched it; at 12, p95 727 and 818 ms, nothing lost.)
BUSY = 12

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


def running_scripts() -> int:
    """Page scripts running right now, in all sessions (this one included)."""
    return _running

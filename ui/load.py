"""How busy this server process is: the page scripts running right now, in all sessions.

One process runs every session's script under one interpreter lock. When more than
`capacity.BUSY_SCRIPTS` scripts run at once, a new setting waits behind the others; then
a page runs a lighter version of the network (`controls.to_spec(light=True)`: a smaller
batch), says so, and catches up by itself once the rush is over (`ui.shell`). Where the
computing itself runs, and how many computations at once: `ui.compute`.

>>> with running():
...     busy()
False
"""

from __future__ import annotations

import contextlib
import threading

from . import capacity

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
    return _running > capacity.BUSY_SCRIPTS


def running_scripts() -> int:
    """Page scripts running right now, in all sessions (this one included)."""
    return _running

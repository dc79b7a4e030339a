"""The server's one ledger of the memory that training in progress holds.

Every session is a thread of one process, and a session keeps its trainers alive while
it trains (ui.training), so the visitors training at once add up: each request is fitted
to capacity.TRAIN_REQUEST_BYTES (ui.training_request), and all of them together to
capacity.SERVER_TRAIN_BYTES here. A request reserves the estimate of what it will train (core.train.memory_bytes, the
same one the fit uses) before its trainers exist, and gives it back when they are done,
stopped, replaced by a newer setting, fail, or go with the session (a finalizer on the
reservation). No Streamlit here: the page's waiting and words are in ui.training_request.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from typing import Callable, Generic, TypeVar

from . import capacity

T = TypeVar("T")
# fit(max_bytes) -> (what was fitted, the bytes it will hold)
Fit = Callable[[float], "tuple[T, float]"]


class Ledger:
    """Bytes reserved by training in progress, by reservation, within `total`; safe to
    use from every session's thread.

    >>> ledger = Ledger(100)
    >>> a = ledger.reserve(lambda room: ("a", 60))
    >>> b = ledger.reserve(lambda room: ("b", min(room, 50)))     # fitted to what is left
    >>> b.nbytes, ledger.left()
    (40, 0)
    >>> ledger.reserve(lambda room: ("c", 10)) is None             # no room: nothing held
    True
    >>> a.release(); a.release(); ledger.left()                     # released once
    60
    >>> del b; ledger.left()                                        # dropped: released
    100
    """

    def __init__(self, total: float):
        self.total = total
        self._held: dict[int, float] = {}
        self._changed = threading.Condition()
        self._tokens = itertools.count()

    def left(self) -> float:
        """What no reservation holds."""
        with self._changed:
            return self.total - sum(self._held.values())

    def reserved(self) -> float:
        with self._changed:
            return sum(self._held.values())

    def reserve(self, fit: Fit) -> "Reservation | None":
        """fit(what is left) under the ledger's lock, reserved if its bytes fit in what
        is left or nothing else is reserved (a request alone trains as fitted), else None
        and nothing reserved: no other request can take the room between the fit and the
        reservation."""
        with self._changed:
            room = self.total - sum(self._held.values())
            value, nbytes = fit(room)
            if nbytes > room and self._held:
                return None
            token = next(self._tokens)
            self._held[token] = nbytes
        return Reservation(self, token, value, nbytes)

    def wait(self, timeout: float) -> None:
        """Until a reservation is released, or `timeout` seconds."""
        with self._changed:
            self._changed.wait(timeout)

    def _release(self, token: int) -> None:
        with self._changed:
            self._held.pop(token, None)
            self._changed.notify_all()


class Reservation(Generic[T]):
    """`nbytes` of a ledger held for `value` (what was fitted) until `release()`, or until
    nothing refers to it any more (a session that went away)."""

    def __init__(self, ledger: Ledger, token: int, value: T, nbytes: float):
        self.value, self.nbytes = value, nbytes
        self._finalizer = weakref.finalize(self, ledger._release, token)

    @property
    def held(self) -> bool:
        return self._finalizer.alive

    def release(self) -> None:
        """Give the bytes back (once; later calls do nothing)."""
        self._finalizer()


LEDGER = Ledger(capacity.SERVER_TRAIN_BYTES)

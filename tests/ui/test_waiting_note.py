"""A setting that waits for a compute slot past QUIET_WAIT_SECONDS says so while it
waits, and only then (ui.compute.take_slot); a newer setting still ends the wait.
On a real server: tests/deploy/test_busy_note.py."""

import contextlib
import threading
import time
from contextlib import ExitStack

import pytest

from ui import compute


@pytest.fixture
def notes(monkeypatch):
    """What the notes shown saw: 'open' and 'closed' in order."""
    seen = []

    @contextlib.contextmanager
    def note():
        seen.append("open")
        try:
            yield
        finally:
            seen.append("closed")
    monkeypatch.setattr(compute, "waiting_note", note)
    return seen


def _all_slots(stack: ExitStack) -> None:
    for _ in range(compute.SLOTS):
        stack.enter_context(compute.slot(check=lambda: None))


def test_a_place_free_at_once_shows_no_note(notes):
    compute.take_slot(check=lambda: None)
    compute.give_slot()
    assert notes == []


def test_a_long_wait_shows_the_note_until_the_place_is_taken(notes):
    stack = ExitStack()
    _all_slots(stack)
    threading.Timer(compute.QUIET_WAIT_SECONDS + 0.4, stack.close).start()
    t0 = time.perf_counter()
    compute.take_slot(check=lambda: None)
    waited = time.perf_counter() - t0
    compute.give_slot()
    assert notes == ["open", "closed"] and waited > compute.QUIET_WAIT_SECONDS


def test_a_short_wait_shows_no_note(notes):
    stack = ExitStack()
    _all_slots(stack)
    threading.Timer(compute.QUIET_WAIT_SECONDS / 4, stack.close).start()
    compute.take_slot(check=lambda: None)
    compute.give_slot()
    assert notes == []


def test_a_newer_setting_ends_the_wait_and_the_note(notes):
    class Superseded(Exception):
        pass

    def check():
        if time.perf_counter() - t0 > compute.QUIET_WAIT_SECONDS + 0.2:
            raise Superseded

    with ExitStack() as stack:
        _all_slots(stack)
        t0 = time.perf_counter()
        with pytest.raises(Superseded):
            compute.take_slot(check=check)
    assert notes == ["open", "closed"]
    assert compute.free_slots() == compute.SLOTS      # the waiter took none


def test_outside_a_script_run_the_note_is_silent():
    with compute.waiting_note():
        pass

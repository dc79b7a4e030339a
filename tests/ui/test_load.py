"""Overload degrades, never hangs: a busy server runs heavy settings lighter, says so,
and the next run after the rush is the full one (ui.load)."""

from contextlib import ExitStack

from ui import capacity, controls, load
from ui.controls import to_spec

from ..app.helpers import no_exceptions, open_page

HEAVY = controls.defaults() | dict(depth=60, width=200, batch=512)


def _busy(stack: ExitStack) -> None:
    """Hold BUSY_SCRIPTS + 1 script runs open, as a class's sessions would."""
    for _ in range(capacity.BUSY_SCRIPTS + 1):
        stack.enter_context(load.running())


def test_busy_counts_running_scripts():
    assert not load.busy()
    with ExitStack() as stack:
        _busy(stack)
        assert load.busy()
    assert not load.busy()


def test_a_light_run_is_smaller_and_says_why():
    full, light = to_spec(HEAVY), to_spec(HEAVY, light=True)
    assert not full.light and light.light
    assert light.spec.batch < full.spec.batch
    assert light.spec.replace(batch=full.spec.batch) == full.spec      # only the batch
    assert any("busy" in n and f"batch {light.spec.batch}" in n for n in light.notes)
    small = controls.defaults()                       # already light: nothing to take off
    assert to_spec(small, light=True).spec == to_spec(small).spec


def test_page_runs_light_while_busy_and_full_after():
    with ExitStack() as stack:
        _busy(stack)
        at = open_page(depth=60, width=200, batch=512)
        no_exceptions(at)
        assert any("busy" in i.value for i in at.info)
    at.run()                                            # the rush is over: a full run
    no_exceptions(at)
    assert not any("busy" in i.value for i in at.info)


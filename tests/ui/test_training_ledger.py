"""The server's one ledger of training memory (ui.training_ledger): requests fitted by the
page's own function (ui.training_request.reserve) never hold more together than
SERVER_TRAIN_BYTES, a request made while others train is fitted smaller or waits and gets
the whole per-request budget once they release, and a run that is stopped, replaced,
finished or failing gives its reservation back."""

from __future__ import annotations

import threading
from unittest import mock

import pytest
from hypothesis import given, strategies as st_

from core import train
from core.spec import NetworkSpec
from streamlit.runtime.scriptrunner_utils.exceptions import StopException
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash
from ui import cache, capacity, controls, training_ledger, training_request as request
from ui.capacity import SERVER_TRAIN_BYTES
from ui.training_ledger import Ledger

from ..app.helpers import APP, open_page, spec_for, tanh

MB = 2**20
HEAVY_LINK = dict(activation="tanh", weight_var=0.01, depth=200, width=256, train_batch=256,
                  train_compare="true", train_norm="true", train_steps=20000)


def _heavy(seed: int):
    """The heaviest link's runs (four, depth 200, width 256, batch 256) as the page asks."""
    spec = NetworkSpec(activation="tanh", weight_var=0.01, depth=200, width=256, seed=seed)
    specs, batch, _ = train.fit_runs(request.requested(spec, True, True), 256)
    config = train.TrainConfig(steps=20000, batch=batch,
                               record_every=train.record_every_for(20000))
    return list(specs.values()), config


def _held(reservation) -> float:
    fitted, config = reservation.value[1][:2]
    return train.memory_bytes(fitted, config)


@pytest.fixture
def ledger(monkeypatch):
    fresh = Ledger(SERVER_TRAIN_BYTES)
    monkeypatch.setattr(request, "LEDGER", fresh)
    monkeypatch.setattr(training_ledger, "LEDGER", fresh)
    return fresh


def test_three_heavy_requests_together_stay_within_the_server_budget(ledger):
    """Alone, the first is fitted to the per-request budget; the second and third to what
    is left, narrower, and all three together hold at most SERVER_TRAIN_BYTES (unfitted,
    each would hold over 700 MB)."""
    specs, config = _heavy(1)
    assert train.memory_bytes(specs, config) > 700 * MB
    held = [request.reserve(*_heavy(seed)) for seed in (1, 2, 3)]
    limits = [r.value[1][3] for r in held]
    widths = [r.value[1][0][0].width for r in held]
    assert limits[0] == capacity.TRAIN_REQUEST_BYTES and limits[1] < limits[0]
    assert widths[1] < widths[0] and widths[2] <= widths[1]
    assert sum(_held(r) for r in held) == pytest.approx(ledger.reserved())
    assert ledger.reserved() <= SERVER_TRAIN_BYTES
    for r, limit in zip(held, limits):
        assert _held(r) <= limit


def test_a_request_waits_while_no_fit_has_room_and_gets_the_full_budget_after(ledger):
    """Others holding all but a sliver of the ledger: a new request waits (no
    reservation, the ledger unchanged) until they release, then is fitted to the whole
    per-request budget, as if alone."""
    specs, config = _heavy(4)
    smallest = train.fit_budget(specs, config, capacity.TRAIN_REQUEST_MACS, 0)
    others = ledger.reserve(lambda room: (None, room - smallest_bytes(smallest) / 2))
    got = []
    waiter = threading.Thread(target=lambda: got.append(request.reserve(specs, config)))
    waiter.start()
    waiter.join(timeout=3 * request.WAIT_SECONDS)
    assert waiter.is_alive() and not got
    assert ledger.reserved() == others.nbytes
    others.release()
    waiter.join(timeout=30)
    assert not waiter.is_alive() and got[0].held
    alone = train.fit_budget(specs, config, capacity.TRAIN_REQUEST_MACS,
                             capacity.TRAIN_REQUEST_BYTES)
    assert got[0].value[1][0] == alone[0] and got[0].value[1][3] == capacity.TRAIN_REQUEST_BYTES
    assert ledger.reserved() == pytest.approx(_held(got[0]))


def smallest_bytes(fit) -> float:
    return train.memory_bytes(fit[0], fit[1])


def test_a_waiting_request_ends_with_a_newer_setting_and_reserves_nothing(ledger):
    specs, config = _heavy(5)
    others = ledger.reserve(lambda room: (None, room))

    def newer():
        raise StopException()
    with pytest.raises(StopException):
        request.reserve(specs, config, yield_check=newer)
    assert ledger.reserved() == others.nbytes == SERVER_TRAIN_BYTES


@given(st_.lists(st_.tuples(st_.sampled_from(["reserve", "release", "drop"]),
                            st_.integers(0, 200)), max_size=30))
def test_reservations_never_exceed_the_ledger_and_every_release_returns_its_bytes(ops):
    """Any sequence of reservations (each asking up to 200 of 100, fitted to the room),
    releases and dropped references: the held bytes are the live reservations' sum, at
    most the total unless one reservation is alone."""
    ledger, live = Ledger(100), []
    for op, size in ops:
        if op == "reserve":
            r = ledger.reserve(lambda room, s=size: (s, s if s <= 100 else min(s, room)))
            if r is not None:
                live.append(r)
        elif live:
            r = live.pop(size % len(live))
            if op == "release":
                r.release()
            del r                          # a session that went: the finalizer releases
        assert ledger.reserved() == sum(r.nbytes for r in live)
        assert ledger.reserved() <= 100 or len(live) == 1


# -- the page's own runs -----------------------------------------------------------------

PAGE = "training"
SMALL = tanh(depth=4, width=32, train_steps=200)


@pytest.fixture
def no_cache(monkeypatch):
    monkeypatch.setattr(cache, "finished_run", lambda spec, config: None)
    monkeypatch.setattr(cache, "keep_run", lambda spec, config, log: None)


def test_a_stopped_run_gives_its_reservation_back(ledger, no_cache):
    seen = []
    original = train.Trainer.__init__

    def counting(self, *args, **kwargs):
        seen.append(ledger.reserved())
        original(self, *args, **kwargs)
    with mock.patch.object(train.Trainer, "__init__", counting):
        at = _stopped_page()
    assert not at.exception
    assert seen and seen[0] > 0                   # reserved before the trainers existed
    assert ledger.reserved() == 0
    assert any(i.value.startswith("Stopped at step 0") for i in at.info)


def _stopped_page():
    """The page opened with Stop pressed (as the button leaves it) before any step."""
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in SMALL.items():
        at.query_params[key] = controls.BY_KEY[key].fmt(value) if key in controls.BY_KEY else str(value)
    at._page_hash = calc_hash(PAGE)
    at.session_state["train_stop"] = True
    return at.run()


def test_a_finished_run_gives_its_reservation_back(ledger, no_cache):
    at = open_page(PAGE, timeout=120, **SMALL)
    assert not at.exception and at.get("plotly_chart")
    assert ledger.reserved() == 0


def test_a_run_failing_while_it_trains_gives_its_reservation_back(ledger, no_cache, monkeypatch):
    def failing(self, steps):
        raise RuntimeError("a step failed")
    monkeypatch.setattr(train.Trainer, "run", failing)
    at = open_page(PAGE, timeout=120, **SMALL)
    assert at.exception
    assert ledger.reserved() == 0


def test_a_run_replaced_by_a_newer_setting_gives_its_reservation_back(ledger, no_cache,
                                                                     monkeypatch):
    """A run ended by a rerun (Streamlit's StopException, as a newer setting ends the
    training script) keeps its reservation for that rerun; the newer setting's request
    releases it before reserving its own, so while the newer one trains the ledger holds
    its bytes alone."""
    original = train.Trainer.run
    during = []

    def interrupted(self, steps):
        raise StopException()
    monkeypatch.setattr(train.Trainer, "run", interrupted)
    at = open_page(PAGE, timeout=120, **SMALL)
    first = ledger.reserved()
    assert first > 0                               # still held for the rerun

    def watching(self, steps):
        during.append(ledger.reserved())
        return original(self, steps)
    monkeypatch.setattr(train.Trainer, "run", watching)
    at.query_params["depth"] = "6"
    at.session_state["depth"] = 6
    at.run()
    assert not at.exception
    spec, batch, _ = train.fit_request(spec_for(**SMALL | {"depth": 6}), 32)
    newer = train.memory_bytes(
        [spec], train.TrainConfig(steps=200, batch=batch, record_every=train.record_every_for(200)))
    assert during and max(during) == pytest.approx(newer, rel=0.01)
    assert ledger.reserved() == 0

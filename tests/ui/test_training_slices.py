"""ui.training.train_chunk: training yields to Streamlit between slices, so a new
setting (a rerun request) ends a run within a slice, and the server's slot is freed."""

import pytest

from core.spec import NetworkSpec
from core.train import TrainConfig, Trainer
from ui import training


class Rerun(Exception):
    pass


def _trainer(steps=400):
    return Trainer(NetworkSpec(depth=2, width=16), TrainConfig(steps=steps, batch=8))


def test_a_rerun_request_ends_the_chunk_after_the_slice_in_hand():
    t, calls = _trainer(), []

    def check():
        calls.append(t.step)
        if len(calls) == 3:
            raise Rerun
    with pytest.raises(Rerun):
        training.train_chunk([t], 400, per_slice=5, yield_check=check)
    assert calls[0] == 5 and t.step == calls[-1] < 400     # stopped between two slices
    assert not training.TRAINING_SLOT.locked()             # the slot is free again


def test_every_step_is_trained_once_across_slices():
    a, b = _trainer(100), _trainer(100)
    per_slice = training.train_chunk([a, b], 60, yield_check=lambda: None)
    assert (a.step, b.step) == (60, 60) and per_slice >= 1
    training.train_chunk([a, b], 60, per_slice, yield_check=lambda: None)
    assert (a.step, b.step) == (100, 100)                  # the run's end, not 120


def test_waiting_for_the_slot_yields_too():
    t, calls = _trainer(), []

    def check():
        calls.append(1)
        raise Rerun
    with training.TRAINING_SLOT:                           # another session's slice
        with pytest.raises(Rerun):
            training.train_chunk([t], 10, yield_check=check)
    assert t.step == 0 and calls == [1]

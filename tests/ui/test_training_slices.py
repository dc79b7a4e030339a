"""ui.training.train_chunk: training yields to Streamlit between slices, so a new
setting (a rerun request) ends a run within a slice, and the server's slot is freed."""

import numpy as np
import pytest

from core.spec import NetworkSpec
from core.train import Status, TrainConfig, Trainer, batch_mode_losses
from core.train import train as train_whole
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


def test_a_reader_under_the_session_lock_sees_whole_steps():
    """Streamlit's fast reruns start the Stop button's run while the old one still trains
    (to its next check): the new run reads the trainers under the session's lock, which
    every slice holds, so it never sees a step counted before its validation point."""
    import threading
    import time
    t = Trainer(NetworkSpec(depth=2, width=16),
                TrainConfig(steps=1200, batch=8, eval_every=3))
    lock, seen, done = threading.Lock(), [], threading.Event()

    def train():
        try:
            # between slices the trainer checks for a rerun; here it lets the reader in
            training.train_chunk([t], 1200, per_slice=7, lock=lock,
                                 yield_check=lambda: time.sleep(0.001))
        finally:
            done.set()
    worker = threading.Thread(target=train)
    worker.start()
    while not done.is_set():
        with lock:
            log = t.log()
        seen.append((log.steps_done, len(log.eval_steps)))
    worker.join()
    assert len(seen) > 20
    assert all(evals == steps // 3 + 1 for steps, evals in seen if steps < 1200), \
        [s for s in seen if s[1] != s[0] // 3 + 1][:5]


def test_a_stopped_run_keeps_no_parameter_copies_and_resumes_where_it_stopped():
    """Stopped between slices, a BatchNorm run's summary shows it as far as it got (its
    losses by batch size for the parameters it has then, computed once); resumed, it
    goes on from that step and ends exactly where an unbroken run ends."""
    spec = NetworkSpec(depth=2, width=16, norm="batch")
    cfg = TrainConfig(steps=60, batch=8, record_every=5, eval_every=20)
    whole = train_whole(spec, cfg)
    t = Trainer(spec, cfg)
    assert t.initial is None and t.batches is None and t.state == []    # SGD: no state
    training.train_chunk([t], 25, per_slice=5, yield_check=lambda: None)
    stopped = t.summary()
    assert stopped.status is Status.TRAINING and stopped.steps_done == 25
    assert stopped.final is None and stopped.batch_mode is t.summary().batch_mode
    np.testing.assert_array_equal(stopped.loss, whole.loss[:25])
    training.train_chunk([t], 100, per_slice=5, yield_check=lambda: None)
    done = t.summary()
    assert done.status is Status.FINISHED
    np.testing.assert_array_equal(done.loss, whole.loss)
    np.testing.assert_array_equal(done.valid_loss, whole.valid_loss)
    assert done.batch_mode == batch_mode_losses(spec, cfg, whole.final, whole.running)
    assert done.batch_mode != stopped.batch_mode

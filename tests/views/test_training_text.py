"""The Training page's words for a run's state (views.training_text): every Status has its
own, they never contradict each other, and a loss that ends far above -ln(1/27) is
called worse than guessing with the run's own numbers."""

import math

import pytest

from core.spec import NetworkSpec
from core.train import Status, TrainConfig, Trainer, train
from views import training_text as text

UNIFORM = math.log(27)
SMALL = NetworkSpec(depth=2, width=16, readout_scale=0.01)


def _waiting():
    return Trainer(SMALL, TrainConfig(steps=10, batch=8)).log()


def _training():
    t = Trainer(SMALL, TrainConfig(steps=10, batch=8))
    t.run(3)
    return t.log()


def _finished():
    return train(SMALL, TrainConfig(steps=10, batch=8))


def _diverged():
    """ReLU at learning rate 10: a few steps go through, then the loss blows up."""
    return train(NetworkSpec(activation="relu", depth=5, width=64),
                 TrainConfig(steps=200, lr=10.0, record_every=2))


def _cannot_start():
    """The app's opening network: linear, Var(W) = 1, logits near 10^15."""
    return train(NetworkSpec(depth=30, activation="linear", weight_var=1.0), TrainConfig(steps=5))


RUNS = {Status.WAITING: _waiting, Status.TRAINING: _training, Status.FINISHED: _finished,
        Status.DIVERGED: _diverged, Status.CANNOT_START: _cannot_start}


def test_every_status_has_a_run_here():
    assert set(RUNS) == set(Status)


@pytest.mark.parametrize("status", list(Status), ids=lambda s: s.name)
def test_each_state_says_one_thing(status):
    """Only a divergence says "diverged" (with its step); only a network that could not
    take a step says so, and then nowhere that a step is still coming; "no statistics
    yet" only before the first step; a run with statistics gets no such note."""
    log = RUNS[status]()
    assert log.status is status
    error = text.status_error("as set", log) or ""
    note = text.no_statistics(log) or ""
    cell = text.end_cell(log)
    words = " ".join([error, note, cell])
    assert ("diverged" in words) == (status is Status.DIVERGED)
    assert ("first step" in words) == (status in (Status.WAITING, Status.CANNOT_START))
    if status is Status.DIVERGED:
        assert log.failed_at >= 1
        assert f"diverged at step {log.failed_at}" in error and cell == f"diverged at step {log.failed_at}"
        assert not note
    elif status is Status.CANNOT_START:
        assert "cannot take its first step" in error and "no step was taken" in error
        assert note.startswith("No statistics: the network could not take its first step")
        assert "yet" not in note and cell == "no step taken"
    elif status is Status.WAITING:
        assert not error and note == "No statistics yet: the first step has not finished."
    else:
        assert not error and not note and cell == f"{log.valid_loss[-1]:.4g}"


def test_a_loss_that_climbs_far_above_guessing_is_called_too_large_a_step():
    """The fixed-readout demo at learning rate 10: the validation loss climbs from about
    3.3 to over 50; the words say worse than guessing, the step size is too large, and
    give the run's numbers."""
    spec = NetworkSpec(activation="tanh", depth=5, width=100, weight_var=0.1, readout_scale=0.01)
    log = train(spec, TrainConfig(steps=100, lr=10.0, record_every=1))
    start, end = log.valid_loss[0], log.valid_loss[-1]
    assert log.status is Status.FINISHED and start < 1.1 * UNIFORM and end > 15 * UNIFORM
    words = text.end_verdict("as set", log)
    assert "worse than guessing" in words and "step size is too large" in words
    assert f"**{end:.4g}**" in words and f"rose from {start:.4g}" in words
    assert f"{end / UNIFORM:.3g} times" in words and "learning rate 10" in words


def test_a_loss_still_coming_down_is_not_blamed_on_the_step_size():
    """Confidently wrong at the start (readout at full size): after a few steps the loss
    is still far above -ln(1/27) but falling; the words say so, not that the step is
    too large."""
    spec = NetworkSpec(activation="tanh", depth=5, width=100, weight_var=0.1)
    log = train(spec, TrainConfig(steps=4, lr=0.01, eval_every=2))
    start, end = log.valid_loss[0], log.valid_loss[-1]
    assert end > 1.5 * UNIFORM and end < start
    words = text.end_verdict("as set", log)
    assert "worse than guessing" in words and "too large" not in words
    assert f"down from {start:.4g}" in words


def test_a_run_that_learns_gets_no_verdict():
    log = train(SMALL.replace(width=32), TrainConfig(steps=200, batch=32))
    assert log.valid_loss[-1] < 1.5 * UNIFORM
    assert text.end_verdict("as set", log) is None

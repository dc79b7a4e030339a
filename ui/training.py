"""Live training for the Training page: runs advance in chunks between redraws, a Stop
button ends them early, finished runs' summaries (core.train.Trainer.summary: the
curves and statistics drawn, no parameter set) are kept in the bounded cache (ui.cache),
and across every session only one slice of steps trains at a time.

A chunk is sized to take about CHUNK_SECONDS between redraws (the first one a few steps,
so the first curve shows fast). It trains in slices of about SLICE_SECONDS, and between
slices the script yields to Streamlit: a new setting, a tab or the Stop button asks for a
rerun, which ends the running script there (Streamlit's own check, the one its caches
use while they wait), not at the chunk's redraw up to a second later. The Stop button's
new run finds the button pressed and shows the runs as far as they got (kept in the
session), with a button to resume them.

Streamlit starts that new run at once, while the old one trains on to its next check
(its fast reruns), so both threads can hold the session's trainers: a slice trains them
under the session's lock, and a run reads them only under it, between two whole steps
(a step's validation point is taken inside the step).

The trainers' memory is reserved in the server's ledger (ui.training_ledger) by
ui.training_request before they exist, and the session keeps that reservation while its
trainers live: released when they finish, fail, are stopped (a stopped run keeps its
curves, not its trainers; Resume trains it again from the start) or are replaced, and
with the session when it goes.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import streamlit as st

from core.spec import NetworkSpec
from core.train import TrainConfig, Trainer, TrainLog

from . import cache, compute, load

FIRST_CHUNK_SECONDS = 0.15
FIRST_CHUNK_STEPS = 10
SLICE_SECONDS = 0.05
# The browser redraws every chart it is sent from scratch (a new chart each time: Plotly's
# newPlot), and it handles the messages in order: charts sent faster than it draws them
# pile up, and a new setting's first curve waits behind them. So the first curve goes
# out alone, the chunks then grow from CHUNK_SECONDS by CHUNK_GROWTH up to
# MAX_CHUNK_SECONDS, and the open tab's charts go out at most every TAB_SECONDS (and at
# the end). `python -m bench.browser_training` times, in a real Chromium, a new
# setting's first curve and the end of its run.
CHUNK_SECONDS = 0.8
CHUNK_GROWTH = 1.5
MAX_CHUNK_SECONDS = 3.0
TAB_SECONDS = 3.0
# One slice at a time for the whole server: a class training at once shares one core,
# and every other page keeps the other. Slices, not chunks: a session whose new setting
# waits for the slot waits for one slice, not for another session's whole chunk.
TRAINING_SLOT = threading.Lock()


class _Count:
    """How many scripts of this process are training now (train_chunk reads it)."""

    def __init__(self):
        self.value = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.value += n


# Training yields to the other pages: while more scripts run than train, a slice is
# followed by a pause as long as itself, the slot still held, so that all training
# together takes at most about half of the interpreter from pages computing.
_training = _Count()
_LIVE = "_train_live"
_RESERVED = "_train_reserved"


@dataclass(frozen=True)
class Run:
    label: str
    spec: NetworkSpec
    config: TrainConfig


# draw(logs, stage): stage "loss" (the loss curve only), "live" (every chart) or "final"
Draw = Callable[[dict[str, TrainLog], str], None]


def train_runs(runs: list[Run], status, draw: Draw) -> dict[str, TrainLog]:
    """Every run's log: from the cache, or trained now with `draw(logs, finished)` after
    each chunk; `status` is the container for the progress bar and the Stop button."""
    logs = {r.label: cache.finished_run(r.spec, r.config) for r in runs}
    todo = [r for r in runs if logs[r.label] is None]
    if not todo:
        st.session_state.pop(_LIVE, None)
        release_reservation()
        return logs
    live = _live_state(todo)
    if live["stopped"]:
        return logs | _stopped(todo, live, status)
    try:
        with training():
            return logs | _train_live(todo, live, status, draw, logs)
    except Exception:               # not a rerun (a BaseException): the trainers go
        st.session_state.pop(_LIVE, None)
        release_reservation()
        raise


def _stopped(todo: list[Run], live: dict, status) -> dict[str, TrainLog]:
    """The stopped runs as far as they got; their trainers (and reservation) go."""
    if live["trainers"] is not None:
        # the stopped run may still be in a slice; BatchNorm's losses by batch size
        with training_slot(), live["lock"]:
            live["partial"] = {r.label: live["trainers"][r.label].summary() for r in todo}
            live["step"] = min(t.step for t in live["trainers"].values())
        live["trainers"] = None
        release_reservation()
    status.info(f"Stopped at step {live['step']} of {todo[0].config.steps}. The charts show "
                f"the runs as far as they got; their memory went back to the server.",
                icon=":material/pause_circle:")
    status.button("Train again from step 0", key="train_resume")
    return live["partial"]


def paused() -> bool:
    """This session's runs are stopped, and Resume not pressed."""
    live = st.session_state.get(_LIVE)
    return bool(live and live["stopped"] and not st.session_state.get("train_resume"))


def reservation():
    """This session's reservation in the server's ledger (held or released), if any."""
    return st.session_state.get(_RESERVED)


def keep_reservation(new) -> None:
    """Hold `new` (a ui.training_ledger.Reservation) for this session's trainers (until
    release_reservation, or the session goes: the reservation's finalizer)."""
    st.session_state[_RESERVED] = new


def release_reservation() -> None:
    """Give this session's reservation back to the server's ledger, if it has one."""
    held = st.session_state.get(_RESERVED)
    if held is not None:
        held.release()


def _live_state(todo: list[Run]) -> dict:
    """This session's unfinished runs: the same ones as before (resumed, or stopped), or
    new trainers when the settings changed."""
    key = tuple((r.label, r.spec, r.config) for r in todo)
    live = st.session_state.get(_LIVE)
    if live is None or live["key"] != key:
        live = {"key": key, "stopped": False, "lock": threading.Lock(), "trainers": None}
    if st.session_state.get("train_resume"):
        live["stopped"] = False
    elif st.session_state.get("train_stop"):
        live["stopped"] = True
    if live["trainers"] is None and not (live["stopped"] and "partial" in live):
        live["trainers"] = {r.label: Trainer(r.spec, r.config) for r in todo}
        live.pop("partial", None)
    st.session_state[_LIVE] = live
    return live


def _train_live(todo: list[Run], live: dict, status, draw: Draw, cached: dict) -> dict:
    trainers, lock = live["trainers"], live["lock"]
    total = todo[0].config.steps
    with status:
        stop = st.empty()
        stop.button("Stop training", key="train_stop", type="primary")
        bar = st.progress(0.0, text="Starting…")
    chunk, limit, count, per_slice = FIRST_CHUNK_STEPS, FIRST_CHUNK_SECONDS, 0, 1
    tab_drawn = -math.inf
    while not all(t.done for t in trainers.values()):
        start = time.perf_counter()
        per_slice = train_chunk(list(trainers.values()), chunk, per_slice, lock=lock)
        took = max(time.perf_counter() - start, 1e-3)
        chunk = max(1, int(chunk * min(limit / took, 4.0)))
        with lock:
            step = min(t.step for t in trainers.values())
            now = {label: t.log() for label, t in trainers.items()}
        bar.progress(min(step / max(total, 1), 1.0), text=f"Step {step} of {total}")
        start = time.perf_counter()
        stage = "live" if count and start - tab_drawn >= TAB_SECONDS else "loss"
        tab_drawn = start if stage == "live" else tab_drawn
        draw(cached | now, stage)
        # drawing takes at most about a quarter of the time: training stays the work
        limit = max(min(CHUNK_SECONDS * CHUNK_GROWTH**count, MAX_CHUNK_SECONDS),
                    3 * (time.perf_counter() - start))
        count += 1
    with training_slot(), lock:       # BatchNorm's losses by batch size are computed here
        logs = {label: t.summary() for label, t in trainers.items()}
    for r in todo:
        cache.keep_run(r.spec, r.config, logs[r.label])
    st.session_state.pop(_LIVE, None)
    release_reservation()
    stop.empty()
    bar.empty()
    return logs


def train_chunk(trainers: list[Trainer], steps: int, per_slice: int = 1,
                yield_check=None, lock=None) -> int:
    """`steps` more steps of every trainer, in slices of about SLICE_SECONDS (the first
    `per_slice` steps), each under the server's one training slot and under `lock` (the
    session's, which readers of the trainers take); between slices (and while waiting for
    the slot) `yield_check` (this script run's, by default) ends the run if a rerun is
    asked for. Returns the steps of a slice at the pace measured."""
    check = yield_check or compute.run_check()
    done = 0
    while done < steps and not all(t.done for t in trainers):
        n = min(per_slice, steps - done)
        with training_slot(check):
            start = time.perf_counter()
            with lock or contextlib.nullcontext():
                for t in trainers:
                    t.run(n)
            took = time.perf_counter() - start
            if load.running_scripts() > _training.value:    # a page is computing: let it,
                time.sleep(min(took, SLICE_SECONDS))     # slot held, so no one trains
        done += n
        # the next slice's steps from this one's pace, at most doubling
        per_slice = max(1, min(2 * per_slice, int(n * SLICE_SECONDS / max(took, 1e-4))))
        check()
    return per_slice


@contextlib.contextmanager
def training_slot(yield_check=None):
    """Hold the server's one training slot; while waiting for it, `yield_check` (this
    script run's, by default) ends the run if a rerun is asked for."""
    check = yield_check or compute.run_check()
    while not TRAINING_SLOT.acquire(timeout=SLICE_SECONDS):
        check()
    try:
        yield
    finally:
        TRAINING_SLOT.release()


@contextlib.contextmanager
def training():
    """Count this script as training while it trains (see train_chunk)."""
    _training.add(1)
    try:
        yield
    finally:
        _training.add(-1)


def thinned(count: int, most: int) -> np.ndarray:
    """At most `most` indices spread evenly over range(count), the last one kept (what a
    live chart redraws while a run trains).

    >>> thinned(100, 4).tolist(), thinned(3, 4).tolist()
    ([0, 33, 66, 99], [0, 1, 2])
    """
    return np.unique(np.linspace(0, count - 1, min(count, most)).round().astype(int))

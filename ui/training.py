"""Live training for the Training page: runs advance in chunks between redraws, a Stop
button ends them early, finished runs are kept in the bounded cache (ui.cache), and
across every session only one chunk trains at a time.

A chunk is sized to take about CHUNK_SECONDS (the first one less, so the first curve
shows fast). The Stop button works through Streamlit's own rerun: clicking it asks for
a rerun, which interrupts the running script at its next redraw; the new run finds
the button pressed and shows the runs as far as they got (kept in the session), with
a button to resume them.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

import streamlit as st

from core.spec import NetworkSpec
from core.train import TrainConfig, Trainer, TrainLog

from . import cache

FIRST_CHUNK_SECONDS = 0.15
CHUNK_SECONDS = 0.8
FIRST_CHUNK_STEPS = 10
# The browser redraws every chart it is sent, from scratch: the open tab's charts go out
# every this many chunks, the loss curve every chunk, so a slow machine keeps up (and
# the Stop click gets through).
TAB_EVERY = 3
# One chunk at a time for the whole server: a class training at once shares one core,
# and every other page keeps the other.
TRAINING_SLOT = threading.Lock()
_LIVE = "_train_live"


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
        return logs
    live = _live_state(todo)
    if live["stopped"]:
        partial = {r.label: live["trainers"][r.label].log() for r in todo}
        step = min(t.step for t in live["trainers"].values())
        status.info(f"Stopped at step {step} of {todo[0].config.steps}. The charts show the "
                    f"runs as far as they got.", icon=":material/pause_circle:")
        status.button("Resume training", key="train_resume")
        return logs | partial
    return logs | _train_live(todo, live, status, draw, logs)


def _live_state(todo: list[Run]) -> dict:
    """This session's unfinished runs: the same ones as before (resumed, or stopped), or
    new trainers when the settings changed."""
    key = tuple((r.label, r.spec, r.config) for r in todo)
    live = st.session_state.get(_LIVE)
    if live is None or live["key"] != key:
        live = {"key": key, "stopped": False,
                "trainers": {r.label: Trainer(r.spec, r.config) for r in todo}}
    if st.session_state.get("train_resume"):
        live["stopped"] = False
    elif st.session_state.get("train_stop"):
        live["stopped"] = True
    st.session_state[_LIVE] = live
    return live


def _train_live(todo: list[Run], live: dict, status, draw: Draw, cached: dict) -> dict:
    trainers = live["trainers"]
    total = todo[0].config.steps
    with status:
        stop = st.empty()
        stop.button("Stop training", key="train_stop", type="primary")
        bar = st.progress(0.0, text="Starting…")
    chunk, limit, count = FIRST_CHUNK_STEPS, FIRST_CHUNK_SECONDS, 0
    while not all(t.done for t in trainers.values()):
        start = time.perf_counter()
        with TRAINING_SLOT:
            for t in trainers.values():
                t.run(chunk)
        took = max(time.perf_counter() - start, 1e-3)
        chunk = max(1, int(chunk * min(limit / took, 4.0)))
        step = min(t.step for t in trainers.values())
        bar.progress(min(step / max(total, 1), 1.0), text=f"Step {step} of {total}")
        start = time.perf_counter()
        stage = "live" if count % TAB_EVERY == 0 else "loss"
        count += 1
        draw(cached | {label: t.log() for label, t in trainers.items()}, stage)
        # drawing takes at most about a quarter of the time: training stays the work
        limit = max(CHUNK_SECONDS, 3 * (time.perf_counter() - start))
    logs = {label: t.log() for label, t in trainers.items()}
    for r in todo:
        cache.keep_run(r.spec, r.config, logs[r.label])
    st.session_state.pop(_LIVE, None)
    stop.empty()
    bar.empty()
    return logs

"""A visitor's own sigma_w^2 column of the trainability grid, trained live on the Depth
scales page: the grid's setup (core.experiments.trainability) at the sidebar's sigma_w^2,
one seed and the depths its budget (capacity.LIVE_COLUMN_MACS) affords, spread from the
shallowest to the deepest.

It trains the way the Training page does (ui.training): cell after cell, in slices of
the server's one training slot (`training.train_chunk`), yielding to a rerun between
slices and to the other pages while they compute, so a class on the other pages is never
held up and two visitors' columns take turns. The progress bar moves after every chunk;
the chart is redrawn as each cell finishes. Its memory is reserved in the server's
ledger (ui.training_ledger) before it starts, as a Training request's is, and given back
when it finishes, is stopped or replaced, or goes with the session. The job lives in the
session (a rerun, a tab left and come back to, picks it up where it was); a finished
column is kept in the bounded cache for every visitor (ui.cache.keep_column).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from typing import Callable

import streamlit as st

from core.experiments import depth_scales, trainability
from core.train import Status, Trainer, macs_per_step, memory_bytes, valid_loss

from . import cache, capacity, training, training_request

JOB = "_depth_column_job"
START, STOP = "depth_column_train", "depth_column_stop"
CHUNK_STEPS = 25               # steps between two moves of the progress bar
MAX_MACS = capacity.LIVE_COLUMN_MACS


@dataclass(frozen=True)
class Plan:
    """What a live column trains: the grid's setup with its first seed, at sigma_w2."""
    sigma_w2: float
    depths: tuple[int, ...]
    setup: trainability.Setup

    @property
    def macs(self) -> float:
        return trainability.column_macs(self.depths, self.setup)

    @property
    def nbytes(self) -> float:
        """Peak memory of its training (one trainer alive at a time, the deepest the
        largest), reserved in the server's ledger (ui.training_ledger) while it trains."""
        deepest = trainability.cell_spec(max(self.depths), self.sigma_w2, self.setup)
        return memory_bytes([deepest], trainability.train_config(self.setup))


def plan(sigma_w2: float, grid: trainability.Grid, max_macs: float | None = None) -> Plan:
    """The column `max_macs` (default MAX_MACS) affords at this sigma_w2."""
    setup = replace(grid.setup, seeds=grid.setup.seeds[:1])
    depths = depth_scales.spread_within(
        grid.depths, lambda d: trainability.run_macs(d, setup),
        MAX_MACS if max_macs is None else max_macs)
    return Plan(float(sigma_w2), depths, setup)


def finished(p: Plan) -> tuple | None:
    return cache.finished_column(p.sigma_w2, p.depths, p.setup)


def column(p: Plan, status, draw: Callable[[dict[int, float]], None]) -> dict[int, float]:
    """The column's losses by depth: kept, training now (the button was pressed, or a
    job for this plan runs; `draw(losses)` after each cell, the bar and the Stop button
    in `status`, an st.empty() emptied when it is done), or none yet (the Start button
    in `status`)."""
    kept = finished(p)
    if kept is not None:
        return dict(zip(p.depths, kept))
    job = st.session_state.get(JOB)
    if st.session_state.get(STOP):
        _drop()
        job = None
    elif job is not None and job["plan"] != p:
        _drop()
        job = None
    if job is None:
        if not status.button(_start_label(p), key=START, icon=":material/play_arrow:",
                             type="primary"):
            return {}
        with status:
            held = training_request.hold(lambda room: (p, p.nbytes), lambda: p.nbytes)
        job = st.session_state[JOB] = {"plan": p, "losses": {}, "trainer": None,
                                       "lock": threading.Lock(), "memory": held}
    return _train(job, status, draw)


def _drop() -> None:
    """End this session's job: its trainer goes, and its memory back to the ledger."""
    job = st.session_state.pop(JOB, None)
    if job is not None:
        job["memory"].release()


def _start_label(p: Plan) -> str:
    return (f"Train σ_w² = {p.sigma_w2:.3g} at depths {', '.join(map(str, p.depths))} "
            f"(the grid's network, one seed)")


def _train(job: dict, status, draw) -> dict[int, float]:
    p = job["plan"]
    with status.container():
        st.button("Stop", key=STOP, icon=":material/stop:")
        bar = st.progress(_share(job), text=_progress_text(job))
    with training.training():
        for depth in p.depths:
            if depth in job["losses"]:
                continue
            trainer = job["trainer"]
            if trainer is None or trainer.spec.depth != depth:
                trainer = job["trainer"] = Trainer(
                    trainability.cell_spec(depth, p.sigma_w2, p.setup, p.setup.seeds[0]),
                    trainability.train_config(p.setup))
            per_slice = 1
            while not trainer.done:
                per_slice = training.train_chunk([trainer], CHUNK_STEPS, per_slice,
                                                 lock=job["lock"])
                bar.progress(_share(job), text=_progress_text(job))
            with job["lock"]:
                job["losses"][depth] = final_loss(trainer)
                job["trainer"] = None
            draw(dict(job["losses"]))
    losses = tuple(job["losses"][d] for d in p.depths)
    cache.keep_column(p.sigma_w2, p.depths, p.setup, losses)
    _drop()
    status.empty()
    return dict(zip(p.depths, losses))


def final_loss(trainer: Trainer) -> float:
    """The run's final validation loss, as the stored grid scores it
    (core.experiments.trainability.train_cell): at the last step, or, for a run that
    diverged, of its last finite parameters (possibly inf)."""
    log = trainer.log(params=trainer.failed_at is not None)
    if log.status is Status.FINISHED:
        return float(log.valid_loss[-1])
    return float(valid_loss(log, examples=len(trainer.valid[1])))


def _share(job: dict) -> float:
    """The share of the column's multiply-adds done."""
    p = job["plan"]
    done = sum(trainability.run_macs(d, p.setup) for d in job["losses"])
    trainer = job["trainer"]
    if trainer is not None:
        done += trainer.step * macs_per_step(trainer.spec, p.setup.batch)
    return min(1.0, done / max(p.macs, 1.0))


def _progress_text(job: dict) -> str:
    p, trainer = job["plan"], job["trainer"]
    cells = f"{len(job['losses'])} of {len(p.depths)} depths done"
    if trainer is None:
        return cells
    return f"{cells}; depth {trainer.spec.depth}: step {trainer.step} of {p.setup.steps}"

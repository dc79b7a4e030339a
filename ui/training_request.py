"""What the Training page is asked to train: its own controls (steps, learning rate,
batch, optimizer, the comparisons) read, the sidebar's network adapted to the task, and
the whole request fitted to the per-request budget, with a note for every change.
"""

from __future__ import annotations

import streamlit as st

from core import train
from core.experiments import training as story

from . import cache, capacity, compute, controls, training
from .controls import Control, Settings
from .labels import OPTIMIZER_LABELS, fix_notes, server_wait_note, train_budget_notes
from .training import Run
from .training_ledger import LEDGER

# Learning rates on a log grid, four steps a decade from 1e-4 to 10.
LEARNING_RATES = tuple(float(f"{10 ** (k / 4):.3g}") for k in range(-16, 5))
STEPS = (100, 200, 500, 1000, 2000, 3000, 5000, 10000, 20000)
BATCHES = (1, 2, 3, 4, 8, 16, 32, 64, 128, 256)
# How long a request waiting for the server's memory sleeps between two looks (it also
# wakes when a reservation is released).
WAIT_SECONDS = 0.25

STEPS_C = Control("train_steps", "Steps", "steps", 2000, options=STEPS)
LR_C = Control("train_lr", "Learning rate", "steps", 0.1, options=LEARNING_RATES,
               help="On a log scale. Karpathy trains this network with SGD at 0.1.")
BATCH_C = Control("train_batch", "Batch size", "steps", 32, options=BATCHES)
OPT_C = Control("train_opt", "Optimizer", "select", "sgd", options=tuple(OPTIMIZER_LABELS),
                labels=OPTIMIZER_LABELS)
COMPARE_C = Control("train_compare", "Compare: readout × 0.01, then the recommended init",
                    "toggle", False,
                    help="Trains the same network twice more: with the last layer scaled "
                         "by 0.01, and with that and Kaiming init at the activation's gain.")
NORM_C = Control("train_norm", "Compare: with and without BatchNorm", "toggle", False)


def read(settings: Settings):
    """(spec, runs, notes): the page's controls read, every run fitted to the task
    (core.train.fit_runs) and the whole request to the per-request budget and to what
    other visitors' training leaves of the server's (ui.training_ledger); `spec` is the
    first run's."""
    cols = st.columns(4)
    steps = controls.page_control(STEPS_C, cols[0])
    lr = controls.page_control(LR_C, cols[1])
    batch = controls.page_control(BATCH_C, cols[2])
    optimizer = controls.page_control(OPT_C, cols[3])
    left, right = st.columns(2)
    compare = controls.page_control(COMPARE_C, left)
    with_norm = controls.page_control(NORM_C, right)
    spec, batch, fixes = train.fit_request(settings.spec, batch)
    notes = fix_notes(fixes)
    specs, batch, run_fixes = train.fit_runs(requested(spec, compare, with_norm), batch)
    notes += comparison_notes(run_fixes, batch)
    config = train.TrainConfig(steps=steps, batch=batch, lr=lr, optimizer=optimizer,
                               record_every=train.record_every_for(steps))
    fitted, fitted_config, budget, limit = fit_to_server(list(specs.values()), config)
    notes += budget_notes(budget, list(specs.values()), config, fitted, limit)
    runs = [Run(label, s, fitted_config) for label, s in zip(specs, fitted)]
    return runs[0].spec, runs, notes


def fit_to_server(specs: list, config) -> tuple:
    """(specs, config, fixes, limit): the request within `limit` bytes, the per-request
    budget or less. Already trained at the full budget: from the cache, nothing reserved.
    This session's reservation for the same request is kept while it trains, is stopped
    or is finished; any other is released, and a new one fitted to what is left of the
    server's (waiting, with a note, while not even the smallest fit has room)."""
    full = (*_fit(specs, config, capacity.TRAIN_REQUEST_BYTES), capacity.TRAIN_REQUEST_BYTES)
    held = training.reservation()
    if _all_cached(full):
        training.release_reservation()
        return full
    asked = (tuple(specs), config)
    if held is not None and held.value[0] == asked and (
            held.held or training.paused() or _all_cached(held.value[1])):
        return held.value[1]
    training.release_reservation()
    reservation = reserve(specs, config, asked)
    training.keep_reservation(reservation)
    return reservation.value[1]


def _all_cached(fit: tuple) -> bool:
    specs, config = fit[0], fit[1]
    return all(cache.finished_run(s, config) is not None for s in specs)


def reserve(specs: list, config, asked=None, yield_check=None):
    """A reservation in the server's ledger whose value is (asked, (specs, config, fixes,
    limit)): fitted to min(capacity.TRAIN_REQUEST_BYTES, what is left), waiting while
    even the smallest fit has no room (saying so on the page); a newer setting ends the
    wait (`yield_check`, this script run's by default)."""
    def fit(room):
        limit = capacity.TRAIN_REQUEST_BYTES
        fitted, fitted_config, fixes = _fit(specs, config, limit)
        if train.memory_bytes(fitted, fitted_config) > room:     # others' training cuts it
            limit = max(0.0, min(capacity.TRAIN_REQUEST_BYTES, room))
            fitted, fitted_config, fixes = _fit(specs, config, limit)
        return ((asked, (fitted, fitted_config, fixes, limit)),
                train.memory_bytes(fitted, fitted_config))

    def smallest():
        fitted = _fit(specs, config, 0)
        return train.memory_bytes(fitted[0], fitted[1])
    return hold(fit, smallest, yield_check)


def hold(fit, needs, yield_check=None):
    """LEDGER.reserve(fit), waiting while it finds no room (saying on the page how much
    is held and that `needs()` bytes are needed); a newer setting ends the wait
    (`yield_check`, this script run's by default)."""
    reservation = LEDGER.reserve(fit)
    if reservation is not None:
        return reservation
    check = yield_check or compute.run_check()
    needs = needs()
    with st.empty():
        st.info(server_wait_note(LEDGER.reserved(), LEDGER.total, needs),
                icon=":material/hourglass:")
        while reservation is None:
            LEDGER.wait(WAIT_SECONDS)
            check()
            reservation = LEDGER.reserve(fit)
    return reservation


def _fit(specs: list, config, max_bytes: float) -> tuple:
    """core.train.fit_budget within a request's multiply-adds and `max_bytes`."""
    return train.fit_budget(specs, config, capacity.TRAIN_REQUEST_MACS, max_bytes)


def requested(spec, compare: bool, with_norm: bool) -> dict:
    """{label: spec}: the sidebar's network, and the comparisons switched on."""
    specs = dict(story.comparisons(spec)) if compare else {"as set": spec}
    if with_norm:
        label, s = story.norm_comparison(spec)
        specs[label] = s
    return specs


def comparison_notes(run_fixes: dict, batch: int) -> list[str]:
    """What the comparisons' own fitting changed beyond the sidebar network's (already
    noted): a shared batch raised for BatchNorm, or a fix to one comparison."""
    first, *others = run_fixes
    notes = []
    for label in others:
        for fix in run_fixes[label]:
            if fix in run_fixes[first]:
                continue
            if fix.why == "batch_needs_two":
                notes.append(f"Every run trains at batch {batch} instead of {fix.asked}: the "
                             f"comparison “{label}” has BatchNorm, which needs more than one "
                             f"value per channel, and the runs compare on the same examples.")
            else:
                notes += [f"“{label}”: {note}" for note in fix_notes([fix])]
    return notes


def budget_notes(fixes, specs, config, fitted,
                 limit: float = capacity.TRAIN_REQUEST_BYTES) -> list[str]:
    """The budget's changes in words: a narrower width or smaller batch for memory
    (with the estimate that asked for it, and whether the per-request budget or other
    visitors' training set `limit`), fewer steps or validation examples for time."""
    parts = []
    for fix in fixes:
        if fix.field == "width" and fix.why == "train_budget":
            factor = fitted[0].readout_scale / specs[0].readout_scale
            parts.append(f"width {fix.used} instead of {fix.asked} (same fan_in × Var(W), and "
                         f"the last layer × {factor:.3g} to keep the logits' spread)")
        elif fix.field == "batch" and fix.why == "train_budget":
            parts.append(f"batch {fix.used} instead of {fix.asked}")
    notes = []
    if parts:
        asked = train.memory_bytes(specs, config) / 2**20
        notes.append(f"This request would hold about {asked:,.0f} MB while it trains (the "
                     f"weights, the optimizer's state, the activations kept for backprop); "
                     f"to stay within {limit / 2**20:,.0f} MB{_whose(limit)}, training "
                     f"uses " + " and ".join(parts) + ".")
    notes += fix_notes([f for f in fixes if f.why == "groups_divide_width"])
    return notes + train_budget_notes([f for f in fixes if f.field in ("steps", "valid_examples")])


def _whose(limit: float) -> str:
    """Why the memory budget is `limit`: the per-request one, or what others left."""
    if limit >= capacity.TRAIN_REQUEST_BYTES:
        return ""
    return (f", what other visitors' training leaves of the {LEDGER.total / 2**20:,.0f} MB "
            f"the server trains in at once (alone, a request gets "
            f"{capacity.TRAIN_REQUEST_BYTES / 2**20:,.0f} MB)")

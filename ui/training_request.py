"""What the Training page is asked to train: its own controls (steps, learning rate,
batch, optimizer, the comparisons) read, the sidebar's network adapted to the task, and
the whole request fitted to the per-request budget, with a note for every change.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from core import train
from core.experiments import training as story

from . import controls
from .controls import Control, Settings
from .labels import fix_notes, train_budget_notes
from .training import Run

# Learning rates on a log grid, four steps a decade from 1e-4 to 10.
LEARNING_RATES = tuple(float(f"{10 ** (k / 4):.3g}") for k in range(-16, 5))
STEPS = (100, 200, 500, 1000, 2000, 3000, 5000, 10000, 20000)
BATCHES = (1, 2, 3, 4, 8, 16, 32, 64, 128, 256)
OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "SGD, momentum 0.9", "adam": "Adam"}
# One request trains at most this many multiply-adds (every run together): about two
# default runs. Heavier settings train fewer steps, and the page says so.
MAX_TRAIN_MACS = 1e11

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
    """(spec, runs, notes): the page's controls read, checked and fitted to the
    per-request budget."""
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
    config = train.TrainConfig(steps=steps, batch=batch, lr=lr, optimizer=optimizer,
                               record_every=train.record_every_for(steps))
    runs = runs_for(spec, config, compare, with_norm)
    config, fixes = train.fit_budget(spec, config, len(runs), MAX_TRAIN_MACS)
    if fixes:
        config = replace(config, record_every=train.record_every_for(config.steps))
        notes += train_budget_notes(fixes)
    return spec, runs_for(spec, config, compare, with_norm), notes


def runs_for(spec, config, compare: bool, with_norm: bool) -> list[Run]:
    """The sidebar's network, and the comparisons switched on, all with one config."""
    specs = story.comparisons(spec) if compare else {"as set": spec}
    runs = [Run(label, s, config) for label, s in specs.items()]
    if with_norm:
        label, s = story.norm_comparison(spec)
        runs.append(Run(label, s, config))
    return runs

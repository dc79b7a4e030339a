"""Cached calls into the core, keyed on a spec's scalar fields, bounded in size.

A class of students trying hundreds of settings fills at most MAX_ENTRIES results per
function; the oldest are dropped first, so the server's memory stays flat.
"""

from __future__ import annotations

from dataclasses import asdict, replace

import streamlit as st

from core import NetworkSpec, Result, norms, phase, simulate, theory
from core.experiments import batch_dependence, init_lineup, norm_lineup, readout, running_stats
from core.theory import Prediction

MAX_ENTRIES = 32


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _simulate(**fields) -> Result:
    return simulate(NetworkSpec(**fields))


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _predict(anchor: float, **fields) -> Prediction:
    return theory.predict(NetworkSpec(**fields), anchor)


def result(spec: NetworkSpec) -> Result:
    return _simulate(**asdict(spec))


def prediction(spec: NetworkSpec, anchor_log10_grad_var: float = 0.0) -> Prediction:
    return _predict(float(anchor_log10_grad_var), **asdict(spec))


# -- gradient flow, initialization and normalization pages -----------------------------
# Every comparison view computes all of its variants in one cached call. Lineups hold
# several runs per entry, so they keep fewer entries and drop the heatmap samples.

LINEUP_ENTRIES = 12


def _slim(res: Result) -> Result:
    """A run without its heatmap samples (the comparison pages draw curves only)."""
    return replace(res, map_values=res.map_values[:, :0, :0], tensors=None)


@st.cache_data(max_entries=16, show_spinner=False)
def critical_line(activation: str, sigma_b2_max: float = 1.0):
    """(sigma_b2, sigma_w2) along chi1 = 1 for an activation (core.phase)."""
    return phase.critical_line(activation, sigma_b2_max)


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def phase_point(activation: str, sigma_w2: float, sigma_b2: float) -> phase.PhasePoint:
    """chi1 at the fixed point, the phase, and the critical sigma_w2 at this bias variance."""
    line = critical_line(activation, max(1.0, sigma_b2))
    return phase.phase_point(activation, sigma_w2, sigma_b2, line)


@st.cache_data(max_entries=LINEUP_ENTRIES, show_spinner=False)
def _schemes(**fields):
    return init_lineup.run_schemes_within_budget(NetworkSpec(**fields))


def schemes(spec: NetworkSpec):
    """The spec under every init scheme: ({scheme: Profile}, note or None)."""
    return _schemes(**asdict(spec))


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _readout_sweep(scales: tuple, **fields):
    return readout.readout_sweep(NetworkSpec(**fields), scales)


def readout_sweep(spec: NetworkSpec, scales) -> "readout.ReadoutSweep":
    """The initial loss at every readout scale, from one forward pass (core.readout)."""
    return _readout_sweep(tuple(float(s) for s in scales), **asdict(spec))


@st.cache_data(max_entries=LINEUP_ENTRIES, show_spinner=False)
def _norm_lineup(lineup_groups: int, **fields):
    return norm_lineup.run_lineup(NetworkSpec(**fields), lineup_groups)


def norm_lineup_runs(spec: NetworkSpec, groups: int) -> "norm_lineup.Lineup":
    """The spec under none/batch/layer/group/instance/rms, adjusted where needed."""
    return _norm_lineup(int(groups), **asdict(spec))


@st.cache_data(max_entries=LINEUP_ENTRIES, show_spinner=False)
def _affine(affine_norm: str, gamma: float, beta: float, lineup_groups: int, **fields):
    lineup = norm_lineup.run_affine(NetworkSpec(**fields), affine_norm, gamma, beta,
                                    lineup_groups)
    return replace(lineup, results={k: _slim(v) for k, v in lineup.results.items()})


def affine_runs(spec: NetworkSpec, norm: str, gamma: float, beta: float,
                groups: int) -> "norm_lineup.Lineup":
    """No norm / norm with gamma 1, beta 0 / norm with the chosen gamma and beta."""
    return _affine(norm, float(gamma), float(beta), int(groups), **asdict(spec))


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _batch_dependence(lineup_groups: int, **fields):
    return batch_dependence.batch_dependence(NetworkSpec(**fields), groups=lineup_groups)


def batch_dependence_runs(spec: NetworkSpec, groups: int) -> "batch_dependence.BatchDependence":
    """BatchNorm at batch 2, 8, 32, 256 against LayerNorm and GroupNorm, same weights."""
    return _batch_dependence(int(groups), **asdict(spec))


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def _train_eval(k: int, **fields):
    return running_stats.train_eval_within_budget(NetworkSpec(**fields), k)


def train_eval(spec: NetworkSpec, k: int) -> "running_stats.TrainEval":
    """BatchNorm in train mode against eval mode after k batches of running statistics."""
    return _train_eval(int(k), **asdict(spec))


@st.cache_data(max_entries=MAX_ENTRIES, show_spinner=False)
def statistics_sets(kinds: tuple, shape: tuple, cell: tuple, groups: int, examples: tuple,
                    channels: tuple, positions: tuple) -> dict:
    """{kind: bool mask [example, channel, position]} on the pictured sub-grid."""
    return {k: norms.statistics_set(k, shape, cell, groups if k == "group" else 1,
                                    examples, channels, positions) for k in kinds}

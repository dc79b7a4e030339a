"""Cached calls into the core, keyed on the spec's fields, bounded in size.

A class of students trying hundreds of settings fills at most `entries` results per
function; the oldest are dropped first, so the server's memory stays flat. Comparison
views compute all of their variants in one cached call, and hold several runs per
entry, so they keep fewer entries.
"""

from __future__ import annotations

from dataclasses import astuple

import numpy as np
import streamlit as st

from core import NetworkSpec, Result, norms, phase, simulate, theory, train
from core.experiments import (batch_dependence, depth_scales, init_lineup, norm_lineup,
                              readout, running_stats, seeds, trainability)
from core.theory import Prediction
import lessons

from . import capacity, compute
from .pages import CURVES

MAX_ENTRIES = 32
LINEUP_ENTRIES = 12


def cached(entries: int = MAX_ENTRIES, spinner: str | bool = False):
    """st.cache_data, bounded, hashing a NetworkSpec (and a training config) by its field
    values. `spinner`: what a visitor sees while a new setting is computed (a sign of
    life when the server is busy with a class); quick look-ups stay silent. A miss
    computes through ui.compute: in a compute process, or here for small work."""
    return st.cache_data(max_entries=entries, show_spinner=spinner,
                         hash_funcs={NetworkSpec: astuple, train.TrainConfig: astuple})


RUNNING = "Running the network…"
RUNNING_ALL = "Running the comparison…"


@cached(spinner=RUNNING)
def result(spec: NetworkSpec, stats: tuple[str, ...] = CURVES) -> Result:
    """The simulation of `spec` with the statistic groups named (a page's: ui.pages)."""
    return compute.run(simulate, spec, stats=stats)


@cached()
def prediction(spec: NetworkSpec, anchor_log10_grad_var: float = 0.0) -> Prediction:
    return compute.run(theory.predict, spec, float(anchor_log10_grad_var))


@cached()
def facts(spec: NetworkSpec, stats: tuple[str, ...] = CURVES) -> dict[str, str]:
    """The numbers a demo's note or a lesson's text states about `spec` (lessons.facts),
    from the run the page draws (`stats`: its groups) and the prediction, both cached."""
    return lessons.facts(result(spec, stats), prediction(spec))


@cached(16)
def critical_line(activation: str, sigma_b2_max: float = 1.0):
    """(sigma_b2, sigma_w2) along chi1 = 1 for an activation (core.phase)."""
    return compute.run(phase.critical_line, activation, sigma_b2_max)


def phase_point(spec: NetworkSpec, sigma_w2: float | None = None) -> phase.PhasePoint:
    """chi1 at the attractor the spec's input reaches (at its own sigma_w2 unless another
    is given), the phase, and the critical sigma_w2 at its bias variance."""
    return _phase_point(spec.activation, spec.sigma_w2 if sigma_w2 is None else sigma_w2,
                        spec.bias_var, theory.input_q0(spec))


@cached()
def _phase_point(activation: str, sigma_w2: float, sigma_b2: float,
                 q0: float) -> phase.PhasePoint:
    return compute.run(phase.phase_point, activation, sigma_w2, sigma_b2, q0)


@cached(LINEUP_ENTRIES, RUNNING_ALL)
def seed_band(spec: NetworkSpec):
    """The spec under the next few seeds: (per-layer band, what the budget shrank)."""
    return compute.run(seeds.seed_band, spec, limits=capacity.VIEW)


@cached(LINEUP_ENTRIES, RUNNING_ALL)
def schemes(spec: NetworkSpec):
    """The spec under every init scheme: ({scheme: Profile}, note or None)."""
    return compute.run(init_lineup.run_schemes_within_budget, spec, limits=capacity.VIEW)


@cached()
def readout_sweep(spec: NetworkSpec, scales: tuple) -> readout.ReadoutSweep:
    """The initial loss at every readout scale, from one forward pass."""
    return compute.run(readout.readout_sweep, spec, tuple(float(s) for s in scales))


@cached(LINEUP_ENTRIES, RUNNING_ALL)
def norm_lineup_runs(spec: NetworkSpec, groups: int) -> norm_lineup.Lineup:
    """The spec under none/batch/layer/group/instance/rms, adjusted where needed."""
    return compute.run(norm_lineup.run_lineup, spec, int(groups), limits=capacity.VIEW)


@cached(LINEUP_ENTRIES, RUNNING_ALL)
def affine_runs(spec: NetworkSpec, norm: str, gamma: float, beta: float,
                groups: int) -> norm_lineup.Lineup:
    """No norm / norm with gamma 1, beta 0 / norm with the chosen gamma and beta."""
    return compute.run(norm_lineup.run_affine, spec, norm, float(gamma), float(beta),
                       int(groups), limits=capacity.VIEW)


@cached(spinner=RUNNING_ALL)
def batch_dependence_runs(spec: NetworkSpec, groups: int) -> batch_dependence.BatchDependence:
    """BatchNorm at batch 2, 8, 32, 256 against LayerNorm and GroupNorm, same weights."""
    return compute.run(batch_dependence.batch_dependence, spec, groups=int(groups),
                       limits=capacity.FORWARD_VIEW)


@cached(spinner=RUNNING_ALL)
def train_eval(spec: NetworkSpec, k: int) -> running_stats.TrainEval:
    """BatchNorm in train mode against eval mode after k batches of running statistics."""
    return compute.run(running_stats.train_eval_within_budget, spec, int(k),
                       limits=capacity.FORWARD_VIEW)


@cached()
def statistics_sets(kinds: tuple, shape: tuple, cell: tuple, groups: int, examples: tuple,
                    channels: tuple, positions: tuple) -> dict:
    """{kind: bool mask [example, channel, position]} on the pictured sub-grid."""
    return {k: norms.statistics_set(k, shape, cell, groups if k == "group" else 1,
                                    examples, channels, positions) for k in kinds}


# -- training runs: trained live on the page (ui.training), kept here once finished --------

TRAINING_ENTRIES = 12


class _NotTrained(Exception):
    """No finished run for these settings (an exception: st.cache_data keeps no value)."""


@cached(TRAINING_ENTRIES)
def _training_store(spec: NetworkSpec, config: train.TrainConfig, _log=None) -> train.TrainLog:
    if _log is None:
        raise _NotTrained
    return _log


def finished_run(spec: NetworkSpec, config: train.TrainConfig) -> train.TrainLog | None:
    """The finished training run of these settings, if one is kept."""
    try:
        return _training_store(spec, config)
    except _NotTrained:
        return None


def keep_run(spec: NetworkSpec, config: train.TrainConfig, log: train.TrainLog) -> None:
    """Keep a finished run's summary (core.train.Trainer.summary: no parameter set, at
    most core.train.summary_bytes; the bounded store drops the oldest first)."""
    _training_store(spec, config, _log=log)


# -- the Depth scales page ---------------------------------------------------------------

@cached(LINEUP_ENTRIES, RUNNING_ALL)
def correlations(spec: NetworkSpec, c0: float) -> depth_scales.Correlations:
    """Pairs of inputs with correlation c0 through the spec's network, and the map's c_l."""
    return compute.run(depth_scales.correlations, spec, float(c0))


@cached(LINEUP_ENTRIES, RUNNING_ALL)
def isometry(spec: NetworkSpec) -> depth_scales.Isometry:
    """The Jacobian's spectrum with Gaussian and with orthogonal weights, within budget."""
    return compute.run(depth_scales.isometry, spec, max_flops=capacity.JACOBIAN_FLOPS)


@cached(LINEUP_ENTRIES, RUNNING_ALL)
def finite_width(spec: NetworkSpec) -> depth_scales.FiniteWidth:
    """ln(||x_L||^2 / ||x_0||^2) over draws of the weights, within budget."""
    return compute.run(depth_scales.finite_width, spec,
                       max_weights=capacity.FINITE_WIDTH_WEIGHTS)


def depth_scales_of(spec: NetworkSpec):
    """q*, c*, chi1, chi_c, xi_c, xi_q of the spec's activation, sigma_w2 and sigma_b2."""
    return _depth_scales(spec.activation, spec.sigma_w2, spec.bias_var, theory.input_q0(spec))


@cached()
def _depth_scales(activation: str, sigma_w2: float, sigma_b2: float, q0: float):
    return compute.run(theory.depth_scales, activation, sigma_w2, sigma_b2, q0)


@cached(4)
def xi_c_curve(activation: str, sigma_b2: float, sigma_w2s: tuple) -> np.ndarray:
    """xi_c along sigma_w2 (a trainability grid's curves: the same for every visitor)."""
    return compute.run(depth_scales.xi_c_curve, activation, float(sigma_b2), sigma_w2s)


@st.cache_resource
def trainability_grid(steps: int = trainability.Setup().steps) -> trainability.Grid | str:
    """The stored trainability grid trained `steps` steps, read once; what is wrong with
    it, as text, if it cannot be read (a missing or broken file)."""
    try:
        return trainability.load(trainability.stored(steps))
    except (OSError, ValueError) as e:
        return str(e)


@st.cache_resource
def boundaries() -> tuple[depth_scales.Boundary, ...]:
    """Every stored grid's boundary in units of xi_c (core.experiments.depth_scales.
    boundary_sides), by step count; a grid that cannot be read is left out."""
    out = []
    for steps in trainability.STORED_STEPS:
        grid = trainability_grid(steps)
        if isinstance(grid, str):
            continue
        setup = grid.setup
        xi = xi_c_curve(setup.activation, setup.sigma_b2, tuple(grid.sigma_w2))
        critical = phase.critical_sigma_w2_at(setup.activation, setup.sigma_b2)
        out.append(depth_scales.boundary_sides(grid.depths, grid.sigma_w2, grid.trains, xi,
                                               critical, setup.steps))
    return tuple(out)


@cached(TRAINING_ENTRIES)
def _column_store(sigma_w2: float, depths: tuple, setup: tuple, _losses=None) -> tuple:
    if _losses is None:
        raise _NotTrained
    return _losses


def finished_column(sigma_w2: float, depths: tuple, setup: trainability.Setup) -> tuple | None:
    """The final validation losses of a live trainability column (ui.live_column), one
    per depth, if one is kept."""
    try:
        return _column_store(float(sigma_w2), tuple(depths), astuple(setup))
    except _NotTrained:
        return None


def keep_column(sigma_w2: float, depths: tuple, setup: trainability.Setup,
                losses: tuple) -> None:
    """Keep a finished live column's losses for every visitor (a few floats each)."""
    _column_store(float(sigma_w2), tuple(depths), astuple(setup), _losses=tuple(losses))

"""What training holds in memory, measured with tracemalloc: the page's trainers hold the
parameters and only the optimizer state their optimizer needs, core.train.memory_bytes
bounds what they really allocate, and a finished run's summary (what the page's cache
keeps) is small and within core.train.summary_bytes."""

import gc
import pickle
import tracemalloc

import numpy as np
import pytest

from core import data
from core.propagate import make_params
from core.spec import NetworkSpec
from core.train import (OPTIMIZER_BUFFERS, TrainConfig, Trainer, fit_budget, memory_bytes,
                        param_count, summary_bytes)


def _traced(fn) -> tuple[object, int, int]:
    """(fn's result, bytes it still holds, its peak), by tracemalloc. The data set and
    the engine's shared cache of base draws are loaded first: they are the process's."""
    data.load(0)
    gc.collect()
    tracemalloc.start()
    try:
        out = fn()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return out, current, peak


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_optimizer_state_is_what_the_optimizer_needs(optimizer):
    """SGD keeps no state, momentum one buffer, Adam two, each the parameters' size: a
    new trainer holds the parameters, that state and little else (no copy of the
    initial parameters unless asked for a replay)."""
    spec = NetworkSpec(depth=8, width=256)
    make_params(spec)
    cfg = TrainConfig(steps=10, batch=8, optimizer=optimizer)
    trainer, held, _ = _traced(lambda: Trainer(spec, cfg))
    assert len(trainer.state) == OPTIMIZER_BUFFERS[optimizer]
    params = 8 * param_count(spec)                  # float64
    assert sum(a.nbytes for buf in trainer.state for a in buf) == OPTIMIZER_BUFFERS[optimizer] * params
    expected = (1 + OPTIMIZER_BUFFERS[optimizer]) * params
    assert expected <= held < expected + 0.25 * params


CASES = {
    "deep and wide, four runs side by side (the heavy link, as fitted)": (
        [NetworkSpec(depth=200, width=128, weight_var=0.02, readout_scale=s) for s in (1.4, 0.014)]
        + [NetworkSpec(depth=200, width=128, init="kaiming_normal", readout_scale=0.014),
           NetworkSpec(depth=200, width=128, weight_var=0.02, readout_scale=1.4, norm="batch")],
        TrainConfig(steps=10, batch=256, record_every=1, valid_examples=250), 1),
    "BatchNorm at batch 2, Adam": (
        [NetworkSpec(depth=20, width=64, norm="batch")],
        TrainConfig(steps=30, batch=2, record_every=1, eval_every=5, optimizer="adam"), 30),
    "LayerNorm after, residual, momentum, float64": (
        [NetworkSpec(depth=30, width=192, norm="layer", norm_position="after", residual=True)],
        TrainConfig(steps=20, batch=128, optimizer="momentum", dtype="float64", record_every=1), 4),
    "deep and narrow": (
        [NetworkSpec(depth=1000, width=16, norm="layer")],
        TrainConfig(steps=20, batch=8, record_every=1), 3),
    "the story's network, a long run": (
        [NetworkSpec(depth=5, width=100)], TrainConfig(steps=2000, batch=32), 200),
}


@pytest.mark.parametrize("name", CASES)
def test_memory_estimate_bounds_what_the_trainers_allocate(name):
    """Trainers alive side by side, stepped in turn as the page steps them, then their
    summaries taken (BatchNorm's losses by batch size included): tracemalloc's peak
    stays below memory_bytes, and the estimate is no more than twice the peak."""
    specs, cfg, steps = CASES[name]
    for spec in specs:
        make_params(spec)

    def run():
        trainers = [Trainer(spec, cfg) for spec in specs]
        for _ in range(steps):
            for t in trainers:
                t.run(1)
        return [t.summary() for t in trainers]
    logs, _, peak = _traced(run)
    assert all(log.steps_done >= 1 for log in logs)        # (deep BatchNorm may diverge)
    estimate = memory_bytes(specs, cfg)
    assert peak <= estimate < 2 * peak + 4 * 2**20, (peak / 2**20, estimate / 2**20)


def test_the_heavy_link_fits_the_budget_it_states():
    """depth 200, width 256, batch 256, readout and init comparisons and BatchNorm (four
    runs): asked as is, over 600 MB; fitted to 256 MB, the estimate is below it."""
    spec = NetworkSpec(activation="tanh", weight_var=0.01, depth=200, width=256, seed=1)
    specs = [spec, spec.replace(readout_scale=0.01),
             spec.replace(readout_scale=0.01, init="kaiming_normal"), spec.replace(norm="batch")]
    cfg = TrainConfig(steps=20000, batch=256, record_every=200)
    assert memory_bytes(specs, cfg) > 600 * 2**20
    fitted, fitted_cfg, fixes = fit_budget(specs, cfg, 1e11, 256 * 2**20)
    assert memory_bytes(fitted, fitted_cfg) <= 256 * 2**20
    assert {f.field for f in fixes} >= {"width"}


def test_a_summary_is_small_and_within_its_bound():
    """What the page keeps of a finished run: no parameter set (at depth 200, width 128
    one set is 26 MB), its pickled size within summary_bytes."""
    spec = NetworkSpec(depth=200, width=128, weight_var=0.02, norm="batch")
    cfg = TrainConfig(steps=3, batch=16, record_every=1, valid_examples=250)
    trainer = Trainer(spec, cfg)
    trainer.run(3)
    summary = trainer.summary()
    assert summary.final is None and summary.initial is None and summary.batches is None
    assert summary.batch_mode is not None and np.isfinite(summary.batch_mode.train_mode).all()
    size = len(pickle.dumps(summary))
    assert size <= summary_bytes(spec, cfg) < 1 * 2**20

"""Properties of training at the edges of what a link can ask: every config is a clean
result or a clean ValueError, a reported divergence always has a non-finite loss or
gradient at that step, and the budget never admits a request over its memory limit
(nor one that then allocates more than it)."""

import gc
import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core import data
from core.experiments import training as story
from core.propagate import make_params
from core.spec import MAX_RUN_BYTES, NORMS, NetworkSpec, fit_norm, run_bytes
from core.train import (CONFIG_RANGES, INT_FIELDS, LOSS_LIMIT, Status, TrainConfig, Trainer,
                        all_finite, check_trainable, fit_budget, fit_request, fit_runs, memory_bytes,
                        records_for)

ACTIVATIONS = ("tanh", "relu", "linear", "gelu", "sigmoid")

configs = st.builds(
    TrainConfig,
    steps=st.sampled_from([0, 1, 2, 200_000]),
    batch=st.sampled_from([1, 2, 3, 4096]),
    lr=st.sampled_from([1e-6, 1e-3, 0.1, 10.0, 100.0]),
    optimizer=st.sampled_from(["sgd", "momentum", "adam"]),
    dtype=st.sampled_from(["float32", "float64"]),
    eval_every=st.sampled_from([1, 100_000]),
    record_every=st.sampled_from([1, 100_000]),
    valid_examples=st.sampled_from([2, 300]))

@st.composite
def specs(draw) -> NetworkSpec:
    """Sidebar networks at their edges, made valid by the norm's shape rule as the
    sidebar makes them (core.spec.fit_norm)."""
    values = vars(NetworkSpec()) | dict(
        depth=draw(st.sampled_from([1, 2, 3])), width=draw(st.sampled_from([2, 4, 8, 16])),
        activation=draw(st.sampled_from(ACTIVATIONS)),
        weight_var=draw(st.sampled_from([1e-12, 0.01, 1.0, 1e6])),
        readout_scale=draw(st.sampled_from([1e-6, 0.01, 1.0, 1e3])),
        norm=draw(st.sampled_from(NORMS)), groups=draw(st.sampled_from([1, 2, 16])),
        spatial=draw(st.sampled_from([1, 4])), batch=draw(st.sampled_from([1, 2, 256])),
        norm_position=draw(st.sampled_from(["before", "after"])), residual=draw(st.booleans()))
    return NetworkSpec(**fit_norm(values)[0])


def _check_log(log, config) -> None:
    """A log that says one consistent thing."""
    status = log.status
    assert status in Status
    tried = len(log.loss)
    assert tried == log.steps_done + (log.failed_at is not None)
    ok = log.loss[:log.steps_done]
    assert np.isfinite(ok).all() and (ok < LOSS_LIMIT).all()
    if log.failed_at is not None:
        assert log.failed_at == log.steps_done
        assert status is (Status.CANNOT_START if log.failed_at == 0 else Status.DIVERGED)
    elif log.steps_done == config.steps:
        assert status is Status.FINISHED
    assert log.record_steps.size <= records_for(config)
    assert log.act_hist.shape == (log.record_steps.size, len(log.hist_layers), log.act_hist.shape[2])


@given(spec=specs(), config=configs)
def test_every_config_trains_cleanly_once_fitted_or_is_refused(spec, config):
    """The page's path (fit_request, then a Trainer, two steps, the summary) never
    raises; the raw network and config may only be refused with a ValueError."""
    try:
        Trainer(spec, config).run(1)
    except ValueError:
        pass
    fitted, batch, _ = fit_request(spec, config.batch)
    assert check_trainable(fitted, batch) is None
    config = TrainConfig(**(vars(config) | {"batch": batch}))
    trainer = Trainer(fitted, config)
    trainer.run(2)
    summary = trainer.summary()
    _check_log(summary, config)
    assert (summary.batch_mode is not None) == (fitted.norm == "batch" and summary.steps_done > 0)


values = st.one_of(st.integers(-10, 300_000), st.floats(allow_nan=True, allow_infinity=True),
                   st.booleans(), st.none(), st.text(max_size=3), st.sampled_from(
                       [np.int64(5), np.float32(0.5), np.bool_(True), [1], "sgd", "float64"]))


@given(field=st.sampled_from([*CONFIG_RANGES, "optimizer", "dtype"]), value=values)
def test_a_config_field_is_valid_or_refused_by_name(field, value):
    try:
        cfg = TrainConfig(**{field: value})
    except ValueError as e:
        assert field in str(e)
        return
    got = getattr(cfg, field)
    if field in CONFIG_RANGES:
        lo, hi = CONFIG_RANGES[field]
        assert type(got) is (int if field in INT_FIELDS else float) and lo <= got <= hi
        assert got == value and not isinstance(value, (bool, np.bool_))
    else:
        assert isinstance(got, str)


FLOAT32_VALUES = st.one_of(st.floats(width=32, allow_nan=False, allow_infinity=False),
                           st.sampled_from([1.9e19, -1.9e26, 3.4e38]))    # squares overflow


@given(arrays=st.lists(st.lists(FLOAT32_VALUES, min_size=0, max_size=40), min_size=1, max_size=4),
       dtype=st.sampled_from([np.float32, np.float64]),
       spoil=st.sampled_from([math.nan, math.inf, -math.inf]))
def test_finiteness_is_read_from_the_values(arrays, dtype, spoil):
    """all_finite is True for any finite values up to float32's largest (whose squares
    overflow), and False once one value is NaN or infinite."""
    arrays = [np.array(a, dtype=dtype) for a in arrays]
    assert all_finite(arrays)
    assert not all_finite(arrays + [np.array([1.0, spoil], dtype=dtype)])


hostile = st.builds(
    NetworkSpec, depth=st.integers(2, 6), width=st.sampled_from([8, 16, 32]),
    activation=st.sampled_from(["relu", "linear", "tanh"]),
    weight_var=st.sampled_from([0.1, 1.0, 2.0, 4.0]),
    norm=st.sampled_from(["none", "batch", "layer"]), readout_scale=st.sampled_from([0.01, 1.0]))


@given(spec=hostile, lr=st.sampled_from([0.1, 1.0, 10.0, 100.0]),
       optimizer=st.sampled_from(["sgd", "momentum", "adam"]),
       dtype=st.sampled_from(["float32", "float64"]), batch=st.sampled_from([2, 8]))
def test_a_reported_divergence_has_a_non_finite_loss_or_gradient(spec, lr, optimizer, dtype,
                                                                 batch):
    """Re-run the failed step from the parameters it started from (a failed step
    updates nothing) on its examples: its loss is not finite or past LOSS_LIMIT, or a
    gradient, cast to float64, holds a non-finite value. Every earlier loss is finite."""
    config = TrainConfig(steps=12, batch=batch, lr=lr, optimizer=optimizer, dtype=dtype,
                         eval_every=4, record_every=3)
    trainer = Trainer(spec, config)
    trainer.run(config.steps)
    log = trainer.log()
    _check_log(log, config)
    if log.failed_at is None:
        return
    idx = trainer.last_batch
    loss, grads, _ = trainer._loss_and_grads(trainer.data.train_x[idx], trainer.data.train_y[idx])
    assert loss == log.loss[-1] or (math.isnan(loss) and math.isnan(log.loss[-1]))
    bad_loss = not (math.isfinite(loss) and loss < LOSS_LIMIT)
    bad_grad = any(not np.isfinite(np.asarray(g, dtype=np.float64)).all() for g in grads)
    assert bad_loss or bad_grad


LIMIT = 256 * 2**20


@st.composite
def depth_and_width(draw) -> tuple[int, int]:
    """Any width, and a depth whose weights (float64, 2 GiB at most) NetworkSpec admits:
    a network the sidebar can hold at all (drawing them takes more than the weights)."""
    width = draw(st.integers(2, 4096))
    depth = draw(st.integers(1, max(1, min(2000, 2**28 // width**2))))
    assume(run_bytes({"depth": depth, "width": width, "batch": 2}).total <= MAX_RUN_BYTES)
    return depth, width


@given(shape=depth_and_width(), norm=st.sampled_from(["none", "batch", "layer", "group"]),
       batch=st.sampled_from([1, 2, 32, 256]), steps=st.sampled_from([100, 2000, 20000]),
       optimizer=st.sampled_from(["sgd", "momentum", "adam"]),
       compare=st.booleans(), with_norm=st.booleans())
def test_the_budget_never_admits_a_request_over_its_memory_limit(shape, norm, batch, steps,
                                                                 optimizer, compare,
                                                                 with_norm):
    """The page's request (the sidebar network, its comparisons, every run fitted at one
    batch) through fit_budget: the estimate of what it holds is within the limit, every
    run trainable, all at one width."""
    depth, width = shape
    spec = NetworkSpec(depth=depth, width=width, norm=norm, groups=1, batch=2)  # the sidebar's
    spec, batch, _ = fit_request(spec, batch)
    asked = dict(story.comparisons(spec)) if compare else {"as set": spec}
    if with_norm:
        label, other = story.norm_comparison(spec)
        asked[label] = other
    runs, batch, _ = fit_runs(asked, batch)
    config = TrainConfig(steps=steps, batch=batch, optimizer=optimizer,
                         record_every=max(1, steps // 100))
    fitted, cfg, _ = fit_budget(list(runs.values()), config, 1e11, LIMIT)
    assert memory_bytes(fitted, cfg) <= LIMIT
    assert len({s.width for s in fitted}) == 1 and cfg.steps >= 10
    assert all(check_trainable(s, cfg.batch) is None for s in fitted)


@settings(max_examples=6)
@given(depth=st.sampled_from([3, 50, 200]), width=st.sampled_from([64, 256, 512]),
       norm=st.sampled_from(["none", "batch"]), optimizer=st.sampled_from(["sgd", "adam"]),
       runs=st.integers(1, 3))
def test_a_request_at_the_budget_edge_allocates_no_more_than_its_limit(depth, width, norm,
                                                                       optimizer, runs):
    """A small limit (12 MB) puts these networks at the budget's edge: fitted, the runs
    train a step side by side and take their summaries within the limit, as tracemalloc
    measures it."""
    limit = 12 * 2**20
    spec = NetworkSpec(depth=depth, width=width, norm=norm, weight_var=1.0 / width,
                       readout_scale=0.01)
    config = TrainConfig(steps=100, batch=64, optimizer=optimizer, record_every=1,
                         valid_examples=250)
    fitted, cfg, _ = fit_budget([spec] * runs, config, math.inf, limit)
    assert memory_bytes(fitted, cfg) <= limit
    for s in fitted:
        make_params(s)                  # the engine's shared draws: the process's, not the request's
    data.load(0)
    gc.collect()
    tracemalloc.start()
    try:
        trainers = [Trainer(s, cfg) for s in fitted]
        for t in trainers:
            t.run(1)
        logs = [t.summary() for t in trainers]
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert all(log.steps_done + (log.failed_at is not None) == 1 for log in logs)
    assert peak <= limit, peak / 2**20


@pytest.mark.parametrize("depth", [40, 150])
def test_optimizer_state_is_paid_for_in_the_budget(depth):
    """At one limit, momentum (one more copy of the parameters) and Adam (two) get no
    wider a network than SGD, narrower than SGD's where the parameters are what costs,
    and every fit stays within the limit."""
    spec = NetworkSpec(depth=depth, width=512, batch=2)
    fits = {o: fit_budget([spec], TrainConfig(batch=8, optimizer=o), math.inf, LIMIT)[:2]
            for o in ("sgd", "momentum", "adam")}
    sgd, momentum, adam = (fits[o][0][0].width for o in ("sgd", "momentum", "adam"))
    assert sgd > adam and sgd >= momentum >= adam
    assert all(memory_bytes(specs, cfg) <= LIMIT for specs, cfg in fits.values())

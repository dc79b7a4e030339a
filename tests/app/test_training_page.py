"""AppTest of the Training page: what it plots is what core.train computes, its demos tell
the makemore story, and hostile links end in a message, never a traceback or NaN."""

import math
import pickle

import numpy as np
import pytest

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from core.experiments import training as story
from core.train import TrainConfig, record_every_for, train
from ui import cache, controls, presets

from .helpers import (APP, chart_titled, figures, no_exceptions, open_page, spec_for, tanh, trace,
                      xs, ys)

PAGE = "training"
UNIFORM = 3.2958                   # -ln(1/27), FACTS.md
SHORT = dict(train_steps=200)      # a short run keeps the suite quick
SMALL = dict(depth=4, width=32)


def _config(steps=200, batch=32, lr=0.1, optimizer="sgd"):
    return TrainConfig(steps=steps, batch=batch, lr=lr, optimizer=optimizer,
                       record_every=record_every_for(steps))


def _all_y_finite_or_gap(at) -> None:
    """No chart carries a NaN or an infinity as a data point (gaps are None)."""
    for fig in figures(at):
        for tr in fig["data"]:
            for key in ("y", "z"):
                if key not in tr:
                    continue
                vals = np.asarray([v for v in np.ravel(np.asarray(_decoded(tr[key]), dtype=object))
                                   if v is not None], dtype=float)
                assert np.isfinite(vals).all(), (fig["layout"]["title"]["text"], tr.get("name"))


def _decoded(v):
    return ys({"y": v})


def test_tanh_page_plots_the_core_run():
    at = open_page(PAGE, **tanh(**SHORT, **SMALL))
    no_exceptions(at)
    log = train(spec_for(**tanh(**SMALL)), _config())
    loss = chart_titled(at, "Loss while training")
    assert ys(trace(loss, "as set: minibatch")) == pytest.approx(list(log.loss), rel=1e-9)
    assert ys(trace(loss, "as set: validation")) == pytest.approx(list(log.valid_loss), rel=1e-9)
    assert ys(trace(loss, "initial loss"))[0] == pytest.approx(log.loss[0])
    text = " ".join(m.value for m in at.markdown)
    assert f"−ln(1/27) = {UNIFORM:.4f}" in text and f"{log.loss[0]:.4g}" in text
    rows = at.dataframe[0].value.to_dict("records")
    assert rows[0]["validation loss at the end"] == f"{log.valid_loss[-1]:.4g}"
    dens = chart_titled(at, "Activations over training")
    assert len(dens["data"]) == 4                            # one row per layer (depth 4)
    sat = chart_titled(at, "Share saturated")
    assert ys(trace(sat, "layer 4")) == pytest.approx(list(100 * log.saturated[:, 3]), rel=1e-6)
    _all_y_finite_or_gap(at)


def test_hockey_stick_comparison():
    """One click: the same network with the readout scaled by 0.01 starts at -ln(1/27);
    with Kaiming init at tanh's gain as well; the network as set starts far above."""
    values = dict(depth=5, width=100, weight_var=0.1)
    at = open_page(PAGE, **tanh(train_compare="true", **SHORT, **values))
    no_exceptions(at)
    loss = chart_titled(at, "Loss while training")
    as_set = ys(trace(loss, "as set: minibatch"))[0]
    fixed = ys(trace(loss, "readout × 0.01: minibatch"))[0]
    gained = ys(trace(loss, "gain 5/3: minibatch"))[0]
    assert as_set > 4 * UNIFORM
    assert fixed == pytest.approx(UNIFORM, abs=0.05) and gained == pytest.approx(UNIFORM, abs=0.05)
    rows = {r["network"]: r for r in at.dataframe[0].value.to_dict("records")}
    assert len(rows) == 3


@pytest.mark.parametrize("tab, title", [("Update:data ratio", "Update:data ratio"),
                                        ("Covariate shift", "What enters layer"),
                                        ("BatchNorm", "BatchNorm after training")])
def test_tabs(tab, title):
    at = open_page(PAGE, train_view=tab, norm="batch", **SHORT, **SMALL)
    no_exceptions(at)
    log = train(spec_for(norm="batch", **SMALL), _config())
    fig = chart_titled(at, title)
    if tab == "Update:data ratio":
        assert ys(trace(fig, "layer 1")) == pytest.approx(list(log.update_ratio[:, 0]), rel=1e-6)
        guide = [s for s in fig["layout"]["shapes"] if s.get("y0") == -3.0]
        assert guide, "the 10^-3 guide"
    if tab == "Covariate shift":
        assert ys(trace(fig, "h normalized: std")) == pytest.approx(list(log.seen_std[:, 1]))
    if tab == "BatchNorm":
        text = " ".join(m.value for m in at.markdown)
        assert "At batch 1" in text and "eval mode" in text
        bars = ys(fig["data"][0])
        assert len(bars) == 5 and all(b > 0 for b in bars)
    _all_y_finite_or_gap(at)


TRAINING_PRESETS = [p for p in presets.PRESETS if p.page == "training"]


@pytest.mark.parametrize("preset", TRAINING_PRESETS, ids=lambda p: p.name)
def test_story_presets_open_as_links(preset):
    """Each demo is a link like every other view: its values in the URL open it, with its
    sentence (numbers filled in) above the charts."""
    at = open_page(PAGE, train_steps=100, **preset.values)
    no_exceptions(at)
    notes = [i.value for i in at.info]
    assert any(preset.name in n and "{" not in n for n in notes), notes
    start = ys(trace(chart_titled(at, "Loss while training"), "initial loss"))[0]
    if preset.values.get("readout_scale") == 0.01:
        assert start == pytest.approx(UNIFORM, abs=0.05)
    else:
        assert start > 4 * UNIFORM


def test_story_order():
    names = [p.name for p in TRAINING_PRESETS]
    assert names == ["Training 1: confidently wrong", "Training 2: fixed readout",
                     "Training 3: saturated tanh", "Training 4: gain 5/3",
                     "Training 5: BatchNorm"]


def test_learning_rate_10_never_plots_nan():
    at = open_page(PAGE, train_lr=10, activation="relu", depth=5, width=64, **SHORT)
    assert not at.exception
    log = train(spec_for(activation="relu", depth=5, width=64), _config(lr=10.0))
    assert log.failed_at                                # relu at lr 10 blows up, after step 0
    assert [e.value for e in at.error] and all(
        f"diverged at step {log.failed_at}" in e.value for e in at.error)
    loss = ys(trace(chart_titled(at, "Loss while training"), "as set: minibatch"))
    assert len(loss) == log.failed_at + 1 and loss[-1] is None or math.isfinite(loss[-1])
    _all_y_finite_or_gap(at)


def test_batch_1_with_batchnorm_is_explained_and_runs_at_2():
    at = open_page(PAGE, train_batch=1, norm="batch", **SHORT, **SMALL)
    assert not at.exception
    assert any("BatchNorm needs more than one value" in i.value and "using batch 2" in i.value
               for i in at.info)
    log = train(spec_for(norm="batch", **SMALL), _config(batch=2))
    loss = chart_titled(at, "Loss while training")
    assert ys(trace(loss, "as set: minibatch"))[0] == pytest.approx(log.loss[0])


def test_depth_200_is_cut_to_the_budget_and_says_so():
    at = open_page(PAGE, **tanh(depth=200, train_steps=20000, timeout=240))
    no_exceptions(at)
    notes = " ".join(i.value for i in at.info)
    assert "To keep the page live" in notes and "instead of 20000" in notes
    _all_y_finite_or_gap(at)


def test_garbage_page_values_are_reset_with_a_note():
    at = open_page(PAGE, train_lr="oops", train_opt="rmsprop", train_steps="-5", **SMALL)
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "train_lr=oops" in warnings and "train_opt=rmsprop" in warnings


def test_a_network_that_cannot_step_offers_the_story():
    """The app opens on linear layers with Var(W) = 1 (logits near 10^10): the first
    step fails, the page says the network cannot take it (not that it diverged, not
    that a step is still coming), and one click sets the story's first demo."""
    at = open_page(PAGE, **SHORT)
    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    infos = " ".join(i.value for i in at.info)
    assert "cannot take its first step" in errors and "diverged" not in errors
    assert "could not take its first step" in infos and "has not finished" not in infos
    first = presets.BY_NAME["Training 1: confidently wrong"]
    button = next(b for b in at.button if first.name in b.label)
    button.click().run()
    no_exceptions(at)
    for key, value in first.full_values().items():
        if key not in ("seed", "batch"):
            assert at.session_state[key] == value, key
    assert not any("diverged" in e.value for e in at.error)
    assert any(first.name in i.value for i in at.info)


def test_instance_norm_and_positions_are_adapted_with_a_note_each():
    """The task's network sees one position: InstanceNorm trains as LayerNorm, extra
    positions go, and the page says each (core.train.fit_request, worded in ui.labels)."""
    at = open_page(PAGE, norm="instance", spatial=4, **SHORT, **SMALL)
    assert not at.exception
    notes = [i.value for i in at.info]
    assert sum("Training uses LayerNorm instead" in n for n in notes) == 1, notes
    at = open_page(PAGE, spatial=4, **SHORT, **SMALL)
    notes = [i.value for i in at.info]
    assert sum("Training runs on 1 position" in n and "instead of 4" in n for n in notes) == 1


def test_groupnorm_valid_only_with_positions_trains_with_fewer_groups():
    """16 groups of width 16 are defined over 4 positions (4 values a group), not over
    the task's one: training uses the groups the norm's shape rule allows, and says so."""
    at = open_page(PAGE, norm="group", width=16, groups=16, spatial=4, **SHORT)
    no_exceptions(at)
    notes = " ".join(i.value for i in at.info)
    assert "using 8 groups instead of 16" in notes, notes


def test_batch_1_with_the_batchnorm_comparison_trains_every_run_at_2():
    """The comparison with BatchNorm is fitted like the sidebar's network: at batch 1
    it cannot train, so every run trains at batch 2 (the same examples for both), and
    the page says so."""
    at = open_page(PAGE, train_batch=1, train_norm="true", **tanh(**SHORT, **SMALL))
    no_exceptions(at)
    notes = " ".join(i.value for i in at.info)
    assert "Every run trains at batch 2 instead of 1" in notes, notes
    spec = spec_for(**tanh(**SMALL))
    loss = chart_titled(at, "Loss while training")
    for name, net in (("as set", spec), ("with BatchNorm", story.norm_comparison(spec)[1])):
        log = train(net, _config(batch=2))
        assert ys(trace(loss, f"{name}: minibatch")) == pytest.approx(list(log.loss), rel=1e-9)


def test_a_learning_rate_that_overshoots_says_worse_than_guessing():
    """Learning rate 10 on the fixed-readout demo: no divergence, but the loss climbs
    far above -ln(1/27); the page says the run is worse than guessing because the step
    is too large, with the run's numbers."""
    demo = presets.BY_NAME["Training 2: fixed readout"]
    at = open_page(PAGE, train_lr=10, train_steps=100, **demo.values)
    no_exceptions(at)
    log = train(spec_for(**demo.values), _config(steps=100, lr=10.0))
    assert np.isfinite(log.loss).all() and len(log.loss) == 100     # no divergence
    assert log.valid_loss[-1] > 10 * UNIFORM
    warning = " ".join(w.value for w in at.warning)
    assert "worse than guessing" in warning and "step size is too large" in warning
    assert f"{log.valid_loss[-1]:.4g}" in warning and f"{log.valid_loss[0]:.4g}" in warning
    assert not at.error


HEAVY = dict(activation="tanh", weight_var=0.01, depth=200, width=256, train_batch=256,
             train_compare="true", train_norm="true")


def test_the_heavy_link_is_fitted_to_memory_and_its_cache_keeps_summaries(monkeypatch):
    """depth 200, width 256, batch 256 and both comparisons (four runs): the page says
    what memory it would hold and trains narrower; what the cache keeps of each run is
    its summary: well under a megabyte pickled (a parameter set alone is 105 MB at
    width 256, 26 MB at 128)."""
    kept = {}
    monkeypatch.setattr(cache, "keep_run",
                        lambda spec, config, log: kept.setdefault(spec, len(pickle.dumps(log))))
    at = open_page(PAGE, timeout=600, seed=7, train_steps=100, **HEAVY)
    assert not at.exception                 # (BatchNorm at depth 200 may diverge: an error)
    assert len(kept) == 4 and max(kept.values()) < 2**20, kept
    notes = " ".join(i.value for i in at.info)
    assert "to stay within 256 MB, training uses width 128 instead of 256" in notes, notes


def test_a_run_stopped_before_its_first_step_waits_then_resumes_to_the_end():
    """Stop pressed before any step: the page says the run stopped at step 0 and that
    its first step has not finished (not that it diverged); Resume trains it to the
    end, where the numbers are core.train's."""
    values = tanh(norm="batch", **SHORT, **SMALL)
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in values.items():
        at.query_params[key] = controls.BY_KEY[key].fmt(value) if key in controls.BY_KEY else str(value)
    at._page_hash = calc_hash(PAGE)
    at.session_state["train_stop"] = True          # as the Stop button leaves it
    at.run()
    assert not at.exception and not at.error
    infos = [i.value for i in at.info]
    assert any(i.startswith("Stopped at step 0 of 200") for i in infos), infos
    assert "No statistics yet: the first step has not finished." in infos
    at.button(key="train_resume").click().run()
    no_exceptions(at)
    log = train(spec_for(**values), _config())
    loss = chart_titled(at, "Loss while training")
    assert ys(trace(loss, "as set: minibatch")) == pytest.approx(list(log.loss), rel=1e-9)
    assert not any(i.startswith("Stopped") for i in (i.value for i in at.info))

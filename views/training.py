"""Page 7: train the sidebar's network on makemore's task and watch it learn (or not)."""

from __future__ import annotations

import itertools

import numpy as np
import streamlit as st

from core import stats
from core.train import Status
from figures import training as tfig
from ui import charts, controls, present, presets
from ui import training_request as request
from ui.controls import Control, Settings
from ui.notes import notes_slot
from ui.pages import BY_PATH
from ui.training import thinned, train_runs

from . import training_text as text
from .training_text import TEXT

PAGE = BY_PATH["training"]

MAX_ROWS = 6                  # layers in the per-layer curves
LIVE_RECORDS = 25             # its columns while training (all of them at the end)
LAYER_C = "train_layer"


class Tab:
    """The open tab's charts: its widgets are drawn once, its charts after every chunk."""

    def __init__(self):
        self.slot, self.draw = None, None

    def register(self, draw) -> None:
        self.slot, self.draw = st.empty(), draw


def page(settings: Settings) -> None:
    st.title("Training")
    st.caption(TEXT("intro"))
    spec, runs, notes = request.read(settings)
    charts.describe_training(runs)
    with notes_slot(notes):
        for note in notes:
            st.info(note, icon=":material/speed:")
    status = st.container()
    loss_box = st.container(key="train_loss")
    loss_slot = loss_box.empty()
    if not st.session_state.get("_lesson_open"):    # a lesson brings its own chart in
        present.bring_into_view("train_loss", f"train-{hash(tuple(runs)) & 0xffffffff:x}",
                                chart=True, where=loss_box)   # above the fold, once drawn
    tab = Tab()
    controls.page_tabs(PAGE.tab_key, TABS, tab, spec, runs)
    generations = itertools.count(1)      # each redraw's elements need keys of their own

    def draw(logs: dict, stage: str) -> None:
        generation, finished = next(generations), stage == "final"
        with loss_slot.container():
            _loss_section(logs, generation, finished)
        if tab.draw is not None and stage != "loss":
            with tab.slot.container():
                tab.draw(logs, generation, finished)

    logs = train_runs(runs, status, draw)
    draw(logs, "final")
    if any(log.status is Status.CANNOT_START for log in logs.values()):
        _story_start()


def _story_start() -> None:
    """A network that cannot take one step (the app opens on an exploding one): one
    click to the first demo of the makemore story, a network that trains."""
    first = next(p for p in presets.PRESETS if p.page == "training")
    st.button(f"Start the makemore story: {first.name}", on_click=presets.apply,
              args=(first.name,), icon=":material/school:", type="primary")


# -- the loss ----------------------------------------------------------------------------

def _loss_section(logs: dict, gen: int, finished: bool) -> None:
    first = next(iter(logs.values()))
    curves = {label: dict(steps=np.arange(len(log.loss)), loss=log.loss,
                          eval_steps=log.eval_steps, valid_loss=log.valid_loss)
              for label, log in logs.items()}
    points = tfig.MAX_POINTS if finished else tfig.LIVE_POINTS
    charts.show(tfig.loss_figure(curves, first.uniform_loss, max_points=points),
                key=f"train_loss_{gen}")
    for label, log in logs.items():
        error = text.status_error(label, log)
        if error:
            st.error(error, icon=":material/error:")
    if finished:
        text.loss_text(logs)




# -- the tabs ---------------------------------------------------------------------------

def _activations_tab(tab: Tab, spec, runs) -> None:
    def draw(logs, gen, finished):
        log = logs[runs[0].label]
        if _no_statistics(log):
            return
        layers = list(log.hist_layers)            # the layers whose histograms are kept
        # while training, every few records: the stacked heatmaps are most of what the
        # browser redraws (bench: 3-4x its work per run with them at full size)
        keep = slice(None) if finished else thinned(len(log.record_steps), LIVE_RECORDS)
        charts.show(tfig.density_over_steps(log.record_steps[keep], log.act_hist[keep],
                                            log.hist_edges, layers),
                    key=f"train_density_{gen}")
        word = text.saturation_word(spec)
        charts.show(tfig.layers_over_steps(
            log.record_steps, log.saturated, layers, f"Share {word}, per layer",
            "% of values", percent=True), key=f"train_saturated_{gen}")
        if finished:
            text.activations_text(log, word)
    tab.register(draw)






def _no_statistics(log) -> bool:
    """Say why a run has no statistics to draw (its state's words), if so."""
    why = text.no_statistics(log)
    if why:
        st.info(why)
    return why is not None


def _ratios_tab(tab: Tab, spec, runs) -> None:
    def draw(logs, gen, finished):
        log = logs[runs[0].label]
        if _no_statistics(log):
            return
        layers = stats.spread_layers(1, spec.depth, MAX_ROWS)
        charts.show(tfig.layers_over_steps(
            log.record_steps, log.update_ratio, layers, "Update:data ratio per layer",
            "std(update) / std(W)", guide=(-3.0, "10⁻³: Karpathy's rule of thumb"),
            log10_values=True), key=f"train_update_{gen}")
        charts.show(tfig.layers_over_steps(
            log.record_steps, log.grad_ratio, layers, "Grad:data ratio per layer",
            "std(dL/dW) / std(W)", log10_values=True), key=f"train_grad_{gen}")
        if finished:
            text.ratios_text(log)
    tab.register(draw)




def _shift_tab(tab: Tab, spec, runs) -> None:
    layer = controls.page_control(Control(LAYER_C, "Layer", "int", min(2, spec.depth), lo=1,
                                          hi=spec.depth)) if spec.depth > 1 else 1

    def draw(logs, gen, finished):
        curves = {}
        for label, log in logs.items():
            if not log.record_steps.size:
                continue
            k = layer - 1
            curves[f"{label}: h = xW + b"] = dict(steps=log.record_steps,
                                                  mean=log.preact_mean[:, k], std=log.preact_std[:, k])
            if log.spec.norm != "none" and log.spec.norm_position == "before":
                curves[f"{label}: h normalized"] = dict(steps=log.record_steps,
                                                        mean=log.seen_mean[:, k],
                                                        std=log.seen_std[:, k])
        if curves:
            charts.show(tfig.shift_figure(curves, layer), key=f"train_shift_{gen}")
        if finished:
            text.shift_text(logs, layer)
    tab.register(draw)




def _batchnorm_tab(tab: Tab, spec, runs) -> None:
    def draw(logs, gen, finished):
        bn = {label: log for label, log in logs.items() if log.spec.norm == "batch"}
        if not bn:
            st.info(TEXT("no_batchnorm"))
            return
        label, log = next(iter(bn.items()))
        if log.valid_loss_batch_stats is None or not log.eval_steps.size:
            return
        charts.show(tfig.loss_figure(
            {"eval mode (running statistics)": dict(
                steps=np.arange(len(log.loss)), loss=log.loss, eval_steps=log.eval_steps,
                valid_loss=log.valid_loss),
             "train mode (the validation set as one batch)": dict(
                steps=np.zeros(0), loss=np.zeros(0), eval_steps=log.eval_steps,
                valid_loss=log.valid_loss_batch_stats)}, log.uniform_loss,
            f"{label}: validation loss in eval mode and in train mode"),
            key=f"train_bn_modes_{gen}")
        if finished and log.batch_mode is not None:
            _batch_sizes(log.batch_mode, log.uniform_loss)
    tab.register(draw)


def _batch_sizes(bm, uniform_loss: float) -> None:
    loss = dict(zip(bm.sizes, bm.train_mode))
    charts.show(tfig.batch_size_figure(bm.sizes, bm.train_mode, bm.eval_mode, uniform_loss),
                key="train_bn_batches")
    st.markdown(TEXT("batch_sizes", eval_mode=bm.eval_mode, batch_2=loss[2], batch_4=loss[4],
                     batch_32=loss[32]))


TABS = {"Activations": _activations_tab, "Update:data ratio": _ratios_tab,
        "Covariate shift": _shift_tab, "BatchNorm": _batchnorm_tab}

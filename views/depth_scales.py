"""Page 8: how deep a network can be and still train: order and chaos (xi_c), the
trainability grid, dynamical isometry and the finite-width spread, on the sidebar's
network (core.experiments.depth_scales)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import streamlit as st

from core import phase
from core.experiments import depth_scales as ds
from core.experiments import trainability
from core.experiments.diagnose import diagnose
from figures import depth_scales as dfig
from figures.numbers import format_layers
from lessons import inert
from lessons.measures import correlation_text
from ui import cache, charts, controls, live_column, verdicts
from ui.controls import Control, Settings
from ui.export import Column, LayerTable, download_button
from ui.pages import BY_PATH

from . import depth_scales_text as words
from .prose import Prose

PAGE = BY_PATH["depth_scales"]
TEXT = Prose(PAGE.url_path)

STEPS_C = Control("depth_steps", "Training steps of the stored grid", "steps",
                  trainability.Setup().steps, options=trainability.STORED_STEPS,
                  help="Every stored grid trains the same networks; this picks how long.")
C0_C = Control("depth_c0", "Starting correlation c₀ of the two inputs", "steps", ds.C0,
               options=(0.0, 0.2, 0.5, 0.8, 0.9, 0.99),
               help="The cosine similarity of each pair of inputs as it enters the network.")


def page(settings: Settings) -> None:
    st.title(PAGE.title)
    st.caption(TEXT("intro"))
    controls.page_tabs(PAGE.tab_key, TABS, settings.spec)


def _elsewhere(spec) -> None:
    """What else is wrong with this network: the diagnosis every page shares."""
    verdicts.show_elsewhere(diagnose(cache.result(spec, PAGE.stats)), PAGE.url_path, spec.depth)


# -- Order and chaos ------------------------------------------------------------------------

def _order_and_chaos(spec) -> None:
    c0 = controls.page_control(C0_C)
    corr = cache.correlations(spec, c0)
    point = cache.phase_point(spec)
    s = corr.scales
    cols = st.columns(4)
    # short labels: four metrics side by side stay whole at 1280 px
    cols[0].metric(f"Phase, χ₁ = {point.chi1:.4g}", point.phase,
                   help="χ₁ at the fixed point, as the Gradient flow page states it")
    cols[1].metric("c*: where c_l settles", correlation_text(s.c_star))
    cols[2].metric("ξ_c: depth scale (layers)", format_layers(s.xi_c))
    cols[3].metric("6 ξ_c (layers)", format_layers(6 * s.xi_c),
                   help="The depth Schoenholz et al. 2017 found networks train to")
    st.markdown(TEXT(f"phase.{point.phase}", chi1=point.chi1))
    st.markdown(words.correlation_sentence(spec, corr))
    st.markdown(words.settling_sentence(spec, s))
    if corr.predicted is None:
        st.caption(TEXT("order.not_plain"))
    table = correlation_table(corr)
    charts.show(dfig.correlation_figure(
        table["mean_correlation"], table["lowest_correlation"], table["highest_correlation"],
        table.get("predicted_correlation"), s.c_star if corr.predicted is not None else None,
        c0), key="depth_correlation_chart")
    download_button(table, spec, PAGE.url_path)
    _elsewhere(spec)
    st.markdown(TEXT("order.explanation"))


def correlation_table(corr: ds.Correlations) -> LayerTable:
    """The tab's per-layer numbers: the pairs' mean, lowest and highest c_l, the map's."""
    cols = [Column("mean_correlation", dfig.MEASURED, corr.mean),
            Column("lowest_correlation", dfig.PAIR_RANGE, corr.low, role="band low"),
            Column("highest_correlation", dfig.PAIR_RANGE, corr.high, role="band high")]
    if corr.predicted is not None:
        cols.append(Column("predicted_correlation", dfig.PREDICTED, corr.predicted))
    return LayerTable(tuple(cols), {"depth_c0": corr.c0})


# -- Trainability ---------------------------------------------------------------------------

FINE_POINTS = 60              # sigma_w2 points along the xi_c curves


def _trainability(spec) -> None:
    grid = cache.trainability_grid(controls.page_control(STEPS_C))
    if isinstance(grid, str):
        st.warning(TEXT("train.missing", why=inert(grid, 200)), icon=":material/warning:")
        _elsewhere(spec)
        return
    setup = grid.setup
    fine = tuple(sorted(set(np.linspace(min(grid.sigma_w2), max(grid.sigma_w2),
                                        FINE_POINTS).round(4).tolist()) | set(grid.sigma_w2)))
    xi = cache.xi_c_curve(setup.activation, setup.sigma_b2, fine)
    critical = phase.critical_sigma_w2_at(setup.activation, setup.sigma_b2)
    critical = critical if math.isfinite(critical) else None
    (x_lo, x_hi), (_, y_top) = dfig.grid_ranges(grid.depths, grid.sigma_w2)
    inside = x_lo <= spec.sigma_w2 <= x_hi and spec.depth <= y_top
    st.markdown(words.rule_sentence(spec))
    st.markdown(words.nearest_sentence(spec, grid))
    charts.describe_text(*words.grid_phrases(setup, f"{setup.steps} steps"))
    status, slot = st.empty(), st.empty()
    redraws = itertools.count()           # each redraw of the slot needs a key of its own

    def draw(losses: dict[int, float]) -> None:
        column = None
        if losses:
            depths = sorted(losses)
            column = (spec.sigma_w2, depths,
                      np.array([losses[d] for d in depths]) - grid.unigram_entropy)
        with slot.container():
            charts.show(dfig.trainability_figure(
                grid.depths, grid.sigma_w2, grid.valid_loss - grid.unigram_entropy,
                {"ξ_c": (fine, xi), "6 ξ_c": (fine, 6 * xi)},
                (spec.sigma_w2, spec.depth) if inside else None, column, critical),
                key=f"depth_trainability_chart_{next(redraws)}")

    losses = {}
    if x_lo <= spec.sigma_w2 <= x_hi:
        plan = live_column.plan(spec.sigma_w2, grid)
        st.caption(TEXT("train.live", steps=setup.steps, seeds=len(setup.seeds),
                        depths=words.depth_list(plan.depths),
                        which=TEXT("train.live_all" if plan.depths == grid.depths
                                   else "train.live_some")))
        losses = live_column.column(plan, status, draw)
    else:
        st.caption(TEXT("train.live_outside", low=x_lo, high=x_hi, width=spec.width,
                        var_low=x_lo / spec.width, var_high=x_hi / spec.width))
    draw(losses)
    if not inside:
        st.caption(TEXT("train.point_outside", sigma_w2=spec.sigma_w2, depth=spec.depth))
    if (spec.activation, spec.bias_var) != (setup.activation, setup.sigma_b2):
        st.caption(TEXT("train.other_network", activation=setup.activation,
                        sigma_b2=setup.sigma_b2, own_activation=spec.activation,
                        own_sigma_b2=spec.bias_var))
    st.caption(TEXT("train.grid", activation=setup.activation, width=setup.width,
                    sigma_b2=setup.sigma_b2, steps=setup.steps, baseline=grid.unigram_entropy))
    _boundary(setup.steps)
    _elsewhere(spec)
    st.markdown(TEXT("train.explanation"))


def _boundary(steps: int) -> None:
    """The multiple of xi_c where training stops, in the grid shown and against how long
    every stored grid trained."""
    bounds = cache.boundaries()
    here = next((b for b in bounds if b.steps == steps), None)
    if here is not None:
        st.markdown(words.boundary_sentence(here))
    if len(bounds) > 1:
        st.markdown(words.steps_sentence(bounds))
        charts.describe_text(*words.grid_phrases(
            cache.trainability_grid(steps).setup,
            f"{bounds[0].steps} to {bounds[-1].steps} steps", "the stored grids"))
        charts.show(dfig.boundary_figure(
            [b.steps for b in bounds], {words.ORDERED: [b.ordered for b in bounds],
                                        words.CHAOTIC: [b.chaotic for b in bounds]},
            shown=steps), key="depth_boundary_chart")


# -- Dynamical isometry ---------------------------------------------------------------------

def _isometry(spec) -> None:
    if spec.norm != "none":
        st.info(TEXT("iso.norm"), icon=":material/info:")
        _elsewhere(spec)
        return
    iso = cache.isometry(spec)
    controls.show_fixes(iso.fixes)
    gauss = iso.spectra["Gaussian"]
    st.markdown(words.spread_sentence(iso))
    st.dataframe(words.isometry_rows(iso), hide_index=True, key="depth_isometry_table")
    charts.show(dfig.isometry_figure(iso.depths, {k: v.log10_sv2 for k, v in iso.spectra.items()}),
                key="depth_isometry_chart")
    st.caption(TEXT("iso.shown", inputs=iso.inputs, width=gauss.spec.width,
                    sigma_w2=gauss.spec.sigma_w2))
    if gauss.predicted[-1] is None:
        st.caption(TEXT("iso.no_theory"))
    values = gauss.log10_sv2[-1]
    zeros = int(np.count_nonzero(np.isneginf(values)))
    if zeros:
        st.markdown(TEXT("iso.zeros", zeros=zeros, values=values.size))
    _elsewhere(spec)
    st.markdown(TEXT("iso.explanation"))


# -- Finite width ---------------------------------------------------------------------------

def _finite_width(spec) -> None:
    fw = cache.finite_width(spec)
    controls.show_fixes(fw.fixes)
    values, law = fw.finite, fw.law
    draws = fw.log_ratios.shape[0]
    for sentence in words.spread_sentences(fw, spec.depth):
        st.markdown(sentence)
    if law is None:
        st.caption(TEXT(f"width.no_law.{fw.no_law}"))
    dead = int(np.count_nonzero(np.isneginf(fw.log_ratios)))
    if dead:
        st.markdown(TEXT("width.dead", dead=dead, values=fw.log_ratios.size))
    charts.show(dfig.finite_width_figure(
        values, None if law is None else (law.mean, law.variance),
        law_name=f"the law: normal, variance {fw.kappa:g} Σ 1/n_l"),
        key="depth_finite_width_chart")
    st.caption(TEXT("width.shown", draws=draws, seed=spec.seed))
    _elsewhere(spec)
    st.markdown(TEXT("width.explanation"))


TABS = {"Order and chaos": _order_and_chaos, "Trainability": _trainability,
        "Dynamical isometry": _isometry, "Finite width": _finite_width}

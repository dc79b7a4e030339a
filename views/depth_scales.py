"""Page 8: how deep a network can be and still train: order and chaos (xi_c), the
trainability grid, dynamical isometry and the finite-width spread, on the sidebar's
network (core.experiments.depth_scales)."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st

from core import phase
from core.experiments import depth_scales as ds
from core.experiments.diagnose import diagnose
from figures import depth_scales as dfig
from figures.numbers import format_layers
from figures.style import format_power
from lessons import inert
from lessons.measures import correlation_text
from ui import cache, charts, controls, live_column, verdicts
from ui.controls import Control, Settings
from ui.export import Column, LayerTable, download_button
from ui.pages import BY_PATH

from .prose import Prose

PAGE = BY_PATH["depth_scales"]
TEXT = Prose(PAGE.url_path)

C0_C = Control("depth_c0", "Starting correlation c₀ of the two inputs", "steps", ds.C0,
               options=(0.0, 0.2, 0.5, 0.8, 0.9, 0.99),
               help="The cosine similarity of each pair of inputs as it enters the network.")
# A spectrum whose squared singular values have variance / mean^2 within this is close to
# dynamical isometry: every direction stretched within about a third of the mean.
ISOMETRY_VAR = 0.1
TEN = math.log(10.0)              # a factor of ten, in ln: the finite-width verdict's line


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
    cols[0].metric("Phase (χ₁ at the fixed point)", f"{point.phase} ({point.chi1:.4g})")
    cols[1].metric("c*: where the correlation settles", correlation_text(s.c_star))
    cols[2].metric("ξ_c: the depth scale (layers)", format_layers(s.xi_c))
    cols[3].metric("6 ξ_c: the trainable depth (layers)", format_layers(6 * s.xi_c))
    st.markdown(TEXT(f"phase.{point.phase}", chi1=point.chi1))
    st.markdown(_correlation_sentence(spec, corr))
    st.markdown(_settling_sentence(spec, s))
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


def _correlation_sentence(spec, corr: ds.Correlations) -> str:
    last = corr.mean[-1]
    if not math.isfinite(last):
        return TEXT("order.undefined", dtype=spec.dtype)
    fields = dict(depth=spec.depth, pairs=corr.measured.shape[1], c0=corr.c0, c_last=last,
                  low=corr.low[-1], high=corr.high[-1])
    if corr.predicted is None:
        return TEXT("order.measured_only", **fields)
    return TEXT("order.measured", predicted=f"{corr.predicted[-1]:.3f}", **fields)


def _settling_sentence(spec, s) -> str:
    if not math.isfinite(s.xi_c):
        return TEXT("order.no_scale", c_star=correlation_text(s.c_star))
    ratio = spec.depth / s.xi_c if s.xi_c > 0 else math.inf
    verdict = TEXT("order.forgets") if ratio > 6 else TEXT("order.remembers")
    key = "order.collapse" if s.c_star >= 1.0 else "order.decorrelate"
    return TEXT(key, c_star=correlation_text(s.c_star), xi_c=format_layers(s.xi_c),
                depth=spec.depth, ratio=_times(ratio), verdict=verdict)


def _times(ratio: float) -> str:
    return "∞ ×" if not math.isfinite(ratio) else f"{ratio:.2g} ×"


# -- Trainability ---------------------------------------------------------------------------

FINE_POINTS = 60              # sigma_w2 points along the xi_c curves


def _trainability(spec) -> None:
    grid = cache.trainability_grid()
    if isinstance(grid, str):
        st.warning(TEXT("train.missing", why=inert(grid, 200)), icon=":material/warning:")
        _elsewhere(spec)
        return
    setup = grid.setup
    fine = tuple(sorted(set(np.linspace(min(grid.sigma_w2), max(grid.sigma_w2),
                                        FINE_POINTS).round(4).tolist()) | set(grid.sigma_w2)))
    xi = cache.xi_c_curve(setup.activation, setup.sigma_b2, fine)
    xi_grid = cache.xi_c_curve(setup.activation, setup.sigma_b2, tuple(grid.sigma_w2))
    critical = phase.critical_sigma_w2_at(setup.activation, setup.sigma_b2)
    critical = critical if math.isfinite(critical) else None
    (x_lo, x_hi), (_, y_top) = dfig.grid_ranges(grid.depths, grid.sigma_w2)
    inside = x_lo <= spec.sigma_w2 <= x_hi and spec.depth <= y_top
    st.markdown(_rule_sentence(spec))
    st.markdown(_nearest_sentence(spec, grid))
    status, slot = st.container(), st.empty()
    drawn = [0]

    def draw(losses: dict[int, float]) -> None:
        drawn[0] += 1
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
                key=f"depth_trainability_chart_{drawn[0]}")

    losses = {}
    if x_lo <= spec.sigma_w2 <= x_hi:
        st.caption(TEXT("train.live", seeds=len(setup.seeds)))
        losses = live_column.column(live_column.plan(spec.sigma_w2, grid), status, draw)
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
    multiples = ds.boundary_multiples(grid.depths, grid.trains, xi_grid)
    found = multiples[np.isfinite(multiples)]
    st.markdown(TEXT("train.multiple", median=float(np.median(found)), columns=found.size,
                     low=float(found.min()), high=float(found.max()))
                if found.size else TEXT("train.no_multiple"))
    _elsewhere(spec)
    st.markdown(TEXT("train.explanation"))


def _rule_sentence(spec) -> str:
    s = cache.depth_scales_of(spec)
    fields = dict(activation=spec.activation, sigma_w2=spec.sigma_w2, sigma_b2=spec.bias_var)
    if not math.isfinite(s.xi_c):
        return TEXT("train.rule_no_scale", **fields)
    ratio = spec.depth / s.xi_c if s.xi_c > 0 else math.inf
    key = "train.rule_within" if ratio <= 6 else "train.rule_beyond"
    return TEXT(key, xi_c=format_layers(s.xi_c), depth=spec.depth, ratio=_times(ratio),
                six_xi_c=format_layers(6 * s.xi_c), **fields)


def _nearest_sentence(spec, grid) -> str:
    """The stored cell nearest the sidebar's sigma_w2 and depth, and how it ended."""
    j = int(np.argmin(np.abs(np.asarray(grid.sigma_w2) - spec.sigma_w2)))
    i = int(np.argmin(np.abs(np.asarray(grid.depths) - spec.depth)))
    return TEXT("train.nearest", sigma_w2=grid.sigma_w2[j], depth=grid.depths[i],
                words=_loss_words(grid.valid_loss[i, j] - grid.unigram_entropy))


def _loss_words(above: float) -> str:
    if not math.isfinite(above):
        return TEXT("train.diverged")
    if above < 0:
        return TEXT("train.learned", nats=-above)
    return TEXT("train.learned_nothing", nats=above)


# -- Dynamical isometry ---------------------------------------------------------------------

def _isometry(spec) -> None:
    if spec.norm != "none":
        st.info(TEXT("iso.norm"), icon=":material/info:")
        _elsewhere(spec)
        return
    iso = cache.isometry(spec)
    controls.show_fixes(iso.fixes)
    gauss = iso.spectra["Gaussian"]
    st.markdown(_spread_sentence(iso))
    st.dataframe(isometry_rows(iso), hide_index=True, key="depth_isometry_table")
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


def isometry_rows(iso: ds.Isometry) -> list[dict]:
    """One row per depth and weight draw: the measured and predicted mean and variance /
    mean^2 of the squared singular values."""
    rows = []
    for i, depth in enumerate(iso.depths):
        for label, spectrum in iso.spectra.items():
            mean, rel = spectrum.measured(i)
            pred = spectrum.predicted[i]
            rows.append({"depth": depth, "weights": label,
                         "mean (measured)": format_power(mean),
                         "mean (predicted)": "—" if pred is None else format_power(
                             pred.log10_mean),
                         "variance / mean² (measured)": _number(rel),
                         "variance / mean² (predicted)": "—" if pred is None
                         else _number(pred.rel_var)})
    return rows


ROUNDING = 1e-9        # a variance / mean^2 below it is float64's rounding of an exact 0


def _number(x: float) -> str:
    if math.isinf(x):
        return "∞"
    return "—" if math.isnan(x) else "0" if abs(x) < ROUNDING else f"{x:.3g}"


def _decades(log10_sv2: np.ndarray) -> str:
    """How many powers of ten the nonzero squared singular values span."""
    finite = log10_sv2[np.isfinite(log10_sv2)]
    return f"{float(finite.max() - finite.min()):.1f}" if finite.size else "0"


def _spread_sentence(iso: ds.Isometry) -> str:
    i = len(iso.depths) - 1
    gauss, orth = iso.spectra["Gaussian"], iso.spectra["orthogonal"]
    (_, g_var), (_, o_var) = gauss.measured(i), orth.measured(i)
    g_pred, o_pred = gauss.predicted[i], orth.predicted[i]
    text = TEXT("iso.spread", depth=iso.depths[i], gauss_decades=_decades(gauss.log10_sv2[i]),
                orth_decades=_decades(orth.log10_sv2[i]), gauss_var=_number(g_var),
                orth_var=_number(o_var),
                gauss_pred="—" if g_pred is None else _number(g_pred.rel_var),
                orth_pred="—" if o_pred is None else _number(o_pred.rel_var))
    if g_var <= ISOMETRY_VAR:
        verdict = TEXT("iso.gaussian_isometric")
    elif o_var <= ISOMETRY_VAR:
        verdict = TEXT("iso.isometric")
    else:
        verdict = TEXT("iso.not_isometric", limit=ISOMETRY_VAR)
    return f"{text} {verdict}"


# -- Finite width ---------------------------------------------------------------------------

def _finite_width(spec) -> None:
    fw = cache.finite_width(spec)
    controls.show_fixes(fw.fixes)
    values = fw.finite
    draws, examples = fw.log_ratios.shape
    law = fw.law
    if values.size >= 2:
        var = float(np.var(values, ddof=1))
        st.markdown(TEXT("width.measured", draws=draws, examples=examples,
                         mean=float(np.mean(values)), var=var,
                         factor=f"{math.exp(math.sqrt(var)):.3g}"))
        if law is not None:
            st.markdown(TEXT("width.law", law_var=law.variance, law_mean=law.mean,
                             kappa=fw.kappa, depth=spec.depth, width=fw.width,
                             ratio=var / law.variance if law.variance > 0 else math.nan))
        st.markdown(TEXT("width.narrow") if math.sqrt(var) > TEN else TEXT("width.wide"))
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

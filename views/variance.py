"""Page 1: the variance of the signal, layer by layer, next to what theory predicts."""

import streamlit as st

from core.experiments.diagnose import diagnose
from core.experiments.seeds import SEEDS
from figures.style import format_power
from figures.variance import variance_figure
from ui import cache, charts, controls, verdicts
from ui.controls import Control, Settings
from ui.export import Column, LayerTable, download_button, upto
from ui.pages import BY_PATH

from .prose import Prose

PAGE = BY_PATH["variance"]
TEXT = Prose(PAGE.url_path)

BAND = Control("var_band", f"Show {SEEDS} other seeds", "toggle", False,
               help="Run the same network with the next seeds and shade, per layer, the "
                    "range their curves cover: how far finite width lets one draw wander.")


def page(settings: Settings) -> None:
    spec = settings.spec
    res = cache.result(spec, PAGE.stats)
    diag = diagnose(res)
    st.title("Variance through depth")
    st.markdown(TEXT("what_to_do"))
    _headline(spec, res, diag)
    table = _chart(spec, res)
    download_button(table, spec, "variance")
    st.markdown(TEXT("explanation"))


def _headline(spec, res, diag) -> None:
    """The numbers, the verdict on the forward signal, and what else is wrong."""
    verdict = diag.forward
    cols = st.columns(3)
    cols[0].metric("Activation variance at the last layer",
                   format_power(float(res.log10_act_var[-1])))
    cols[1].metric("fan_in × Var(W) per layer", f"{spec.sigma_w2:.3g}")
    cols[2].metric("Measured change per layer", verdict.kind if verdict.kind in (
        "overflow", "underflow", "zero") else "—" if spec.depth == 1
        else f"× {verdict.factor_per_layer:.3g}")
    edge = res.overflow_layer if res.overflow_layer is not None else res.underflow_layer
    st.markdown(verdicts.forward_sentence(verdict, spec.depth, spec.dtype,
                                          None if edge is None else edge + 1))
    verdicts.show_elsewhere(diag, PAGE.url_path, spec.depth)


def _chart(spec, res) -> LayerTable:
    """The measured curves, the theory's, and (on request) other seeds' band; returns the
    table they are drawn from."""
    pred = cache.prediction(spec)
    if not pred.covers_forward:
        st.caption(TEXT("no_theory"))
    seeds = None
    if controls.page_control(BAND):
        seeds, shrunk = cache.seed_band(spec)
        controls.show_fixes(shrunk)
        st.caption(TEXT("seed_band", seeds=", ".join(map(str, seeds.seeds))))
    table = layer_table(spec, res, pred, seeds)
    band = None if seeds is None else {
        BAND_LABEL: (table["seeds_low_log10_preact_var"], table["seeds_high_log10_preact_var"])}
    charts.show(variance_figure(table.curves(*MEASURED), table.curves(*THEORY),
                                res.overflow_layer, underflow_layer=res.underflow_layer,
                                band=band), key="variance_chart")
    return table


MEASURED = ("log10_preact_var", "log10_u_var", "log10_act_var", "log10_out_var")
THEORY = ("theory_log10_preact_var", "theory_log10_act_var")
BAND_LABEL = "other seeds (lowest to highest)"


def layer_table(spec, res, pred, seeds=None) -> LayerTable:
    """The page's per-layer numbers: the measured variances, the theory's where the page
    draws it (not past an overflow, nor an underflow), and other seeds' band when on."""
    normed = spec.norm != "none" and spec.norm_position == "before"
    cols = [Column("log10_preact_var", "pre-activation h = xW + b"
                   + (" (before the norm)" if normed else ""), res.log10_preact_var)]
    if normed:
        cols.append(Column("log10_u_var", "after the norm: what φ sees", res.log10_u_var))
    cols.append(Column("log10_act_var", "activation φ(·)", res.log10_act_var))
    if spec.residual or (spec.norm != "none" and spec.norm_position == "after"):
        cols.append(Column("log10_out_var", "layer output", res.log10_out_var))
    if res.overflow_layer is None and pred.covers_forward:
        # past an underflow the run is zeros, not the network the theory describes
        edge = spec.depth if res.underflow_layer is None else res.underflow_layer
        cols += [Column("theory_log10_preact_var", "theory: pre-activation",
                        upto(pred.log10_preact_var, edge)),
                 Column("theory_log10_act_var", "theory: activation",
                        upto(pred.log10_act_var, edge))]
    if seeds is not None:
        cols += [Column(f"seeds_{end}_log10_preact_var", BAND_LABEL, seeds.preact[i],
                        role=f"band {end}") for i, end in enumerate(("low", "high"))]
    return LayerTable(tuple(cols), {"var_band": str(seeds is not None).lower()})

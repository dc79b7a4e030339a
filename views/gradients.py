"""Page 4: the gradient flowing backward, beside the forward signal and the theory."""

import streamlit as st

from core import stats
from core.experiments.diagnose import diagnose
from figures import gradients as gfig
from figures.style import format_power
from ui import cache, charts, controls, verdicts
from ui.controls import Settings, Control
from ui.export import Column, LayerTable, download_button, marks
from ui.notes import notes_slot
from ui.pages import BY_PATH

from .prose import Prose

PAGE = BY_PATH["gradients"]
TEXT = Prose(PAGE.url_path)

THEORY = Control("grad_theory", "Draw the mean-field prediction", "toggle", True)
LAYERS = Control("grad_layers", "Layers in the histograms", "int", 5, lo=2, hi=8,
                 help="Histograms of this many layers, spread from the first to the last.")


def page(settings: Settings) -> None:
    spec = settings.spec
    res = cache.result(spec, PAGE.stats)
    st.title("Gradient flow")
    st.caption(TEXT("intro"))
    diag = diagnose(res)
    _headline(spec, res, diag)
    flow = _flow(spec, res, diag.backward)
    st.subheader("Where this network sits: ordered, critical or chaotic")
    _phase(spec)
    st.subheader("Gradient histograms (Karpathy's diagnostics)")
    download_button(_histograms(spec, res, flow), spec, "gradients")
    st.markdown(TEXT("explanation"))


def _headline(spec, res, diag) -> None:
    """The gradient's change from the last layer back to layer 1, in numbers and a verdict,
    and what else is wrong."""
    verdict = diag.backward
    cols = st.columns(3)
    cols[0].metric("Gradient variance at layer 1", format_power(float(res.log10_grad_var[0])))
    cols[1].metric(f"… at layer {spec.depth} (next to the loss)",
                   format_power(float(res.log10_grad_var[-1])))
    cols[2].metric("Layer 1 ÷ last layer", verdict.kind if verdict.kind in (
        "overflow", "underflow", "zero") else format_power(verdict.decades))
    edge = res.grad_underflow_layer
    st.markdown(verdicts.backward_sentence(verdict, spec.dtype,
                                           None if edge is None else edge + 1,
                                           res.first_overflow, verdicts.zero_sentence(res)))
    note = verdicts.constant_readout_note(res)
    with notes_slot(note):
        if note:
            st.caption(note)
    verdicts.show_elsewhere(diag, PAGE.url_path, spec.depth)


def _flow(spec, res, verdict) -> LayerTable:
    """Forward and backward variance per layer, with the theory's backward line; returns
    the table the chart draws."""
    show_theory = controls.page_control(THEORY)
    theory_curve = None
    if verdict.kind in ("zero", "underflow"):
        st.caption(TEXT("no_theory"))
    elif res.first_overflow is None:
        pred = cache.prediction(spec, float(res.log10_grad_var[-1]))
        if not pred.covers_norm:
            st.info(TEXT("not_modelled"), icon=":material/info:")
        elif show_theory:
            theory_curve = pred.log10_grad_var
            st.caption(TEXT("theory", chi1_last=pred.chi1[-1], depth=spec.depth,
                            chi1_first=pred.chi1[0]))
    flow = flow_table(res, theory_curve, show_theory)
    charts.show(gfig.flow_figure(flow["log10_act_var"], flow["log10_grad_var"],
                                 flow.get("theory_log10_grad_var"), res.overflow_layer,
                                 res.underflow_layer), key="grad_flow_chart")
    return flow


def flow_table(res, theory_curve, show_theory: bool) -> LayerTable:
    """The flow chart's curves: forward, backward and (when drawn) the theory's."""
    cols = (Column("log10_act_var", gfig.FORWARD, res.log10_act_var),
            Column("log10_grad_var", gfig.BACKWARD, res.log10_grad_var))
    if theory_curve is not None:
        cols += (Column("theory_log10_grad_var", gfig.THEORY, theory_curve),)
    return LayerTable(cols, {"grad_theory": str(show_theory).lower()})


def _phase(spec) -> None:
    """The mean-field phase diagram, with this network's point and its χ₁."""
    point = cache.phase_point(spec)
    line = cache.critical_line(spec.activation, max(1.0, spec.bias_var))
    left, right = st.columns([3, 2])
    charts.show(gfig.phase_figure(line[0], line[1], spec.bias_var, spec.sigma_w2, point.chi1,
                                        spec.activation), left, key="grad_phase_chart")
    with right:
        st.metric("χ₁ at the fixed point", f"{point.chi1:.4g}")
        crit = point.critical_sigma_w2
        st.metric("Critical σ_w² at this bias variance",
                  "none in range" if crit != crit else f"{crit:.4g}",
                  help="fan_in × Var(W) on the line χ₁ = 1 for this activation and bias variance.")
        st.markdown(TEXT(f"phase.{point.phase}"))
        depth_text = (TEXT("network.keeps") if point.depth_scale == float("inf")
                      else TEXT("network.changes", depth_scale=point.depth_scale))
        settles = (TEXT("network.settles", q_star=point.q_star)
                   if point.q_star != float("inf") else TEXT("network.unbounded"))
        st.markdown(TEXT("network.sentence", sigma_w2=spec.sigma_w2, bias_var=spec.bias_var,
                         settles=settles, depth_text=depth_text))
        st.caption(TEXT("network.fixed_point"))
        if spec.norm != "none" or spec.residual:
            st.caption(TEXT("network.plain_only"))


def _histograms(spec, res, flow: LayerTable) -> LayerTable:
    """Karpathy's gradient histograms, and the grad:data ratio of the weights; returns
    the page's table: the flow chart's, the ratio and the layers drawn here."""
    count = controls.page_control(LAYERS)
    table = LayerTable(flow.columns + (
        Column("log10_weight_grad_ratio", WEIGHT_GRADS, res.log10_weight_grad_ratio,
               role="legend"),
        Column("in_histograms", WEIGHT_GRADS, marks(stats.spread_layers(1, spec.depth, count),
                                                    spec.depth), role="picked")),
        flow.controls | {"grad_layers": count})
    layers = [k - 1 for k in table.marked("in_histograms")]   # 0-based
    st.caption(TEXT("histograms"))
    h_left, h_right = st.columns(2)
    charts.show(gfig.histogram_figure(
        res.grad_hist, res.grad_hist_edges, layers,
        [gfig.grad_legend(i, float(res.log10_grad_var[i])) for i in layers],
        "Activation gradients dL/dh", "dL/dh in units of its std"), h_left,
        key="grad_hist_chart")
    charts.show(gfig.histogram_figure(
        res.weight_grad_hist, res.grad_hist_edges, layers,
        [gfig.ratio_legend(i, float(table["log10_weight_grad_ratio"][i])) for i in layers],
        WEIGHT_GRADS, "dL/dW in units of its std"), h_right, key="grad_weight_hist_chart")
    return table


WEIGHT_GRADS = "Weight gradients dL/dW"


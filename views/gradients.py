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

PAGE = BY_PATH["gradients"]


THEORY = Control("grad_theory", "Draw the mean-field prediction", "toggle", True)
LAYERS = Control("grad_layers", "Layers in the histograms", "int", 5, lo=2, hi=8,
                 help="Histograms of this many layers, spread from the first to the last.")
PHASES = {
    "ordered": ":blue[**Ordered phase.**] χ₁ < 1: deep in the network each layer shrinks "
               "the gradient variance by χ₁, so gradients vanish.",
    "critical": ":green[**At the edge of chaos.**] χ₁ ≈ 1: the gradient variance has no "
                "exponential trend through depth; it changes only slowly, like a power of "
                "the depth, while the signal settles toward its fixed point.",
    "chaotic": ":red[**Chaotic phase.**] χ₁ > 1: each layer multiplies the gradient variance "
               "by χ₁, so gradients explode.",
}
NOT_MODELLED = ("The mean-field prediction covers plain networks, and LayerNorm or RMSNorm "
                "before the activation. Residual connections, normalization after the "
                "activation, and norms whose statistics couple examples or few units "
                "(BatchNorm, GroupNorm, InstanceNorm) change the backward pass in ways it does "
                "not model, so it is not drawn.")


def page(settings: Settings) -> None:
    spec = settings.spec
    res = cache.result(spec, PAGE.stats)
    st.title("Gradient flow")
    st.caption("Backpropagation runs the network in reverse: the gradient dL/dh starts at the "
               "loss and is multiplied by every layer on its way back to the input.")
    diag = diagnose(res)
    _headline(spec, res, diag)
    flow = _flow(spec, res, diag.backward)
    st.subheader("Where this network sits: ordered, critical or chaotic")
    _phase(spec)
    st.subheader("Gradient histograms (Karpathy's diagnostics)")
    download_button(_histograms(spec, res, flow), spec, "gradients")
    _explanation()


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
        st.caption("No theory line: the mean-field prediction describes a gradient that "
                   "shrinks or grows, not one that is exactly zero.")
    elif res.first_overflow is None:
        pred = cache.prediction(spec, float(res.log10_grad_var[-1]))
        if not pred.covers_norm:
            st.info(NOT_MODELLED, icon=":material/info:")
        elif show_theory:
            theory_curve = pred.log10_grad_var
            st.caption(f"Dashed: the theory, anchored at the last layer and multiplied by χ₁ of "
                       f"each layer going back (χ₁ = {pred.chi1[-1]:.3g} at layer {spec.depth}, "
                       f"{pred.chi1[0]:.3g} at layer 1).")
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
        st.markdown(PHASES[point.phase])
        depth_text = ("keeps its size layer after layer" if point.depth_scale == float("inf")
                      else f"changes by a factor e every {point.depth_scale:.3g} layers")
        settles = (f"the signal settles at q* = {point.q_star:.3g}. Once there,"
                   if point.q_star != float("inf") else
                   "the signal grows without bound (no fixed point); far out,")
        st.markdown(f"This network: σ_w² = fan_in × Var(W) = **{spec.sigma_w2:.4g}**, "
                    f"σ_b² = **{spec.bias_var:g}**: {settles} the gradient variance {depth_text}.")
        st.caption("χ₁ at the fixed point is the rate deep in a network, once the signal has "
                   "settled at q*. The first layers are still on their way there; the dashed "
                   "line in the chart above uses each layer's own χ₁.")
        if spec.norm != "none" or spec.residual:
            st.caption("The diagram describes the plain network (no normalization, no residual "
                       "connections); those change the backward pass, as the chart above shows.")


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
    st.caption("Each layer's values are shown in units of its own standard deviation, so the "
               "shapes can be compared at any scale; the legend gives the actual size. On the "
               "right, the grad:data ratio std(dL/dW) / std(W) says how big a gradient step is "
               "next to the weights it changes.")
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


def _explanation() -> None:
    """In the classroom's words."""
    st.markdown("""
    ### Why gradients vanish or explode

    The backward pass is the forward pass run in reverse, with the same weights. Going back
    through one layer, the gradient is multiplied by Wᵀ and by the activation's slope φ′(h).
    So, like the forward signal, its variance changes by a fixed factor per layer:

    **χ₁ = fan_in × Var(W) × E[φ′(h)²]**

    Mean-field theory calls this factor χ₁. For ReLU, φ′ is 1 on half of the units and 0 on
    the rest, so χ₁ = fan_in × Var(W) / 2: He init (Var(W) = 2 / fan_in) puts it at exactly 1.
    For tanh, saturated units have φ′ ≈ 0: big weights push units into saturation, which
    shrinks E[φ′²] just as σ_w² grows, so the critical line bends upward with the bias variance.

    The grad:data ratio tells you whether a learning rate will work for every layer at
    once: when it differs by powers of ten between layers, one step is too small for some
    layers and too large for others. Karpathy aims for about 10⁻³ for the update (learning
    rate × gradient) relative to the weights.
    """)

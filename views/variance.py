"""Page 1: the variance of the signal, layer by layer, next to what theory predicts."""

import streamlit as st

from core.experiments.diagnose import diagnose
from core.experiments.seeds import SEEDS
from figures.style import format_power
from figures.variance import variance_figure
from ui import cache, charts, controls, verdicts
from ui.controls import Control, Settings
from ui.export import download_button


# The first screen's one line: what to do here (the sidebar holds every control).
WHAT_TO_DO = ("Each layer multiplies the variance by **fan_in × Var(W)**: drag **Var(W)** and "
              "**Depth** in the sidebar and watch the curve, or pick a **Classroom demo**.")

BAND = Control("var_band", f"Show {SEEDS} other seeds", "toggle", False,
               help="Run the same network with the next seeds and shade, per layer, the "
                    "range their curves cover: how far finite width lets one draw wander.")


def page(settings: Settings) -> None:
    spec = settings.spec
    res = cache.result(spec, cache.PAGE_STATS["variance"])
    diag = diagnose(res)
    st.title("Variance through depth")
    st.markdown(WHAT_TO_DO)
    _headline(spec, res, diag)
    _chart(spec, res)
    download_button(res, "variance")
    _explanation()


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
    verdicts.show_elsewhere(diag, "variance", spec.depth)


def _chart(spec, res) -> None:
    """The measured curves, the theory's, and (on request) other seeds' band."""
    pred = cache.prediction(spec)
    normed = spec.norm != "none" and spec.norm_position == "before"
    curves = {"pre-activation h = xW + b" + (" (before the norm)" if normed else ""):
              res.log10_preact_var}
    if normed:
        curves["after the norm: what φ sees"] = res.log10_u_var
    curves["activation φ(·)"] = res.log10_act_var
    if spec.residual or (spec.norm != "none" and spec.norm_position == "after"):
        curves["layer output"] = res.log10_out_var
    theory_curves = {"theory: pre-activation": pred.log10_preact_var,
                     "theory: activation": pred.log10_act_var}
    if res.overflow_layer is not None or not pred.covers_forward:
        theory_curves = {}
    elif res.underflow_layer is not None:        # past it the run is zeros, not the network
        theory_curves = {k: v[:res.underflow_layer] for k, v in theory_curves.items()}
    if not pred.covers_forward:
        st.caption("No theory line: each set of normalization statistics here holds too few "
                   "values to look Gaussian, which the mean-field prediction assumes.")
    band = None
    if controls.page_control(BAND):
        seeds, shrunk = cache.seed_band(spec)
        controls.show_fixes(shrunk)
        band = {"other seeds (lowest to highest)": seeds.preact}
        st.caption(f"Shaded: where the pre-activation curve of seeds "
                   f"{', '.join(map(str, seeds.seeds))} lies, layer by layer.")
    charts.show(variance_figure(curves, theory_curves, res.overflow_layer,
                                    underflow_layer=res.underflow_layer, band=band),
                    key="variance_chart")


def _explanation() -> None:
    """In the classroom's words."""
    st.markdown("""
    ### Why the curve does this

    A unit in a linear layer adds up `fan_in` products of a weight and an input. When the
    weights and inputs are independent with mean zero, the variances of those products add:

    **Var(y) = fan_in × Var(W) × Var(x)**

    So each layer multiplies the variance by the same number, **fan_in × Var(W)**. Above 1,
    ten layers multiply it ten times and it explodes; below 1, it vanishes just as fast.
    At exactly 1 (Var(W) = 1 / fan_in) it stays put. Activations change the factor: ReLU
    zeroes half of its inputs and so halves it (He init doubles Var(W) to make up for it);
    tanh squashes large values, which is why PyTorch multiplies its init by the gain 5/3.

    Normalization layers cut the chain: BatchNorm, LayerNorm and their relatives rescale
    what enters the activation to variance 1 (then multiply it by their γ and add their
    β), whatever came in, so no factor can compound. The pre-activation h itself, measured
    before the norm, still has the size the weights give it: with a bad init it sits high,
    but level, because every layer starts again from a normalized signal. Switch on
    BatchNorm in the sidebar and compare the curves before and after the norm.

    The dashed line is mean-field theory's prediction for an infinitely wide network. At
    finite width each layer's factor is itself a little random, so the measured curve
    wanders around the line, and another seed wanders differently: switch on the other
    seeds to see how far, at this width and depth.
    """)

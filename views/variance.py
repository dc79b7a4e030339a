"""Page 1: the variance of the signal, layer by layer, next to what theory predicts."""

import streamlit as st

from core.experiments import diagnose
from figures.style import format_power
from figures.variance import variance_figure
from ui import cache
from ui.export import result_csv
from ui.controls import Settings


def page(settings: Settings) -> None:
    spec = settings.spec
    res = cache.result(spec)
    pred = cache.prediction(spec)

    st.title("Variance through depth")

    last = float(res.log10_act_var[-1])
    verdict = diagnose.trend(res.log10_preact_var, res.overflow_layer)
    cols = st.columns(3)
    cols[0].metric("Activation variance at the last layer", format_power(last))
    cols[1].metric("fan_in × Var(W) per layer", f"{spec.sigma_w2:.3g}")
    cols[2].metric("Measured change per layer", "overflow" if verdict.kind == "overflow"
                   else f"× {verdict.factor_per_layer:.3g}")

    VERDICTS = {
        "exploding": ":red[**Exploding.**] The variance grows by {dec:.1f} powers of ten from "
                     "layer 1 to layer {depth}.",
        "vanishing": ":blue[**Vanishing.**] The variance shrinks by {dec:.1f} powers of ten from "
                     "layer 1 to layer {depth}.",
        "stable": ":green[**Stable.**] The variance stays within a factor of ten through all "
                  "{depth} layers.",
        "zero": ":violet[**Dead.**] The signal is exactly zero by the last layer: every unit is off.",
        "overflow": ":orange[**Overflow.**] In {dtype} the values passed the largest number the "
                    "format holds at layer {layer}; from there on they are inf or NaN.",
    }
    st.markdown(VERDICTS[verdict.kind].format(
        dec=abs(verdict.decades) if verdict.decades == verdict.decades else 0, depth=spec.depth,
        dtype=spec.dtype, layer=(res.overflow_layer or 0) + 1))

    curves = {"pre-activation h = xW + b": res.log10_preact_var,
              "activation φ(·)": res.log10_act_var}
    if spec.residual or (spec.norm != "none" and spec.norm_position == "after"):
        curves["layer output"] = res.log10_out_var
    theory_curves = {"theory: pre-activation": pred.log10_preact_var,
                     "theory: activation": pred.log10_act_var}
    if res.overflow_layer is not None or not pred.covers_forward:
        theory_curves = {}
    if not pred.covers_forward:
        st.caption("No theory line: each set of normalization statistics here holds too few "
                   "values to look Gaussian, which the mean-field prediction assumes.")
    st.plotly_chart(variance_figure(curves, theory_curves, res.overflow_layer),
                    key="variance_chart")

    st.download_button("Download per-layer numbers (CSV)", result_csv(res),
                       file_name="layerscope_variance.csv", mime="text/csv", on_click="ignore")

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
    every layer's pre-activations to variance 1 (times their gain γ) whatever came in, so
    no factor can compound. Switch on BatchNorm in the sidebar and watch the curve flatten.

    The dashed line is mean-field theory's prediction for an infinitely wide network; at
    finite width the measured curve wanders around it by roughly 1 / √width per layer.
    """)

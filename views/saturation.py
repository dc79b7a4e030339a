"""Page 2: where the values of each layer sit, and how much gradient gets through there."""

import streamlit as st

from core import stats
from core.experiments.diagnose import diagnose
from core.activations import gradient_left, local_gradient_curve
from figures.histograms import (activation_histograms, format_percent, layer_density_map,
                                percent_by_layer, saturated_ranges)
from ui import cache, charts, controls, verdicts
from ui.controls import Settings, Control
from ui.export import Column, LayerTable, PERCENT, download_button, marks, upto
from ui.pages import BY_PATH

from .prose import Prose

PAGE = BY_PATH["saturation"]
TEXT = Prose(PAGE.url_path)

# Thresholds the core counts exactly in every run (stats.SATURATION_GRID): no re-simulation.
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.999)


def page(settings: Settings) -> None:
    spec = settings.spec
    res = cache.result(spec, PAGE.stats)
    act = res.activation
    kind = {"saturated": "bounded", "off": "off", None: "linear"}[act.flat_word]
    st.title("tanh saturation" if act.name == "tanh" else f"Saturation: {act.name}")
    st.caption(TEXT(f"intro.{kind}", name=act.name))
    first, last, count, threshold = _controls(spec, act, kind)
    valid = spec.depth if res.overflow_layer is None else res.overflow_layer
    # Past an overflow there is nothing to draw: spread the picks over the layers before it.
    shown = stats.spread_layers(min(first, valid), min(last, valid), count) if valid else []
    if res.overflow_layer is not None:
        st.warning(TEXT("notes.overflow", dtype=spec.dtype, layer=valid + 1),
                   icon=":material/warning:")
    table = layer_table(res, kind, threshold, valid, shown, dict(
        sat_count=count, **(dict(sat_first=first, sat_last=last) if spec.depth > 1 else {})))
    fracs = table.columns[0].values           # the share saturated (off) per layer
    if kind != "linear" and valid > 0:
        _headline(act, kind, fracs, valid, threshold)
    verdicts.show_elsewhere(diagnose(res), PAGE.url_path, spec.depth)
    x_title = _histograms(res, kind, shown, fracs, threshold)
    _by_layer(res, kind, table, valid, x_title)
    download_button(table, spec, "saturation")
    st.markdown(TEXT("explanation.saturation", at_97=1 - 0.97**2, at_99=1 - 0.99**2))
    if kind == "off":
        st.markdown(TEXT("explanation.off", name=act.name))


SHOWN = "shown above"            # the fraction chart's markers: the histograms' layers


def layer_table(res, kind, threshold, valid, shown, picks: dict) -> LayerTable:
    """The page's per-layer numbers: the share saturated (off) at the page's threshold up
    to the overflow, and the layers the histograms overlay (picks: the layer controls)."""
    if kind == "bounded":
        name, label = f"saturated_frac_above_{threshold:g}", f"saturated (|value| > {threshold:g})"
    elif kind == "off":
        name, label = "off_frac", "off (input ≤ 0)"
    else:
        name, label = "saturated_frac", "saturated (never, for linear)"
    fracs = res.saturated_frac_at(threshold if kind == "bounded" else None)
    in_force = dict(picks, **({"sat_threshold": f"{threshold:g}"} if kind == "bounded" else {}))
    return LayerTable((Column(name, label, upto(fracs, valid), note=PERCENT),
                       Column("shown_above", SHOWN, marks(shown, res.depth), role="marks")),
                      in_force)


def _controls(spec, act, kind):
    """The page's own controls (in the URL, like the sidebar's): layers and threshold."""
    cols = st.columns(4)
    count = controls.page_control(
        Control("sat_count", "Layers overlaid", "int", 5, lo=1, hi=6,
                help="How many layers to draw on top of each other, spread evenly."), cols[0])
    first = last = 1
    if spec.depth > 1:
        first = controls.page_control(
            Control("sat_first", "From layer", "int", 1, lo=1, hi=spec.depth), cols[1])
        last = controls.page_control(
            Control("sat_last", "To layer", "int", spec.depth, lo=1, hi=spec.depth,
                    follows_hi=True), cols[2])
    threshold = None
    if kind == "bounded":
        threshold = controls.page_control(
            Control("sat_threshold", "Saturated when |value| >", "steps", 0.97,
                    options=THRESHOLDS,
                    help="On the [-1, 1] scale. Karpathy counts tanh saturation at |t| > 0.97."
                         + (" For sigmoid, 0.97 means s < 0.015 or s > 0.985."
                            if act.name == "sigmoid" else "")), cols[3])
    elif kind == "off":
        cols[3].caption(TEXT("notes.no_threshold"))
    return first, last, count, threshold


def _headline(act, kind, fracs, valid, threshold) -> None:
    # Every share names its cutoff: a verdict counted at another can sit on the same screen.
    word = f"{act.flat_word.capitalize()} ({act.flat_rule(threshold)})"
    m = st.columns(3)
    m[0].metric(f"{word} at layer 1", format_percent(fracs[0]))
    m[1].metric(f"{word} at layer {valid}", format_percent(fracs[valid - 1]))
    if kind == "bounded":
        m[2].metric(f"Gradient left at |value| = {threshold:g}",
                    format_percent(gradient_left(act, threshold)),
                    help="φ′ there, as a share of its largest value (at the centre).")


def _histograms(res, kind, shown, fracs, threshold) -> str:
    """Karpathy's histograms, with the local gradient under them; returns the x-axis title."""
    act = res.activation
    lo, hi = float(res.hist_edges[0]), float(res.hist_edges[-1])
    if kind == "bounded":
        x_title = "activation value " + ("t = tanh(h)" if act.name == "tanh" else
                                         f"a = {act.name}(h)")
        gradients = [("local gradient " + ("1 − t²" if act.name == "tanh" else
                                           "s(1 − s)" if act.name == "sigmoid" else "φ′"),
                      *local_gradient_curve(act, lo, hi))]
        shade = saturated_ranges(act.bounded, threshold)
    else:
        x_title = "activation in units of its layer's rms (every layer scaled to rms 1)"
        if act.homogeneous:          # the curve is the same at every scale
            gradients = [("local gradient φ′", *local_gradient_curve(act, lo, hi))]
        else:
            gradients = [("local gradient φ′ (dotted, one per layer, at its scale)",
                          *local_gradient_curve(act, lo, hi, res.hist_log10_scale[k - 1]))
                         for k in shown]
        shade = [(lo, 0.0)] if kind == "off" else []
    if shown:
        charts.show(activation_histograms(
            res.hist_edges, res.act_hist, shown, res.act_mean, res.log10_act_var,
            fracs if act.flat_word else None, act.flat_word, gradients, shade, x_title),
            key="sat_histograms")
    else:
        st.info(TEXT("notes.no_histogram"))
    if kind != "linear":
        st.caption(TEXT(f"shaded.{kind}", threshold=threshold))
    return x_title


def _by_layer(res, kind, table, valid, x_title) -> None:
    """All layers at once, and the saturated share per layer."""
    left, right = st.columns(2)
    charts.show(layer_density_map(
        res.hist_edges, res.act_hist, valid, (),
        x_title if kind == "bounded" else "activation / layer rms"),
        left, key="sat_density_map")
    charts.show(percent_by_layer(
        table.curves(table.columns[0].name), valid, table.marked("shown_above"),
        mark_name=SHOWN, y_title="% of values",
        title=("Saturated" if kind != "off" else "Off") + " values, layer by layer"),
        right, key="sat_fraction_curve")


"""Page 3: units that are saturated or off for every example, and why they never come back."""

import streamlit as st

from core import stats
from core.experiments.diagnose import diagnose
from figures.heatmaps import (CODE_COLORS, SMALL_ROWS, SMALL_UNITS, count_label,
                              dead_map_figure, small_multiples)
from figures.histograms import format_percent, percent_by_layer
from ui import cache, charts, controls, verdicts
from ui.controls import Settings, Control
from ui.export import Column, LayerTable, PERCENT, download_button, marks, upto
from ui.pages import BY_PATH

from .prose import Prose

PAGE = BY_PATH["dead_neurons"]
TEXT = Prose(PAGE.url_path)


def page(settings: Settings) -> None:
    spec = settings.spec
    res = cache.result(spec, PAGE.stats)
    act = res.activation
    st.title("Dead neurons")
    word = act.flat_word
    if word is None:
        st.info(TEXT("linear"), icon=":material/info:")
        return
    rule = cutoff(spec, act) + (" on the [-1, 1] scale" if act.bounded is not None else "")
    st.caption(TEXT("intro", word=word, rule=rule))
    valid = spec.depth if res.overflow_layer is None else res.overflow_layer
    if res.overflow_layer is not None:
        st.warning(TEXT("overflow", dtype=spec.dtype, layer=valid + 1, word=word),
                   icon=":material/warning:")
    layer = 1
    if spec.depth > 1:
        layer = controls.page_control(
            Control("dead_layer", "Layer", "int", spec.depth, lo=1, hi=spec.depth,
                    help="The layer drawn large. Defaults to the last layer.", follows_hi=True),
            st.columns(2)[0])
    table = layer_table(res, layer, valid, word, rule)
    _metrics(res, layer, valid, word, table.columns[1].values)
    verdicts.show_elsewhere(diagnose(res), PAGE.url_path, spec.depth)
    _one_layer(res, layer, valid, word)
    _through_depth(res, table, valid, word)
    download_button(table, spec, "dead_units")
    st.markdown(TEXT("explanation", at_99=1 - 0.99**2))


DRAWN = "drawn above"           # the curve chart's marker: the layer whose map is drawn


def cutoff(spec, act) -> str:
    """Where this page counts a value saturated (off), as the page writes it.

    The app has two cutoffs, both from Karpathy's makemore lecture, and keeps both: a
    value is saturated past |t| > spec.saturation_threshold (0.97, his per-layer
    "saturated %": the Saturation page's default, the verdicts, training), and a unit is
    dead when it is past |t| > spec.dead_threshold (0.99, his white cells of
    h.abs() > 0.99) on every example. This page draws that 0.99 map, so its share of
    saturated values is counted at 0.99 too, to agree with the dark cells beside it; a
    verdict counted at 0.97 can sit on the same screen, so every share names its cutoff.
    """
    return act.flat_rule(spec.dead_threshold)


def layer_table(res, layer, valid, word, rule) -> LayerTable:
    """The page's per-layer numbers up to the overflow: the dead share and the share of
    values saturated (off) at the dead-unit threshold, and the layer drawn large."""
    bounded = res.activation.bounded is not None
    at_cutoff = res.saturated_frac_at(res.spec.dead_threshold if bounded else None)
    name = f"saturated_frac_above_{res.spec.dead_threshold:g}" if bounded else "off_frac"
    return LayerTable((
        Column("dead_frac", "dead units (% of units)", upto(res.dead_frac, valid),
               note=PERCENT),
        Column(name, f"{word} values (% of values, {rule})", upto(at_cutoff, valid),
               note=PERCENT),
        Column("drawn_above", DRAWN, marks([layer], res.depth), role="marks")),
        {"dead_layer": layer} if res.depth > 1 else {})


def _metrics(res, layer, valid, word, at_cutoff) -> None:
    m = st.columns(3)
    m[0].metric(f"Dead units at layer {layer}", count_label(res.dead_units[layer - 1]))
    m[1].metric(f"{word.capitalize()} values ({cutoff(res.spec, res.activation)}) "
                f"at layer {layer}",
                format_percent(at_cutoff[layer - 1]) if layer <= valid else "inf/NaN")
    depth = len(res.dead_units)
    m[2].metric("Dead units in the whole network", count_label(res.dead_units[:valid]),
                help=f"All units of layers 1 to {valid}" + (", up to the overflow."
                                                             if valid < depth else "."))


def _one_layer(res, layer, valid, word) -> None:
    """One layer's map, large."""
    if layer > valid:
        st.info(TEXT("past_overflow", layer=layer, valid=valid))
        return
    spec = res.spec
    charts.show(dead_map_figure(res.dead_map(layer - 1), res.dead_units[layer - 1],
                                layer, word),
                key="dead_map")
    st.caption(TEXT("shown", examples=res.map_values.shape[1], units=res.map_values.shape[2],
                    positions=" × positions" if spec.spatial > 1 else "", word=word,
                    values=spec.batch * spec.spatial))


def _through_depth(res, table, valid, word) -> None:
    """The dead share per layer, and six layers' maps side by side."""
    charts.show(percent_by_layer(
        table.curves(*(c.name for c in table.columns[:2])), valid, table.marked("drawn_above"),
        mark_name=DRAWN, title="Dead units, layer by layer", y_title="%",
        colors=CODE_COLORS[2:0:-1]),
        key="dead_fraction_curve")
    panels = stats.spread_layers(1, len(res.dead_units), 6)
    rows, units = (min(SMALL_ROWS, res.map_values.shape[1]), min(SMALL_UNITS, res.map_values.shape[2]))
    charts.show(small_multiples(
        [(k, res.dead_map(k - 1) if k <= valid else None, res.dead_units[k - 1]) for k in panels],
        word, title=f"{len(panels)} layers side by side (first {rows} examples × {units} units)"),
        key="dead_small_multiples")


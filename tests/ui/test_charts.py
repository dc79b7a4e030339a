"""ui.charts names the network under every chart's title: the settings that make it the
network it is, in lines that fit a column, as plain text; the figure grows by those
lines so its plot keeps its size; runs compared share only what they have in common."""

from __future__ import annotations

import pytest
import streamlit as st
from hypothesis import given, strategies as hs

from core import NetworkSpec
from core.activations import ACTIVATIONS
from figures import style
from ui import charts


def test_the_settings_name_the_network():
    spec = NetworkSpec(activation="relu", depth=20, width=64, init="kaiming_normal",
                       norm="group", groups=4, bias_var=0.5, residual=True,
                       residual_scale=0.5, dtype="float32", seed=3)
    text = ", ".join(p for _, p in charts.settings_phrases(spec))
    for words in ("relu", "depth 20", "width 64", "Kaiming normal (fan_in), gain √2",
                  "fan_in × Var(W) = 2", "bias Var 0.5", "GroupNorm (4 groups) before φ",
                  "residual × 0.5", "float32", "seed 3"):
        assert words in text, (words, text)


@given(activation=hs.sampled_from(sorted(ACTIVATIONS)), depth=hs.integers(1, 100),
       width=hs.integers(2, 512), weight_var=hs.floats(1e-6, 1e3),
       width_chars=hs.sampled_from([charts.LINE_CHARS, charts.WIDE_LINE_CHARS]))
def test_settings_lines_fit_and_keep_every_phrase(activation, depth, width, weight_var,
                                                  width_chars):
    spec = NetworkSpec(activation=activation, depth=depth, width=width, weight_var=weight_var)
    phrases = [p for _, p in charts.settings_phrases(spec)]
    lines = charts.wrap_phrases(phrases, width_chars)
    assert all(len(line) <= width_chars for line in lines)
    assert ", ".join(lines) == ", ".join(phrases)


def test_settings_text_is_never_markup():
    assert charts.wrap_phrases(["<b>x</b> & <a href=y>"]) == [
        "&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href=y&gt;"]


def test_the_settings_lines_make_the_figure_taller_not_the_plot_smaller():
    fig = style.figure([dict(type="scatter", y=[1, 2], name=n) for n in "abc"],
                       style.layout("t", height=400))
    for present in (False, True):
        shown = charts.readable(fig, present)
        before = shown.layout.to_plotly_json()
        after = charts.with_settings(shown, ["one", "two"], present=present).layout
        assert after.title.subtitle.text == "one<br>two"
        assert after.title.text == "t"
        assert (after.height - after.margin.t - after.margin.b
                == before["height"] - before["margin"]["t"] - before["margin"]["b"])
        assert after.margin.t > before["margin"]["t"]
        assert (1 - after.legend.y) * after.height == pytest.approx(after.margin.t)  # under


def test_runs_compared_share_only_what_they_have_in_common():
    a = NetworkSpec(activation="tanh", weight_var=0.1)
    charts.describe([a, a.replace(norm="batch"), a.replace(readout_scale=0.01)], "SGD")
    fields = [f for f, _ in st.session_state[charts.NETWORK_KEY]]
    assert "norm" not in fields and "readout_scale" not in fields
    assert {"activation", "depth", "init"} <= set(fields) and fields[-1] == "more"

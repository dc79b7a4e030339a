"""AppTest of the landing page: the plotted curves are core's numbers, whatever the input."""

import math

import pytest

import lessons
from core import ACTIVATIONS, NORMS, simulate, theory
from ui import presets
from ui.controls import to_spec
from views import variance

from .helpers import figures, no_exceptions, open_page, spec_for, trace, ys


def plotted_last(at, name_part):
    return ys(trace(figures(at)[0], name_part))[-1]


def test_default_view_plots_the_simulation_and_the_theory():
    at = open_page()
    no_exceptions(at)
    spec = spec_for()
    res = simulate(spec)
    pred = theory.predict(spec)
    fig = figures(at)[0]
    assert ys(trace(fig, "pre-activation h"))[-1] == pytest.approx(res.log10_preact_var[-1], abs=1e-5)
    assert ys(trace(fig, "activation φ"))[-1] == pytest.approx(res.log10_act_var[-1], abs=1e-5)
    assert ys(trace(fig, "theory: pre-activation")) == pytest.approx(list(pred.log10_preact_var), abs=1e-5)
    assert len(ys(trace(fig, "activation φ"))) == spec.depth


def test_default_view_is_the_lessons_first_fact():
    """Opened without a link: one line says what to do, and the network is the variance
    lesson's first: ten linear layers of width 100, N(0, 1) weights, 10^20 at layer 10."""
    at = open_page()
    no_exceptions(at)
    assert at.markdown[0].value == variance.TEXT("what_to_do")
    assert at.metric[0].value.endswith(("10²⁰", "10¹⁹")) and at.metric[1].value == "100"
    assert any("Exploding" in m.value for m in at.markdown)
    assert any(i.value.startswith("**Exploding") for i in at.info)      # the demo's note
    assert "10²⁰" in figures(at)[0]["layout"]["yaxis"]["ticktext"]


def test_lesson_numbers_on_the_page():
    # FACTS.md: ten linear layers of width 100, N(0, 1) weights -> ~1e20.
    at = open_page(activation="linear", depth=10, width=100, weight_var=1.0)
    no_exceptions(at)
    assert plotted_last(at, "activation φ") == pytest.approx(20, abs=0.3)
    assert "10²⁰" in at.metric[0].value or "10¹⁹" in at.metric[0].value
    assert at.metric[1].value == "100"
    assert any("Exploding" in m.value for m in at.markdown)
    at = open_page(activation="linear", depth=10, width=100, weight_var=0.001)
    assert plotted_last(at, "activation φ") == pytest.approx(-10, abs=0.3)
    assert any("Vanishing" in m.value for m in at.markdown)


def test_slider_change_updates_the_chart():
    at = open_page()
    before = plotted_last(at, "activation φ")
    at.slider(key="depth").set_value(40)
    at.run()
    no_exceptions(at)
    after = ys(trace(figures(at)[0], "activation φ"))
    assert len(after) == 40
    assert after[-1] == pytest.approx(simulate(spec_for(depth=40)).log10_act_var[-1], abs=1e-5)
    assert after[-1] != pytest.approx(before)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("norm", NORMS)
def test_every_activation_and_norm(activation, norm):
    at = open_page(activation=activation, norm=norm, depth=6, width=16, batch=32)
    no_exceptions(at)
    spec = spec_for(activation=activation, norm=norm, depth=6, width=16, batch=32)
    res = simulate(spec)
    assert plotted_last(at, "activation φ") == pytest.approx(res.log10_act_var[-1], abs=1e-5)


@pytest.mark.parametrize("preset", presets.PRESETS, ids=lambda p: p.name)
def test_each_preset_sets_the_controls_and_explains_itself(preset):
    at = open_page()
    at.selectbox(key="_preset_choice").set_value(preset.name)
    at.run()
    no_exceptions(at)
    for key, value in preset.values.items():
        assert at.session_state[key] == value, key
    res = simulate(to_spec(preset.full_values()).spec)
    assert any(preset.text(lessons.facts(res)) in i.value for i in at.info)   # beside the charts
    titles = {"variance": "Variance through depth", "dead_neurons": "Dead neurons",
              "training": "Training", "depth_scales": "Depth scales",
              "saturation": "tanh saturation" if res.spec.activation == "tanh" else
              f"Saturation: {res.spec.activation}"}
    assert at.title[0].value == titles[preset.page]                # the demo's own page
    if preset.page != "variance":
        return
    y = ys(trace(figures(at)[0], "activation φ"))
    finite = [v for v in y if v is not None]
    if res.overflow_layer is None:
        assert y[-1] == pytest.approx(res.log10_act_var[-1], abs=1e-5)
    else:
        # float16: layers past the overflow are gaps (None), never inf or NaN drawn as data
        assert all(math.isfinite(v) for v in finite)
        assert y[res.overflow_layer + 1:] == [None] * (len(y) - res.overflow_layer - 1)
        assert any("Overflow" in m.value for m in at.markdown)


def test_garbage_url_is_clamped_and_said():
    at = open_page(width="5000", depth="-4", weight_var="banana", activation="softmax",
                  residual="maybe", zzz="1")
    no_exceptions(at)
    notes = " ".join(w.value for w in at.warning)
    for part in ("width=5000", "depth=-4", "weight_var=banana", "activation=softmax",
                 "residual=maybe", "zzz"):
        assert part in notes
    assert at.slider(key="width").value == 1024
    assert at.slider(key="depth").value == 1
    assert at.selectbox(key="activation").value == "linear"          # the default


def test_extreme_settings_stay_live_and_finite():
    at = open_page(depth=200, width=1024, batch=1024, weight_var=10.0, activation="linear")
    no_exceptions(at)
    assert any("batch" in i.value for i in at.info)
    y = ys(trace(figures(at)[0], "activation φ"))
    assert len(y) == 200 and all(v is not None and math.isfinite(v) for v in y)
    assert y[-1] > 800           # (1024 * 10)^200 = 1e800: beyond float64, still plotted exactly


def test_float16_overflow_is_marked_not_plotted():
    at = open_page(activation="linear", depth=20, weight_var=0.1, dtype="float16")
    no_exceptions(at)
    fig = figures(at)[0]
    shapes = fig["layout"].get("shapes", [])
    res = simulate(spec_for(activation="linear", depth=20, weight_var=0.1, dtype="float16"))
    assert res.overflow_layer is not None
    assert any(s.get("x0") == res.overflow_layer + 1 for s in shapes)

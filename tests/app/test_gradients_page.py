"""AppTest of the gradient-flow page: the plotted numbers are core's, whatever the input."""

import math

import numpy as np
import pytest

from core import phase, simulate, theory

from .helpers import chart_titled, figures, no_exceptions, open_page, spec_for, tanh, trace, ys

PAGE = "gradients"
SMALL = dict(depth=6, width=16, batch=32)


def test_tanh_view_plots_core_numbers():
    at = open_page(PAGE, **tanh())
    no_exceptions(at)
    spec = spec_for(**tanh())
    res = simulate(spec)
    flow = chart_titled(at, "Forward and backward")
    grad = ys(trace(flow, "backward"))
    assert len(grad) == spec.depth
    assert grad[-1] == pytest.approx(res.log10_grad_var[-1], abs=1e-5)
    assert grad[0] == pytest.approx(res.log10_grad_var[0], abs=1e-5)
    assert ys(trace(flow, "forward"))[-1] == pytest.approx(res.log10_act_var[-1], abs=1e-5)
    pred = theory.predict(spec, res.log10_grad_var[-1])
    assert ys(trace(flow, "theory")) == pytest.approx(list(pred.log10_grad_var), abs=1e-5)
    # the verdict follows the numbers: at layer 1 the gradient is 1-2 decades smaller, a
    # drift at the edge of chaos: more than the factor of ten called stable, not the
    # "vanishing" the phase text would contradict
    decades = res.log10_grad_var[0] - res.log10_grad_var[-1]
    assert -2 < decades < -1
    text = " ".join(m.value for m in at.markdown)
    assert f"shrinks {-decades:.1f} powers of ten" in text and "Drifting" in text
    assert "Stable" not in text
    assert "Vanishing" not in text and "edge of chaos" in text
    # phase diagram: tanh at sigma_w2 = 1, sigma_b2 = 0 sits on the critical line
    ph = chart_titled(at, "Phase diagram")
    point = ph["data"][-1]
    assert point["x"] == [0.0] and point["y"] == [pytest.approx(0.0)]
    sb2, sw2 = phase.critical_line("tanh")
    assert ys(trace(ph, "critical line")) == pytest.approx(list(map(math.log10, sw2)), abs=1e-5)
    assert at.metric[3].value == "1"                         # chi1 at the fixed point
    # histograms: Karpathy's legends carry the std and the grad:data ratio
    hist = chart_titled(at, "Activation gradients")
    names = [t["name"] for t in hist["data"]]
    assert len(names) == 5 and names[0].startswith("layer 1: std")
    wh = chart_titled(at, "Weight gradients")
    ratio = 10 ** res.log10_weight_grad_ratio[-1]
    assert wh["data"][-1]["name"] == f"layer {spec.depth}: grad:data {ratio:.3g}"


@pytest.mark.parametrize("activation, norm", [("relu", "none"), ("relu", "batch"),
                                              ("linear", "layer"), ("gelu", "rms"),
                                              ("sigmoid", "group"), ("tanh", "instance")])
def test_activations_and_norms(activation, norm):
    at = open_page(PAGE, activation=activation, norm=norm, **SMALL)
    no_exceptions(at)
    spec = spec_for(activation=activation, norm=norm, **SMALL)
    res = simulate(spec)
    grad = ys(trace(chart_titled(at, "Forward and backward"), "backward"))
    assert grad == pytest.approx(list(res.log10_grad_var), abs=1e-5)
    point = chart_titled(at, "Phase diagram")["data"][-1]
    assert point["y"] == [pytest.approx(math.log10(spec.sigma_w2))]


def test_theory_is_not_drawn_where_it_does_not_apply():
    at = open_page(PAGE, residual=True, **SMALL)
    no_exceptions(at)
    names = [t["name"] for t in chart_titled(at, "Forward and backward")["data"]]
    assert not any("theory" in n for n in names)
    assert any("not drawn" in i.value for i in at.info)
    at = open_page(PAGE, norm="batch", **SMALL)             # couples examples: not modelled
    assert not any("theory" in t["name"] for t in chart_titled(at, "Forward and backward")["data"])
    at = open_page(PAGE, norm="layer", **SMALL)             # per example: modelled
    assert any("theory" in t["name"] for t in chart_titled(at, "Forward and backward")["data"])
    at = open_page(PAGE, grad_theory="false", **SMALL)
    names = [t["name"] for t in chart_titled(at, "Forward and backward")["data"]]
    assert not any("theory" in n for n in names)


def test_overflow_is_said_and_never_plotted():
    at = open_page(PAGE, activation="linear", depth=20, weight_var=0.1, dtype="float16")
    no_exceptions(at)
    assert any("Overflow" in m.value for m in at.markdown)
    for fig in figures(at):
        for tr in fig["data"]:
            for v in ys(tr) if "y" in tr else []:
                assert v is None or math.isfinite(v)
    names = [t["name"] for t in chart_titled(at, "Forward and backward")["data"]]
    assert not any("theory" in n for n in names)


def test_extreme_settings():
    at = open_page(PAGE, depth=200, width=1024, batch=1024, weight_var=10.0, activation="linear")
    no_exceptions(at)
    grad = ys(trace(chart_titled(at, "Forward and backward"), "backward"))
    assert len(grad) == 200 and all(v is not None and math.isfinite(v) for v in grad)
    assert grad[0] - grad[-1] > 700                   # exploding toward the input, exactly
    assert any("Exploding gradients" in m.value for m in at.markdown)
    assert "chaotic" in chart_titled(at, "Phase diagram")["data"][0]["name"]


def test_garbage_page_parameters():
    at = open_page(PAGE, grad_layers="banana", grad_theory="maybe", **SMALL)
    no_exceptions(at)
    notes = " ".join(w.value for w in at.warning)
    assert "grad_layers=banana" in notes and "grad_theory=maybe" in notes
    assert len(chart_titled(at, "Activation gradients")["data"]) == 5
    at = open_page(PAGE, grad_layers="99", depth=20)
    assert len(chart_titled(at, "Activation gradients")["data"]) == 8


def test_page_controls_and_rerun_time():
    at = open_page(PAGE)
    at.slider(key="grad_layers").set_value(3).run()
    no_exceptions(at)
    assert len(chart_titled(at, "Activation gradients")["data"]) == 3
    at.slider(key="depth").set_value(25)
    at.run()
    no_exceptions(at)
    grad = ys(trace(chart_titled(at, "Forward and backward"), "backward"))
    assert grad[-1] == pytest.approx(simulate(spec_for(depth=25)).log10_grad_var[-1], abs=1e-5)


def test_its_csv_carries_dl_dw_and_the_other_pages_say_so():
    """Only this page computes dL/dW: its CSV button says nothing of another page's, the
    variance page's (whose CSV has no dL/dW column) says where the column is."""
    here = open_page(PAGE, **SMALL).get("download_button")
    there = open_page("variance", **SMALL).get("download_button")
    assert len(here) == 1 and "Gradient flow page's CSV" not in here[0].proto.help
    assert len(there) == 1 and "Gradient flow page's CSV" in there[0].proto.help


def page_text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def test_float16_backward_overflow_names_the_pass_and_its_layer():
    # chaotic tanh: the forward pass stays in [-1, 1], the gradient outgrows float16
    params = dict(activation="tanh", depth=53, weight_var=1.259, bias_var=0.1, seed=1,
                  dtype="float16")
    at = open_page(PAGE, **params)
    no_exceptions(at)
    res = simulate(spec_for(**params))
    assert np.isfinite(res.log10_preact_var).all()
    layer = int(np.flatnonzero(np.isnan(res.log10_grad_var)).max()) + 1   # counted from 1
    text = page_text(at)
    assert "Overflow" in text and "None" not in text
    assert "the forward pass and the loss stayed in range" in text
    assert f"dL/dh passed the largest number the format holds at layer {layer}" in text


def test_instance_norm_over_two_positions_says_the_gradient_is_zero_by_construction():
    at = open_page(PAGE, norm="instance", spatial=2)
    no_exceptions(at)
    res = simulate(spec_for(norm="instance", spatial=2))
    assert res.loss == pytest.approx(math.log(27), rel=1e-12)      # the logits are all 0
    text = page_text(at)
    assert "No gradient" in text and "By construction, not by rounding" in text
    assert "Underflow" not in text and "ran out of small numbers" not in text
    assert "−c and +c" in text and f"the loss is {res.loss:.4f} (ln 27" in text
    assert at.metric[2].value == "zero"


def test_a_constant_readout_with_rounding_noise_says_what_is_drawn():
    # InstanceNorm after gelu: the readout always sees beta, yet rounding leaves a tiny
    # gradient, which the page must not present as a signal
    params = dict(norm="instance", spatial=2, norm_position="after", activation="gelu")
    at = open_page(PAGE, **params)
    no_exceptions(at)
    assert np.isfinite(simulate(spec_for(**params)).log10_grad_var).all()
    notes = " ".join(c.value for c in at.caption)
    assert "By construction" in notes and "rounding error of the arithmetic" in notes

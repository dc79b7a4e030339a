"""AppTest of the initialization page: every scheme's curve, the tables, and the
"confidently wrong" loss are core's numbers."""

import math

import numpy as np
import pytest

from core import SCHEMES, simulate
from core.experiments.readout import readout_sweep
from ui.labels import INIT_LABELS

from .helpers import figures, no_exceptions, open_page, spec_for, tanh, trace, xs, ys

PAGE = "initialization"
LOSS_VIEW = "Confidently wrong at init"
SMALL = dict(depth=6, width=16, batch=32)


def test_every_scheme_is_one_trace_with_its_own_numbers():
    at = open_page(PAGE, **tanh())
    no_exceptions(at)
    spec = spec_for(**tanh())
    fig = figures(at)[0]
    assert [t["name"] for t in fig["data"]] == [INIT_LABELS[s] for s in SCHEMES]
    for scheme in SCHEMES:
        res = simulate(spec.replace(init=scheme))
        y = ys(trace(fig, INIT_LABELS[scheme]))
        assert y[-1] == pytest.approx(res.log10_preact_var[-1], abs=1e-5), scheme
    # torch_default vanishes (fan_in x Var(W) = 1/3), Kaiming with tanh's gain stays flat
    table = at.dataframe[0].value
    rows = {r["scheme"].lstrip("▶ "): r for r in table.to_dict("records")}
    assert rows["PyTorch nn.Linear default"]["forward"].startswith("vanishes (−")
    assert rows["Kaiming normal (fan_in)"]["forward"].startswith("steady (")
    assert rows["Kaiming normal (fan_in)"]["fan_in×Var(W)"] == "2.778"
    assert rows["PyTorch nn.Linear default"]["Var(W), width 100"] == "0.003333"
    assert table.to_dict("records")[0]["scheme"].startswith("▶")      # the sidebar's scheme
    gains = [m.value for m in at.markdown if m.value.startswith("| activation")][0]
    assert "| **▶ tanh** | **▶ 5/3** | **▶ 1.6667** |" in gains
    assert "| relu | √2 | 1.4142 |" in gains and "| selu | 3/4 | 0.7500 |" in gains


def test_gradient_view_and_relu():
    at = open_page(PAGE, activation="relu", init_quantity="gradient variance (backward)", **SMALL)
    no_exceptions(at)
    spec = spec_for(activation="relu", **SMALL)
    fig = figures(at)[0]
    for scheme in ("kaiming_normal", "torch_default"):
        res = simulate(spec.replace(init=scheme))
        assert ys(trace(fig, INIT_LABELS[scheme])) == pytest.approx(list(res.log10_grad_var), abs=1e-5)
    gains = [m.value for m in at.markdown if m.value.startswith("| activation")][0]
    assert "**▶ relu**" in gains and "**▶ tanh**" not in gains


@pytest.mark.parametrize("activation, norm", [("linear", "none"), ("selu", "batch"),
                                              ("leaky_relu", "layer")])
def test_activations_and_norms(activation, norm):
    at = open_page(PAGE, activation=activation, norm=norm, **SMALL)
    no_exceptions(at)
    spec = spec_for(activation=activation, norm=norm, **SMALL)
    fig = figures(at)[0]
    res = simulate(spec.replace(init="orthogonal"))
    assert ys(trace(fig, "orthogonal"))[-1] == pytest.approx(res.log10_preact_var[-1], abs=1e-5)


def test_confidently_wrong_at_init():
    at = open_page(PAGE, **tanh(init_view=LOSS_VIEW))
    no_exceptions(at)
    spec = spec_for(**tanh())
    loss_fig, probs_fig = figures(at)
    curve = trace(loss_fig, "initial loss")
    x, y = xs(curve), ys(curve)
    for s in (0.01, 1.0, 10.0):
        i = int(np.argmin(np.abs(np.array(x) - math.log10(s))))
        assert 10 ** y[i] == pytest.approx(simulate(spec.replace(readout_scale=s)).loss, rel=1e-5)
    assert 10 ** y[0] == pytest.approx(3.2958, abs=1e-3)               # FACTS: log 27
    lines = [s for s in loss_fig["layout"]["shapes"] if s.get("y0") == s.get("y1")]
    assert any(s["y0"] == pytest.approx(math.log10(math.log(27))) for s in lines)
    assert at.metric[0].value == f"{simulate(spec).loss:.4g}"
    assert at.metric[1].value == "3.2958"
    # the example's bars are its softmax at the current scale
    sweep = readout_sweep(spec, (1.0,))
    bars = trace(probs_fig, "readout scale 1 (")
    assert ys(bars) == pytest.approx(list(sweep.probs(0, 1.0)), abs=1e-6)
    assert ys(trace(probs_fig, "readout scale 0.01")) == pytest.approx(
        list(sweep.probs(0, 0.01)), abs=1e-6)


def test_big_readout_is_confidently_wrong():
    at = open_page(PAGE, **tanh(init_view=LOSS_VIEW, readout_scale=10.0, init_example=3))
    no_exceptions(at)
    spec = spec_for(**tanh(readout_scale=10.0))
    assert float(at.metric[0].value) == pytest.approx(simulate(spec).loss, rel=1e-3)
    assert float(at.metric[0].value) > 27
    probs = ys(figures(at)[1]["data"][-1])
    assert max(probs) > 0.5                               # confident...
    label = int(readout_sweep(spec, (10.0,)).labels[3])
    assert probs[label] < 0.05                            # ...and wrong
    assert "Example 3" in figures(at)[1]["layout"]["title"]["text"]


def test_overflow_and_extremes():
    at = open_page(PAGE, activation="linear", depth=20, weight_var=0.1, dtype="float16")
    no_exceptions(at)
    for tr in figures(at)[0]["data"]:
        assert all(v is None or math.isfinite(v) for v in ys(tr))
    at = open_page(PAGE, depth=200, width=1024, batch=1024, weight_var=10.0, activation="linear")
    no_exceptions(at)
    assert any("width" in i.value for i in at.info)         # the comparison's budget note
    y = ys(trace(figures(at)[0], INIT_LABELS["custom"]))
    assert len(y) == 200 and y[-1] > 700


def test_garbage_page_parameters():
    at = open_page(PAGE, init_view="nonsense", init_quantity="zzz", **SMALL)
    no_exceptions(at)
    notes = " ".join(w.value for w in at.warning)
    assert "init_view=nonsense" in notes and "init_quantity=zzz" in notes
    assert len(figures(at)[0]["data"]) == len(SCHEMES)
    at = open_page(PAGE, init_view=LOSS_VIEW, init_example="999", batch=8)
    no_exceptions(at)
    assert "init_example=999" in " ".join(w.value for w in at.warning)
    assert "Example 7" in figures(at)[1]["layout"]["title"]["text"]


def test_the_chart_follows_the_depth_slider():
    at = open_page(PAGE)
    at.slider(key="depth").set_value(25)
    at.run()
    no_exceptions(at)
    assert len(ys(figures(at)[0]["data"][0])) == 25

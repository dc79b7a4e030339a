"""AppTest of the saturation page: what it plots is core's numbers, for every setting."""

import json

import numpy as np
import pytest

from core import ACTIVATIONS, NORMS, simulate, stats
from core.activations import get
from figures.histograms import density

from .helpers import _decode, no_exceptions, open_page, spec_for, tanh

PAGE = "saturation"
KEYS = ("sat_histograms", "sat_density_map", "sat_fraction_curve")


def chart(at, key) -> dict:
    found = [c for c in at.get("plotly_chart") if c.proto.id.endswith("-" + key)]
    assert found, f"no chart with key {key!r}"
    return json.loads(found[0].proto.spec)


def arr(v) -> np.ndarray:
    return np.asarray(_decode(v))


def assert_finite_data(at):
    """Nothing drawn from inf or NaN, on any chart of the page."""
    for c in at.get("plotly_chart"):
        for tr in json.loads(c.proto.spec)["data"]:
            for k in ("x", "y", "z"):
                if tr.get(k) is not None:
                    a = arr(tr[k])
                    if a.dtype.kind == "f":
                        assert np.isfinite(a).all(), (c.proto.id, tr.get("name"), k)


def check_page(at, spec, threshold=0.97):
    """The figures' data against a fresh simulation of the same spec."""
    no_exceptions(at)
    assert_finite_data(at)
    res = simulate(spec)
    act = get(spec.activation)
    valid = spec.depth if res.overflow_layer is None else res.overflow_layer
    fracs = res.saturated_frac_at(threshold if act.bounded else None)
    # per-layer curve: core's fraction, in percent, up to the overflow
    curve = chart(at, "sat_fraction_curve")["data"][0]
    assert arr(curve["y"]) == pytest.approx((100 * fracs[:valid]).astype(np.float32))
    assert arr(curve["x"]).tolist() == list(range(1, valid + 1))
    # histograms: each line is core's act_hist row as a density; the legend says the %
    hist = chart(at, "sat_histograms")
    lines = [t for t in hist["data"] if t["name"].startswith("layer ")]
    assert 1 <= len(lines) <= 6
    for t in lines:
        k = int(t["name"].split(":")[0].split()[1])
        assert k <= valid
        assert arr(t["y"]) == pytest.approx(density(res.act_hist[k - 1], res.hist_edges)
                                            .astype(np.float32), rel=1e-6, abs=1e-6)
        if act.bounded or act.relu_like:
            assert t["name"].endswith(f"{100 * fracs[k - 1]:.2f}%")
    grads = [t for t in hist["data"] if t["name"].startswith("local gradient")]
    assert grads and all(t["yaxis"] == "y2" for t in grads)
    assert len(hist["data"]) <= 12
    # all layers at once: one row per layer
    z = arr(chart(at, "sat_density_map")["data"][0]["z"])
    assert z.shape == (spec.depth, res.act_hist.shape[1])
    return res


def test_tanh_view_is_karpathys_plot():
    at = open_page(PAGE, **tanh())
    spec = spec_for(**tanh())
    res = check_page(at, spec)
    hist = chart(at, "sat_histograms")
    names = [t["name"] for t in hist["data"]]
    assert [n.split(":")[0] for n in names[:5]] == ["layer 1", "layer 3", "layer 6",
                                                      "layer 8", "layer 10"]
    # Karpathy's legend: mean, std, saturated % at |t| > 0.97
    assert names[0] == (f"layer 1: mean {res.act_mean[0]:+.3f}, std "
                        f"{np.sqrt(res.act_var[0]):.3g}, saturated "
                        f"{100 * res.saturated_frac[0]:.2f}%")
    grad = hist["data"][-1]
    assert grad["name"] == "local gradient 1 − t²"
    assert arr(grad["y"]) == pytest.approx(1 - arr(grad["x"]).astype(float) ** 2, abs=1e-6)
    assert at.metric[0].value == f"{100 * res.saturated_frac[0]:.2f}%"
    assert at.metric[2].value == "5.91%"                  # 1 - 0.97^2
    assert at.select_slider(key="sat_threshold").value == 0.97


def test_threshold_moves_the_count_not_the_simulation():
    at = open_page(PAGE, **tanh(weight_var=0.1))
    at.select_slider(key="sat_threshold").set_value(0.8)
    at.run()
    check_page(at, spec_for(**tanh(weight_var=0.1)), threshold=0.8)
    # the same numbers a run with that threshold in its spec counts
    other = simulate(spec_for(**tanh(weight_var=0.1)).replace(saturation_threshold=0.8))
    y = arr(chart(at, "sat_fraction_curve")["data"][0]["y"])
    assert y == pytest.approx((100 * other.saturated_frac).astype(np.float32))
    assert y[0] > 100 * simulate(spec_for(**tanh(weight_var=0.1))).saturated_frac[0]


def test_layer_picks_follow_the_controls():
    at = open_page(PAGE, depth=30, sat_count=3, sat_first=4, sat_last=20)
    spec = spec_for(depth=30)
    check_page(at, spec)
    names = [t["name"] for t in chart(at, "sat_histograms")["data"]]
    assert [n.split(":")[0] for n in names if n.startswith("layer")] == \
        ["layer 4", "layer 12", "layer 20"]
    marks = chart(at, "sat_fraction_curve")["data"][1]
    assert arr(marks["x"]).tolist() == [4, 12, 20]


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_activation(activation):
    at = open_page(PAGE, activation=activation, weight_var=0.03162)
    assert not at.warning, [w.value for w in at.warning]
    spec = spec_for(activation=activation, weight_var=0.03162)
    res = check_page(at, spec)
    act = get(activation)
    hist = chart(at, "sat_histograms")
    x_title = hist["layout"]["xaxis2"]["title"]["text"]
    if act.bounded:
        assert "rms" not in x_title
        assert at.select_slider(key="sat_threshold") is not None
    else:
        assert "units of its layer's rms" in x_title
        keys = [s.key for s in at.select_slider]
        assert "sat_threshold" not in keys
    if act.relu_like:
        assert "off" in at.caption[0].value.lower()
        assert at.metric[0].label.startswith("Off")
    if activation == "linear":
        assert not at.metric
        assert "nothing ever saturates" in at.caption[0].value
    if activation == "relu":
        # about half of a relu layer's values are off
        assert res.saturated_frac[0] == pytest.approx(0.5, abs=0.05)


def test_every_norm():
    at = open_page(PAGE, **tanh(weight_var=1.0))
    for norm in NORMS:
        at.selectbox(key="norm").set_value(norm)
        at.run()
        res = check_page(at, spec_for(**tanh(norm=norm, weight_var=1.0)))
        if norm == "batch":           # BatchNorm keeps tanh out of its flat ends
            assert res.saturated_frac.max() < 0.2
        if norm == "none":            # Var(W) = 1 at width 100: saturated everywhere
            assert res.saturated_frac.min() > 0.5


@pytest.mark.parametrize("values", [
    dict(depth=200),
    dict(width=2),
    dict(weight_var=10.0),
    dict(dtype="float16", weight_var=10.0, width=1024),
    dict(depth=200, width=2, weight_var=10.0, dtype="float16"),
    dict(depth=1),
])
def test_extreme_settings(values):
    at = open_page(PAGE, **values)
    check_page(at, spec_for(**values))


def test_float16_overflow_is_a_note_not_data():
    values = dict(activation="linear", dtype="float16", weight_var=10.0, depth=20)
    at = open_page(PAGE, **values)
    res = check_page(at, spec_for(**values))
    assert res.overflow_layer is not None
    assert any("inf or NaN" in w.value for w in at.warning)
    curve = chart(at, "sat_fraction_curve")
    assert len(arr(curve["data"][0]["y"])) == res.overflow_layer
    z = arr(chart(at, "sat_density_map")["data"][0]["z"])
    assert (z[res.overflow_layer:] == z.min()).all()
    # the overlaid layers are spread over the layers before the overflow
    lines = [t["name"] for t in chart(at, "sat_histograms")["data"] if t["name"].startswith("layer")]
    assert [n.split(":")[0] for n in lines] == [f"layer {k}" for k in range(1, res.overflow_layer + 1)]


@pytest.mark.parametrize("params", [
    dict(sat_threshold="banana", sat_count="-5", sat_first="999", sat_last="abc"),
    dict(sat_threshold="5", sat_count="nan", sat_first="0", sat_last="1e9"),
    dict(sat_threshold="0.9", sat_count="2.6", sat_first="-3", sat_last="7"),
])
def test_garbage_url_parameters(params):
    at = open_page(PAGE, **tanh(**params))
    spec = spec_for(**tanh())
    got = at.select_slider(key="sat_threshold").value
    assert got in stats.SATURATION_GRID           # exact counts kept by the core
    check_page(at, spec, threshold=got)
    assert 1 <= at.slider(key="sat_count").value <= 6
    assert 1 <= at.slider(key="sat_first").value <= spec.depth
    assert 1 <= at.slider(key="sat_last").value <= spec.depth
    if params["sat_threshold"] == "0.9":
        assert got == 0.9
    else:
        assert any("sat_threshold" in w.value for w in at.warning)
    assert any("sat_first" in w.value for w in at.warning)


def test_layer_pickers_stay_inside_a_shrinking_depth():
    at = open_page(PAGE, depth=40, sat_first=30, sat_last=40)
    at.slider(key="depth").set_value(12)
    at.run()
    check_page(at, spec_for(depth=12))
    assert at.slider(key="sat_first").value <= 12 and at.slider(key="sat_last").value <= 12

"""AppTest of the dead-neuron page: maps, dead marks and curves are core's numbers."""


import numpy as np
import pytest

from core import ACTIVATIONS, NORMS, simulate, stats
from core.activations import get
from figures.heatmaps import DEAD, SMALL_ROWS, SMALL_UNITS

from .helpers import no_exceptions, open_page, tanh
from .test_saturation_page import arr, assert_finite_data, chart, spec_for

PAGE = "dead_neurons"
# Settings where units do die: relu whose biases outweigh tiny weights; tanh at width 16
# with a bias spread (a few units sit past |t| = 0.99 for every example); sigmoid with
# large weights (its all-positive outputs shift the next layer's inputs off zero).
DYING_RELU = dict(activation="relu", bias_var=1.0, weight_var=0.0001)
DYING_TANH = dict(activation="tanh", weight_var=0.1, bias_var=1.0, width=16)
DYING_SIGMOID = dict(activation="sigmoid", weight_var=1.0)


def check_page(at, spec, layer=None):
    no_exceptions(at)
    assert_finite_data(at)
    res = simulate(spec)
    valid = spec.depth if res.overflow_layer is None else res.overflow_layer
    layer = spec.depth if layer is None else layer
    # the curve: core's dead fraction per layer, then the saturated/off share at 0.99
    dead_curve, sat_curve = chart(at, "dead_fraction_curve")["data"][:2]
    assert arr(dead_curve["y"]) == pytest.approx((100 * res.dead_frac[:valid])
                                                 .astype(np.float32))
    assert arr(sat_curve["y"]) == pytest.approx(
        (100 * res.saturated_frac_at(spec.dead_threshold)[:valid]).astype(np.float32))
    # the big map: its cells are core's dead_map, the strip is core's dead_units
    if layer <= valid:
        strip, grid = chart(at, "dead_map")["data"]
        s, z = arr(strip["z"]), arr(grid["z"])
        assert ((s[0] == DEAD) == res.dead_units[layer - 1][: s.shape[1]]).all()
        assert ((z > 0) == res.dead_map(layer - 1)).all()
        assert ((z == DEAD).any(axis=0) <= res.dead_units[layer - 1][: z.shape[1]]).all()
        assert z.shape == res.map_values.shape[1:] and z.size <= 100 * 256
    # small multiples: up to 6 layers spread over depth, cropped
    panels = stats.spread_layers(1, spec.depth, 6)
    small = chart(at, "dead_small_multiples")
    titles = [a["text"] for a in small["layout"]["annotations"]]
    for k in panels:
        want = "inf/NaN" if k > valid else f"{100 * res.dead_frac[k - 1]:.0f}% dead"
        assert f"layer {k}: {want}" in titles
    for tr in small["data"]:
        k = int(tr["name"].split()[1])
        z = arr(tr["z"])
        assert z.shape[0] <= SMALL_ROWS and z.shape[1] <= SMALL_UNITS
        assert ((z > 0) == res.dead_map(k - 1)[: z.shape[0], : z.shape[1]]).all()
    return res


def test_tanh_view():
    at = open_page(PAGE, **tanh())
    res = check_page(at, spec_for(**tanh()))
    assert at.slider(key="dead_layer").value == 10
    assert at.metric[0].value == f"{int(res.dead_units[9].sum())} of 100"


def test_dying_relu_marks_the_dead_columns():
    at = open_page(PAGE, **DYING_RELU)
    res = check_page(at, spec_for(**DYING_RELU))
    assert res.dead_units[-1].any() and not res.dead_units[-1].all()
    strip = arr(chart(at, "dead_map")["data"][0]["z"])
    assert int((strip == DEAD).sum()) == int(res.dead_units[-1][:256].sum())
    assert at.metric[0].value == f"{int(res.dead_units[-1].sum())} of 100"


def test_dying_tanh_and_a_chosen_layer():
    at = open_page(PAGE, **DYING_TANH)
    at.slider(key="dead_layer").set_value(5)
    at.run()
    res = check_page(at, spec_for(**DYING_TANH), layer=5)
    dead = int(res.dead_units[4].sum())             # |t| > 0.99 for every example
    assert 0 < dead < 16                             # the scenario kills some units, not all
    assert at.metric[0].value == f"{dead} of 16"
    marks = chart(at, "dead_fraction_curve")["data"][2]
    assert arr(marks["x"]).tolist() == [5]


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_every_activation(activation):
    values = dict(activation=activation, weight_var=0.1, bias_var=0.5)
    at = open_page(PAGE, **values)
    assert not at.warning, [w.value for w in at.warning]
    if activation == "linear":          # linear never dies: said, and nothing drawn
        no_exceptions(at)
        assert "never dies" in at.info[0].value
        assert not at.get("plotly_chart")
        return
    check_page(at, spec_for(**values))
    word = "Saturated" if get(activation).bounded else "Off"
    assert at.metric[1].label.startswith(word)


def test_every_norm():
    at = open_page(PAGE, **DYING_RELU)
    for norm in NORMS:
        at.selectbox(key="norm").set_value(norm)
        at.run()
        res = check_page(at, spec_for(norm=norm, **DYING_RELU))
        if norm == "batch":     # every unit centred over the batch: none off everywhere
            assert res.dead_frac.max() < 0.05
        if norm == "layer":     # centred per example only: a unit's bias still kills it
            assert res.dead_frac[1:].min() > 0.3


def test_dying_sigmoid():
    at = open_page(PAGE, **DYING_SIGMOID)
    res = check_page(at, spec_for(**DYING_SIGMOID))
    assert res.dead_frac[-1] > 0.1
    strip = arr(chart(at, "dead_map")["data"][0]["z"])
    assert int((strip == DEAD).sum()) == int(res.dead_units[-1].sum())


@pytest.mark.parametrize("values", [
    dict(depth=200),
    dict(width=2, activation="relu"),
    dict(weight_var=10.0),
    dict(depth=200, width=2, weight_var=10.0, dtype="float16", activation="relu"),
    dict(depth=1),
])
def test_extreme_settings(values):
    at = open_page(PAGE, **tanh(**values))
    check_page(at, spec_for(**tanh(**values)))


def test_float16_overflow_is_a_note_not_data():
    values = dict(activation="relu", dtype="float16", weight_var=1.0, depth=20)
    at = open_page(PAGE, **values, dead_layer=20)
    res = check_page(at, spec_for(**values))
    assert res.overflow_layer is not None and res.overflow_layer < 20
    assert any("inf or NaN" in w.value for w in at.warning)
    assert not [c for c in at.get("plotly_chart") if c.proto.id.endswith("-dead_map")]
    assert any("past the overflow" in i.value for i in at.info)
    assert len(arr(chart(at, "dead_fraction_curve")["data"][0]["y"])) == res.overflow_layer


@pytest.mark.parametrize("raw, want", [("banana", 10), ("-4", 1), ("1e9", 10), ("nan", 10),
                                       ("4.4", 4)])
def test_garbage_url_parameters(raw, want):
    at = open_page(PAGE, **tanh(dead_layer=raw))
    assert at.slider(key="dead_layer").value == want
    check_page(at, spec_for(**tanh()), layer=want)
    if raw != "4.4":
        assert any("dead_layer" in w.value for w in at.warning)

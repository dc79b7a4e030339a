"""Every page's CSV is the view: the numbers its charts draw at the page's own threshold,
layer picks and toggles, with the threshold named, for random settings of those controls."""

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from core import simulate
from figures.gradients import ratio_legend
from figures.histograms import format_percent
from views.saturation import THRESHOLDS

from .downloads import assert_csv_is_the_charts, csv_text, kept, table
from .helpers import chart_titled, no_exceptions, open_page, spec_for

# Each example runs a whole page in AppTest: a few examples per page.
FEW = settings(max_examples=8, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
NETWORK = dict(width=32, batch=32)
DEPTHS = st.integers(2, 12)
# float16 with big weights overflows part way: the charts stop there, and so must the CSV
PRECISION = st.sampled_from([dict(dtype="float64", weight_var=0.1),
                             dict(dtype="float16", weight_var=10.0)])


def opened(page, **params):
    with kept():
        at = open_page(page, **params)
    no_exceptions(at)
    return at


def saturated_columns(at) -> dict[str, list[float]]:
    cells = table(csv_text(at))
    return {k: [float(v) for v in vs] for k, vs in cells.items() if "saturated" in k}


def test_the_saturation_csv_counts_at_the_pages_threshold():
    """Chart and metric count |value| > 0.5: the CSV's one saturated column too, named so."""
    network = dict(activation="tanh", depth=20, width=64, weight_var=0.1, batch=64)
    at = opened("saturation", sat_threshold=0.5, **network)
    ((name, column),) = saturated_columns(at).items()
    assert "0.5" in name
    metric = next(m for m in at.metric if m.label == "Saturated (|value| > 0.5) at layer 20")
    assert metric.value == format_percent(column[19])
    expected = simulate(spec_for(**network)).saturated_frac_at(0.5)
    assert column == pytest.approx(expected.tolist(), rel=1e-12)
    assert "# sat_threshold=0.5" in csv_text(at).splitlines()
    assert "saturation_threshold" not in csv_text(at)      # the spec's 0.97 counts nothing here


@FEW
@given(activation=st.sampled_from(["tanh", "sigmoid", "relu", "linear"]), depth=DEPTHS,
       threshold=st.sampled_from(THRESHOLDS), first=st.integers(1, 12),
       last=st.integers(1, 12), count=st.integers(1, 6), precision=PRECISION)
def test_saturation_csv_is_its_charts(activation, depth, threshold, first, last, count,
                                      precision):
    at = opened("saturation", activation=activation, depth=depth, sat_threshold=threshold,
                sat_first=min(first, depth), sat_last=min(last, depth), sat_count=count,
                **precision, **NETWORK)
    page_csv = assert_csv_is_the_charts(at)
    legends = [t["name"] for t in chart_titled(at, "Activation distribution")["data"]
               if t["name"].startswith("layer ")]
    assert [int(n.split(":")[0][6:]) for n in legends] == [
        k + 1 for k, v in enumerate(page_csv.columns["shown_above"]) if v == 1]
    if activation in ("tanh", "sigmoid"):
        fracs = page_csv.columns[f"saturated_frac_above_{threshold:g}"]
        for name in legends:       # each overlaid layer's legend gives its share, as the CSV
            assert name.endswith(f"{100 * fracs[int(name.split(':')[0][6:]) - 1]:.2f}%")


@FEW
@given(activation=st.sampled_from(["tanh", "relu"]), depth=DEPTHS, layer=st.integers(1, 12),
       weight_var=st.sampled_from([0.01, 0.1, 1.0]))
def test_dead_neurons_csv_is_its_charts(activation, depth, layer, weight_var):
    layer = min(layer, depth)
    at = opened("dead_neurons", activation=activation, depth=depth, weight_var=weight_var,
                dead_layer=layer, **NETWORK)
    page_csv = assert_csv_is_the_charts(at)
    name = "saturated_frac_above_0.99" if activation == "tanh" else "off_frac"
    cut = "|value| > 0.99" if activation == "tanh" else "input ≤ 0"
    shown = next(m.value for m in at.metric if m.label.endswith(f"values ({cut}) at layer {layer}"))
    assert format_percent(page_csv.columns[name][layer - 1]) == shown
    assert page_csv.settings["dead_layer"] == str(layer)


@FEW
@given(depth=DEPTHS, band=st.booleans(), norm=st.sampled_from(["none", "layer"]),
       residual=st.booleans(), activation=st.sampled_from(["tanh", "linear"]),
       precision=PRECISION)
def test_variance_csv_is_its_chart(depth, band, norm, residual, activation, precision):
    at = opened("variance", activation=activation, depth=depth, norm=norm, residual=residual,
                var_band=str(band).lower(), **precision, **NETWORK)
    page_csv = assert_csv_is_the_charts(at)
    assert ("seeds_high_log10_preact_var" in page_csv.columns) == band
    assert page_csv.settings["var_band"] == str(band).lower()


@FEW
@given(depth=DEPTHS, theory=st.booleans(), layers=st.integers(2, 8),
       activation=st.sampled_from(["tanh", "relu"]))
def test_gradients_csv_is_its_charts(depth, theory, layers, activation):
    at = opened("gradients", activation=activation, depth=depth, grad_theory=str(theory).lower(),
                grad_layers=layers, **NETWORK)
    page_csv = assert_csv_is_the_charts(at)
    assert ("theory_log10_grad_var" in page_csv.columns) == theory
    picked = [k for k, v in enumerate(page_csv.columns["in_histograms"]) if v == 1]
    assert len(picked) == min(layers, depth)
    ratio = page_csv.columns["log10_weight_grad_ratio"]
    legends = [t["name"] for t in chart_titled(at, "Weight gradients dL/dW")["data"]]
    assert legends == [ratio_legend(k, ratio[k]) for k in picked]


def test_the_dead_neurons_csv_counts_at_the_dead_threshold():
    """The second curve counts at |value| > 0.99: the CSV's saturated column too, named so."""
    network = dict(activation="tanh", depth=8, weight_var=0.1, **NETWORK)
    at = opened("dead_neurons", **network)
    ((name, column),) = saturated_columns(at).items()
    assert "0.99" in name
    expected = simulate(spec_for(**network)).saturated_frac_at(0.99)
    assert column == pytest.approx(expected.tolist(), rel=1e-12)
    assert expected[-1] != pytest.approx(simulate(spec_for(**network)).saturated_frac[-1])

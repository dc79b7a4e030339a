"""AppTest of the normalization page: every view's plotted numbers are core's."""

import math

import numpy as np
import pytest

from core import norms, simulate
from core.experiments.batch_dependence import batch_dependence
from core.experiments.norm_lineup import badly_initialized, run_lineup, variant
from ui.labels import LINEUP_LABELS as LABELS, batch_run_label
from core.experiments.running_stats import train_eval

from .helpers import chart_titled, no_exceptions, open_page, spec_for, tanh, trace, ys

PAGE = "normalization"
SMALL = dict(depth=6, width=16, batch=32)


def test_side_by_side_is_the_bad_network_under_every_norm():
    at = open_page(PAGE, **tanh())
    no_exceptions(at)
    bad = badly_initialized(spec_for(**tanh()))
    assert bad.weight_var == 1.0
    lineup = run_lineup(bad, groups=4).results
    act, grad = chart_titled(at, "Forward: activation"), chart_titled(at, "Backward: gradient")
    for norm, res in lineup.items():
        assert ys(trace(act, LABELS[norm]))[-1] == pytest.approx(res.log10_act_var[-1], abs=1e-5)
        assert ys(trace(grad, LABELS[norm]))[0] == pytest.approx(res.log10_grad_var[0], abs=1e-5)
    sat = chart_titled(at, "Units saturated")
    assert ys(trace(sat, "no norm"))[-1] == pytest.approx(100 * lineup["none"].saturated_frac[-1])
    assert ys(trace(sat, "no norm"))[-1] > 50 and ys(trace(sat, "BatchNorm"))[-1] < 10
    rows = {r["normalization"]: r for r in at.dataframe[0].value.to_dict("records")}
    assert rows["no norm"]["gradients, layer 1 vs last"].startswith("explodes")
    assert rows["BatchNorm"]["gradients, layer 1 vs last"].startswith("steady")
    assert any("InstanceNorm" in i.value for i in at.info)         # adjusted, and said so


def test_own_weights_and_dead_units():
    values = dict(activation="relu", depth=8, width=32, batch=64, weight_var=0.001, bias_var=1.0)
    at = open_page(PAGE, norm_bad_init="false", **values)
    no_exceptions(at)
    lineup = run_lineup(spec_for(**values), groups=4).results
    rows = {r["normalization"]: r for r in at.dataframe[0].value.to_dict("records")}
    for norm, res in lineup.items():
        assert rows[LABELS[norm]]["dead units (all layers)"] == f"{100 * res.dead_frac.mean():.1f}%"
    assert rows["BatchNorm"]["dead units (all layers)"] == "0.0%"
    assert float(rows["LayerNorm"]["dead units (all layers)"][:-1]) > 20


@pytest.mark.parametrize("activation, norm", [("relu", "none"), ("linear", "batch"),
                                              ("gelu", "group"), ("sigmoid", "instance")])
def test_activations_and_sidebar_norms(activation, norm):
    at = open_page(PAGE, activation=activation, norm=norm, groups=3, **SMALL)
    no_exceptions(at)
    bad = badly_initialized(spec_for(activation=activation, norm=norm, groups=3, **SMALL))
    groups = bad.groups if norm == "group" else 3
    lineup = run_lineup(bad, groups).results
    act = chart_titled(at, "Forward: activation")
    assert ys(trace(act, "GroupNorm")) == pytest.approx(list(lineup["group"].log10_act_var), abs=1e-5)


def test_what_is_averaged_picture():
    at = open_page(PAGE, norm_view="What is averaged", spatial=4, groups=5)
    no_exceptions(at)
    spec = spec_for(spatial=4, groups=5)
    fig = chart_titled(at, "averages together")
    shape = (spec.batch, spec.width, spec.spatial)
    ex, ch, pos = norms.picture_indices(shape, 5, max_channels=6)
    for tr, kind in zip(fig["data"], ("batch", "layer", "group", "instance", "rms")):
        mask = norms.statistics_set(kind, shape, (0, 0, 0), 5 if kind == "group" else 1,
                                    ex, ch, pos).reshape(len(ex), -1).astype(float)
        mask[0, 0] = 2.0
        assert np.array_equal(np.array(ys({"y": tr["z"]}) if isinstance(tr["z"], dict)
                                       else tr["z"], dtype=float), mask), kind
    assert "GroupNorm (5 groups)" in fig["data"][2]["name"]


def test_batch_size_view():
    at = open_page(PAGE, norm_view="Batch size", **SMALL)
    no_exceptions(at)
    dep = {batch_run_label(r.norm, r.batch): r for r in batch_dependence(badly_initialized(spec_for(**SMALL))).runs}
    fig = chart_titled(at, "batchmates")
    for label, run in dep.items():
        assert ys(trace(fig, label)) == pytest.approx(list(100 * run.sensitivity), abs=1e-4)
    assert max(ys(trace(fig, "LayerNorm"))) < 1e-9
    assert ys(trace(fig, "batch 2"))[0] > ys(trace(fig, "batch 256"))[0]


def test_train_vs_eval_view():
    at = open_page(PAGE, norm_view="Train vs eval", norm_eval_batches=5, **SMALL)
    no_exceptions(at)
    te = train_eval(badly_initialized(spec_for(**SMALL)), 5)
    bars = chart_titled(at, "mismatch")
    assert ys(bars["data"][0]) == pytest.approx(list(100 * te.mismatch), rel=1e-5)
    assert at.metric[0].value == f"{te.train_loss:.4g}"
    assert at.metric[1].value == f"{te.eval_loss:.4g}"
    div = chart_titled(at, "divides by")
    assert ys(trace(div, "running variance")) == pytest.approx(list(te.log10_running_var), abs=1e-5)
    at.select_slider(key="norm_eval_batches").set_value(100).run()
    more = ys(chart_titled(at, "mismatch")["data"][0])
    assert more[-1] < ys(bars["data"][0])[-1]


def test_gamma_beta_view_undoes_the_normalization():
    at = open_page(PAGE, **tanh(norm_view="γ and β", norm="batch", norm_gamma=2.5, **SMALL))
    no_exceptions(at)
    bad = badly_initialized(spec_for(**tanh(norm="batch", norm_gamma=2.5, **SMALL)))
    fig = chart_titled(at, "Units saturated")
    names = [t["name"] for t in fig["data"]]
    assert names == ["no normalization", "BatchNorm, γ = 1, β = 0", "BatchNorm, γ = 2.5, β = 0"]
    for name, s in zip(names, (variant(bad, "none", 4).spec, bad.replace(norm_gamma=1.0), bad)):
        assert ys(trace(fig, name)) == pytest.approx(list(100 * simulate(s).saturated_frac), abs=1e-6)
    sat = [np.mean(ys(trace(fig, n))) for n in names]
    assert sat[1] < sat[2] < sat[0]                    # gamma 2.5 brings saturation back


def test_gamma_beta_with_no_sidebar_norm_uses_batchnorm():
    at = open_page(PAGE, **tanh(norm_view="γ and β", norm_beta=1.0, **SMALL))
    no_exceptions(at)
    names = [t["name"] for t in chart_titled(at, "Units saturated")["data"]]
    assert names[-1] == "BatchNorm, γ = 1, β = 1"


def test_garbage_page_parameters_and_extremes():
    at = open_page(PAGE, norm_view="xyz", norm_eval_batches="banana", norm_bad_init="maybe", **SMALL)
    no_exceptions(at)
    notes = " ".join(w.value for w in at.warning)
    assert "norm_view=xyz" in notes and "norm_bad_init=maybe" in notes
    assert chart_titled(at, "Forward: activation")
    at = open_page(PAGE, norm_view="Train vs eval", norm_eval_batches="banana", **SMALL)
    assert "norm_eval_batches=banana" in " ".join(w.value for w in at.warning)
    assert "after 10 training batches" in chart_titled(at, "mismatch")["layout"]["title"]["text"]
    at = open_page(PAGE, depth=200, width=1024, batch=1024, activation="linear")
    no_exceptions(at)
    assert any("width" in i.value for i in at.info)
    y = ys(trace(chart_titled(at, "Forward: activation"), "no norm"))
    assert len(y) == 200 and all(v is None or math.isfinite(v) for v in y)
    width = spec_for(depth=200, width=1024, batch=1024, activation="linear").width
    # N(0, 1) weights: (width x 1)^200, far past float64, plotted exactly (not inf)
    assert y[-1] == pytest.approx(200 * math.log10(width), abs=3) and y[-1] > 400
    assert any("neither saturates" in c.value for c in at.caption)


def test_the_chart_follows_the_depth_slider():
    at = open_page(PAGE)
    at.slider(key="depth").set_value(25)
    at.run()
    no_exceptions(at)
    assert len(ys(chart_titled(at, "Forward: activation")["data"][0])) == 25

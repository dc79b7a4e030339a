"""AppTest of the Depth scales page: every tab draws the core's numbers, nothing
non-finite, and says in words what the numbers say, as the other pages do about the same
network (the phase as the Gradient flow page states it, the diagnosis's problems)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from core import phase, theory
from core.experiments import depth_scales as ds
from core.experiments import trainability
from core.experiments.diagnose import diagnose
from core.simulate import simulate
from ui import capacity, live_column, training, verdicts
from ui.training_ledger import LEDGER

from .helpers import chart_titled, figures, no_exceptions, open_page, spec_for, trace, xs, ys

PAGE = "depth_scales"
TANH = dict(activation="tanh", depth=30, width=100, bias_var=0.05)
ORDERED, CRITICAL, CHAOTIC = 0.01, 0.01778, 0.03162      # Var(W) at width 100


def text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def metric(at, label_part: str) -> str:
    return next(m.value for m in at.metric if label_part in m.label)


def finite_or_gap(values) -> bool:
    return all(v is None or math.isfinite(v) for v in np.ravel(np.array(values, dtype=object)))


def no_nan_plotted(at) -> None:
    for fig in figures(at):
        for tr in fig["data"]:
            for key in ("x", "y", "z"):
                if key in tr:
                    assert finite_or_gap(ys({"y": tr[key]})), (fig["layout"]["title"], key)


# -- Order and chaos ------------------------------------------------------------------------

@pytest.mark.parametrize("weight_var, phase_word, words", [
    (ORDERED, "ordered", "collapses onto one vector"),
    (CRITICAL, "critical", "decorrelate"),
    (CHAOTIC, "chaotic", "decorrelate")])
def test_order_and_chaos_draws_the_pairs_and_the_map(weight_var, phase_word, words):
    at = open_page(PAGE, weight_var=weight_var, **TANH)
    no_exceptions(at)
    spec = spec_for(weight_var=weight_var, **TANH)
    corr = ds.correlations(spec)
    (fig,) = figures(at)
    assert ys(trace(fig, "measured: mean")) == pytest.approx(corr.mean.tolist(), abs=1e-5)
    predicted = theory.correlation_trajectory("tanh", spec.sigma_w2, 0.05, ds.C0, 30)
    assert ys(trace(fig, "the correlation map")) == pytest.approx(predicted.tolist(), abs=1e-5)
    no_nan_plotted(at)
    point = phase.phase_point("tanh", spec.sigma_w2, 0.05)
    assert point.phase == phase_word
    assert metric(at, "Phase").startswith(phase_word)
    assert words in text(at)
    scales = theory.depth_scales("tanh", spec.sigma_w2, 0.05)
    forgets = 30 > 6 * scales.xi_c
    assert ("is forgotten" in text(at)) == forgets, (scales.xi_c, text(at))
    assert f"**{corr.mean[-1]:.3f}**" in text(at)


def test_the_phase_is_the_one_the_gradient_page_states():
    """Same network, same words: the Gradient flow page's phase sentence and this page's."""
    for weight_var, title in ((ORDERED, "Ordered phase"), (CHAOTIC, "Chaotic phase")):
        here = open_page(PAGE, weight_var=weight_var, **TANH)
        there = open_page("gradients", weight_var=weight_var, **TANH)
        assert title in text(here) and title in text(there)


def test_the_phase_agrees_with_the_diagnosis_shown_elsewhere():
    """An ordered tanh network's gradients vanish: the diagnosis every page shares names
    it here too, with a link to the Gradient flow page."""
    at = open_page(PAGE, weight_var=ORDERED, **TANH)
    diag = diagnose(simulate(spec_for(weight_var=ORDERED, **TANH)))
    assert diag.problems == ("gradients_vanishing",)
    said = verdicts.problem_sentence("gradients_vanishing", diag, 30)
    assert said.startswith("The gradient shrinks") and said in text(at)
    assert any(link.proto.page == "gradients" for link in at.get("page_link"))


def test_a_normalized_network_has_measured_pairs_only():
    at = open_page(PAGE, weight_var=CHAOTIC, norm="layer", **TANH)
    no_exceptions(at)
    (fig,) = figures(at)
    assert "the correlation map" not in [t.get("name") for t in fig["data"]]
    assert any("plain networks" in c.value for c in at.caption)


def test_float16_overflow_is_a_gap_and_said():
    at = open_page(PAGE, activation="linear", depth=20, width=100, weight_var=1.0,
                   dtype="float16")
    no_exceptions(at)
    no_nan_plotted(at)
    assert "not defined at the last layer" in text(at)


def test_the_csv_is_the_chart():
    from .downloads import csv_text, kept, table
    with kept():
        at = open_page(PAGE, weight_var=CHAOTIC, depth_c0=0.9, **TANH)
    cells = table(csv_text(at))
    (fig,) = figures(at)
    assert [float(v) for v in cells["mean_correlation"]] == pytest.approx(
        ys(trace(fig, "measured: mean")), abs=1e-6)
    assert "# depth_c0=0.9" in csv_text(at)


# -- Trainability ---------------------------------------------------------------------------

def test_trainability_draws_the_stored_grid_and_the_depth_scales():
    at = open_page(PAGE, depth_view="Trainability", weight_var=CRITICAL, **TANH)
    no_exceptions(at)
    grid = trainability.load()
    fig = chart_titled(at, "Which depths train")
    heat = fig["data"][0]
    z = np.array(ys({"y": heat["z"]}), dtype=float)
    expected = grid.valid_loss - grid.unigram_entropy
    finite = np.isfinite(expected)
    assert z[finite] == pytest.approx(expected[finite], abs=1e-6)
    six = trace(fig, "6 ξ_c")
    for x, y in zip(xs(six), ys(six)):
        if y is not None:
            xi = theory.depth_scales("tanh", x, grid.setup.sigma_b2).xi_c
            assert y == pytest.approx(6 * xi, rel=1e-4)
    mark = trace(fig, "your network")
    assert mark["x"] == [pytest.approx(1.778)] and mark["y"] == [30]
    no_nan_plotted(at)


@pytest.mark.parametrize("depth, weight_var, verdict", [
    (30, CRITICAL, "should train"), (60, ORDERED, "too deep to train"),
    (10, ORDERED, "should train")])
def test_the_rule_of_six_depth_scales_is_said_from_the_numbers(depth, weight_var, verdict):
    values = dict(TANH, depth=depth, weight_var=weight_var)
    at = open_page(PAGE, depth_view="Trainability", **values)
    no_exceptions(at)
    xi = theory.depth_scales("tanh", spec_for(**values).sigma_w2, 0.05).xi_c
    assert (depth <= 6 * xi) == (verdict == "should train")
    assert verdict in text(at)


def test_a_point_off_the_grid_is_said_not_drawn():
    at = open_page(PAGE, depth_view="Trainability", activation="linear", weight_var=1.0)
    no_exceptions(at)
    fig = chart_titled(at, "Which depths train")
    assert "your network" not in [t.get("name") for t in fig["data"]]
    captions = " ".join(c.value for c in at.caption)
    assert "outside this grid" in captions and "set σ_w² within the grid" in captions


def boundary_by_hand(path) -> dict[str, list[float]]:
    """From a stored file alone: per side of the critical sigma_w2, the deepest depth up
    to which every depth's mean loss ended 0.1 nats below the unigram entropy, over xi_c,
    for columns whose boundary is inside the grid and whose xi_c is within its depth."""
    import json
    raw = json.loads(path.read_text())
    loss = np.array([[np.inf if v is None else v for v in row] for row in raw["valid_loss"]])
    trains = raw["unigram_entropy"] - loss >= 0.1
    critical = theory.critical_sigma_w2("tanh", 0.05)
    sides = {"ordered": [], "chaotic": []}
    for j, s in enumerate(raw["sigma_w2"]):
        rows = 0
        while rows < len(raw["depths"]) and trains[rows, j]:
            rows += 1
        xi = theory.depth_scales("tanh", s, 0.05).xi_c
        if 0 < rows < len(raw["depths"]) and xi <= max(raw["depths"]):
            sides["ordered" if s < critical else "chaotic"].append(raw["depths"][rows - 1] / xi)
    return sides


@pytest.mark.parametrize("steps", [trainability.STORED_STEPS[0], trainability.STORED_STEPS[-1]])
def test_the_grid_of_each_step_count_and_where_its_boundary_lies(steps):
    at = open_page(PAGE, depth_view="Trainability", depth_steps=steps, weight_var=CRITICAL,
                   **TANH)
    no_exceptions(at)
    path = trainability.stored(steps)
    grid = trainability.load(path)
    heat = chart_titled(at, "Which depths train")["data"][0]
    z = np.array(ys({"y": heat["z"]}), dtype=float)
    expected = grid.valid_loss - grid.unigram_entropy
    assert z[np.isfinite(expected)] == pytest.approx(expected[np.isfinite(expected)], abs=1e-6)
    sides = boundary_by_hand(path)
    said = text(at)
    assert f"After {steps} steps" in said
    for side, label in (("ordered", "ordered side"), ("chaotic", "chaotic side")):
        if sides[side]:
            assert f"{np.median(sides[side]):.1f} ξ_c" in said, (side, sides[side])
    chart = chart_titled(at, "Where training stops")
    assert xs(chart["data"][0]) == list(trainability.STORED_STEPS)
    for side, label in (("ordered", "ordered side"), ("chaotic", "chaotic side")):
        line = next(t for t in chart["data"] if t["name"].startswith(label))
        y = ys(line)[list(trainability.STORED_STEPS).index(steps)]
        assert y == (pytest.approx(np.median(sides[side])) if sides[side] else None)
    no_nan_plotted(at)


def test_how_the_boundary_moves_with_training_is_said_from_the_stored_grids():
    at = open_page(PAGE, depth_view="Trainability", weight_var=CRITICAL, **TANH)
    first, last = (boundary_by_hand(trainability.stored(s))
                   for s in (trainability.STORED_STEPS[0], trainability.STORED_STEPS[-1]))
    said = text(at)
    for side in ("ordered", "chaotic"):
        a, b = np.median(first[side]), np.median(last[side])
        assert f"from {a:.1f} to {b:.1f} ξ_c" in said, side
        r = b / a
        words = ("moves much deeper" if r >= 1.5 else "moves a little deeper" if r >= 1.1
                 else "moves much shallower" if r <= 1 / 1.5
                 else "moves a little shallower" if r <= 1 / 1.1 else "stays where it was")
        assert f"the {side} side's boundary {words} (from {a:.1f}" in said or \
            f"the {side} side's {words} (from {a:.1f}" in said


def test_the_live_column_trains_and_is_kept(monkeypatch):
    """The budget of one cell: the button trains depth 5 at the sidebar's sigma_w2, the
    square lands on the heatmap with the loss the trainer ended at, and a rerun shows it
    kept, without the button."""
    monkeypatch.setattr(live_column, "MAX_MACS", 1.0)     # the shallowest depth alone
    held, before = [], LEDGER.reserved()
    chunk = training.train_chunk

    def watched(*args, **kwargs):
        held.append(LEDGER.reserved() - before)
        return chunk(*args, **kwargs)
    monkeypatch.setattr(training, "train_chunk", watched)
    at = open_page(PAGE, depth_view="Trainability", weight_var=CHAOTIC, **TANH)
    at.button(key=live_column.START).click().run(timeout=300)
    no_exceptions(at)
    assert not at.get("progress") and live_column.STOP not in [b.key for b in at.button]
    grid = trainability.load()
    # its memory is in the server's ledger while it trains, and back when it is done
    plan = live_column.plan(3.162, grid, max_macs=1.0)
    assert held and held == [pytest.approx(plan.nbytes)] * len(held) and plan.nbytes > 0
    assert LEDGER.reserved() == before
    column = trace(chart_titled(at, "Which depths train"), "your column")
    assert xs(column) == [pytest.approx(3.162)] and ys(column) == [grid.depths[0]]
    loss, _ = trainability.train_cell(grid.depths[0], 3.162, grid.setup, grid.setup.seeds[0])
    assert column["customdata"] == [f"{loss - grid.unigram_entropy:+.3f} nats"]
    at.run()
    assert trace(chart_titled(at, "Which depths train"), "your column")["customdata"] == \
        column["customdata"]
    assert live_column.START not in [b.key for b in at.button]


# -- Dynamical isometry ---------------------------------------------------------------------

def test_linear_isometry_states_the_closed_forms():
    """Linear, sigma_w2 = 1: predicted variance / mean^2 = L with Gaussian weights and 0
    with orthogonal ones, which measure exactly 0."""
    values = dict(activation="linear", depth=40, width=32, init="lecun_normal")
    at = open_page(PAGE, depth_view="Dynamical isometry", **values)
    no_exceptions(at)
    rows = at.dataframe[0].value.to_dict("records")
    deepest = [r for r in rows if r["depth"] == 40]
    by = {r["weights"]: r for r in deepest}
    assert by["Gaussian"]["variance / mean² (predicted)"] == "40"
    assert by["orthogonal"]["variance / mean² (predicted)"] == "0"
    assert by["orthogonal"]["variance / mean² (measured)"] == "0"
    assert "close to dynamical isometry" in text(at)
    no_nan_plotted(at)
    assert len([t for t in figures(at)[0]["data"] if t["type"] == "bar"]) == 6   # 3 depths x 2


def test_relu_counts_its_exact_zeros():
    at = open_page(PAGE, depth_view="Dynamical isometry", activation="relu", depth=20,
                   width=32, init="kaiming_normal")
    no_exceptions(at)
    assert "are exactly 0" in text(at)
    no_nan_plotted(at)


def test_a_normalized_network_is_told_why_there_is_no_spectrum():
    at = open_page(PAGE, depth_view="Dynamical isometry", norm="batch", **TANH)
    no_exceptions(at)
    assert not figures(at) and any("without normalization" in i.value for i in at.info)


# -- Finite width ---------------------------------------------------------------------------

@pytest.mark.parametrize("width, words", [(10, "Narrow for its depth"), (100, "Wide enough")])
def test_relu_he_spread_against_five_depth_over_width(width, words):
    values = dict(activation="relu", depth=50, width=width, init="kaiming_normal")
    at = open_page(PAGE, depth_view="Finite width", **values)
    no_exceptions(at)
    assert f"predicts variance **{5 * 50 / width:.2f}**" in text(at)
    assert words in text(at)
    fw = ds.finite_width(spec_for(**values), max_weights=capacity.FINITE_WIDTH_WEIGHTS)
    std = math.sqrt(np.var(fw.finite, ddof=1))
    assert (std > math.log(10)) == (words.startswith("Narrow"))
    no_nan_plotted(at)
    (fig,) = figures(at)
    assert sum(ys(fig["data"][0])) == pytest.approx(100, rel=1e-4)


def test_tanh_has_no_law_and_says_why():
    at = open_page(PAGE, depth_view="Finite width", weight_var=CRITICAL, **TANH)
    no_exceptions(at)
    assert any("positively homogeneous" in c.value for c in at.caption)
    assert len(figures(at)[0]["data"]) == 1


# -- bad links ------------------------------------------------------------------------------

def test_a_hand_edited_link_gets_defaults_and_a_note():
    at = open_page(PAGE, depth_view="Nowhere", depth_c0="<b>7</b>", **TANH)
    no_exceptions(at)
    notes = " ".join(w.value for w in at.warning)
    assert "depth_view=Nowhere" in notes and "depth_c0=<b>7</b>" in notes
    (fig,) = figures(at)
    assert f"c₀ = {ds.C0:g}" in fig["layout"]["title"]["text"]


@pytest.mark.parametrize("steps, shown", [("123", 250), ("1e9", None), ("<i>500</i>", 500),
                                          ("-500", None)])
def test_a_step_count_with_no_stored_grid_gets_a_stored_one_and_a_note(steps, shown):
    at = open_page(PAGE, depth_view="Trainability", depth_steps=steps, **TANH)
    no_exceptions(at)
    note = " ".join(w.value for w in at.warning)
    assert f"depth_steps={steps}" in note
    used = int(re.search(r"using (?:the default, )?(\d+)", note).group(1))
    assert used in trainability.STORED_STEPS and used == (shown or used)
    assert f"After {used} steps" in text(at)

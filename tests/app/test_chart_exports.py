"""A chart downloaded as PNG (Plotly's toolbar button) is wide enough for its legend,
sharp on a projector, names the network it shows, and holds its whole legend: Plotly
draws the PNG from the layout the page sends, `EXPORT_WIDTH` px wide, in the viewer's
own sans-serif (it cannot load the page's Source Sans), so the layout is checked
against Liberation Sans, whose letters are as wide as Arial's."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from ui.charts import EXPORT_WIDTH

from .helpers import no_exceptions, open_page

NETWORK = dict(activation="tanh", weight_var=0.1, depth=10, bias_var=0.5)
ARIAL_WIDE = Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf")
ROW_PX = 1.2                # a line of text is at least 1.2 times its type size
SYMBOL_PX = 40              # a legend entry's symbol, before its text (Plotly's itemwidth + gap)


def charts(at):
    return [(c.proto.id, json.loads(c.proto.spec)["layout"], json.loads(c.proto.config),
             json.loads(c.proto.spec)["data"]) for c in at.get("plotly_chart")]


def test_every_chart_downloads_wide_and_sharp_at_its_own_height():
    at = open_page("saturation", **NETWORK)
    no_exceptions(at)
    for chart_id, layout, config, _ in charts(at):
        png = config.get("toImageButtonOptions")
        assert png, (chart_id, config)
        assert png["format"] == "png" and png["width"] >= 1200 and png["scale"] >= 2
        assert png["height"] == layout["height"], chart_id
        assert png["filename"].endswith(chart_id.rsplit("-", 1)[-1]), (chart_id, png)


def subtitle(layout: dict) -> str:
    return re.sub(r"<br>", "\n", layout["title"].get("subtitle", {}).get("text", ""))


@pytest.mark.parametrize("page", ["saturation", "dead_neurons", "variance", "gradients"])
def test_a_downloaded_chart_names_its_network(page):
    at = open_page(page, **NETWORK)
    no_exceptions(at)
    for chart_id, layout, _, _ in charts(at):
        text = subtitle(layout)
        for words in ("tanh", "depth 10", "width 100", "Var(W) = 0.1", "fan_in × Var(W) = 10",
                      "bias Var 0.5", "no norm", "float64"):
            assert words in text, (chart_id, words, text)


def test_a_chart_of_another_network_names_that_one():
    """Normalization draws its lineup on N(0, 1) weights (its bad init on purpose) and
    compares normalizations: the settings say so, and name no normalization of their
    own; Initialization's every-scheme chart names no scheme of its own."""
    at = open_page("normalization", **NETWORK)
    no_exceptions(at)
    for chart_id, layout, _, _ in charts(at):
        text = subtitle(layout)
        assert "fan_in × Var(W) = 100" in text and "norm" not in text, (chart_id, text)
    at = open_page("initialization", **NETWORK)
    no_exceptions(at)
    every = next(lay for _, lay, _, _ in charts(at) if lay["title"]["text"].startswith("Every"))
    assert "depth 10" in subtitle(every) and "Var(W)" not in subtitle(every)


def test_the_trainability_charts_name_the_grid_s_networks_not_the_sidebar_s():
    at = open_page("depth_scales", depth_view="Trainability", depth_steps=1000,
                   **dict(NETWORK, weight_var=0.01))
    no_exceptions(at)
    found = {lay["title"]["text"]: subtitle(lay) for _, lay, _, _ in charts(at)}
    heat, bounds = found["Which depths train"], found["Where training stops, in depth scales"]
    for text in (heat, bounds):
        for words in ("tanh", "width 64", "bias Var 0.05", "SGD, lr 0.03",
                      "batch 32", "2 seeds a cell"):
            assert words in text, (words, text)
        assert "width 100" not in text and "Var(W)" not in text, text
    assert "the stored grid: tanh" in heat and "1000 steps" in heat
    assert "the stored grids: tanh" in bounds and "250 to 4000 steps" in bounds


def test_a_trained_chart_names_how_it_trained():
    at = open_page("training", timeout=180, **dict(NETWORK, depth=4, width=32, train_steps=100,
                                                   train_lr=0.1, train_batch=16))
    no_exceptions(at)
    loss = next(lay for _, lay, _, _ in charts(at) if lay["title"]["text"] == "Loss while training")
    text = subtitle(loss)
    assert "SGD, lr 0.1, batch 16, 100 steps, float32" in text
    assert "batch 256" not in text and "float64" not in text       # the statistics' own


def text_px(text: str, size: float) -> float:
    from PIL import ImageFont
    return ImageFont.truetype(str(ARIAL_WIDE), size).getlength(text)


def legend_entries(data: list[dict]) -> list[str]:
    return [t["name"] for t in data if t.get("name") is not None
            and t.get("showlegend", t.get("type") != "heatmap")]


def exported_problems(layout: dict, data: list[dict]) -> list[str]:
    """What would not fit a PNG `EXPORT_WIDTH` px wide drawn from `layout` in Arial's
    widths: a legend entry wider than its column, a legend whose rows run into the plot
    or out of the picture, a title or settings line past the right edge, a legend that
    starts before the title and its settings have ended."""
    bad, height, size = [], layout["height"], layout["font"]["size"]
    margin, legend, title = layout["margin"], layout["legend"], layout["title"]
    names = legend_entries(data)
    lines = [(title["text"], title["font"]["size"])] + [
        (line, title.get("subtitle", {}).get("font", {}).get("size", size))
        for line in subtitle(layout).split("\n")]
    for line, px in lines:
        if text_px(line, px) > EXPORT_WIDTH - 20:
            bad.append(f"{line!r} runs past the edge")
    head = 10 + sum(ROW_PX * px for _, px in lines)
    if (1 - legend["y"]) * height < head:
        bad.append(f"the legend starts {(1 - legend['y']) * height:.0f} px down, "
                   f"inside the head ({head:.0f} px)")
    if len(names) < 2:
        return bad
    width = legend.get("entrywidth", 0)
    for name in names:
        if text_px(name, size) > width:
            bad.append(f"legend entry {name!r}: {text_px(name, size):.0f} px > {width} px")
    plot_w = EXPORT_WIDTH - margin["l"] - margin["r"]
    columns = max(1, plot_w // (SYMBOL_PX + width))
    rows = math.ceil(len(names) / columns)
    bottom = (1 - legend["y"]) * height + rows * ROW_PX * size
    if bottom > height - margin["b"] - 100:
        bad.append(f"the legend's {rows} rows leave the plot less than 100 px")
    return bad


@pytest.mark.skipif(not ARIAL_WIDE.exists(), reason="Liberation Sans (fonts-liberation) missing")
@pytest.mark.parametrize("page, params", [
    ("saturation", NETWORK),
    ("normalization", dict(NETWORK, norm_view="Batch size")),
    ("gradients", NETWORK),
    ("training", dict(NETWORK, depth=4, width=32, train_steps=100, train_compare=True,
                      train_norm=True)),
], ids=["saturation", "normalization", "gradients", "training"])
def test_a_downloaded_chart_holds_its_whole_legend(page, params):
    at = open_page(page, timeout=180, **params)
    no_exceptions(at)
    found = {layout["title"]["text"]: exported_problems(layout, data)
             for _, layout, _, data in charts(at)}
    assert not {k: v for k, v in found.items() if v}
    assert sum(len(legend_entries(d)) > 1 for *_, d in charts(at)) >= 2   # legends checked

"""A chart downloaded as PNG (Plotly's toolbar button) is wide enough for its legend and
says which network it shows: the settings are a caption inside the figure itself."""

from __future__ import annotations

import json

import pytest

from .helpers import no_exceptions, open_page

# The network the link sets, written out by hand: fan_in × Var(W) = 100 × 0.1 = 10.
NETWORK = dict(activation="tanh", weight_var=0.1, depth=10, bias_var=0.5)
SETTINGS = ("tanh", "depth 10", "width 100", "Var(W) = 0.1", "fan_in × Var(W) = 10",
            "bias Var 0.5")


def charts(at):
    return [(c.proto.id, json.loads(c.proto.spec)["layout"], json.loads(c.proto.config))
            for c in at.get("plotly_chart")]


@pytest.mark.parametrize("page", ["dead_neurons", "saturation"])
def test_every_chart_carries_the_networks_settings_under_its_plot(page):
    at = open_page(page, **NETWORK)
    no_exceptions(at)
    found = charts(at)
    assert len(found) == 3
    for chart_id, layout, _ in found:
        notes = [a for a in layout.get("annotations", ())
                 if all(part in a["text"] for part in SETTINGS)]
        assert len(notes) == 1, (chart_id, [a["text"] for a in layout.get("annotations", ())])
        note = notes[0]
        # under the plot, its lines inside the figure's bottom margin
        margin = layout["margin"]
        plot_px = layout["height"] - margin["t"] - margin["b"]
        top_px = -note["y"] * plot_px                 # below the plot's bottom edge
        lines = note["text"].count("<br>") + 1
        assert note["yref"] == "paper" and note["yanchor"] == "top" and top_px > 0
        assert top_px + lines * note["font"]["size"] <= margin["b"], chart_id


def test_every_chart_downloads_wide_and_sharp_at_its_own_height():
    at = open_page("saturation", **NETWORK)
    no_exceptions(at)
    for chart_id, layout, config in charts(at):
        png = config.get("toImageButtonOptions")
        assert png, (chart_id, config)
        assert png["format"] == "png" and png["width"] >= 1200 and png["scale"] >= 2
        assert png["height"] == layout["height"], chart_id
        assert png["filename"].endswith(chart_id.rsplit("-", 1)[-1]), (chart_id, png)

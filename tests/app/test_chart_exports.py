"""A chart downloaded as PNG (Plotly's toolbar button) is wide enough for its legend and
sharp on a projector."""

from __future__ import annotations

import json

from .helpers import no_exceptions, open_page

NETWORK = dict(activation="tanh", weight_var=0.1, depth=10, bias_var=0.5)


def charts(at):
    return [(c.proto.id, json.loads(c.proto.spec)["layout"], json.loads(c.proto.config))
            for c in at.get("plotly_chart")]


def test_every_chart_downloads_wide_and_sharp_at_its_own_height():
    at = open_page("saturation", **NETWORK)
    no_exceptions(at)
    for chart_id, layout, config in charts(at):
        png = config.get("toImageButtonOptions")
        assert png, (chart_id, config)
        assert png["format"] == "png" and png["width"] >= 1200 and png["scale"] >= 2
        assert png["height"] == layout["height"], chart_id
        assert png["filename"].endswith(chart_id.rsplit("-", 1)[-1]), (chart_id, png)

"""Shared AppTest helpers: open the app (optionally on a page, with URL parameters) and
read the plotted data back out of the Plotly figures."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from ui import controls
from ui.controls import to_spec

APP = str(Path(__file__).resolve().parents[2] / "app.py")


# NetworkSpec's own defaults: tanh at fan_in × Var(W) = 1. The app opens on the classroom's
# first fact instead (ui.controls: linear, N(0, 1) weights), so a test of a tanh view
# names this network.
TANH = dict(activation="tanh", weight_var=0.01)


def tanh(**values) -> dict:
    """Control values: the tanh network above with `values` on top."""
    return TANH | values


def spec_for(**values):
    """The NetworkSpec the app builds from these control values (others at default)."""
    return to_spec(controls.defaults() | values).spec


def open_page(page: str | None = None, timeout: float = 60, **params) -> AppTest:
    """Open a page (a url path such as "gradients"; None: the landing page) the way a
    link does, on a fresh app: URL parameters first, and its first run shows the page.
    Pages are functions (st.Page(callable)), which AppTest.switch_page cannot name, so
    the run is pointed at the page's script hash, which st.Page derives from the url
    path (streamlit.navigation.page.Page._script_hash)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for key, value in params.items():
        control = controls.BY_KEY.get(key)
        at.query_params[key] = control.fmt(value) if control else str(value)
    if page is not None:
        at._page_hash = calc_hash(page)
    at.run()
    return at


def figures(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def chart_titled(at: AppTest, title_part: str) -> dict:
    found = [f for f in figures(at) if title_part in f["layout"]["title"]["text"]]
    assert found, [f["layout"]["title"]["text"] for f in figures(at)]
    return found[0]


def trace(fig: dict, name_part: str) -> dict:
    matches = [t for t in fig["data"] if name_part in (t.get("name") or "")]
    assert matches, f"no trace named like {name_part!r} in {[t.get('name') for t in fig['data']]}"
    return matches[0]


def ys(tr: dict) -> list:
    """A trace's y values, decoding Plotly's base64 typed arrays when present."""
    return _decode(tr["y"])


def xs(tr: dict) -> list:
    return _decode(tr["x"])


def _decode(v):
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np
        arr = np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
        if "shape" in v:
            shape = [int(s) for s in str(v["shape"]).split(",")]
            arr = arr.reshape(shape)
        return arr.tolist()
    return v


def no_exceptions(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
